/* SPDX-License-Identifier: Apache-2.0 */
/* Intel TDX: the TD quote from configfs-tsm, RTMR read/extend through the kernel's
 * measurements sysfs (Linux >= 6.16) with the TDREPORT ioctl as read fallback, and the
 * init-data binding against MRCONFIGID. Mirrors guest-components
 * attester/src/tdx/{mod,report}.rs (upstream.md §3.2, §3.4). Our addition: without
 * configfs-tsm, COCOBOX_TDX_QGS=<addr> (tdx-qgs.h) gets the quote from the host's QGS. */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "aa/attester.h"
#include "aa/eventlog.h"
#include "aa/attesters/tdx-qgs.h"
#include "aa/attesters/tsm-report.h"
#include "common/b64.h"
#include "common/fs.h"
#include "common/log.h"

#define TDX_REPORT_DATA_SIZE 64
#define TDX_REGISTER_SIZE 48 /* SHA-384 */
#define TDX_RTMR_COUNT 4
#define TDX_MEASUREMENTS_DIR "/sys/devices/virtual/misc/tdx_guest/measurements"
#define TDX_GUEST_DEVICE "/dev/tdx_guest"
/* The raw event log we accept from aa_cc_eventlog(): its base64 must still fit the
 * 4 MiB ttrpc frame that carries the evidence. */
#define TDX_EVENTLOG_MAX (2 * 1024 * 1024)

/* TDREPORT_STRUCT (Intel TDX module ABI; upstream tdx/report.rs): REPORTMACSTRUCT
 * (256) | TEE_TCB_INFO (239) | reserved (17) | TDINFO_STRUCT (512). */
struct tdx_report {
	struct {
		uint8_t type[4]; /* type, subtype, version, reserved */
		uint8_t reserved1[12];
		uint8_t cpu_svn[16];
		uint8_t tee_tcb_info_hash[48];
		uint8_t tee_td_info_hash[48];
		uint8_t report_data[64];
		uint8_t reserved2[32];
		uint8_t mac[32];
	} mac;
	uint8_t tee_tcb_info[239];
	uint8_t reserved[17];
	struct {
		uint8_t attributes[8];
		uint8_t xfam[8];
		uint8_t mrtd[48];
		uint8_t mrconfigid[48];
		uint8_t mrowner[48];
		uint8_t mrownerconfig[48];
		uint8_t rtmr[TDX_RTMR_COUNT][48];
		uint8_t reserved[112];
	} td_info;
};

_Static_assert(sizeof(struct tdx_report) == 1024, "TDREPORT_STRUCT is 1024 bytes");
_Static_assert(offsetof(struct tdx_report, mac.report_data) == 128, "REPORTDATA at 128");
_Static_assert(offsetof(struct tdx_report, tee_tcb_info) == 256, "TEE_TCB_INFO at 256");
_Static_assert(offsetof(struct tdx_report, td_info) == 512, "TDINFO at 512");
_Static_assert(offsetof(struct tdx_report, td_info.mrconfigid) == 576, "MRCONFIGID at 576");
_Static_assert(offsetof(struct tdx_report, td_info.rtmr) == 720, "RTMR[0] at 720");

/* uapi <linux/tdx-guest.h> (not in Debian 12's linux-libc-dev, so spelled out here
 * and checked against the published ioctl number). */
struct tdx_report_req {
	uint8_t reportdata[TDX_REPORT_DATA_SIZE];
	uint8_t tdreport[sizeof(struct tdx_report)];
};
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)
_Static_assert(sizeof(struct tdx_report_req) == 1088, "struct tdx_report_req is 1088 bytes");
_Static_assert(TDX_CMD_GET_REPORT0 == 0xC4405401u, "TDX_CMD_GET_REPORT0 is 0xC4405401");

