/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny TAP test harness. TESTS(a, b, ...) generates main(): it runs each case in
 * order (or only those named in $TESTFUNCS, space-separated), prints "ok N name", and a
 * failed ASSERT prints file:line, the expression and both values, then aborts. */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Defined by tests/unit/fail-alloc.c where a test links it. */
bool fail_alloc_active(void) __attribute__((weak));

/* Under an injected allocation failure a failed assertion is expected: exit 99, which
 * tests/unit/alloc-torture.py tells apart from a crash. */
#define FAIL_(fmt, ...)                                                                            \
	do {                                                                                       \
		printf("not ok - %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);              \
		fflush(stdout);                                                                    \
		if (fail_alloc_active && fail_alloc_active())                                      \
			_exit(99);                                                                 \
		abort();                                                                           \
	} while (0)

#define ASSERT_TRUE(e)                                                                             \
	do {                                                                                       \
		if (!(e))                                                                          \
			FAIL_("%s is false", #e);                                                  \
	} while (0)
#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		intmax_t _a = (intmax_t) (a), _b = (intmax_t) (b);                                 \
		if (_a != _b)                                                                      \
			FAIL_("%s == %s: %jd != %jd", #a, #b, _a, _b);                             \
	} while (0)
#define ASSERT_OK(r)                                                                               \
	do {                                                                                       \
		intmax_t _r = (intmax_t) (r);                                                      \
		if (_r < 0)                                                                        \
			FAIL_("%s failed: %jd (%s)", #r, _r, strerror((int) -_r));                 \
	} while (0)
#define ASSERT_ERR(r, err)                                                                         \
	do {                                                                                       \
		intmax_t _r = (intmax_t) (r), _e = (intmax_t) (err);                               \
		if (_r != _e)                                                                      \
			FAIL_("%s: expected %jd (%s), got %jd (%s)", #r, _e, strerror((int) -_e),  \
			      _r, _r < 0 ? strerror((int) -_r) : "success");                       \
	} while (0)
#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                             \
			FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)",            \
			      _b ? _b : "(null)");                                                 \
	} while (0)
#define ASSERT_MEMEQ(a, b, n)                                                                      \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0)                                                    \
			FAIL_("%s and %s differ in their first %zu bytes", #a, #b, (size_t) (n));  \
	} while (0)

/* SKIP("why") ends the current case, which is then reported "ok N name # SKIP why"
 * (a missing optional peer, never a failure in disguise). */
static const char *test_skip_reason_;
#define SKIP(why)                                                                                  \
	do {                                                                                       \
		test_skip_reason_ = (why);                                                         \
		return;                                                                            \
	} while (0)

struct test_case {
	const char *name;
	void (*fn)(void);
};

static inline int tests_run(const struct test_case *t, size_t n)
{
	const char *only = getenv("TESTFUNCS");
	size_t planned = 0, i, k = 0;

	for (i = 0; i < n; i++)
		planned += !only || strstr(only, t[i].name) != NULL;
	printf("1..%zu\n", planned);
	for (i = 0; i < n; i++) {
		if (only && !strstr(only, t[i].name))
			continue;
		t[i].fn();
		if (test_skip_reason_)
			printf("ok %zu %s # SKIP %s\n", ++k, t[i].name, test_skip_reason_);
		else
			printf("ok %zu %s\n", ++k, t[i].name);
		test_skip_reason_ = NULL;
		fflush(stdout);
	}
	return 0;
}

#define TEST_ENTRY_(f) { #f, f },
#define TESTS(...)                                                                                 \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct test_case cases[] = { TEST_FOREACH_(TEST_ENTRY_,               \
									__VA_ARGS__) };            \
		return tests_run(cases, sizeof(cases) / sizeof(cases[0]));                         \
	}

