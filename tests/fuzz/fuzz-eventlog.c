/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the firmware event-log walker of aa/eventlog.c (upstream's trim_ccel)
 * and the AAEL record writer: whatever the walker accepts ends at an end mark inside the
 * input and walks the same on the trimmed copy; and any event text written as AAEL
 * records behind the fixed header walks to exactly the end mark. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aa/eventlog.h"
#include "common/buf.h"

static const uint8_t ff[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t zero[8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	size_t n, again, want;

	if (aa_eventlog_ccel_trim(data, size, &n) == 0) {
		if (n > size || size - n < 8)
			abort();
		if (memcmp(data + n, ff, 8) != 0 && memcmp(data + n, zero, 8) != 0)
			abort();
		if (buf_append(&b, data, n) < 0 || buf_append(&b, ff, 8) < 0)
			return 0;
		if (aa_eventlog_ccel_trim(b.data, b.len, &again) != 0 || again != n)
			abort();
	}

	if (size > 1 << 16)
		return 0;
	buf_reset(&b);
	if (buf_append(&b, aa_eventlog_el_header, sizeof(aa_eventlog_el_header)) < 0 ||
	    aa_eventlog_record(DIGEST_SHA384, 4, (const char *) data, size, &b, NULL) < 0 ||
	    aa_eventlog_record(DIGEST_SM3, 3, (const char *) data, size / 2, &b, NULL) < 0)
		return 0;
	want = b.len;
	if (buf_append(&b, ff, 8) < 0)
		return 0;
	if (aa_eventlog_ccel_trim(b.data, b.len, &again) != 0 || again != want)
		abort();
	return 0;
}
