/* SPDX-License-Identifier: Apache-2.0 */
/* Bundle creation (see bundle.h). The overlay's lowerdir lists the top layer first;
 * upper and work dirs live under <work_dir>/overlay/<id>, as upstream's overlay
 * snapshotter keeps them. config.json carries oci-spec's Spec::default() values (root,
 * mounts, process defaults, linux namespaces and masked paths) with upstream's
 * create_runtime_config() changes on top. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"
#include "image-rs/bundle.h"

#define ETC_FILE_MAX (1u << 20)

/* Looks name (or, when by_id, the numeric id) up in a passwd/group style file: fields
 * split on ':', name first, id third, passwd's primary gid fourth. */
static int etc_lookup(int rootfd, const char *file, const char *name, bool by_id, uint32_t *ret_id,
		      uint32_t *ret_gid)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(ETC_FILE_MAX);
	_cleanup_close_ int fd = -EBADF;
	char *line, *save = NULL;
	int r;

	r = fs_open_in_root(rootfd, file, O_RDONLY | O_CLOEXEC, 0, 0, &fd);
	if (r < 0)
		return r;
	r = buf_read_fd(&b, fd);
	if (r < 0 || buf_put_u8(&b, 0) < 0)
		return r < 0 ? r : -ENOMEM;
	for (line = strtok_r((char *) b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {}, *p = line;
		unsigned long id, gid = 0;
		char *end;

		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = 0;
		}
		if (!f[2])
			continue;
		if (by_id ? strcmp(f[2], name) : strcmp(f[0], name))
			continue;
		errno = 0;
		id = strtoul(f[2], &end, 10);
		if (errno || end == f[2] || *end || id > UINT32_MAX)
			continue;
		if (f[3] && *f[3])
			gid = strtoul(f[3], &end, 10);
		*ret_id = (uint32_t) id;
		if (ret_gid)
			*ret_gid = gid > UINT32_MAX ? 0 : (uint32_t) gid;
		return 0;
	}
	return -ENOENT;
}

static bool parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (!*s || s[0] == '-' || s[0] == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*ret = (uint32_t) v;
	return true;
}

int bundle_resolve_user(int rootfd, const char *user, uint32_t *ret_uid, uint32_t *ret_gid,
			struct buf *err)
{
	_cleanup_free_ char *u = strdup(user ?: "");
	char *group;
	uint32_t uid = 0, gid = 0;
	int r;

