/* SPDX-License-Identifier: Apache-2.0 */
/* Bulk hashing and HMAC (SHA-256/384/512, and SM3 (GB/T 32905) for init-data and the CSV
 * event log) on nettle, whose fat build picks SHA-NI or the ARMv8 SHA2 instructions at run
 * time (ARCHITECTURE §5). Also the OCI digest string
 * "<alg>:<hex>" (image-spec descriptor.md) and a constant-time compare. The contexts are
 * plain structs sized here so callers can embed them; nettle's types stay in digest.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

enum digest_alg {
	DIGEST_SHA256,
	DIGEST_SHA384,
	DIGEST_SHA512,
	DIGEST_SM3,
	_DIGEST_ALG_MAX,
};

#define DIGEST_MAX_SIZE 64
#define DIGEST_MAX_BLOCK_SIZE 128
/* "sha512:" + 128 hex digits + NUL */
#define DIGEST_OCI_STRING_MAX (7 + 2 * DIGEST_MAX_SIZE + 1)

/* Opaque storage for nettle's contexts; digest.c checks at compile time that they fit. */
struct digest_ctx {
	enum digest_alg alg;
	_Alignas(16) uint8_t state[224];
};

struct digest_hmac_ctx {
	enum digest_alg alg;
	_Alignas(16) uint8_t state[688];
};

/* "sha256", "sha384", "sha512", "sm3"; NULL for an invalid value. */
const char *digest_alg_to_string(enum digest_alg a);
/* Exact lowercase names as in initdata and kbs_types' HashAlgorithm; -EOPNOTSUPP for
 * anything else. */
int digest_alg_from_string(const char *s, enum digest_alg *ret);
/* The same, ignoring ASCII case (KBS's "selected-hash-algorithm" is matched that way). */
int digest_alg_from_string_ci(const char *s, enum digest_alg *ret);
/* Output and block sizes in bytes; 0 for an invalid value. */
size_t digest_size(enum digest_alg a);
size_t digest_block_size(enum digest_alg a);

/* Streaming hash. The context holds no heap memory: no cleanup is needed, and a context
 * may be copied to fork a running hash. digest_final() writes digest_size() bytes,
 * returns that size and leaves the context re-initialised for the same algorithm. An
 * invalid alg is a programmer error (assert). */
void digest_init(struct digest_ctx *c, enum digest_alg a);
void digest_update(struct digest_ctx *c, const void *p, size_t n);
size_t digest_final(struct digest_ctx *c, uint8_t *out);
size_t digest_buf(enum digest_alg a, const void *p, size_t n, uint8_t *out);

/* HMAC (RFC 2104) over the same hashes. Any key length. digest_hmac_final() writes
 * digest_size() bytes and wipes the context (it holds key-derived state). */
void digest_hmac_init(struct digest_hmac_ctx *c, enum digest_alg a, const void *key, size_t klen);
void digest_hmac_update(struct digest_hmac_ctx *c, const void *p, size_t n);
size_t digest_hmac_final(struct digest_hmac_ctx *c, uint8_t *out);
size_t digest_hmac(enum digest_alg a, const void *key, size_t klen, const void *p, size_t n,
		   uint8_t *out);
/* Wipes a context that will not be finalised (an aborted stream). */
void digest_hmac_wipe(struct digest_hmac_ctx *c);

/* SHA-1, only for names that are defined by it (OpenPGP v4 key fingerprints, RFC 4880
 * §12.2); never for a signature or a content digest. Writes DIGEST_SHA1_SIZE bytes. */
#define DIGEST_SHA1_SIZE 20
void digest_sha1(const void *p, size_t n, uint8_t out[DIGEST_SHA1_SIZE]);

/* Constant-time equality of two n-byte strings (time depends on n only). */
bool digest_equal(const void *a, const void *b, size_t n);

/* Writes 2n lowercase hex digits and a NUL to out (2n+1 bytes); returns out. */
char *digest_hex(const uint8_t *p, size_t n, char *out);
/* Decodes exactly 2n lowercase hex digits of s into out. -EBADMSG on any other length,
 * uppercase or non-hex character. */
int digest_unhex(const char *s, size_t slen, uint8_t *out, size_t n);

/* A parsed OCI digest. */
struct digest_oci {
	enum digest_alg alg;
	uint8_t d[DIGEST_MAX_SIZE];
};

/* Parses "<alg>:<hex>". Strict: the algorithm must be a SHA-2 one we hash (-EOPNOTSUPP for
 * a well-formed but unknown one such as "sha512+b64u", "blake3" or "sm3", which no OCI
 * implementation upstream uses accepts), the hex lowercase and of
 * exactly the algorithm's length; anything else is -EBADMSG. */
int digest_oci_parse(const char *s, struct digest_oci *ret);
/* Writes "<alg>:<hex>" into out (DIGEST_OCI_STRING_MAX bytes); returns out. */
char *digest_oci_format(enum digest_alg a, const uint8_t *d, char *out);
/* Finalises c (which must have been started with want->alg, else -EINVAL) and compares in
 * constant time: 0 on match, -EKEYREJECTED on mismatch. */
int digest_oci_verify(const struct digest_oci *want, struct digest_ctx *c);
/* One-shot: parses the digest string s and checks p[0..n) against it. Errors as
 * digest_oci_parse(), then -EKEYREJECTED on mismatch. */
int digest_oci_check(const char *s, const void *p, size_t n);
