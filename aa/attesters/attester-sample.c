/* SPDX-License-Identifier: Apache-2.0 */
/* The sample attester: no TEE, evidence {"report_data":"<base64>","svn":"1"}
 * (guest-components attester/src/sample/mod.rs; upstream.md §3.2). Keys sorted: upstream
 * serializes every evidence through serde_json::Value, whose map is ordered by key. Upstream falls back
 * to it, with a warning, when no TEE is detected. */
#include <stdlib.h>

#include "aa/attester.h"
#include "common/b64.h"

static bool sample_detect(void)
{
	/* Only reached when nothing better answered: the table ends with it. */
	return true;
}

static int sample_json(const char *svn, const uint8_t *report_data, size_t n, struct buf *out)
{
	int r;

	r = buf_append_str(out, "{\"report_data\":\"");
	if (r < 0)
		return r;
	/* Base64 output needs no JSON escaping. */
	r = b64_encode(B64_STD, report_data, n, out);
	if (r < 0)
		return r;
	return buf_appendf(out, "\",\"svn\":\"%s\"}", svn);
}

static int sample_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	return sample_json("1", report_data, n, out);
}

/* sample_device/mod.rs: an additional device attester when $ENABLE_SAMPLE_DEVICE is set
 * (to anything), evidence as the sample's with svn "2". */
static bool sample_device_detect(void)
{
	return getenv("ENABLE_SAMPLE_DEVICE") != NULL;
}

static int sample_device_evidence(const uint8_t *report_data, size_t n, struct buf *out)
{
	return sample_json("2", report_data, n, out);
}

const struct attester_ops attester_sample_device = {
	.name = "sampledevice",
	.detect = sample_device_detect,
	.evidence = sample_device_evidence,
};

const struct attester_ops attester_sample = {
	.name = "sample",
	.detect = sample_detect,
	.evidence = sample_evidence,
};
