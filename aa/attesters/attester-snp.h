/* SPDX-License-Identifier: Apache-2.0 */
/* The SEV-SNP attester's device layer: /dev/sev-guest requests as the sev crate 6.3
 * makes them (src/firmware/guest/mod.rs get_report/get_ext_report), behind a small seam
 * so unit tests can stand in for the kernel (upstream.md §3.2, §3.4). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h> /* _IOWR(), which the uapi header uses without including */

#if __has_include(<linux/sev-guest.h>)
#include <linux/sev-guest.h>
#else
/* The uapi as in linux/sev-guest.h, for libcs shipped without kernel headers. */
struct snp_report_req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};
struct snp_report_resp {
	uint8_t data[4000];
};
struct snp_guest_request_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	union {
		uint64_t exitinfo2;
		struct {
			uint32_t fw_error;
			uint32_t vmm_error;
		};
	};
};
struct snp_ext_report_req {
	struct snp_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};
#define SNP_GUEST_REQ_IOC_TYPE 'S'
#define SNP_GET_REPORT _IOWR(SNP_GUEST_REQ_IOC_TYPE, 0x0, struct snp_guest_request_ioctl)
#define SNP_GET_EXT_REPORT _IOWR(SNP_GUEST_REQ_IOC_TYPE, 0x2, struct snp_guest_request_ioctl)
#define SNP_GUEST_VMM_ERR_INVALID_LEN 1
#define SNP_GUEST_VMM_ERR_BUSY 2
#endif

#include "aa/attesters/snp-report.h"
#include "common/buf.h"

/* Largest certificate blob accepted from the kernel's "invalid length" answer (the
 * kernel itself caps it at 16 KiB today). */
#define SNP_CERTS_MAX (1u << 20)

/* One ioctl on the guest device: 0, or -errno with arg->exitinfo2 as the kernel left it.
 * The attester passes ioctl(2) on /dev/sev-guest; tests pass a fake kernel. */
struct snp_guest_dev {
	int (*ioctl)(void *userdata, unsigned long request, struct snp_guest_request_ioctl *arg);
	void *userdata;
};

/* SNP_GET_EXT_REPORT with message version 1 and VMPL 0 for report_data (64 bytes). As
 * sev does, asks first with no certificate buffer and, when the VMM answers "invalid
 * length", retries once with certs_len bytes (-E2BIG past SNP_CERTS_MAX). The report
 * (SNP_REPORT_SIZE bytes) goes to report; the certificate blob, if the kernel returned
 * one (certs_len != 0), to certs (left empty otherwise). Errors: the ioctl's -errno
 * (-EBUSY when the VMM said busy), -EIO for a non-zero firmware status in the response,
 * -EPROTO when the kernel claims certificates it was given no room for. */
int snp_guest_get_ext_report(const struct snp_guest_dev *dev, const uint8_t report_data[64],
			     uint8_t report[SNP_REPORT_SIZE], struct buf *certs);

/* SNP_GET_REPORT, message version 1, VMPL 0; errors as above. */
int snp_guest_get_report(const struct snp_guest_dev *dev, const uint8_t report_data[64],
			 uint8_t report[SNP_REPORT_SIZE]);

/* The evidence upstream's SnpAttester::get_evidence builds, appended to out:
 * {"attestation_report":{...},"cert_chain":[...]|null}. -EINVAL when n > 64; errors
 * from the device and from snp_report_parse()/snp_cert_table_parse(). */
int snp_guest_evidence(const struct snp_guest_dev *dev, const uint8_t *report_data, size_t n,
		       struct buf *out);

/* Upstream's bind_init_data: HOSTDATA of a fresh report (zero report data) against
 * digest zero-padded or truncated to 32 bytes. 0 on match; -EPERM, logging upstream's
 * "HOSTDATA does not match.", on mismatch; other errors as snp_guest_get_report() and
 * snp_report_parse(). */
int snp_guest_bind_initdata(const struct snp_guest_dev *dev, const uint8_t *digest, size_t n);
