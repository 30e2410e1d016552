/* SPDX-License-Identifier: Apache-2.0 */
/* Local OCI image layout reader (opencontainers image-spec image-layout.md,
 * image-index.md, manifest.md). Only what image-pull's local mode needs: pick one
 * image, verify manifest and config by digest, stream blobs. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "oci-layout.h"

#define OCI_JSON_MAX (4u << 20)
#define OCI_READ_SIZE (256u * 1024u)
/* Nested indexes followed at most this deep. */
#define OCI_MAX_NESTING 4

struct oci_layout {
	int dirfd;
	json_object *held[2 * OCI_MAX_NESTING + 4]; /* parsed documents kept alive */
	size_t n_held;
};

int oci_layout_open(const char *dir, struct oci_layout **ret)
{
	_cleanup_(oci_layout_freep) struct oci_layout *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0)
		return -errno;
	if (faccessat(l->dirfd, "index.json", R_OK, 0) < 0)
		return -errno;
	*ret = steal_ptr(l);
	return 0;
}

struct oci_layout *oci_layout_free(struct oci_layout *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n_held; i++)
		json_object_put(l->held[i]);
	closep(&l->dirfd);
	free(l);
	return NULL;
}

static int blob_path(const char *digest, char **ret)
{
	struct digest_oci d;
	const char *colon = strchr(digest, ':');
	int r = digest_oci_parse(digest, &d);

	if (r < 0)
		return r;
	/* digest_oci_parse() accepted only lowercase hex after a known algorithm: safe as
	 * a path below blobs/. */
	return asprintf(ret, "blobs/%.*s/%s", (int) (colon - digest), digest, colon + 1) < 0
		   ? -ENOMEM
		   : 0;
}

/* Reads a JSON blob, checks its digest, keeps it alive in l. */
static int read_json(struct oci_layout *l, const char *name, const char *digest, json_object **ret,
		     struct buf *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(OCI_JSON_MAX);
	_cleanup_free_ char *path = NULL;
	json_object *j;
	int r;

	if (l->n_held == ELEMENTSOF(l->held))
		return -E2BIG;
	if (digest) {
		r = blob_path(digest, &path);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "malformed digest '%s'", digest);
			return r;
		}
		name = path;
	}
	r = fs_read_file(l->dirfd, name, &b);
	if (r < 0) {
		if (err)
			(void) buf_appendf(err, "cannot read %s", name);
		return r;
	}
	if (digest) {
		r = digest_oci_check(digest, b.data, b.len);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "%s does not match its digest", name);
			return r;
		}
	}
	r = json_parse(buf_str(&b), b.len, OCI_JSON_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r >= 0 && !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		r = -EBADMSG;
	}
	if (r < 0) {
		if (err)
			(void) buf_appendf(err, "%s is not a JSON object", name);
		return r;
	}
	l->held[l->n_held++] = j;
	*ret = j;
	return 0;
}

/* The GOARCH of this machine, as oci-spec's Arch::default() (upstream.md §6.2 step 5). */
static const char *go_arch(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return "";
	if (streq(u.machine, "x86_64"))
		return "amd64";
	if (streq(u.machine, "aarch64"))
		return "arm64";
	if (streq(u.machine, "ppc64le"))
		return "ppc64le";
	return streq(u.machine, "s390x") ? "s390x" : "";
}

static bool is_index(json_object *desc)
{
	const char *mt = NULL;

	(void) json_get_string(desc, "mediaType", &mt);
	return streq_ptr(mt, "application/vnd.oci.image.index.v1+json") ||
	       streq_ptr(mt, "application/vnd.docker.distribution.manifest.list.v2+json");
}

static int pick(json_object *index, const char *ref, bool by_platform, json_object **ret,
		struct buf *err)
{
	json_object *ms;
	size_t n;

	if (json_get_array(index, "manifests", &ms) < 0) {
		if (err)
			(void) buf_append_str(err, "index without manifests");
		return -EBADMSG;
	}
	n = json_object_array_length(ms);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(ms, i), *o;
		const char *v = NULL, *os = NULL, *arch = NULL;

		if (by_platform) {
			if (json_get_object(m, "platform", &o) < 0)
				continue;
			(void) json_get_string(o, "os", &os);
			(void) json_get_string(o, "architecture", &arch);
			if (streq_ptr(os, "linux") && streq_ptr(arch, go_arch())) {
				*ret = m;
				return 0;
			}
		} else if (ref) {
			if (json_get_object(m, "annotations", &o) >= 0 &&
			    json_get_string(o, "org.opencontainers.image.ref.name", &v) >= 0 &&
			    streq(v, ref)) {
				*ret = m;
				return 0;
			}
		}
	}
	if (!by_platform && !ref && n == 1) {
		*ret = json_object_array_get_idx(ms, 0);
		return 0;
	}
	if (err) {
		if (by_platform)
			(void) buf_appendf(err, "no linux/%s image in the index", go_arch());
		else if (ref)
			(void) buf_appendf(err, "no image named '%s' in index.json", ref);
		else
			(void) buf_appendf(err, "index.json lists %zu images: name one as DIR:REF",
					   n);
	}
	return ref || by_platform ? -ENOENT : -EINVAL;
}

int oci_layout_image(struct oci_layout *l, const char *ref, struct oci_layout_image *ret,
		     struct buf *err)
{
	json_object *index, *desc, *manifest, *config;
	const char *digest, *config_digest;
	int r;

	r = read_json(l, "index.json", NULL, &index, err);
	if (r < 0)
		return r;
	r = pick(index, ref, false, &desc, err);
	for (unsigned depth = 0; r >= 0 && is_index(desc); depth++) {
		if (depth == OCI_MAX_NESTING)
			return -E2BIG;
		if (json_get_string(desc, "digest", &digest) < 0)
			return -EBADMSG;
		r = read_json(l, NULL, digest, &index, err);
		if (r >= 0)
			r = pick(index, NULL, true, &desc, err);
	}
	if (r < 0)
		return r;
	if (json_get_string(desc, "digest", &digest) < 0)
		return -EBADMSG;
	r = read_json(l, NULL, digest, &manifest, err);
	if (r < 0)
		return r;
	if (json_get_object(manifest, "config", &config) < 0 ||
	    json_get_string(config, "digest", &config_digest) < 0) {
		if (err)
			(void) buf_append_str(err, "manifest without config digest");
		return -EBADMSG;
	}
	r = read_json(l, NULL, config_digest, &config, err);
	if (r < 0)
		return r;
	*ret = (struct oci_layout_image){ .manifest_digest = digest,
					  .config_digest = config_digest,
					  .manifest = manifest,
					  .config = config };
	return 0;
}

int oci_layout_fetch_blob(void *userdata, const char *digest, uint64_t size, http_sink_fn sink,
			  void *sink_userdata)
{
	struct oci_layout *l = userdata;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *b = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	(void) size; /* the layer job checks the length against the descriptor */
	r = blob_path(digest, &path);
	if (r < 0)
		return r;
	fd = openat(l->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	b = malloc(OCI_READ_SIZE);
	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, b, OCI_READ_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		r = sink(sink_userdata, b, (size_t) n);
		if (r < 0)
			return r;
	}
}
