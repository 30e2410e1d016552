/* SPDX-License-Identifier: Apache-2.0 */
/* Strict JSON over json-c. json-c's STRICT mode (0.16) still takes raw control
 * characters in strings, "-01", NaN/Infinity, lone surrogates (made U+FFFD), "\u0000"
 * inside keys (cut there), "1e999" (made inf), saturates wide integers and keeps the last
 * of duplicate keys, while 0.18's refuses all non-ASCII text; so a validating pass of our
 * own (RFC 8259) runs first and json_tokener only builds the tree. */
#include <limits.h>
#include <math.h>

#include "json-util.h"

int json_utf8_decode(const char *s, size_t n, uint32_t *ret_cp)
{
	const uint8_t *p = (const uint8_t *) s;
	uint32_t cp, min;
	size_t len, i;

	if (n == 0)
		return -EBADMSG;
	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		/* Continuation bytes, C0/C1 (always overlong) and F5..FF. */
		return -EBADMSG;
	}
	if (n < len)
		return -EBADMSG;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -EBADMSG;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EBADMSG;
	*ret_cp = cp;
	return (int) len;
}

struct lexer {
	const char *s;
	size_t n, i;
	unsigned depth, max_depth;
	size_t members; /* ':' seen: one per object member in the text */
	uint64_t is_object[JSON_DEPTH_LIMIT / 64];
	size_t *wide; /* end offsets of integers outside [-2^63, 2^64) */
	size_t n_wide, cap_wide;
	const char *reason;
};

static void lexer_done(struct lexer *lx)
{
	free(lx->wide);
}

static int lex_fail(struct lexer *lx, const char *reason)
{
	lx->reason = reason;
	return -EBADMSG;
}

