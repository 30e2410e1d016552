/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 canonical JSON writer over a json-c tree. Numbers follow ECMA-262
 * Number::toString: the shortest digit string that reads back as the same double is
 * found by trying 1..17 significant digits with the C library's correctly rounded
 * printf/strtod, then laid out per the ECMAScript rules. */
#include <math.h>
#include <stdio.h>

#include "jcs.h"

/* Reads the k significant digits and the decimal exponent of x's correctly rounded
 * k-digit form. Any character that is not a digit before the 'e' (the decimal point,
 * whatever the locale makes it) is skipped. */
static int nearest_digits(double x, int k, char *digits, int *ret_e10)
{
	char tmp[64];
	int len, nd = 0;
	const char *p;

	len = snprintf(tmp, sizeof(tmp), "%.*e", k - 1, x);
	if (len < 0 || (size_t) len >= sizeof(tmp))
		return -EINVAL;
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < k)
			digits[nd++] = *p;
	if (*p != 'e' || nd != k)
		return -EINVAL;
	*ret_e10 = (int) strtol(p + 1, NULL, 10);
	return 0;
}

/* The double that digits[0..k) × 10^(e10-k+1) reads back as. An integer mantissa and
 * exponent keep strtod() independent of the locale's decimal point. */
static double read_back(const char *digits, int k, int e10)
{
	char tmp[64];

	(void) snprintf(tmp, sizeof(tmp), "%.*se%d", k, digits, e10 - k + 1);
	return strtod(tmp, NULL);
}

/* Moves digits to the next k-digit decimal above (up) or below the current one. */
static void step(char *d, int k, int *e10, bool up)
{
	int i = k - 1;

	if (up) {
		while (i >= 0 && d[i] == '9')
			d[i--] = '0';
		if (i < 0) {
			d[0] = '1';
			(*e10)++;
		} else
			d[i]++;
		return;
	}
	while (i >= 0 && d[i] == '0')
		d[i--] = '9';
	d[i]--; /* d[0] is never '0', so i >= 0 here */
	if (d[0] == '0') {
		/* 1000 -> 0999: below a power of ten the grid is ten times finer. */
		memset(d, '9', (size_t) k);
		(*e10)--;
	}
}

/* For finite x > 0: the fewest significant digits k, and among k-digit strings the one
 * closest to x, that read back as x (ECMA-262 Number::toString step 5). */
static int shortest_digits(double x, char digits[17], int *ret_k, int *ret_e10)
{
	for (int k = 1; k <= 17; k++) {
		double back;
		int e10, r;

		r = nearest_digits(x, k, digits, &e10);
		if (r < 0)
			return r;
		back = read_back(digits, k, e10);
		if (back != x) {
			/* The nearest k-digit decimal can fall outside x's rounding interval
			 * while its neighbour on the other side of x is inside: at a power of
			 * two the interval is twice as wide above x as below. */
			step(digits, k, &e10, back < x);
			back = read_back(digits, k, e10);
		}
		if (back == x) {
			while (k > 1 && digits[k - 1] == '0')
				k--;
			*ret_k = k;
			*ret_e10 = e10;
			return 0;
		}
	}
	/* 17 digits always identify a double. */
	return -EINVAL;
}

int jcs_append_number(double d, struct buf *out)
{
	char digits[17], s[48];
	size_t o = 0;
	int k, e10, n, r;

	if (!isfinite(d))
		return -EINVAL;
	if (d == 0)
		return buf_append(out, "0", 1); /* also -0 */
	if (d < 0) {
		s[o++] = '-';
		d = -d;
	}
	r = shortest_digits(d, digits, &k, &e10);
	if (r < 0)
		return r;

	/* ECMA-262 Number::toString steps 6-10, with x = 0.d1..dk × 10^n. */
	n = e10 + 1;
	if (k <= n && n <= 21) {
		memcpy(s + o, digits, (size_t) k);
		o += (size_t) k;
		memset(s + o, '0', (size_t) (n - k));
		o += (size_t) (n - k);
	} else if (0 < n && n <= 21) {
		memcpy(s + o, digits, (size_t) n);
		o += (size_t) n;
		s[o++] = '.';
		memcpy(s + o, digits + n, (size_t) (k - n));
		o += (size_t) (k - n);
	} else if (-6 < n && n <= 0) {
		s[o++] = '0';
		s[o++] = '.';
		memset(s + o, '0', (size_t) -n);
		o += (size_t) -n;
		memcpy(s + o, digits, (size_t) k);
		o += (size_t) k;
	} else {
		s[o++] = digits[0];
		if (k > 1) {
			s[o++] = '.';
			memcpy(s + o, digits + 1, (size_t) (k - 1));
			o += (size_t) (k - 1);
		}
		o += (size_t) snprintf(s + o, sizeof(s) - o, "e%c%d", n - 1 >= 0 ? '+' : '-',
				       abs(n - 1));
	}
	return buf_append(out, s, o);
}

/* RFC 8785 §3.2.2.2: only '"', '\\' and U+0000..U+001F are escaped, the five with a
 * short form using it, the rest as lowercase \u00xx; everything else, '/' and U+007F
 * included, is written as its UTF-8 bytes. */
