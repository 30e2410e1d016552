/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsing (what json-c alone would let through), limits, typed getters that do
 * not coerce, and compact serialisation. */
#include <math.h>

#include "common/json-util.h"
#include "tests/unit/tests.h"

static int parse_str(const char *s, json_object **ret, const char **reason)
{
	return json_parse(s, strlen(s), JSON_DEFAULT_MAX_SIZE, JSON_DEFAULT_MAX_DEPTH, ret, reason);
}

static void expect_bad_n(const char *s, size_t n)
{
	_cleanup_(json_object_putp) json_object *v = NULL;
	const char *reason = NULL;
	int r = json_parse(s, n, JSON_DEFAULT_MAX_SIZE, JSON_DEFAULT_MAX_DEPTH, &v, &reason);

	if (r != -EBADMSG)
		FAIL_("'%.*s': expected -EBADMSG, got %d", (int) n, s, r);
	ASSERT_TRUE(v == NULL);
	ASSERT_TRUE(reason != NULL && *reason);
}

static void expect_bad(const char *s)
{
	expect_bad_n(s, strlen(s));
}

static void expect_reason(const char *s, const char *want)
{
	json_object *v = NULL;
	const char *reason = NULL;

	ASSERT_ERR(parse_str(s, &v, &reason), -EBADMSG);
	ASSERT_STREQ(reason, want);
}

static void test_parse_valid(void)
{
	static const char *const good[] = {
		"{}",
		"[]",
		" \t\r\n{ \"a\" : [ 1 , -2.5e+3 , true , false , null ] }\n ",
		"0",
		"-0",
		"0.5",
		"1E5",
		"1e-5",
		"-9223372036854775808",
		"18446744073709551615",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"[\"a\\u0000b\"]",
		"{\"a\":{\"a\":{\"a\":1}}}",
		"{\"a\":1,\"A\":2,\"\\u0061b\":3,\"ab \":4}",
		"\"\x7f\"",
		"1.7976931348623157e308",
		"4.9e-324",
		"18446744073709551616",
		"-9223372036854775809",
		"1000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000",
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		_cleanup_(json_object_putp) json_object *v = NULL;
		const char *reason = NULL;
		int r = parse_str(good[i], &v, &reason);

		if (r < 0)
			FAIL_("'%s' refused: %s", good[i], reason);
		ASSERT_TRUE(v != NULL);
	}
}

static void test_parse_null_and_values(void)
{
	_cleanup_(json_object_putp) json_object *s = NULL, *u = NULL;
	json_object *v = (json_object *) 1; /* must be overwritten with NULL */
	const char *str;
	uint64_t x;

	ASSERT_OK(parse_str(" null ", &v, NULL));
	ASSERT_TRUE(v == NULL);
	ASSERT_OK(parse_str("\"\\ud83d\\ude00\\u00e9\"", &s, NULL));
	ASSERT_OK(json_as_string(s, &str));
	ASSERT_STREQ(str, "\xf0\x9f\x98\x80\xc3\xa9");
	ASSERT_OK(parse_str("18446744073709551615", &u, NULL));
	ASSERT_OK(json_as_uint64(u, &x));
	ASSERT_TRUE(x == UINT64_MAX);
	json_object_put(u);
	/* Beyond 64 bits: a double, as in JavaScript, not a saturated integer. */
	ASSERT_OK(parse_str("[18446744073709551616, -9223372036854775809, 1]", &u, NULL));
	ASSERT_TRUE(json_object_is_type(json_object_array_get_idx(u, 0), json_type_double));
	ASSERT_TRUE(json_object_get_double(json_object_array_get_idx(u, 0)) ==
		    18446744073709551616.0);
	ASSERT_TRUE(json_object_get_double(json_object_array_get_idx(u, 1)) ==
		    -9223372036854775808.0);
	ASSERT_ERR(json_as_uint64(json_object_array_get_idx(u, 0), &x), -EBADMSG);
	ASSERT_OK(json_as_uint64(json_object_array_get_idx(u, 2), &x));
	ASSERT_EQ(x, 1);
}

