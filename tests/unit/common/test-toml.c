/* SPDX-License-Identifier: Apache-2.0 */
/* common/toml.c: every value type and its edge cases, the invalid forms with their
 * line:column, the table redefinition rules, upstream's real documents (AA and CDH
 * configs, init-data, registries.conf), the lookup API and the limits. */
#include <math.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/toml.h"
#include "tests/unit/tests.h"

static struct toml_value *parse_n(const char *s, size_t n)
{
	struct toml_value *t = NULL;
	struct toml_error err;
	int r = toml_parse(s, n, &t, &err);

	if (r < 0)
		printf("# %.*s\n# -> %d %u:%u: %s\n", (int) n, s, r, err.line, err.column,
		       err.message);
	ASSERT_OK(r);
	ASSERT_TRUE(t != NULL);
	ASSERT_EQ(toml_value_type(t), TOML_TABLE);
	return t;
}

static struct toml_value *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

struct bad {
	const char *doc;
	unsigned line, column;
	const char *msg; /* a substring of the message */
};

static void check_bad_n(const struct bad *c, size_t n, int want)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct toml_value *sentinel = (struct toml_value *) &sentinel, *t = sentinel;
		struct toml_error err;
		int r = toml_parse(c[i].doc, strlen(c[i].doc), &t, &err);

		if (r != want || err.line != c[i].line || err.column != c[i].column ||
		    !strstr(err.message, c[i].msg) || t != sentinel) {
			printf("# case %zu: '%s'\n# want %d %u:%u '%s', got %d %u:%u '%s'\n", i,
			       c[i].doc, want, c[i].line, c[i].column, c[i].msg, r, err.line,
			       err.column, err.message);
			failed++;
		}
	}
	ASSERT_EQ(failed, 0);
}

#define check_bad(c) check_bad_n(c, ELEMENTSOF(c), -EBADMSG)

static const char *str(const struct toml_value *t, const char *key)
{
	const char *s = NULL;

	ASSERT_OK(toml_get_string(t, key, &s));
	return s;
}

static int64_t num(const struct toml_value *t, const char *key)
{
	int64_t v = 0;

	ASSERT_OK(toml_get_int(t, key, &v));
	return v;
}

static double flt(const struct toml_value *t, const char *key)
{
	double v = 0;

	ASSERT_OK(toml_get_float(t, key, &v));
	return v;
}

static bool boolean(const struct toml_value *t, const char *key)
{
	bool v = false;

	ASSERT_OK(toml_get_bool(t, key, &v));
	return v;
}

static void test_empty_and_comments(void)
{
	_cleanup_(toml_freep) struct toml_value *a = parse(""), *b = NULL, *c = NULL;

	ASSERT_EQ(toml_count(a), 0);
	b = parse("# only a comment");
	ASSERT_EQ(toml_count(b), 0);
	c = parse("\n\n  # c1 é ✓ \t\n\t\na = 1 # trailing\n# c2\n[t] # after header\n"
		  "b = [ # in array\n 2, # after elem\n # own line\n]\n");
	ASSERT_EQ(num(c, "a"), 1);
	ASSERT_EQ(toml_count(toml_get_path(c, "t.b")), 1);
	ASSERT_EQ(toml_count(c), 2);
}

