/* SPDX-License-Identifier: Apache-2.0 */
/* The Azure SEV-SNP vTPM attester (guest-components attester/src/az_snp_vtpm/mod.rs,
 * evidence version 2; upstream.md §3.2): HCL report carrying the report data, vTPM
 * quote, and the VCEK that IMDS (THIM) serves, DER in base64url. */
#include <errno.h>

#include "aa/attester.h"
#include "aa/attesters/az-vtpm.h"
#include "common/json-util.h"
#include "common/log.h"

#define THIM_CERT_PATH "/metadata/THIM/amd/certification"

static bool az_snp_detect(void)
{
	return az_vtpm_detect(HCL_REPORT_SNP);
}

/* imds::get_certs(): {"vcekCert": PEM, "certificateChain": PEM}; only the VCEK is sent. */
static int get_vcek(struct buf *der)
{
	_cleanup_(buf_done) struct buf body = BUF_INIT(AZ_VTPM_IMDS_BODY_MAX);
	_cleanup_(json_object_putp) json_object *j = NULL;
	const char *pem;
	int r;

	r = az_vtpm_imds(THIM_CERT_PATH, NULL, &body);
	if (r < 0)
		return r;
	r = json_parse(buf_str(&body), body.len, AZ_VTPM_IMDS_BODY_MAX, 8, &j, NULL);
	if (r < 0)
		return r;
	r = json_get_string(j, "vcekCert", &pem);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	return az_vtpm_pem_cert_to_der(pem, der);
}

static int az_snp_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	_cleanup_(buf_done) struct buf hcl = BUF_INIT(TPM_NV_READ_MAX);
	_cleanup_(buf_done) struct buf vcek = BUF_INIT(AZ_VTPM_IMDS_BODY_MAX);
	int r;

	tpm_quote_init(&q);
	r = az_vtpm_report_and_quote(report_data, n, HCL_REPORT_SNP, &hcl, &q);
	if (r < 0)
		return r;
	r = get_vcek(&vcek);
	if (r < 0)
		return log_debug_errno(r, "Failed to get the VCEK from IMDS: %m");
	return az_vtpm_evidence_json(&q, hcl.data, hcl.len, "vcek", vcek.data, vcek.len, out);
}

const struct attester_ops attester_az_snp_vtpm = {
	.name = "az-snp-vtpm",
	.detect = az_snp_detect,
	.evidence = az_snp_evidence,
	.mr_alg = DIGEST_SHA256,
	.pcr_to_mr = az_vtpm_pcr_to_mr,
	.mr_read = az_vtpm_mr_read,
	.mr_extend = az_vtpm_mr_extend,
	.bind_initdata = az_vtpm_bind_initdata,
};
