/* SPDX-License-Identifier: Apache-2.0 */
/* common/digest: FIPS 180-4 example vectors, GB/T 32905-2016 SM3 examples, RFC 4231 HMAC
 * vectors, streaming in odd chunks, OCI digest strings, and a cross-check against
 * sha256sum/openssl. */
#include <stdio.h>
#include <unistd.h>

#include "common/digest.h"
#include "tests/unit/tests.h"

static void hex_of(enum digest_alg a, const void *p, size_t n, char *out)
{
	uint8_t d[DIGEST_MAX_SIZE];

	ASSERT_EQ(digest_buf(a, p, n, d), digest_size(a));
	digest_hex(d, digest_size(a), out);
}

#define ABC448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define ABC896                                                                                     \
	"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr" \
	"lmnopqrsmnopqrstnopqrstu"

static void test_fips180_vectors(void)
{
	static const struct {
		enum digest_alg alg;
		const char *msg, *hex;
	} v[] = {
		{ DIGEST_SHA256, "",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ DIGEST_SHA256, "abc",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ DIGEST_SHA256, ABC448,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ DIGEST_SHA384, "abc",
		  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc23"
		  "58baeca1"
		  "34c825a7" },
		{ DIGEST_SHA384, ABC896,
		  "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db9"
		  "66c3e9fa"
		  "91746039" },
		{ DIGEST_SHA512, "abc",
		  "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a8"
		  "36ba3c23"
		  "a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
		{ DIGEST_SHA512, ABC896,
		  "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4"
		  "331b99de"
		  "c4b5433ac7d329eeb6dd26545e96e55b874be909" },
	};
	char out[2 * DIGEST_MAX_SIZE + 1];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		hex_of(v[i].alg, v[i].msg, strlen(v[i].msg), out);
		ASSERT_STREQ(out, v[i].hex);
	}
}

/* GB/T 32905-2016 appendix A: example 1 ("abc") and example 2 ("abcd" x 16, one block). */
static void test_sm3_vectors(void)
{
	static const struct {
		const char *msg, *hex;
	} v[] = {
		{ "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" },
		{ "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
		  "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732" },
	};
	char out[2 * DIGEST_MAX_SIZE + 1];

	ASSERT_EQ(digest_size(DIGEST_SM3), 32);
	ASSERT_EQ(digest_block_size(DIGEST_SM3), 64);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		hex_of(DIGEST_SM3, v[i].msg, strlen(v[i].msg), out);
		ASSERT_STREQ(out, v[i].hex);
	}
	/* No published HMAC-SM3 vector: this one is from OpenSSL 3 (openssl dgst -sm3 -hmac key). */
	{
		uint8_t d[32];

		ASSERT_EQ(digest_hmac(DIGEST_SM3, "key", 3, "abc", 3, d), 32);
		ASSERT_STREQ(digest_hex(d, 32, out),
			     "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393");
	}
}

