/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 4648 §10 vectors in all four variants, round trips against a bit-at-a-time
 * reference encoder, and the strictness rules (alphabet, padding, trailing bits). */
#include "common/b64.h"
#include "tests/unit/tests.h"

static const enum b64_variant variants[] = { B64_STD, B64_STD_NOPAD, B64_URL, B64_URL_NOPAD };

static bool is_url(enum b64_variant v)
{
	return v == B64_URL || v == B64_URL_NOPAD;
}

static bool is_padded(enum b64_variant v)
{
	return v == B64_STD || v == B64_URL;
}

/* Builds the expected text for variant v from the padded standard form. */
static void expected_for(enum b64_variant v, const char *std_padded, char *out)
{
	size_t i, o = 0;

	for (i = 0; std_padded[i]; i++) {
		char c = std_padded[i];

		if (c == '=' && !is_padded(v))
			continue;
		if (is_url(v) && c == '+')
			c = '-';
		else if (is_url(v) && c == '/')
			c = '_';
		out[o++] = c;
	}
	out[o] = 0;
}

static void check_pair(const void *raw, size_t n, const char *std_padded)
{
	for (size_t k = 0; k < ELEMENTSOF(variants); k++) {
		_cleanup_(buf_done) struct buf enc = BUF_INIT(BUF_UNLIMITED),
					       dec = BUF_INIT(BUF_UNLIMITED);
		char want[64];

		expected_for(variants[k], std_padded, want);
		ASSERT_OK(b64_encode(variants[k], raw, n, &enc));
		ASSERT_STREQ(buf_str(&enc), want);
		ASSERT_EQ(enc.len, b64_encoded_len(variants[k], n));
		ASSERT_OK(b64_decode(variants[k], want, strlen(want), &dec));
		ASSERT_EQ(dec.len, n);
		ASSERT_MEMEQ(dec.data ? dec.data : (const uint8_t *) "", raw, n);
	}
}

static void test_rfc4648_vectors(void)
{
	/* RFC 4648 §10 */
	check_pair("", 0, "");
	check_pair("f", 1, "Zg==");
	check_pair("fo", 2, "Zm8=");
	check_pair("foo", 3, "Zm9v");
	check_pair("foob", 4, "Zm9vYg==");
	check_pair("fooba", 5, "Zm9vYmE=");
	check_pair("foobar", 6, "Zm9vYmFy");
	/* The two characters the alphabets disagree on (RFC 4648 §4 vs §5). */
	check_pair("\xfb\xef\xbe", 3, "++++");
	check_pair("\xff\xff\xff", 3, "////");
	check_pair("\xfb\xff", 2, "+/8=");
	check_pair("\x00", 1, "AA==");
	check_pair("\x00\x00", 2, "AAA=");
	check_pair("\x00\x00\x00", 3, "AAAA");
	check_pair("\xff", 1, "/w==");
}

/* Reference encoder that walks the input bit by bit, independent of the word-at-a-time
 * code under test. */
