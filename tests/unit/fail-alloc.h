/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation failure injection shared by every unit test (fail-alloc.c). */
#pragma once

#include <stdbool.h>

/* A test's own schedule (test-toml-oom.c): hook() returning nonzero fails the current
 * allocation. NULL removes it. */
void fail_alloc_set_hook(long (*hook)(void));

/* True when COCOBOX_FAIL_ALLOC is walking this process: an assertion that fails then
 * means "an injected failure surfaced", not a bug, and the harness exits instead of
 * aborting (tests.h). */
bool fail_alloc_active(void);
