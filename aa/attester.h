/* SPDX-License-Identifier: Apache-2.0 */
/* The attester backends: one file each under attesters/, a compile-time table in
 * attester.c, detected in upstream's order (guest-components attester/src/lib.rs
 * detect_tee_type; upstream.md §3.1). A NULL slot means "not supported by this TEE"
 * and the caller answers -EOPNOTSUPP. */
#pragma once

#include <stdint.h>

#include "common/buf.h"

struct attester_ops {
	/* upstream's serde name of the Tee: "tdx", "snp", "sample", ... */
	const char *name;
	/* True when this machine has the TEE. */
	bool (*detect)(void);
	/* Appends the evidence JSON for report_data to out. */
	int (*evidence)(const uint8_t *report_data, size_t n, struct buf *out);
};

/* The primary attester: the first in upstream's order whose detect() says yes; the
 * sample attester when none does. Never NULL. */
const struct attester_ops *attester_detect(void);
const struct attester_ops *attester_find(const char *name);

extern const struct attester_ops attester_sample;
