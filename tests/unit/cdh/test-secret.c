/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/secret: sealed secrets made by our sealer and by an independent one (python
 * jwcrypto, data/make-fixtures.py), upstream's test key and payloads, and every refusal:
 * tampering, wrong or missing kid, path escapes, bad JSON, unknown version/type/wrap_type,
 * skip mode, providers we do not have. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cdh/kms/offline-fs.h"
#include "cdh/secret.h"
#include "common/b64.h"
#include "common/fs.h"
#include "common/jose.h"
#include "tests/unit/tests.h"

static char keydir[] = "/tmp/test-cdh-secret-XXXXXX";
static struct offline_fs *ofs;
static struct cdh_kms kms;
static struct cdh_secret_opts opts;
static struct crypto_pk *test_key; /* upstream's test-key.json (private) */

/* The "test" envelope provider of make-fixtures.py: DEK = encrypted_key XOR 0x5a. */
static int test_decrypt(void *ud, const char *provider, const char *key_id,
			struct json_object *annotations, const uint8_t *enc, size_t n,
			struct secret **ret)
{
	struct secret *s;

	(void) annotations;
	if (!streq(provider, "test"))
		return -EOPNOTSUPP;
	if (!streq(key_id, "test-key-id"))
		return -ENOKEY;
	s = secret_alloc(n);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s->p[i] = enc[i] ^ 0x5a;
	*ret = s;
	(void) ud;
	return 0;
}

static int kms_get(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	return offline_fs_get(ud, uri, ret);
}

static void read_text(const char *path, struct buf *b)
{
	buf_reset(b);
	ASSERT_OK(fs_read_file(AT_FDCWD, path, b));
	while (b->len && (b->data[b->len - 1] == '\n'))
		buf_truncate(b, b->len - 1);
}

static void copy_to_keydir(const char *src, const char *name)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_close_ int dfd = open(keydir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_TRUE(dfd >= 0);
	ASSERT_OK(fs_read_file(AT_FDCWD, src, &b));
	ASSERT_OK(fs_write_atomic(dfd, name, b.data, b.len, 0600));
}

static void setup(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	char path[300];

	ASSERT_TRUE(mkdtemp(keydir) != NULL);
	copy_to_keydir(TEST_DATA_DIR "/py-key.jwk", "py-key");
	copy_to_keydir(TEST_DATA_DIR "/upstream-test-key.json", "test-key");
	snprintf(path, sizeof(path), "%s/sub", keydir);
	ASSERT_OK(mkdir(path, 0700));
	copy_to_keydir(TEST_DATA_DIR "/upstream-test-key.json", "sub/nested-key");
	snprintf(path, sizeof(path), "%s/escape", keydir);
	ASSERT_OK(symlink("/etc/hostname", path));

	/* the python resources, plus what our own vault tests name */
	snprintf(path, sizeof(path), "%s/extra.json", keydir);
	ASSERT_OK(
	    buf_append_str(&b, "{\"one/2/trois\":\"dHJvaXM=\",\"default/sealing-key/up\":\""));
	{
		_cleanup_(buf_done) struct buf jwk = BUF_INIT(BUF_UNLIMITED);

		ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-test-key.json", &jwk));
		ASSERT_OK(b64_encode(B64_STD, jwk.data, jwk.len, &b));
	}
	ASSERT_OK(buf_append_str(&b, "\",\"default/not-a-key/x\":\"aGVsbG8=\"}"));
	ASSERT_OK(fs_write_atomic(AT_FDCWD, path, b.data, b.len, 0600));
	ASSERT_OK(offline_fs_new(TEST_DATA_DIR "/py-offline-fs.json", "/nonexistent", path, &ofs));

	kms = (struct cdh_kms){ .get_resource = kms_get, .decrypt = test_decrypt, .ud = ofs };
	opts = (struct cdh_secret_opts){ .kms = &kms, .key_dir = keydir };

	buf_reset(&b);
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-test-key.json", &b));
	ASSERT_OK(jose_jwk_import(buf_str(&b), b.len, &test_key));
}

static void cleanup(void)
{
	ofs = offline_fs_free(ofs);
	test_key = crypto_pk_free(test_key);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, keydir));
}

static int unseal_str(const struct cdh_secret_opts *o, const char *s, struct secret **ret,
		      struct cdh_error *err)
{
	return cdh_secret_unseal(o, s, strlen(s), ret, err);
}

