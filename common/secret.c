/* SPDX-License-Identifier: Apache-2.0 */
/* Locked, wiped allocations for key material. */
#include <string.h>
#include <sys/mman.h>

#include "secret.h"

struct secret_block {
	size_t cap;
	bool locked;
	/* Keeps the payload aligned for any key schedule a library lays over it. */
	_Alignas(16) uint8_t data[];
};

static struct secret_block *block_of(const struct secret *s)
{
	return (struct secret_block *) (s->p - offsetof(struct secret_block, data));
}

struct secret *secret_alloc(size_t n)
{
	struct secret_block *blk;
	struct secret *s;

	if (n > SIZE_MAX / 2)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	blk = calloc(1, sizeof(*blk) + n + 1);
	if (!blk) {
		free(s);
		return NULL;
	}
	blk->cap = n + 1;
	/* Failing to lock (RLIMIT_MEMLOCK) is tolerated: wiping still happens. */
	blk->locked = mlock(blk->data, blk->cap) == 0;
	s->p = blk->data;
	s->n = n;
	return s;
}

struct secret *secret_new_copy(const void *p, size_t n)
{
	struct secret *s = secret_alloc(n);

	if (s && n)
		memcpy(s->p, p, n);
	return s;
}

struct secret *secret_free(struct secret *s)
{
	struct secret_block *blk;

	if (!s)
		return NULL;
	blk = block_of(s);
	explicit_bzero(blk->data, blk->cap);
	if (blk->locked)
		(void) munlock(blk->data, blk->cap);
	free(blk);
	free(s);
	return NULL;
}

void secret_truncate(struct secret *s, size_t n)
{
	if (n < s->n) {
		explicit_bzero(s->p + n, s->n - n);
		s->n = n;
	}
}

void secret_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}