static void ref_encode(enum b64_variant v, const uint8_t *p, size_t n, char *out)
{
	const char *a = is_url(v)
			    ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bits = n * 8, o = 0;

	for (size_t b = 0; b < bits; b += 6) {
		unsigned x = 0;

		for (size_t j = b; j < b + 6; j++) {
			unsigned bit = j < bits ? (p[j / 8] >> (7 - j % 8)) & 1 : 0;
			x = x << 1 | bit;
		}
		out[o++] = a[x];
	}
	while (is_padded(v) && o % 4)
		out[o++] = '=';
	out[o] = 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint8_t rnd8(void)
{
	/* xorshift64: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t) (rng_state >> 24);
}

static void test_round_trip_random(void)
{
	uint8_t raw[300];
	char want[420];

	for (size_t n = 0; n <= 300; n++) {
		for (size_t i = 0; i < n; i++)
			raw[i] = rnd8();
		for (size_t k = 0; k < ELEMENTSOF(variants); k++) {
			_cleanup_(buf_done) struct buf enc = BUF_INIT(BUF_UNLIMITED),
						       dec = BUF_INIT(BUF_UNLIMITED),
						       any = BUF_INIT(BUF_UNLIMITED);
			_cleanup_secret_ struct secret *s = NULL;

			ref_encode(variants[k], raw, n, want);
			ASSERT_OK(b64_encode(variants[k], raw, n, &enc));
			ASSERT_STREQ(buf_str(&enc), want);
			ASSERT_EQ(enc.len, b64_encoded_len(variants[k], n));
			ASSERT_OK(b64_decode(variants[k], buf_str(&enc), enc.len, &dec));
			ASSERT_EQ(dec.len, n);
			ASSERT_TRUE(n == 0 || memcmp(dec.data, raw, n) == 0);
			ASSERT_OK(b64_decode_any(buf_str(&enc), enc.len, &any));
			ASSERT_EQ(any.len, n);
			ASSERT_TRUE(n == 0 || memcmp(any.data, raw, n) == 0);
			ASSERT_OK(b64_decode_secret(variants[k], buf_str(&enc), enc.len, &s));
			ASSERT_EQ(s->n, n);
			ASSERT_TRUE(n == 0 || memcmp(s->p, raw, n) == 0);
		}
	}
}

static void test_appends(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(buf_append_str(&b, "x:"));
	ASSERT_OK(b64_encode(B64_STD, "foo", 3, &b));
	ASSERT_STREQ(buf_str(&b), "x:Zm9v");
	ASSERT_OK(b64_decode(B64_STD, "YmFy", 4, &b));
	ASSERT_STREQ(buf_str(&b), "x:Zm9vbar");
}

static void expect_bad(enum b64_variant v, const char *s)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct secret *sec = NULL;

	ASSERT_OK(buf_append_str(&b, "keep"));
	if (b64_decode(v, s, strlen(s), &b) != -EBADMSG)
		FAIL_("variant %d accepted \"%s\"", (int) v, s);
	ASSERT_STREQ(buf_str(&b), "keep");
	ASSERT_ERR(b64_decode_secret(v, s, strlen(s), &sec), -EBADMSG);
	ASSERT_TRUE(sec == NULL);
}

static void expect_bad_all(const char *s)
{
	for (size_t k = 0; k < ELEMENTSOF(variants); k++)
		expect_bad(variants[k], s);
}

static void test_invalid(void)
{
	/* Outside every alphabet, whitespace anywhere, NUL inside. */
	expect_bad_all("Zm9v!A==");
	expect_bad_all("Zm9v YmFy");
	expect_bad_all(" Zm9v");
	expect_bad_all("Zm9v\n");
	expect_bad_all("Zm9v\r\nYmFy");
	expect_bad_all("Zm\t9v");
	expect_bad_all("Zm9v\xc3\xa9");
	expect_bad_all("*");
	for (size_t k = 0; k < ELEMENTSOF(variants); k++) {
		_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

		ASSERT_ERR(b64_decode(variants[k], "Zm\0v", 4, &b), -EBADMSG);
		ASSERT_ERR(b64_decode(variants[k], "Zm9v\0", 5, &b), -EBADMSG);
	}
	/* A lone sextet, in every position. */
	expect_bad_all("Z");
	expect_bad_all("Zm9vY");
	expect_bad_all("Z===");
	/* Padding in the middle or too much of it. */
	expect_bad_all("Zg==Zm8=");
	expect_bad_all("Zg=a");
	expect_bad_all("Z=g=");
	expect_bad_all("Zg===");
	expect_bad_all("====");
	expect_bad_all("=");
	expect_bad_all("==");
	expect_bad_all("Zm9v=");
	/* Non-zero bits after the last byte (RFC 4648 §3.5): "Zh==" and "Zm9=" decode to
	 * the same bytes as "Zg==" and "Zm8=" in a lax decoder. */
	expect_bad(B64_STD, "Zh==");
	expect_bad(B64_STD, "Zm9=");
	expect_bad(B64_URL, "Zh==");
	expect_bad(B64_STD_NOPAD, "Zh");
	expect_bad(B64_URL_NOPAD, "Zm9");
	expect_bad(B64_URL_NOPAD, "_x"); /* 0xff, then a set bit */
	expect_bad(B64_STD_NOPAD, "//");
	/* Padding required, or forbidden. */
	expect_bad(B64_STD, "Zg");
	expect_bad(B64_STD, "Zm8");
	expect_bad(B64_URL, "Zm9vYg");
	expect_bad(B64_STD, "Zg=");
	expect_bad(B64_STD_NOPAD, "Zg==");
	expect_bad(B64_STD_NOPAD, "Zm8=");
	expect_bad(B64_URL_NOPAD, "Zg==");
	expect_bad(B64_URL_NOPAD, "Zg=");
	/* The other variant's alphabet. */
	expect_bad(B64_STD, "-_8=");
	expect_bad(B64_STD_NOPAD, "----");
	expect_bad(B64_URL, "+/8=");
	expect_bad(B64_URL_NOPAD, "////");
}

static void test_decode_any(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	static const char *const good[] = { "+/8=", "+/8", "-_8=", "-_8", "" };
	static const char *const bad[] = { "+_8=", "-/8", "+/8==", "+/8 ", "+/9", "Z", "Zg=" };

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		buf_reset(&b);
		ASSERT_OK(b64_decode_any(good[i], strlen(good[i]), &b));
		ASSERT_EQ(b.len, *good[i] ? 2 : 0);
		ASSERT_TRUE(!*good[i] || memcmp(b.data, "\xfb\xff", 2) == 0);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		buf_reset(&b);
		if (b64_decode_any(bad[i], strlen(bad[i]), &b) != -EBADMSG)
			FAIL_("accepted \"%s\"", bad[i]);
		ASSERT_EQ(b.len, 0);
	}
}

