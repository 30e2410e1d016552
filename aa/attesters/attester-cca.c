/* SPDX-License-Identifier: Apache-2.0 */
/* Arm CCA: the realm attestation token (a CBOR-tagged CCA collection) from configfs-tsm
 * with provider arm_cca_guest, challenge zero-padded to 64 bytes, evidence
 * {"token":[bytes as JSON numbers]} (guest-components attester/src/cca/mod.rs;
 * upstream.md §3.2). No runtime measurement, no init-data binding, as upstream. */
#include <stdio.h>

#include "aa/attester.h"
#include "aa/attesters/tsm-report.h"
#include "common/log.h"

#define CCA_CHALLENGE_SIZE 64

static bool cca_detect(void)
{
	/* Upstream only looks on aarch64; everything else stays compiled and testable. */
#if defined(__aarch64__)
	return tsm_report_available(TSM_PROVIDER_CCA);
#else
	return false;
#endif
}

/* serde's default for Vec<u8>: a JSON array of numbers, compact. */
static int cca_evidence_json(const uint8_t *token, size_t n, struct buf *out)
{
	int r;

	r = buf_append_str(out, "{\"token\":[");
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = buf_appendf(out, i ? ",%u" : "%u", (unsigned) token[i]);
		if (r < 0)
			return r;
	}
	return buf_append_str(out, "]}");
}

static int cca_evidence(const uint8_t *challenge, size_t n, struct buf *out)
{
	_cleanup_(buf_done) struct buf token = BUF_INIT(TSM_OUTBLOB_READ_MAX);
	uint8_t c[CCA_CHALLENGE_SIZE] = { 0 };
	size_t start = out->len;
	int r;

	if (n > CCA_CHALLENGE_SIZE)
		return log_debug_errno(-EINVAL, "CCA challenge must be %d bytes or less",
				       CCA_CHALLENGE_SIZE);
	if (n > 0)
		memcpy(c, challenge, n);

	r = tsm_report(TSM_PROVIDER_CCA, TSM_PRIVLEVEL_NONE, c, sizeof(c), &token, NULL);
	if (r < 0)
		return log_debug_errno(r, "Failed to get a CCA token from configfs-tsm: %m");

	r = cca_evidence_json(token.data, token.len, out);
	if (r < 0)
		buf_truncate(out, start);
	return r;
}

const struct attester_ops attester_cca = {
	.name = "cca",
	.detect = cca_detect,
	.evidence = cca_evidence,
};
