/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785: the §3.2.2 sample, the §3.2.3 sort example, the Appendix B number table,
 * upstream's runtime-data vector (upstream.md §4.4), and a cross-check of thousands of
 * numbers and random documents against Node.js, whose JSON.stringify and default sort
 * are the ECMAScript behaviour RFC 8785 is defined by (skipped without node). */
#include <fcntl.h>
#include <math.h>
#include <sys/wait.h>

#include "common/jcs.h"
#include "tests/unit/tests.h"

static void expect_canon(const char *in, const char *want)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED), again = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(jcs_canonicalize_text(in, strlen(in), &b));
	if (strcmp(buf_str(&b), want) != 0)
		FAIL_("canonical form of '%s' is '%s', want '%s'", in, buf_str(&b), want);
	/* Canonical text is a fixed point. */
	ASSERT_OK(jcs_canonicalize_text(buf_str(&b), b.len, &again));
	ASSERT_STREQ(buf_str(&again), want);
}

static void test_rfc8785_sample(void)
{
	/* RFC 8785 §3.2.2 input and §3.2.3 ... §3.2.4 output. */
	expect_canon("{\n"
		     "  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
		     "              2e-3, 0.000000000000000000000000001],\n"
		     "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		     "  \"literals\": [null, true, false]\n"
		     "}",
		     "{\"literals\":[null,true,false],"
		     "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		     "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void test_rfc8785_sort(void)
{
	/* RFC 8785 §3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33. */
	expect_canon("{\n"
		     "  \"\\u20ac\": \"Euro Sign\",\n"
		     "  \"\\r\": \"Carriage Return\",\n"
		     "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
		     "  \"1\": \"One\",\n"
		     "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
		     "  \"\\u0080\": \"Control\",\n"
		     "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
		     "}",
		     "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro "
		     "Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void test_utf16_order(void)
{
	/* UTF-8 byte order would put U+E000 and U+FFFF before U+10000 and U+1F600. */
	expect_canon(
	    "{\"\\uffff\":0,\"\\ud83d\\ude00\":1,\"\\ue000\":2,\"b\":3,\"\\ud800\\udc00\":4,"
	    "\"ab\":5,\"\":6,\"aa\":7,\"a\":8,\"\\u007f\":9,\"\\u0080\":10,\"B\":11}",
	    "{\"\":6,\"B\":11,\"a\":8,\"aa\":7,\"ab\":5,\"b\":3,\"\x7f\":9,\"\xc2\x80\":10,"
	    "\"\xf0\x90\x80\x80\":4,\"\xf0\x9f\x98\x80\":1,\"\xee\x80\x80\":2,"
	    "\"\xef\xbf\xbf\":0}");
	/* A prefix sorts first; a high surrogate unit beats any BMP unit below it. */
	expect_canon("{\"a\\ud83d\\ude00\":1,\"a\\uffff\":2,\"a\":3,\"a\\u0001b\":4}",
		     "{\"a\":3,\"a\\u0001b\":4,\"a\xf0\x9f\x98\x80\":1,\"a\xef\xbf\xbf\":2}");
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static void expect_number(double d, const char *want)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(jcs_append_number(d, &b));
	if (strcmp(buf_str(&b), want) != 0)
		FAIL_("%a: got '%s', want '%s'", d, buf_str(&b), want);
}

static void test_appendix_b(void)
{
	/* RFC 8785 Appendix B: IEEE-754 bit pattern -> ECMAScript serialisation. */
	static const struct {
		uint64_t bits;
		const char *text;
	} v[] = {
		{ 0x0000000000000000, "0" },
		{ 0x8000000000000000, "0" },
		{ 0x0000000000000001, "5e-324" },
		{ 0x8000000000000001, "-5e-324" },
		{ 0x7fefffffffffffff, "1.7976931348623157e+308" },
		{ 0xffefffffffffffff, "-1.7976931348623157e+308" },
		{ 0x4340000000000000, "9007199254740992" },
		{ 0xc340000000000000, "-9007199254740992" },
		{ 0x4430000000000000, "295147905179352830000" },
		{ 0x44b52d02c7e14af5, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6, "1e+23" },
		{ 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4e, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4f, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8d, "0.000001" },
		{ 0x41b3de4355555553, "333333333.3333332" },
		{ 0x41b3de4355555554, "333333333.33333325" },
		{ 0x41b3de4355555555, "333333333.3333333" },
		{ 0x41b3de4355555556, "333333333.3333334" },
		{ 0x41b3de4355555557, "333333333.33333343" },
		{ 0xbecbf647612f3696, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959, "1424953923781206.2" },
	};
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		expect_number(from_bits(v[i].bits), v[i].text);
	/* NaN and Infinity have no JSON form. */
	ASSERT_ERR(jcs_append_number(from_bits(0x7fffffffffffffff), &b), -EINVAL);
	ASSERT_ERR(jcs_append_number(from_bits(0x7ff0000000000000), &b), -EINVAL);
	ASSERT_ERR(jcs_append_number(-INFINITY, &b), -EINVAL);
	ASSERT_EQ(b.len, 0);
}

static void test_number_layout(void)
{
	/* Each branch of ECMA-262 Number::toString, and its edges. */
	expect_number(1, "1");
	expect_number(-1, "-1");
	expect_number(100, "100");
	expect_number(1e20, "100000000000000000000");
	expect_number(1.5e20, "150000000000000000000");
	expect_number(1e21, "1e+21");
	expect_number(1.5e21, "1.5e+21");
	expect_number(123.456, "123.456");
	expect_number(0.1, "0.1");
	expect_number(0.3, "0.3");
	expect_number(0.1 + 0.2, "0.30000000000000004");
	expect_number(1e-6, "0.000001");
	expect_number(1.5e-6, "0.0000015");
	expect_number(1e-7, "1e-7");
	expect_number(-1.5e-7, "-1.5e-7");
	expect_number(1e300, "1e+300");
	expect_number(2.2250738585072014e-308, "2.2250738585072014e-308");
	expect_number(-0.0, "0");
	expect_number(4.35, "4.35");
	expect_number(0.000001234, "0.000001234");
	expect_number(5e-324 * 3, "1.5e-323");
	/* Powers of two, where the round-trip interval is lopsided. */
	expect_number(9007199254740992.0 * 2, "18014398509481984");
	expect_number(ldexp(1, -1074), "5e-324");
	expect_number(ldexp(1, 1023), "8.98846567431158e+307");
	expect_number(ldexp(1, -1022), "2.2250738585072014e-308");
	/* 2^-1017: the nearest 16-digit decimal, 7.120236347223044e-307, lies below x
	 * outside the narrow lower half of its interval; the one above reads back. */
	expect_number(from_bits(0x0060000000000000), "7.120236347223045e-307");
}

static void expect_int_tree(json_object *v, const char *want)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_TRUE(v != NULL);
	ASSERT_OK(jcs_append(v, &b));
	ASSERT_STREQ(buf_str(&b), want);
	json_object_put(v);
}

static void test_integers(void)
{
	/* json-c keeps 64-bit integers; JCS writes the double JavaScript would read. */
	expect_canon("[9007199254740993, 9007199254740995, -9007199254740993]",
		     "[9007199254740992,9007199254740996,-9007199254740992]");
	expect_canon("[9223372036854775807,-9223372036854775808,18446744073709551615]",
		     "[9223372036854776000,-9223372036854776000,18446744073709552000]");
	expect_canon("[-0, -0.0, 0, 0.0, 1.0, 1e0, 10e-1, 100E-2]", "[0,0,0,0,1,1,1,1]");
	expect_canon("[1e21, 999999999999999999999, 1E+21, 123456789012345678]",
		     "[1e+21,1e+21,1e+21,123456789012345680]");
	/* Past 64 bits json-c would saturate; JCS wants the double. */
	expect_canon("[18446744073709551616,100000000000000000000,-9223372036854775809,"
		     "-99999999999999999999999]",
		     "[18446744073709552000,100000000000000000000,-9223372036854776000,-1e+23]");
	expect_int_tree(json_object_new_int64(INT64_MAX), "9223372036854776000");
	expect_int_tree(json_object_new_uint64(UINT64_MAX), "18446744073709552000");
	expect_int_tree(json_object_new_uint64((uint64_t) 1 << 63), "9223372036854776000");
	expect_int_tree(json_object_new_int64((int64_t) 1 << 53), "9007199254740992");
	expect_int_tree(json_object_new_int(-42), "-42");
	expect_int_tree(json_object_new_double(-0.0), "0");
}

static void test_escapes(void)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(BUF_UNLIMITED), want = BUF_INIT(BUF_UNLIMITED);

	/* Every control character, in a string and in a name. */
	ASSERT_OK(buf_append_str(&in, "{\""));
	for (unsigned c = 0; c < 0x20; c++)
		ASSERT_OK(buf_appendf(&in, "\\u%04X", c));
	ASSERT_OK(buf_append_str(&in, "\":\""));
	for (unsigned c = 1; c < 0x20; c++)
		ASSERT_OK(buf_appendf(&in, "\\u%04x", c));
	ASSERT_OK(buf_append_str(&in, "\"}"));
	/* The name has \u0000 first, which a key cannot hold in json-c: refused. */
	ASSERT_ERR(jcs_canonicalize_text(buf_str(&in), in.len, &want), -EBADMSG);

	expect_canon("[\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001F\\u0020\"]",
		     "[\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f \"]");
	expect_canon("{\"\\u0001\\b\\t\\n\\u000B\\f\\r\\u001f\":\"\\\"\\\\\\/\"}",
		     "{\"\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\":\"\\\"\\\\/\"}");
	/* Not escaped: '/', DEL, U+2028/2029 (JSON.stringify leaves them), non-ASCII. */
	expect_canon("\"\\/\\u007f\\u2028\\u2029\\u00e9\\uFFFF\\uD83D\\uDE00\"",
		     "\"/\x7f\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xef\xbf\xbf\xf0\x9f\x98\x80\"");
	expect_canon("\"plain ascii ~!@#$%^&*()\"", "\"plain ascii ~!@#$%^&*()\"");
	expect_canon("\"\"", "\"\"");
}

static void test_nested(void)
{
	expect_canon(" { \"b\" : [ { \"z\" : 1 , \"y\" : [ ] , \"x\" : { } } , [ [ ] ] ] ,"
		     " \"a\" : { \"d\" : { \"f\" : null , \"e\" : true } , \"c\" : false } } ",
		     "{\"a\":{\"c\":false,\"d\":{\"e\":true,\"f\":null}},"
		     "\"b\":[{\"x\":{},\"y\":[],\"z\":1},[[]]]}");
	expect_canon("[3,2,1,{\"b\":0,\"a\":0}]", "[3,2,1,{\"a\":0,\"b\":0}]");
	expect_canon("null", "null");
	expect_canon("\t\"top\"\n", "\"top\"");
	expect_canon("-1.25E+2", "-125");
}

static void test_kbs_runtime_data(void)
{
	_cleanup_(json_object_putp) json_object *rd = json_object_new_object(),
						*jwk = json_object_new_object();
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED), hash = BUF_INIT(4096);
	_cleanup_close_ int fd = -EBADF;
	char path[] = "/tmp/test-jcs-XXXXXX";
	FILE *f;
	int status;

	/* upstream.md §4.4: TR's parse_runtime_data unit test hashes the JCS form of this
	 * with SHA-384 and gets e71ce8e7...78870c3. */
	expect_canon("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}",
		     "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");

	/* The primary report data input, built in the client's field order. */
	ASSERT_TRUE(rd && jwk);
	ASSERT_OK(json_object_object_add(jwk, "kty", json_object_new_string("EC")));
	ASSERT_OK(json_object_object_add(jwk, "crv", json_object_new_string("P-256")));
	ASSERT_OK(json_object_object_add(jwk, "alg", json_object_new_string("ECDH-ES+A256KW")));
	ASSERT_OK(json_object_object_add(jwk, "x", json_object_new_string("X_-0")));
	ASSERT_OK(json_object_object_add(jwk, "y", json_object_new_string("Y_-1")));
	ASSERT_OK(json_object_object_add(rd, "tee-pubkey", json_object_get(jwk)));
	ASSERT_OK(json_object_object_add(rd, "nonce", json_object_new_string("bm9uY2U=")));
	ASSERT_OK(json_object_object_add(rd, "additional-evidence", json_object_new_string("")));
	ASSERT_OK(jcs_append(rd, &b));
	ASSERT_STREQ(buf_str(&b), "{\"additional-evidence\":\"\",\"nonce\":\"bm9uY2U=\","
				  "\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\","
				  "\"kty\":\"EC\",\"x\":\"X_-0\",\"y\":\"Y_-1\"}}");

	/* The hash itself, with coreutils as the SHA-384 (common/ has no digest yet). */
	if (system("command -v sha384sum >/dev/null 2>&1") != 0)
		SKIP("sha384sum not found");
	buf_reset(&b);
	{
		static const char text[] = "{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}";

		ASSERT_OK(jcs_canonicalize_text(text, strlen(text), &b));
	}
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, b.data, b.len), (ssize_t) b.len);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "sha384sum < %s", path);
		f = popen(cmd, "r");
	}
	ASSERT_TRUE(f != NULL);
	ASSERT_OK(buf_read_fd(&hash, fileno(f)));
	status = pclose(f);
	(void) unlink(path);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_TRUE(startswith(buf_str(&hash), "e71ce8e7") != NULL);
	ASSERT_TRUE(hash.len > 96 && memcmp(hash.data + 96 - 7, "78870c3", 7) == 0);
}

