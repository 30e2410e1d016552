/* SPDX-License-Identifier: Apache-2.0 */
/* Local OCI image layout reader (opencontainers image-spec image-layout.md,
 * image-index.md, manifest.md). Only what image-pull's local mode needs: pick one
 * image, verify manifest and config by digest, stream blobs. */
#include <fcntl.h>
#include <stdio.h>

#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "manifest.h"
#include "oci-layout.h"

#define OCI_JSON_MAX (4u << 20)
#define OCI_READ_SIZE (256u * 1024u)
/* Nested indexes followed at most this deep. */
#define OCI_MAX_NESTING 4

struct oci_layout {
	int dirfd;
	json_object *held[4]; /* parsed documents kept alive */
	size_t n_held;
	char manifest_digest[DIGEST_OCI_STRING_MAX];
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

/* Reads index.json (digest NULL) or a blob, checked against its digest, into b. */
static int read_blob(struct oci_layout *l, const char *name, const char *digest, struct buf *b,
		     struct buf *err)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (digest) {
		r = blob_path(digest, &path);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "malformed digest '%s'", digest);
			return r;
		}
		name = path;
	}
	r = fs_read_file(l->dirfd, name, b);
	if (r < 0) {
		if (err)
			(void) buf_appendf(err, "cannot read %s", name);
		return r;
	}
	if (digest) {
		r = digest_oci_check(digest, b->data, b->len);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "%s does not match its digest", name);
			return r;
		}
	}
	return 0;
}

/* Reads a JSON blob, checks its digest, keeps it alive in l. */
static int read_json(struct oci_layout *l, const char *digest, json_object **ret, struct buf *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(OCI_JSON_MAX);
	json_object *j;
	int r;

	if (l->n_held == ELEMENTSOF(l->held))
		return -E2BIG;
	r = read_blob(l, NULL, digest, &b, err);
	if (r < 0)
		return r;
	r = json_parse(buf_str(&b), b.len, OCI_JSON_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r >= 0 && !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		r = -EBADMSG;
	}
	if (r < 0) {
		if (err)
			(void) buf_appendf(err, "%s is not a JSON object", digest);
		return r;
	}
	l->held[l->n_held++] = j;
	*ret = j;
	return 0;
}

/* Reads and parses an index: index.json (digest NULL) or a nested one. */
static int read_index(struct oci_layout *l, const char *digest, struct manifest **ret,
		      struct buf *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(OCI_JSON_MAX);
	const char *name = digest ? digest : "index.json";
	int r;

	r = read_blob(l, "index.json", digest, &b, err);
	if (r < 0)
		return r;
	r = manifest_parse(b.data, b.len, MT_OCI_INDEX, ret);
	if (r >= 0 && (*ret)->kind != MANIFEST_KIND_INDEX) {
		*ret = manifest_free(*ret);
		r = -EBADMSG;
	}
	if (r < 0 && err)
		(void) buf_appendf(err, "%s is not an image index", name);
	return r;
}

/* The entry of index.json named ref (org.opencontainers.image.ref.name), or the only one. */
static int pick(const struct manifest *index, const char *ref,
		const struct manifest_descriptor **ret, struct buf *err)
{
	for (size_t i = 0; ref && i < index->n_entries; i++)
		if (streq_ptr(manifest_descriptor_annotation(&index->entries[i],
							     "org.opencontainers.image.ref.name"),
			      ref)) {
			*ret = &index->entries[i];
			return 0;
		}
	if (!ref && index->n_entries == 1) {
		*ret = &index->entries[0];
		return 0;
	}
	if (err) {
		if (ref)
			(void) buf_appendf(err, "no image named '%s' in index.json", ref);
		else
			(void) buf_appendf(err, "index.json lists %zu images: name one as DIR:REF",
					   index->n_entries);
	}
	return ref ? -ENOENT : -EINVAL;
}

int oci_layout_image(struct oci_layout *l, const char *ref, struct oci_layout_image *ret,
		     struct buf *err)
{
	_cleanup_(manifest_freep) struct manifest *index = NULL;
	const struct manifest_descriptor *desc;
	json_object *manifest, *config;
	const char *config_digest;
	int r;

	r = read_index(l, NULL, &index, err);
	if (r < 0)
		return r;
	r = pick(index, ref, &desc, err);
	/* A nested index: this machine's linux entry, as a registry pull picks it. */
	for (unsigned depth = 0;
	     r >= 0 && manifest_kind_from_media_type(desc->media_type) == MANIFEST_KIND_INDEX;
	     depth++) {
		struct manifest *nested = NULL;

		if (depth == OCI_MAX_NESTING)
			return -E2BIG;
		r = read_index(l, desc->digest_str, &nested, err);
		if (r < 0)
			return r;
		manifest_free(index);
		index = nested;
		r = manifest_select_platform(index, "linux", manifest_go_arch(), NULL, &desc);
		if (r < 0 && err)
			(void) buf_appendf(err, "no linux/%s image in the index",
					   manifest_go_arch());
	}
	if (r < 0)
		return r;
	memcpy(l->manifest_digest, desc->digest_str, sizeof(l->manifest_digest));
	r = read_json(l, l->manifest_digest, &manifest, err);
	if (r < 0)
		return r;
	if (json_get_object(manifest, "config", &config) < 0 ||
	    json_get_string(config, "digest", &config_digest) < 0) {
		if (err)
			(void) buf_append_str(err, "manifest without config digest");
		return -EBADMSG;
	}
	r = read_json(l, config_digest, &config, err);
	if (r < 0)
		return r;
	*ret = (struct oci_layout_image){ .manifest_digest = l->manifest_digest,
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