static void test_basic_strings(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const char *s;
	size_t n;

	t = parse("a = \"plain\"\n"
		  "b = \"\"\n"
		  "c = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n"
		  "d = \"\\u00e9\\u20AC\\U0001F600\\u0041\"\n"
		  "e = \"tab\there, 'single' and # not a comment\"\n"
		  "f = \"\\uD7FF\\uE000\\U0010FFFF\"\n"
		  "g = \"unicode é ✓ 😀\"\n");
	ASSERT_STREQ(str(t, "a"), "plain");
	ASSERT_STREQ(str(t, "b"), "");
	ASSERT_STREQ(str(t, "c"), "\b\t\n\f\r\"\\");
	ASSERT_STREQ(str(t, "d"), "é€😀A");
	ASSERT_STREQ(str(t, "e"), "tab\there, 'single' and # not a comment");
	ASSERT_STREQ(str(t, "f"), "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
	ASSERT_STREQ(str(t, "g"), "unicode é ✓ 😀");
	ASSERT_OK(toml_value_string(toml_table_get(t, "d"), &s, &n));
	ASSERT_EQ(n, 2 + 3 + 4 + 1);
}

static void test_literal_strings(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;

	t = parse("winpath = 'C:\\Users\\nodejs\\templates'\n"
		  "quoted = 'Tom \"Dubs\" Preston-Werner'\n"
		  "regex = '<\\i\\c*\\s*>'\n"
		  "empty = ''\n"
		  "tab = 'a\tb'\n");
	ASSERT_STREQ(str(t, "winpath"), "C:\\Users\\nodejs\\templates");
	ASSERT_STREQ(str(t, "quoted"), "Tom \"Dubs\" Preston-Werner");
	ASSERT_STREQ(str(t, "regex"), "<\\i\\c*\\s*>");
	ASSERT_STREQ(str(t, "empty"), "");
	ASSERT_STREQ(str(t, "tab"), "a\tb");
}

static void test_multiline_basic(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;

	t = parse(
	    "a = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
	    "b = \"\"\"\r\nfirst newline trimmed\r\nCRLF kept as LF\"\"\"\n"
	    "c = \"\"\"no newline to trim\"\"\"\n"
	    "d = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
	    "e = \"\"\"\\\n       The quick brown \\\n       fox.\\\n       \"\"\"\n"
	    "f = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
	    "g = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
	    "h = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
	    "i = \"\"\"two at the end\"\"\"\"\"\n"
	    "j = \"\"\"ws after backslash \\  \t \n  next\"\"\"\n"
	    "k = \"\"\"\"\"\"\n"
	    "l = \"\"\"esc \\u00e9 \\t \\\"\"\"\"\n"
	    "m = \"\"\"\n\n\"\"\"\n"
	    "n = \"\"\"\"\"\"\"\n");
	ASSERT_STREQ(str(t, "a"), "Roses are red\nViolets are blue");
	ASSERT_STREQ(str(t, "b"), "first newline trimmed\nCRLF kept as LF");
	ASSERT_STREQ(str(t, "c"), "no newline to trim");
	ASSERT_STREQ(str(t, "d"), "The quick brown fox jumps over the lazy dog.");
	ASSERT_STREQ(str(t, "e"), "The quick brown fox.");
	ASSERT_STREQ(str(t, "f"), "Here are two quotation marks: \"\". Simple enough.");
	ASSERT_STREQ(str(t, "g"), "Here are three quotation marks: \"\"\".");
	ASSERT_STREQ(str(t, "h"), "\"This,\" she said, \"is just a pointless statement.\"");
	ASSERT_STREQ(str(t, "i"), "two at the end\"\"");
	ASSERT_STREQ(str(t, "j"), "ws after backslash next");
	ASSERT_STREQ(str(t, "k"), "");
	ASSERT_STREQ(str(t, "l"), "esc é \t \"");
	ASSERT_STREQ(str(t, "m"), "\n");
	ASSERT_STREQ(str(t, "n"), "\"");
}

static void test_multiline_literal(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;

	t = parse(
	    "regex2 = '''I [dw]on't need \\d{2} apples'''\n"
	    "lines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other "
	    "whitespace\n   is preserved.\n'''\n"
	    "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
	    "apos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
	    "str = ''''That,' she said, 'is still pointless.''''\n"
	    "crlf = '''\r\na\r\nb\\\r\n'''\n"
	    "two = '''x'''''\n");
	ASSERT_STREQ(str(t, "regex2"), "I [dw]on't need \\d{2} apples");
	ASSERT_STREQ(str(t, "lines"), "The first newline is\ntrimmed in raw strings.\n   All other "
				      "whitespace\n   is preserved.\n");
	ASSERT_STREQ(str(t, "quot15"),
		     "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
	ASSERT_STREQ(str(t, "apos15"), "Here are fifteen apostrophes: '''''''''''''''");
	ASSERT_STREQ(str(t, "str"), "'That,' she said, 'is still pointless.'");
	ASSERT_STREQ(str(t, "crlf"), "a\nb\\\n");
	ASSERT_STREQ(str(t, "two"), "x''");
}

static void test_string_nul(void)
{
	static const char doc[] = "k = \"a\\u0000b\"\n\"n\\u0000ul\" = 'v'\n";
	_cleanup_(toml_freep) struct toml_value *t = parse(doc);
	const char *s = NULL, *key = NULL;
	size_t n = 0;

	ASSERT_ERR(toml_get_string(t, "k", &s), -EBADMSG);
	ASSERT_TRUE(s == NULL);
	ASSERT_ERR(toml_value_string(toml_table_get(t, "k"), &s, NULL), -EBADMSG);
	ASSERT_OK(toml_value_string(toml_table_get(t, "k"), &s, &n));
	ASSERT_EQ(n, 3);
	ASSERT_MEMEQ(s, "a\0b", 4);
	/* A key with a NUL: iteration gives its real length; a C-string lookup cannot
	 * reach it (and does not match its prefix). */
	ASSERT_TRUE(toml_table_at(t, 1, &key, &n) != NULL);
	ASSERT_EQ(n, 4);
	ASSERT_MEMEQ(key, "n\0ul", 5);
	ASSERT_TRUE(toml_table_get(t, "n") == NULL);
}

static void test_strings_invalid(void)
{
	static const struct bad c[] = {
		{ "a = \"abc", 1, 5, "unterminated string" },
		{ "a = \"abc\nd\"", 1, 9, "newline in a single-line string" },
		{ "a = \"abc\r\n\"", 1, 9, "newline in a single-line string" },
		{ "a = 'abc", 1, 5, "unterminated string" },
		{ "a = 'ab\nc'", 1, 8, "newline" },
		{ "a = \"\\x41\"", 1, 7, "invalid escape sequence: backslash followed by 'x'" },
		{ "a = \"\\e\"", 1, 7, "backslash followed by 'e'" },
		{ "a = \"\\ \"", 1, 7, "backslash followed by ' '" },
		{ "a = \"\\\"", 1, 5, "unterminated string" },
		{ "a = \"\\u12\"", 1, 10, "\\u needs 4 hex digits, found '\"'" },
		{ "a = \"\\u12G4\"", 1, 10, "found 'G'" },
		{ "a = \"\\U0000004\"", 1, 15, "\\U needs 8 hex digits" },
		{ "a = \"\\uD800\"", 1, 6, "\\uD800 is not a Unicode scalar value" },
		{ "a = \"\\uDFFF\"", 1, 6, "not a Unicode scalar value" },
		{ "a = \"\\U00110000\"", 1, 6, "\\U00110000 is not a Unicode scalar value" },
		{ "a = \"\\UFFFFFFFF\"", 1, 6, "not a Unicode scalar value" },
		{ "a = \"\"\"abc", 1, 5, "unterminated multi-line string" },
		{ "a = \"\"\"abc\"\"", 1, 5, "unterminated multi-line string" },
		{ "a = '''abc''", 1, 5, "unterminated multi-line string" },
		{ "a = \"\"\"abc\"\"\"\"\"\"", 1, 16, "too many quotes" },
		{ "a = '''abc''''''", 1, 16, "too many quotes" },
		{ "a = \"\"\"\n  foo \\ \\n  bar\"\"\"", 2, 8, "backslash followed by ' '" },
		{ "a = \"\"\"\\q\"\"\"", 1, 9, "backslash followed by 'q'" },
		{ "a = \"abc\" \"def\"", 1, 11, "expected a newline after the value, found '\"'" },
		{ "a = \"abc\"x", 1, 10, "found 'x'" },
		{ "a = \"\"\"\"\"\"\"\"\"", 1, 13, "too many quotes" },
	};

	check_bad(c);
}

static void test_integers(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;

	t = parse("a = 99\nb = +42\nc = 0\nd = -17\ne = +0\nf = -0\n"
		  "g = 1_000\nh = 5_349_221\ni = 53_49_221\nj = 1_2_3_4_5\n"
		  "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\nhex4 = 0x00ff\n"
		  "oct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\nbin2 = 0b0_1\n"
		  "max = 9223372036854775807\nmin = -9223372036854775808\n"
		  "hmax = 0x7FFFFFFFFFFFFFFF\nomax = 0o777777777777777777777\n"
		  "bmax = 0b111111111111111111111111111111111111111111111111111111111111111\n");
	ASSERT_EQ(num(t, "a"), 99);
	ASSERT_EQ(num(t, "b"), 42);
	ASSERT_EQ(num(t, "c"), 0);
	ASSERT_EQ(num(t, "d"), -17);
	ASSERT_EQ(num(t, "e"), 0);
	ASSERT_EQ(num(t, "f"), 0);
	ASSERT_EQ(num(t, "g"), 1000);
	ASSERT_EQ(num(t, "h"), 5349221);
	ASSERT_EQ(num(t, "i"), 5349221);
	ASSERT_EQ(num(t, "j"), 12345);
	ASSERT_EQ(num(t, "hex1"), 0xDEADBEEF);
	ASSERT_EQ(num(t, "hex2"), 0xDEADBEEF);
	ASSERT_EQ(num(t, "hex3"), 0xDEADBEEF);
	ASSERT_EQ(num(t, "hex4"), 255);
	ASSERT_EQ(num(t, "oct1"), 01234567);
	ASSERT_EQ(num(t, "oct2"), 0755);
	ASSERT_EQ(num(t, "bin1"), 214);
	ASSERT_EQ(num(t, "bin2"), 1);
	ASSERT_EQ(num(t, "max"), INT64_MAX);
	ASSERT_EQ(num(t, "min"), INT64_MIN);
	ASSERT_EQ(num(t, "hmax"), INT64_MAX);
	ASSERT_EQ(num(t, "omax"), INT64_MAX);
	ASSERT_EQ(num(t, "bmax"), INT64_MAX);
}

static void test_integers_invalid(void)
{
	static const struct bad c[] = {
		{ "a = 01", 1, 5, "leading zeros" },
		{ "a = 00", 1, 5, "leading zeros" },
		{ "a = -01", 1, 6, "leading zeros" },
		{ "a = +0_1", 1, 6, "leading zeros" },
		{ "a = 1__000", 1, 6, "underscores must sit between digits" },
		{ "a = 1000_", 1, 9, "underscores" },
		{ "a = _1000", 1, 5, "invalid value '_1000'" },
		{ "a = +_1", 1, 6, "underscores" },
		{ "a = ++1", 1, 6, "expected a digit" },
		{ "a = -+1", 1, 6, "expected a digit" },
		{ "a = 1 2", 1, 7, "expected a newline after the value, found '2'" },
		{ "a = 12a", 1, 7, "unexpected 'a' in a number" },
		{ "a = 0X1F", 1, 6, "unexpected 'X'" },
		{ "a = 0O17", 1, 6, "unexpected 'O'" },
		{ "a = 0B1", 1, 6, "unexpected 'B'" },
		{ "a = 0x", 1, 7, "expected a digit" },
		{ "a = 0o", 1, 7, "expected a digit" },
		{ "a = 0b", 1, 7, "expected a digit" },
		{ "a = 0xG", 1, 7, "expected a digit" },
		{ "a = 0o8", 1, 7, "expected a digit" },
		{ "a = 0o78", 1, 8, "invalid digit in a base-8 integer" },
		{ "a = 0b102", 1, 9, "invalid digit in a base-2 integer" },
		{ "a = 0x_1", 1, 7, "underscores" },
		{ "a = 0x1_", 1, 8, "underscores" },
		{ "a = 0x1__2", 1, 8, "underscores" },
		{ "a = +0x1", 1, 5, "take no sign" },
		{ "a = -0o7", 1, 5, "take no sign" },
		{ "a = -0b1", 1, 5, "take no sign" },
		{ "a = 9223372036854775808", 1, 5, "does not fit in 64 bits" },
		{ "a = -9223372036854775809", 1, 5, "does not fit in 64 bits" },
		{ "a = 99999999999999999999999", 1, 5, "does not fit" },
		{ "a = 0x8000000000000000", 1, 5, "does not fit" },
		{ "a = 0b1000000000000000000000000000000000000000000000000000000000000000", 1, 5,
		  "does not fit" },
		{ "a = 1-2", 1, 6, "unexpected '-'" },
		{ "a = -", 1, 6, "expected a digit" },
		{ "a = +", 1, 6, "expected a digit" },
		{ "a = \xd9\xa0", 1, 5, "expected a value, found U+0660" },
	};

	check_bad(c);
}

static void test_floats(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	double f;

	t = parse("a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\n"
		  "g = 6.626e-34\nh = 224_617.445_991_228\ni = -0.0\nj = +0.0\nk = 0e0\n"
		  "l = 1_0.0_1e1_0\nm = inf\nn = +inf\no = -inf\np = nan\nq = +nan\nr = -nan\n"
		  "s = 1.7976931348623157e308\nt = 4.9e-324\nu = 1e-400\nv = 0.1\n"
		  "w = 3E2\nx = 1e+0\n");
	ASSERT_TRUE(flt(t, "a") == 1.0);
	ASSERT_TRUE(flt(t, "b") == 3.1415);
	ASSERT_TRUE(flt(t, "c") == -0.01);
	ASSERT_TRUE(flt(t, "d") == 5e22);
	ASSERT_TRUE(flt(t, "e") == 1e6);
	ASSERT_TRUE(flt(t, "f") == -0.02);
	ASSERT_TRUE(flt(t, "g") == 6.626e-34);
	ASSERT_TRUE(flt(t, "h") == 224617.445991228);
	f = flt(t, "i");
	ASSERT_TRUE(f == 0.0 && signbit(f));
	f = flt(t, "j");
	ASSERT_TRUE(f == 0.0 && !signbit(f));
	ASSERT_TRUE(flt(t, "k") == 0.0);
	ASSERT_TRUE(flt(t, "l") == 10.01e10);
	ASSERT_TRUE(isinf(flt(t, "m")) && flt(t, "m") > 0);
	ASSERT_TRUE(isinf(flt(t, "n")) && flt(t, "n") > 0);
	ASSERT_TRUE(isinf(flt(t, "o")) && flt(t, "o") < 0);
	ASSERT_TRUE(isnan(flt(t, "p")) && isnan(flt(t, "q")) && isnan(flt(t, "r")));
	ASSERT_TRUE(flt(t, "s") == 1.7976931348623157e308);
	ASSERT_TRUE(flt(t, "t") > 0);
	ASSERT_TRUE(flt(t, "u") == 0.0); /* underflow rounds to zero; only overflow fails */
	ASSERT_TRUE(flt(t, "v") == 0.1);
	ASSERT_TRUE(flt(t, "w") == 300.0);
	ASSERT_TRUE(flt(t, "x") == 1.0);
	ASSERT_EQ(toml_value_type(toml_table_get(t, "k")), TOML_FLOAT);
}

static void test_floats_invalid(void)
{
	static const struct bad c[] = {
		{ "a = .7", 1, 5, "invalid value '.7'" },
		{ "a = 7.", 1, 7, "expected a digit after the decimal point" },
		{ "a = 3.e+20", 1, 7, "after the decimal point" },
		{ "a = 1.2.3", 1, 8, "unexpected '.'" },
		{ "a = 1e", 1, 7, "expected a digit in the exponent" },
		{ "a = 1e+", 1, 8, "in the exponent" },
		{ "a = 1e1.5", 1, 8, "unexpected '.'" },
		{ "a = 1ee5", 1, 7, "in the exponent" },
		{ "a = 1e_5", 1, 7, "underscores must sit between digits in the exponent" },
		{ "a = 1e5_", 1, 8, "underscores" },
		{ "a = 1_.5", 1, 6, "underscores" },
		{ "a = 1._5", 1, 7, "underscores" },
		{ "a = 1.5_", 1, 8, "underscores" },
		{ "a = 01.5", 1, 5, "leading zeros" },
		{ "a = -01.5", 1, 6, "leading zeros" },
		{ "a = 00e1", 1, 5, "leading zeros" },
		{ "a = +.5", 1, 6, "expected a digit" },
		{ "a = 1e400", 1, 5, "float out of range" },
		{ "a = -1e400", 1, 5, "float out of range" },
		{ "a = infinity", 1, 5, "invalid value 'infinity'" },
		{ "a = Inf", 1, 5, "invalid value 'Inf'" },
		{ "a = NaN", 1, 5, "invalid value 'NaN'" },
		{ "a = in", 1, 5, "invalid value 'in'" },
		{ "a = nax", 1, 5, "invalid value 'nax' (strings must be quoted)" },
		{ "a = +in", 1, 6, "expected a digit" },
		{ "a = nan_", 1, 5, "invalid value 'nan_'" },
		{ "a = i_nf", 1, 5, "invalid value" },
		{ "a = 1.0e", 1, 9, "in the exponent" },
		{ "a = 0x1.0", 1, 8, "invalid digit in a base-16 integer" },
		{ "a = 1,5", 1, 6, "expected a newline after the value, found ','" },
	};

	check_bad(c);
}

static void test_booleans(void)
{
	_cleanup_(toml_freep) struct toml_value *t = parse("t = true\nf = false\n");
	static const struct bad c[] = {
		{ "a = True", 1, 5, "invalid value 'True'" },
		{ "a = FALSE", 1, 5, "invalid value 'FALSE'" },
		{ "a = tru", 1, 5, "invalid value 'tru'" },
		{ "a = truee", 1, 5, "invalid value 'truee'" },
		{ "a = true false", 1, 10, "expected a newline after the value" },
		{ "a = yes", 1, 5, "invalid value 'yes' (strings must be quoted)" },
		{ "a = t", 1, 5, "invalid value 't'" },
		{ "a = f", 1, 5, "invalid value 'f'" },
	};

	ASSERT_TRUE(boolean(t, "t"));
	ASSERT_TRUE(!boolean(t, "f"));
	check_bad(c);
}

static const struct toml_datetime *dt_of(const struct toml_value *t, const char *key)
{
	const struct toml_datetime *dt = NULL;

	ASSERT_OK(toml_get_datetime(t, key, &dt));
	return dt;
}

static void test_datetimes(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_datetime *dt;

	t = parse("odt1 = 1979-05-27T07:32:00Z\n"
		  "odt2 = 1979-05-27T00:32:00-07:00\n"
		  "odt3 = 1979-05-27T00:32:00.999999+05:30\n"
		  "odt4 = 1979-05-27 07:32:00z\n"
		  "odt5 = 1979-05-27t07:32:00.123456789123Z\n"
		  "ldt1 = 1979-05-27T07:32:00\n"
		  "ldt2 = 1979-05-27 00:32:00.5\n"
		  "ld1 = 1979-05-27\n"
		  "lt1 = 07:32:00\n"
		  "lt2 = 00:32:00.999999\n"
		  "leap = 2024-02-29\n"
		  "leap400 = 2000-02-29T23:59:60Z\n"
		  "min = 0000-01-01T00:00:00-23:59\n"
		  "max = 9999-12-31T23:59:59+23:59\n"
		  "arr = [1979-05-27, 07:32:00, 1979-05-27 07:32:00]\n"
		  "spaced = 1979-05-27 # a date, then a comment\n");
	dt = dt_of(t, "odt1");
	ASSERT_EQ(dt->kind, TOML_DATETIME_OFFSET);
	ASSERT_EQ(dt->year, 1979);
	ASSERT_EQ(dt->month, 5);
	ASSERT_EQ(dt->day, 27);
	ASSERT_EQ(dt->hour, 7);
	ASSERT_EQ(dt->minute, 32);
	ASSERT_EQ(dt->second, 0);
	ASSERT_EQ(dt->nanosecond, 0);
	ASSERT_EQ(dt->offset_minutes, 0);
	ASSERT_STREQ(dt->text, "1979-05-27T07:32:00Z");
	dt = dt_of(t, "odt2");
	ASSERT_EQ(dt->offset_minutes, -7 * 60);
	ASSERT_STREQ(dt->text, "1979-05-27T00:32:00-07:00");
	dt = dt_of(t, "odt3");
	ASSERT_EQ(dt->nanosecond, 999999000);
	ASSERT_EQ(dt->offset_minutes, 5 * 60 + 30);
	dt = dt_of(t, "odt4");
	ASSERT_EQ(dt->kind, TOML_DATETIME_OFFSET);
	ASSERT_STREQ(dt->text, "1979-05-27 07:32:00z");
	dt = dt_of(t, "odt5");
	ASSERT_EQ(dt->nanosecond, 123456789); /* truncated, not rounded */
	dt = dt_of(t, "ldt1");
	ASSERT_EQ(dt->kind, TOML_DATETIME_LOCAL);
	ASSERT_EQ(dt->hour, 7);
	dt = dt_of(t, "ldt2");
	ASSERT_EQ(dt->kind, TOML_DATETIME_LOCAL);
	ASSERT_EQ(dt->nanosecond, 500000000);
	dt = dt_of(t, "ld1");
	ASSERT_EQ(dt->kind, TOML_DATE_LOCAL);
	ASSERT_EQ(dt->day, 27);
	ASSERT_EQ(dt->hour, 0);
	ASSERT_STREQ(dt->text, "1979-05-27");
	dt = dt_of(t, "lt1");
	ASSERT_EQ(dt->kind, TOML_TIME_LOCAL);
	ASSERT_EQ(dt->year, 0);
	ASSERT_EQ(dt->minute, 32);
	dt = dt_of(t, "lt2");
	ASSERT_EQ(dt->nanosecond, 999999000);
	ASSERT_EQ(dt_of(t, "leap")->day, 29);
	ASSERT_EQ(dt_of(t, "leap400")->second, 60);
	ASSERT_EQ(dt_of(t, "min")->offset_minutes, -(23 * 60 + 59));
	ASSERT_EQ(dt_of(t, "max")->year, 9999);
	ASSERT_EQ(toml_count(toml_table_get(t, "arr")), 3);
	ASSERT_OK(toml_value_datetime(toml_array_at(toml_table_get(t, "arr"), 2), &dt));
	ASSERT_EQ(dt->kind, TOML_DATETIME_LOCAL);
	ASSERT_EQ(dt_of(t, "spaced")->kind, TOML_DATE_LOCAL);
}

static void test_datetimes_invalid(void)
{
	static const struct bad c[] = {
		{ "a = 1979-13-01", 1, 10, "month out of range" },
		{ "a = 1979-00-01", 1, 10, "month out of range" },
		{ "a = 1979-01-00", 1, 13, "day out of range" },
		{ "a = 1979-01-32", 1, 13, "day out of range" },
		{ "a = 1979-04-31", 1, 13, "day out of range" },
		{ "a = 2023-02-29", 1, 13, "day out of range" },
		{ "a = 1900-02-29", 1, 13, "day out of range" },
		{ "a = 1979-5-27", 1, 5, "invalid date: expected YYYY-MM-DD" },
		{ "a = 1979-05-7", 1, 5, "invalid date" },
		{ "a = 1979-05-27T24:00:00", 1, 16, "hour out of range" },
		{ "a = 1979-05-27T23:60:00", 1, 19, "minute out of range" },
		{ "a = 1979-05-27T23:59:61", 1, 22, "second out of range" },
		{ "a = 1979-05-27T07:32", 1, 16, "invalid time: expected HH:MM:SS" },
		{ "a = 1979-05-27T7:32:00", 1, 16, "invalid time" },
		{ "a = 1979-05-27T", 1, 16, "invalid time" },
		{ "a = 1979-05-27T07:32:00.", 1, 25, "expected digits after the decimal point" },
		{ "a = 1979-05-27T07:32:00+07", 1, 24, "invalid time offset" },
		{ "a = 1979-05-27T07:32:00+7:00", 1, 24, "invalid time offset" },
		{ "a = 1979-05-27T07:32:00+24:00", 1, 24, "time offset out of range" },
		{ "a = 1979-05-27T07:32:00+01:60", 1, 24, "time offset out of range" },
		{ "a = 1979-05-27T07:32:00ZZ", 1, 25, "expected a newline after the value" },
		{ "a = 1979-05-27 07:32", 1, 16, "invalid time" },
		{ "a = 1979-05-27X07:32:00", 1, 15, "expected a newline after the value" },
		{ "a = 07:32", 1, 5, "invalid time" },
		{ "a = 07:32:00Z", 1, 13, "expected a newline after the value, found 'Z'" },
		{ "a = 07:32:00+01:00", 1, 13, "found '+'" },
		{ "a = 24:00:00", 1, 5, "hour out of range" },
		{ "a = 12:00:00.", 1, 14, "expected digits" },
		{ "a = 19790-05-27", 1, 10, "unexpected '-' in a number" },
		{ "a = 1979-05-27T07:32:00.5.5", 1, 26, "expected a newline after the value" },
	};

	check_bad(c);
}

static void test_arrays(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_value *a, *e;
	int64_t v;

	t = parse("integers = [ 1, 2, 3 ]\n"
		  "colors = [ \"red\", 'yellow', \"\"\"green\"\"\" ]\n"
		  "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
		  "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
		  "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
		  "contributors = [\n  \"Foo Bar <foo@example.com>\",\n"
		  "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = "
		  "\"https://example.com/bazqux\" }\n]\n"
		  "integers2 = [\n  1, 2, 3\n]\n"
		  "integers3 = [\n  1,\n  2, # this is ok\n]\n"
		  "empty = []\nempty2 = [\n]\nempty3 = [ # c\n # c\n]\n"
		  "nospace=[1,2]\n"
		  "crlf = [\r\n1,\r\n2\r\n]\n"
		  "deep = [[[[[]]]]]\n");
	a = toml_table_get(t, "integers");
	ASSERT_EQ(toml_value_type(a), TOML_ARRAY);
	ASSERT_EQ(toml_count(a), 3);
	ASSERT_OK(toml_value_int(toml_array_at(a, 2), &v));
	ASSERT_EQ(v, 3);
	ASSERT_TRUE(toml_array_at(a, 3) == NULL);
	ASSERT_EQ(toml_count(toml_table_get(t, "colors")), 3);
	a = toml_table_get(t, "nested_mixed_array");
	ASSERT_EQ(toml_count(toml_array_at(a, 1)), 3);
	a = toml_table_get(t, "numbers");
	ASSERT_EQ(toml_value_type(toml_array_at(a, 0)), TOML_FLOAT);
	ASSERT_EQ(toml_value_type(toml_array_at(a, 3)), TOML_INTEGER);
	a = toml_table_get(t, "contributors");
	ASSERT_EQ(toml_count(a), 2);
	e = toml_array_at(a, 1);
	ASSERT_EQ(toml_value_type(e), TOML_TABLE);
	ASSERT_STREQ(str(e, "name"), "Baz Qux");
	ASSERT_EQ(toml_count(toml_table_get(t, "integers2")), 3);
	ASSERT_EQ(toml_count(toml_table_get(t, "integers3")), 2);
	ASSERT_EQ(toml_count(toml_table_get(t, "empty")), 0);
	ASSERT_EQ(toml_value_type(toml_table_get(t, "empty2")), TOML_ARRAY);
	ASSERT_EQ(toml_count(toml_table_get(t, "empty3")), 0);
	ASSERT_EQ(toml_count(toml_table_get(t, "nospace")), 2);
	ASSERT_EQ(toml_count(toml_table_get(t, "crlf")), 2);
	a = toml_table_get(t, "deep");
	for (int i = 0; i < 4; i++)
		a = toml_array_at(a, 0);
	ASSERT_EQ(toml_value_type(a), TOML_ARRAY);
	ASSERT_EQ(toml_count(a), 0);
}

static void test_arrays_invalid(void)
{
	static const struct bad c[] = {
		{ "a = [1,,2]", 1, 8, "expected a value, found ','" },
		{ "a = [,]", 1, 6, "expected a value, found ','" },
		{ "a = [1 2]", 1, 8, "expected ',' or ']' in the array, found '2'" },
		{ "a = [1,2", 1, 5, "unterminated array" },
		{ "a = [1,", 1, 8, "expected a value, found the end of the document" },
		{ "a = [1", 1, 5, "unterminated array" },
		{ "a = [1,\n2\n", 1, 5, "unterminated array" },
		{ "a = [1]]", 1, 8, "expected a newline after the value, found ']'" },
		{ "a = [1] 2", 1, 9, "found '2'" },
		{ "a = [ I, am, text ]", 1, 7, "invalid value 'I'" },
		{ "a = [\n  1,\n  x\n]", 3, 3, "invalid value 'x'" },
		{ "a = [1 # c ]", 1, 5, "unterminated array" },
		{ "a = [ { b = 1 }, { c = 2 ]", 1, 26, "expected ',' or '}'" },
	};

	check_bad(c);
}

static void test_inline_tables(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_value *v;

	t = parse("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
		  "point = { x = 1, y = 2 }\n"
		  "animal = { type.name = \"pug\", type.size = 'small' }\n"
		  "empty = {}\nempty2 = {   }\n"
		  "nested = { a = { b = { c = [ { d = 1 } ] } } }\n"
		  "ml = { s = \"\"\"\nline\"\"\", arr = [\n1,\n2,\n] }\n"
		  "tight={a=1,b=true}\n");
	ASSERT_STREQ(str(toml_table_get(t, "name"), "last"), "Preston-Werner");
	ASSERT_EQ(num(toml_table_get(t, "point"), "y"), 2);
	ASSERT_STREQ(str(toml_get_path(t, "animal.type"), "size"), "small");
	ASSERT_EQ(toml_count(toml_table_get(t, "empty")), 0);
	ASSERT_EQ(toml_value_type(toml_table_get(t, "empty2")), TOML_TABLE);
	v = toml_array_at(toml_get_path(t, "nested.a.b.c"), 0);
	ASSERT_EQ(num(v, "d"), 1);
	ASSERT_STREQ(str(toml_table_get(t, "ml"), "s"), "line");
	ASSERT_EQ(toml_count(toml_get_path(t, "ml.arr")), 2);
	ASSERT_TRUE(boolean(toml_table_get(t, "tight"), "b"));
}

static void test_inline_tables_invalid(void)
{
	static const struct bad c[] = {
		{ "a = { b = 1, }", 1, 14, "trailing comma in an inline table" },
		{ "a = { b = 1\n}", 1, 12, "newline in an inline table" },
		{ "a = {\n b = 1 }", 1, 6, "newline in an inline table" },
		{ "a = { b = 1,\n c = 2 }", 1, 13, "newline in an inline table" },
		{ "a = { b = 1 # c\n}", 1, 13, "comment in an inline table" },
		{ "a = { b = 1 c = 2 }", 1, 13,
		  "expected ',' or '}' in the inline table, found 'c'" },
		{ "a = { b = 1,, c = 2 }", 1, 13, "expected a key, found ','" },
		{ "a = { , }", 1, 7, "expected a key, found ','" },
		{ "a = { b = 1", 1, 5, "unterminated inline table" },
		{ "a = { b = 1, b = 2 }", 1, 14, "duplicate key 'b'" },
		{ "a = { b.c = 1, b = 2 }", 1, 16, "duplicate key 'b'" },
		{ "a = { b = {}, b.c = 2 }", 1, 15, "inline table 'b' cannot be extended" },
		{ "a = { b = 1, b.c = 2 }", 1, 14, "key 'b' is already defined as an integer" },
		{ "a = { b }", 1, 9, "expected '=' after the key, found '}'" },
		{ "a = { = 1 }", 1, 7, "expected a key, found '='" },
		{ "a = {}\na.b = 1", 2, 1, "inline table 'a' cannot be extended" },
		{ "a = {}\n[a]", 2, 2, "inline table 'a' cannot be extended" },
		{ "a = {}\n[a.b]", 2, 2, "inline table 'a' cannot be extended" },
		{ "a = { b = { c = 1 } }\n[a.b.d]", 2, 2, "inline table 'a' cannot be extended" },
		{ "a = { b.c = 1 }\na.b.d = 2", 2, 1, "inline table 'a' cannot be extended" },
		{ "a = {}\n[[a]]", 2, 3, "key 'a' is already defined as a table" },
		{ "a.b = 0\na = {}", 2, 1, "duplicate key 'a'" },
		{ "[product]\ntype = { name = \"Nail\" }\ntype.edible = false", 3, 1,
		  "inline table 'type' cannot be extended" },
		{ "[product]\ntype.name = \"Nail\"\ntype = { edible = false }", 3, 1,
		  "duplicate key 'type'" },
	};

	check_bad(c);
}

static void test_keys(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const char *key;
	size_t n;

	t = parse("key = \"value\"\nbare_key = 1\nbare-key = 2\n1234 = 3\nA-Z_a-z_0-9 = 4\n"
		  "\"127.0.0.1\" = 5\n\"character encoding\" = 6\n\"ʎǝʞ\" = 7\n'key2' = 8\n"
		  "'quoted \"value\"' = 9\n\"\" = 10\n"
		  "physical.color = \"orange\"\nphysical.shape = \"round\"\n"
		  "site.\"google.com\" = true\n"
		  "fruit . flavor = \"banana\"\n"
		  "3.14159 = \"pi\"\n"
		  "\"a\\u0062c\" = 11\n"
		  "true = 12\ninf = 13\n"
		  "x.'y z'.\"w\" = 14\n"
		  "sp\t=\t15\n"
		  "KEY = 16\n");
	ASSERT_STREQ(str(t, "key"), "value");
	ASSERT_EQ(num(t, "bare_key"), 1);
	ASSERT_EQ(num(t, "bare-key"), 2);
	ASSERT_EQ(num(t, "1234"), 3);
	ASSERT_EQ(num(t, "A-Z_a-z_0-9"), 4);
	ASSERT_EQ(num(t, "127.0.0.1"), 5);
	ASSERT_EQ(num(t, "character encoding"), 6);
	ASSERT_EQ(num(t, "ʎǝʞ"), 7);
	ASSERT_EQ(num(t, "key2"), 8);
	ASSERT_EQ(num(t, "quoted \"value\""), 9);
	ASSERT_EQ(num(t, ""), 10);
	ASSERT_STREQ(str(toml_table_get(t, "physical"), "shape"), "round");
	ASSERT_TRUE(boolean(toml_table_get(t, "site"), "google.com"));
	ASSERT_STREQ(str(toml_get_path(t, "fruit"), "flavor"), "banana");
	ASSERT_STREQ(str(toml_get_path(t, "3"), "14159"), "pi");
	ASSERT_EQ(num(t, "abc"), 11);
	ASSERT_EQ(num(t, "true"), 12);
	ASSERT_EQ(num(t, "inf"), 13);
	ASSERT_EQ(num(toml_table_get(toml_table_get(t, "x"), "y z"), "w"), 14);
	ASSERT_EQ(num(t, "sp"), 15);
	ASSERT_EQ(num(t, "KEY"), 16);
	/* Document order. */
	ASSERT_TRUE(toml_table_at(t, 0, &key, &n) != NULL);
	ASSERT_STREQ(key, "key");
	ASSERT_TRUE(toml_table_at(t, 3, &key, &n) != NULL);
	ASSERT_STREQ(key, "1234");
	ASSERT_TRUE(toml_table_at(t, toml_count(t) - 1, &key, NULL) != NULL);
	ASSERT_STREQ(key, "KEY");
	ASSERT_TRUE(toml_table_at(t, toml_count(t), &key, NULL) == NULL);
}

static void test_keys_invalid(void)
{
	static const struct bad c[] = {
		{ "= \"no key name\"", 1, 1, "expected a key, found '='" },
		{ "key = ", 1, 7, "expected a value, found the end of the document" },
		{ "key =\nvalue", 1, 6, "expected a value, found a newline" },
		{ "key", 1, 4, "expected '=' after the key, found the end of the document" },
		{ "key\n= 1", 1, 4, "expected '=' after the key, found a newline" },
		{ "first = \"Tom\" last = \"Preston-Werner\"", 1, 15, "expected a newline" },
		{ "name = 1\nname = 2", 2, 1, "duplicate key 'name'" },
		{ "spelling = 1\n\"spelling\" = 2", 2, 1, "duplicate key 'spelling'" },
		{ "a.b = 1\na.b = 2", 2, 3, "duplicate key 'a.b'" },
		{ "a = 1\na.b = 2", 2, 1, "key 'a' is already defined as an integer" },
		{ "a.b = 1\na.b.c = 2", 2, 3, "key 'a.b' is already defined as an integer" },
		{ "a = []\na.b = 2", 2, 1, "key 'a' is already defined as an array" },
		{ "\"\"\"k\"\"\" = 1", 1, 1, "a multi-line string cannot be a key" },
		{ "'''k''' = 1", 1, 1, "a multi-line string cannot be a key" },
		{ "a. = 1", 1, 4, "expected a key, found '='" },
		{ ".a = 1", 1, 1, "expected a key, found '.'" },
		{ "a..b = 1", 1, 3, "expected a key, found '.'" },
		{ "a b = 1", 1, 3, "expected '=' after the key, found 'b'" },
		{ "a==1", 1, 3, "expected a value, found '='" },
		{ "a = 1 = 2", 1, 7, "expected a newline after the value, found '='" },
		{ "k\xc3\xa9y = 1", 1, 2, "expected '=' after the key, found U+00E9" },
		{ "a@b = 1", 1, 2, "found '@'" },
		{ "\"abc = 1", 1, 1, "unterminated string" },
		{ "'abc = 1\n", 1, 9, "newline in a single-line string" },
		{ "\"a\"b = 1", 1, 4, "expected '=' after the key, found 'b'" },
		{ "a = 1\n\n# c\n  b = 2\n  b = 3", 5, 3, "duplicate key 'b'" },
		{ "[a]\nb = 1\n[c]\nd = 1\n[a.e]\nf = 1\nf = 2", 7, 1, "duplicate key 'f'" },
	};

	check_bad(c);
}

static void test_tables(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_value *v;
	const char *key;

	t = parse("top = 0\n"
		  "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n"
		  "[table-2]\nkey1 = \"another string\"\nkey2 = 456\n"
		  "[dog.\"tater.man\"]\ntype.name = \"pug\"\n"
		  "[ j . \"ʞ\" . 'l' ]\nk = 1\n"
		  "[x.y.z.w] # implicit x, y, z\n"
		  "[x] # defining a super-table afterwards is ok\nq = 2\n"
		  "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
		  "[fruit.apple.texture] # sub-tables under dotted ones are ok\nsmooth = true\n"
		  "[empty]\n"
		  "[\"\"]\nempty-name = 1\n");
	ASSERT_EQ(num(t, "top"), 0);
	ASSERT_EQ(num(toml_table_get(t, "table-1"), "key2"), 123);
	ASSERT_STREQ(str(toml_table_get(t, "table-2"), "key1"), "another string");
	v = toml_table_get(toml_table_get(t, "dog"), "tater.man");
	ASSERT_STREQ(str(toml_get_path(v, "type"), "name"), "pug");
	v = toml_table_get(toml_table_get(toml_table_get(t, "j"), "ʞ"), "l");
	ASSERT_EQ(num(v, "k"), 1);
	ASSERT_EQ(toml_value_type(toml_get_path(t, "x.y.z.w")), TOML_TABLE);
	ASSERT_EQ(num(toml_get_path(t, "x"), "q"), 2);
	ASSERT_TRUE(boolean(toml_get_path(t, "fruit.apple.taste"), "sweet"));
	ASSERT_TRUE(boolean(toml_get_path(t, "fruit.apple.texture"), "smooth"));
	ASSERT_EQ(toml_count(toml_get_path(t, "empty")), 0);
	ASSERT_EQ(num(toml_table_get(t, ""), "empty-name"), 1);
	/* The root's keys in document order; x comes from the implicit [x.y.z.w]. */
	ASSERT_TRUE(toml_table_at(t, 5, &key, NULL) != NULL);
	ASSERT_STREQ(key, "x");
	ASSERT_EQ(toml_count(toml_get_path(t, "x")), 2);
	ASSERT_TRUE(toml_table_at(toml_get_path(t, "x"), 1, &key, NULL) != NULL);
	ASSERT_STREQ(key, "q");
}

static void test_tables_invalid(void)
{
	static const struct bad c[] = {
		{ "[]", 1, 2, "expected a key, found ']'" },
		{ "[a", 1, 3, "expected ']' to close the table header, found the end" },
		{ "[a\n]", 1, 3, "found a newline" },
		{ "[a.]", 1, 4, "expected a key, found ']'" },
		{ "[.a]", 1, 2, "expected a key, found '.'" },
		{ "[a..b]", 1, 4, "expected a key" },
		{ "[a] b = 1", 1, 5, "expected a newline after the table header, found 'b'" },
		{ "[a]]", 1, 4, "found ']'" },
		{ "[[a]", 1, 5, "expected ']]' to close the array of tables header" },
		{ "[[a] ]", 1, 5, "expected ']]'" },
		{ "[ [a]]", 1, 3, "expected a key, found '['" },
		{ "[a b]", 1, 4, "expected ']' to close the table header, found 'b'" },
		{ "[a = 1]", 1, 4, "found '='" },
		{ "[a#b]", 1, 3, "found '#'" },
		{ "[\"a]", 1, 2, "unterminated string" },
		{ "[a]\n[a]", 2, 2, "table 'a' is defined twice" },
		{ "[a]\nb = 1\n[a]\nc = 2", 3, 2, "table 'a' is defined twice" },
		{ "[a.b]\n[a]\n[a.b]", 3, 4, "table 'a.b' is defined twice" },
		{ "[a]\nb = 1\n[a.b]", 3, 4, "key 'a.b' is already defined as an integer" },
		{ "a = 1\n[a]", 2, 2, "key 'a' is already defined as an integer" },
		{ "a = 1\n[a.b]", 2, 2, "key 'a' is already defined as an integer" },
		{ "a = \"s\"\n[a.b]", 2, 2, "already defined as a string" },
		{ "[fruit]\napple.color = \"red\"\n[fruit.apple]", 3, 8,
		  "table 'fruit.apple' is already defined by dotted keys" },
		{ "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]", 3, 14,
		  "table 'fruit.apple.taste' is already defined by dotted keys" },
		{ "a.b = 1\n[a]", 2, 2, "table 'a' is already defined by dotted keys" },
		/* toml-lang/toml#846: dotted keys cannot add to a table a [header] defined. */
		{ "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, 3,
		  "table 'b.c' is defined by a [header]; dotted keys cannot extend it" },
		{ "[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1", 4, 5, "table 'b.c.d' is defined by" },
		{ "[a.b]\n[a]\nb.c = 1", 3, 1, "table 'b' is defined by a [header]" },
		{ "[a.b.c]\n[a]\nb.d = 1\n[a.b]\n[a.b]", 5, 4, "table 'a.b' is defined twice" },
		{ "[a]\nb = 1\n[a]\nb = 2", 3, 2, "defined twice" },
		{ "[t]\n[t.x]\n[T]\n[t.x]", 4, 4, "table 't.x' is defined twice" },
	};

	check_bad(c);
}

static void test_array_of_tables(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_value *a, *e;

	t = parse("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n"
		  "[[products]]  # empty table within the array\n\n"
		  "[[products]]\nname = \"Nail\"\nsku = 284758393\ncolor = \"gray\"\n"
		  "[[fruits]]\nname = \"apple\"\n"
		  "[fruits.physical] # subtable of the last element\ncolor = \"red\"\n"
		  "shape = \"round\"\n"
		  "[[fruits.varieties]]\nname = \"red delicious\"\n"
		  "[[fruits.varieties]]\nname = \"granny smith\"\n"
		  "[[fruits]]\nname = \"banana\"\n"
		  "[[fruits.varieties]]\nname = \"plantain\"\n"
		  "[[a.b.c]]\nx = 1\n"
		  "[a] # implicit from [[a.b.c]], so it may be defined\ny = 2\n"
		  "[[ spaced . aot ]]\n");
	a = toml_table_get(t, "products");
	ASSERT_EQ(toml_value_type(a), TOML_ARRAY);
	ASSERT_EQ(toml_count(a), 3);
	ASSERT_STREQ(str(toml_array_at(a, 0), "name"), "Hammer");
	ASSERT_EQ(toml_count(toml_array_at(a, 1)), 0);
	ASSERT_EQ(num(toml_array_at(a, 2), "sku"), 284758393);
	a = toml_table_get(t, "fruits");
	ASSERT_EQ(toml_count(a), 2);
	e = toml_array_at(a, 0);
	ASSERT_STREQ(str(toml_table_get(e, "physical"), "shape"), "round");
	ASSERT_EQ(toml_count(toml_table_get(e, "varieties")), 2);
	ASSERT_STREQ(str(toml_array_at(toml_table_get(e, "varieties"), 1), "name"), "granny smith");
	e = toml_array_at(a, 1);
	ASSERT_STREQ(str(e, "name"), "banana");
	ASSERT_STREQ(str(toml_array_at(toml_table_get(e, "varieties"), 0), "name"), "plantain");
	ASSERT_EQ(num(toml_array_at(toml_get_path(t, "a.b.c"), 0), "x"), 1);
	ASSERT_EQ(num(toml_get_path(t, "a"), "y"), 2);
	ASSERT_EQ(toml_count(toml_get_path(t, "spaced.aot")), 1);
}

static void test_array_of_tables_invalid(void)
{
	static const struct bad c[] = {
		{ "fruits = []\n[[fruits]]", 2, 3, "static array 'fruits' cannot be extended" },
		{ "a = [{ b = 1 }]\n[a.c]", 2, 2, "static array 'a' cannot be extended" },
		{ "a = [{ b = 1 }]\n[[a.c]]", 2, 3, "static array 'a' cannot be extended" },
		{ "[[fruits]]\n[fruits]", 2, 2, "'fruits' is an array of tables, not a table" },
		{ "[[fruit]]\nname = 'apple'\n[[fruit.variety]]\n[fruit.variety]", 4, 8,
		  "'fruit.variety' is an array of tables" },
		{ "[fruit.physical]\n[[fruit]]", 2, 3,
		  "key 'fruit' is already defined as a table" },
		{ "[a]\n[[a]]", 2, 3, "already defined as a table" },
		/* [[albums.songs]] makes albums a table, so [[albums]] cannot follow. */
		{ "[[albums.songs]]\n[[albums]]", 2, 3,
		  "key 'albums' is already defined as a table" },
		{ "a = 1\n[[a]]", 2, 3, "already defined as an integer" },
		{ "[[a]]\nb = 1\n[[a.b]]", 3, 5, "key 'a.b' is already defined as an integer" },
		{ "[[a]]\nb.c = 1\n[a.b]", 3, 4, "table 'a.b' is already defined by dotted keys" },
		{ "[[a]]\n[a.b]\n[a.b]", 3, 4, "table 'a.b' is defined twice" },
		{ "[[]]", 1, 3, "expected a key, found ']'" },
		{ "[[a]]\n[a.b]\nx = 1\n[[a]]\nb.x = 1\n[a]", 6, 2, "array of tables" },
		{ "[[t]]\nk = 1\n[t]\nk = 2", 3, 2, "'t' is an array of tables" },
		{ "[[a]]\nx = 1\n[b]\na.y = 2\na = 3", 5, 1, "duplicate key 'a'" },
	};

	check_bad(c);
}

static void test_dotted_vs_headers_valid(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;

	/* Implicit tables made by headers may be filled by dotted keys of their parent
	 * and still be defined by a header afterwards (toml_edit does the same); the
	 * [[x]] element reached through its array. */
	t = parse("[a.b.c]\nz = 9\n[a]\nb.y = 1\n[a.b]\nx = 2\n"
		  "[[p]]\nq.r = 1\nq.s = 2\n[p.t]\nu = 1\n[[p]]\nq.r = 3\n"
		  "[m]\nn.o = 1\n[m.n.p]\nq = 1\n");
	ASSERT_EQ(num(toml_get_path(t, "a.b.c"), "z"), 9);
	ASSERT_EQ(num(toml_get_path(t, "a.b"), "y"), 1);
	ASSERT_EQ(num(toml_get_path(t, "a.b"), "x"), 2);
	ASSERT_EQ(toml_count(toml_get_path(t, "p")), 2);
	ASSERT_EQ(num(toml_table_get(toml_array_at(toml_get_path(t, "p"), 0), "q"), "s"), 2);
	ASSERT_EQ(num(toml_table_get(toml_array_at(toml_get_path(t, "p"), 1), "q"), "r"), 3);
	ASSERT_EQ(num(toml_get_path(t, "m.n.p"), "q"), 1);
	ASSERT_EQ(num(toml_get_path(t, "m.n"), "o"), 1);
}

static void test_utf8_and_controls(void)
{
	static const char nul_doc[] = "a = \"x\0y\"\n";
	static const struct bad c[] = {
		{ "a = \"\xff\"", 1, 6, "invalid UTF-8" },
		{ "a = \"\xc3\"", 1, 6, "invalid UTF-8" },             /* truncated */
		{ "a = \"\xc3\xa9\xa9\"", 1, 7, "invalid UTF-8" },     /* stray continuation */
		{ "a = \"\xc0\xaf\"", 1, 6, "invalid UTF-8" },         /* overlong '/' */
		{ "a = \"\xe0\x80\xaf\"", 1, 6, "invalid UTF-8" },     /* overlong */
		{ "a = \"\xed\xa0\x80\"", 1, 6, "invalid UTF-8" },     /* surrogate */
		{ "a = \"\xf4\x90\x80\x80\"", 1, 6, "invalid UTF-8" }, /* > U+10FFFF */
		{ "a = \"\xf8\x88\x80\x80\x80\"", 1, 6, "invalid UTF-8" },
		{ "# \xfe comment", 1, 3, "invalid UTF-8" },
		{ "a = 1 \xe2\x82", 1, 7, "invalid UTF-8" },
		{ "é = \"é\"\n\"é\" = \"\xff\"", 2, 8, "invalid UTF-8" },
		{ "a = \"\x01\"", 1, 6, "control character U+0001" },
		{ "a = \"\x1f\"", 1, 6, "control character U+001F" },
		{ "a = \"\x7f\"", 1, 6, "control character U+007F" },
		{ "# \x7f", 1, 3, "control character U+007F" },
		{ "a = '\x0b'", 1, 6, "control character U+000B" },
		{ "a = \"\"\"\x0c\"\"\"", 1, 8, "control character U+000C" },
		{ "a = 1\rb = 2", 1, 6, "carriage return not followed by a line feed" },
		{ "# comment\r", 1, 10, "carriage return" },
		{ "a = \"\"\"x\ry\"\"\"", 1, 9, "carriage return" },
		{ "\xef\xbb\xbf\xef\xbb\xbf", 1, 1, "expected a key, found U+FEFF" },
		{ "a = 1 \xef\xbb\xbf", 1, 7, "found U+FEFF" },
		{ "\xef\xbb\xbf\n\n  ab\xc3\xa9 = 1", 3, 5,
		  "expected '=' after the key, found U+00E9" },
		{ "\"é✓😀\" = 1 x", 1, 11, "found 'x'" },
	};
	struct toml_error err;
	struct toml_value *t = NULL;

	check_bad(c);
	ASSERT_ERR(toml_parse(nul_doc, sizeof(nul_doc) - 1, &t, &err), -EBADMSG);
	ASSERT_EQ(err.line, 1);
	ASSERT_EQ(err.column, 7);
	ASSERT_TRUE(strstr(err.message, "NUL") != NULL);
	ASSERT_TRUE(t == NULL);
}

static void test_bom_crlf_and_lengths(void)
{
	_cleanup_(toml_freep) struct toml_value *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	static const char buf[] = "a = 12345";
	struct toml_error err;

	a = parse("\xef\xbb\xbf"
		  "a = 1\r\n[t]\r\nb = 'x' # c\r\n\r\nc = [\r\n 1,\r\n]\r\n");
	ASSERT_EQ(num(a, "a"), 1);
	ASSERT_STREQ(str(toml_table_get(a, "t"), "b"), "x");
	ASSERT_EQ(toml_count(toml_get_path(a, "t.c")), 1);
	/* The parser honours len and never reads past it: "a = 12" of a longer buffer. */
	b = parse_n(buf, 6);
	ASSERT_EQ(num(b, "a"), 12);
	c = parse_n(NULL, 0);
	ASSERT_EQ(toml_count(c), 0);
	ASSERT_ERR(toml_parse("x = 'abc'", 7, &d, &err), -EBADMSG);
	ASSERT_STREQ(err.message, "unterminated string");
	/* err may be NULL. */
	ASSERT_ERR(toml_parse("x = ", 4, &d, NULL), -EBADMSG);
	ASSERT_TRUE(d == NULL);
}

/* GC:attestation-agent/attestation-agent/config.example.toml, filled in. */
static void test_aa_config(void)
{
	static const char doc[] =
	    "# Attestation Agent configuration\n"
	    "[token_configs]\n"
	    "[token_configs.coco_as]\n"
	    "url = \"http://127.0.0.1:8000\"\n"
	    "\n"
	    "[token_configs.kbs]\n"
	    "url = \"https://kbs.example.org:8080/\"\n"
	    "cert = \"\"\"\n"
	    "-----BEGIN CERTIFICATE-----\n"
	    "MIIBszCCAVmgAwIBAgIUSm2Zz8v3M1ZsW6Xl0yK+cnnexPIwCgYIKoZIzj0EAwIw\n"
	    "-----END CERTIFICATE-----\n"
	    "\"\"\"\n"
	    "tee_key_algorithm = \"ECDH-ES+A256KW-P256\"\n"
	    "\n"
	    "[eventlog_config]\n"
	    "init_pcr = 17\n"
	    "enable_eventlog = true\n"
	    "\n"
	    "[log]\n"
	    "level = \"debug\"\n";
	_cleanup_(toml_freep) struct toml_value *t = parse(doc);
	const struct toml_value *kbs = toml_get_path(t, "token_configs.kbs");
	const struct toml_value *ev = toml_get_path(t, "eventlog_config");
	const char *s;

	ASSERT_TRUE(kbs != NULL);
	ASSERT_STREQ(str(kbs, "url"), "https://kbs.example.org:8080/");
	ASSERT_STREQ(str(kbs, "cert"),
		     "-----BEGIN CERTIFICATE-----\n"
		     "MIIBszCCAVmgAwIBAgIUSm2Zz8v3M1ZsW6Xl0yK+cnnexPIwCgYIKoZIzj0EAwIw\n"
		     "-----END CERTIFICATE-----\n");
	ASSERT_STREQ(str(kbs, "tee_key_algorithm"), "ECDH-ES+A256KW-P256");
	ASSERT_STREQ(str(toml_get_path(t, "token_configs.coco_as"), "url"),
		     "http://127.0.0.1:8000");
	ASSERT_EQ(num(ev, "init_pcr"), 17);
	ASSERT_TRUE(boolean(ev, "enable_eventlog"));
	ASSERT_STREQ(str(toml_get_path(t, "log"), "level"), "debug");
	ASSERT_ERR(toml_get_string(toml_get_path(t, "token_configs.coco_as"), "cert", &s), -ENOENT);
	ASSERT_EQ(toml_count(toml_get_path(t, "token_configs")), 2);
}

/* GC:confidential-data-hub/example.config.toml and upstream.md 5.1, every section. */
static void test_cdh_config(void)
{
	static const char doc[] =
	    "socket = \"unix:///run/confidential-containers/cdh.sock\"\n"
	    "skip_sealed_secret_verification = false\n"
	    "\n"
	    "[aa]\n"
	    "aa_socket = \"unix:///run/confidential-containers/attestation-agent/"
	    "attestation-agent.sock\"\n"
	    "\n"
	    "[kbc]\n"
	    "name = \"cc_kbc\"\n"
	    "url = \"http://1.2.3.4:8080\"\n"
	    "kbs_cert = \"\"\"\n"
	    "-----BEGIN CERTIFICATE-----\n"
	    "MIIFTDCCAvugAwIBAgIBADBGBgkqhkiG9w0BAQowOaAPMA0GCWCGSAFlAwQCAgUA\n"
	    "-----END CERTIFICATE-----\n"
	    "\"\"\"\n"
	    "\n"
	    "[[credentials]]\n"
	    "path = \"/run/confidential-containers/cdh/kbs/kms-credential/aliyun/"
	    "ecsRamRole.json\"\n"
	    "resource_uri = \"kbs:///default/aliyun/ecs_ram_role\"\n"
	    "\n"
	    "[[credentials]]\n"
	    "path = \"/run/confidential-containers/cdh/kbs/kms-credential/aliyun/"
	    "password_KAAP.f4c8.json\"\n"
	    "resource_uri = \"kbs:///default/aliyun/password_KAAP.f4c8\"\n"
	    "\n"
	    "[log]\n"
	    "level = \"info\"\n"
	    "\n"
	    "[image]\n"
	    "work_dir = \"/run/kata-containers/image/\"\n"
	    "max_concurrent_layer_downloads_per_image = 3\n"
	    "image_security_policy_uri = \"kbs:///default/security-policy/test\"\n"
	    "sigstore_config_uri = \"kbs:///default/sigstore-config/test\"\n"
	    "authenticated_registry_credentials_uri = \"kbs:///default/credential/test\"\n"
	    "extra_root_certificates = [\n"
	    "  \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\",\n"
	    "  '''-----BEGIN CERTIFICATE-----\n"
	    "MIIC\n"
	    "-----END CERTIFICATE-----''',\n"
	    "]\n"
	    "some_future_key = { anything = [1, \"two\", 3.0] }\n"
	    "\n"
	    "[image.image_pull_proxy]\n"
	    "https_proxy = \"http://proxy.example.com:3128\"\n"
	    "http_proxy = \"http://proxy.example.com:3128\"\n"
	    "no_proxy = \"127.0.0.1,localhost,.svc,.cluster.local\"\n"
	    "\n"
	    "[image.registry_config]\n"
	    "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
	    "\n"
	    "[[image.registry_config.registry]]\n"
	    "prefix = \"example.com/banned\"\n"
	    "blocked = true\n"
	    "\n"
	    "[[image.registry_config.registry]]\n"
	    "prefix = \"docker.io/library/busybox\"\n"
	    "location = \"docker.io/library/busybox\"\n"
	    "insecure = false\n"
	    "\n"
	    "[[image.registry_config.registry.mirror]]\n"
	    "location = \"mirror.example.org:5000/busybox\"\n"
	    "insecure = true\n";
	_cleanup_(toml_freep) struct toml_value *t = parse(doc);
	const struct toml_value *img, *creds, *regs, *r1, *certs;
	const char *s;
	bool b;

	ASSERT_STREQ(str(t, "socket"), "unix:///run/confidential-containers/cdh.sock");
	ASSERT_TRUE(!boolean(t, "skip_sealed_secret_verification"));
	ASSERT_STREQ(str(toml_get_path(t, "kbc"), "name"), "cc_kbc");
	ASSERT_STREQ(str(toml_get_path(t, "kbc"), "url"), "http://1.2.3.4:8080");
	ASSERT_TRUE(startswith(str(toml_get_path(t, "kbc"), "kbs_cert"), "-----BEGIN"));
	ASSERT_OK(toml_get_array(t, "credentials", &creds));
	ASSERT_EQ(toml_count(creds), 2);
	ASSERT_STREQ(str(toml_array_at(creds, 1), "resource_uri"),
		     "kbs:///default/aliyun/password_KAAP.f4c8");
	ASSERT_TRUE(endswith(str(toml_array_at(creds, 0), "path"), "/ecsRamRole.json"));
	ASSERT_OK(toml_get_table(t, "image", &img));
	ASSERT_EQ(num(img, "max_concurrent_layer_downloads_per_image"), 3);
	ASSERT_OK(toml_get_array(img, "extra_root_certificates", &certs));
	ASSERT_EQ(toml_count(certs), 2);
	ASSERT_OK(toml_value_string(toml_array_at(certs, 1), &s, NULL));
	ASSERT_STREQ(s, "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----");
	ASSERT_STREQ(str(toml_get_path(t, "image.image_pull_proxy"), "no_proxy"),
		     "127.0.0.1,localhost,.svc,.cluster.local");
	ASSERT_EQ(
	    toml_count(toml_get_path(t, "image.registry_config.unqualified-search-registries")), 2);
	regs = toml_get_path(t, "image.registry_config.registry");
	ASSERT_EQ(toml_value_type(regs), TOML_ARRAY);
	ASSERT_EQ(toml_count(regs), 2);
	ASSERT_TRUE(boolean(toml_array_at(regs, 0), "blocked"));
	ASSERT_ERR(toml_get_bool(toml_array_at(regs, 0), "insecure", &b), -ENOENT);
	r1 = toml_array_at(regs, 1);
	ASSERT_EQ(toml_count(toml_table_get(r1, "mirror")), 1);
	ASSERT_TRUE(boolean(toml_array_at(toml_table_get(r1, "mirror"), 0), "insecure"));
	/* The top level, in document order. */
	ASSERT_TRUE(toml_table_at(t, 0, &s, NULL) != NULL);
	ASSERT_STREQ(s, "socket");
	ASSERT_TRUE(toml_table_at(t, toml_count(t) - 1, &s, NULL) != NULL);
	ASSERT_STREQ(s, "image");
}

/* TR:kbs/docs/initdata.md: whole TOML, JSON and rego documents in multi-line strings. */
static void test_initdata(void)
{
	static const char doc[] =
	    "version = \"0.1.0\"\n"
	    "algorithm = \"sha384\"\n"
	    "\n"
	    "[data]\n"
	    "\"aa.toml\" = '''\n"
	    "[token_configs]\n"
	    "[token_configs.coco_as]\n"
	    "url = 'http://127.0.0.1:8000'\n"
	    "\n"
	    "[token_configs.kbs]\n"
	    "url = 'http://127.0.0.1:8080'\n"
	    "cert = \"\"\"\n"
	    "-----BEGIN CERTIFICATE-----\n"
	    "MIIDljCCAn6gAwIBAgIUR/UNh13GFam4emgludtype/S9BIwDQYJKoZIhvcNAQEL\n"
	    "-----END CERTIFICATE-----\n"
	    "\"\"\"\n"
	    "'''\n"
	    "\n"
	    "\"cdh.toml\" = '''\n"
	    "socket = 'unix:///run/confidential-containers/cdh.sock'\n"
	    "credentials = []\n"
	    "\n"
	    "[kbc]\n"
	    "name = 'cc_kbc'\n"
	    "url = 'http://1.2.3.4:8080'\n"
	    "kbs_cert = \"\"\"\n"
	    "-----BEGIN CERTIFICATE-----\n"
	    "-----END CERTIFICATE-----\n"
	    "\"\"\"\n"
	    "\n"
	    "[image]\n"
	    "image_security_policy_uri = 'kbs:///default/security-policy/test'\n"
	    "'''\n"
	    "\n"
	    "\"policy.rego\" = '''\n"
	    "package agent_policy\n"
	    "\n"
	    "import future.keywords.in\n"
	    "import future.keywords.every\n"
	    "\n"
	    "default AddARPNeighborsRequest := true\n"
	    "default CopyFileRequest := true\n"
	    "default ExecProcessRequest := false\n"
	    "default SetPolicyRequest := true\n"
	    "'''\n"
	    "\n"
	    "\"image-policy.json\" = \"\"\"\n"
	    "{\n"
	    "  \"default\": [{\"type\": \"insecureAcceptAnything\"}],\n"
	    "  \"transports\": {\"docker\": {\"quay.io/x\": [{\"type\": \"reject\"}]}}\n"
	    "}\n"
	    "\"\"\"\n";
	_cleanup_(toml_freep) struct toml_value *t = parse(doc), *aa = NULL, *cdh = NULL;
	const struct toml_value *data = toml_get_path(t, "data");
	const char *s;

	ASSERT_STREQ(str(t, "version"), "0.1.0");
	ASSERT_STREQ(str(t, "algorithm"), "sha384");
	ASSERT_EQ(toml_count(data), 4);
	ASSERT_TRUE(toml_table_at(data, 2, &s, NULL) != NULL);
	ASSERT_STREQ(s, "policy.rego");
	/* The dotted lookup cannot reach a key with a dot; the one-key lookup does. */
	ASSERT_TRUE(toml_get_path(t, "data.aa.toml") == NULL);
	s = str(data, "aa.toml");
	ASSERT_TRUE(startswith(s, "[token_configs]\n"));
	aa = parse(s);
	ASSERT_STREQ(str(toml_get_path(aa, "token_configs.kbs"), "url"), "http://127.0.0.1:8080");
	ASSERT_TRUE(endswith(str(toml_get_path(aa, "token_configs.kbs"), "cert"),
			     "-----END CERTIFICATE-----\n"));
	cdh = parse(str(data, "cdh.toml"));
	ASSERT_EQ(toml_count(toml_table_get(cdh, "credentials")), 0);
	ASSERT_STREQ(str(toml_get_path(cdh, "kbc"), "name"), "cc_kbc");
	ASSERT_TRUE(strstr(str(data, "policy.rego"), "default ExecProcessRequest := false\n"));
	ASSERT_STREQ(
	    str(data, "image-policy.json"),
	    "{\n  \"default\": [{\"type\": \"insecureAcceptAnything\"}],\n"
	    "  \"transports\": {\"docker\": {\"quay.io/x\": [{\"type\": \"reject\"}]}}\n}\n");
}

/* containers-registries.conf(5), version 2. */
static void test_registries_conf(void)
{
	static const char doc[] =
	    "# For more information on this configuration file, see "
	    "containers-registries.conf(5).\n"
	    "unqualified-search-registries = [\"registry.fedoraproject.org\", "
	    "\"registry.access.redhat.com\", \"docker.io\"]\n"
	    "short-name-mode = \"enforcing\"\n"
	    "\n"
	    "[[registry]]\n"
	    "prefix = \"example.com/foo\"\n"
	    "insecure = false\n"
	    "blocked = false\n"
	    "location = \"internal-registry-for-example.com/bar\"\n"
	    "\n"
	    "[[registry.mirror]]\n"
	    "location = \"example-mirror-0.local/mirror-for-foo\"\n"
	    "\n"
	    "[[registry.mirror]]\n"
	    "location = \"example-mirror-1.local/mirrors/foo\"\n"
	    "insecure = true\n"
	    "pull-from-mirror = \"digest-only\"\n"
	    "\n"
	    "[[registry]]\n"
	    "location = \"registry.example.org\"\n"
	    "blocked = true\n"
	    "\n"
	    "[aliases]\n"
	    "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
	    "\"ubi8\" = \"registry.access.redhat.com/ubi8\"\n";
	_cleanup_(toml_freep) struct toml_value *t = parse(doc);
	const struct toml_value *regs, *mirrors, *search;
	const char *s;
	bool b;

	ASSERT_OK(toml_get_array(t, "unqualified-search-registries", &search));
	ASSERT_EQ(toml_count(search), 3);
	ASSERT_OK(toml_value_string(toml_array_at(search, 2), &s, NULL));
	ASSERT_STREQ(s, "docker.io");
	regs = toml_get_path(t, "registry");
	ASSERT_EQ(toml_count(regs), 2);
	ASSERT_STREQ(str(toml_array_at(regs, 0), "prefix"), "example.com/foo");
	ASSERT_OK(toml_get_bool(toml_array_at(regs, 0), "insecure", &b));
	ASSERT_TRUE(!b);
	mirrors = toml_table_get(toml_array_at(regs, 0), "mirror");
	ASSERT_EQ(toml_count(mirrors), 2);
	ASSERT_TRUE(boolean(toml_array_at(mirrors, 1), "insecure"));
	ASSERT_ERR(toml_get_bool(toml_array_at(mirrors, 0), "insecure", &b), -ENOENT);
	ASSERT_TRUE(boolean(toml_array_at(regs, 1), "blocked"));
	ASSERT_TRUE(toml_table_get(toml_array_at(regs, 1), "mirror") == NULL);
	ASSERT_STREQ(str(toml_get_path(t, "aliases"), "ubi8"), "registry.access.redhat.com/ubi8");
}

static void test_lookups_and_getters(void)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_datetime *dt;
	const struct toml_value *v;
	const char *s = "untouched";
	int64_t i = 7;
	double f = 7;
	bool b = true;

	t = parse("s = 'x'\ni = 42\nf = 2.5\nb = false\nd = 2024-01-02\na = [1]\n"
		  "[t.u]\nk = 'deep'\n");
	/* Wrong types: -EINVAL and the out-parameter untouched. */
	ASSERT_ERR(toml_get_string(t, "i", &s), -EINVAL);
	ASSERT_STREQ(s, "untouched");
	ASSERT_ERR(toml_get_int(t, "s", &i), -EINVAL);
	ASSERT_ERR(toml_get_int(t, "f", &i), -EINVAL);
	ASSERT_EQ(i, 7);
	ASSERT_ERR(toml_get_bool(t, "i", &b), -EINVAL);
	ASSERT_ERR(toml_get_float(t, "s", &f), -EINVAL);
	ASSERT_ERR(toml_get_datetime(t, "s", &dt), -EINVAL);
	ASSERT_ERR(toml_get_table(t, "a", &v), -EINVAL);
	ASSERT_ERR(toml_get_array(t, "t", &v), -EINVAL);
	ASSERT_TRUE(b);
	/* Missing keys and missing tables: -ENOENT. */
	ASSERT_ERR(toml_get_string(t, "nope", &s), -ENOENT);
	ASSERT_ERR(toml_get_string(NULL, "s", &s), -ENOENT);
	ASSERT_ERR(toml_get_int(toml_get_path(t, "no.such"), "k", &i), -ENOENT);
	/* Not a table: -EINVAL. */
	ASSERT_ERR(toml_get_string(toml_table_get(t, "s"), "k", &s), -EINVAL);
	/* An integer is a fine float (serde does the same for an f64 field). */
	ASSERT_OK(toml_get_float(t, "i", &f));
	ASSERT_TRUE(f == 42.0);
	ASSERT_OK(toml_get_float(t, "f", &f));
	ASSERT_TRUE(f == 2.5);
	ASSERT_OK(toml_get_bool(t, "b", &b));
	ASSERT_TRUE(!b);
	ASSERT_OK(toml_get_datetime(t, "d", &dt));
	ASSERT_EQ(dt->month, 1);
	/* Paths. */
	ASSERT_TRUE(toml_get_path(t, "") == t);
	ASSERT_STREQ(str(toml_get_path(t, "t.u"), "k"), "deep");
	ASSERT_TRUE(toml_get_path(t, "t.u.k") != NULL); /* the last step may be any value */
	ASSERT_TRUE(toml_get_path(t, "s.x") == NULL);
	ASSERT_TRUE(toml_get_path(t, "a.0") == NULL);
	ASSERT_TRUE(toml_get_path(t, "t.") == NULL);
	ASSERT_TRUE(toml_get_path(NULL, "t") == NULL);
	ASSERT_TRUE(toml_get_path(toml_table_get(t, "s"), "") == NULL);
	ASSERT_TRUE(toml_table_get(NULL, "s") == NULL);
	ASSERT_TRUE(toml_table_get(toml_table_get(t, "a"), "s") == NULL);
	/* Iteration helpers on the wrong kinds. */
	ASSERT_EQ(toml_count(NULL), 0);
	ASSERT_EQ(toml_count(toml_table_get(t, "s")), 0);
	ASSERT_TRUE(toml_array_at(t, 0) == NULL);
	ASSERT_TRUE(toml_table_at(toml_table_get(t, "a"), 0, NULL, NULL) == NULL);
	ASSERT_TRUE(toml_table_at(t, 0, NULL, NULL) == toml_table_get(t, "s"));
	/* Value getters on NULL. */
	ASSERT_ERR(toml_value_int(NULL, &i), -EINVAL);
	ASSERT_ERR(toml_value_string(NULL, &s, NULL), -EINVAL);
	ASSERT_STREQ(toml_type_name(TOML_DATETIME), "datetime");
	ASSERT_STREQ(toml_type_name(TOML_ARRAY), "array");
}

/* Every container level counts: arrays, inline tables, header and dotted key parts,
 * and [[x]] (an array plus its element). */
static void test_depth_limits(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct toml_value *t = NULL;
	struct toml_error err;
	int i;

	/* a = [[...]]: the array under the root is level 1, so 64 brackets fit. */
	for (int depth = 64; depth <= 65; depth++) {
		buf_reset(&b);
		buf_append_str(&b, "a = ");
		for (i = 0; i < depth; i++)
			buf_append_str(&b, "[");
		for (i = 0; i < depth; i++)
			buf_append_str(&b, "]");
		if (depth == 64) {
			t = parse(buf_str(&b));
			t = toml_free(t);
		} else {
			ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
			ASSERT_EQ(err.column, 5 + 64);
			ASSERT_TRUE(strstr(err.message, "nested deeper than 64") != NULL);
		}
	}
	/* Inline tables. */
	buf_reset(&b);
	buf_append_str(&b, "a = ");
	for (i = 0; i < 65; i++)
		buf_append_str(&b, "{b=");
	buf_append_str(&b, "1");
	for (i = 0; i < 65; i++)
		buf_append_str(&b, "}");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
	/* Header parts: [k.k.k...] with 64 parts is fine, 65 is not. */
	for (int parts = 64; parts <= 65; parts++) {
		buf_reset(&b);
		buf_append_str(&b, "[k");
		for (i = 1; i < parts; i++)
			buf_append_str(&b, ".k");
		buf_append_str(&b, "]\nx = 1\n");
		if (parts == 64) {
			t = parse(buf_str(&b));
			t = toml_free(t);
		} else
			ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
	}
	/* Dotted keys: 64 parts put the value at level 64; a 65th part is refused. */
	buf_reset(&b);
	buf_append_str(&b, "k");
	for (i = 1; i < 64; i++)
		buf_append_str(&b, ".k");
	buf_append_str(&b, " = 1\n");
	t = parse(buf_str(&b));
	t = toml_free(t);
	buf_reset(&b);
	buf_append_str(&b, "k");
	for (i = 1; i < 1000; i++)
		buf_append_str(&b, ".k");
	buf_append_str(&b, " = 1\n");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
	ASSERT_TRUE(strstr(err.message, "more than 64 parts") != NULL);
	/* Levels add up across a header and what its lines nest. */
	buf_reset(&b);
	buf_append_str(&b, "[a");
	for (i = 1; i < 60; i++)
		buf_append_str(&b, ".a");
	buf_append_str(&b, "]\nb.c.d = [[[1]]]\n");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
	ASSERT_EQ(err.line, 2);
	/* [[x]] takes two levels: 32 nested arrays of tables are the most. */
	for (int n = 32; n <= 33; n++) {
		buf_reset(&b);
		for (int k = 1; k <= n; k++) {
			buf_append_str(&b, "[[x");
			for (i = 1; i < k; i++)
				buf_append_str(&b, ".x");
			buf_append_str(&b, "]]\n");
		}
		if (n == 32) {
			t = parse(buf_str(&b));
			t = toml_free(t);
		} else {
			ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -E2BIG);
			ASSERT_EQ(err.line, 33);
		}
	}
	/* A deep but legal value in every kind, freed without trouble. */
	buf_reset(&b);
	buf_append_str(&b, "a = ");
	for (i = 0; i < 31; i++)
		buf_append_str(&b, "[{b=");
	buf_append_str(&b, "1");
	for (i = 0; i < 31; i++)
		buf_append_str(&b, "}]");
	t = parse(buf_str(&b));
	t = toml_free(t);
}