static void expect_text_err(const char *s, int err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(buf_append_str(&b, "keep"));
	if (jcs_canonicalize_text(s, strlen(s), &b) != err)
		FAIL_("'%s' not refused with %d", s, err);
	ASSERT_STREQ(buf_str(&b), "keep");
}

static void test_invalid(void)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object(),
						*a = json_object_new_array();
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED), small = BUF_INIT(10);

	expect_text_err("", -EBADMSG);
	expect_text_err("{\"a\":1,\"a\":1}", -EBADMSG);
	expect_text_err("[NaN]", -EBADMSG);
	expect_text_err("[1e400]", -EBADMSG);
	expect_text_err("\"\\udc00\"", -EBADMSG);
	expect_text_err("\"\xed\xa0\x80\"", -EBADMSG);
	expect_text_err("[1,]", -EBADMSG);
	expect_text_err("{\"a\":1} 2", -EBADMSG);

	/* Trees built in code: NaN -EINVAL, bad UTF-8 -EBADMSG, and nothing appended. */
	ASSERT_TRUE(o && a);
	ASSERT_OK(json_object_object_add(o, "ok", json_object_new_string("fine")));
	ASSERT_OK(json_object_array_add(a, json_object_new_double(NAN)));
	ASSERT_OK(json_object_object_add(o, "z", json_object_get(a)));
	ASSERT_OK(buf_append_str(&b, "keep"));
	ASSERT_ERR(jcs_append(o, &b), -EINVAL);
	ASSERT_STREQ(buf_str(&b), "keep");
	ASSERT_OK(json_object_array_put_idx(a, 0, json_object_new_string_len("a\xc3(", 3)));
	ASSERT_ERR(jcs_append(o, &b), -EBADMSG);
	ASSERT_OK(json_object_array_put_idx(a, 0, json_object_new_string("\xf4\x90\x80\x80")));
	ASSERT_ERR(jcs_append(o, &b), -EBADMSG);
	ASSERT_OK(json_object_array_put_idx(a, 0, json_object_new_int(1)));
	ASSERT_OK(json_object_object_add(o, "\xc0\x80", json_object_new_int(2)));
	ASSERT_ERR(jcs_append(o, &b), -EBADMSG);
	ASSERT_STREQ(buf_str(&b), "keep");
	json_object_object_del(o, "\xc0\x80");
	ASSERT_OK(jcs_append(o, &b));
	ASSERT_STREQ(buf_str(&b), "keep{\"ok\":\"fine\",\"z\":[1]}");

	ASSERT_ERR(jcs_append(o, &small), -E2BIG);
	ASSERT_EQ(small.len, 0);
}

