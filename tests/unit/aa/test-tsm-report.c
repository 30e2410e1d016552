/* SPDX-License-Identifier: Apache-2.0 */
/* The configfs-tsm client: provider and generation checks on plain files (as upstream's
 * tsm_report tests do), argument limits, and that a failed request removes its report
 * directory. The full request runs against the FUSE configfs-tsm in
 * tests/integration/test-attester-tdx.sh. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aa/attesters/tsm-report.c"
#include "tests/unit/tests.h"

static char tmp[] = "/tmp/test-tsm-report.XXXXXX";

static int put(int dirfd, const char *name, const char *text)
{
	return fs_write_atomic(dirfd, name, text, strlen(text), 0644);
}

static int open_tmp(void)
{
	if (!tmp[0] || strstr(tmp, "XXXXXX"))
		ASSERT_TRUE(mkdtemp(tmp) != NULL);
	return open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_provider(void)
{
	_cleanup_close_ int d = open_tmp();

	ASSERT_TRUE(d >= 0);
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENOENT);
	ASSERT_OK(put(d, "provider", "tdx_guest\n"));
	ASSERT_OK(tsm_check_provider(d, "tdx_guest"));
	ASSERT_ERR(tsm_check_provider(d, "arm_cca_guest"), -ENODEV);
	ASSERT_ERR(tsm_check_provider(d, "tdx"), -ENODEV);
	ASSERT_OK(put(d, "provider", "sev_guest\n"));
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENODEV);
	ASSERT_OK(put(d, "provider", "tdx_guest"));
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENODEV);
	ASSERT_OK(put(d, "provider", "tdx_guest\n\n"));
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENODEV);
	ASSERT_OK(put(d, "provider", "foo_guest\n"));
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENODEV);
	/* Longer than any provider name: refused without reading it all. */
	ASSERT_OK(put(d, "provider",
		      "tdx_guest_0123456789012345678901234567890123456789012345678901234567890\n"));
	ASSERT_ERR(tsm_check_provider(d, "tdx_guest"), -ENODEV);
	ASSERT_OK(unlinkat(d, "provider", 0));
}

static void test_generation(void)
{
	_cleanup_close_ int d = open_tmp();

	ASSERT_TRUE(d >= 0);
	ASSERT_ERR(tsm_check_generation(d, 1), -ENOENT);
	ASSERT_OK(put(d, "generation", "1\n"));
	ASSERT_OK(tsm_check_generation(d, 1));
	ASSERT_OK(put(d, "generation", "0\n"));
	ASSERT_OK(tsm_check_generation(d, 1));
	ASSERT_OK(put(d, "generation", "2\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBUSY);
	/* privlevel and inblob: two writes of ours. */
	ASSERT_OK(tsm_check_generation(d, 2));
	ASSERT_OK(put(d, "generation", "3\n"));
	ASSERT_ERR(tsm_check_generation(d, 2), -EBUSY);
	ASSERT_OK(put(d, "generation", "4294967295\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBUSY);
	ASSERT_OK(put(d, "generation", "4294967296\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(put(d, "generation", "parseerror\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(put(d, "generation", "\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(put(d, "generation", "-1\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(put(d, "generation", " 1\n"));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(fs_write_atomic(d, "generation", "1\0", 2, 0644));
	ASSERT_ERR(tsm_check_generation(d, 1), -EBADMSG);
	ASSERT_OK(unlinkat(d, "generation", 0));
}

static bool dir_is_empty(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;
	bool empty = true;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

static void test_request_limits_and_cleanup(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	uint8_t in[TSM_INBLOB_MAX + 1] = { 1 };
	char root[PATH_MAX], reports[PATH_MAX];
	_cleanup_close_ int d = open_tmp();

	ASSERT_TRUE(d >= 0);
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", tmp, 1));
	ASSERT_ERR(tsm_report("tdx_guest", TSM_PRIVLEVEL_NONE, in, 0, &out, NULL), -EINVAL);
	ASSERT_ERR(tsm_report("tdx_guest", TSM_PRIVLEVEL_NONE, in, sizeof(in), &out, NULL), -E2BIG);
	ASSERT_ERR(tsm_report("sev_guest", 4, in, 64, &out, NULL), -EINVAL);
	/* No configfs-tsm at all. */
	ASSERT_ERR(tsm_report("tdx_guest", TSM_PRIVLEVEL_NONE, in, 64, &out, NULL), -EOPNOTSUPP);
	ASSERT_TRUE(!tsm_report_available("tdx_guest"));

	/* A plain directory: mkdir works but no provider attribute appears; the request
	 * fails and its directory is gone again. */
	(void) snprintf(root, sizeof(root), "%s%s", tmp, TSM_REPORT_PATH);
	ASSERT_OK(fs_mkdir_p(root, 0755));
	ASSERT_ERR(tsm_report("tdx_guest", TSM_PRIVLEVEL_NONE, in, 64, &out, NULL), -ENOENT);
	ASSERT_TRUE(dir_is_empty(root));
	ASSERT_TRUE(!tsm_report_available("tdx_guest"));
	ASSERT_TRUE(dir_is_empty(root));
	ASSERT_EQ(out.len, 0);

	(void) snprintf(reports, sizeof(reports), "rm -rf '%s'", tmp);
	ASSERT_EQ(system(reports), 0);
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

static void test_unique_names(void)
{
	char a[64], b[64];

	tsm_unique_name(a, sizeof(a));
	tsm_unique_name(b, sizeof(b));
	ASSERT_TRUE(startswith(a, "cocobox.") != NULL);
	ASSERT_TRUE(!streq(a, b));
	ASSERT_TRUE(strchr(a, '/') == NULL);
}

TESTS(test_provider, test_generation, test_request_limits_and_cleanup, test_unique_names)
