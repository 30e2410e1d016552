/* SPDX-License-Identifier: Apache-2.0 */
/* The TDX attester: TDREPORT layout against a published TDREPORT, the PCR to RTMR
 * table, the evidence JSON text, and the measurement/MRCONFIGID paths on plain files
 * under a test root (the FUSE configfs-tsm and sysfs run in
 * tests/integration/test-attester-tdx.sh). */
#include <stdlib.h>

#include "aa/attesters/attester-tdx.c"
#include "tests/unit/tests.h"

static const char *vectors(void)
{
	const char *v = getenv("COCOBOX_VECTORS_DIR");

	return v ? v : VECTORS_DIR;
}

static int load(const char *rel, struct buf *b)
{
	char p[PATH_MAX];

	(void) snprintf(p, sizeof(p), "%s/%s", vectors(), rel);
	return fs_read_file(AT_FDCWD, p, b);
}

static void test_tdreport_layout(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(4096);
	static const uint8_t valid[8] = { 0xff, 0x01 };
	static const uint8_t xfam[8] = { 0xe7 };
	static const uint8_t mrtd_head[8] = { 0x1d, 0x31, 0x76, 0x6c, 0xd5, 0x48, 0xf8, 0x63 };
	static const uint8_t mac_head[4] = { 0xd4, 0xa5, 0xea, 0x5a };
	static const uint8_t zero[192];
	struct tdx_report rep;
	const size_t shift = 48;

	if (load("tdx/tdreport-go-tdx-guest.bin", &b) < 0)
		SKIP("../shared/vectors is absent");
	ASSERT_EQ(b.len, sizeof(rep));

	/* go-tdx-guest's report.dat starts 48 bytes into REPORTMACSTRUCT (its last 48
	 * bytes are zero fill): TEE_TCB_INFO's valid mask 0x1ff sits at 208 and TDINFO's
	 * XFAM 0xe7 at 472 instead of 256 and 520. Realigned, every field must land where
	 * our struct puts it. */
	ASSERT_MEMEQ(b.data + sizeof(rep) - shift, zero, shift);
	memset(&rep, 0, sizeof(rep));
	memcpy((uint8_t *) &rep + shift, b.data, sizeof(rep) - shift);

	ASSERT_MEMEQ(rep.tee_tcb_info, valid, sizeof(valid));
	ASSERT_MEMEQ(rep.td_info.attributes, zero, 8);
	ASSERT_MEMEQ(rep.td_info.xfam, xfam, sizeof(xfam));
	ASSERT_MEMEQ(rep.td_info.mrtd, mrtd_head, sizeof(mrtd_head));
	ASSERT_MEMEQ(rep.mac.mac, mac_head, sizeof(mac_head));
	/* A TD launched without MRCONFIGID and before any RTMR extend. */
	ASSERT_MEMEQ(rep.td_info.mrconfigid, zero, 48);
	ASSERT_MEMEQ(rep.td_info.rtmr, zero, sizeof(rep.td_info.rtmr));
	ASSERT_MEMEQ(rep.td_info.reserved, zero, sizeof(rep.td_info.reserved));
	/* The 17 reserved bytes between TEE_TCB_INFO and TDINFO, and MRSIGNERSEAM
	 * (zero for Intel's module) at TEE_TCB_INFO + 72. */
	ASSERT_MEMEQ(rep.reserved, zero, sizeof(rep.reserved));
	ASSERT_MEMEQ(rep.tee_tcb_info + 72, zero, 48);
	ASSERT_TRUE(memcmp(rep.tee_tcb_info + 24, zero, 48) != 0); /* MRSEAM */

	/* The raw offsets upstream reads (report.rs: MRCONFIGID 576, RTMR 720). */
	memset(&rep, 0, sizeof(rep));
	((uint8_t *) &rep)[576] = 0xaa;
	((uint8_t *) &rep)[720 + 3 * 48 + 47] = 0xbb;
	ASSERT_EQ(rep.td_info.mrconfigid[0], 0xaa);
	ASSERT_EQ(rep.td_info.rtmr[3][47], 0xbb);
}

static void test_pcr_to_mr(void)
{
	static const unsigned want[32] = {
		4, 1, 2, 2, 2, 2, 2, 1, 3, 3, 3, 3, 3, 3, 3, 3,
		4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	};

	for (unsigned p = 0; p < ELEMENTSOF(want); p++)
		ASSERT_EQ(attester_tdx.pcr_to_mr(p), want[p]);
	ASSERT_EQ(attester_tdx.pcr_to_mr(UINT_MAX), 4);
	ASSERT_EQ(attester_tdx.mr_alg, DIGEST_SHA384);
	ASSERT_STREQ(attester_tdx.name, "tdx");
	ASSERT_TRUE(attester_find("tdx") == &attester_tdx);
}

