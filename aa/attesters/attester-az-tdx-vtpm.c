/* SPDX-License-Identifier: Apache-2.0 */
/* The Azure TDX vTPM attester (guest-components attester/src/az_tdx_vtpm/mod.rs,
 * evidence version 2; upstream.md §3.2): HCL report carrying the report data, the TD
 * quote IMDS makes from the HCL report's TDREPORT, and the vTPM quote. Upstream has no
 * get_runtime_measurement here; mr_read reads the PCR as the SNP variant does. */
#include <errno.h>
#include <string.h>

#include "aa/attester.h"
#include "aa/attesters/az-vtpm.h"
#include "common/b64.h"
#include "common/json-util.h"
#include "common/log.h"

#define TDQUOTE_PATH "/acc/tdquote"

static bool az_tdx_detect(void)
{
	return az_vtpm_detect(HCL_REPORT_TDX);
}

/* ImdsClient::get_td_quote(): POST {"report": base64 of the 1024-byte TDREPORT}; the
 * answer is {"quote": base64 in either alphabet}. The SDK tries standard base64 first
 * and URL-safe unpadded (the older crate's form) after a non-2xx answer. */
static int get_td_quote(const uint8_t *td_report, size_t n, struct buf *quote)
{
	static const enum b64_variant forms[] = { B64_STD, B64_URL_NOPAD };
	int r = -EPROTO;

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		_cleanup_(buf_done) struct buf req = BUF_INIT(4096);
		_cleanup_(buf_done) struct buf body = BUF_INIT(AZ_VTPM_IMDS_BODY_MAX);
		_cleanup_(json_object_putp) json_object *j = NULL;
		const char *s;

		r = buf_append_str(&req, "{\"report\":\"");
		if (r == 0)
			r = b64_encode(forms[i], td_report, n, &req);
		if (r == 0)
			r = buf_append_str(&req, "\"}");
		if (r < 0)
			return r;
		r = az_vtpm_imds(TDQUOTE_PATH, buf_str(&req), &body);
		if (r == -ENOENT || r == -EACCES || r == -EPROTO)
			continue; /* an HTTP error status: try the other form */
		if (r < 0)
			return r;
		r = json_parse(buf_str(&body), body.len, AZ_VTPM_IMDS_BODY_MAX, 8, &j, NULL);
		if (r < 0)
			return r;
		r = json_get_string(j, "quote", &s);
		if (r < 0)
			return r == -ENOENT ? -EBADMSG : r;
		return b64_decode_any(s, strlen(s), quote);
	}
	return r;
}

static int az_tdx_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	_cleanup_(buf_done) struct buf hcl = BUF_INIT(TPM_NV_READ_MAX);
	_cleanup_(buf_done) struct buf td_quote = BUF_INIT(AZ_VTPM_IMDS_BODY_MAX);
	struct hcl_report h;
	int r;

	tpm_quote_init(&q);
	r = az_vtpm_report_and_quote(report_data, n, HCL_REPORT_TDX, &hcl, &q);
	if (r < 0)
		return r;
	r = hcl_report_parse(hcl.data, hcl.len, &h);
	if (r < 0)
		return r;
	r = get_td_quote(h.hw_report, h.hw_report_len, &td_quote);
	if (r < 0)
		return log_debug_errno(r, "Failed to get the TD quote from IMDS: %m");
	return az_vtpm_evidence_json(&q, hcl.data, hcl.len, "td_quote", td_quote.data, td_quote.len,
				     out);
}

const struct attester_ops attester_az_tdx_vtpm = {
	.name = "az-tdx-vtpm",
	.detect = az_tdx_detect,
	.evidence = az_tdx_evidence,
	.mr_alg = DIGEST_SHA256,
	.pcr_to_mr = az_vtpm_pcr_to_mr,
	.mr_read = az_vtpm_mr_read,
	.mr_extend = az_vtpm_mr_extend,
	.bind_initdata = az_vtpm_bind_initdata,
};
