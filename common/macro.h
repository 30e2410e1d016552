/* SPDX-License-Identifier: Apache-2.0 */
/* Small language helpers used everywhere: cleanup attributes, ownership moves,
 * array sizes, string predicates. Nothing here allocates or logs. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x)                                                                              \
	(__builtin_choose_expr(!__builtin_types_compatible_p(__typeof__(x), __typeof__(&*(x))),    \
			       sizeof(x) / sizeof((x)[0]), (void) 0))

#define MIN(a, b)                                                                                  \
	({                                                                                         \
		__typeof__(a) _a = (a);                                                            \
		__typeof__(b) _b = (b);                                                            \
		_a < _b ? _a : _b;                                                                 \
	})
#define MAX(a, b)                                                                                  \
	({                                                                                         \
		__typeof__(a) _a = (a);                                                            \
		__typeof__(b) _b = (b);                                                            \
		_a > _b ? _a : _b;                                                                 \
	})

#define DEFINE_POINTER_CLEANUP(type, fn)                                                           \
	static inline void fn##p(type *p)                                                          \
	{                                                                                          \
		if (*p)                                                                            \
			(void) fn(*p);                                                             \
	}

static inline void freep(void *p)
{
	free(*(void **) p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void) close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Move ownership out of a cleanup variable. */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) _stolen = (p);                                                       \
		(p) = NULL;                                                                        \
		_stolen;                                                                           \
	})
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int _stolen = (fd);                                                                \
		(fd) = -EBADF;                                                                     \
		_stolen;                                                                           \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return streq(a, b);
}

static inline bool isempty(const char *s)
{
	return !s || !*s;
}

/* Returns the part of s after prefix, or NULL when s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static inline bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* Returns -errno from the last libc failure, never 0 (a caller treats it as failure). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline const char *path_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}