/* Node.js cross-check. Lines go to node as "d <hex bits>", "i <integer>" or
 * "j <JSON text>"; it answers one line each with JSON.stringify of the number or its
 * own RFC 8785 canonicaliser (sorted keys by the default, UTF-16, sort order). */
static const char node_script[] =
    "const fs = require('fs');\n"
    "function c(v) {\n"
    "  if (Array.isArray(v)) return '[' + v.map(c).join(',') + ']';\n"
    "  if (v !== null && typeof v === 'object')\n"
    "    return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + c(v[k]))"
    ".join(',') + '}';\n"
    "  return JSON.stringify(v);\n"
    "}\n"
    "const out = [];\n"
    "for (const l of fs.readFileSync(process.argv[2], 'utf8').split('\\n')) {\n"
    "  if (!l) continue;\n"
    "  const t = l[0], v = l.slice(2);\n"
    "  if (t === 'd') out.push(JSON.stringify(Buffer.from(v, 'hex').readDoubleBE(0)));\n"
    "  else if (t === 'i') out.push(JSON.stringify(Number(BigInt(v))));\n"
    "  else out.push(c(JSON.parse(v)));\n"
    "}\n"
    "process.stdout.write(out.join('\\n') + '\\n');\n";

struct node_run {
	char dir[32];
	char script[64], input[64];
};

