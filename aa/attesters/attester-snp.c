/* SPDX-License-Identifier: Apache-2.0 */
/* The AMD SEV-SNP attester: detection by /sys/devices/platform/sev-guest, evidence from
 * /dev/sev-guest's extended report, init-data binding by HOSTDATA; no runtime
 * measurement. Follows guest-components attester/src/snp/{mod,hostdata}.rs and the sev
 * crate 6.3 ioctl layer (upstream.md §3.1, §3.2, §3.4). Where the kernel offers
 * configfs-tsm with the sev_guest provider (Linux >= 6.7), reports come from there
 * instead (outblob: the report, auxblob: the certificate table): the kernel's own
 * interface, which sizes the certificate buffer itself. The evidence is the same. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "aa/attester.h"
#include "aa/attesters/attester-snp.h"
#include "aa/attesters/tsm-report.h"
#include "common/log.h"

/* The uapi as upstream.md records it; whichever header we compiled against must agree. */
_Static_assert(sizeof(struct snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl size");
_Static_assert(offsetof(struct snp_guest_request_ioctl, req_data) == 8, "req_data offset");
_Static_assert(offsetof(struct snp_guest_request_ioctl, resp_data) == 16, "resp_data offset");
_Static_assert(offsetof(struct snp_guest_request_ioctl, exitinfo2) == 24, "exitinfo2 offset");
_Static_assert(sizeof(struct snp_report_req) == 96, "snp_report_req size");
_Static_assert(offsetof(struct snp_report_req, vmpl) == 64, "snp_report_req vmpl offset");
_Static_assert(sizeof(struct snp_report_resp) == 4000, "snp_report_resp size");
_Static_assert(offsetof(struct snp_ext_report_req, certs_address) == 96, "certs_address offset");
_Static_assert(offsetof(struct snp_ext_report_req, certs_len) == 104, "certs_len offset");
_Static_assert(SNP_GET_REPORT == 0xC0205300u, "SNP_GET_REPORT");
_Static_assert(SNP_GET_EXT_REPORT == 0xC0205302u, "SNP_GET_EXT_REPORT");
_Static_assert(SNP_GUEST_VMM_ERR_INVALID_LEN == 1, "SNP_GUEST_VMM_ERR_INVALID_LEN");

/* MSG_REPORT_RSP: status, report_size, 24 reserved, then the report. */
#define RSP_REPORT_OFFSET 32u
_Static_assert(RSP_REPORT_OFFSET + SNP_REPORT_SIZE <= sizeof(struct snp_report_resp),
	       "report fits the response");

#define SNP_REPORT_DATA_SIZE 64u
#define SNP_HOST_DATA_SIZE 32u

static uint32_t vmm_error(const struct snp_guest_request_ioctl *g)
{
	return (uint32_t) (g->exitinfo2 >> 32);
}

static uint32_t fw_error(const struct snp_guest_request_ioctl *g)
{
	return (uint32_t) g->exitinfo2;
}

/* sev's map_fw_err(): the VMM's word wins over the firmware's. */
static int request_failed(int r, const struct snp_guest_request_ioctl *g)
{
	log_debug("SNP guest request failed: %s, VMM error %" PRIu32 ", firmware error %" PRIu32,
		  strerror(-r), vmm_error(g), fw_error(g));
	if (vmm_error(g) == SNP_GUEST_VMM_ERR_BUSY)
		return -EBUSY;
	return r;
}

static int response_status(const struct snp_report_resp *rsp, uint8_t report[SNP_REPORT_SIZE])
{
	uint32_t status;

	memcpy(&status, rsp->data, sizeof(status));
	if (status != 0) {
		log_debug("SNP report response status %" PRIu32, status);
		return -EIO;
	}
	/* report_size is not consulted, as in sev: the layout is fixed. */
	memcpy(report, rsp->data + RSP_REPORT_OFFSET, SNP_REPORT_SIZE);
	return 0;
}

int snp_guest_get_report(const struct snp_guest_dev *dev, const uint8_t report_data[64],
			 uint8_t report[SNP_REPORT_SIZE])
{
	struct snp_report_req req = { .vmpl = 0 };
	struct snp_report_resp rsp = {};
	struct snp_guest_request_ioctl g = {
		.msg_version = 1,
		.req_data = (uintptr_t) &req,
		.resp_data = (uintptr_t) &rsp,
	};
	int r;

	memcpy(req.user_data, report_data, sizeof(req.user_data));
	r = dev->ioctl(dev->userdata, SNP_GET_REPORT, &g);
	if (r < 0)
		return request_failed(r, &g);
	return response_status(&rsp, report);
}

int snp_guest_get_ext_report(const struct snp_guest_dev *dev, const uint8_t report_data[64],
			     uint8_t report[SNP_REPORT_SIZE], struct buf *certs)
{
	/* As sev: no buffer at first (address all ones, length 0). */
	struct snp_ext_report_req req = { .data.vmpl = 0, .certs_address = UINT64_MAX };
	struct snp_report_resp rsp = {};
	struct snp_guest_request_ioctl g = {
		.msg_version = 1,
		.req_data = (uintptr_t) &req,
		.resp_data = (uintptr_t) &rsp,
	};
	uint32_t room = 0; /* bytes of buffer handed to the kernel */
	int r;

	memcpy(req.data.user_data, report_data, sizeof(req.data.user_data));
	buf_reset(certs);

	r = dev->ioctl(dev->userdata, SNP_GET_EXT_REPORT, &g);
	if (r < 0) {
		if (vmm_error(&g) != SNP_GUEST_VMM_ERR_INVALID_LEN)
			return request_failed(r, &g);

		/* The kernel wrote the size the host's blob needs into certs_len. */
		if (req.certs_len > SNP_CERTS_MAX || req.certs_len > certs->max)
			return -E2BIG;
		r = buf_reserve(certs, req.certs_len);
		if (r < 0)
			return r;
		memset(certs->data, 0, req.certs_len);
		req.certs_address = (uintptr_t) certs->data;
		room = req.certs_len;

		g = (struct snp_guest_request_ioctl){
			.msg_version = 1,
			.req_data = (uintptr_t) &req,
			.resp_data = (uintptr_t) &rsp,
		};
		r = dev->ioctl(dev->userdata, SNP_GET_EXT_REPORT, &g);
		if (r < 0)
			return request_failed(r, &g);
	}

	r = response_status(&rsp, report);
	if (r < 0)
		return r;

	if (req.certs_len == 0)
		return 0;
	/* sev would read the table from address UINT64_MAX here; refuse instead. The
	 * length may only shrink from what we allocated. */
	if (req.certs_len > room)
		return -EPROTO;
	certs->len = req.certs_len;
	certs->data[certs->len] = 0;
	return 0;
}

/* SnpEvidence { attestation_report, cert_chain } for a raw report and its certificate
 * table (empty: none), appended to out. */
static int evidence_json(const uint8_t raw[SNP_REPORT_SIZE], const struct buf *certs,
			 struct buf *out)
{
	_cleanup_(snp_cert_table_done) struct snp_cert_table table = {};
	struct snp_report rep;
	size_t start = out->len;
	int r;

	r = snp_report_parse(raw, SNP_REPORT_SIZE, &rep);
	if (r < 0)
		return log_debug_errno(r, "Failed to parse attestation report: %m");
	if (certs->len > 0) {
		r = snp_cert_table_parse(certs->data, certs->len, &table);
		if (r < 0)
			return log_debug_errno(r, "Failed to parse the SNP certificate table: %m");
	}

	/* Already in key order. */
	r = buf_append_str(out, "{\"attestation_report\":");
	if (r >= 0)
		r = snp_report_append_json(&rep, out);
	if (r >= 0)
		r = buf_append_str(out, ",\"cert_chain\":");
	if (r >= 0)
		r = certs->len > 0 ? snp_cert_table_append_json(&table, out)
				   : buf_append_str(out, "null");
	if (r >= 0)
		r = buf_append_str(out, "}");
	if (r < 0) {
		buf_truncate(out, start);
		return r;
	}
	return 0;
}

int snp_guest_evidence(const struct snp_guest_dev *dev, const uint8_t *report_data, size_t n,
		       struct buf *out)
{
	_cleanup_(buf_done) struct buf certs = BUF_INIT(SNP_CERTS_MAX);
	uint8_t data[SNP_REPORT_DATA_SIZE] = {}, raw[SNP_REPORT_SIZE];
	int r;

	if (n > SNP_REPORT_DATA_SIZE)
		return log_debug_errno(-EINVAL,
				       "SNP Attester: Report data must be no more than 64 bytes");
	if (n > 0)
		memcpy(data, report_data, n);

	r = snp_guest_get_ext_report(dev, data, raw, &certs);
	if (r < 0)
		return log_debug_errno(r, "Failed to get attestation report: %m");
	return evidence_json(raw, &certs, out);
}

/* Upstream's HOSTDATA check of a report. */
static int check_host_data(const uint8_t raw[SNP_REPORT_SIZE], const uint8_t *digest, size_t n)
{
	uint8_t want[SNP_HOST_DATA_SIZE] = {};
	struct snp_report rep;
	int r;

	r = snp_report_parse(raw, SNP_REPORT_SIZE, &rep);
	if (r < 0)
		return log_debug_errno(r, "Get HOSTDATA failed: %m");
	/* Zero-padded or truncated to the field, as upstream's pad::<32>(). */
	if (n > 0)
		memcpy(want, digest, MIN(n, sizeof(want)));
	if (memcmp(want, rep.host_data, sizeof(want)) != 0) {
		log_error("HOSTDATA does not match.");
		return -EPERM;
	}
	return 0;
}

int snp_guest_bind_initdata(const struct snp_guest_dev *dev, const uint8_t *digest, size_t n)
{
	uint8_t zero[SNP_REPORT_DATA_SIZE] = {}, raw[SNP_REPORT_SIZE];
	int r;

	r = snp_guest_get_report(dev, zero, raw);
	if (r < 0)
		return log_debug_errno(r, "Get HOSTDATA failed: %m");
	return check_host_data(raw, digest, n);
}

/* A report (and, with certs, the certificate table) through configfs-tsm. */
static int tsm_get_report(const uint8_t data[SNP_REPORT_DATA_SIZE], uint8_t raw[SNP_REPORT_SIZE],
			  struct buf *certs)
{
	_cleanup_(buf_done) struct buf blob = BUF_INIT(TSM_OUTBLOB_READ_MAX);
	int r;

	r = tsm_report(TSM_PROVIDER_SEV, TSM_PRIVLEVEL_FLOOR, data, SNP_REPORT_DATA_SIZE, &blob,
		       certs);
	if (r < 0)
		return log_debug_errno(r, "Failed to get an SNP report from configfs-tsm: %m");
	if (blob.len != SNP_REPORT_SIZE)
		return log_debug_errno(-EBADMSG, "configfs-tsm SNP report is %zu bytes, not %u",
				       blob.len, SNP_REPORT_SIZE);
	memcpy(raw, blob.data, SNP_REPORT_SIZE);
	return 0;
}

static int dev_ioctl(void *userdata, unsigned long request, struct snp_guest_request_ioctl *arg)
{
	int fd = *(int *) userdata;

	if (ioctl(fd, request, arg) < 0)
		return -errno;
	return 0;
}

static int open_dev(int *ret_fd)
{
	char path[PATH_MAX];
	int fd;

	if (!attester_path("/dev/sev-guest", path))
		return -errno;
	/* Upstream opens it read-only. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_debug_errno(-errno, "Failed to open '%s': %m", path);
	*ret_fd = fd;
	return 0;
}

static bool snp_detect(void)
{
	char path[PATH_MAX];

	return attester_path("/sys/devices/platform/sev-guest", path) && access(path, F_OK) == 0;
}

static int snp_ops_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	_cleanup_close_ int fd = -EBADF;
	struct snp_guest_dev dev = { .ioctl = dev_ioctl, .userdata = &fd };
	int r;

	if (n > SNP_REPORT_DATA_SIZE)
		return -EINVAL;
	if (tsm_report_available(TSM_PROVIDER_SEV)) {
		_cleanup_(buf_done) struct buf certs = BUF_INIT(SNP_CERTS_MAX);
		uint8_t data[SNP_REPORT_DATA_SIZE] = {}, raw[SNP_REPORT_SIZE];

		if (n > 0)
			memcpy(data, report_data, n);
		r = tsm_get_report(data, raw, &certs);
		return r < 0 ? r : evidence_json(raw, &certs, out);
	}
	r = open_dev(&fd);
	if (r < 0)
		return r;
	return snp_guest_evidence(&dev, report_data, n, out);
}

static int snp_ops_bind_initdata(const uint8_t *digest, size_t n)
{
	_cleanup_close_ int fd = -EBADF;
	struct snp_guest_dev dev = { .ioctl = dev_ioctl, .userdata = &fd };
	int r;

	if (tsm_report_available(TSM_PROVIDER_SEV)) {
		uint8_t zero[SNP_REPORT_DATA_SIZE] = {}, raw[SNP_REPORT_SIZE];

		r = tsm_get_report(zero, raw, NULL);
		return r < 0 ? r : check_host_data(raw, digest, n);
	}
	r = open_dev(&fd);
	if (r < 0)
		return r;
	return snp_guest_bind_initdata(&dev, digest, n);
}

const struct attester_ops attester_snp = {
	.name = "snp",
	.detect = snp_detect,
	.evidence = snp_ops_evidence,
	/* No runtime measurement: mr_* stay NULL. */
	.bind_initdata = snp_ops_bind_initdata,
};
