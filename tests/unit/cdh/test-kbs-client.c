/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/kbs/kbs-client.c's answer parser: a JWE to each TEE key type the AA offers opens;
 * 401/404/other statuses give their codes with the KBS's words as the reason, made
 * printable; a 200 that is not a JWE for our key is refused. (The network half is
 * tests/integration/test-cdh-kbs.sh.) */
#include <string.h>

#include "cdh/kbs/kbs-client.h"
#include "common/jose.h"
#include "tests/unit/tests.h"

static const char payload[] = "resource one\n";

static void roundtrip(struct crypto_pk *key)
{
	_cleanup_(buf_done) struct buf jwe = BUF_INIT(1 << 20);
	_cleanup_secret_ struct secret *pt = NULL;

	ASSERT_OK(jose_jwe_encrypt(key, NULL, NULL, NULL, 0, payload, strlen(payload), &jwe));
	ASSERT_OK(kbs_client_parse_resource(200, jwe.data, jwe.len, key, &pt));
	ASSERT_EQ(pt->n, strlen(payload));
	ASSERT_MEMEQ(pt->p, payload, pt->n);
}

static void test_key_types(void)
{
	_cleanup_pk_ struct crypto_pk *p256 = NULL, *p521 = NULL, *rsa = NULL;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &p256));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P521, &p521));
	ASSERT_OK(crypto_pk_generate_rsa(2048, &rsa));
	roundtrip(p256);
	roundtrip(p521);
	roundtrip(rsa);
}

static void test_not_for_us(void)
{
	_cleanup_pk_ struct crypto_pk *ours = NULL, *other = NULL;
	_cleanup_(buf_done) struct buf jwe = BUF_INIT(1 << 20);
	_cleanup_secret_ struct secret *pt = NULL;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &ours));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &other));
	ASSERT_OK(jose_jwe_encrypt(other, NULL, NULL, NULL, 0, payload, strlen(payload), &jwe));
	ASSERT_TRUE(kbs_client_parse_resource(200, jwe.data, jwe.len, ours, &pt) < 0);
	ASSERT_TRUE(pt == NULL);
	ASSERT_TRUE(strstr(cdh_kms_reason(), "not a JWE for our key") != NULL);
	ASSERT_ERR(kbs_client_parse_resource(200, payload, strlen(payload), ours, &pt), -EBADMSG);
	/* A truncated JWE */
	ASSERT_ERR(kbs_client_parse_resource(200, jwe.data, jwe.len / 2, ours, &pt), -EBADMSG);
	ASSERT_TRUE(pt == NULL);
}

static void test_statuses(void)
{
	static const char deny[] = "{\"type\":\"https://github.com/confidential-containers/kbs/"
				   "errors/PolicyDeny\",\"detail\":\"Access denied by policy\"}";
	static const char nasty[] = "{\"type\":\"x\",\"detail\":\"a\\u001b[2Jb\\n\"}";
	_cleanup_pk_ struct crypto_pk *key = NULL;
	struct secret *pt = NULL;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &key));
	ASSERT_ERR(kbs_client_parse_resource(401, deny, strlen(deny), key, &pt), -EACCES);
	ASSERT_STREQ(cdh_kms_reason(),
		     "KBS refused the request (HTTP 401): PolicyDeny: Access denied by policy");
	ASSERT_ERR(kbs_client_parse_resource(401, nasty, strlen(nasty), key, &pt), -EACCES);
	ASSERT_STREQ(cdh_kms_reason(), "KBS refused the request (HTTP 401): x: a?[2Jb?");
	ASSERT_ERR(kbs_client_parse_resource(401, "no\033json", 7, key, &pt), -EACCES);
	ASSERT_STREQ(cdh_kms_reason(), "KBS refused the request (HTTP 401): no?json");
	ASSERT_ERR(kbs_client_parse_resource(404, "", 0, key, &pt), -ENOENT);
	ASSERT_ERR(kbs_client_parse_resource(500, "oops\r\n", 6, key, &pt), -EPROTO);
	ASSERT_STREQ(cdh_kms_reason(), "KBS answered HTTP 500: oops??");
	ASSERT_ERR(kbs_client_parse_resource(204, "", 0, key, &pt), -EPROTO);
	ASSERT_TRUE(pt == NULL);
}

static void test_reason_per_thread_cleared(void)
{
	cdh_kms_set_reason("stale %d", 1);
	/* cdh_kms_get_resource() clears it before asking the backend */
	ASSERT_ERR(cdh_kms_get_resource(NULL, NULL, NULL), -EOPNOTSUPP);
	ASSERT_STREQ(cdh_kms_reason(), "");
}

TESTS(test_key_types, test_not_for_us, test_statuses, test_reason_per_thread_cleared)
