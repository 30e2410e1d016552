/* SPDX-License-Identifier: Apache-2.0 */
/* The configfs-tsm report client shared by the TDX, CCA (and SNP) attesters: one
 * fresh directory under /sys/kernel/config/tsm/report per request, as upstream's
 * attester/src/tsm_report/mod.rs does (upstream.md §3.2). The ABI is the kernel's
 * Documentation/ABI/testing/configfs-tsm. Paths go through attester_path(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

#define TSM_REPORT_PATH "/sys/kernel/config/tsm/report"
/* include/linux/tsm.h TSM_INBLOB_MAX: the kernel refuses longer writes (-EFBIG). */
#define TSM_INBLOB_MAX 64
/* The kernel caps outblob at TSM_OUTBLOB_MAX = SZ_32K (every tsm.h version seen). We
 * read up to 1 MiB so a later kernel with a larger cap still works, while a runaway
 * provider cannot make us allocate without bound. */
#define TSM_OUTBLOB_READ_MAX (1024 * 1024)

/* Provider names as the kernel's "provider" attribute spells them (without the "\n"). */
#define TSM_PROVIDER_TDX "tdx_guest"
#define TSM_PROVIDER_CCA "arm_cca_guest"
#define TSM_PROVIDER_SEV "sev_guest"

/* No privlevel write (TDX, CCA). */
#define TSM_PRIVLEVEL_NONE (-1)
/* Write the provider's privlevel_floor (SEV-SNP: the guest's own VMPL). */
#define TSM_PRIVLEVEL_FLOOR (-2)

/* Generates one report: creates a unique directory under TSM_REPORT_PATH, checks that
 * its "provider" reads exactly "<provider>\n", writes privlevel (0..3, as decimal text,
 * only when >= 0; TSM_PRIVLEVEL_FLOOR writes what "privlevel_floor" says), writes
 * inblob[0..n) to "inblob", reads "outblob" and, when aux is non-NULL, "auxblob" (SEV-SNP:
 * the host's certificate table; nothing when the file is absent), then reads "generation"
 * and fails when it counts more writes than ours (someone else wrote in between, so the
 * blobs may answer their request). On success outblob is appended to out and auxblob to
 * aux. The directory is removed on every path; out and aux are left untouched on failure.
 * Errors: -EINVAL empty inblob or privlevel out of range; -E2BIG n > TSM_INBLOB_MAX or outblob
 * larger than TSM_OUTBLOB_READ_MAX (or than out->max allows); -EOPNOTSUPP no
 * configfs-tsm report directory; -ENODEV the provider is another one (or unreadable
 * text); -EBUSY generation past our writes; -EBADMSG empty outblob, or a generation or privlevel_floor
 * that is not a number; -errno from the file system (mkdir, open, read, write). */
int tsm_report(const char *provider, int privlevel, const uint8_t *inblob, size_t n,
	       struct buf *out, struct buf *aux);

/* True when a report directory can be created and its provider is provider (the
 * detect() probe of upstream's TsmReportPath::new). Leaves nothing behind. */
bool tsm_report_available(const char *provider);
