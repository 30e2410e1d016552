/* SPDX-License-Identifier: Apache-2.0 */
#include "common/secret.h"
#include "tests/unit/tests.h"

static void test_alloc_zeroed_and_copy(void)
{
	_cleanup_secret_ struct secret *s = secret_alloc(32), *c = NULL;

	ASSERT_TRUE(s != NULL);
	for (size_t i = 0; i < 32; i++)
		ASSERT_EQ(s->p[i], 0);
	c = secret_new_copy("key", 3);
	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(c->n, 3);
	ASSERT_MEMEQ(c->p, "key", 3);
}

static void test_truncate_wipes_tail(void)
{
	_cleanup_secret_ struct secret *s = secret_new_copy("abcdef", 6);

	ASSERT_TRUE(s);
	secret_truncate(s, 2);
	ASSERT_EQ(s->n, 2);
	ASSERT_EQ(s->p[2], 0);
	ASSERT_EQ(s->p[5], 0);
	ASSERT_TRUE(secret_free(NULL) == NULL);
}

TESTS(test_alloc_zeroed_and_copy, test_truncate_wipes_tail)
