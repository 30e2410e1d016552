/* SPDX-License-Identifier: Apache-2.0 */
/* aa/token*.c without a KBS: the runtime-data JCS bytes and digest for a fixed key and
 * nonce (expected values computed with tests/kbs/kbs.py's independent JCS and Python's
 * hashlib), hash selection (upstream's rcar_client.rs test table), TOML config (upstream's
 * test/config*.toml shapes), aa_kbc_params and the kernel command line, and error paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa/token.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/toml.h"
#include "tests/unit/tests.h"

/* RFC 7515 A.3's P-256 key. */
static const char jwk_p256[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			       "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			       "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char nonce[] = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void check_report_data(const char *additional, enum digest_alg alg, const char *want_jcs,
			      const char *want_hex)
{
	_cleanup_(crypto_pk_freep) struct crypto_pk *pk = NULL;
	_cleanup_(json_object_putp) json_object *jwk = NULL;
	_cleanup_(buf_done) struct buf jcs = BUF_INIT(BUF_UNLIMITED);
	uint8_t d[DIGEST_MAX_SIZE];
	char h[2 * DIGEST_MAX_SIZE + 1];

	ASSERT_OK(jose_jwk_import(jwk_p256, strlen(jwk_p256), &pk));
	ASSERT_OK(jose_tee_pubkey_jwk(pk, NULL, &jwk));
	ASSERT_OK(aa_token_kbs_report_data(jwk, nonce, additional, alg, &jcs, d));
	ASSERT_STREQ(buf_str(&jcs), want_jcs);
	hex(d, digest_size(alg), h);
	ASSERT_STREQ(h, want_hex);
}

static void test_report_data(void)
{
	static const char key[] = "\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\","
				  "\"kty\":\"EC\","
				  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
				  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}";
	char want[1024];

	snprintf(want, sizeof(want), "{\"additional-evidence\":\"\",\"nonce\":\"%s\",%s", nonce,
		 key);
	check_report_data("", DIGEST_SHA384, want,
			  "8e6fa4507720577c951ec08dd0908396e1d573f0b68daff28323531e1ff1b288"
			  "1582a6dbd86891ae58408b068c266b63");
	check_report_data("", DIGEST_SHA512, want,
			  "616a73d2dd7ca0e3aaad288bc20b86ffee8e0e06c094a00ce17ed0e08a427c92"
			  "739ec1f2f1f6cdf25fdd482511fe1498ff6d636b410651c8ba73eb24664eb2e5");

	/* The additional evidence is a JSON string inside the object: escaped by JCS. */
	snprintf(want, sizeof(want),
		 "{\"additional-evidence\":\"{\\\"nvidia\\\":{\\\"x\\\":\\\"\xc3\xa9\\\\n\\\"}}\","
		 "\"nonce\":\"%s\",%s",
		 nonce, key);
	check_report_data("{\"nvidia\":{\"x\":\"\xc3\xa9\\n\"}}", DIGEST_SHA384, want,
			  "1e778a868d16bb3fef2f65c2fe39f1852515f10e99b4c386d762c9577951326"
			  "192b4ef0112e252cf19c3c56be4cbed96");
}

static int hash_of(const char *extra_json, enum digest_alg *ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;

	ASSERT_OK(json_parse(extra_json, strlen(extra_json), 4096, 8, &j, NULL));
	return aa_token_kbs_hash_algorithm(j, ret);
}