static void test_parse_invalid(void)
{
	static const char *const bad[] = {
		/* not one complete text */
		"",
		"   ",
		"{",
		"[1,",
		"\"abc",
		"{\"a\":",
		"1 2",
		"{} x",
		"{}}",
		"[]]",
		"]",
		"}",
		"{]",
		"[}",
		"{} {}",
		/* json-c extensions, some even in its STRICT mode */
		"[1,]",
		"{\"a\":1,}",
		"{'a':1}",
		"['a']",
		"// c\n1",
		"/* c */1",
		"1 /* c */",
		"{a:1}",
		"[1 2]",
		"{\"a\" 1}",
		"{1:2}",
		"{\"a\":}",
		"[,1]",
		"True",
		"nul",
		"NULL",
		"undefined",
		"NaN",
		"nan",
		"Infinity",
		"-Infinity",
		"infinity",
		"[NaN]",
		/* numbers */
		"01",
		"-01",
		"00",
		"-",
		"1.",
		".5",
		"1e",
		"1e+",
		"+1",
		"0x10",
		"1.5.2",
		"--1",
		"1e999",
		"-1e999",
		"[1e400]",
		"1000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000",
		/* strings */
		"\"a\tb\"",
		"\"a\nb\"",
		"\"\x1f\"",
		"\"\\x\"",
		"\"\\u12\"",
		"\"\\u12g4\"",
		"\"\\U0041\"",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\\ud800\\n\"",
		"\"\\udbff\\udbff\"",
		"\"\\ud800x\"",
		"{\"a\\u0000b\":1}",
		"{\"\\u0000\":1}",
		"\"\xc3\x28\"",
		"\"\xc0\xaf\"",
		"\"\xe0\x80\xaf\"",
		"\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"",
		"\"\xf8\x88\x80\x80\x80\"",
		"\"\x80\"",
		"\"\xe2\x82\"",
		"\xef\xbb\xbf{}",
		"\"\xff\"",
		/* duplicate keys, anywhere */
		"{\"a\":1,\"a\":2}",
		"{\"a\":1,\"\\u0061\":2}",
		"[{\"x\":{\"a\":{\"b\":1},\"a\":[]}}]",
		"{\"a\":{\"b\":1,\"c\":2},\"a\":{\"b\":1,\"c\":2}}",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		expect_bad(bad[i]);
	expect_bad_n("1\0", 2);
	expect_bad_n("\"a\0b\"", 5);
	expect_bad_n("\0", 1);
	expect_bad_n("{\"a\":1}\0", 8);
}

static void test_parse_reasons(void)
{
	expect_reason("{\"a\":1,\"a\":2}", "duplicate key");
	expect_reason("1e999", "number out of range");
	expect_reason("01", "leading zero in number");
	expect_reason("\"\\ud800\"", "unpaired surrogate");
	expect_reason("{\"a\\u0000\":1}", "\\u0000 in object key");
	expect_reason("\"\xc0\xaf\"", "invalid UTF-8");
	expect_reason("\"a\tb\"", "control character in string");
	expect_reason("[1]x", "trailing data");
	expect_reason("{} {}", "trailing data");
	expect_reason("x", "unexpected character");
	expect_reason("[1,]", "trailing comma");
	expect_reason("{\"a\":1,}", "trailing comma");
	expect_reason("{\"a\" 1}", "expected ':'");
	expect_reason("[1 2]", "expected ',' or a closing bracket");
	expect_reason("{1:2}", "expected a string key");
	expect_reason("[1}", "mismatched bracket");
	expect_reason("[,1]", "expected a value");
	expect_reason("[1", "unexpected end of input");
	expect_reason("", "unexpected end of input");
}

static void nested(struct buf *b, unsigned depth, const char *open, const char *inner,
		   const char *close)
{
	buf_reset(b);
	for (unsigned i = 0; i < depth; i++)
		ASSERT_OK(buf_append_str(b, open));
	ASSERT_OK(buf_append_str(b, inner));
	for (unsigned i = 0; i < depth; i++)
		ASSERT_OK(buf_append_str(b, close));
}

/* Nests open..close so that the text is exactly max containers deep: each open adds
 * per levels, inner adds inner_depth. One more open must be refused. */
static void check_depth(unsigned max, const char *open, unsigned per, const char *inner,
			unsigned inner_depth, const char *close)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	unsigned count = (max - inner_depth) / per;
	const char *reason = NULL;
	json_object *v = NULL;

	ASSERT_EQ(count * per + inner_depth, max);
	nested(&b, count, open, inner, close);
	ASSERT_OK(json_parse(buf_str(&b), b.len, SIZE_MAX, max, &v, &reason));
	json_object_put(v);
	v = NULL;
	nested(&b, count + 1, open, inner, close);
	ASSERT_ERR(json_parse(buf_str(&b), b.len, SIZE_MAX, max, &v, &reason), -EBADMSG);
	ASSERT_STREQ(reason, "nesting too deep");
}