static void write_file(const char *path, const void *p, size_t n)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, p, n), (ssize_t) n);
}

/* Runs the script over input; returns false if node is not there. */
static bool run_node(const struct buf *input, struct buf *output)
{
	struct node_run nr = { .dir = "/tmp/test-jcs-XXXXXX" };
	char cmd[192];
	FILE *f;
	int status;

	if (system("command -v node >/dev/null 2>&1") != 0)
		return false;
	ASSERT_TRUE(mkdtemp(nr.dir) != NULL);
	snprintf(nr.script, sizeof(nr.script), "%s/c.js", nr.dir);
	snprintf(nr.input, sizeof(nr.input), "%s/in.txt", nr.dir);
	write_file(nr.script, node_script, strlen(node_script));
	write_file(nr.input, input->data, input->len);
	snprintf(cmd, sizeof(cmd), "node %s %s", nr.script, nr.input);
	f = popen(cmd, "r");
	ASSERT_TRUE(f != NULL);
	ASSERT_OK(buf_read_fd(output, fileno(f)));
	status = pclose(f);
	(void) unlink(nr.script);
	(void) unlink(nr.input);
	(void) rmdir(nr.dir);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return true;
}

/* Compares our line i with node's; both are in a buffer of '\n'-terminated lines. */
static void compare_lines(const struct buf *input, const struct buf *ours, const struct buf *node,
			  size_t expected)
{
	const char *a = buf_str(ours), *b = buf_str(node), *in = buf_str(input);
	size_t n = 0;

	while (*a || *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n'), *ei = strchr(in, '\n');

		ASSERT_TRUE(ea && eb && ei);
		if ((ea - a) != (eb - b) || memcmp(a, b, (size_t) (ea - a)) != 0)
			FAIL_("input '%.*s': ours '%.*s', node '%.*s'", (int) (ei - in), in,
			      (int) (ea - a), a, (int) (eb - b), b);
		a = ea + 1;
		b = eb + 1;
		in = ei + 1;
		n++;
	}
	ASSERT_EQ(n, expected);
	printf("# %zu values agree with node\n", n);
}

