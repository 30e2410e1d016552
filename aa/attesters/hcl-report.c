/* SPDX-License-Identifier: Apache-2.0 */
/* HCL report parsing for the Azure vTPM attesters (az-cvm-vtpm src/hcl/mod.rs
 * HclReport::new): only bounds and the report type; verifiers check the rest. */
#include <errno.h>

#include "aa/attesters/hcl-report.h"
#include "common/buf.h"

int hcl_report_parse(const uint8_t *p, size_t n, struct hcl_report *ret)
{
	const uint8_t *igvm;
	uint32_t type, var_len;

	if (!p || n < HCL_VAR_DATA_OFFSET)
		return -EBADMSG;
	igvm = p + HCL_IGVM_DATA_OFFSET;
	type = get_le32(igvm + 8);
	var_len = get_le32(igvm + 16);
	/* Compared without adding to the offset, so a hostile length cannot wrap. */
	if (var_len > n - HCL_VAR_DATA_OFFSET)
		return -EBADMSG;
	if (type != HCL_REPORT_SNP && type != HCL_REPORT_TDX)
		return -EPROTONOSUPPORT;

	*ret = (struct hcl_report){
		.type = (enum hcl_report_type) type,
		.hw_report = p + HCL_HEADER_SIZE,
		.hw_report_len = type == HCL_REPORT_SNP ? HCL_SNP_REPORT_SIZE : HCL_TD_REPORT_SIZE,
		.hash_type = get_le32(igvm + 12),
		.var_data = p + HCL_VAR_DATA_OFFSET,
		.var_data_len = var_len,
	};
	return 0;
}