static void test_limits(void)
{
	json_object *v = NULL;

	check_depth(1, "[", 1, "", 0, "]");
	check_depth(3, "[", 1, "1", 0, "]");
	check_depth(JSON_DEFAULT_MAX_DEPTH, "[", 1, "", 0, "]");
	check_depth(JSON_DEFAULT_MAX_DEPTH, "{\"a\":", 1, "{}", 1, "}");
	check_depth(JSON_DEPTH_LIMIT, "[", 1, "{}", 1, "]");
	check_depth(JSON_DEPTH_LIMIT, "{\"k\":[", 2, "0", 0, "]}");

	ASSERT_ERR(json_parse("[1]", 3, 2, 8, &v, NULL), -E2BIG);
	ASSERT_OK(json_parse("[1]", 3, 3, 8, &v, NULL));
	json_object_put(v);
	ASSERT_ERR(json_parse("[1]", 3, 3, 0, &v, NULL), -EINVAL);
	ASSERT_ERR(json_parse("[1]", 3, 3, JSON_DEPTH_LIMIT + 1, &v, NULL), -EINVAL);
	ASSERT_ERR(json_parse(NULL, 1, 3, 8, &v, NULL), -EINVAL);
	ASSERT_ERR(json_parse("1", 1, 3, 8, NULL, NULL), -EINVAL);
}

static const char doc[] =
    "{\"s\":\"x\",\"i\":-5,\"u\":18446744073709551615,\"big\":9223372036854775807,"
    "\"min\":-9223372036854775808,\"d\":1.0,\"e\":1e2,\"b\":true,\"f\":false,\"o\":{\"k\":1},"
    "\"a\":[1,\"two\"],\"n\":null,\"si\":\"5\",\"sb\":\"true\",\"nul\":\"a\\u0000b\",\"neg\":-1,"
    "\"zero\":0,\"empty\":\"\"}";

static void test_getters(void)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *o = NULL;
	const char *s = NULL;
	int64_t i = 0;
	uint64_t u = 0;
	bool b = false;

	ASSERT_OK(parse_str(doc, &j, NULL));

	ASSERT_OK(json_get_string(j, "s", &s));
	ASSERT_STREQ(s, "x");
	ASSERT_OK(json_get_string(j, "empty", &s));
	ASSERT_STREQ(s, "");
	ASSERT_ERR(json_get_string(j, "missing", &s), -ENOENT);
	ASSERT_ERR(json_get_string(j, "S", &s), -ENOENT);
	ASSERT_ERR(json_get_string(j, "i", &s), -EBADMSG);
	ASSERT_ERR(json_get_string(j, "n", &s), -EBADMSG);
	ASSERT_ERR(json_get_string(j, "o", &s), -EBADMSG);
	ASSERT_ERR(json_get_string(j, "nul", &s), -EBADMSG);
	ASSERT_STREQ(s, "");

	ASSERT_OK(json_get_int64(j, "i", &i));
	ASSERT_EQ(i, -5);
	ASSERT_OK(json_get_int64(j, "big", &i));
	ASSERT_TRUE(i == INT64_MAX);
	ASSERT_OK(json_get_int64(j, "min", &i));
	ASSERT_TRUE(i == INT64_MIN);
	ASSERT_ERR(json_get_int64(j, "u", &i), -ERANGE);
	ASSERT_ERR(json_get_int64(j, "d", &i), -EBADMSG);
	ASSERT_ERR(json_get_int64(j, "e", &i), -EBADMSG);
	ASSERT_ERR(json_get_int64(j, "si", &i), -EBADMSG);
	ASSERT_ERR(json_get_int64(j, "b", &i), -EBADMSG);
	ASSERT_ERR(json_get_int64(j, "n", &i), -EBADMSG);
	ASSERT_ERR(json_get_int64(j, "nope", &i), -ENOENT);
	ASSERT_TRUE(i == INT64_MIN);

	ASSERT_OK(json_get_uint64(j, "u", &u));
	ASSERT_TRUE(u == UINT64_MAX);
	ASSERT_OK(json_get_uint64(j, "big", &u));
	ASSERT_TRUE(u == (uint64_t) INT64_MAX);
	ASSERT_OK(json_get_uint64(j, "zero", &u));
	ASSERT_EQ(u, 0);
	ASSERT_ERR(json_get_uint64(j, "neg", &u), -ERANGE);
	ASSERT_ERR(json_get_uint64(j, "min", &u), -ERANGE);
	ASSERT_ERR(json_get_uint64(j, "d", &u), -EBADMSG);

	ASSERT_OK(json_get_bool(j, "b", &b));
	ASSERT_TRUE(b);
	ASSERT_OK(json_get_bool(j, "f", &b));
	ASSERT_TRUE(!b);
	ASSERT_ERR(json_get_bool(j, "sb", &b), -EBADMSG);
	ASSERT_ERR(json_get_bool(j, "zero", &b), -EBADMSG);
	ASSERT_ERR(json_get_bool(j, "n", &b), -EBADMSG);

	ASSERT_OK(json_get_object(j, "o", &o));
	ASSERT_OK(json_get_int64(o, "k", &i));
	ASSERT_EQ(i, 1);
	ASSERT_ERR(json_get_object(j, "a", &o), -EBADMSG);
	ASSERT_ERR(json_get_object(j, "n", &o), -EBADMSG);
	ASSERT_OK(json_get_array(j, "a", &o));
	ASSERT_EQ(json_object_array_length(o), 2);
	ASSERT_OK(json_as_int64(json_object_array_get_idx(o, 0), &i));
	ASSERT_OK(json_as_string(json_object_array_get_idx(o, 1), &s));
	ASSERT_STREQ(s, "two");
	ASSERT_ERR(json_as_string(json_object_array_get_idx(o, 0), &s), -EBADMSG);
	ASSERT_ERR(json_get_array(j, "o", &o), -EBADMSG);

	/* The container itself must be an object. */
	ASSERT_ERR(json_get_string(NULL, "s", &s), -EBADMSG);
	ASSERT_ERR(json_get_string(o, "s", &s), -EBADMSG);
	ASSERT_ERR(json_get_int64_opt(o, "s", &i), -EBADMSG);
	ASSERT_ERR(json_get_string(j, NULL, &s), -EINVAL);
}

