/* SPDX-License-Identifier: Apache-2.0 */
/* A local OCI image layout directory (image-spec image-layout.md: oci-layout,
 * index.json, blobs/<alg>/<hex>) as made by `umoci` or `skopeo copy ... oci:DIR` — a blob
 * source for pull_layers() and the manifest/config of one image in it. */
#pragma once

#include <json.h>

#include "common/buf.h"
#include "common/http.h"
#include "common/macro.h"

struct oci_layout;

/* Opens dir (must hold index.json). -ENOENT, -errno. */
int oci_layout_open(const char *dir, struct oci_layout **ret);
struct oci_layout *oci_layout_free(struct oci_layout *l);
DEFINE_POINTER_CLEANUP(struct oci_layout *, oci_layout_free)

/* An image selected from index.json. Strings and objects belong to the layout (one
 * image per oci_layout). */
struct oci_layout_image {
	const char *manifest_digest;
	const char *config_digest;
	json_object *manifest;
	json_object *config;
};

/* Selects the manifest named ref (annotation org.opencontainers.image.ref.name) or, when
 * ref is NULL, the only one; a nested index is resolved to the first linux entry of this
 * machine's architecture. Manifest and config are read (4 MiB cap each) and checked
 * against their digests. Errors: -ENOENT (no such ref), -EINVAL (ref needed),
 * -EKEYREJECTED (digest mismatch), -EBADMSG, -E2BIG; *err (optional) says which. */
int oci_layout_image(struct oci_layout *l, const char *ref, struct oci_layout_image *ret,
		     struct buf *err);

/* pull_blob_fn: streams blobs/<alg>/<hex> to sink in 256 KiB pieces. -ENOENT for a
 * missing blob, -EBADMSG for a malformed digest, the sink's error unchanged. */
int oci_layout_fetch_blob(void *userdata, const char *digest, uint64_t size, http_sink_fn sink,
			  void *sink_userdata);
