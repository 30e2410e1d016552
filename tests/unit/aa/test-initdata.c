/* SPDX-License-Identifier: Apache-2.0 */
/* aa/initdata: digests of a sample document under each algorithm (expected values from
 * sha384sum and openssl dgst over the same bytes), field errors worded as serde's, the
 * --initdata-digest argument (base64, not hex), and the binding check against a fake
 * attester holding a TDX-sized MRCONFIGID. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa/initdata.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

#define SAMPLE TEST_DATA_DIR "/initdata.toml"

static void load_sample(struct buf *b)
{
	ASSERT_OK(fs_read_file(AT_FDCWD, SAMPLE, b));
	ASSERT_TRUE(strncmp(buf_str(b), "algorithm = \"sha384\"\n", 21) == 0);
}

/* The sample with its first line's algorithm replaced. */
static void sample_with(const char *alg, struct buf *out)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);

	load_sample(&b);
	buf_reset(out);
	ASSERT_OK(buf_appendf(out, "algorithm = \"%s\"\n", alg));
	ASSERT_OK(buf_append(out, b.data + 21, b.len - 21));
}

static void test_sample_digests(void)
{
	static const struct {
		const char *alg;
		enum digest_alg a;
		const char *hex;
	} v[] = {
		{ "sha384", DIGEST_SHA384,
		  "32390467208c62f63e811a21ca9d76aeb0e6951194978ebdbc4c6315b5eb3bdf33d2c884fe0876a6"
		  "7cc5629e7dd3f1bb" },
		{ "sha256", DIGEST_SHA256,
		  "17a4be96ec6a71968aa5ef1ba7b87743632969742b7f301ed7bddcb898a12eea" },
		{ "sha512", DIGEST_SHA512,
		  "12b14325f464565e386f9ae4f6ac7ae8b7dac25ba05b98d4907a42d650e53315f47f73eb48f08fbd"
		  "66857c9be876a61091e63bc5a3e639c9f48700de0d302c68" },
		{ "sm3", DIGEST_SM3,
		  "1535dad2099d09e15e32736ebeec99bdea306b216a94a72af96b89b355017de0" },
	};
	_cleanup_(buf_done) struct buf doc = BUF_INIT(1 << 20);
	char hex[2 * DIGEST_MAX_SIZE + 1];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
		struct toml_error err;

		sample_with(v[i].alg, &doc);
		ASSERT_OK(aa_initdata_parse(buf_str(&doc), doc.len, &d, &err));
		ASSERT_EQ(d->alg, v[i].a);
		ASSERT_EQ(d->digest_len, digest_size(v[i].a));
		ASSERT_STREQ(digest_hex(d->digest, d->digest_len, hex), v[i].hex);
		ASSERT_STREQ(d->version, "0.1.0");
		ASSERT_EQ(d->toml_len, doc.len);
		ASSERT_MEMEQ(d->toml, doc.data, doc.len);
	}
}

static void test_from_file_and_data(void)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	struct toml_error err;
	const char *s;

	ASSERT_OK(aa_initdata_from_toml_file(SAMPLE, &d, &err));
	ASSERT_EQ(d->alg, DIGEST_SHA384);
	s = aa_initdata_get(d, "aa.toml");
	ASSERT_TRUE(s && strstr(s, "[token_configs.kbs]\nurl = 'http://127.0.0.1:8080'\n"));
	s = aa_initdata_get(d, "policy.rego");
	ASSERT_TRUE(s && strncmp(s, "package agent_policy\n", 21) == 0);
	ASSERT_TRUE(aa_initdata_get(d, "cdh.toml") != NULL);
	ASSERT_TRUE(aa_initdata_get(d, "absent") == NULL);
	ASSERT_TRUE(aa_initdata_get(NULL, "aa.toml") == NULL);

	ASSERT_ERR(aa_initdata_from_toml_file("/nonexistent/initdata.toml", &d, &err), -ENOENT);
	ASSERT_TRUE(strstr(err.message, "read initdata toml file") != NULL);
}

static void expect_error(const char *doc, int want, const char *msg_part)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	struct toml_error err = {};
	int r = aa_initdata_parse(doc, strlen(doc), &d, &err);

	if (r != want || !strstr(err.message, msg_part))
		FAIL_("'%s': got %d '%s', want %d '...%s...'", doc, r, err.message, want, msg_part);
	ASSERT_TRUE(d == NULL);
}