static int hex4(const char *s, uint32_t *ret)
{
	uint32_t v = 0;

	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t) (c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

static int lex_string(struct lexer *lx, bool is_key)
{
	const char *s = lx->s;
	size_t n = lx->n, i = lx->i + 1;

	for (;;) {
		uint8_t c;

		if (i >= n)
			return lex_fail(lx, "unterminated string");
		c = (uint8_t) s[i];
		if (c == '"') {
			lx->i = i + 1;
			return 0;
		}
		if (c < 0x20)
			return lex_fail(lx, "control character in string");
		if (c >= 0x80) {
			uint32_t cp;
			int l = json_utf8_decode(s + i, n - i, &cp);

			if (l < 0)
				return lex_fail(lx, "invalid UTF-8");
			i += (size_t) l;
			continue;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return lex_fail(lx, "unterminated string");
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			i += 2;
			break;
		case 'u': {
			uint32_t u, lo;

			if (n - i < 6 || hex4(s + i + 2, &u) < 0)
				return lex_fail(lx, "invalid \\u escape");
			i += 6;
			if (u == 0 && is_key)
				return lex_fail(lx, "\\u0000 in object key");
			if (u >= 0xdc00 && u <= 0xdfff)
				return lex_fail(lx, "unpaired surrogate");
			if (u >= 0xd800 && u <= 0xdbff) {
				/* json-c would substitute U+FFFD: refuse instead, as serde_json. */
				if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' ||
				    hex4(s + i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return lex_fail(lx, "unpaired surrogate");
				i += 6;
			}
			break;
		}
		default:
			return lex_fail(lx, "invalid escape");
		}
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int lex_number(struct lexer *lx)
{
	const char *s = lx->s;
	size_t n = lx->n, i = lx->i;

	bool neg = s[i] == '-';
	size_t start;

	if (neg)
		i++;
	if (i >= n || !is_digit(s[i]))
		return lex_fail(lx, "invalid number");
	start = i;
	if (s[i] == '0') {
		i++;
		if (i < n && is_digit(s[i]))
			return lex_fail(lx, "leading zero in number");
	} else
		while (i < n && is_digit(s[i]))
			i++;
	if (i >= n || (s[i] != '.' && s[i] != 'e' && s[i] != 'E')) {
		/* An integer. json-c 0.16 saturates one outside [-2^63, 2^64) without a word;
		 * JavaScript and serde_json read it as a double, and JCS output has such
		 * integers (1e20 is written in full), so note it for parse() to make it a
		 * double. No leading zeros here: the length decides first. */
		static const char umax[] = "18446744073709551615", imin[] = "9223372036854775808";
		const char *lim = neg ? imin : umax;
		size_t len = i - start, ll = strlen(lim);

		if (len > ll || (len == ll && memcmp(s + start, lim, ll) > 0)) {
			if (lx->n_wide == lx->cap_wide) {
				size_t cap = lx->cap_wide ? lx->cap_wide * 2 : 8;
				size_t *w = reallocarray(lx->wide, cap, sizeof(*w));

				if (!w)
					return -ENOMEM;
				lx->wide = w;
				lx->cap_wide = cap;
			}
			lx->wide[lx->n_wide++] = i;
		}
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return lex_fail(lx, "invalid number");
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return lex_fail(lx, "invalid number");
		while (i < n && is_digit(s[i]))
			i++;
	}
	lx->i = i;
	return 0;
}

static int lex_literal(struct lexer *lx, const char *word)
{
	size_t l = strlen(word);

	if (lx->n - lx->i < l || memcmp(lx->s + lx->i, word, l) != 0)
		return lex_fail(lx, "unexpected character");
	lx->i += l;
	return 0;
}

static void set_top(struct lexer *lx, bool object)
{
	unsigned d = lx->depth - 1;

	if (object)
		lx->is_object[d / 64] |= UINT64_C(1) << (d % 64);
	else
		lx->is_object[d / 64] &= ~(UINT64_C(1) << (d % 64));
}

static bool top_is_object(const struct lexer *lx)
{
	unsigned d = lx->depth - 1;

	return lx->depth > 0 && (lx->is_object[d / 64] >> (d % 64) & 1);
}

/* What may come next (RFC 8259 §2-5). */
enum expect {
	EXPECT_VALUE,          /* at the start, after ':' or after ',' in an array */
	EXPECT_VALUE_OR_CLOSE, /* after '[' */
	EXPECT_KEY,            /* after ',' in an object */
	EXPECT_KEY_OR_CLOSE,   /* after '{' */
	EXPECT_COLON,          /* after a key */
	EXPECT_COMMA_OR_CLOSE, /* after a value inside a container */
	EXPECT_END,            /* after the top-level value */
};

static enum expect after_value(const struct lexer *lx)
{
	return lx->depth == 0 ? EXPECT_END : EXPECT_COMMA_OR_CLOSE;
}

static const char *unexpected(enum expect e)
{
	switch (e) {
	case EXPECT_COLON:
		return "expected ':'";
	case EXPECT_COMMA_OR_CLOSE:
		return "expected ',' or a closing bracket";
	case EXPECT_KEY:
	case EXPECT_KEY_OR_CLOSE:
		return "expected a string key";
	default:
		return "expected a value";
	}
}

/* The whole RFC 8259 grammar, so nothing depends on what a json-c version's STRICT mode
 * happens to refuse (0.18's refuses every non-ASCII byte in strings, json-c #875); json-c
 * then only builds the tree. Also counts members and notes wide integers for parse(). */
static int lex(struct lexer *lx)
{
	enum expect e = EXPECT_VALUE;
	bool value;
	int r;

	while (lx->i < lx->n) {
		char c = lx->s[lx->i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			lx->i++;
			continue;
		}
		if (e == EXPECT_END)
			return lex_fail(lx, c ? "trailing data" : "NUL byte");
		value = e == EXPECT_VALUE || e == EXPECT_VALUE_OR_CLOSE;
		switch (c) {
		case '{':
		case '[':
			if (!value)
				return lex_fail(lx, unexpected(e));
			if (lx->depth >= lx->max_depth)
				return lex_fail(lx, "nesting too deep");
			lx->depth++;
			set_top(lx, c == '{');
			e = c == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
			lx->i++;
			continue;
		case '}':
		case ']':
			if (e != EXPECT_COMMA_OR_CLOSE &&
			    e != (c == '}' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE))
				return lex_fail(lx, e == EXPECT_KEY || e == EXPECT_VALUE
							? "trailing comma"
							: unexpected(e));
			if (top_is_object(lx) != (c == '}'))
				return lex_fail(lx, "mismatched bracket");
			lx->depth--;
			e = after_value(lx);
			lx->i++;
			continue;
		case ',':
			if (e != EXPECT_COMMA_OR_CLOSE)
				return lex_fail(lx, unexpected(e));
			e = top_is_object(lx) ? EXPECT_KEY : EXPECT_VALUE;
			lx->i++;
			continue;
		case ':':
			if (e != EXPECT_COLON)
				return lex_fail(lx, unexpected(e));
			lx->members++;
			e = EXPECT_VALUE;
			lx->i++;
			continue;
		case '"':
			if (e == EXPECT_KEY || e == EXPECT_KEY_OR_CLOSE) {
				r = lex_string(lx, true);
				e = EXPECT_COLON;
				break;
			}
			if (!value)
				return lex_fail(lx, unexpected(e));
			r = lex_string(lx, false);
			e = after_value(lx);
			break;
		case '-':
		case '0' ... '9':
		case 't':
		case 'f':
		case 'n':
			if (!value)
				return lex_fail(lx, unexpected(e));
			r = c == 't'   ? lex_literal(lx, "true")
			    : c == 'f' ? lex_literal(lx, "false")
			    : c == 'n' ? lex_literal(lx, "null")
				       : lex_number(lx);
			e = after_value(lx);
			break;
		case '\0':
			return lex_fail(lx, "NUL byte");
		default:
			return lex_fail(lx, "unexpected character");
		}
		if (r < 0)
			return r;
	}
	if (e != EXPECT_END)
		return lex_fail(lx, "unexpected end of input");
	return 0;
}

/* Checks what only the built tree shows: doubles that overflowed to infinity, and
 * members lost to duplicate keys (json-c keeps the last one, so the tree then holds fewer
 * members than the text had colons). */
static int check_tree(json_object *v, size_t *members, const char **reason)
{
	int r;

	switch (json_object_get_type(v)) {
	case json_type_double:
		if (!isfinite(json_object_get_double(v))) {
			*reason = "number out of range";
			return -EBADMSG;
		}
		return 0;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(v),
					    end = json_object_iter_end(v);

		*members += (size_t) json_object_object_length(v);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			r = check_tree(json_object_iter_peek_value(&it), members, reason);
			if (r < 0)
				return r;
		}
		return 0;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			r = check_tree(json_object_array_get_idx(v, i), members, reason);
			if (r < 0)
				return r;
		}
		return 0;
	default:
		return 0;
	}
}

/* Copies s with ".0" after each wide integer, so json-c reads it with strtod(). */
static int widen(const char *s, size_t n, const struct lexer *lx, struct buf *out)
{
	size_t from = 0;
	int r;

	for (size_t k = 0; k < lx->n_wide; k++) {
		r = buf_append(out, s + from, lx->wide[k] - from);
		if (r >= 0)
			r = buf_append(out, ".0", 2);
		if (r < 0)
			return r;
		from = lx->wide[k];
	}
	return buf_append(out, s + from, n - from);
}

static int parse(const char *s, size_t n, unsigned max_depth, json_object **ret,
		 const char **reason)
{
	_cleanup_(json_object_putp) json_object *v = NULL;
	_cleanup_(lexer_done) struct lexer lx = { .s = s, .n = n, .max_depth = max_depth };
	_cleanup_(buf_done) struct buf wide = BUF_INIT(INT_MAX);
	struct json_tokener *tok;
	enum json_tokener_error err;
	size_t members = 0, end;
	int r;

	r = lex(&lx);
	if (r < 0) {
		*reason = lx.reason;
		return r;
	}

	if (lx.n_wide > 0) {
		r = widen(s, n, &lx, &wide);
		if (r < 0)
			return r;
		s = buf_str(&wide);
		n = wide.len;
	}

	/* Our lexer is the depth authority; json-c counts its levels differently and only
	 * needs enough stack. */
	tok = json_tokener_new_ex((int) max_depth + 2);
	if (!tok)
		return -ENOMEM;
	/* No flags: the lexer already enforced more than JSON_TOKENER_STRICT and
	 * JSON_TOKENER_VALIDATE_UTF8 would, and 0.18's STRICT refuses valid non-ASCII
	 * strings. */
	json_tokener_set_flags(tok, 0);
	v = json_tokener_parse_ex(tok, s, (int) n);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (err == json_tokener_continue) {
		/* A top-level number could go on in a next chunk; json-c takes a NUL as
		 * the end of input (json_tokener_parse() passes the terminator too). All
		 * n bytes were consumed for json-c to ask for more. */
		v = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
		end = n;
	}
	json_tokener_free(tok);
#if JSON_C_VERSION_NUM >= ((0 << 16) | (17 << 8))
	if (err == json_tokener_error_memory)
		return -ENOMEM;
#endif
	if (err != json_tokener_success) {
		/* json-c's static description. Before 0.17 an allocation failure inside
		 * json-c also lands here, as it had no code for it. */
		*reason = json_tokener_error_desc(err);
		return -EBADMSG;
	}
	if (end != n) {
		*reason = "trailing data";
		return -EBADMSG;
	}
	r = check_tree(v, &members, reason);
	if (r < 0)
		return r;
	if (members != lx.members) {
		*reason = "duplicate key";
		return -EBADMSG;
	}
	*ret = steal_ptr(v);
	return 0;
}

int json_parse(const char *s, size_t n, size_t max_size, unsigned max_depth, json_object **ret,
	       const char **ret_reason)
{
	const char *reason = NULL;
	int r;

	if (!ret || (!s && n) || max_depth < 1 || max_depth > JSON_DEPTH_LIMIT)
		return -EINVAL;
	if (n > max_size || n > INT_MAX)
		return -E2BIG;
	r = parse(s, n, max_depth, ret, &reason);
	if (r < 0 && ret_reason)
		*ret_reason = reason;
	return r;
}

static bool is_valid_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		int l = json_utf8_decode(s + i, n - i, &cp);

		if (l < 0)
			return false;
		i += (size_t) l;
	}
	return true;
}