static bool tdx_has_measurements(void)
{
	char p[PATH_MAX];
	struct stat st;

	return attester_path(TDX_MEASUREMENTS_DIR, p) && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool tdx_detect(void)
{
	char p[PATH_MAX];

	if (tsm_report_available(TSM_PROVIDER_TDX))
		return true;
	return attester_path(TDX_GUEST_DEVICE, p) && access(p, F_OK) == 0;
}

/* TDX_CMD_GET_REPORT0; upstream's ioctl_get_report() passes zero report data. */
static int tdx_get_tdreport(const uint8_t *report_data, struct tdx_report *ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct tdx_report_req req = { 0 };
	char p[PATH_MAX];

	if (report_data)
		memcpy(req.reportdata, report_data, sizeof(req.reportdata));

	if (!attester_path(TDX_GUEST_DEVICE, p))
		return -ENAMETOOLONG;
	fd = open(p, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_debug_errno(-errno, "Failed to open '%s': %m", p);
	if (ioctl(fd, TDX_CMD_GET_REPORT0, &req) < 0)
		return log_debug_errno(-errno, "TDX_CMD_GET_REPORT0 failed: %m");
	memcpy(ret, req.tdreport, sizeof(*ret));
	return 0;
}

/* {"cc_eventlog":<b64 std>|null,"quote":"<b64 std>"}: serde_json's compact output of
 * upstream's TdxEvidence (keys in this order both as declared and as sorted). */
static int tdx_evidence_json(const uint8_t *quote, size_t qn, const struct buf *eventlog,
			     struct buf *out)
{
	int r;

	r = buf_append_str(out, "{\"cc_eventlog\":");
	if (r < 0)
		return r;
	if (eventlog->len == 0)
		r = buf_append_str(out, "null");
	else {
		r = buf_append_str(out, "\"");
		if (r >= 0)
			r = b64_encode(B64_STD, eventlog->data, eventlog->len, out);
		if (r >= 0)
			r = buf_append_str(out, "\"");
	}
	if (r < 0)
		return r;
	r = buf_append_str(out, ",\"quote\":\"");
	if (r < 0)
		return r;
	r = b64_encode(B64_STD, quote, qn, out);
	if (r < 0)
		return r;
	return buf_append_str(out, "\"}");
}

/* Without configfs-tsm (kernels before 6.7), and only when COCOBOX_TDX_QGS names a QGS
 * address (tdx-qgs.h): the TDREPORT from the ioctl, then the quote from the host's
 * QGS over vsock, as Intel's libtdx_attest does when configured with a port. Upstream
 * has no such path; it fails without configfs-tsm. */
static int tdx_quote_from_qgs(const char *addr, const uint8_t *rd, struct buf *quote)
{
	_cleanup_close_ int fd = -EBADF;
	struct tdx_report rep;
	int r;

	r = tdx_get_tdreport(rd, &rep);
	if (r < 0)
		return r;
	r = tdx_qgs_connect(addr, &fd);
	if (r < 0)
		return log_debug_errno(r, "Failed to connect to QGS at '%s': %m", addr);
	r = tdx_qgs_get_quote(fd, (const uint8_t *) &rep, quote);
	explicit_bzero(&rep, sizeof(rep));
	return r;
}

static int tdx_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	_cleanup_(buf_done) struct buf quote = BUF_INIT(TSM_OUTBLOB_READ_MAX);
	_cleanup_(buf_done) struct buf eventlog = BUF_INIT(TDX_EVENTLOG_MAX);
	uint8_t rd[TDX_REPORT_DATA_SIZE] = { 0 };
	size_t start = out->len;
	const char *qgs;
	int r;

	if (n > TDX_REPORT_DATA_SIZE)
		return log_debug_errno(-EINVAL, "TDX report data must be no more than %d bytes",
				       TDX_REPORT_DATA_SIZE);
	if (n > 0)
		memcpy(rd, report_data, n);

	r = tsm_report(TSM_PROVIDER_TDX, TSM_PRIVLEVEL_NONE, rd, sizeof(rd), &quote, NULL);
	if (r == -EOPNOTSUPP && (qgs = getenv("COCOBOX_TDX_QGS")))
		r = tdx_quote_from_qgs(qgs, rd, &quote);
	if (r < 0)
		return log_debug_errno(r, "Failed to get a TD quote from configfs-tsm: %m");

	r = aa_cc_eventlog(&eventlog);
	if (r < 0)
		return log_debug_errno(r, "Failed to read the CC event log: %m");

	r = tdx_evidence_json(quote.data, quote.len, &eventlog, out);
	if (r < 0)
		buf_truncate(out, start);
	return r;
}

/* Reads one binary measurement attribute, which must hold exactly n bytes. */
static int tdx_read_measurement(const char *name, uint8_t *out, size_t n)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(256);
	char rel[128], p[PATH_MAX];
	int r;

	(void) snprintf(rel, sizeof(rel), TDX_MEASUREMENTS_DIR "/%s", name);
	if (!attester_path(rel, p))
		return -ENAMETOOLONG;
	r = fs_read_file(AT_FDCWD, p, &b);
	if (r == -E2BIG)
		return -EBADMSG;
	if (r < 0)
		return log_debug_errno(r, "Failed to read '%s': %m", p);
	if (b.len != n)
		return log_debug_errno(-EBADMSG, "'%s' holds %zu bytes, expected %zu", p, b.len, n);
	memcpy(out, b.data, n);
	return 0;
}