	if (!u)
		return -ENOMEM;
	group = strchr(u, ':');
	if (group)
		*group++ = 0;
	if (group && !*group)
		return (void) buf_appendf(err, "malformed User '%s'", user), -EINVAL;
	if (*u) {
		if (parse_id(u, &uid)) {
			/* A numeric user keeps its passwd group when it has an entry. */
			if (etc_lookup(rootfd, "etc/passwd", u, true, &uid, &gid) < 0)
				gid = 0;
		} else {
			r = etc_lookup(rootfd, "etc/passwd", u, false, &uid, &gid);
			if (r < 0)
				return (void) buf_appendf(err,
							  "user '%s' not found in the image's "
							  "/etc/passwd",
							  u),
				       -ENOENT;
		}
	}
	if (group && !parse_id(group, &gid)) {
		r = etc_lookup(rootfd, "etc/group", group, false, &gid, NULL);
		if (r < 0)
			return (void) buf_appendf(err,
						  "group '%s' not found in the image's "
						  "/etc/group",
						  group),
			       -ENOENT;
	}
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

/* json-c asserts on a NULL container: these drop the member and note the failure
 * instead, so an allocation failure anywhere ends in -ENOMEM, not an abort. */
static void add(json_object *o, const char *k, json_object *v, bool *ok)
{
	if (!o || !v || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static void push(json_object *a, json_object *v, bool *ok)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static json_object *strv(const char *const *v, bool *ok)
{
	json_object *a = json_object_new_array();

	for (; *v; v++)
		push(a, json_object_new_string(*v), ok);
	if (!a)
		*ok = false;
	return a;
}

static json_object *mount_json(const char *dest, const char *type, const char *source,
			       const char *const *options, bool *ok)
{
	json_object *m = json_object_new_object();

	add(m, "destination", json_object_new_string(dest), ok);
	add(m, "type", json_object_new_string(type), ok);
	if (source)
		add(m, "source", json_object_new_string(source), ok);
	if (options)
		add(m, "options", strv(options, ok), ok);
	return m;
}

/* oci-spec get_default_mounts() */
static void add_default_mounts(json_object *mounts, bool *ok)
{
	static const struct {
		const char *dest, *type, *source;
		const char *options[7];
	} d[] = {
		{ "/proc", "proc", "proc", { NULL } },
		{ "/dev",
		  "tmpfs",
		  "tmpfs",
		  { "nosuid", "strictatime", "mode=755", "size=65536k" } },
		{ "/dev/pts",
		  "devpts",
		  "devpts",
		  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
		{ "/dev/shm",
		  "tmpfs",
		  "shm",
		  { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
		{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
		{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
		{ "/sys/fs/cgroup",
		  "cgroup",
		  "cgroup",
		  { "nosuid", "noexec", "nodev", "relatime", "ro" } },
	};

	for (size_t i = 0; i < ELEMENTSOF(d); i++)
		push(mounts,
		     mount_json(d[i].dest, d[i].type, d[i].source,
				d[i].options[0] ? d[i].options : NULL, ok),
		     ok);
}

static json_object *linux_default(bool *ok)
{
	static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };
	static const char *const masked[] = { "/proc/acpi",
					      "/proc/asound",
					      "/proc/kcore",
					      "/proc/keys",
					      "/proc/latency_stats",
					      "/proc/timer_list",
					      "/proc/timer_stats",
					      "/proc/sched_debug",
					      "/sys/firmware",
					      "/proc/scsi",
					      NULL };
	static const char *const ro[] = { "/proc/bus",           "/proc/fs",
					  "/proc/irq",           "/proc/sys",
					  "/proc/sysrq-trigger", NULL };
	json_object *l = json_object_new_object(), *res = json_object_new_object();
	json_object *a = json_object_new_array();

	add(res, "devices", json_object_new_array(), ok);
	add(l, "resources", res, ok);
	for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
		json_object *n = json_object_new_object();

		add(n, "type", json_object_new_string(ns[i]), ok);
		push(a, n, ok);
	}
	add(l, "namespaces", a, ok);
	add(l, "maskedPaths", strv(masked, ok), ok);
	add(l, "readonlyPaths", strv(ro, ok), ok);
	return l;
}

/* A JSON string list member of obj, or NULL when absent or not a list of strings. */
static json_object *string_list(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
			return NULL;
	return v;
}

static const char *string_member(json_object *obj, const char *key)
{
	const char *s;

	return obj && json_get_string(obj, key, &s) >= 0 ? s : NULL;
}

int bundle_runtime_config(json_object *image_config, uint32_t uid, uint32_t gid, json_object **ret)
{
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					    NULL };
	static const char *const cap_sets[] = { "bounding", "effective", "inheritable", "permitted",
						"ambient" };
	static const char *const tmpfs_opts[] = { "nosuid",   "noexec", "nodev",
						  "relatime", "rw",     NULL };
	static const struct {
		const char *annotation, *key;
	} from_config[] = {
		{ "org.opencontainers.image.os", "os" },
		{ "org.opencontainers.image.os.version", "os.version" },
		{ "org.opencontainers.image.architecture", "architecture" },
		{ "org.opencontainers.image.variant", "variant" },
		{ "org.opencontainers.image.author", "author" },
		{ "org.opencontainers.image.created", "created" },
	};
	json_object *spec = json_object_new_object(), *process = json_object_new_object();
	json_object *user = json_object_new_object(), *capsobj = json_object_new_object();
	json_object *rl = json_object_new_object(), *rls = json_object_new_array();
	json_object *root = json_object_new_object(), *mounts = json_object_new_array();
	json_object *ann = json_object_new_object(), *args = json_object_new_array();
	json_object *config = NULL, *v, *labels = NULL;
	const char *cwd, *s;

	bool ok = true;

	(void) json_get_object(image_config, "config", &config);

	add(spec, "ociVersion", json_object_new_string("1.0.2-dev"), &ok);

	/* process: Process::default() with the image's cwd, env and args */
	add(process, "terminal", json_object_new_boolean(false), &ok);
	add(user, "uid", json_object_new_int64(uid), &ok);
	add(user, "gid", json_object_new_int64(gid), &ok);
	add(process, "user", user, &ok);
	if ((v = string_list(config, "Entrypoint")))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			push(args, json_object_get(json_object_array_get_idx(v, i)), &ok);
	if ((v = string_list(config, "Cmd")))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			push(args, json_object_get(json_object_array_get_idx(v, i)), &ok);
	if (args && json_object_array_length(args) == 0)
		push(args, json_object_new_string("sh"), &ok);
	add(process, "args", args, &ok);
	if ((v = string_list(config, "Env")))
		add(process, "env", json_object_get(v), &ok);
	else
		add(process, "env",
		    strv(
			(const char *const[]){
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			    "TERM=xterm", NULL },
			&ok),
		    &ok);
	cwd = string_member(config, "WorkingDir");
	add(process, "cwd", json_object_new_string(cwd && *cwd ? cwd : "/"), &ok);
	for (size_t i = 0; i < ELEMENTSOF(cap_sets); i++)
		add(capsobj, cap_sets[i], strv(caps, &ok), &ok);
	add(process, "capabilities", capsobj, &ok);
	add(rl, "type", json_object_new_string("RLIMIT_NOFILE"), &ok);
	add(rl, "hard", json_object_new_int64(1024), &ok);
	add(rl, "soft", json_object_new_int64(1024), &ok);
	push(rls, rl, &ok);
	add(process, "rlimits", rls, &ok);
	add(process, "noNewPrivileges", json_object_new_boolean(true), &ok);
	add(spec, "process", process, &ok);

	add(root, "path", json_object_new_string("rootfs"), &ok);
	add(root, "readonly", json_object_new_boolean(true), &ok);
	add(spec, "root", root, &ok);
	add(spec, "hostname", json_object_new_string("image-rs"), &ok);

	/* each Volume a tmpfs, before the default mounts (upstream's order) */
	if (config && json_object_object_get_ex(config, "Volumes", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach (v, dest, unused) {
			(void) unused;
			push(mounts, mount_json(dest, "tmpfs", NULL, tmpfs_opts, &ok), &ok);
		}
	}
	add_default_mounts(mounts, &ok);
	add(spec, "mounts", mounts, &ok);

	/* annotations: Labels, then what the labels do not already say */
	if (config && json_object_object_get_ex(config, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach (labels, k, lv) {
			if (json_object_is_type(lv, json_type_string))
				add(ann, k, json_object_get(lv), &ok);
		}
	} else
		labels = NULL;
#define UNLABELLED(a) (!labels || !json_object_object_get_ex(labels, (a), NULL))
	if (UNLABELLED("org.opencontainers.image.stopSignal") &&
	    (s = string_member(config, "StopSignal")))
		add(ann, "org.opencontainers.image.stopSignal", json_object_new_string(s), &ok);
	if (config && json_object_object_get_ex(config, "ExposedPorts", &v) &&
	    json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
		_cleanup_(buf_done) struct buf ports = BUF_INIT(1 << 16);

		json_object_object_foreach (v, port, unused2) {
			(void) unused2;
			(void) buf_appendf(&ports, "%s%s", ports.len ? "," : "", port);
		}
		add(ann, "org.opencontainers.image.exposedPorts",
		    json_object_new_string(buf_str(&ports)), &ok);
	}
	for (size_t i = 0; i < ELEMENTSOF(from_config); i++)
		if (UNLABELLED(from_config[i].annotation) &&
		    (s = string_member(image_config, from_config[i].key)))
			add(ann, from_config[i].annotation, json_object_new_string(s), &ok);
	if (UNLABELLED("org.opencontainers.image.os.features") &&
	    json_object_object_get_ex(image_config, "os.features", &v))
		add(ann, "org.opencontainers.image.os.features",
		    json_object_new_string(
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)),
		    &ok);
#undef UNLABELLED
	add(spec, "annotations", ann, &ok);
	add(spec, "linux", linux_default(&ok), &ok);
	if (!ok || !json_object_is_type(spec, json_type_object)) {
		json_object_put(spec);
		return -ENOMEM;
	}
	*ret = spec;
	return 0;
}

/* <work_dir>/overlay/<hex sha256(layer paths ‖ bundle dir ‖ time)>, as upstream names it */
static int overlay_dir(struct store *st, json_object *metas, const char *bundle_dir, char **ret)
{
	struct digest_ctx c;
	uint8_t d[DIGEST_MAX_SIZE];
	char hex[2 * DIGEST_MAX_SIZE + 1];
	struct timespec ts;

	digest_init(&c, DIGEST_SHA256);
	for (size_t i = 0; i < json_object_array_length(metas); i++) {
		const char *p = string_member(json_object_array_get_idx(metas, i), "store_path");

		if (p)
			digest_update(&c, p, strlen(p));
	}
	digest_update(&c, bundle_dir, strlen(bundle_dir));
	clock_gettime(CLOCK_REALTIME, &ts);
	digest_update(&c, &ts, sizeof(ts));
	digest_final(&c, d);
	digest_hex(d, 32, hex);
	return asprintf(ret, "%s/overlay/%s", store_work_dir(st), hex) < 0 ? -ENOMEM : 0;
}

int bundle_create(struct store *st, const char *config_digest, const char *bundle_dir,
		  struct buf *err)
{
	_cleanup_(json_object_putp) json_object *img = NULL, *spec = NULL;
	_cleanup_free_ char *ovl = NULL, *rootfs = NULL, *opts = NULL, *cfgpath = NULL;
	_cleanup_(buf_done) struct buf lower = BUF_INIT(1 << 16);
	_cleanup_close_ int rootfd = -EBADF;
	json_object *metas = NULL, *image_config = NULL;
	const char *user = NULL;
	uint32_t uid, gid;
	bool mounted = false;
	int r;

	r = store_image_get(st, config_digest, &img);
	if (r < 0) {
		(void) buf_appendf(err, "image %s is not in the store", config_digest);
		return r;
	}
	if (json_get_array(img, "layer_metas", &metas) < 0 ||
	    json_get_object(img, "image_config", &image_config) < 0 ||
	    json_object_array_length(metas) == 0) {
		(void) buf_append_str(err, "the store's image record is malformed");
		return -EBADMSG;
	}
	/* top layer first */
	for (size_t i = json_object_array_length(metas); i > 0; i--) {
		const char *p = string_member(json_object_array_get_idx(metas, i - 1),
					      "store_path");

		if (!p || strpbrk(p, ":,") ||
		    buf_appendf(&lower, "%s%s", lower.len ? ":" : "", p) < 0) {
			(void) buf_append_str(err, "a layer path cannot be an overlay lowerdir");
			return -EINVAL;
		}
	}
	r = overlay_dir(st, metas, bundle_dir, &ovl);
	if (r >= 0 && (asprintf(&rootfs, "%s/rootfs", bundle_dir) < 0 ||
		       asprintf(&cfgpath, "%s/config.json", bundle_dir) < 0 ||
		       asprintf(&opts, "lowerdir=%s,upperdir=%s/upperdir,workdir=%s/workdir",
				buf_str(&lower), ovl, ovl) < 0))
		r = -ENOMEM;
	if (r < 0)
		return r;
	if (access(cfgpath, F_OK) == 0) {
		(void) buf_appendf(err, "OCI config file already exists: %s", cfgpath);
		return -EEXIST;
	}
	r = fs_mkdir_p(ovl, 0700);
	if (r >= 0) {
		_cleanup_free_ char *u = NULL, *w = NULL;

		if (asprintf(&u, "%s/upperdir", ovl) < 0 || asprintf(&w, "%s/workdir", ovl) < 0)
			r = -ENOMEM;
		else if ((mkdir(u, 0755) < 0 && errno != EEXIST) ||
			 (mkdir(w, 0700) < 0 && errno != EEXIST))
			r = -errno;
	}
	if (r >= 0 && mkdir(rootfs, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0) {
		(void) buf_appendf(err, "cannot create %s or %s: %s", ovl, rootfs, strerror(-r));
		goto fail;
	}
	if (strlen(opts) >= 4096) { /* mount(2) takes one page of options */
		(void) buf_append_str(err, "too many layers for one overlay mount");
		r = -E2BIG;
		goto fail;
	}
	if (mount("overlay", rootfs, "overlay", 0, opts) < 0) {
		r = -errno;
		(void) buf_appendf(err, "overlay mount at %s failed: %s", rootfs, strerror(-r));
		goto fail;
	}
	mounted = true;

	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		goto fail;
	}
	if (json_get_object(image_config, "config", &metas) >= 0)
		user = string_member(metas, "User");
	r = bundle_resolve_user(rootfd, user, &uid, &gid, err);
	if (r < 0)
		goto fail;
	r = bundle_runtime_config(image_config, uid, gid, &spec);
	if (r >= 0) {
		_cleanup_(buf_done) struct buf text = BUF_INIT(1 << 20);

		r = json_append(spec, &text);
		if (r >= 0)
			r = fs_write_atomic(AT_FDCWD, cfgpath, text.data, text.len, 0644);
	}
	if (r < 0) {
		(void) buf_appendf(err, "cannot write %s: %s", cfgpath, strerror(-r));
		goto fail;
	}
	return 0;
fail:
	if (mounted)
		(void) umount2(rootfs, MNT_DETACH);
	if (ovl)
		(void) fs_rm_rf_at(AT_FDCWD, ovl);
	return r;
}
