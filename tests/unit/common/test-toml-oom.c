/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation failure torture for common/toml.c (curl's idea): through the allocator
 * wrappers every unit test has (tests/unit/fail-alloc.c), it fails the 1st, 2nd, ...
 * allocation of a parse in turn. Each run must end in -ENOMEM with a message, or succeed once no failure is left
 * to inject; ASan's leak check (in the sanitizer build) catches what a failure path
 * forgets to free. */
#include <stdint.h>
#include <stdio.h>

#include "common/toml.h"
#include "tests/unit/fail-alloc.h"
#include "tests/unit/tests.h"

static long countdown = -1; /* allocations left before one fails; -1: never */

static long fail_now(void)
{
	if (countdown < 0)
		return 0;
	return countdown-- == 0;
}

static const char doc[] = "title = \"TOML \\u00e9\"\n"
			  "num = 1_000\nflt = 3.5e1\nyes = true\nwhen = 1979-05-27T07:32:00-08:00\n"
			  "dotted.a.b = 'x'\n"
			  "arr = [1, [2, 3], { in = \"line\" }, '''lit''']\n"
			  "inl = { a.b = 1, c = [ { d = 2 } ] }\n"
			  "k1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\nk7 = 7\nk8 = 8\nk9 = 9\n"
			  "[tbl.sub]\nml = \"\"\"\nmulti\\\n  line\"\"\"\n"
			  "[[aot]]\nx = 1\n[[aot]]\ny = 2\n[aot.under]\nz = 3\n"
			  "[tbl]\nlater = 1\n";

static void test_every_allocation_fails_once(void)
{
	long n;

	fail_alloc_set_hook(fail_now);
	for (n = 0;; n++) {
		struct toml_value *t = NULL;
		struct toml_error err;
		int r;

		countdown = n;
		r = toml_parse(doc, sizeof(doc) - 1, &t, &err);
		countdown = -1;
		if (r == 0) {
			ASSERT_EQ(toml_count(t), 19);
			toml_free(t);
			break;
		}
		if (r != -ENOMEM)
			printf("# allocation %ld: %d %u:%u %s\n", n, r, err.line, err.column,
			       err.message);
		ASSERT_ERR(r, -ENOMEM);
		ASSERT_STREQ(err.message, "out of memory");
		ASSERT_TRUE(err.line > 0);
		ASSERT_TRUE(t == NULL);
	}
	printf("# %ld allocation failures injected\n", n);
	/* The document needs far more than a handful of allocations. */
	ASSERT_TRUE(n > 50);
}

/* Failures while a big table grows its index. */
static void test_index_growth_fails(void)
{
	char buf[64 * 16];
	size_t len = 0;
	long n;

	fail_alloc_set_hook(fail_now);
	for (int i = 0; i < 64; i++)
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, "key%d = %d\n", i, i);
	for (n = 0;; n++) {
		struct toml_value *t = NULL;
		int r;

		countdown = n;
		r = toml_parse(buf, len, &t, NULL);
		countdown = -1;
		if (r == 0) {
			ASSERT_EQ(toml_count(t), 64);
			toml_free(t);
			break;
		}
		ASSERT_ERR(r, -ENOMEM);
	}
}

TESTS(test_every_allocation_fails_once, test_index_growth_fails)
