/* SPDX-License-Identifier: Apache-2.0 */
#include "common/log.h"
#include "tests/unit/tests.h"

static void test_levels(void)
{
	enum log_level l;

	ASSERT_OK(log_level_from_string("DEBUG", &l));
	ASSERT_EQ(l, LOG_LEVEL_DEBUG);
	ASSERT_OK(log_level_from_string("warn", &l));
	ASSERT_EQ(l, LOG_LEVEL_WARNING);
	ASSERT_ERR(log_level_from_string("loud", &l), -EINVAL);
}

static void test_rust_log_filter(void)
{
	log_open("confidential-data-hub");
	log_set_level(LOG_LEVEL_INFO);
	log_parse_filter("debug");
	ASSERT_EQ(log_get_level(), LOG_LEVEL_DEBUG);
	/* A directive for this applet, in crate spelling, beats the global level. */
	log_parse_filter("warn,confidential_data_hub=trace");
	ASSERT_EQ(log_get_level(), LOG_LEVEL_TRACE);
	log_parse_filter("attestation_agent=debug,error");
	ASSERT_EQ(log_get_level(), LOG_LEVEL_ERROR);
	log_parse_filter("nonsense");
	ASSERT_EQ(log_get_level(), LOG_LEVEL_ERROR);
}

static void test_errno_return(void)
{
	log_set_level(LOG_LEVEL_OFF);
	ASSERT_EQ(log_error_errno(-ENOENT, "x %m"), -ENOENT);
	ASSERT_EQ(log_error_errno(ENOENT, "x"), -ENOENT);
	log_set_level(LOG_LEVEL_ERROR);
	ASSERT_EQ(log_error_errno(-EACCES, "expected test message: %m"), -EACCES);
}

TESTS(test_levels, test_rust_log_filter, test_errno_return)
