/* SPDX-License-Identifier: Apache-2.0 */
/* Manifests, indexes and image configs (OCI image-spec manifest.md, image-index.md,
 * config.md; Docker image manifest v2 schema 2), platform selection as GC
 * image-rs/src/pull.rs, layer media types as GC image-rs/src/decoder/mod.rs and
 * decrypt.rs (upstream.md §6.2, §6.3). */
#include <string.h>

#include "common/json-util.h"
#include "image-rs/manifest.h"

enum manifest_kind manifest_kind_from_media_type(const char *mt)
{
	if (!mt)
		return MANIFEST_KIND_UNKNOWN;
	if (streq(mt, MT_OCI_MANIFEST) || streq(mt, MT_DOCKER_MANIFEST))
		return MANIFEST_KIND_IMAGE;
	if (streq(mt, MT_OCI_INDEX) || streq(mt, MT_DOCKER_LIST))
		return MANIFEST_KIND_INDEX;
	return MANIFEST_KIND_UNKNOWN;
}

static void annotations_free(struct manifest_annotation *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].value);
	}
	free(a);
}

static void descriptor_done(struct manifest_descriptor *d)
{
	free(d->media_type);
	annotations_free(d->annotations, d->n_annotations);
	free(d->os);
	free(d->architecture);
	free(d->variant);
	*d = (struct manifest_descriptor){};
}

const char *manifest_descriptor_annotation(const struct manifest_descriptor *d, const char *key)
{
	for (size_t i = 0; i < d->n_annotations; i++)
		if (streq(d->annotations[i].key, key))
			return d->annotations[i].value;
	return NULL;
}

