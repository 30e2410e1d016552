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
