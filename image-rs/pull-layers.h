/* SPDX-License-Identifier: Apache-2.0 */
/* Pulls an image's layers into the store (upstream.md §6.2 steps 8-11): diff_ids
 * matched to manifest layers, duplicate layers fetched once, layers already in the
 * store reused, the rest fetched from a blob source and unpacked concurrently (bounded,
 * default 3 as max_concurrent_layer_downloads_per_image), then the ImageMeta recorded.
 * The blob source is a function pointer: a local OCI layout now, the registry client
 * later. */
#pragma once

#include <stdint.h>

#include <json.h>

#include "common/http.h"
#include "layer.h"
#include "store.h"

#define PULL_DEFAULT_CONCURRENCY 3u

/* Streams the blob `digest` (size bytes if known, else 0) to sink(sink_userdata, ...).
 * Returns 0 or -errno (a sink's negative return must be passed back unchanged). */
typedef int (*pull_blob_fn)(void *userdata, const char *digest, uint64_t size, http_sink_fn sink,
			    void *sink_userdata);
/* Progress: compressed bytes fed so far and the total of the layers being fetched. */
typedef void (*pull_progress_fn)(void *userdata, uint64_t done, uint64_t total);

/* What an image is made of, borrowed from the parsed manifest and config (both already
 * verified against their digests by whoever fetched them). */
struct pull_image {
	const char *reference;       /* recorded in ImageMeta */
	const char *manifest_digest; /* ImageMeta.digest */
	const char *config_digest;   /* ImageMeta.id, the image_db key */
	json_object *manifest;       /* OCI/Docker image manifest */
	json_object *config;         /* image config (rootfs.diff_ids) */
};

struct pull_opts {
	unsigned concurrency; /* 0: PULL_DEFAULT_CONCURRENCY */
	struct unpack_opts unpack;
	pull_progress_fn progress;
	void *progress_userdata;
	/* The calling thread's text for the blob source's last failure ("" or NULL: none),
	 * put into the error message of a failed fetch; NULL: strerror only. */
	const char *(*fetch_error)(void);
	/* Keys for encrypted layers (borrowed; NULL = none: such layers fail -ENOKEY). */
	const struct ocicrypt_config *decrypt;
};

struct pull_result {
	size_t layers;   /* in the manifest */
	size_t unpacked; /* fetched and unpacked by this call */
	size_t reused;   /* already in the store (or unpacked by a concurrent pull) */
	bool cached;     /* image_db already had the image: nothing done */
	uint64_t bytes;  /* compressed bytes fetched */
};

void pull_opts_default(struct pull_opts *o);

/* Pulls and records the image. On failure *err (if non-NULL) gets a one-line reason
 * naming the layer; nothing of a failed layer stays in the store (layers that finished
 * before the failure stay, shared and recorded, as upstream's do). Errors: -EBADMSG
 * (manifest/config malformed, diff_ids count differs from the layers), the blob
 * source's and layer_*()'s errors. */
int pull_layers(struct store *st, const struct pull_image *img, pull_blob_fn fetch,
		void *fetch_userdata, const struct pull_opts *o, struct pull_result *ret,
		struct buf *err);