static void add_double(struct buf *in, struct buf *ours, double d, size_t *count)
{
	uint64_t u;

	if (!isfinite(d))
		return;
	memcpy(&u, &d, sizeof(u));
	ASSERT_OK(buf_appendf(in, "d %016" PRIx64 "\n", u));
	ASSERT_OK(jcs_append_number(d, ours));
	ASSERT_OK(buf_put_u8(ours, '\n'));
	(*count)++;
}

static void add_int(struct buf *in, struct buf *ours, json_object *v, size_t *count)
{
	const char *s = json_object_get_string(v);

	ASSERT_OK(buf_appendf(in, "i %s\n", s));
	ASSERT_OK(jcs_append(v, ours));
	ASSERT_OK(buf_put_u8(ours, '\n'));
	json_object_put(v);
	(*count)++;
}

static void test_node_numbers(void)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(BUF_UNLIMITED), ours = BUF_INIT(BUF_UNLIMITED),
				       node = BUF_INIT(BUF_UNLIMITED);
	size_t count = 0;

	/* Uniform bit patterns: every exponent, subnormals included. */
	for (int i = 0; i < 3000; i++)
		add_double(&in, &ours, from_bits(rnd64()), &count);
	/* Short decimals, the usual content of real documents. */
	for (int i = 0; i < 1500; i++) {
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "%" PRIu64 "e%d", rnd64() % 100000000,
			 (int) (rnd64() % 80) - 40);
		add_double(&in, &ours, strtod(tmp, NULL), &count);
	}
	/* Powers of two and ten and their neighbours: lopsided intervals, layout edges. */
	for (int e = -1074; e <= 1023; e += 3) {
		double d = ldexp(1, e);

		add_double(&in, &ours, d, &count);
		add_double(&in, &ours, nextafter(d, 0), &count);
		add_double(&in, &ours, -nextafter(d, INFINITY), &count);
	}
	for (int e = -325; e <= 309; e++) {
		char tmp[16];
		double d;

		snprintf(tmp, sizeof(tmp), "1e%d", e);
		d = strtod(tmp, NULL);
		add_double(&in, &ours, d, &count);
		add_double(&in, &ours, nextafter(d, 0), &count);
		add_double(&in, &ours, nextafter(d, INFINITY), &count);
	}
	/* Integers as json-c holds them: around 2^53, and over the whole 64-bit range. */
	for (int i = 0; i < 500; i++) {
		add_int(
		    &in, &ours,
		    json_object_new_int64(((int64_t) 1 << 53) + (int64_t) (rnd64() % 4096) - 2048),
		    &count);
		add_int(&in, &ours, json_object_new_int64((int64_t) rnd64()), &count);
		add_int(&in, &ours, json_object_new_int64((int64_t) (rnd64() >> (rnd64() % 64))),
			&count);
		add_int(&in, &ours, json_object_new_uint64(rnd64() | (UINT64_C(1) << 63)), &count);
	}

	if (!run_node(&in, &node))
		SKIP("node not found");
	compare_lines(&in, &ours, &node, count);
}

