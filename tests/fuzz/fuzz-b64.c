/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 decoding is canonical: whatever a variant accepts must re-encode to exactly
 * the input, b64_decode_any() must agree with it, and the secret path must yield the
 * same bytes. Any disagreement aborts. */
#include <stdio.h>

#include "common/b64.h"

static const enum b64_variant variants[] = { B64_STD, B64_STD_NOPAD, B64_URL, B64_URL_NOPAD };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf any = BUF_INIT(1 << 20);
	const char *s = (const char *) data;
	bool any_ok, matched = false;
	int r;

	r = b64_decode_any(s, size, &any);
	if (r < 0 && r != -EBADMSG && r != -E2BIG)
		abort();
	any_ok = r >= 0;

	for (size_t k = 0; k < ELEMENTSOF(variants); k++) {
		_cleanup_(buf_done) struct buf dec = BUF_INIT(1 << 20), enc = BUF_INIT(2 << 20);
		_cleanup_secret_ struct secret *sec = NULL;

		r = b64_decode(variants[k], s, size, &dec);
		if (r == -EBADMSG || r == -E2BIG) {
			if (dec.len != 0)
				abort();
			if (b64_decode_secret(variants[k], s, size, &sec) >= 0 && r == -EBADMSG)
				abort();
			continue;
		}
		if (r < 0 || !any_ok || any.len != dec.len ||
		    memcmp(buf_str(&any), buf_str(&dec), dec.len))
			abort();
		if (b64_encode(variants[k], dec.data, dec.len, &enc) < 0)
			abort();
		if (enc.len != size || memcmp(buf_str(&enc), s, size) != 0)
			abort();
		if (b64_decode_secret(variants[k], s, size, &sec) < 0 || sec->n != dec.len ||
		    (sec->n && memcmp(sec->p, dec.data, sec->n) != 0))
			abort();
		matched = true;
	}
	/* decode_any only widens the alphabet and makes padding optional: anything it
	 * takes is one of the four canonical forms. */
	if (any_ok && !matched)
		abort();
	return 0;
}
