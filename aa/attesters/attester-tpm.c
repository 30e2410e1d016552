/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM attester (guest-components attester/src/tpm/{mod,utils}.rs; upstream.md §3.2):
 * evidence {"ak_public","tpm_quote":{"message","pcrs","signature"}} from a quote by the
 * pre-provisioned RSA AK at $AA_TPM_AK_HANDLE (default 0x81010002) on $AA_TPM_DEVICE or
 * /dev/tpm0..2 ($COCOBOX_TPM_TCTI overrides the device for tests, see tpm.h). Runtime
 * measurement and init-data binding extend SHA-256 PCRs. Upstream's TPM attester has no
 * pcr_to_ccmr/ccel_hash_algorithm (the AA eventlog panics there); we answer identity
 * and SHA-256, as the Azure vTPM attesters do. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attester.h"
#include "aa/attesters/tpm.h"
#include "common/b64.h"
#include "common/log.h"

/* upstream TPM_REPORT_DATA_SIZE: report data is resized (zero-pad/truncate) to this. */
#define TPM_REPORT_DATA_SIZE 32
#define INITDATA_PCR 8

static int tpm_attester_open(struct tpm **ret)
{
	char dev[PATH_MAX];
	int r;

	r = tpm_find_device(dev);
	/* The TCTI override stands in for the device in tests. */
	if (r < 0 && !getenv(TPM_TCTI_ENV))
		return r == -ENOENT ? -EOPNOTSUPP : r;
	return tpm_open(r < 0 ? NULL : dev, ret);
}

static int ak_handle(uint32_t *ret)
{
	int r;

	r = tpm_ak_handle_from_env(ret);
	if (r < 0)
		log_warning("Invalid AK handle '%s' in $AA_TPM_AK_HANDLE (want hex, optional 0x).",
			    getenv("AA_TPM_AK_HANDLE"));
	return r;
}

static bool tpm_detect(void)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(buf_done) struct buf der = BUF_INIT(4096);
	uint32_t ak;
	int r;

	if (ak_handle(&ak) < 0)
		return false;
	r = tpm_attester_open(&t);
	if (r < 0)
		return false;
	/* Upstream only checks the device and the variable; a TPM without the AK would
	 * then fail every evidence request, so we also ask for the key. */
	r = tpm_ak_public_der(t, ak, &der);
	if (r < 0) {
		log_debug_errno(r, "TPM present but no usable AK at 0x%08x: %m", ak);
		return false;
	}
	return true;
}

static int tpm_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(tpm_quote_done) struct tpm_quote q;
	_cleanup_(buf_done) struct buf der = BUF_INIT(4096);
	uint8_t qd[TPM_REPORT_DATA_SIZE] = { 0 };
	uint32_t ak;
	int r;

	tpm_quote_init(&q);
	/* Upstream resizes instead of refusing longer report data (the KBS's 48 or 64
	 * bytes): only the first 32 reach the quote. */
	if (n > 0)
		memcpy(qd, report_data, MIN(n, sizeof(qd)));
	r = ak_handle(&ak);
	if (r < 0)
		return r;
	r = tpm_attester_open(&t);
	if (r < 0)
		return r;
	r = tpm_ak_public_der(t, ak, &der);
	if (r < 0)
		return r;
	r = tpm_quote(t, ak, TPM_QUOTE_RSASSA_SHA256, qd, sizeof(qd), &q);
	if (r < 0)
		return r;

	/* Keys sorted, as serde_json::Value prints upstream's evidence. */
	r = buf_append_str(out, "{\"ak_public\":\"");
	if (r == 0)
		r = b64_encode(B64_STD, der.data, der.len, out);
	if (r == 0)
		r = buf_append_str(out, "\",\"tpm_quote\":");
	if (r == 0)
		r = tpm_quote_json(&q, false, out);
	if (r == 0)
		r = buf_put_u8(out, '}');
	return r;
}

static unsigned tpm_pcr_to_mr(unsigned pcr)
{
	return pcr;
}

static int tpm_mr_read(unsigned mr, uint8_t *out)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	if (mr >= TPM_PCR_COUNT)
		return -EINVAL;
	r = tpm_attester_open(&t);
	if (r < 0)
		return r;
	return tpm_pcr_read(t, mr, out);
}

static int tpm_mr_extend(unsigned mr, const uint8_t *digest, size_t n)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	/* Upstream refuses rather than resizes: "Event digest length is not 32 bytes". */
	if (mr >= TPM_PCR_COUNT || n != TPM_SHA256_SIZE)
		return -EINVAL;
	r = tpm_attester_open(&t);
	if (r < 0)
		return r;
	return tpm_pcr_extend(t, mr, digest, n);
}

static int tpm_bind_initdata(const uint8_t *digest, size_t n)
{
	/* Only a sha256 initdata digest fits the SHA-256 bank. */
	return tpm_mr_extend(INITDATA_PCR, digest, n);
}

const struct attester_ops attester_tpm = {
	.name = "tpm",
	.detect = tpm_detect,
	.evidence = tpm_evidence,
	.mr_alg = DIGEST_SHA256,
	.pcr_to_mr = tpm_pcr_to_mr,
	.mr_read = tpm_mr_read,
	.mr_extend = tpm_mr_extend,
	.bind_initdata = tpm_bind_initdata,
};