static void test_optional_getters(void)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *o = (json_object *) 1;
	const char *s = "untouched";
	int64_t i = 42;
	uint64_t u = 42;
	bool b = true;

	ASSERT_OK(parse_str(doc, &j, NULL));
	ASSERT_EQ(json_get_string_opt(j, "missing", &s), 0);
	ASSERT_EQ(json_get_string_opt(j, "n", &s), 0);
	ASSERT_STREQ(s, "untouched");
	ASSERT_EQ(json_get_string_opt(j, "s", &s), 1);
	ASSERT_STREQ(s, "x");
	ASSERT_ERR(json_get_string_opt(j, "i", &s), -EBADMSG);
	ASSERT_ERR(json_get_string_opt(j, "nul", &s), -EBADMSG);

	ASSERT_EQ(json_get_int64_opt(j, "n", &i), 0);
	ASSERT_EQ(i, 42);
	ASSERT_EQ(json_get_int64_opt(j, "i", &i), 1);
	ASSERT_EQ(i, -5);
	ASSERT_ERR(json_get_int64_opt(j, "u", &i), -ERANGE);
	ASSERT_ERR(json_get_int64_opt(j, "d", &i), -EBADMSG);

	ASSERT_EQ(json_get_uint64_opt(j, "missing", &u), 0);
	ASSERT_EQ(u, 42);
	ASSERT_EQ(json_get_uint64_opt(j, "u", &u), 1);
	ASSERT_ERR(json_get_uint64_opt(j, "neg", &u), -ERANGE);

	ASSERT_EQ(json_get_bool_opt(j, "n", &b), 0);
	ASSERT_TRUE(b);
	ASSERT_EQ(json_get_bool_opt(j, "f", &b), 1);
	ASSERT_TRUE(!b);
	ASSERT_ERR(json_get_bool_opt(j, "s", &b), -EBADMSG);

	ASSERT_EQ(json_get_object_opt(j, "n", &o), 0);
	ASSERT_TRUE(o == (json_object *) 1);
	ASSERT_EQ(json_get_object_opt(j, "o", &o), 1);
	ASSERT_ERR(json_get_object_opt(j, "a", &o), -EBADMSG);
	ASSERT_EQ(json_get_array_opt(j, "missing", &o), 0);
	ASSERT_EQ(json_get_array_opt(j, "a", &o), 1);
	ASSERT_ERR(json_get_array_opt(j, "s", &o), -EBADMSG);
}