/* Random documents from pieces that stress sorting and escaping. */
static const char *const key_pool[] = {
	"",
	"a",
	"b",
	"aa",
	"ab",
	"A",
	"1",
	"10",
	"9",
	"\\r",
	"\\n",
	"\\u0080",
	"\\u00e9",
	"\\u20ac",
	"\\ue000",
	"\\uffff",
	"\\ufb33",
	"\\u007f",
	"\\\"",
	"\\\\",
	"k y",
	"\\ud800\\udc00",
	"\\ud83d\\ude00",
	"\\udbff\\udfff",
	"\xf0\x9f\x98\x81",
	"\xef\xbf\xbe",
	"\xe2\x80\xa8",
};
static const char *const string_pool[] = {
	"a",
	"Z",
	"\\u0000",
	"\\u001f",
	"\\n",
	"\\\"",
	"\\\\",
	"/",
	"\\/",
	"\xc3\xa9",
	"\\u20ac",
	"\xef\xbf\xbf",
	"\xee\x80\x80",
	"\\ud83d\\ude00",
	"\xf0\x90\x80\x80",
	"\x7f",
	" ",
	"\\u2028",
	"\\b",
	"\\f",
	"\\t",
};

static void gen_number(struct buf *b)
{
	switch (rnd64() % 4) {
	case 0:
		ASSERT_OK(buf_appendf(b, "%" PRId64, (int64_t) rnd64() >> (rnd64() % 64)));
		break;
	case 1: {
		double d = from_bits(rnd64());

		if (!isfinite(d))
			d = 0.5;
		ASSERT_OK(buf_appendf(b, "%.17g", d));
		break;
	}
	case 2:
		ASSERT_OK(buf_appendf(b, "%" PRIu64 ".%" PRIu64 "e%d", rnd64() % 1000,
				      rnd64() % 1000, (int) (rnd64() % 50) - 25));
		break;
	default:
		ASSERT_OK(buf_append_str(b, rnd64() % 2 ? "-0" : "-0.0"));
	}
}

