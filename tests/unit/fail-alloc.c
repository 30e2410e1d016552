/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation failure injection for the unit tests (curl's torture idea, STYLE.md §3.11):
 * every unit test is linked with -Wl,--wrap for the allocators (fail-alloc.h's
 * FAIL_ALLOC_WRAPS), which covers our code and the static libraries alike.
 * COCOBOX_FAIL_ALLOC=N makes the Nth allocation of the process return NULL (ENOMEM);
 * COCOBOX_ALLOC_COUNT=PATH writes the number of allocations made to PATH at exit, so
 * tests/unit/alloc-torture.py knows which N to walk. Unset, both cost one branch. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fail-alloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_reallocarray(void *p, size_t n, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_posix_memalign(void **p, size_t align, size_t n);

static atomic_long calls;
static long fail_at = -1; /* 1-based allocation to fail; -1: none */
static long (*manual)(void);
static const char *count_path;

static void write_count(void)
{
	char line[32];
	int fd, n;

	fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%ld\n", atomic_load(&calls));
	if (write(fd, line, (size_t) n) < 0)
		n = 0;
	close(fd);
}

__attribute__((constructor)) static void fail_alloc_init(void)
{
	const char *s = getenv("COCOBOX_FAIL_ALLOC");

	if (s)
		fail_at = strtol(s, NULL, 10);
	count_path = getenv("COCOBOX_ALLOC_COUNT");
	if (count_path)
		atexit(write_count);
}

void fail_alloc_set_hook(long (*hook)(void))
{
	manual = hook;
}

bool fail_alloc_active(void)
{
	return fail_at > 0;
}

static bool fail_now(void)
{
	long k = atomic_fetch_add(&calls, 1) + 1;

	if (manual && manual())
		return true;
	if (k != fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
	return fail_now() ? NULL : __real_reallocarray(p, n, size);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	return fail_now() ? ENOMEM : __real_posix_memalign(p, align, n);
}
