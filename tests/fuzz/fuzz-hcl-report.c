/* SPDX-License-Identifier: Apache-2.0 */
/* Azure vTPM inputs that come from outside the guest's control: the HCL report read
 * from NV (aa/attesters/hcl-report.c) and the VCEK PEM from IMDS (az_vtpm_pem_cert_to_der).
 * Whatever parses must point inside the input; errors are only the documented ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attesters/az-vtpm.h"
#include "aa/attesters/hcl-report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf der = BUF_INIT(1 << 20);
	_cleanup_free_ char *pem = NULL;
	struct hcl_report h;
	int r;

	r = hcl_report_parse(data, size, &h);
	if (r >= 0) {
		if (h.type != HCL_REPORT_SNP && h.type != HCL_REPORT_TDX)
			abort();
		if (h.hw_report < data || h.hw_report + h.hw_report_len > data + size ||
		    h.var_data < data || h.var_data_len > size ||
		    (size_t) (h.var_data - data) > size - h.var_data_len)
			abort();
	} else if (r != -EBADMSG && r != -EPROTONOSUPPORT) {
		abort();
	}

	pem = malloc(size + 1);
	if (!pem)
		return 0;
	memcpy(pem, data, size);
	pem[size] = 0;
	r = az_vtpm_pem_cert_to_der(pem, &der);
	if (r < 0 && r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
		abort();
	return 0;
}
