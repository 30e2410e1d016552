/* SPDX-License-Identifier: Apache-2.0 */
/* The SNP attester against a fake /dev/sev-guest kernel behind the ioctl seam: the
 * extended-report "invalid length" retry, firmware and VMM errors, the evidence JSON,
 * HOSTDATA binding; and detection and device paths through COCOBOX_ATTESTER_ROOT. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aa/attester.h"
#include "aa/attesters/attester-snp.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "tests/unit/tests.h"

struct fake_kernel {
	/* what the host has */
	uint8_t report[SNP_REPORT_SIZE];
	const uint8_t *certs;
	uint32_t certs_pages_len; /* 0: the host has no certificates */
	uint32_t status;          /* firmware status in the response */
	/* scripted failure of call number fail_call (1-based) */
	unsigned fail_call;
	int fail_errno;
	uint64_t fail_exitinfo2;
	bool claim_certs; /* succeed but report certs_len != 0 without a buffer */
	/* what userspace sent */
	unsigned calls;
	unsigned long last_request;
	uint8_t user_data[64];
	uint32_t last_certs_len;
};

static int fake_ioctl(void *userdata, unsigned long request, struct snp_guest_request_ioctl *g)
{
	struct fake_kernel *k = userdata;
	struct snp_report_req *rr;
	struct snp_report_resp *rsp = (struct snp_report_resp *) (uintptr_t) g->resp_data;
	const uint8_t zero28[28] = {};

	k->calls++;
	k->last_request = request;
	ASSERT_EQ(g->msg_version, 1);
	ASSERT_TRUE(request == SNP_GET_REPORT || request == SNP_GET_EXT_REPORT);
	rr = (struct snp_report_req *) (uintptr_t) g->req_data;
	ASSERT_EQ(rr->vmpl, 0);
	ASSERT_MEMEQ(rr->rsvd, zero28, 28);
	memcpy(k->user_data, rr->user_data, 64);

	if (k->fail_call == k->calls) {
		g->exitinfo2 = k->fail_exitinfo2;
		return -k->fail_errno;
	}

	if (request == SNP_GET_EXT_REPORT) {
		struct snp_ext_report_req *er = (struct snp_ext_report_req *) rr;

		k->last_certs_len = er->certs_len;
		if (k->claim_certs) {
			er->certs_len = 4096;
		} else if (k->certs_pages_len > 0 && er->certs_len < k->certs_pages_len) {
			/* What the kernel does for a short buffer: size in certs_len, VMM
			 * error 1 in exitinfo2 bits 63:32, -EIO. */
			er->certs_len = k->certs_pages_len;
			g->exitinfo2 = (uint64_t) SNP_GUEST_VMM_ERR_INVALID_LEN << 32;
			return -EIO;
		} else if (er->certs_len > 0) {
			uint8_t *dst = (uint8_t *) (uintptr_t) er->certs_address;

			memset(dst, 0, er->certs_len);
			if (k->certs)
				memcpy(dst, k->certs, k->certs_pages_len);
		}
	}

	memset(rsp, 0, sizeof(*rsp));
	memcpy(rsp->data, &k->status, 4);
	uint32_t size = SNP_REPORT_SIZE;
	memcpy(rsp->data + 4, &size, 4);
	memcpy(rsp->data + 32, k->report, SNP_REPORT_SIZE);
	g->exitinfo2 = 0;
	return 0;
}

static void read_data(const char *name, struct buf *b)
{
	char path[PATH_MAX];

	(void) snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	ASSERT_OK(fs_read_file(AT_FDCWD, path, b));
}

static void load_report(struct fake_kernel *k, const char *name)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(SNP_REPORT_SIZE);

	read_data(name, &b);
	ASSERT_EQ(b.len, SNP_REPORT_SIZE);
	memcpy(k->report, b.data, SNP_REPORT_SIZE);
}

/* The Python model's JSON for a data file, without its final newline. */
static void expected(const char *name, struct buf *b)
{
	read_data(name, b);
	ASSERT_TRUE(b->len > 0);
	buf_truncate(b, b->len - 1);
}

static void assert_buf_eq(const struct buf *got, const struct buf *want)
{
	if (got->len != want->len || memcmp(got->data, want->data, got->len) != 0) {
		printf("# got  %s\n# want %s\n", buf_str(got), buf_str(want));
		ASSERT_TRUE(!"evidence differs");
	}
}

