/* SPDX-License-Identifier: Apache-2.0 */
/* aa/attesters/hcl-report.c: Azure HCL reports from real SNP and TDX vTPMs (../shared
 * vectors, from trustee's test data), and hostile sizes and types built here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa/attesters/hcl-report.h"
#include "common/b64.h"
#include "common/json-util.h"
#include "tests/unit/tests.h"

static const char *vectors(void)
{
	const char *e = getenv("COCOBOX_VECTORS_DIR");

	return e ? e : VECTORS_DIR;
}

static int read_vector(const char *name, struct buf *b)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", vectors(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return buf_read_fd(b, fd);
}

/* A minimal report of the given type with var_len bytes of variable data. */
static size_t make_report(uint8_t *p, size_t cap, uint32_t type, uint32_t var_len)
{
	size_t n = HCL_VAR_DATA_OFFSET + var_len;

	ASSERT_TRUE(n <= cap);
	memset(p, 0, n);
	memcpy(p, "HCLA", 4);
	put_le32(p + 8, (uint32_t) n);
	put_le32(p + HCL_IGVM_DATA_OFFSET, 20 + var_len);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 4, 1);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 8, type);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 12, 1);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 16, var_len);
	memset(p + HCL_VAR_DATA_OFFSET, 'v', var_len);
	return n;
}

static void test_snp_vector(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	struct hcl_report h;

	if (read_vector("az-snp-vtpm/hcl-report.bin", &b) < 0)
		SKIP("../shared/vectors/az-snp-vtpm absent");
	ASSERT_EQ(b.len, 2600);
	ASSERT_OK(hcl_report_parse(b.data, b.len, &h));
	ASSERT_EQ(h.type, HCL_REPORT_SNP);
	ASSERT_TRUE(h.hw_report == b.data + 32);
	ASSERT_EQ(h.hw_report_len, 1184);
	/* SNP attestation report version 2 at the start of the hardware report. */
	ASSERT_EQ(h.hw_report[0], 2);
	ASSERT_EQ(h.hash_type, 1);
	ASSERT_EQ(h.var_data_len, 1110);
	ASSERT_TRUE(h.var_data == b.data + 1236);
	ASSERT_MEMEQ(h.var_data, "{\"keys\":[{\"kid\":\"HCLAkPub\"", 25);
	ASSERT_EQ(h.var_data[h.var_data_len - 1], '}');
}

static void test_tdx_vector(void)
{
	_cleanup_(buf_done) struct buf j = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *o = NULL;
	const char *s;
	struct hcl_report h;

	if (read_vector("az-tdx-vtpm/evidence-v1.json", &j) < 0)
		SKIP("../shared/vectors/az-tdx-vtpm absent");
	ASSERT_OK(json_parse(buf_str(&j), j.len, j.len, 16, &o, NULL));
	ASSERT_OK(json_get_string(o, "hcl_report", &s));
	/* The vector's base64url carries '=' padding, as upstream's serde_with writes it. */
	ASSERT_OK(b64_decode(B64_URL, s, strlen(s), &b));
	ASSERT_OK(hcl_report_parse(b.data, b.len, &h));
	ASSERT_EQ(h.type, HCL_REPORT_TDX);
	ASSERT_EQ(h.hw_report_len, 1024);
	ASSERT_TRUE(h.var_data_len > 0);
	ASSERT_EQ(h.var_data[0], '{');
	/* TDREPORT: REPORTMACSTRUCT type 0x81 (TDX) first. */
	ASSERT_EQ(h.hw_report[0], 0x81);
}

static void test_truncations(void)
{
	uint8_t p[HCL_VAR_DATA_OFFSET + 64];
	struct hcl_report h;
	size_t n = make_report(p, sizeof(p), HCL_REPORT_SNP, 64);

	ASSERT_OK(hcl_report_parse(p, n, &h));
	ASSERT_EQ(h.var_data_len, 64);
	/* Any cut inside the fixed part or the variable data is malformed. */
	for (size_t k = 0; k < n; k++)
		ASSERT_ERR(hcl_report_parse(p, k, &h), -EBADMSG);
	ASSERT_ERR(hcl_report_parse(NULL, n, &h), -EBADMSG);
}

static void test_hostile_lengths(void)
{
	uint8_t p[HCL_VAR_DATA_OFFSET + 16];
	static const uint32_t bad[] = { 17, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff };
	struct hcl_report h;
	size_t n = make_report(p, sizeof(p), HCL_REPORT_TDX, 16);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		put_le32(p + HCL_IGVM_DATA_OFFSET + 16, bad[i]);
		ASSERT_ERR(hcl_report_parse(p, n, &h), -EBADMSG);
	}
	/* Trailing padding after the variable data is normal (Azure's index is larger). */
	put_le32(p + HCL_IGVM_DATA_OFFSET + 16, 3);
	ASSERT_OK(hcl_report_parse(p, n, &h));
	ASSERT_EQ(h.var_data_len, 3);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 16, 0);
	ASSERT_OK(hcl_report_parse(p, n, &h));
	ASSERT_EQ(h.var_data_len, 0);
	/* The header's own size field is not trusted or needed. */
	put_le32(p + 8, 0xffffffff);
	ASSERT_OK(hcl_report_parse(p, n, &h));
}

static void test_types(void)
{
	uint8_t p[HCL_VAR_DATA_OFFSET];
	static const uint32_t bad[] = { 0, 1, 3, 5, 0x102, 0xffffffff };
	struct hcl_report h;
	size_t n = make_report(p, sizeof(p), HCL_REPORT_SNP, 0);

	ASSERT_OK(hcl_report_parse(p, n, &h));
	ASSERT_EQ(h.type, HCL_REPORT_SNP);
	ASSERT_EQ(h.hw_report_len, HCL_SNP_REPORT_SIZE);
	put_le32(p + HCL_IGVM_DATA_OFFSET + 8, HCL_REPORT_TDX);
	ASSERT_OK(hcl_report_parse(p, n, &h));
	ASSERT_EQ(h.type, HCL_REPORT_TDX);
	ASSERT_EQ(h.hw_report_len, HCL_TD_REPORT_SIZE);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		put_le32(p + HCL_IGVM_DATA_OFFSET + 8, (uint32_t) bad[i]);
		ASSERT_ERR(hcl_report_parse(p, n, &h), -EPROTONOSUPPORT);
	}
}

TESTS(test_snp_vector, test_tdx_vector, test_truncations, test_hostile_lengths, test_types)