static void test_million_a(void)
{
	struct digest_ctx c;
	uint8_t d[32];
	char block[1000], out[65];

	memset(block, 'a', sizeof(block));
	digest_init(&c, DIGEST_SHA256);
	for (int i = 0; i < 1000; i++)
		digest_update(&c, block, sizeof(block));
	ASSERT_EQ(digest_final(&c, d), 32);
	ASSERT_STREQ(digest_hex(d, 32, out),
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_rfc4231_hmac(void)
{
	static const char *const want[][3] = {
		{ "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f"
		  "4af152e8"
		  "b2fa9cb6",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702"
		  "038b274e"
		  "aea3f4e4be9d914eeb61f1702e696c203a126854" },
		{ "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c7"
		  "8b3239ec"
		  "fab21649",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a"
		  "6d034f65"
		  "f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
		{ "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe82"
		  "96248df1"
		  "63f44952",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598"
		  "bd0fd221"
		  "5d6a1e5295e64f73f63f0aec8b915a985d786598" },
		{ "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
		  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d"
		  "3860e611"
		  "0c46523e",
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b1"
		  "0d5eeb55"
		  "c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	uint8_t k0b[20], kaa[131], d[DIGEST_MAX_SIZE];
	const struct {
		const void *key;
		size_t klen;
		const char *data;
	} c[] = {
		{ k0b, sizeof(k0b), "Hi There" },
		{ "Jefe", 4, "what do ya want for nothing?" },
		{ kaa, sizeof(kaa), "Test Using Larger Than Block-Size Key - Hash Key First" },
		{ kaa, sizeof(kaa),
		  "This is a test using a larger than block-size key and a larger than block-size "
		  "data. "
		  "The key needs to be hashed before being used by the HMAC algorithm." },
	};
	char out[2 * DIGEST_MAX_SIZE + 1];

	memset(k0b, 0x0b, sizeof(k0b));
	memset(kaa, 0xaa, sizeof(kaa));
	for (size_t i = 0; i < ELEMENTSOF(c); i++)
		for (enum digest_alg a = DIGEST_SHA256; a <= DIGEST_SHA512; a++) {
			ASSERT_EQ(
			    digest_hmac(a, c[i].key, c[i].klen, c[i].data, strlen(c[i].data), d),
			    digest_size(a));
			ASSERT_STREQ(digest_hex(d, digest_size(a), out), want[i][a]);
		}
}

static void fill(uint8_t *p, size_t n)
{
	uint32_t x = 0x12345678;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (uint8_t) (x >> 16);
	}
}

static void test_streaming_odd_chunks(void)
{
	static const size_t chunks[] = { 1, 3, 7, 55, 63, 64, 65, 111, 127, 128, 129, 1000, 4099 };
	static uint8_t data[100003];

	fill(data, sizeof(data));
	for (enum digest_alg a = DIGEST_SHA256; a < _DIGEST_ALG_MAX; a++) {
		uint8_t one[DIGEST_MAX_SIZE], hone[DIGEST_MAX_SIZE];

		digest_buf(a, data, sizeof(data), one);
		digest_hmac(a, "k", 1, data, sizeof(data), hone);
		for (size_t k = 0; k < ELEMENTSOF(chunks); k++) {
			struct digest_ctx c;
			struct digest_hmac_ctx h;
			uint8_t got[DIGEST_MAX_SIZE], hgot[DIGEST_MAX_SIZE];
			size_t step = chunks[k];

			digest_init(&c, a);
			digest_hmac_init(&h, a, "k", 1);
			for (size_t off = 0, n; off < sizeof(data); off += n) {
				n = MIN(step, sizeof(data) - off);

				digest_update(&c, data + off, n);
				digest_hmac_update(&h, data + off, n);
				/* Growing chunk sizes cross block boundaries at every offset. */
				step = step == chunks[k] ? step + 1 : chunks[k];
			}
			digest_final(&c, got);
			digest_hmac_final(&h, hgot);
			ASSERT_MEMEQ(got, one, digest_size(a));
			ASSERT_MEMEQ(hgot, hone, digest_size(a));
		}
	}
}

static void test_final_reinits_and_copy_forks(void)
{
	struct digest_ctx c, fork;
	uint8_t a[32], b[32], want[32];

	digest_init(&c, DIGEST_SHA256);
	digest_update(&c, "ab", 2);
	fork = c;
	digest_update(&c, "c", 1);
	digest_final(&c, a);
	digest_buf(DIGEST_SHA256, "abc", 3, want);
	ASSERT_MEMEQ(a, want, 32);
	/* After final the context is fresh: hashing "abc" again gives the same. */
	digest_update(&c, "abc", 3);
	digest_final(&c, b);
	ASSERT_MEMEQ(b, want, 32);
	/* The copy carried on independently. */
	digest_update(&fork, "c", 1);
	digest_final(&fork, b);
	ASSERT_MEMEQ(b, want, 32);
}

static void test_names_and_sizes(void)
{
	enum digest_alg a;

	ASSERT_OK(digest_alg_from_string("sha384", &a));
	ASSERT_EQ(a, DIGEST_SHA384);
	ASSERT_ERR(digest_alg_from_string("SHA384", &a), -EOPNOTSUPP);
	ASSERT_OK(digest_alg_from_string("sm3", &a));
	ASSERT_EQ(a, DIGEST_SM3);
	ASSERT_ERR(digest_alg_from_string("sm2", &a), -EOPNOTSUPP);
	ASSERT_OK(digest_alg_from_string_ci("SM3", &a));
	ASSERT_EQ(a, DIGEST_SM3);
	ASSERT_STREQ(digest_alg_to_string(DIGEST_SM3), "sm3");
	ASSERT_ERR(digest_alg_from_string("", &a), -EOPNOTSUPP);
	ASSERT_ERR(digest_alg_from_string(NULL, &a), -EOPNOTSUPP);
	ASSERT_OK(digest_alg_from_string_ci("SHA512", &a));
	ASSERT_EQ(a, DIGEST_SHA512);
	ASSERT_STREQ(digest_alg_to_string(DIGEST_SHA256), "sha256");
	ASSERT_TRUE(digest_alg_to_string(_DIGEST_ALG_MAX) == NULL);
	ASSERT_EQ(digest_size(DIGEST_SHA256), 32);
	ASSERT_EQ(digest_size(DIGEST_SHA384), 48);
	ASSERT_EQ(digest_size(DIGEST_SHA512), 64);
	ASSERT_EQ(digest_block_size(DIGEST_SHA256), 64);
	ASSERT_EQ(digest_block_size(DIGEST_SHA512), 128);
	ASSERT_EQ(digest_size(_DIGEST_ALG_MAX), 0);
}

static void test_hex_and_equal(void)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff }, out[3];
	char s[7];

	ASSERT_STREQ(digest_hex(b, 3, s), "00abff");
	ASSERT_OK(digest_unhex("00abff", 6, out, 3));
	ASSERT_MEMEQ(out, b, 3);
	ASSERT_ERR(digest_unhex("00ABff", 6, out, 3), -EBADMSG);
	ASSERT_ERR(digest_unhex("00abf", 5, out, 3), -EBADMSG);
	ASSERT_ERR(digest_unhex("00abfg", 6, out, 3), -EBADMSG);
	ASSERT_TRUE(digest_equal("abcd", "abcd", 4));
	ASSERT_TRUE(!digest_equal("abcd", "abce", 4));
	ASSERT_TRUE(digest_equal("x", "y", 0));
}

#define HELLO_SHA256 "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static void test_oci_digest(void)
{
	struct digest_oci d;
	struct digest_ctx c;
	char s[DIGEST_OCI_STRING_MAX];
	static const char *const bad[] = {
		"",
		"sha256",
		":2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"sha256:",
		"SHA256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98244",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n",
		"sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"sha256::2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"+sha256:2c",
		"sha256+:2c",
		"sha--256:2c",
	};

	ASSERT_OK(digest_oci_parse(HELLO_SHA256, &d));
	ASSERT_EQ(d.alg, DIGEST_SHA256);
	ASSERT_EQ(d.d[0], 0x2c);
	ASSERT_EQ(d.d[31], 0x24);
	ASSERT_STREQ(digest_oci_format(d.alg, d.d, s), HELLO_SHA256);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (digest_oci_parse(bad[i], &d) != -EBADMSG)
			FAIL_("'%s' was not refused with -EBADMSG", bad[i]);
	ASSERT_ERR(digest_oci_parse(NULL, &d), -EBADMSG);
	/* Well-formed but not ours. */
	ASSERT_ERR(digest_oci_parse("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", &d),
		   -EOPNOTSUPP);
	ASSERT_ERR(digest_oci_parse("blake3:abcd", &d), -EOPNOTSUPP);
	/* A hash we have, but not one OCI digests use. */
	ASSERT_ERR(digest_oci_parse(
		       "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", &d),
		   -EOPNOTSUPP);
	ASSERT_ERR(digest_oci_parse("sha+256:2c", &d), -EOPNOTSUPP);
	ASSERT_ERR(digest_oci_parse("averyveryverylongalgorithm:abcd", &d), -EOPNOTSUPP);

	ASSERT_OK(digest_oci_check(HELLO_SHA256, "hello", 5));
	ASSERT_ERR(digest_oci_check(HELLO_SHA256, "hellO", 5), -EKEYREJECTED);
	ASSERT_ERR(digest_oci_check("sha256:zz", "hello", 5), -EBADMSG);

	ASSERT_OK(digest_oci_parse(HELLO_SHA256, &d));
	digest_init(&c, DIGEST_SHA256);
	digest_update(&c, "hel", 3);
	digest_update(&c, "lo", 2);
	ASSERT_OK(digest_oci_verify(&d, &c));
	digest_init(&c, DIGEST_SHA512);
	ASSERT_ERR(digest_oci_verify(&d, &c), -EINVAL);

	uint8_t h[64];
	digest_buf(DIGEST_SHA512, "hello", 5, h);
	digest_oci_format(DIGEST_SHA512, h, s);
	ASSERT_EQ(strlen(s), 7 + 128);
	ASSERT_OK(digest_oci_check(s, "hello", 5));
}

/* Runs cmd on path and returns the first word of its output in out (NULL if cmd absent). */
static bool run_tool(const char *cmd, const char *path, char *out, size_t n)
{
	char line[512];
	FILE *f;

	snprintf(line, sizeof(line), "%s '%s' 2>/dev/null", cmd, path);
	f = popen(line, "r");
	if (!f)
		return false;
	if (!fgets(out, (int) n, f)) {
		pclose(f);
		return false;
	}
	if (pclose(f) != 0)
		return false;
	out[strcspn(out, " \n")] = 0;
	return true;
}

static void test_cross_check_tools(void)
{
	static const struct {
		const char *cmd;
		enum digest_alg alg;
	} tools[] = {
		{ "sha256sum", DIGEST_SHA256 },
		{ "sha384sum", DIGEST_SHA384 },
		{ "sha512sum", DIGEST_SHA512 },
		{ "openssl dgst -sha256 -r", DIGEST_SHA256 },
		{ "openssl dgst -sha512 -r", DIGEST_SHA512 },
		{ "openssl dgst -sm3 -r", DIGEST_SM3 },
	};
	static uint8_t data[(1 << 20) + 17];
	char path[] = "/tmp/test-digest.XXXXXX", want[256], got[2 * DIGEST_MAX_SIZE + 1];
	size_t ran = 0;
	int fd;

	fill(data, sizeof(data));
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, data, sizeof(data)), (ssize_t) sizeof(data));
	close(fd);
	for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
		if (!run_tool(tools[i].cmd, path, want, sizeof(want)))
			continue;
		hex_of(tools[i].alg, data, sizeof(data), got);
		ASSERT_STREQ(got, want);
		ran++;
	}
	unlink(path);
	/* coreutils is always there; openssl may not be. */
	ASSERT_TRUE(ran >= 3);
}

/* FIPS 180 SHA-1 examples ("abc", the two-block message) and the empty string. */
static void test_sha1(void)
{
	static const struct {
		const char *msg, *hex;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t d[DIGEST_SHA1_SIZE];
	char hex[2 * DIGEST_SHA1_SIZE + 1];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		digest_sha1(v[i].msg, strlen(v[i].msg), d);
		ASSERT_STREQ(digest_hex(d, sizeof(d), hex), v[i].hex);
	}
}

TESTS(test_fips180_vectors, test_sm3_vectors, test_sha1, test_million_a, test_rfc4231_hmac,
      test_streaming_odd_chunks, test_final_reinits_and_copy_forks, test_names_and_sizes,
      test_hex_and_equal, test_oci_digest, test_cross_check_tools)
