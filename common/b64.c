/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 per RFC 4648 §4 (standard) and §5 (URL-safe), padded or not. Decoding is
 * canonical-only (§3.5: non-zero pad bits refused), so every accepted text has exactly
 * one encoding, which signature and digest code relies on. */
#include "b64.h"

static const char alphabet_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alphabet_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum {
	ALPHA_STD = 1 << 0,
	ALPHA_URL = 1 << 1,
	PAD_REQUIRED = 1 << 2,
	PAD_FORBIDDEN = 1 << 3,
};

static bool variant_valid(enum b64_variant v)
{
	return v == B64_STD || v == B64_STD_NOPAD || v == B64_URL || v == B64_URL_NOPAD;
}

static bool variant_pads(enum b64_variant v)
{
	return v == B64_STD || v == B64_URL;
}

static unsigned variant_flags(enum b64_variant v)
{
	switch (v) {
	case B64_STD:
		return ALPHA_STD | PAD_REQUIRED;
	case B64_STD_NOPAD:
		return ALPHA_STD | PAD_FORBIDDEN;
	case B64_URL:
		return ALPHA_URL | PAD_REQUIRED;
	case B64_URL_NOPAD:
	default:
		return ALPHA_URL | PAD_FORBIDDEN;
	}
}

size_t b64_encoded_len(enum b64_variant v, size_t n)
{
	size_t full = n / 3, rem = n % 3;

	if (full > (SIZE_MAX - 4) / 4)
		return SIZE_MAX;
	if (rem == 0)
		return full * 4;
	return full * 4 + (variant_pads(v) ? 4 : rem + 1);
}

int b64_encode(enum b64_variant v, const void *p, size_t n, struct buf *out)
{
	const char *a;
	const uint8_t *in = p;
	size_t len, i;
	char *o;
	int r;

	if (!variant_valid(v) || (!p && n))
		return -EINVAL;
	a = (v == B64_STD || v == B64_STD_NOPAD) ? alphabet_std : alphabet_url;
	len = b64_encoded_len(v, n);
	if (len == SIZE_MAX)
		return -E2BIG;
	r = buf_reserve(out, len);
	if (r < 0)
		return r;

	o = (char *) out->data + out->len;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];

		*o++ = a[w >> 18 & 63];
		*o++ = a[w >> 12 & 63];
		*o++ = a[w >> 6 & 63];
		*o++ = a[w & 63];
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t) in[i] << 16;

		*o++ = a[w >> 18 & 63];
		*o++ = a[w >> 12 & 63];
		if (variant_pads(v)) {
			*o++ = '=';
			*o++ = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;

		*o++ = a[w >> 18 & 63];
		*o++ = a[w >> 12 & 63];
		*o++ = a[w >> 6 & 63];
		if (variant_pads(v))
			*o++ = '=';
	}
	out->len += len;
	out->data[out->len] = 0;
	return 0;
}

/* Returns the sextet for c, -1 if c is in neither alphabet. *seen collects which
 * alphabet-specific characters ('+/' vs '-_') appeared, to refuse a mixture. */
static int sextet(char c, unsigned *seen)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+':
		*seen |= ALPHA_STD;
		return 62;
	case '/':
		*seen |= ALPHA_STD;
		return 63;
	case '-':
		*seen |= ALPHA_URL;
		return 62;
	case '_':
		*seen |= ALPHA_URL;
		return 63;
	default:
		return -1;
	}
}

/* Validates s[0..n) against flags; on success stores the decoded length and the length
 * of the data part (without '='). Nothing is written. */
static int check(const char *s, size_t n, unsigned flags, size_t *ret_out, size_t *ret_body)
{
	size_t pads = 0, body;

	if (!s && n)
		return -EINVAL;
	while (pads < 2 && pads < n && s[n - 1 - pads] == '=')
		pads++;
	body = n - pads;
	if (pads > 0 && ((flags & PAD_FORBIDDEN) || n % 4 != 0))
		return -EBADMSG;
	if (pads == 0 && (flags & PAD_REQUIRED) && n % 4 != 0)
		return -EBADMSG;
	/* One sextet cannot carry a byte; "x===" already failed above (a third '='
	 * stays in the body and is not in the alphabet). */
	if (body % 4 == 1)
		return -EBADMSG;
	*ret_out = body / 4 * 3 + (body % 4 == 0 ? 0 : body % 4 - 1);
	*ret_body = body;
	return 0;
}

static int decode_into(const char *s, size_t body, unsigned flags, uint8_t *out)
{
	unsigned seen = 0;
	uint32_t acc = 0;
	size_t i, o = 0;

	for (i = 0; i < body; i++) {
		int x = sextet(s[i], &seen);

		if (x < 0)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t) x;
		if (i % 4 == 3) {
			out[o++] = (uint8_t) (acc >> 16);
			out[o++] = (uint8_t) (acc >> 8);
			out[o++] = (uint8_t) acc;
			acc = 0;
		}
	}
	if ((seen & ~flags & (ALPHA_STD | ALPHA_URL)) || seen == (ALPHA_STD | ALPHA_URL))
		return -EBADMSG;
	/* RFC 4648 §3.5: the bits below the last whole byte must be zero, otherwise
	 * several texts would decode to the same bytes. */
	switch (body % 4) {
	case 2:
		if (acc & 0x0f)
			return -EBADMSG;
		out[o++] = (uint8_t) (acc >> 4);
		break;
	case 3:
		if (acc & 0x03)
			return -EBADMSG;
		out[o++] = (uint8_t) (acc >> 10);
		out[o++] = (uint8_t) (acc >> 2);
		break;
	default:
		break;
	}
	return 0;
}

static int decode_buf(const char *s, size_t n, unsigned flags, struct buf *out)
{
	size_t len, body;
	int r;

	r = check(s, n, flags, &len, &body);
	if (r < 0)
		return r;
	r = buf_reserve(out, len);
	if (r < 0)
		return r;
	r = decode_into(s, body, flags, out->data + out->len);
	if (r < 0) {
		/* The caller may be decoding a key into a buffer it wipes only on success
		 * paths: do not leave half of it in the spare capacity. */
		explicit_bzero(out->data + out->len, len);
		out->data[out->len] = 0;
		return r;
	}
	out->len += len;
	out->data[out->len] = 0;
	return 0;
}

int b64_decode(enum b64_variant v, const char *s, size_t n, struct buf *out)
{
	if (!variant_valid(v))
		return -EINVAL;
	return decode_buf(s, n, variant_flags(v), out);
}

int b64_decode_any(const char *s, size_t n, struct buf *out)
{
	return decode_buf(s, n, ALPHA_STD | ALPHA_URL, out);
}

int b64_decode_secret(enum b64_variant v, const char *s, size_t n, struct secret **ret)
{
	_cleanup_secret_ struct secret *sec = NULL;
	size_t len, body;
	int r;

	if (!variant_valid(v) || !ret)
		return -EINVAL;
	r = check(s, n, variant_flags(v), &len, &body);
	if (r < 0)
		return r;
	sec = secret_alloc(len);
	if (!sec)
		return -ENOMEM;
	r = decode_into(s, body, variant_flags(v), sec->p);
	if (r < 0)
		return r;
	*ret = steal_ptr(sec);
	return 0;
}