struct manifest *manifest_free(struct manifest *m)
{
	if (!m)
		return NULL;
	free(m->media_type);
	descriptor_done(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_done(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_entries; i++)
		descriptor_done(&m->entries[i]);
	free(m->entries);
	free(m);
	return NULL;
}

/* A string -> string map (annotations, Labels). Absent or null: 0 entries. */
static int parse_string_map(json_object *obj, const char *key, struct manifest_annotation **ret,
			    size_t *ret_n)
{
	json_object *map = NULL;
	struct manifest_annotation *v;
	size_t n = 0;
	int r;

	r = json_get_object_opt(obj, key, &map);
	if (r <= 0)
		return r;
	v = calloc((size_t) json_object_object_length(map) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_object_object_foreach (map, k, val) {
		const char *s;

		if (json_as_string(val, &s) < 0) {
			annotations_free(v, n);
			return -EBADMSG;
		}
		v[n].key = strdup(k);
		v[n].value = strdup(s);
		n++;
		if (!v[n - 1].key || !v[n - 1].value) {
			annotations_free(v, n);
			return -ENOMEM;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int dup_opt_string(json_object *obj, const char *key, char **ret)
{
	const char *s;
	int r;

	r = json_get_string_opt(obj, key, &s);
	if (r <= 0)
		return r == 0 ? 0 : -EBADMSG;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int parse_digest(const char *s, struct digest_oci *d, char *str)
{
	int r = digest_oci_parse(s, d);

	if (r < 0)
		return r == -EOPNOTSUPP ? r : -EBADMSG;
	(void) digest_oci_format(d->alg, d->d, str);
	return 0;
}

static int parse_descriptor(json_object *j, bool entry, struct manifest_descriptor *d)
{
	const char *s;
	json_object *platform = NULL;
	int64_t size;
	int r;

	if (json_as_object(j, &j) < 0)
		return -EBADMSG;
	r = json_get_string_opt(j, "mediaType", &s);
	/* required in OCI descriptors and Docker schema 2 alike */
	if (r <= 0)
		return -EBADMSG;
	d->media_type = strdup(r > 0 ? s : "");
	if (!d->media_type)
		return -ENOMEM;
	if (json_get_string(j, "digest", &s) < 0)
		return -EBADMSG;
	r = parse_digest(s, &d->digest, d->digest_str);
	if (r < 0)
		return r;
	/* image-spec: size is an int64; negative and absurd values are refused */
	if (json_get_int64(j, "size", &size) < 0 || size < 0 ||
	    (uint64_t) size > MANIFEST_MAX_BLOB_SIZE)
		return -EBADMSG;
	d->size = (uint64_t) size;
	r = parse_string_map(j, "annotations", &d->annotations, &d->n_annotations);
	if (r < 0)
		return r;
	if (!entry)
		return 0;
	r = json_get_object_opt(j, "platform", &platform);
	if (r < 0)
		return -EBADMSG;
	if (r == 0)
		return 0;
	if (json_get_string(platform, "os", &s) < 0 ||
	    json_get_string(platform, "architecture", &s) < 0)
		return -EBADMSG;
	r = dup_opt_string(platform, "os", &d->os);
	if (r >= 0)
		r = dup_opt_string(platform, "architecture", &d->architecture);
	if (r >= 0)
		r = dup_opt_string(platform, "variant", &d->variant);
	return r;
}

static int parse_descriptor_array(json_object *j, const char *key, bool entries, size_t max,
				  struct manifest_descriptor **ret, size_t *ret_n)
{
	json_object *a = NULL;
	struct manifest_descriptor *v;
	size_t n;
	int r;

	if (json_get_array(j, key, &a) < 0)
		return -EBADMSG;
	n = json_object_array_length(a);
	if (n > max)
		return -EBADMSG;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* ownership first, so the caller frees whatever was filled in */
	*ret = v;
	for (size_t i = 0; i < n; i++) {
		*ret_n = i + 1;
		r = parse_descriptor(json_object_array_get_idx(a, i), entries, &v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int manifest_parse(const void *data, size_t len, const char *content_type, struct manifest **ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;
	const char *mt = NULL;
	int64_t schema;
	int r;

	if (len > MANIFEST_MAX)
		return -E2BIG;
	r = json_parse(data, len, MANIFEST_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	if (!j || json_as_object(j, &j) < 0)
		return -EBADMSG;
	if (json_get_int64(j, "schemaVersion", &schema) < 0)
		return -EBADMSG;
	if (schema != 2)
		return -EOPNOTSUPP;
	r = json_get_string_opt(j, "mediaType", &mt);
	if (r < 0)
		return -EBADMSG;
	/* The body's mediaType wins; the Content-Type only fills in for a document without
	 * one (registries label manifests inconsistently, application/json among others). */
	if (!mt && content_type) {
		static const char *const known[] = { MT_OCI_MANIFEST, MT_OCI_INDEX,
						     MT_DOCKER_MANIFEST, MT_DOCKER_LIST };
		size_t n = strcspn(content_type, "; \t"); /* drop "; charset=..." */

		for (size_t i = 0; i < ELEMENTSOF(known); i++)
			if (strlen(known[i]) == n && memcmp(known[i], content_type, n) == 0)
				mt = known[i];
	}
	if (!mt) {
		/* OCI allows omitting mediaType: tell an index by its "manifests" member */
		json_object *x;

		mt = json_object_object_get_ex(j, "manifests", &x) ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	}

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->kind = manifest_kind_from_media_type(mt);
	if (m->kind == MANIFEST_KIND_UNKNOWN)
		return -EOPNOTSUPP;
	m->media_type = strdup(mt);
	if (!m->media_type)
		return -ENOMEM;
	if (m->kind == MANIFEST_KIND_INDEX) {
		r = parse_descriptor_array(j, "manifests", true, MANIFEST_MAX_ENTRIES, &m->entries,
					   &m->n_entries);
		if (r < 0)
			return r;
	} else {
		json_object *cfg = NULL;

		if (json_get_object(j, "config", &cfg) < 0)
			return -EBADMSG;
		r = parse_descriptor(cfg, false, &m->config);
		if (r < 0)
			return r;
		if (m->config.size > IMAGE_CONFIG_MAX)
			return -EBADMSG;
		r = parse_descriptor_array(j, "layers", false, MANIFEST_MAX_LAYERS, &m->layers,
					   &m->n_layers);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(m);
	return 0;
}

const char *manifest_go_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__loongarch64)
	return "loong64";
#else
#error "unknown target architecture: add its GOARCH name"
#endif
}

int manifest_select_platform(const struct manifest *m, const char *os, const char *arch,
			     const char *variant, const struct manifest_descriptor **ret)
{
	if (m->kind != MANIFEST_KIND_INDEX)
		return -EINVAL;
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct manifest_descriptor *e = &m->entries[i];

		if (!e->os || !streq(e->os, os) || !e->architecture ||
		    !streq(e->architecture, arch))
			continue;
		if (variant && e->variant && !streq(e->variant, variant))
			continue;
		*ret = e;
		return 0;
	}
	return -ENOENT;
}

static char **strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

struct image_config *image_config_free(struct image_config *c)
{
	if (!c)
		return NULL;
	free(c->os);
	free(c->architecture);
	free(c->variant);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	free(c->diff_id_digests);
	free(c->user);
	free(c->working_dir);
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->volumes);
	strv_free(c->exposed_ports);
	annotations_free(c->labels, c->n_labels);
	free(c->stop_signal);
	free(c);
	return NULL;
}

/* An optional array of strings (absent or null: NULL). */
static int parse_strv(json_object *obj, const char *key, char ***ret)
{
	json_object *a = NULL;
	char **v;
	size_t n;
	int r;

	r = json_get_array_opt(obj, key, &a);
	if (r <= 0)
		return r < 0 ? -EBADMSG : 0;
	n = json_object_array_length(a);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *s;

		if (json_as_string(json_object_array_get_idx(a, i), &s) < 0) {
			strv_free(v);
			return -EBADMSG;
		}
		v[i] = strdup(s);
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* The keys of an optional object whose values are ignored (Volumes, ExposedPorts). */
static int parse_keys(json_object *obj, const char *key, char ***ret)
{
	json_object *o = NULL;
	char **v;
	size_t n = 0;
	int r;

	r = json_get_object_opt(obj, key, &o);
	if (r <= 0)
		return r < 0 ? -EBADMSG : 0;
	v = calloc((size_t) json_object_object_length(o) + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	json_object_object_foreach (o, k, val) {
		(void) val;
		v[n] = strdup(k);
		if (!v[n++]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

int image_config_parse(const void *data, size_t len, struct image_config **ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	json_object *rootfs = NULL, *ids = NULL, *cfg = NULL;
	const char *s;
	size_t n;
	int r;

	if (len > IMAGE_CONFIG_MAX)
		return -E2BIG;
	r = json_parse(data, len, IMAGE_CONFIG_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	if (!j || json_as_object(j, &j) < 0)
		return -EBADMSG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (json_get_string(j, "os", &s) < 0 || json_get_string(j, "architecture", &s) < 0)
		return -EBADMSG;
	r = dup_opt_string(j, "os", &c->os);
	if (r >= 0)
		r = dup_opt_string(j, "architecture", &c->architecture);
	if (r >= 0)
		r = dup_opt_string(j, "variant", &c->variant);
	if (r < 0)
		return r;

	if (json_get_object(j, "rootfs", &rootfs) < 0 || json_get_string(rootfs, "type", &s) < 0 ||
	    !streq(s, "layers") || json_get_array(rootfs, "diff_ids", &ids) < 0)
		return -EBADMSG;
	n = json_object_array_length(ids);
	if (n > MANIFEST_MAX_LAYERS)
		return -E2BIG;
	c->diff_ids = calloc(n + 1, sizeof(char *));
	c->diff_id_digests = calloc(n + 1, sizeof(*c->diff_id_digests));
	if (!c->diff_ids || !c->diff_id_digests)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char str[DIGEST_OCI_STRING_MAX];

		if (json_as_string(json_object_array_get_idx(ids, i), &s) < 0)
			return -EBADMSG;
		r = parse_digest(s, &c->diff_id_digests[i], str);
		if (r < 0)
			return r;
		c->diff_ids[i] = strdup(s);
		if (!c->diff_ids[i])
			return -ENOMEM;
		c->n_diff_ids = i + 1;
	}

	r = json_get_object_opt(j, "config", &cfg);
	if (r < 0)
		return -EBADMSG;
	if (r > 0) {
		r = dup_opt_string(cfg, "User", &c->user);
		if (r >= 0)
			r = dup_opt_string(cfg, "WorkingDir", &c->working_dir);
		if (r >= 0)
			r = dup_opt_string(cfg, "StopSignal", &c->stop_signal);
		if (r >= 0)
			r = parse_strv(cfg, "Env", &c->env);
		if (r >= 0)
			r = parse_strv(cfg, "Entrypoint", &c->entrypoint);
		if (r >= 0)
			r = parse_strv(cfg, "Cmd", &c->cmd);
		if (r >= 0)
			r = parse_keys(cfg, "Volumes", &c->volumes);
		if (r >= 0)
			r = parse_keys(cfg, "ExposedPorts", &c->exposed_ports);
		if (r >= 0)
			r = parse_string_map(cfg, "Labels", &c->labels, &c->n_labels);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(c);
	return 0;
}

int manifest_check_config(const struct manifest *m, const struct image_config *c)
{
	if (m->kind != MANIFEST_KIND_IMAGE)
		return -EINVAL;
	if (m->n_layers != c->n_diff_ids)
		return -EBADMSG;
	return 0;
}

int manifest_layer_media_type(const char *mt, enum layer_compression *ret_compression,
			      bool *ret_encrypted)
{
	static const struct {
		const char *type;
		enum layer_compression c;
		bool encrypted;
	} table[] = {
		{ "application/vnd.oci.image.layer.v1.tar", LAYER_COMPRESSION_NONE, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", LAYER_COMPRESSION_NONE,
		  false },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", LAYER_COMPRESSION_GZIP, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		  LAYER_COMPRESSION_GZIP, false },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER_COMPRESSION_GZIP,
		  false },
		{ "application/vnd.docker.image.rootfs.diff.tar", LAYER_COMPRESSION_NONE, false },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", LAYER_COMPRESSION_ZSTD, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		  LAYER_COMPRESSION_ZSTD, false },
		{ "application/vnd.oci.image.layer.v1.tar+encrypted", LAYER_COMPRESSION_NONE,
		  true },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+encrypted",
		  LAYER_COMPRESSION_NONE, true },
		{ "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", LAYER_COMPRESSION_GZIP,
		  true },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted",
		  LAYER_COMPRESSION_GZIP, true },
		{ "application/vnd.oci.image.layer.v1.tar+zstd+encrypted", LAYER_COMPRESSION_ZSTD,
		  true },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd+encrypted",
		  LAYER_COMPRESSION_ZSTD, true },
	};

	for (size_t i = 0; mt && i < ELEMENTSOF(table); i++)
		if (streq(mt, table[i].type)) {
			if (ret_compression)
				*ret_compression = table[i].c;
			if (ret_encrypted)
				*ret_encrypted = table[i].encrypted;
			return 0;
		}
	return -EOPNOTSUPP;
}