static void test_evidence_without_certs(void)
{
	struct fake_kernel k = {};
	struct snp_guest_dev dev = { fake_ioctl, &k };
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf want = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf rep = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *j = NULL;
	uint8_t rd[48], padded[64] = {};

	load_report(&k, "snp-report-v3-turin.bin");
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t) (0xa0 + i);
	memcpy(padded, rd, sizeof(rd));

	ASSERT_OK(buf_append_str(&out, "prefix"));
	ASSERT_OK(snp_guest_evidence(&dev, rd, sizeof(rd), &out));
	/* One call, report data zero-padded to 64, no certificate buffer offered. */
	ASSERT_EQ(k.calls, 1);
	ASSERT_TRUE(k.last_request == SNP_GET_EXT_REPORT);
	ASSERT_EQ(k.last_certs_len, 0);
	ASSERT_MEMEQ(k.user_data, padded, 64);

	expected("snp-report-v3-turin.json", &rep);
	ASSERT_OK(buf_append_str(&want, "prefix{\"attestation_report\":"));
	ASSERT_OK(buf_append(&want, rep.data, rep.len));
	ASSERT_OK(buf_append_str(&want, ",\"cert_chain\":null}"));
	assert_buf_eq(&out, &want);

	ASSERT_OK(json_parse(buf_str(&out) + 6, out.len - 6, JSON_DEFAULT_MAX_SIZE, 16, &j, NULL));
}

static void test_evidence_certs_retry(void)
{
	struct fake_kernel k = {};
	struct snp_guest_dev dev = { fake_ioctl, &k };
	_cleanup_(buf_done) struct buf certs = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf want = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf part = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *chain;

	load_report(&k, "snp-report-v2-genoa.bin");
	read_data("snp-certs.bin", &certs);
	k.certs = certs.data;
	k.certs_pages_len = (uint32_t) certs.len;

	ASSERT_OK(snp_guest_evidence(&dev, (const uint8_t *) "", 0, &out));
	/* First call without a buffer, then exactly the size the kernel asked for. */
	ASSERT_EQ(k.calls, 2);
	ASSERT_EQ(k.last_certs_len, certs.len);

	ASSERT_OK(buf_append_str(&want, "{\"attestation_report\":"));
	expected("snp-report-v2-genoa.json", &part);
	ASSERT_OK(buf_append(&want, part.data, part.len));
	buf_reset(&part);
	ASSERT_OK(buf_append_str(&want, ",\"cert_chain\":"));
	expected("snp-certs.json", &part);
	ASSERT_OK(buf_append(&want, part.data, part.len));
	ASSERT_OK(buf_append_str(&want, "}"));
	assert_buf_eq(&out, &want);

	ASSERT_OK(json_parse(buf_str(&out), out.len, JSON_DEFAULT_MAX_SIZE, 16, &j, NULL));
	ASSERT_OK(json_get_array(j, "cert_chain", &chain));
	ASSERT_EQ(json_object_array_length(chain), 8);
}

static void test_evidence_empty_cert_blob(void)
{
	struct fake_kernel k = {};
	struct snp_guest_dev dev = { fake_ioctl, &k };
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	const char *tail;

	/* The host asked for a page but filled nothing in: an empty list, not null. */
	load_report(&k, "snp-report-v5-turin.bin");
	k.certs_pages_len = 4096;
	ASSERT_OK(snp_guest_evidence(&dev, NULL, 0, &out));
	ASSERT_EQ(k.calls, 2);
	tail = buf_str(&out) + out.len - strlen(",\"cert_chain\":[]}");
	ASSERT_STREQ(tail, ",\"cert_chain\":[]}");
}

static void test_errors(void)
{
	struct fake_kernel k = {};
	struct snp_guest_dev dev = { fake_ioctl, &k };
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	uint8_t big[65] = {};

	load_report(&k, "snp-report-v3-genoa.bin");

	/* Too much report data: refused before any request. */
	ASSERT_ERR(snp_guest_evidence(&dev, big, sizeof(big), &out), -EINVAL);
	ASSERT_EQ(k.calls, 0);

	/* Firmware status in the response. */
	k.status = 0x16;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EIO);
	ASSERT_EQ(out.len, 0);
	k.status = 0;

	/* A VMM "busy", a firmware error, and a bare errno: no retry. */
	k.calls = 0;
	k.fail_call = 1;
	k.fail_errno = EIO;
	k.fail_exitinfo2 = (uint64_t) SNP_GUEST_VMM_ERR_BUSY << 32;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EBUSY);
	ASSERT_EQ(k.calls, 1);
	k.calls = 0;
	k.fail_exitinfo2 = 0x7;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EIO);
	ASSERT_EQ(k.calls, 1);
	k.calls = 0;
	k.fail_errno = ENOTTY;
	k.fail_exitinfo2 = 0;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -ENOTTY);

	/* The retry itself fails. */
	k.calls = 0;
	k.certs_pages_len = 8192;
	k.fail_call = 2;
	k.fail_errno = EIO;
	k.fail_exitinfo2 = 0x1;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EIO);
	ASSERT_EQ(k.calls, 2);
	k.fail_call = 0;

	/* The kernel asks for more than we are willing to hold. */
	k.calls = 0;
	k.certs_pages_len = SNP_CERTS_MAX + 4096;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -E2BIG);
	ASSERT_EQ(k.calls, 1);
	k.certs_pages_len = 0;

	/* Success claiming certificates it had no buffer for (sev would crash). */
	k.claim_certs = true;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EPROTO);
	k.claim_certs = false;

	/* A report the parser refuses (version 1) fails the evidence. */
	k.report[0] = 1;
	ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &out), -EOPNOTSUPP);
	ASSERT_EQ(out.len, 0);

	/* The output buffer's limit: -E2BIG and nothing half-written. */
	k.report[0] = 3;
	{
		_cleanup_(buf_done) struct buf small = BUF_INIT(100);
		ASSERT_ERR(snp_guest_evidence(&dev, big, 64, &small), -E2BIG);
		ASSERT_EQ(small.len, 0);
	}
}