static void expect_plain(const char *sealed, const char *want)
{
	_cleanup_secret_ struct secret *p = NULL;
	struct cdh_error err = {};
	int r = unseal_str(&opts, sealed, &p, &err);

	if (r < 0)
		FAIL_("unseal failed: %d %s", r, err.message);
	ASSERT_EQ(p->n, strlen(want));
	ASSERT_MEMEQ(p->p, want, p->n);
}

static void expect_err(const struct cdh_secret_opts *o, const char *sealed, int want,
		       const char *in_message)
{
	_cleanup_secret_ struct secret *p = NULL;
	struct cdh_error err = {};
	int r = unseal_str(o, sealed, &p, &err);

	if (r != want)
		FAIL_("expected %d, got %d (%s)", want, r, err.message);
	ASSERT_TRUE(p == NULL);
	ASSERT_TRUE(err.message[0] != 0);
	if (in_message && !strstr(err.message, in_message))
		FAIL_("'%s' not in '%s'", in_message, err.message);
}

/* Seals payload text with upstream's test key under kid. */
static void seal_text(const char *kid, const char *payload, struct buf *out)
{
	buf_reset(out);
	ASSERT_OK(cdh_secret_seal(test_key, kid, payload, strlen(payload), out));
}

static void test_python_fixtures(void)
{
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED), plain = BUF_INIT(BUF_UNLIMITED);

	read_text(TEST_DATA_DIR "/py-vault-local.sealed", &s);
	expect_plain(buf_str(&s), "vault secret from python\n");
	read_text(TEST_DATA_DIR "/py-vault-uri.sealed", &s);
	expect_plain(buf_str(&s), "vault secret from python\n");

	read_text(TEST_DATA_DIR "/py-envelope-a256gcm.sealed", &s);
	buf_reset(&plain);
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/py-envelope-a256gcm.plain", &plain));
	expect_plain(buf_str(&s), buf_str(&plain));

	read_text(TEST_DATA_DIR "/py-envelope-a256ctr.sealed", &s);
	buf_reset(&plain);
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/py-envelope-a256ctr.plain", &plain));
	expect_plain(buf_str(&s), buf_str(&plain));
}

static void test_round_trip_upstream_vault(void)
{
	_cleanup_(buf_done) struct buf payload = BUF_INIT(BUF_UNLIMITED),
				       s = BUF_INIT(BUF_UNLIMITED), hdr = BUF_INIT(BUF_UNLIMITED);
	const char *dot;

	/* upstream's vault-2.json, byte for byte, sealed with its test key */
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-vault-2.json", &payload));
	ASSERT_OK(cdh_secret_seal(test_key, "test-key", payload.data, payload.len, &s));
	ASSERT_TRUE(startswith(buf_str(&s), "sealed."));
	dot = strchr(buf_str(&s) + 7, '.');
	ASSERT_OK(
	    b64_decode(B64_URL_NOPAD, buf_str(&s) + 7, (size_t) (dot - buf_str(&s) - 7), &hdr));
	ASSERT_STREQ(buf_str(&hdr), "{\"alg\":\"ES256\",\"kid\":\"test-key\"}");
	expect_plain(buf_str(&s), "trois");

	/* key in a subdirectory, and the kid as a resource URI */
	seal_text("sub/nested-key", buf_str(&payload), &s);
	expect_plain(buf_str(&s), "trois");
	seal_text("kbs:///default/sealing-key/up", buf_str(&payload), &s);
	expect_plain(buf_str(&s), "trois");
}

static void test_our_vault_and_envelope(void)
{
	_cleanup_(buf_done) struct buf payload = BUF_INIT(BUF_UNLIMITED),
				       s = BUF_INIT(BUF_UNLIMITED), enc = BUF_INIT(BUF_UNLIMITED);
	uint8_t dek[32], ek[32], iv[16];

	ASSERT_OK(cdh_secret_vault_json(&(struct cdh_secret_vault){ .name = "kbs:///one/2/trois" },
					&payload));
	ASSERT_STREQ(buf_str(&payload),
		     "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/trois\","
		     "\"provider\":\"kbs\",\"provider_settings\":{},\"annotations\":{}}");
	seal_text("test-key", buf_str(&payload), &s);
	expect_plain(buf_str(&s), "trois");

	for (int t = WRAP_A256GCM; t <= WRAP_A256CTR; t++) {
		for (size_t i = 0; i < 32; i++)
			dek[i] = (uint8_t) (i * 7 + 1), ek[i] = dek[i] ^ 0x5a;
		memset(iv, 0x42, sizeof(iv));
		buf_reset(&enc);
		buf_reset(&payload);
		ASSERT_OK(wrap_encrypt(t, dek, 32, iv, wrap_type_iv_size(t), "envelope!", 9, &enc));
		ASSERT_OK(cdh_secret_envelope_json(
		    &(struct cdh_secret_envelope){ .key_id = "test-key-id",
						   .encrypted_key = ek,
						   .encrypted_key_len = 32,
						   .encrypted_data = enc.data,
						   .encrypted_data_len = enc.len,
						   .wrap_type = t,
						   .iv = iv,
						   .iv_len = wrap_type_iv_size(t),
						   .provider = "test" },
		    &payload));
		seal_text("test-key", buf_str(&payload), &s);
		expect_plain(buf_str(&s), "envelope!");
	}
}