static int append_string(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;
	int r;

	r = buf_put_u8(out, '"');
	if (r < 0)
		return r;
	while (i < n) {
		uint8_t c = (uint8_t) s[i];
		char esc[6];
		size_t el = 2;

		if (c >= 0x80) {
			uint32_t cp;
			int l = json_utf8_decode(s + i, n - i, &cp);

			if (l < 0)
				return -EBADMSG;
			i += (size_t) l;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		/* Flush the raw run before the escape. */
		r = buf_append(out, s + run, i - run);
		if (r < 0)
			return r;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		r = buf_append(out, esc, el);
		if (r < 0)
			return r;
		run = ++i;
	}
	r = buf_append(out, s + run, n - run);
	if (r < 0)
		return r;
	return buf_put_u8(out, '"');
}

/* Walks a valid UTF-8 string as UTF-16 code units. */
struct utf16_iter {
	const char *s;
	size_t n, i;
	uint16_t low; /* pending low surrogate, 0 if none */
};

static int next_unit(struct utf16_iter *it)
{
	uint32_t cp;
	int l;

	if (it->low) {
		uint16_t u = it->low;

		it->low = 0;
		return u;
	}
	if (it->i >= it->n)
		return -1;
	l = json_utf8_decode(it->s + it->i, it->n - it->i, &cp);
	if (l < 0)
		return -1; /* not reached: names are validated before sorting */
	it->i += (size_t) l;
	if (cp < 0x10000)
		return (int) cp;
	cp -= 0x10000;
	it->low = (uint16_t) (0xdc00 | (cp & 0x3ff));
	return (int) (0xd800 | cp >> 10);
}

struct member {
	const char *name;
	size_t len;
	json_object *value;
};

/* RFC 8785 §3.2.3: names compare as arrays of UTF-16 code units, so U+10000 and above
 * (surrogates D800..DFFF) sort before U+E000..U+FFFF, unlike in UTF-8 byte order. */
static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	struct utf16_iter p = { .s = x->name, .n = x->len }, q = { .s = y->name, .n = y->len };

	for (;;) {
		int u = next_unit(&p), v = next_unit(&q);

		if (u != v)
			return u < v ? -1 : 1; /* the end (-1) sorts first: prefixes lead */
		if (u < 0)
			return 0;
	}
}

static int append_value(json_object *v, unsigned depth, struct buf *out);

static int append_object(json_object *v, unsigned depth, struct buf *out)
{
	_cleanup_free_ struct member *m = NULL;
	struct json_object_iterator it = json_object_iter_begin(v), end = json_object_iter_end(v);
	size_t n = (size_t) json_object_object_length(v), i = 0;
	int r;

	if (n > 0) {
		m = calloc(n, sizeof(*m));
		if (!m)
			return -ENOMEM;
	}
	for (; !json_object_iter_equal(&it, &end) && i < n; json_object_iter_next(&it), i++) {
		const char *name = json_object_iter_peek_name(&it);
		uint32_t cp;

		m[i] = (struct member){ name, strlen(name), json_object_iter_peek_value(&it) };
		for (size_t j = 0; j < m[i].len;) {
			int l = json_utf8_decode(name + j, m[i].len - j, &cp);

			if (l < 0)
				return -EBADMSG;
			j += (size_t) l;
		}
	}
	if (i != n)
		return -EINVAL; /* json-c's count and iteration disagree: not ours to guess */
	if (n > 1)
		qsort(m, n, sizeof(*m), member_cmp);

	r = buf_put_u8(out, '{');
	for (i = 0; r >= 0 && i < n; i++) {
		if (i > 0)
			r = buf_put_u8(out, ',');
		if (r >= 0)
			r = append_string(m[i].name, m[i].len, out);
		if (r >= 0)
			r = buf_put_u8(out, ':');
		if (r >= 0)
			r = append_value(m[i].value, depth + 1, out);
	}
	if (r < 0)
		return r;
	return buf_put_u8(out, '}');
}

static int append_value(json_object *v, unsigned depth, struct buf *out)
{
	int r;

	/* Parsed trees are bounded by json_parse(); built ones could even be cyclic. */
	if (depth > JSON_DEPTH_LIMIT)
		return -E2BIG;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return buf_append_str(out, "null");
	case json_type_boolean:
		return buf_append_str(out, json_object_get_boolean(v) ? "true" : "false");
	case json_type_double:
		return jcs_append_number(json_object_get_double(v), out);
	case json_type_int: {
		/* JSON numbers are IEEE-754 doubles to JCS: a large integer is written as
		 * the double it rounds to, as JavaScript would parse it. get_int64()
		 * saturates at INT64_MAX for json-c's unsigned integers. */
		int64_t i = json_object_get_int64(v);

		if (i == INT64_MAX)
			return jcs_append_number((double) json_object_get_uint64(v), out);
		return jcs_append_number((double) i, out);
	}
	case json_type_string:
		return append_string(json_object_get_string(v),
				     (size_t) json_object_get_string_len(v), out);
	case json_type_object:
		return append_object(v, depth, out);
	case json_type_array:
		r = buf_put_u8(out, '[');
		for (size_t i = 0; r >= 0 && i < json_object_array_length(v); i++) {
			if (i > 0)
				r = buf_put_u8(out, ',');
			if (r >= 0)
				r = append_value(json_object_array_get_idx(v, i), depth + 1, out);
		}
		if (r < 0)
			return r;
		return buf_put_u8(out, ']');
	default:
		return -EINVAL;
	}
}

int jcs_append(json_object *v, struct buf *out)
{
	size_t start = out->len;
	int r;

	r = append_value(v, 0, out);
	if (r < 0)
		buf_truncate(out, start);
	return r;
}

int jcs_canonicalize_text(const char *json, size_t len, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *v = NULL;
	int r;

	r = json_parse(json, len, SIZE_MAX, JSON_DEFAULT_MAX_DEPTH, &v, NULL);
	if (r < 0)
		return r;
	return jcs_append(v, out);
}