static void expect_compact(const char *in, const char *want)
{
	_cleanup_(json_object_putp) json_object *v = NULL;
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(parse_str(in, &v, NULL));
	ASSERT_OK(json_append(v, &b));
	ASSERT_STREQ(buf_str(&b), want);
}

static void test_append(void)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED), small = BUF_INIT(8);

	expect_compact(" { \"z\" : [ 1 , 2.5 , \"x/y\" ] , \"a\" : null , \"t\" : true } ",
		       "{\"z\":[1,2.5,\"x/y\"],\"a\":null,\"t\":true}");
	expect_compact("\"\\u0001\\n\\\"\\\\\\/\xc3\xa9\"", "\"\\u0001\\n\\\"\\\\/\xc3\xa9\"");
	expect_compact("[-9223372036854775808,18446744073709551615]",
		       "[-9223372036854775808,18446744073709551615]");
	expect_compact("null", "null");

	/* Insertion order is kept; json_append() is not canonical. */
	ASSERT_TRUE(o != NULL);
	ASSERT_OK(json_object_object_add(o, "url", json_object_new_string("https://a/b")));
	ASSERT_OK(json_object_object_add(o, "n", json_object_new_int64(7)));
	ASSERT_OK(buf_append_str(&b, ">"));
	ASSERT_OK(json_append(o, &b));
	ASSERT_STREQ(buf_str(&b), ">{\"url\":\"https://a/b\",\"n\":7}");

	/* Not writable as JSON: nothing appended. */
	buf_reset(&b);
	ASSERT_OK(json_object_object_add(o, "bad", json_object_new_double(NAN)));
	ASSERT_ERR(json_append(o, &b), -EINVAL);
	ASSERT_OK(json_object_object_add(o, "bad", json_object_new_double(-INFINITY)));
	ASSERT_ERR(json_append(o, &b), -EINVAL);
	ASSERT_OK(json_object_object_add(o, "bad", json_object_new_string("\xc3")));
	ASSERT_ERR(json_append(o, &b), -EINVAL);
	json_object_object_del(o, "bad");
	ASSERT_OK(json_object_object_add(o, "\xff", json_object_new_int(1)));
	ASSERT_ERR(json_append(o, &b), -EINVAL);
	ASSERT_EQ(b.len, 0);
	json_object_object_del(o, "\xff");
	ASSERT_ERR(json_append(o, &small), -E2BIG);
	ASSERT_EQ(small.len, 0);
}

static void test_utf8_decode(void)
{
	uint32_t cp = 0;

	ASSERT_EQ(json_utf8_decode("A", 1, &cp), 1);
	ASSERT_EQ(cp, 'A');
	ASSERT_EQ(json_utf8_decode("\xc2\x80", 2, &cp), 2);
	ASSERT_EQ(cp, 0x80);
	ASSERT_EQ(json_utf8_decode("\xef\xbf\xbf", 3, &cp), 3);
	ASSERT_EQ(cp, 0xffff);
	ASSERT_EQ(json_utf8_decode("\xee\x80\x80", 3, &cp), 3);
	ASSERT_EQ(cp, 0xe000);
	ASSERT_EQ(json_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	ASSERT_EQ(cp, 0x10ffff);
	ASSERT_EQ(json_utf8_decode("\xf0\x90\x80\x80", 4, &cp), 4);
	ASSERT_EQ(cp, 0x10000);
	ASSERT_ERR(json_utf8_decode("\xf0\x90\x80\x80", 3, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xc1\xbf", 2, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xe0\x9f\xbf", 3, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xf0\x8f\xbf\xbf", 4, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xed\xbf\xbf", 3, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xf4\x90\x80\x80", 4, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\xc2\x41", 2, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("\x80", 1, &cp), -EBADMSG);
	ASSERT_ERR(json_utf8_decode("", 0, &cp), -EBADMSG);
	ASSERT_EQ(cp, 0x10000);
}

TESTS(test_parse_valid, test_parse_null_and_values, test_parse_invalid, test_parse_reasons,
      test_limits, test_getters, test_optional_getters, test_append, test_utf8_decode)