static void test_limits_and_args(void)
{
	_cleanup_(buf_done) struct buf small = BUF_INIT(3);
	struct buf none = BUF_INIT(BUF_UNLIMITED);

	ASSERT_ERR(b64_encode(B64_STD, "f", 1, &small), -E2BIG);
	ASSERT_EQ(small.len, 0);
	ASSERT_OK(b64_encode(B64_STD_NOPAD, "f", 1, &small));
	ASSERT_STREQ(buf_str(&small), "Zg");
	buf_reset(&small);
	ASSERT_ERR(b64_decode(B64_STD, "Zm9vYg==", 8, &small), -E2BIG);
	ASSERT_OK(b64_decode(B64_STD, "Zm9v", 4, &small));
	ASSERT_ERR(b64_encode((enum b64_variant) 7, "f", 1, &none), -EINVAL);
	ASSERT_ERR(b64_decode((enum b64_variant) - 1, "Zg==", 4, &none), -EINVAL);
	ASSERT_ERR(b64_encode(B64_STD, NULL, 1, &none), -EINVAL);
	ASSERT_OK(b64_encode(B64_STD, NULL, 0, &none));
	ASSERT_OK(b64_decode(B64_STD, NULL, 0, &none));
	ASSERT_EQ(none.len, 0);
	buf_done(&none);
	ASSERT_EQ(b64_encoded_len(B64_STD, 0), 0);
	ASSERT_EQ(b64_encoded_len(B64_URL_NOPAD, 1), 2);
	ASSERT_EQ(b64_encoded_len(B64_URL, 1), 4);
	ASSERT_EQ(b64_encoded_len(B64_STD, SIZE_MAX), SIZE_MAX);
}

TESTS(test_rfc4648_vectors, test_round_trip_random, test_appends, test_invalid, test_decode_any,
      test_limits_and_args)