/* Many keys in one table (the hash index), many elements, many [[x]]. */
static void test_many_keys(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	struct toml_value *u = NULL;
	struct toml_error err;
	const char *key;
	char name[32];
	int i;

	for (i = 0; i < 20000; i++)
		buf_appendf(&b, "k%d = %d\n", i, i);
	buf_append_str(&b, "arr = [");
	for (i = 0; i < 20000; i++)
		buf_appendf(&b, "%d,", i);
	buf_append_str(&b, "]\n");
	for (i = 0; i < 5000; i++)
		buf_appendf(&b, "[[aot]]\nn = %d\n", i);
	t = parse(buf_str(&b));
	ASSERT_EQ(toml_count(t), 20002);
	for (i = 0; i < 20000; i += 7) {
		snprintf(name, sizeof(name), "k%d", i);
		ASSERT_EQ(num(t, name), i);
	}
	ASSERT_TRUE(toml_table_get(t, "k20000") == NULL);
	ASSERT_TRUE(toml_table_at(t, 12345, &key, NULL) != NULL);
	ASSERT_STREQ(key, "k12345");
	ASSERT_EQ(toml_count(toml_table_get(t, "arr")), 20000);
	ASSERT_EQ(toml_count(toml_table_get(t, "aot")), 5000);
	ASSERT_EQ(num(toml_array_at(toml_table_get(t, "aot"), 4999), "n"), 4999);

	/* A duplicate deep in a big table is still found. */
	buf_reset(&b);
	for (i = 0; i < 3000; i++)
		buf_appendf(&b, "k%d = %d\n", i, i);
	buf_append_str(&b, "k1234 = 0\n");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &u, &err), -EBADMSG);
	ASSERT_EQ(err.line, 3001);
	ASSERT_EQ(err.column, 1);
	ASSERT_STREQ(err.message, "duplicate key 'k1234'");
}