int json_as_string(json_object *v, const char **ret)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t) json_object_get_string_len(v))
		return -EBADMSG;
	*ret = s;
	return 0;
}

int json_as_int64(json_object *v, int64_t *ret)
{
	int64_t i;

	/* json_object_get_int64() would turn doubles, booleans and numeric strings into
	 * integers and saturate: accept only a JSON integer that fits. */
	if (!json_object_is_type(v, json_type_int))
		return -EBADMSG;
	i = json_object_get_int64(v);
	if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t) INT64_MAX)
		return -ERANGE;
	*ret = i;
	return 0;
}

int json_as_uint64(json_object *v, uint64_t *ret)
{
	if (!json_object_is_type(v, json_type_int))
		return -EBADMSG;
	if (json_object_get_int64(v) < 0)
		return -ERANGE;
	*ret = json_object_get_uint64(v);
	return 0;
}

int json_as_bool(json_object *v, bool *ret)
{
	if (!json_object_is_type(v, json_type_boolean))
		return -EBADMSG;
	*ret = json_object_get_boolean(v);
	return 0;
}

int json_as_object(json_object *v, json_object **ret)
{
	if (!json_object_is_type(v, json_type_object))
		return -EBADMSG;
	*ret = v;
	return 0;
}

int json_as_array(json_object *v, json_object **ret)
{
	if (!json_object_is_type(v, json_type_array))
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* Returns 1 with the member (possibly NULL for JSON null), 0 if absent. */
static int member(json_object *obj, const char *key, json_object **ret)
{
	if (!key)
		return -EINVAL;
	if (!json_object_is_type(obj, json_type_object))
		return -EBADMSG;
	return json_object_object_get_ex(obj, key, ret) ? 1 : 0;
}

#define DEFINE_GETTERS(name, type)                                                                 \
	int json_get_##name(json_object *obj, const char *key, type *ret)                          \
	{                                                                                          \
		json_object *v = NULL;                                                             \
		int r = member(obj, key, &v);                                                      \
                                                                                                   \
		if (r < 0)                                                                         \
			return r;                                                                  \
		if (r == 0)                                                                        \
			return -ENOENT;                                                            \
		return json_as_##name(v, ret);                                                     \
	}                                                                                          \
	int json_get_##name##_opt(json_object *obj, const char *key, type *ret)                    \
	{                                                                                          \
		json_object *v = NULL;                                                             \
		int r = member(obj, key, &v);                                                      \
                                                                                                   \
		if (r <= 0 || !v)                                                                  \
			return r < 0 ? r : 0;                                                      \
		r = json_as_##name(v, ret);                                                        \
		return r < 0 ? r : 1;                                                              \
	}

DEFINE_GETTERS(string, const char *)
DEFINE_GETTERS(int64, int64_t)
DEFINE_GETTERS(uint64, uint64_t)
DEFINE_GETTERS(bool, bool)
DEFINE_GETTERS(object, json_object *)
DEFINE_GETTERS(array, json_object *)

/* What json-c would write without complaint but is not JSON. */
static int check_writable(json_object *v, unsigned depth)
{
	int r;

	if (depth > JSON_DEPTH_LIMIT)
		return -EINVAL;
	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v)) ? 0 : -EINVAL;
	case json_type_string:
		return is_valid_utf8(json_object_get_string(v),
				     (size_t) json_object_get_string_len(v))
			   ? 0
			   : -EINVAL;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(v),
					    end = json_object_iter_end(v);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *k = json_object_iter_peek_name(&it);

			if (!is_valid_utf8(k, strlen(k)))
				return -EINVAL;
			r = check_writable(json_object_iter_peek_value(&it), depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			r = check_writable(json_object_array_get_idx(v, i), depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	default:
		return 0;
	}
}

int json_append(json_object *v, struct buf *out)
{
	const char *s;
	size_t len;
	int r;

	r = check_writable(v, 0);
	if (r < 0)
		return r;
	s = json_object_to_json_string_length(
	    v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		return -ENOMEM;
	return buf_append(out, s, len);
}

bool json_utf8_valid(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		int k = json_utf8_decode(s + i, n - i, &cp);

		if (k < 0)
			return false;
		i += (size_t) k;
	}
	return true;
}
