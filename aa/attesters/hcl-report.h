/* SPDX-License-Identifier: Apache-2.0 */
/* Azure's HCL report, as the vTPM publishes it in NV index 0x01400001
 * (kinvolk/azure-cvm-tooling az-cvm-vtpm/src/hcl/mod.rs): a 32-byte header
 * ("HCLA", version, report size, request type, status, 3 reserved, all u32 LE), the
 * hardware report in a 1184-byte slot (SNP report, or a 1024-byte TDREPORT), then the
 * IGVM request data (5 u32 LE: data size, version, report type, hash type, variable
 * data size) and the variable data (runtime JSON with the vTPM's keys). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HCL_REPORT_NV_INDEX 0x01400001u
/* Where the guest writes report data that the next HCL report carries (user_data). */
#define HCL_REPORT_DATA_NV_INDEX 0x01400002u

#define HCL_HEADER_SIZE 32
#define HCL_HW_REPORT_SLOT 1184 /* max(SNP report 1184, TDREPORT 1024) */
#define HCL_SNP_REPORT_SIZE 1184
#define HCL_TD_REPORT_SIZE 1024
#define HCL_IGVM_DATA_OFFSET (HCL_HEADER_SIZE + HCL_HW_REPORT_SLOT)
#define HCL_VAR_DATA_OFFSET (HCL_IGVM_DATA_OFFSET + 20)

enum hcl_report_type {
	HCL_REPORT_SNP = 2,
	HCL_REPORT_TDX = 4,
};

struct hcl_report {
	enum hcl_report_type type;
	const uint8_t *hw_report; /* points into the parsed bytes */
	size_t hw_report_len;     /* HCL_SNP_REPORT_SIZE or HCL_TD_REPORT_SIZE */
	uint32_t hash_type;       /* IGVM hash type of the variable data (1: SHA-256) */
	const uint8_t *var_data;
	size_t var_data_len;
};

/* Parses p[0..n) as the crate does: at least the fixed part (HCL_VAR_DATA_OFFSET bytes),
 * the variable data inside the buffer, a report type of 2 (SNP) or 4 (TDX). Like the
 * crate, the "HCLA" signature and the header's size field are not checked (trailing
 * padding is normal: Azure's index is larger than the report). -EBADMSG for a short
 * buffer or variable data running past its end, -EPROTONOSUPPORT for another report
 * type. The result points into p. */
int hcl_report_parse(const uint8_t *p, size_t n, struct hcl_report *ret);