static void test_error_reporting(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct toml_value *t = NULL;
	struct toml_error err;
	int i;

	/* The message names the key, as the brief's "duplicate key 'url'". */
	ASSERT_ERR(toml_parse("[kbc]\nurl = 'a'\nurl = 'b'\n", 26, &t, &err), -EBADMSG);
	ASSERT_EQ(err.line, 3);
	ASSERT_EQ(err.column, 1);
	ASSERT_STREQ(err.message, "duplicate key 'url'");
	/* A long key is shortened in the message, at a code point boundary. */
	buf_append_str(&b, "a = 1\n");
	for (i = 0; i < 100; i++)
		buf_append_str(&b, "é");
	buf_append_str(&b, " = 1\n\"");
	for (i = 0; i < 100; i++)
		buf_append_str(&b, "é");
	buf_append_str(&b, "\" = 2\n");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -EBADMSG);
	ASSERT_TRUE(strstr(err.message, "found U+00E9") != NULL);
	buf_reset(&b);
	buf_append_str(&b, "\"");
	for (i = 0; i < 100; i++)
		buf_append_str(&b, "é");
	buf_append_str(&b, "\" = 1\n\"");
	for (i = 0; i < 100; i++)
		buf_append_str(&b, "\\u00e9");
	buf_append_str(&b, "\" = 2\n");
	ASSERT_ERR(toml_parse(buf_str(&b), b.len, &t, &err), -EBADMSG);
	ASSERT_EQ(err.line, 2);
	ASSERT_TRUE(startswith(err.message, "duplicate key 'éééé"));
	ASSERT_TRUE(endswith(err.message, "é...'"));
	ASSERT_TRUE(strlen(err.message) < sizeof(err.message) - 1);
	/* Control characters from escapes do not reach the message. */
	ASSERT_ERR(toml_parse("\"a\\nb\" = 1\n'a\nb' = 2", 20, &t, &err), -EBADMSG);
	ASSERT_ERR(toml_parse("\"a\\u0001b\" = 1\n\"a\\u0001b\" = 2", 29, &t, &err), -EBADMSG);
	ASSERT_STREQ(err.message, "duplicate key 'a?b'");
	/* The message is always terminated and non-empty, the position 1-based. */
	ASSERT_ERR(toml_parse("[", 1, &t, &err), -EBADMSG);
	ASSERT_EQ(err.line, 1);
	ASSERT_EQ(err.column, 2);
	ASSERT_TRUE(err.message[0] != 0);
	/* Tabs count as one column. */
	ASSERT_ERR(toml_parse("\t\ta = @", 7, &t, &err), -EBADMSG);
	ASSERT_EQ(err.column, 7);
	ASSERT_TRUE(t == NULL);
}

TESTS(test_empty_and_comments, test_basic_strings, test_literal_strings, test_multiline_basic,
      test_multiline_literal, test_string_nul, test_strings_invalid, test_integers,
      test_integers_invalid, test_floats, test_floats_invalid, test_booleans, test_datetimes,
      test_datetimes_invalid, test_arrays, test_arrays_invalid, test_inline_tables,
      test_inline_tables_invalid, test_keys, test_keys_invalid, test_tables, test_tables_invalid,
      test_array_of_tables, test_array_of_tables_invalid, test_dotted_vs_headers_valid,
      test_utf8_and_controls, test_bom_crlf_and_lengths, test_aa_config, test_cdh_config,
      test_initdata, test_registries_conf, test_lookups_and_getters, test_depth_limits,
      test_many_keys, test_error_reporting)
