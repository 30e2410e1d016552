/* SPDX-License-Identifier: Apache-2.0 */
/* The attester table: detection falls back to sample, lookup by upstream's names, and
 * the test root every device path goes through. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attester.h"
#include "tests/unit/tests.h"

static void test_detect_falls_back_to_sample(void)
{
	/* Nothing under an empty root looks like a TEE. */
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", "/nonexistent-cocobox-root", 1));
	ASSERT_STREQ(attester_detect()->name, "sample");
	ASSERT_TRUE(attester_find("sample") == &attester_sample);
	ASSERT_TRUE(attester_find("no-such-tee") == NULL);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

static void test_path_root(void)
{
	char out[PATH_MAX], longroot[PATH_MAX];

	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
	ASSERT_STREQ(attester_path("/dev/tdx_guest", out), "/dev/tdx_guest");
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", "/tmp/r", 1));
	ASSERT_STREQ(attester_path("/dev/tdx_guest", out), "/tmp/r/dev/tdx_guest");

	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = 0;
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", longroot, 1));
	errno = 0;
	ASSERT_TRUE(attester_path("/dev/tdx_guest", out) == NULL);
	ASSERT_EQ(errno, ENAMETOOLONG);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

static void test_sample_evidence(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(4096);
	const uint8_t rd[3] = { 'a', 'b', 'c' };

	ASSERT_OK(attester_sample.evidence(rd, sizeof(rd), &b));
	ASSERT_TRUE(b.len == strlen("{\"report_data\":\"YWJj\",\"svn\":\"1\"}"));
	ASSERT_MEMEQ(b.data, "{\"report_data\":\"YWJj\",\"svn\":\"1\"}", b.len);
}

TESTS(test_detect_falls_back_to_sample, test_path_root, test_sample_evidence)