static void test_tampering(void)
{
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED);
	const char *p, *d1, *d2;
	char *t;

	read_text(TEST_DATA_DIR "/py-vault-local.sealed", &s);
	p = buf_str(&s) + 7;
	d1 = strchr(p, '.');
	d2 = strchr(d1 + 1, '.');
	t = (char *) s.data;

	/* one character in the middle of the payload, then of the signature: still valid
	 * base64url, but the signature no longer matches */
	{
		size_t at = (size_t) (d1 + 10 - t);
		char saved = t[at];

		t[at] = saved == 'A' ? 'B' : 'A';
		expect_err(&opts, t, -EKEYREJECTED, "signature");
		t[at] = saved;
	}
	{
		size_t at = (size_t) (d2 + 10 - t);
		char saved = t[at];

		t[at] = saved == 'A' ? 'B' : 'A';
		expect_err(&opts, t, -EKEYREJECTED, "signature");
		t[at] = saved;
	}
	/* a truncated signature is a bad signature too */
	{
		_cleanup_free_ char *cut = strndup(t, s.len - 2); /* 63 bytes */

		expect_err(&opts, cut, -EKEYREJECTED, NULL);
	}
	/* the header: a character flipped there breaks its JSON or its kid */
	{
		_cleanup_secret_ struct secret *out = NULL;
		size_t at = (size_t) (p + 5 - t);
		char saved = t[at];

		t[at] = saved == 'A' ? 'B' : 'A';
		ASSERT_TRUE(unseal_str(&opts, t, &out, NULL) < 0);
		t[at] = saved;
	}
	expect_plain(t, "vault secret from python\n");
}

static void test_kids(void)
{
	_cleanup_(buf_done) struct buf payload = BUF_INIT(BUF_UNLIMITED),
				       s = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-vault-2.json", &payload));

	/* signed with upstream's key, kid names the python key: wrong kid */
	seal_text("py-key", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -EKEYREJECTED, "py-key");
	seal_text("no-such-key", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, "no-such-key");
	seal_text("kbs:///default/no/key", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, NULL);
	seal_text("kbs:///default/not-a-key/x", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, "JWK");

	/* path escapes */
	seal_text("../etc/passwd", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -EPERM, NULL);
	seal_text("sub/../../x", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -EPERM, NULL);
	seal_text("/etc/passwd", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -EPERM, NULL);
	seal_text("..", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -EPERM, NULL);
	/* directories are not keys */
	seal_text(".", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, "directory");
	seal_text("sub", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, "directory");
	/* a symlink in the dir pointing out resolves inside it, and finds nothing */
	seal_text("escape", buf_str(&payload), &s);
	expect_err(&opts, buf_str(&s), -ENOKEY, NULL);
	/* the key dir itself is missing */
	{
		struct cdh_secret_opts o = opts;

		o.key_dir = "/nonexistent/sealed-secret";
		seal_text("test-key", buf_str(&payload), &s);
		expect_err(&o, buf_str(&s), -ENOKEY, NULL);
	}
	/* no getter for a resource-URI kid */
	{
		struct cdh_secret_opts o = opts;

		o.kms = NULL;
		seal_text("kbs:///default/sealing-key/up", buf_str(&payload), &s);
		expect_err(&o, buf_str(&s), -EOPNOTSUPP, NULL);
	}
}

