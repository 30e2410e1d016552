/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 (RFC 4648) in the standard and URL-safe alphabets, with and without '='
 * padding: upstream uses all four (evidence fields std, JOSE url-nopad, ...). */
#pragma once

#include <stdint.h>

#include "buf.h"
#include "secret.h"

enum b64_variant {
	B64_STD,       /* +/ with padding */
	B64_STD_NOPAD, /* +/ without padding */
	B64_URL,       /* -_ with padding */
	B64_URL_NOPAD, /* -_ without padding (JOSE) */
};

/* Appends the encoding of p[0..n) to out. */
int b64_encode(enum b64_variant v, const void *p, size_t n, struct buf *out);
/* Appends the decoding of s[0..n) to out. Strict: characters outside the variant's
 * alphabet, bad padding, or non-zero trailing bits give -EBADMSG. The _PAD variants
 * require padding; the NOPAD variants refuse it. */
int b64_decode(enum b64_variant v, const char *s, size_t n, struct buf *out);

/* Lenient in the alphabet only, for peers that are not consistent about it (ocicrypt
 * annotations, JWKs written by hand): accepts the standard or the URL-safe alphabet
 * (one of them, not mixed), with complete padding or none. Everything else is as strict
 * as b64_decode(): -EBADMSG for stray characters, whitespace, partial padding, a
 * dangling sextet or non-zero trailing bits. */
int b64_decode_any(const char *s, size_t n, struct buf *out);

/* Decodes straight into a fresh struct secret, so key material never passes through an
 * unwiped buffer. On success *ret owns it (free with secret_free()); on failure
 * (-EBADMSG as b64_decode(), -ENOMEM) *ret is untouched and nothing is left behind. */
int b64_decode_secret(enum b64_variant v, const char *s, size_t n, struct secret **ret);

/* Length of the encoding of n bytes (without a NUL); SIZE_MAX if it would overflow. */
size_t b64_encoded_len(enum b64_variant v, size_t n);
