/* SPDX-License-Identifier: Apache-2.0 */
/* applets.def must stay sorted and free of duplicates (BusyBox's generator rule). */
#include "common/applet.h"
#include "common/macro.h"
#include "tests/unit/tests.h"

extern const struct applet cocobox_applets[];
extern const size_t cocobox_n_applets;

static void test_sorted_unique(void)
{
	ASSERT_TRUE(cocobox_n_applets > 0);
	for (size_t i = 1; i < cocobox_n_applets; i++)
		ASSERT_TRUE(strcmp(cocobox_applets[i - 1].name, cocobox_applets[i].name) < 0);
}

static void test_find(void)
{
	const struct applet *a = applet_find(cocobox_applets, cocobox_n_applets,
					     cocobox_applets[0].name);

	ASSERT_TRUE(a == &cocobox_applets[0]);
	ASSERT_TRUE(applet_find(cocobox_applets, cocobox_n_applets, "no-such-applet") == NULL);
}

TESTS(test_sorted_unique, test_find)
