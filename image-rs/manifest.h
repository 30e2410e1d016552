/* SPDX-License-Identifier: Apache-2.0 */
/* OCI image-spec and Docker v2 schema 2 manifests, indexes / manifest lists and image
 * configs (OCI-CLIENT src/manifest.rs, oci-spec's ImageConfiguration), platform selection
 * as upstream's current_platform_resolver, and the layer media-type table of upstream.md
 * §6.3. Parsing is strict: every digest well-formed, sizes bounded, diff_ids matching. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/macro.h"

#define MANIFEST_MAX (4u << 20)
#define IMAGE_CONFIG_MAX (4u << 20)
#define MANIFEST_MAX_LAYERS 1024
#define MANIFEST_MAX_ENTRIES 1024
/* Largest size a descriptor may claim: anything past this is a lie or an attack. */
#define MANIFEST_MAX_BLOB_SIZE (UINT64_C(1) << 46)

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
/* upstream's Accept header for manifests, in its order (upstream.md §6.2 step 5) */
#define MANIFEST_ACCEPT                                                                            \
	MT_DOCKER_MANIFEST ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_OCI_INDEX

enum manifest_kind {
	MANIFEST_KIND_UNKNOWN,
	MANIFEST_KIND_IMAGE, /* OCI image manifest or Docker schema 2 manifest */
	MANIFEST_KIND_INDEX, /* OCI index or Docker manifest list */
};

/* Which kind a manifest media type names; UNKNOWN for anything else (schema 1 too). */
enum manifest_kind manifest_kind_from_media_type(const char *mt);

struct manifest_annotation {
	char *key, *value;
};

struct manifest_descriptor {
	char *media_type; /* never NULL */
	struct digest_oci digest;
	char digest_str[DIGEST_OCI_STRING_MAX];
	uint64_t size;
	struct manifest_annotation *annotations; /* in document order */
	size_t n_annotations;
	/* index entries only; NULL when absent */
	char *os, *architecture, *variant;
};

/* The value of annotation key, or NULL. */
const char *manifest_descriptor_annotation(const struct manifest_descriptor *d, const char *key);

struct manifest {
	enum manifest_kind kind;
	char *media_type; /* as declared or implied */
	/* IMAGE */
	struct manifest_descriptor config;
	struct manifest_descriptor *layers;
	size_t n_layers;
	/* INDEX */
	struct manifest_descriptor *entries;
	size_t n_entries;
};

/* Parses a manifest or index. The document's mediaType decides; content_type (the
 * response's Content-Type, may be NULL) only fills in for a document without one, and
 * without either an OCI document is told apart by its "manifests" member. Requires
 * schemaVersion 2. -EBADMSG for malformed JSON, a missing or malformed member (mediaType,
 * digest and size of every descriptor; os and architecture of a platform), a bad digest,
 * a size past MANIFEST_MAX_BLOB_SIZE (config: IMAGE_CONFIG_MAX), more than
 * MANIFEST_MAX_LAYERS layers / MANIFEST_MAX_ENTRIES entries; -EOPNOTSUPP for an unknown
 * manifest media type (schema 1 included) or a digest algorithm we do not hash; -E2BIG
 * past MANIFEST_MAX; -ENOMEM. */
int manifest_parse(const void *data, size_t len, const char *content_type, struct manifest **ret);
struct manifest *manifest_free(struct manifest *m);
DEFINE_POINTER_CLEANUP(struct manifest *, manifest_free)

/* The Go architecture name (GOARCH) of the machine this was built for, as oci-spec's
 * Arch::default(): amd64, arm64, arm, 386, ppc64le, s390x, riscv64, loong64. */
const char *manifest_go_arch(void);

/* First entry of an index with platform.os == os and platform.architecture == arch
 * (upstream's current_platform_resolver). Upstream ignores the variant; so does this
 * unless variant is non-NULL, in which case an entry whose variant is set and differs
 * is skipped (an entry without variant still matches). -ENOENT when none matches,
 * -EINVAL when m is not an index. */
int manifest_select_platform(const struct manifest *m, const char *os, const char *arch,
			     const char *variant, const struct manifest_descriptor **ret);

struct image_config {
	char *os, *architecture, *variant; /* os and architecture required */
	char **diff_ids;                   /* rootfs.diff_ids, as written */
	struct digest_oci *diff_id_digests;
	size_t n_diff_ids;
	/* config.* (all optional; NULL / 0 when absent). String lists are NULL-terminated. */
	char *user, *working_dir;
	char **env, **entrypoint, **cmd, **volumes; /* volumes: the keys of config.Volumes */
	struct manifest_annotation *labels;
	size_t n_labels;
	char **exposed_ports, *stop_signal;
};

/* Parses an OCI / Docker image config. -EBADMSG (malformed, rootfs.type not "layers",
 * a diff_id that is not a digest), -EOPNOTSUPP (digest algorithm), -E2BIG past
 * IMAGE_CONFIG_MAX or MANIFEST_MAX_LAYERS diff_ids, -ENOMEM. */
int image_config_parse(const void *data, size_t len, struct image_config **ret);
struct image_config *image_config_free(struct image_config *c);
DEFINE_POINTER_CLEANUP(struct image_config *, image_config_free)

/* The checks upstream makes between manifest and config: as many diff_ids as layers
 * (-EBADMSG "Pulled number of layers mismatch with image config diff_ids"). */
int manifest_check_config(const struct manifest *m, const struct image_config *c);

enum layer_compression {
	LAYER_COMPRESSION_NONE,
	LAYER_COMPRESSION_GZIP,
	LAYER_COMPRESSION_ZSTD,
};

/* The layer media-type table (upstream.md §6.3): compression and whether the blob is
 * ocicrypt-encrypted (the decrypted stream then has the type without "+encrypted").
 * -EOPNOTSUPP ("unhandled media type") for anything else. Beyond upstream, as the image
 * issue asks: Docker's uncompressed "...rootfs.diff.tar" is accepted, and
 * "+zstd+encrypted" (defined by ocicrypt's spec) maps to zstd. */
int manifest_layer_media_type(const char *mt, enum layer_compression *ret_compression,
			      bool *ret_encrypted);
