/* SPDX-License-Identifier: Apache-2.0 */
/* Push-style streaming decompression of image layers: gzip (isa-l igzip, multi-member),
 * zstd and none, chosen by the layer's media type (upstream.md §6.3, image-rs
 * decoder/mod.rs and decrypt.rs). The caller pushes compressed bytes as they arrive and
 * gets the decompressed stream back through a callback in chunks of at most
 * DECOMP_CHUNK_MAX bytes, so memory stays bounded whatever the layer size. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

enum decomp_kind {
	DECOMP_NONE,
	DECOMP_GZIP,
	DECOMP_ZSTD,
	_DECOMP_KIND_MAX,
};

/* Largest piece handed to the output callback. */
#define DECOMP_CHUNK_MAX (128u * 1024u)

/* Maps a layer media type to its compression, as a pure function of the string.
 * ocicrypt's "+encrypted" types map to the compression of their plaintext
 * (`...tar+encrypted` → none, `...tar+gzip+encrypted` → gzip) with *ret_encrypted set.
 * Docker's uncompressed `application/vnd.docker.image.rootfs.diff.tar` is accepted as
 * none (upstream refuses it; issue 5 asks for it). `+zstd+encrypted` is not
 * recognised, as upstream. Returns -EOPNOTSUPP ("unhandled media type") for anything
 * else, -EINVAL for NULL. ret_encrypted may be NULL. */
int decomp_from_media_type(const char *media_type, enum decomp_kind *ret, bool *ret_encrypted);

/* Upstream's serde names of the decoder in LayerMeta: "Uncompressed", "Gzip", "Zstd". */
const char *decomp_kind_to_string(enum decomp_kind k);
/* The inverse; -EBADMSG for an unknown name. */
int decomp_kind_from_string(const char *s, enum decomp_kind *ret);

/* Receives decompressed bytes (n ≥ 1, n ≤ DECOMP_CHUNK_MAX). A negative return stops
 * the stream and is returned unchanged by decomp_push()/decomp_finish(). */
typedef int (*decomp_out_fn)(void *userdata, const void *p, size_t n);

struct decomp;

/* Creates a decoder; -ENOMEM. The callback and userdata are kept for its lifetime. */
int decomp_new(enum decomp_kind k, decomp_out_fn out, void *userdata, struct decomp **ret);
/* Decodes n bytes of input. -EBADMSG on corrupt input (bad header, bad deflate data, CRC
 * or size mismatch, a zstd frame error, bytes after the last gzip member that are neither
 * a new member nor zero padding), -ENOMEM, or the callback's error. After an error the
 * decoder refuses further input with the same error. */
int decomp_push(struct decomp *d, const void *p, size_t n);
/* Ends the input. -EBADMSG when the stream is truncated (inside a gzip member or zstd
 * frame, or no complete gzip member / zstd frame at all), else 0. */
int decomp_finish(struct decomp *d);
/* Bytes consumed and produced so far. */
uint64_t decomp_bytes_in(const struct decomp *d);
uint64_t decomp_bytes_out(const struct decomp *d);
/* Frees d (NULL allowed); returns NULL. */
struct decomp *decomp_free(struct decomp *d);
DEFINE_POINTER_CLEANUP(struct decomp *, decomp_free)