static void test_bind_initdata(void)
{
	struct fake_kernel k = {};
	struct snp_guest_dev dev = { fake_ioctl, &k };
	uint8_t host_data[32], digest[64] = {}, zero[64] = {};

	load_report(&k, "snp-report-v3-genoa.bin");
	for (size_t i = 0; i < 32; i++)
		host_data[i] = (uint8_t) (i * 5 + 1);
	memcpy(k.report + 0xc0, host_data, 32);

	/* sha256: exact. */
	memcpy(digest, host_data, 32);
	ASSERT_OK(snp_guest_bind_initdata(&dev, digest, 32));
	ASSERT_TRUE(k.last_request == SNP_GET_REPORT);
	ASSERT_MEMEQ(k.user_data, zero, 64);
	/* sha384/sha512: truncated to the field. */
	digest[40] = 0xff;
	ASSERT_OK(snp_guest_bind_initdata(&dev, digest, 48));
	ASSERT_OK(snp_guest_bind_initdata(&dev, digest, 64));
	/* A mismatch anywhere in the field. */
	digest[31] ^= 1;
	ASSERT_ERR(snp_guest_bind_initdata(&dev, digest, 32), -EPERM);
	digest[31] ^= 1;
	/* Shorter digests are zero-padded. */
	memset(k.report + 0xc0 + 20, 0, 12);
	ASSERT_OK(snp_guest_bind_initdata(&dev, digest, 20));
	ASSERT_ERR(snp_guest_bind_initdata(&dev, digest, 19), -EPERM);
	ASSERT_ERR(snp_guest_bind_initdata(&dev, digest, 32), -EPERM);
	memset(k.report + 0xc0, 0, 32);
	ASSERT_OK(snp_guest_bind_initdata(&dev, NULL, 0));

	/* Device errors pass through. */
	k.fail_call = k.calls + 1;
	k.fail_errno = EIO;
	ASSERT_ERR(snp_guest_bind_initdata(&dev, digest, 32), -EIO);
	k.fail_call = 0;
	k.status = 5;
	ASSERT_ERR(snp_guest_bind_initdata(&dev, digest, 32), -EIO);
}

static void test_ops_through_root(void)
{
	char root[] = "/tmp/cocobox-snp-XXXXXX", path[PATH_MAX];
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	int fd;

	ASSERT_TRUE(mkdtemp(root) != NULL);
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", root, 1));

	ASSERT_TRUE(!attester_snp.detect());
	ASSERT_TRUE(attester_find("snp") == &attester_snp);
	ASSERT_TRUE(attester_snp.mr_extend == NULL);
	ASSERT_ERR(attester_snp.evidence((const uint8_t *) "x", 1, &out), -ENOENT);
	ASSERT_ERR(attester_snp.evidence(out.data, 65, &out), -EINVAL);

	(void) snprintf(path, sizeof(path), "%s/sys/devices/platform/sev-guest", root);
	ASSERT_OK(fs_mkdir_p(path, 0755));
	ASSERT_TRUE(attester_snp.detect());
	ASSERT_TRUE(attester_detect() == &attester_snp);

	/* A plain file is no guest device: the ioctl is refused. */
	(void) snprintf(path, sizeof(path), "%s/dev", root);
	ASSERT_OK(fs_mkdir_p(path, 0755));
	(void) snprintf(path, sizeof(path), "%s/dev/sev-guest", root);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	ASSERT_TRUE(fd >= 0);
	(void) close(fd);
	ASSERT_ERR(attester_snp.evidence((const uint8_t *) "x", 1, &out), -ENOTTY);
	ASSERT_ERR(attester_snp.bind_initdata((const uint8_t *) "x", 1), -ENOTTY);
	ASSERT_EQ(out.len, 0);

	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, root));
}

TESTS(test_evidence_without_certs, test_evidence_certs_retry, test_evidence_empty_cert_blob,
      test_errors, test_bind_initdata, test_ops_through_root)
