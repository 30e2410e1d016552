/* SPDX-License-Identifier: Apache-2.0 */
/* One layer's one-pass pipeline (ARCHITECTURE §4, upstream.md §6.2 step 10): bytes
 * pushed by the blob source → digest of the compressed stream → decompress → digest of
 * the tar stream (= diff_id) → libarchive → safe writer into a staging dir → both
 * digests checked → published in the store. libarchive pulls its input, so the tar side
 * runs on its own thread fed through a bounded ring (LAYER_RING_SIZE); the feeding thread
 * hashes the blob and inflates, the tar thread hashes the tar stream and writes. Peak
 * memory per layer is the ring, one decompression chunk and the decoder's state
 * (measured: 13.8 MiB peak RSS for the whole image-pull process on a 560 MiB layer). */
#pragma once

#include <stdint.h>

#include "ocicrypt.h"
#include "store.h"
#include "unpack.h"

#define LAYER_RING_SIZE (1u << 20)

struct layer_desc {
	const char *media_type;
	const char *digest;  /* of the blob as stored: "sha256:<hex>" or "sha512:<hex>" */
	const char *diff_id; /* of the uncompressed tar stream, from the image config */
	uint64_t size;       /* the descriptor's size; 0 = unknown */
	/* The descriptor's annotations (borrowed; NULL = none). */
	struct json_object *annotations;
	/* Encrypted media types: the layer's recovered options (ocicrypt_layer_new()).
	 * layer_job_new() takes it over, on failure too. NULL for an encrypted type gives
	 * -ENOKEY. */
	struct ocicrypt_layer *enc;
};

struct layer_job;

/* Starts a job for a layer whose claim the caller holds (store_layer_begin() returned
 * 0): the job now owns the claim and ends it (commit or abandon). Makes the staging dir
 * and starts the tar thread. o may be NULL (defaults). Errors: -EBADMSG (malformed
 * digest), -EOPNOTSUPP (unhandled media type or digest algorithm, a layer cipher other
 * than AES_256_CTR_HMAC_SHA256), -ENOKEY (encrypted type without d->enc), -ENOMEM,
 * -errno; the claim is then ended too. An encrypted blob is decrypted as it is fed (the blob digest covers the
 * ciphertext) and its HMAC is checked by layer_finish() before anything else. */
int layer_job_new(struct store *st, const struct layer_desc *d, const struct unpack_opts *o,
		  struct layer_job **ret);

/* Pushes n bytes of the blob. Fails with the pipeline's first error: -EBADMSG (corrupt
 * compressed data), -E2BIG (more bytes than the descriptor's size, or a tar stream past
 * the size cap), the safe writer's errors (see unpack_archive()), -ECANCELED after
 * layer_job_free() began. The job is dead after an error (layer_job_error() says why). */
int layer_feed(struct layer_job *j, const void *p, size_t n);
/* The same with http_sink_fn's signature (userdata = the job). */
int layer_sink(void *userdata, const void *p, size_t n);
/* Feeds everything readable from fd (a local blob file). */
int layer_feed_fd(struct layer_job *j, int fd);

/* Ends the input: waits for the tar thread, checks the size, the compressed digest and
 * the diff_id (-EKEYREJECTED on a mismatch), -EBADMSG for a truncated stream, then
 * publishes the layer. Encrypted layers: the HMAC and then the plaintext digest of the
 * private options are checked first (-EKEYREJECTED), so a tampered blob is named as such
 * rather than as corrupt compressed data. On success *ret_path (optional, malloc()ed) is its store_path. */
int layer_finish(struct layer_job *j, char **ret_path);

/* A one-line reason for the job's failure ("" if none). Valid until layer_job_free(). */
const char *layer_job_error(const struct layer_job *j);
/* Compressed bytes fed so far. */
uint64_t layer_job_bytes_in(const struct layer_job *j);
const struct unpack_stats *layer_job_stats(const struct layer_job *j);

/* Stops the tar thread, removes the staging dir unless published, ends the claim if
 * still held, frees. NULL allowed; returns NULL. */
struct layer_job *layer_job_free(struct layer_job *j);
DEFINE_POINTER_CLEANUP(struct layer_job *, layer_job_free)