/* Up to 40 cases per file. */
#define TEST_FE_1(m, x) m(x)
#define TEST_FE_2(m, x, ...) m(x) TEST_FE_1(m, __VA_ARGS__)
#define TEST_FE_3(m, x, ...) m(x) TEST_FE_2(m, __VA_ARGS__)
#define TEST_FE_4(m, x, ...) m(x) TEST_FE_3(m, __VA_ARGS__)
#define TEST_FE_5(m, x, ...) m(x) TEST_FE_4(m, __VA_ARGS__)
#define TEST_FE_6(m, x, ...) m(x) TEST_FE_5(m, __VA_ARGS__)
#define TEST_FE_7(m, x, ...) m(x) TEST_FE_6(m, __VA_ARGS__)
#define TEST_FE_8(m, x, ...) m(x) TEST_FE_7(m, __VA_ARGS__)
#define TEST_FE_9(m, x, ...) m(x) TEST_FE_8(m, __VA_ARGS__)
#define TEST_FE_10(m, x, ...) m(x) TEST_FE_9(m, __VA_ARGS__)
#define TEST_FE_11(m, x, ...) m(x) TEST_FE_10(m, __VA_ARGS__)
#define TEST_FE_12(m, x, ...) m(x) TEST_FE_11(m, __VA_ARGS__)
#define TEST_FE_13(m, x, ...) m(x) TEST_FE_12(m, __VA_ARGS__)
#define TEST_FE_14(m, x, ...) m(x) TEST_FE_13(m, __VA_ARGS__)
#define TEST_FE_15(m, x, ...) m(x) TEST_FE_14(m, __VA_ARGS__)
#define TEST_FE_16(m, x, ...) m(x) TEST_FE_15(m, __VA_ARGS__)
#define TEST_FE_17(m, x, ...) m(x) TEST_FE_16(m, __VA_ARGS__)
#define TEST_FE_18(m, x, ...) m(x) TEST_FE_17(m, __VA_ARGS__)
#define TEST_FE_19(m, x, ...) m(x) TEST_FE_18(m, __VA_ARGS__)
#define TEST_FE_20(m, x, ...) m(x) TEST_FE_19(m, __VA_ARGS__)
#define TEST_FE_21(m, x, ...) m(x) TEST_FE_20(m, __VA_ARGS__)
#define TEST_FE_22(m, x, ...) m(x) TEST_FE_21(m, __VA_ARGS__)
#define TEST_FE_23(m, x, ...) m(x) TEST_FE_22(m, __VA_ARGS__)
#define TEST_FE_24(m, x, ...) m(x) TEST_FE_23(m, __VA_ARGS__)
#define TEST_FE_25(m, x, ...) m(x) TEST_FE_24(m, __VA_ARGS__)
#define TEST_FE_26(m, x, ...) m(x) TEST_FE_25(m, __VA_ARGS__)
#define TEST_FE_27(m, x, ...) m(x) TEST_FE_26(m, __VA_ARGS__)
#define TEST_FE_28(m, x, ...) m(x) TEST_FE_27(m, __VA_ARGS__)
#define TEST_FE_29(m, x, ...) m(x) TEST_FE_28(m, __VA_ARGS__)
#define TEST_FE_30(m, x, ...) m(x) TEST_FE_29(m, __VA_ARGS__)
#define TEST_FE_31(m, x, ...) m(x) TEST_FE_30(m, __VA_ARGS__)
#define TEST_FE_32(m, x, ...) m(x) TEST_FE_31(m, __VA_ARGS__)
#define TEST_FE_33(m, x, ...) m(x) TEST_FE_32(m, __VA_ARGS__)
#define TEST_FE_34(m, x, ...) m(x) TEST_FE_33(m, __VA_ARGS__)
#define TEST_FE_35(m, x, ...) m(x) TEST_FE_34(m, __VA_ARGS__)
#define TEST_FE_36(m, x, ...) m(x) TEST_FE_35(m, __VA_ARGS__)
#define TEST_FE_37(m, x, ...) m(x) TEST_FE_36(m, __VA_ARGS__)
#define TEST_FE_38(m, x, ...) m(x) TEST_FE_37(m, __VA_ARGS__)
#define TEST_FE_39(m, x, ...) m(x) TEST_FE_38(m, __VA_ARGS__)
#define TEST_FE_40(m, x, ...) m(x) TEST_FE_39(m, __VA_ARGS__)
#define TEST_FE_PICK_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17,  \
		      _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32,   \
		      _33, _34, _35, _36, _37, _38, _39, _40, NAME, ...)                           \
	NAME
#define TEST_FOREACH_(m, ...)                                                                      \
	TEST_FE_PICK_(__VA_ARGS__, TEST_FE_40, TEST_FE_39, TEST_FE_38, TEST_FE_37, TEST_FE_36,     \
		      TEST_FE_35, TEST_FE_34, TEST_FE_33, TEST_FE_32, TEST_FE_31, TEST_FE_30,      \
		      TEST_FE_29, TEST_FE_28, TEST_FE_27, TEST_FE_26, TEST_FE_25, TEST_FE_24,      \
		      TEST_FE_23, TEST_FE_22, TEST_FE_21, TEST_FE_20, TEST_FE_19, TEST_FE_18,      \
		      TEST_FE_17, TEST_FE_16, TEST_FE_15, TEST_FE_14, TEST_FE_13, TEST_FE_12,      \
		      TEST_FE_11, TEST_FE_10, TEST_FE_9, TEST_FE_8, TEST_FE_7, TEST_FE_6,          \
		      TEST_FE_5, TEST_FE_4, TEST_FE_3, TEST_FE_2, TEST_FE_1)                       \
	(m, __VA_ARGS__)