static void test_bad_documents(void)
{
	/* Not TOML at all: the parser says where. */
	expect_error("version = \"0.1.0\"\nalgorithm = sha256\n[data]\n", -EBADMSG, "");
	{
		_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
		struct toml_error err = {};
		const char *doc = "version = \"0.1.0\"\nalgorithm = sha256\n[data]\n";

		ASSERT_ERR(aa_initdata_parse(doc, strlen(doc), &d, &err), -EBADMSG);
		ASSERT_EQ(err.line, 2);
	}
	expect_error("version = \"0.1.0\"\nversion = \"0.1.0\"\n", -EBADMSG, "");
	/* Fields. */
	expect_error("algorithm = \"sha256\"\n[data]\n", -EBADMSG, "missing field `version`");
	expect_error("version = \"0.1.0\"\n[data]\n", -EBADMSG, "missing field `algorithm`");
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha256\"\n", -EBADMSG,
		     "missing field `data`");
	expect_error("version = 1\nalgorithm = \"sha256\"\n[data]\n", -EBADMSG,
		     "invalid type: integer");
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha256\"\ndata = \"x\"\n", -EBADMSG,
		     "expected a map");
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\nn = 1\n", -EBADMSG,
		     "`data.n`");
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data.sub]\nn = \"1\"\n",
		     -EBADMSG, "`data.sub`");
	/* Algorithms: serde's exact lowercase names only. */
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha-256\"\n[data]\n", -EOPNOTSUPP,
		     "unknown variant `sha-256`");
	expect_error("version = \"0.1.0\"\nalgorithm = \"SHA256\"\n[data]\n", -EOPNOTSUPP,
		     "unknown variant");
	expect_error("version = \"0.1.0\"\nalgorithm = \"sha1\"\n[data]\n", -EOPNOTSUPP,
		     "unknown variant");
	/* read_to_string refuses bytes that are not UTF-8, even in a comment. */
	expect_error("# \xff\nversion = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n", -EBADMSG,
		     "UTF-8");
}

static void test_accepted_variations(void)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	/* Another version string, unknown keys and an empty [data] are all taken, as
	 * upstream's serde struct takes them. */
	const char *doc = "version = \"0.2.0\"\nalgorithm = \"sha256\"\nextra = [1, 2]\n[data]\n";
	uint8_t want[32];

	ASSERT_OK(aa_initdata_parse(doc, strlen(doc), &d, NULL));
	ASSERT_STREQ(d->version, "0.2.0");
	digest_buf(DIGEST_SHA256, doc, strlen(doc), want);
	ASSERT_MEMEQ(d->digest, want, 32);
	d = aa_initdata_free(d);

	/* The digest covers the bytes as given: a BOM and CRLF change it. */
	doc = "\xef\xbb\xbfversion = \"0.1.0\"\r\nalgorithm = \"sha256\"\r\n[data]\r\n";
	ASSERT_OK(aa_initdata_parse(doc, strlen(doc), &d, NULL));
	digest_buf(DIGEST_SHA256, doc, strlen(doc), want);
	ASSERT_MEMEQ(d->digest, want, 32);
}

static void test_digest_argument(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(4096);
	char big[AA_INITDATA_DIGEST_ARG_MAX + 5];

	ASSERT_OK(aa_initdata_digest_decode("AAECAw==", &out));
	ASSERT_EQ(out.len, 4);
	ASSERT_MEMEQ(out.data, "\x00\x01\x02\x03", 4);

	/* A hex digest is read as base64, as upstream does: 64 hex digits are 48 bytes. */
	buf_reset(&out);
	ASSERT_OK(aa_initdata_digest_decode(
	    "17a4be96ec6a71968aa5ef1ba7b87743632969742b7f301ed7bddcb898a12eea", &out));
	ASSERT_EQ(out.len, 48);

	buf_reset(&out);
	ASSERT_ERR(aa_initdata_digest_decode("AAECAw", &out), -EBADMSG);
	ASSERT_ERR(aa_initdata_digest_decode("AA-_", &out), -EBADMSG);
	ASSERT_ERR(aa_initdata_digest_decode("AAEC Aw==", &out), -EBADMSG);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ASSERT_ERR(aa_initdata_digest_decode(big, &out), -E2BIG);
}

/* A TDX-like binding: the digest zero-padded (or cut) to 48 bytes must equal the field. */
static uint8_t mrconfigid[48];

static int fake_bind(const uint8_t *digest, size_t n)
{
	uint8_t want[48] = {};

	memcpy(want, digest, MIN(n, sizeof(want)));
	return memcmp(want, mrconfigid, sizeof(want)) == 0 ? 0 : -EPERM;
}

static void test_bind(void)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	const struct attester_ops binder = { .name = "fake", .bind_initdata = fake_bind };
	const struct attester_ops none = { .name = "fake" };
	_cleanup_(buf_done) struct buf doc = BUF_INIT(1 << 20);

	sample_with("sha256", &doc);
	ASSERT_OK(aa_initdata_parse(buf_str(&doc), doc.len, &d, NULL));

	memset(mrconfigid, 0, sizeof(mrconfigid));
	memcpy(mrconfigid, d->digest, 32);
	ASSERT_EQ(aa_initdata_bind(&binder, d->digest, d->digest_len), 1);
	mrconfigid[40] = 1;
	ASSERT_ERR(aa_initdata_bind(&binder, d->digest, d->digest_len), -EPERM);
	ASSERT_EQ(aa_initdata_bind(&none, d->digest, d->digest_len), 0);
	/* The sample attester has no binding: upstream goes on. */
	ASSERT_EQ(aa_initdata_bind(&attester_sample, d->digest, d->digest_len), 0);
}

TESTS(test_sample_digests, test_from_file_and_data, test_bad_documents, test_accepted_variations,
      test_digest_argument, test_bind)