/* td-shim / UEFI CC mapping of TPM PCRs to CC measurement registers (MRTD is 0). */
static unsigned tdx_pcr_to_mr(unsigned pcr)
{
	switch (pcr) {
	case 1:
	case 7:
		return 1;
	case 2 ... 6:
		return 2;
	case 8 ... 15:
		return 3;
	default:
		return 4;
	}
}

static bool tdx_mr_supported(void)
{
	/* Upstream extends only through sysfs (or the libtdx ioctls, not built here). */
	return tdx_has_measurements();
}

static int tdx_mr_read(unsigned mr, uint8_t *out)
{
	struct tdx_report rep;
	char name[32];
	int r;

	if (mr < 1 || mr > TDX_RTMR_COUNT)
		return -EINVAL;
	if (tdx_has_measurements()) {
		(void) snprintf(name, sizeof(name), "rtmr%u:sha384", mr - 1);
		return tdx_read_measurement(name, out, TDX_REGISTER_SIZE);
	}
	r = tdx_get_tdreport(NULL, &rep);
	if (r < 0)
		return r;
	memcpy(out, rep.td_info.rtmr[mr - 1], TDX_REGISTER_SIZE);
	explicit_bzero(&rep, sizeof(rep));
	return 0;
}

static int tdx_mr_extend(unsigned mr, const uint8_t *digest, size_t n)
{
	_cleanup_close_ int fd = -EBADF;
	uint8_t data[TDX_REGISTER_SIZE] = { 0 };
	char rel[128], p[PATH_MAX];
	ssize_t k;

	if (mr < 1 || mr > TDX_RTMR_COUNT)
		return -EINVAL;
	if (!tdx_has_measurements())
		return -EOPNOTSUPP;

	/* Zero-padded or truncated to the register width (upstream utils.rs pad()). */
	memcpy(data, digest, MIN(n, sizeof(data)));
	(void) snprintf(rel, sizeof(rel), TDX_MEASUREMENTS_DIR "/rtmr%u:sha384", mr - 1);
	if (!attester_path(rel, p))
		return -ENAMETOOLONG;
	fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_debug_errno(-errno, "Failed to open '%s': %m", p);
	/* The kernel takes the whole digest in one write and extends the RTMR with it. */
	k = write(fd, data, sizeof(data));
	if (k < 0)
		return log_debug_errno(-errno, "Failed to extend RTMR%u: %m", mr - 1);
	if (k != (ssize_t) sizeof(data))
		return log_debug_errno(-EIO, "Short write extending RTMR%u", mr - 1);
	if (close(steal_fd(fd)) < 0)
		return log_debug_errno(-errno, "Failed to extend RTMR%u: %m", mr - 1);
	return 0;
}

static int tdx_bind_initdata(const uint8_t *digest, size_t n)
{
	uint8_t want[TDX_REGISTER_SIZE] = { 0 }, have[TDX_REGISTER_SIZE];
	struct tdx_report rep;
	int r;

	if (tdx_has_measurements())
		r = tdx_read_measurement("mrconfigid", have, sizeof(have));
	else {
		r = tdx_get_tdreport(NULL, &rep);
		if (r >= 0) {
			memcpy(have, rep.td_info.mrconfigid, sizeof(have));
			explicit_bzero(&rep, sizeof(rep));
		}
	}
	if (r < 0)
		return log_debug_errno(r, "Failed to read MRCONFIGID: %m");

	memcpy(want, digest, MIN(n, sizeof(want)));
	if (memcmp(want, have, sizeof(want)) != 0) {
		log_error("Init data does not match!");
		return -EPERM;
	}
	return 0;
}

const struct attester_ops attester_tdx = {
	.name = "tdx",
	.detect = tdx_detect,
	.evidence = tdx_evidence,
	.mr_alg = DIGEST_SHA384,
	.pcr_to_mr = tdx_pcr_to_mr,
	.mr_supported = tdx_mr_supported,
	.mr_read = tdx_mr_read,
	.mr_extend = tdx_mr_extend,
	.bind_initdata = tdx_bind_initdata,
};