static void test_hash_selection(void)
{
	static const struct {
		const char *extra;
		int r;
		enum digest_alg alg;
	} cases[] = {
		{ "{}", 0, DIGEST_SHA384 },
		{ "\"\"", 0, DIGEST_SHA384 }, /* trustee's extra-params for non-SE TEEs */
		{ "null", 0, DIGEST_SHA384 },
		{ "[]", 0, DIGEST_SHA384 },
		{ "{\"other\":1}", 0, DIGEST_SHA384 },
		{ "{\"selected-hash-algorithm\":\"\"}", -EINVAL, 0 },
		{ "{\"selected-hash-algorithm\":\"foo\"}", -EINVAL, 0 },
		{ "{\"selected-hash-algorithm\":\"sha256\"}", 0, DIGEST_SHA256 },
		{ "{\"selected-hash-algorithm\":\"SHA256\"}", 0, DIGEST_SHA256 },
		{ "{\"selected-hash-algorithm\":\"sha384\"}", 0, DIGEST_SHA384 },
		{ "{\"selected-hash-algorithm\":\"SHA384\"}", 0, DIGEST_SHA384 },
		{ "{\"selected-hash-algorithm\":\"sha512\"}", 0, DIGEST_SHA512 },
		{ "{\"selected-hash-algorithm\":\"Sha512\"}", 0, DIGEST_SHA512 },
		{ "{\"selected-hash-algorithm\":\"sm3\"}", 0, DIGEST_SM3 },
		{ "{\"selected-hash-algorithm\":\"SM3\"}", 0, DIGEST_SM3 },
		{ "{\"selected-hash-algorithm\":[]}", -EBADMSG, 0 },
		{ "{\"selected-hash-algorithm\":{}}", -EBADMSG, 0 },
		{ "{\"selected-hash-algorithm\":true}", -EBADMSG, 0 },
		{ "{\"selected-hash-algorithm\":99999}", -EBADMSG, 0 },
		{ "{\"selected-hash-algorithm\":42.141}", -EBADMSG, 0 },
		{ "{\"selected-hash-algorithm\":null}", -EBADMSG, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		enum digest_alg a = _DIGEST_ALG_MAX;
		int r = hash_of(cases[i].extra, &a);

		if (r != cases[i].r)
			printf("# case %s\n", cases[i].extra);
		ASSERT_EQ(r, cases[i].r);
		if (r == 0)
			ASSERT_EQ(a, cases[i].alg);
	}
}

static int config_from(const char *text, struct aa_token_config *cfg, struct aa_token_error *err)
{
	_cleanup_(toml_freep) struct toml_value *root = NULL;

	ASSERT_OK(toml_parse(text, strlen(text), &root, NULL));
	return aa_token_config_from_toml(root, cfg, err);
}

static void test_config_toml(void)
{
	_cleanup_(aa_token_config_done) struct aa_token_config cfg = {};
	struct aa_token_error err = {};

	aa_token_config_init(&cfg);
	ASSERT_EQ(cfg.retry_delay_ms, 1000);
	ASSERT_EQ(cfg.timeout_ms, 60000);

	/* upstream test/config1.toml */
	ASSERT_OK(config_from("[log]\nlevel = \"warn\"\n\n[token_configs]\n"
			      "[token_configs.coco_as]\nurl = \"http://127.0.0.1:8000\"\n\n"
			      "[token_configs.kbs]\nurl = \"https://127.0.0.1:8080\"\n"
			      "cert = \"cert\"\n\n[eventlog_config]\ninit_pcr = 17\n"
			      "enable_eventlog = false\n",
			      &cfg, &err));
	ASSERT_STREQ(cfg.kbs_url, "https://127.0.0.1:8080");
	ASSERT_STREQ(cfg.kbs_cert, "cert");
	ASSERT_EQ(cfg.tee_key_alg, AA_TEE_KEY_EC_P256);
	ASSERT_STREQ(cfg.coco_as_url, "http://127.0.0.1:8000");
	aa_token_config_done(&cfg);

	/* config2 (kbs only), config4 (empty [token_configs]), config5 (empty file) */
	ASSERT_OK(config_from("[token_configs.kbs]\nurl = \"https://k\"\n", &cfg, &err));
	ASSERT_STREQ(cfg.kbs_url, "https://k");
	ASSERT_TRUE(cfg.kbs_cert == NULL && cfg.coco_as_url == NULL);
	aa_token_config_done(&cfg);
	ASSERT_OK(config_from("[log]\nlevel = \"warn\"\n[token_configs]\n[eventlog_config]\n", &cfg,
			      &err));
	ASSERT_TRUE(cfg.kbs_url == NULL && cfg.coco_as_url == NULL);
	ASSERT_OK(config_from("", &cfg, &err));
	ASSERT_TRUE(cfg.kbs_url == NULL);

	ASSERT_OK(config_from("[token_configs.kbs]\nurl = \"u\"\n"
			      "tee_key_algorithm = \"ECDH-ES+A256KW-P521\"\nextra = 1\n",
			      &cfg, &err));
	ASSERT_EQ(cfg.tee_key_alg, AA_TEE_KEY_EC_P521);
	ASSERT_OK(config_from("[token_configs.kbs]\nurl = \"u\"\n"
			      "tee_key_algorithm = \"RSA-OAEP-256\"\n",
			      &cfg, &err));
	ASSERT_EQ(cfg.tee_key_alg, AA_TEE_KEY_RSA);
	ASSERT_OK(config_from("[token_configs.kbs]\nurl = \"u\"\n"
			      "tee_key_algorithm = \"ECDH-ES+A256KW-P256\"\n",
			      &cfg, &err));
	ASSERT_EQ(cfg.tee_key_alg, AA_TEE_KEY_EC_P256);
	/* A multi-line PEM, as config.example.toml has it. */
	ASSERT_OK(config_from("[token_configs.kbs]\nurl = \"u\"\ncert = \"\"\"\n-----BEGIN "
			      "CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n\"\"\"\n",
			      &cfg, &err));
	ASSERT_STREQ(cfg.kbs_cert, "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n");
	aa_token_config_done(&cfg);

	/* Errors: serde refuses these, and so the AA does not start. */
	ASSERT_ERR(config_from("[token_configs.kbs]\ncert = \"c\"\n", &cfg, &err), -EINVAL);
	ASSERT_STREQ(err.message, "token_configs.kbs: missing field `url`");
	ASSERT_ERR(config_from("[token_configs.coco_as]\n", &cfg, &err), -EINVAL);
	ASSERT_STREQ(err.message, "token_configs.coco_as: missing field `url`");
	ASSERT_ERR(config_from("[token_configs.kbs]\nurl = 8080\n", &cfg, &err), -EINVAL);
	ASSERT_ERR(config_from("[token_configs.kbs]\nurl = \"u\"\ncert = 1\n", &cfg, &err),
		   -EINVAL);
	ASSERT_ERR(config_from("[token_configs.kbs]\nurl = \"u\"\ntee_key_algorithm = \"P-384\"\n",
			       &cfg, &err),
		   -EINVAL);
	ASSERT_TRUE(strstr(err.message, "unknown variant 'P-384'") != NULL);
	ASSERT_ERR(
	    config_from("[token_configs.kbs]\nurl = \"u\"\ntee_key_algorithm = 1\n", &cfg, &err),
	    -EINVAL);
	ASSERT_ERR(config_from("token_configs = 1\n", &cfg, &err), -EINVAL);
	ASSERT_ERR(config_from("[token_configs]\nkbs = \"http://k\"\n", &cfg, &err), -EINVAL);
	/* A failed parse leaves what was there. */
	ASSERT_TRUE(cfg.kbs_url == NULL);
}

static void test_kbc_params(void)
{
	_cleanup_(aa_token_config_done) struct aa_token_config cfg = {};

	aa_token_config_init(&cfg);
	ASSERT_EQ(aa_token_config_from_kbc_params(&cfg, "offline_fs_kbc::null"), 0);
	ASSERT_TRUE(cfg.kbs_url == NULL);
	ASSERT_EQ(aa_token_config_from_kbc_params(&cfg, "::http://k"), 0);
	ASSERT_ERR(aa_token_config_from_kbc_params(&cfg, "cc_kbc"), -EINVAL);
	ASSERT_ERR(aa_token_config_from_kbc_params(&cfg, "cc_kbc::a::b"), -EINVAL);
	ASSERT_ERR(aa_token_config_from_kbc_params(&cfg, ""), -EINVAL);
	ASSERT_TRUE(cfg.kbs_url == NULL);
	ASSERT_EQ(aa_token_config_from_kbc_params(&cfg, "cc_kbc::http://10.0.0.1:8080"), 1);
	ASSERT_STREQ(cfg.kbs_url, "http://10.0.0.1:8080");
	ASSERT_TRUE(cfg.kbs_cert == NULL);
	ASSERT_EQ(cfg.tee_key_alg, AA_TEE_KEY_EC_P256);
	/* The kbc name is case-sensitive, as Rust's != is. */
	ASSERT_EQ(aa_token_config_from_kbc_params(&cfg, "CC_KBC::http://other"), 0);
	ASSERT_STREQ(cfg.kbs_url, "http://10.0.0.1:8080");
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(fputs(s, f) >= 0, 1);
	ASSERT_EQ(fclose(f), 0);
}

static void test_cmdline(void)
{
	_cleanup_(aa_token_config_done) struct aa_token_config cfg = {};
	char path[] = "/tmp/cocobox-test-cmdline-XXXXXX";
	char *v = NULL;
	int fd;

	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	aa_token_config_init(&cfg);

	write_file(path, "BOOT_IMAGE=/vmlinuz console=ttyS0\tagent.aa_kbc_params=cc_kbc::http://"
			 "192.168.1.1:8080 agent.aa_kbc_params=cc_kbc::http://second quiet\n");
	ASSERT_OK(aa_token_kbc_params_from_cmdline(path, &v));
	ASSERT_STREQ(v, "cc_kbc::http://192.168.1.1:8080");
	free(v);
	v = NULL;

	write_file(path, "xagent.aa_kbc_params=cc_kbc::http://no agent.aa_kbc_params\n");
	ASSERT_ERR(aa_token_kbc_params_from_cmdline(path, &v), -ENOENT);
	write_file(path, "agent.aa_kbc_params=\n");
	ASSERT_OK(aa_token_kbc_params_from_cmdline(path, &v));
	ASSERT_STREQ(v, "");
	free(v);
	v = NULL;
	ASSERT_ERR(aa_token_kbc_params_from_cmdline("/nonexistent/cmdline", &v), -ENOENT);

	/* AA_KBC_PARAMS wins over the command line, even when it is unusable. */
	write_file(path, "agent.aa_kbc_params=cc_kbc::http://from-cmdline:1\n");
	ASSERT_OK(unsetenv("AA_KBC_PARAMS"));
	ASSERT_EQ(aa_token_config_from_env(&cfg, path), 1);
	ASSERT_STREQ(cfg.kbs_url, "http://from-cmdline:1");
	aa_token_config_done(&cfg);
	ASSERT_OK(setenv("AA_KBC_PARAMS", "cc_kbc::http://from-env:2", 1));
	ASSERT_EQ(aa_token_config_from_env(&cfg, path), 1);
	ASSERT_STREQ(cfg.kbs_url, "http://from-env:2");
	aa_token_config_done(&cfg);
	ASSERT_OK(setenv("AA_KBC_PARAMS", "", 1));
	ASSERT_EQ(aa_token_config_from_env(&cfg, path), 0);
	ASSERT_OK(setenv("AA_KBC_PARAMS", "offline_fs_kbc::x", 1));
	ASSERT_EQ(aa_token_config_from_env(&cfg, path), 0);
	ASSERT_TRUE(cfg.kbs_url == NULL);
	ASSERT_OK(unsetenv("AA_KBC_PARAMS"));
	ASSERT_EQ(aa_token_config_from_env(&cfg, "/nonexistent/cmdline"), 0);
	write_file(path, "agent.aa_kbc_params=garbage\n");
	ASSERT_EQ(aa_token_config_from_env(&cfg, path), 0);
	ASSERT_TRUE(cfg.kbs_url == NULL);
	unlink(path);
}

static void test_new_key(void)
{
	_cleanup_(crypto_pk_freep) struct crypto_pk *a = NULL, *b = NULL, *c = NULL;

	ASSERT_OK(aa_token_kbs_new_key(AA_TEE_KEY_EC_P256, &a));
	ASSERT_EQ(crypto_pk_curve(a), CRYPTO_CURVE_P256);
	ASSERT_OK(aa_token_kbs_new_key(AA_TEE_KEY_EC_P521, &b));
	ASSERT_EQ(crypto_pk_curve(b), CRYPTO_CURVE_P521);
	ASSERT_OK(aa_token_kbs_new_key(AA_TEE_KEY_RSA, &c));
	ASSERT_EQ(crypto_pk_type(c), CRYPTO_PK_RSA);
	ASSERT_EQ(crypto_pk_bits(c), 2048);
}

static void test_get_errors(void)
{
	_cleanup_(aa_token_config_done) struct aa_token_config cfg = {};
	_cleanup_(buf_done_wipe) struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct aa_token_error err = {};

	aa_token_config_init(&cfg);
	ASSERT_ERR(aa_token_get(&cfg, "nosuch", &attester_sample, NULL, &out, &err), -EINVAL);
	ASSERT_STREQ(err.message, "Unsupported token type");
	ASSERT_ERR(aa_token_get(&cfg, "kbs", &attester_sample, NULL, &out, &err), -EINVAL);
	ASSERT_STREQ(err.message, "kbs token config not configured in config file");
	ASSERT_ERR(aa_token_get(&cfg, "coco_as", &attester_sample, NULL, &out, &err), -EINVAL);
	ASSERT_STREQ(err.message, "coco_as token config not configured in config file");
	ASSERT_ERR(aa_token_get(&cfg, "kbs", &attester_sample, NULL, &out, NULL), -EINVAL);

	/* A cert that is no PEM fails before any request (upstream: at client build). */
	cfg.kbs_url = strdup("http://127.0.0.1:1");
	cfg.kbs_cert = strdup("cert");
	ASSERT_ERR(aa_token_get(&cfg, "kbs", &attester_sample, NULL, &out, &err), -EBADMSG);
	ASSERT_TRUE(strstr(err.message, "read KBS public key cert") != NULL);

	/* Nothing listens on port 1: five attempts, no delay here, the last error kept. */
	free(cfg.kbs_cert);
	cfg.kbs_cert = NULL;
	cfg.retry_delay_ms = 0;
	ASSERT_ERR(aa_token_get(&cfg, "kbs", &attester_sample, NULL, &out, &err), -ECONNREFUSED);
	ASSERT_TRUE(strstr(err.message, "RCAR handshake retried 5 times") != NULL);
	cfg.coco_as_url = strdup("http://127.0.0.1:1");
	ASSERT_ERR(aa_token_get(&cfg, "coco_as", &attester_sample, NULL, &out, &err),
		   -ECONNREFUSED);
	ASSERT_EQ(out.len, 0);
}

static void test_peer_text(void)
{
	struct aa_token_error err = {};

	(void) aa_token_fail(&err, -EPROTO, "KBS said: ");
	aa_token_error_append_peer(&err, "a\x1b[31mb\nc\xff", 10);
	ASSERT_STREQ(err.message, "KBS said: a?[31mb?c?");
	for (int i = 0; i < 100; i++)
		aa_token_error_append_peer(&err, "0123456789", 10);
	ASSERT_EQ(strlen(err.message), AA_TOKEN_ERROR_MAX - 1);
}

TESTS(test_report_data, test_hash_selection, test_config_toml, test_kbc_params, test_cmdline,
      test_new_key, test_get_errors, test_peer_text)
