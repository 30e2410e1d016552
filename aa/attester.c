/* SPDX-License-Identifier: Apache-2.0 */
/* The attester table, in upstream's detection order (upstream.md §3.1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "aa/attester.h"
#include "common/log.h"
#include "config.h"

static const struct attester_ops *const attesters[] = {
/* Upstream's order (lib.rs detect_tee_type); sgx, csv and se are not built. */
#if ENABLE_TDX
	&attester_tdx,
#endif
#if ENABLE_AZ_TDX_VTPM
	&attester_az_tdx_vtpm,
#endif
#if ENABLE_AZ_SNP_VTPM
	&attester_az_snp_vtpm,
#endif
#if ENABLE_SNP
	&attester_snp,
#endif
#if ENABLE_CCA
	&attester_cca,
#endif
#if ENABLE_TPM
	&attester_tpm,
#endif
	&attester_sample,
};

const struct attester_ops *attester_detect(void)
{
	for (size_t i = 0; i < ELEMENTSOF(attesters); i++)
		if (attesters[i]->detect && attesters[i]->detect())
			return attesters[i];
	return &attester_sample;
}

const struct attester_ops *attester_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(attesters); i++)
		if (streq(attesters[i]->name, name))
			return attesters[i];
	return NULL;
}

const char *attester_path(const char *path, char out[static PATH_MAX])
{
	const char *root = getenv("COCOBOX_ATTESTER_ROOT");
	int n;

	n = snprintf(out, PATH_MAX, "%s%s", root ? root : "", path);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return out;
}

size_t attester_additional(const struct attester_ops *primary, const struct attester_ops **out,
			   size_t max)
{
	size_t n = 0;

	if (n < max && attester_sample_device.detect())
		out[n++] = &attester_sample_device;
#if ENABLE_TPM && !ENABLE_TDX && !ENABLE_AZ_SNP_VTPM && !ENABLE_AZ_TDX_VTPM
	if (n < max && primary != &attester_tpm && attester_tpm.detect()) {
		log_warning(
		    "The TPM device was detected as an additional device, but please "
		    "note that it is not bound to the TEE, so there may be security risks.");
		out[n++] = &attester_tpm;
	}
#else
	(void) primary;
#endif
	return n;
}

int attester_additional_evidence(const struct attester_ops *primary, const uint8_t *report_data,
				 size_t n, struct buf *out)
{
	const struct attester_ops *add[4];
	size_t k = attester_additional(primary, add, ELEMENTSOF(add));
	size_t start = out->len;
	int r = 0;

	/* serde_json::to_vec of a map of Tee to evidence; device names are fixed ASCII */
	for (size_t i = 0; r >= 0 && i < k; i++) {
		r = buf_appendf(out, "%s\"%s\":", i ? "," : "{", add[i]->name);
		if (r >= 0)
			r = add[i]->evidence(report_data, n, out);
	}
	if (r >= 0 && k > 0)
		r = buf_put_u8(out, '}');
	if (r < 0)
		buf_truncate(out, start);
	return r;
}
