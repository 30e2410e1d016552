/* SPDX-License-Identifier: Apache-2.0 */
/* What the Azure SNP and TDX vTPM attesters share (guest-components
 * attester/src/az_{snp,tdx}_vtpm/mod.rs over kinvolk/azure-cvm-tooling az-cvm-vtpm and
 * Azure/azure-guest-attestation-sdk): the vTPM at /dev/tpmrm0, the HCL report in NV,
 * the quote by the vTPM's AK, IMDS requests, the evidence v2 JSON and the PCR-based
 * runtime measurement and init-data binding.
 * Test knobs: $COCOBOX_TPM_TCTI (tpm.h), $COCOBOX_AZ_IMDS_URL (IMDS base URL, default
 * http://169.254.169.254), $COCOBOX_AZ_HCL_DELAY_MS (wait between writing the report
 * data and reading the HCL report; upstream's 3 s by default). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "aa/attesters/hcl-report.h"
#include "aa/attesters/tpm.h"
#include "common/buf.h"

#define AZ_VTPM_DEVICE "/dev/tpmrm0"
#define AZ_VTPM_IMDS_URL "http://169.254.169.254"
#define AZ_VTPM_HCL_DELAY_MS 3000
/* IMDS answers (certificates, a TD quote in base64) stay far below this. */
#define AZ_VTPM_IMDS_BODY_MAX (1u << 20)

/* Opens the vTPM (through attester_path(), or $COCOBOX_TPM_TCTI). Errors as tpm_open(). */
int az_vtpm_open(struct tpm **ret);

/* is_snp_cvm()/is_tdx_cvm(): the HCL report index reads and parses, with report type
 * want. Any failure is "no". */
bool az_vtpm_detect(enum hcl_report_type want);

/* vtpm::get_report_with_report_data(): writes report_data (1..TPM NV buffer bytes)
 * to HCL_REPORT_DATA_NV_INDEX, waits for the HCL to refresh, then appends the HCL
 * report to out and checks that it parses with type want (-EPROTONOSUPPORT when the
 * type differs, -EBADMSG when it does not parse). */
int az_vtpm_get_report(struct tpm *t, const uint8_t *report_data, size_t n,
		       enum hcl_report_type want, struct buf *out);

/* vtpm::get_quote(): the vTPM AK (TPM_AZURE_AK_HANDLE) with its own scheme, the report
 * data as qualifying data (<= 64 bytes, else -EINVAL), all SHA-256 PCRs. */
int az_vtpm_quote(struct tpm *t, const uint8_t *report_data, size_t n, struct tpm_quote *q);

/* The common part of both Azure attesters' evidence: report data (1..64 bytes, handed on
 * unchanged as upstream does, else -EINVAL) written for a fresh HCL report of type want
 * into hcl, then the vTPM quote over it into q. */
int az_vtpm_report_and_quote(const uint8_t *report_data, size_t n, enum hcl_report_type want,
			     struct buf *hcl, struct tpm_quote *q);

/* One IMDS request to path (e.g. "/metadata/THIM/amd/certification") with the
 * "Metadata: true" header; body NULL for GET, else a JSON POST. The 2xx body is
 * appended to out. -errno as http_request(), then as http_status_to_errno(). */
int az_vtpm_imds(const char *path, const char *body, struct buf *out);

/* The DER of the first PEM block of pem, which must be labelled CERTIFICATE (as
 * pem_rfc7468::decode_vec with the label check). -EBADMSG otherwise. */
int az_vtpm_pem_cert_to_der(const char *pem, struct buf *der);

/* Evidence v2: {"version":2,"tpm_quote":{hex...},"hcl_report":"<b64url>",
 * "<last_key>":"<b64url>"}, base64url with '=' padding (serde_with Base64<UrlSafe>). */
int az_vtpm_evidence_json(const struct tpm_quote *q, const uint8_t *hcl, size_t hcl_len,
			  const char *last_key, const uint8_t *last, size_t last_len,
			  struct buf *out);

/* Runtime measurement and init data on SHA-256 PCRs (utils::extend_pcr_sync,
 * read_pcr_sync): index < 24 and exactly 32 bytes, else -EINVAL. */
unsigned az_vtpm_pcr_to_mr(unsigned pcr);
int az_vtpm_mr_read(unsigned mr, uint8_t *out);
int az_vtpm_mr_extend(unsigned mr, const uint8_t *digest, size_t n);
int az_vtpm_bind_initdata(const uint8_t *digest, size_t n);