static void test_algorithms(void)
{
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED);
	_cleanup_pk_ struct crypto_pk *p384 = NULL;
	const char *payload = "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/"
			      "trois\",\"provider\":\"kbs\",\"provider_settings\":{},"
			      "\"annotations\":{}}";

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P384, &p384));
	ASSERT_ERR(cdh_secret_seal(p384, "k", payload, strlen(payload), &s), -ENOKEY);
	ASSERT_ERR(cdh_secret_seal(test_key, "", payload, strlen(payload), &s), -EINVAL);
	ASSERT_EQ(s.len, 0);

	/* ES384 with a P-384 key: refused for its alg */
	ASSERT_OK(buf_append_str(&s, "sealed."));
	ASSERT_OK(jose_jws_sign(p384, "ES384", "test-key", payload, strlen(payload), &s));
	expect_err(&opts, buf_str(&s), -EKEYREJECTED, "ES256");
	/* no kid */
	buf_reset(&s);
	ASSERT_OK(buf_append_str(&s, "sealed."));
	ASSERT_OK(jose_jws_sign(test_key, "ES256", NULL, payload, strlen(payload), &s));
	expect_err(&opts, buf_str(&s), -EBADMSG, "kid");
	/* the prefix is optional in verification mode, and repeated ones go, as upstream */
	buf_reset(&s);
	ASSERT_OK(jose_jws_sign(test_key, "ES256", "test-key", payload, strlen(payload), &s));
	expect_plain(buf_str(&s), "trois");
	{
		_cleanup_free_ char *twice = NULL;

		ASSERT_TRUE(asprintf(&twice, "sealed.sealed.%s", buf_str(&s)) > 0);
		expect_plain(twice, "trois");
	}
	/* not a JWS at all */
	expect_err(&opts, "sealed.abc", -EBADMSG, NULL);
	expect_err(&opts, "sealed.a.b.c.d", -EBADMSG, NULL);
	expect_err(&opts, "", -EBADMSG, NULL);
	{
		_cleanup_secret_ struct secret *out = NULL;

		ASSERT_ERR(cdh_secret_unseal(&opts, "sealed.\0x", 9, &out, NULL), -EBADMSG);
	}
}

static void test_payload_errors(void)
{
	static const struct {
		const char *payload;
		int err;
		const char *msg;
	} cases[] = {
		{ "not json", -EBADMSG, "JSON" },
		{ "[]", -EBADMSG, "JSON" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/trois\","
		  "\"provider\":\"kbs\",\"provider_settings\":{}}",
		  -EBADMSG, "annotations" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/trois\","
		  "\"provider\":\"kbs\",\"provider_settings\":null,\"annotations\":{}}",
		  -EBADMSG, "provider_settings" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":1,\"provider\":\"kbs\","
		  "\"provider_settings\":{},\"annotations\":{}}",
		  -EBADMSG, "name" },
		{ "{\"version\":\"0.1.0\",\"type\":\"sealed\",\"name\":\"x\",\"provider\":\"kbs\","
		  "\"provider_settings\":{},\"annotations\":{}}",
		  -EBADMSG, "type" },
		{ "{\"type\":\"vault\",\"name\":\"x\",\"provider\":\"kbs\","
		  "\"provider_settings\":{},\"annotations\":{}}",
		  -EBADMSG, "version" },
		{ "{\"version\":\"0.2.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/trois\","
		  "\"provider\":\"kbs\",\"provider_settings\":{},\"annotations\":{}}",
		  -EPROTONOSUPPORT, "0.2.0" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/trois\","
		  "\"provider\":\"aliyun\",\"provider_settings\":{},\"annotations\":{}}",
		  -EOPNOTSUPP, "aliyun" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"one/2/trois\","
		  "\"provider\":\"KBS\",\"provider_settings\":{},\"annotations\":{}}",
		  -EINVAL, "one/2/trois" },
		{ "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///one/2/quatre\","
		  "\"provider\":\"kbs\",\"provider_settings\":{},\"annotations\":{}}",
		  -ENOENT, "quatre" },
		{ "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"key_id\":\"xxx\","
		  "\"encrypted_key\":\"AAAA\",\"encrypted_data\":\"AAAA\",\"wrap_type\":"
		  "\"A128GCM\","
		  "\"iv\":\"AAAA\",\"provider\":\"aliyun\",\"provider_settings\":{},"
		  "\"annotations\":{}}",
		  -EBADMSG, "wrap_type" },
		{ "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"key_id\":\"xxx\","
		  "\"encrypted_key\":\"AAAA\",\"encrypted_data\":\"AAAA\",\"wrap_type\":"
		  "\"A256GCM\","
		  "\"iv\":\"AAAA\",\"provider\":\"aliyun\",\"provider_settings\":{},"
		  "\"annotations\":{}}",
		  -EOPNOTSUPP, "aliyun" },
		{ "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"key_id\":\"xxx\","
		  "\"encrypted_key\":\"A\",\"encrypted_data\":\"AAAA\",\"wrap_type\":\"A256GCM\","
		  "\"iv\":\"AAAA\",\"provider\":\"test\",\"provider_settings\":{},"
		  "\"annotations\":{}}",
		  -EBADMSG, "encrypted_key" },
		/* DEK of 3 bytes */
		{ "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"key_id\":\"test-key-id\","
		  "\"encrypted_key\":\"AAAA\",\"encrypted_data\":\"AAAA\",\"wrap_type\":"
		  "\"A256GCM\","
		  "\"iv\":\"AAAA\",\"provider\":\"test\",\"provider_settings\":{},"
		  "\"annotations\":{}}",
		  -ENOKEY, "A256GCM" },
		{ "{\"version\":\"0.1.0\",\"type\":\"envelope\",\"key_id\":\"other\","
		  "\"encrypted_key\":\"AAAA\",\"encrypted_data\":\"AAAA\",\"wrap_type\":"
		  "\"A256GCM\","
		  "\"iv\":\"AAAA\",\"provider\":\"test\",\"provider_settings\":{},"
		  "\"annotations\":{}}",
		  -ENOKEY, "test" },
	};
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		seal_text("test-key", cases[i].payload, &s);
		expect_err(&opts, buf_str(&s), cases[i].err, cases[i].msg);
	}
}

