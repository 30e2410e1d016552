/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 (RFC 4648) in the standard and URL-safe alphabets, with and without '='
 * padding: upstream uses all four (evidence fields std, JOSE url-nopad, ...). */
#pragma once

#include <stdint.h>

#include "buf.h"

enum b64_variant {
	B64_STD,	/* +/ with padding */
	B64_STD_NOPAD,	/* +/ without padding */
	B64_URL,	/* -_ with padding */
	B64_URL_NOPAD,	/* -_ without padding (JOSE) */
};

/* Appends the encoding of p[0..n) to out. */
int b64_encode(enum b64_variant v, const void *p, size_t n, struct buf *out);
/* Appends the decoding of s[0..n) to out. Strict: characters outside the variant's
 * alphabet, bad padding, or non-zero trailing bits give -EBADMSG. The _PAD variants
 * require padding; the NOPAD variants refuse it. */
int b64_decode(enum b64_variant v, const char *s, size_t n, struct buf *out);