static void gen_value(struct buf *b, int depth)
{
	unsigned pick = (unsigned) (rnd64() % (depth < 4 ? 7 : 5));

	switch (pick) {
	case 0:
	case 1:
		gen_number(b);
		break;
	case 2:
		ASSERT_OK(buf_put_u8(b, '"'));
		for (uint64_t i = rnd64() % 6; i > 0; i--)
			ASSERT_OK(
			    buf_append_str(b, string_pool[rnd64() % ELEMENTSOF(string_pool)]));
		ASSERT_OK(buf_put_u8(b, '"'));
		break;
	case 3:
		ASSERT_OK(buf_append_str(b, rnd64() % 2 ? "true" : "false"));
		break;
	case 4:
		ASSERT_OK(buf_append_str(b, "null"));
		break;
	case 5:
		ASSERT_OK(buf_put_u8(b, '['));
		for (uint64_t i = 0, n = rnd64() % 5; i < n; i++) {
			if (i)
				ASSERT_OK(buf_append_str(b, rnd64() % 2 ? "," : " , "));
			gen_value(b, depth + 1);
		}
		ASSERT_OK(buf_put_u8(b, ']'));
		break;
	default: {
		bool used[ELEMENTSOF(key_pool)] = { false };
		size_t emitted = 0;

		ASSERT_OK(buf_put_u8(b, '{'));
		for (uint64_t i = 0, n = rnd64() % 8; i < n; i++) {
			size_t k = rnd64() % ELEMENTSOF(key_pool);

			if (used[k])
				continue; /* distinct names: duplicates are refused */
			used[k] = true;
			if (emitted++)
				ASSERT_OK(buf_put_u8(b, ','));
			ASSERT_OK(buf_appendf(b, "\"%s\":", key_pool[k]));
			gen_value(b, depth + 1);
		}
		ASSERT_OK(buf_put_u8(b, '}'));
	}
	}
}

static void test_node_documents(void)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(BUF_UNLIMITED), ours = BUF_INIT(BUF_UNLIMITED),
				       node = BUF_INIT(BUF_UNLIMITED),
				       doc = BUF_INIT(BUF_UNLIMITED);
	size_t count = 0;

	for (int i = 0; i < 600; i++) {
		buf_reset(&doc);
		gen_value(&doc, i % 3 == 0 ? 3 : 0);
		if (jcs_canonicalize_text(buf_str(&doc), doc.len, &ours) < 0)
			FAIL_("generated text refused: %s", buf_str(&doc));
		ASSERT_OK(buf_put_u8(&ours, '\n'));
		ASSERT_OK(buf_appendf(&in, "j %s\n", buf_str(&doc)));
		count++;
	}
	ASSERT_EQ(count, 600);
	if (!run_node(&in, &node))
		SKIP("node not found");
	compare_lines(&in, &ours, &node, count);
}

TESTS(test_rfc8785_sample, test_rfc8785_sort, test_utf16_order, test_appendix_b, test_number_layout,
      test_integers, test_escapes, test_nested, test_kbs_runtime_data, test_invalid,
      test_node_numbers, test_node_documents)