static void test_skip_mode(void)
{
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED), body = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf up = BUF_INIT(BUF_UNLIMITED);
	struct cdh_secret_opts o = opts;

	o.skip_verification = true;
	o.key_dir = "/nonexistent";
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-vault-2.json", &up));
	ASSERT_OK(b64_encode(B64_URL_NOPAD, up.data, up.len, &body));
	/* the fake header and signature upstream's docs use */
	ASSERT_OK(buf_appendf(&s, "sealed.fakejwsheader.%s.fakesignature", buf_str(&body)));
	{
		_cleanup_secret_ struct secret *p = NULL;

		ASSERT_OK(cdh_secret_unseal(&o, s.data, s.len, &p, NULL));
		ASSERT_EQ(p->n, 5);
		ASSERT_MEMEQ(p->p, "trois", 5);
	}
	/* verification refuses the same string */
	expect_err(&opts, buf_str(&s), -EBADMSG, NULL);

	buf_reset(&s);
	ASSERT_OK(buf_appendf(&s, "sealed.%s.sig", buf_str(&body)));
	expect_err(&o, buf_str(&s), -EBADMSG, "parts");
	buf_reset(&s);
	ASSERT_OK(buf_appendf(&s, "sealed.h.%s.sig.x", buf_str(&body)));
	expect_err(&o, buf_str(&s), -EBADMSG, "parts");
	expect_err(&o, "sealed.h.eyJ=.sig", -EBADMSG, "base64");

	/* upstream's envelope-1.json: "yyy" is not base64, caught before any KMS call */
	buf_reset(&up);
	buf_reset(&body);
	buf_reset(&s);
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-envelope-1.json", &up));
	ASSERT_OK(b64_encode(B64_URL_NOPAD, up.data, up.len, &body));
	ASSERT_OK(buf_appendf(&s, "sealed.x.%s.y", buf_str(&body)));
	expect_err(&o, buf_str(&s), -EBADMSG, "encrypted_key");

	ASSERT_OK(setenv("SKIP_SEALED_SECRET_VERIFICATION", "true", 1));
	ASSERT_TRUE(cdh_secret_skip_from_env());
	ASSERT_OK(setenv("SKIP_SEALED_SECRET_VERIFICATION", "TRUE", 1));
	ASSERT_TRUE(!cdh_secret_skip_from_env());
	ASSERT_OK(unsetenv("SKIP_SEALED_SECRET_VERIFICATION"));
	ASSERT_TRUE(!cdh_secret_skip_from_env());
}

static void test_limits(void)
{
	_cleanup_secret_ struct secret *p = NULL;
	char *big = malloc(CDH_SECRET_MAX + 2);

	ASSERT_TRUE(big != NULL);
	memset(big, 'A', CDH_SECRET_MAX + 1);
	big[CDH_SECRET_MAX + 1] = 0;
	ASSERT_ERR(cdh_secret_unseal(&opts, big, CDH_SECRET_MAX + 1, &p, NULL), -E2BIG);
	free(big);
	ASSERT_ERR(cdh_secret_unseal(NULL, "x", 1, &p, NULL), -EINVAL);
}

TESTS(setup, test_python_fixtures, test_round_trip_upstream_vault, test_our_vault_and_envelope,
      test_tampering, test_kids, test_algorithms, test_payload_errors, test_skip_mode, test_limits,
      cleanup)
