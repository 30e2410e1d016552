/* SPDX-License-Identifier: Apache-2.0 */
/* aa/attesters/tpm.c without a TPM: the AK handle parser (upstream's AA_TPM_AK_HANDLE
 * rules) and the tpm_quote JSON writer in both of upstream's encodings. The ESYS paths
 * run against swtpm in tests/integration/test-attester-tpm.sh. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attesters/tpm.h"
#include "tests/unit/tests.h"

static void test_parse_handle(void)
{
	static const char *const bad[] = {
		"",      "0x",        "0x123456789", " 81010002", "-1",
		"0x0x1", "81010002 ", "+1",          "81o10002",  "0xg"
	};
	uint32_t h = 0;

	ASSERT_OK(tpm_parse_handle("0x81010002", &h));
	ASSERT_EQ(h, 0x81010002);
	ASSERT_OK(tpm_parse_handle("81000003", &h));
	ASSERT_EQ(h, 0x81000003);
	ASSERT_OK(tpm_parse_handle("0X8101000a", &h));
	ASSERT_EQ(h, 0x8101000a);
	ASSERT_OK(tpm_parse_handle("FFFFFFFF", &h));
	ASSERT_EQ(h, 0xffffffff);
	ASSERT_OK(tpm_parse_handle("1", &h));
	ASSERT_EQ(h, 1);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		h = 7;
		ASSERT_ERR(tpm_parse_handle(bad[i], &h), -EINVAL);
		ASSERT_EQ(h, 7);
	}
	ASSERT_ERR(tpm_parse_handle(NULL, &h), -EINVAL);
}

static void test_handle_env(void)
{
	uint32_t h = 0;

	ASSERT_OK(unsetenv("AA_TPM_AK_HANDLE"));
	ASSERT_OK(tpm_ak_handle_from_env(&h));
	ASSERT_EQ(h, TPM_DEFAULT_AK_HANDLE);
	ASSERT_OK(setenv("AA_TPM_AK_HANDLE", "0x81010003", 1));
	ASSERT_OK(tpm_ak_handle_from_env(&h));
	ASSERT_EQ(h, 0x81010003);
	ASSERT_OK(setenv("AA_TPM_AK_HANDLE", "nope", 1));
	ASSERT_ERR(tpm_ak_handle_from_env(&h), -EINVAL);
	ASSERT_OK(unsetenv("AA_TPM_AK_HANDLE"));
}

static void fill_quote(struct tpm_quote *q)
{
	tpm_quote_init(q);
	ASSERT_OK(buf_append(&q->rsa_sig, "\xde\xad\xbe\xef", 4));
	ASSERT_OK(buf_append(&q->signature, "\x00\x14\x00\x0b\x00\x04\xde\xad\xbe\xef", 10));
	ASSERT_OK(buf_append(&q->attest, "\xca\xfe\xba\xbe", 4));
	for (size_t i = 0; i < TPM_PCR_COUNT; i++)
		memset(q->pcrs[i], (int) (i * 0x11), TPM_SHA256_SIZE);
}

static void expect_pcrs(const char *s)
{
	/* "pcrs":["0000..","1111..",...] with PCR i filled with the byte i * 0x11 */
	char want[TPM_PCR_COUNT * 67 + 16], *p = want;

	p += sprintf(p, "\"pcrs\":[");
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		p += sprintf(p, i ? ",\"" : "\"");
		for (size_t k = 0; k < TPM_SHA256_SIZE; k++)
			p += sprintf(p, "%02x", (unsigned) (uint8_t) (i * 0x11));
		p += sprintf(p, "\"");
	}
	sprintf(p, "]}");
	ASSERT_TRUE(strlen(s) == strlen(want));
	ASSERT_STREQ(s, want);
}

static void test_quote_json_base64(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(8192);
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	static const char head[] = "{\"signature\":\"ABQACwAE3q2+7w==\",\"message\":\"yv66vg==\",";

	fill_quote(&q);
	ASSERT_OK(tpm_quote_json(&q, false, &b));
	/* Standard alphabet with padding: the '+' in the signature proves it. */
	ASSERT_MEMEQ(b.data, head, strlen(head));
	expect_pcrs(buf_str(&b) + strlen(head));
	/* The 10th PCR is 0x99 repeated: lowercase hex. */
	ASSERT_TRUE(strstr(buf_str(&b), "\"9999999999") != NULL);
}

static void test_quote_json_hex(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(8192);
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	/* upstream az_snp_vtpm test_tpm_quote_hex_serialization's values */
	static const char head[] = "{\"signature\":\"deadbeef\",\"message\":\"cafebabe\",";

	fill_quote(&q);
	ASSERT_OK(tpm_quote_json(&q, true, &b));
	ASSERT_MEMEQ(b.data, head, strlen(head));
	expect_pcrs(buf_str(&b) + strlen(head));
}

static void test_quote_json_limit(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(100);
	_cleanup_(tpm_quote_done) struct tpm_quote q;

	fill_quote(&q);
	ASSERT_ERR(tpm_quote_json(&q, true, &b), -E2BIG);
}

static void test_open_without_tpm(void)
{
	struct tpm *t = NULL;

	ASSERT_OK(unsetenv(TPM_TCTI_ENV));
	ASSERT_ERR(tpm_open("/nonexistent/tpm0", &t), -EOPNOTSUPP);
	ASSERT_ERR(tpm_open(NULL, &t), -EOPNOTSUPP);
	ASSERT_OK(setenv(TPM_TCTI_ENV, "mssim:host=localhost", 1));
	ASSERT_ERR(tpm_open(NULL, &t), -EINVAL);
	ASSERT_OK(setenv(TPM_TCTI_ENV, "device:relative", 1));
	ASSERT_ERR(tpm_open(NULL, &t), -EINVAL);
	ASSERT_OK(unsetenv(TPM_TCTI_ENV));
	ASSERT_TRUE(t == NULL);
	ASSERT_TRUE(tpm_close(NULL) == NULL);
}

TESTS(test_parse_handle, test_handle_env, test_quote_json_base64, test_quote_json_hex,
      test_quote_json_limit, test_open_without_tpm)
