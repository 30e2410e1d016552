/* SPDX-License-Identifier: Apache-2.0 */
/* aa/attesters/az-vtpm.c without a TPM: the evidence v2 writer (field order, hex quote,
 * base64url with padding, as upstream's az_snp_vtpm unit tests pin it), PEM to DER for
 * the VCEK, and the PCR mapping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa/attester.h"
#include "aa/attesters/az-vtpm.h"
#include "common/b64.h"
#include "common/json-util.h"
#include "tests/unit/tests.h"

static void test_evidence_json(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(8192);
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	static const uint8_t hcl[] = { 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t vcek[] = { 0xca, 0xfe, 0xba, 0xbe };
	/* upstream test_base64_urlsafe_serialization: "3q2-7w==" and "yv66vg==" */
	static const char head[] = "{\"hcl_report\":\"3q2-7w==\",\"tpm_quote\":{\"message\":"
				   "\"ff54\",\"pcrs\":[\"";
	static const char tail[] = "\"],\"signature\":\"0102\"},\"vcek\":\"yv66vg==\","
				   "\"version\":2}";
	const char *s;

	tpm_quote_init(&q);
	ASSERT_OK(buf_append(&q.rsa_sig, "\x01\x02", 2));
	ASSERT_OK(buf_append(&q.signature, "\x00\x14\x00\x0b\x00\x02\x01\x02", 8));
	ASSERT_OK(buf_append(&q.attest, "\xff\x54", 2));
	memset(q.pcrs, 0xab, sizeof(q.pcrs));
	ASSERT_OK(az_vtpm_evidence_json(&q, hcl, sizeof(hcl), "vcek", vcek, sizeof(vcek), &b));
	s = buf_str(&b);
	ASSERT_MEMEQ(s, head, strlen(head));
	ASSERT_STREQ(s + b.len - strlen(tail), tail);
	/* 24 PCRs of 64 hex digits, quoted and comma-separated. */
	ASSERT_EQ(b.len, strlen(head) + 24 * 64 + 23 * 3 + strlen(tail));

	buf_reset(&b);
	ASSERT_OK(az_vtpm_evidence_json(&q, hcl, 1, "td_quote", vcek, 2, &b));
	ASSERT_TRUE(strstr(buf_str(&b), "{\"hcl_report\":\"3g==\",\"td_quote\":\"yv4=\","
					"\"tpm_quote\":{") != NULL);
	ASSERT_TRUE(strstr(buf_str(&b), "\"},\"version\":2}") != NULL);
}

static void test_pem_to_der(void)
{
	_cleanup_(buf_done) struct buf der = BUF_INIT(4096);
	_cleanup_(buf_done) struct buf want = BUF_INIT(4096);
	/* upstream az_snp_vtpm test_pem_to_der */
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB0zCCAXqgAwIBAgIJALg0\n"
				  "-----END CERTIFICATE-----";
	static const char *const bad[] = {
		"",
		"-----BEGIN PUBLIC KEY-----\nMIIB0zCCAXqgAwIBAgIJALg0\n-----END PUBLIC KEY-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIB0zCCAXqgAwIBAgIJALg0\n",
		"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIB0z*CAXqgAwIBAgIJALg0\n-----END "
		"CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIB0zC\n-----END CERTIFICATE-----\n",
		"junk\n-----BEGIN CERTIFICATE-----\nMIIB0zCCAXqgAwIBAgIJALg0\n-----END "
		"CERTIFICATE-----",
	};

	ASSERT_OK(b64_decode(B64_STD, "MIIB0zCCAXqgAwIBAgIJALg0", 24, &want));
	ASSERT_OK(az_vtpm_pem_cert_to_der(pem, &der));
	ASSERT_EQ(der.len, want.len);
	ASSERT_MEMEQ(der.data, want.data, want.len);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		buf_reset(&der);
		ASSERT_ERR(az_vtpm_pem_cert_to_der(bad[i], &der), -EBADMSG);
	}
}

static void test_pem_vector(void)
{
	_cleanup_(buf_done) struct buf pem = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf der = BUF_INIT(1 << 20);
	_cleanup_close_ int fd = -EBADF;
	const char *dir = getenv("COCOBOX_VECTORS_DIR");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/az-snp-vtpm/vcek.pem", dir ? dir : VECTORS_DIR);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP("../shared/vectors/az-snp-vtpm absent");
	ASSERT_OK(buf_read_fd(&pem, fd));
	/* Three certificates: the first (the VCEK) is taken. */
	ASSERT_OK(az_vtpm_pem_cert_to_der(buf_str(&pem), &der));
	ASSERT_EQ(der.len, 1360);
	/* SEQUENCE with a two-byte length covering the rest */
	ASSERT_EQ(der.data[0], 0x30);
	ASSERT_EQ(der.data[1], 0x82);
	ASSERT_EQ((der.data[2] << 8 | der.data[3]) + 4, der.len);
}

/* Re-encodes a captured evidence (trustee's test data, written by upstream's AA) with
 * our writer and compares every field's text: hex case, base64url alphabet and padding. */
