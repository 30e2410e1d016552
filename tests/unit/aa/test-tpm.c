/* SPDX-License-Identifier: Apache-2.0 */
/* aa/attesters/tpm.c without a TPM: the AK handle parser (upstream's AA_TPM_AK_HANDLE
 * rules) and the tpm_quote JSON writer in both of upstream's encodings. The ESYS paths
 * run against swtpm in tests/integration/test-attester-tpm.sh. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa/attesters/tpm.h"
#include "common/b64.h"
#include "common/digest.h"
#include "common/json-util.h"
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
	static const char head[] = "{\"message\":\"yv66vg==\",";
	static const char tail[] = ",\"signature\":\"ABQACwAE3q2+7w==\"}";
	char *s;

	fill_quote(&q);
	ASSERT_OK(tpm_quote_json(&q, false, &b));
	/* Standard alphabet with padding: the '+' in the signature proves it. */
	ASSERT_MEMEQ(b.data, head, strlen(head));
	s = (char *) buf_str(&b);
	ASSERT_STREQ(s + b.len - strlen(tail), tail);
	s[b.len - strlen(tail)] = 0;
	strcat(s, "}");
	expect_pcrs(s + strlen(head));
	/* The 10th PCR is 0x99 repeated: lowercase hex. */
	ASSERT_TRUE(strstr(buf_str(&b), "\"9999999999") != NULL);
}

static void test_quote_json_hex(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(8192);
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	/* upstream az_snp_vtpm test_tpm_quote_hex_serialization's values */
	static const char head[] = "{\"message\":\"cafebabe\",";
	static const char tail[] = ",\"signature\":\"deadbeef\"}";
	char *s;

	fill_quote(&q);
	ASSERT_OK(tpm_quote_json(&q, true, &b));
	ASSERT_MEMEQ(b.data, head, strlen(head));
	s = (char *) buf_str(&b);
	ASSERT_STREQ(s + b.len - strlen(tail), tail);
	s[b.len - strlen(tail)] = 0;
	strcat(s, "}");
	expect_pcrs(s + strlen(head));
}

static void test_quote_json_limit(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(100);
	_cleanup_(tpm_quote_done) struct tpm_quote q;

	fill_quote(&q);
	ASSERT_ERR(tpm_quote_json(&q, true, &b), -E2BIG);
}

/* trustee's TPM evidence (written by upstream's AA): decoding it and writing it back with
 * tpm_quote_json() gives the same strings (standard base64 with padding, lowercase hex). */
static void test_upstream_vector(void)
{
	_cleanup_(buf_done) struct buf text = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf ours = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *v = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	_cleanup_close_ int fd = -EBADF;
	const char *dir = getenv("COCOBOX_VECTORS_DIR"), *s, *t;
	static const char *const keys[] = { "signature", "message" };
	json_object *vq, *vp, *op;
	char path[PATH_MAX];

	tpm_quote_init(&q);
	snprintf(path, sizeof(path), "%s/tpm/tpm_evidence.json", dir ? dir : VECTORS_DIR);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP("../shared/vectors/tpm absent");
	ASSERT_OK(buf_read_fd(&text, fd));
	ASSERT_OK(json_parse(buf_str(&text), text.len, text.len, 16, &v, NULL));
	ASSERT_OK(json_get_object(v, "tpm_quote", &vq));
	ASSERT_OK(json_get_string(vq, "signature", &s));
	ASSERT_OK(b64_decode(B64_STD, s, strlen(s), &q.signature));
	ASSERT_OK(json_get_string(vq, "message", &s));
	ASSERT_OK(b64_decode(B64_STD, s, strlen(s), &q.attest));
	ASSERT_OK(json_get_array(vq, "pcrs", &vp));
	ASSERT_EQ(json_object_array_length(vp), TPM_PCR_COUNT);
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		ASSERT_OK(json_as_string(json_object_array_get_idx(vp, i), &s));
		ASSERT_OK(digest_unhex(s, strlen(s), q.pcrs[i], TPM_SHA256_SIZE));
	}
	/* A marshalled TPMT_SIGNATURE: RSASSA (0x0014), SHA-256 (0x000b), 256 bytes. */
	ASSERT_EQ(q.signature.len, 6 + 256);
	ASSERT_MEMEQ(q.signature.data, "\x00\x14\x00\x0b\x01\x00", 6);

	ASSERT_OK(tpm_quote_json(&q, false, &ours));
	ASSERT_OK(json_parse(buf_str(&ours), ours.len, ours.len, 16, &o, NULL));
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		ASSERT_OK(json_get_string(vq, keys[k], &s));
		ASSERT_OK(json_get_string(o, keys[k], &t));
		ASSERT_STREQ(t, s);
	}
	ASSERT_OK(json_get_array(o, "pcrs", &op));
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		ASSERT_OK(json_as_string(json_object_array_get_idx(vp, i), &s));
		ASSERT_OK(json_as_string(json_object_array_get_idx(op, i), &t));
		ASSERT_STREQ(t, s);
	}
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
      test_quote_json_limit, test_upstream_vector, test_open_without_tpm)
