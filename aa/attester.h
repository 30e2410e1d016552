/* SPDX-License-Identifier: Apache-2.0 */
/* The attester backends: one file each under attesters/, a compile-time table in
 * attester.c, detected in upstream's order (guest-components attester/src/lib.rs
 * detect_tee_type; upstream.md §3.1). A NULL slot means "not supported by this TEE"
 * and the caller answers as upstream does for Unsupported. */
#pragma once

#include <limits.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digest.h"

struct attester_ops {
	/* upstream's serde name of the Tee: "tdx", "snp", "sample", ... */
	const char *name;
	/* True when this machine has the TEE (paths through attester_path()). */
	bool (*detect)(void);
	/* Appends the evidence JSON (upstream's exact shape) for report_data to out.
	 * -EINVAL when report_data is longer than the TEE takes; -errno from the device. */
	int (*evidence)(const uint8_t *report_data, size_t n, struct buf *out);

	/* Runtime measurement (NULL mr_extend: unsupported). mr_alg is upstream's
	 * ccel_hash_algorithm, pcr_to_mr its pcr_to_ccmr. mr_read fills the register's
	 * current value (digest_size(mr_alg) bytes); mr_extend extends it with digest
	 * (n bytes, resized to the register width as upstream does). */
	enum digest_alg mr_alg;
	unsigned (*pcr_to_mr)(unsigned pcr);
	/* Whether this machine can extend right now, for TEEs where it depends on the
	 * running kernel (TDX: only with the measurements sysfs of Linux >= 6.16), as
	 * upstream's supports_runtime_measurement(). NULL: supported iff mr_extend is set.
	 * When it says no, mr_extend returns -EOPNOTSUPP; treat both as "unsupported". */
	bool (*mr_supported)(void);
	int (*mr_read)(unsigned mr, uint8_t *out);
	int (*mr_extend)(unsigned mr, const uint8_t *digest, size_t n);

	/* Init-data binding (NULL: unsupported). Returns 0 when the TEE's binding field
	 * equals digest resized to the field (or, on TPMs, after extending PCR 8), -EPERM
	 * on mismatch (logging upstream's text), -errno otherwise. */
	int (*bind_initdata)(const uint8_t *digest, size_t n);
};

/* The primary attester: the first in upstream's order whose detect() says yes; the
 * sample attester when none does. Never NULL. */
const struct attester_ops *attester_detect(void);
const struct attester_ops *attester_find(const char *name);

/* Every device, sysfs, configfs and ACPI path an attester opens goes through here:
 * path prefixed with $COCOBOX_ATTESTER_ROOT when that is set (tests point it at a FUSE
 * configfs-tsm and fake sysfs files), else path itself. Returns out, or NULL when the
 * result does not fit (errno ENAMETOOLONG). */
const char *attester_path(const char *path, char out[static PATH_MAX]);

/* The additional device attesters present, in upstream's order (detect_attestable_devices:
 * sampledevice; tpm as a secondary only in builds without tdx and Azure attesters, when
 * the primary is not tpm). Fills out (at most max) and returns how many. */
size_t attester_additional(const struct attester_ops *primary, const struct attester_ops **out,
			   size_t max);

/* GetAdditionalEvidence: the JSON object {"<tee>": <evidence>, ...} of every additional
 * attester for report_data, appended to out; nothing when there is none (upstream's
 * empty bytes). */
int attester_additional_evidence(const struct attester_ops *primary, const uint8_t *report_data,
				 size_t n, struct buf *out);

extern const struct attester_ops attester_sample;
extern const struct attester_ops attester_sample_device;
extern const struct attester_ops attester_snp;
extern const struct attester_ops attester_tdx;
extern const struct attester_ops attester_cca;
extern const struct attester_ops attester_tpm;
extern const struct attester_ops attester_az_snp_vtpm;
extern const struct attester_ops attester_az_tdx_vtpm;