static void check_vector(const char *name, const char *last_key)
{
	_cleanup_(buf_done) struct buf text = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf hcl = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf last = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf ours = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *v = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	_cleanup_close_ int fd = -EBADF;
	json_object *vq, *oq, *vp, *op;
	const char *dir = getenv("COCOBOX_VECTORS_DIR"), *s, *t;
	char path[PATH_MAX];

	tpm_quote_init(&q);
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : VECTORS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ASSERT_OK(buf_read_fd(&text, fd));
	ASSERT_OK(json_parse(buf_str(&text), text.len, text.len, 16, &v, NULL));
	ASSERT_OK(json_get_object(v, "tpm_quote", &vq));
	ASSERT_OK(json_get_string(vq, "signature", &s));
	ASSERT_OK(buf_reserve(&q.rsa_sig, strlen(s) / 2));
	ASSERT_OK(digest_unhex(s, strlen(s), q.rsa_sig.data, strlen(s) / 2));
	q.rsa_sig.len = strlen(s) / 2;
	ASSERT_OK(json_get_string(vq, "message", &s));
	ASSERT_OK(buf_reserve(&q.attest, strlen(s) / 2));
	ASSERT_OK(digest_unhex(s, strlen(s), q.attest.data, strlen(s) / 2));
	q.attest.len = strlen(s) / 2;
	ASSERT_OK(json_get_array(vq, "pcrs", &vp));
	ASSERT_EQ(json_object_array_length(vp), TPM_PCR_COUNT);
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		ASSERT_OK(json_as_string(json_object_array_get_idx(vp, i), &s));
		ASSERT_OK(digest_unhex(s, strlen(s), q.pcrs[i], TPM_SHA256_SIZE));
	}
	ASSERT_OK(json_get_string(v, "hcl_report", &s));
	ASSERT_OK(b64_decode(B64_URL, s, strlen(s), &hcl));
	ASSERT_OK(json_get_string(v, last_key, &s));
	ASSERT_OK(b64_decode(B64_URL, s, strlen(s), &last));

	ASSERT_OK(
	    az_vtpm_evidence_json(&q, hcl.data, hcl.len, last_key, last.data, last.len, &ours));
	ASSERT_OK(json_parse(buf_str(&ours), ours.len, ours.len, 16, &o, NULL));
	ASSERT_OK(json_get_object(o, "tpm_quote", &oq));
	ASSERT_OK(json_get_string(vq, "signature", &s));
	ASSERT_OK(json_get_string(oq, "signature", &t));
	ASSERT_STREQ(t, s);
	ASSERT_OK(json_get_string(vq, "message", &s));
	ASSERT_OK(json_get_string(oq, "message", &t));
	ASSERT_STREQ(t, s);
	ASSERT_OK(json_get_array(oq, "pcrs", &op));
	for (size_t i = 0; i < TPM_PCR_COUNT; i++) {
		ASSERT_OK(json_as_string(json_object_array_get_idx(vp, i), &s));
		ASSERT_OK(json_as_string(json_object_array_get_idx(op, i), &t));
		ASSERT_STREQ(t, s);
	}
	ASSERT_OK(json_get_string(v, "hcl_report", &s));
	ASSERT_OK(json_get_string(o, "hcl_report", &t));
	ASSERT_STREQ(t, s);
	ASSERT_OK(json_get_string(v, last_key, &s));
	ASSERT_OK(json_get_string(o, last_key, &t));
	ASSERT_STREQ(t, s);
}

static void test_upstream_vectors(void)
{
	const char *dir = getenv("COCOBOX_VECTORS_DIR");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/az-snp-vtpm/evidence-v1.json", dir ? dir : VECTORS_DIR);
	if (access(path, R_OK) < 0)
		SKIP("../shared/vectors absent");
	check_vector("az-snp-vtpm/evidence-v1.json", "vcek");
	check_vector("az-tdx-vtpm/evidence-v1.json", "td_quote");
}

static void test_pcr_mapping(void)
{
	for (unsigned i = 0; i < 24; i++)
		ASSERT_EQ(az_vtpm_pcr_to_mr(i), i);
	/* Bad arguments are refused before any TPM is touched. */
	ASSERT_ERR(az_vtpm_mr_extend(24, (const uint8_t *) "0123456789abcdef0123456789abcdef", 32),
		   -EINVAL);
	ASSERT_ERR(az_vtpm_mr_extend(8, (const uint8_t *) "short", 5), -EINVAL);
	ASSERT_ERR(az_vtpm_bind_initdata(
		       (const uint8_t *) "0123456789abcdef0123456789abcdef0123456789abcdef", 48),
		   -EINVAL);
	ASSERT_ERR(az_vtpm_mr_read(24, (uint8_t[32]){ 0 }), -EINVAL);
}

static void test_no_vtpm(void)
{
	ASSERT_OK(unsetenv(TPM_TCTI_ENV));
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", "/nonexistent-cocobox-root", 1));
	ASSERT_TRUE(!attester_az_snp_vtpm.detect());
	ASSERT_TRUE(!attester_az_tdx_vtpm.detect());
	ASSERT_ERR(attester_az_snp_vtpm.mr_read(8, (uint8_t[32]){ 0 }), -EOPNOTSUPP);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

TESTS(test_evidence_json, test_upstream_vectors, test_pem_to_der, test_pem_vector, test_pcr_mapping,
      test_no_vtpm)