static void test_evidence_json(void)
{
	_cleanup_(buf_done) struct buf q = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED),
				       el = BUF_INIT(64), want = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(tdx_evidence_json((const uint8_t *) "\x01\x02\x03", 3, &el, &out));
	ASSERT_STREQ(buf_str(&out), "{\"cc_eventlog\":null,\"quote\":\"AQID\"}");

	buf_reset(&out);
	ASSERT_OK(buf_append(&el, "abcd", 4));
	ASSERT_OK(tdx_evidence_json((const uint8_t *) "\xff", 1, &el, &out));
	ASSERT_STREQ(buf_str(&out), "{\"cc_eventlog\":\"YWJjZA==\",\"quote\":\"/w==\"}");

	if (load("tdx/tdx_quote_4.dat", &q) < 0)
		SKIP("../shared/vectors is absent");
	buf_reset(&out);
	buf_reset(&el);
	ASSERT_OK(tdx_evidence_json(q.data, q.len, &el, &out));
	ASSERT_OK(buf_append_str(&want, "{\"cc_eventlog\":null,\"quote\":\""));
	ASSERT_OK(b64_encode(B64_STD, q.data, q.len, &want));
	ASSERT_OK(buf_append_str(&want, "\"}"));
	ASSERT_STREQ(buf_str(&out), buf_str(&want));
}

static char tmp[] = "/tmp/test-attester-tdx.XXXXXX";

static void put(const char *rel, const void *p, size_t n)
{
	char path[PATH_MAX];

	(void) snprintf(path, sizeof(path), "%s%s", tmp, rel);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, path, p, n, 0644));
}

static void test_no_tee(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	uint8_t rd[65] = { 0 }, reg[48];

	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", "/nonexistent-cocobox-root", 1));
	ASSERT_TRUE(!attester_tdx.detect());
	ASSERT_ERR(attester_tdx.evidence(rd, sizeof(rd), &out), -EINVAL);
	ASSERT_ERR(attester_tdx.evidence(rd, 64, &out), -EOPNOTSUPP);
	ASSERT_EQ(out.len, 0);
	ASSERT_TRUE(!attester_tdx.mr_supported());
	ASSERT_ERR(attester_tdx.mr_extend(4, rd, 48), -EOPNOTSUPP);
	ASSERT_ERR(attester_tdx.mr_read(4, reg), -ENOENT);
	ASSERT_ERR(attester_tdx.bind_initdata(rd, 48), -ENOENT);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

static void test_measurement_files(void)
{
	uint8_t reg[48], v[48], d[64];
	char dir[PATH_MAX];

	ASSERT_TRUE(mkdtemp(tmp) != NULL);
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", tmp, 1));
	(void) snprintf(dir, sizeof(dir), "%s%s", tmp, TDX_MEASUREMENTS_DIR);
	ASSERT_OK(fs_mkdir_p(dir, 0755));
	ASSERT_TRUE(attester_tdx.mr_supported());

	/* /dev/tdx_guest existing is enough for detect(), as upstream. */
	ASSERT_TRUE(!attester_tdx.detect());
	(void) snprintf(dir, sizeof(dir), "%s/dev", tmp);
	ASSERT_OK(fs_mkdir_p(dir, 0755));
	put(TDX_GUEST_DEVICE, "", 0);
	ASSERT_TRUE(attester_tdx.detect());

	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t) i;
	put(TDX_MEASUREMENTS_DIR "/rtmr2:sha384", v, sizeof(v));
	ASSERT_OK(attester_tdx.mr_read(3, reg));
	ASSERT_MEMEQ(reg, v, sizeof(v));
	ASSERT_ERR(attester_tdx.mr_read(0, reg), -EINVAL);
	ASSERT_ERR(attester_tdx.mr_read(5, reg), -EINVAL);
	ASSERT_ERR(attester_tdx.mr_read(1, reg), -ENOENT);
	put(TDX_MEASUREMENTS_DIR "/rtmr0:sha384", v, 47);
	ASSERT_ERR(attester_tdx.mr_read(1, reg), -EBADMSG);

	/* On a plain file the write lands as is: one 48-byte record, the digest
	 * truncated or zero-padded to the register width. */
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t) (0x80 + i);
	ASSERT_OK(attester_tdx.mr_extend(3, d, sizeof(d)));
	ASSERT_OK(attester_tdx.mr_read(3, reg));
	ASSERT_MEMEQ(reg, d, 48);
	ASSERT_OK(attester_tdx.mr_extend(3, d, 32));
	ASSERT_OK(attester_tdx.mr_read(3, reg));
	ASSERT_MEMEQ(reg, d, 32);
	memset(v, 0, sizeof(v));
	ASSERT_MEMEQ(reg + 32, v, 16);
	ASSERT_ERR(attester_tdx.mr_extend(5, d, 48), -EINVAL);

	/* MRCONFIGID binding: digest resized to 48 bytes, then compared. */
	memset(v, 0, sizeof(v));
	memcpy(v, d, 32);
	put(TDX_MEASUREMENTS_DIR "/mrconfigid", v, sizeof(v));
	ASSERT_OK(attester_tdx.bind_initdata(d, 32));
	ASSERT_ERR(attester_tdx.bind_initdata(d, 48), -EPERM);
	ASSERT_ERR(attester_tdx.bind_initdata(d, 31), -EPERM);
	memcpy(v, d, 48);
	put(TDX_MEASUREMENTS_DIR "/mrconfigid", v, sizeof(v));
	ASSERT_OK(attester_tdx.bind_initdata(d, 64));
	ASSERT_OK(attester_tdx.bind_initdata(d, 48));
	put(TDX_MEASUREMENTS_DIR "/mrconfigid", v, 47);
	ASSERT_ERR(attester_tdx.bind_initdata(d, 48), -EBADMSG);

	(void) snprintf(dir, sizeof(dir), "rm -rf '%s'", tmp);
	ASSERT_EQ(system(dir), 0);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

TESTS(test_tdreport_layout, test_pcr_to_mr, test_evidence_json, test_no_tee, test_measurement_files)
