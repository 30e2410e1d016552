/* SPDX-License-Identifier: Apache-2.0 */
/* Memory for keys, tokens, unsealed plaintext and KBS resources: zeroed, mlock()ed
 * when the process may lock memory, and wiped with explicit_bzero() when freed
 * (cryptsetup's crypt_safe_alloc idea). The logger has no format for it: print
 * lengths, never contents. */
#pragma once

#include <stdint.h>

#include "macro.h"

struct secret {
	uint8_t *p;
	size_t n;
};

/* Returns NULL on OOM. n may be 0. The bytes start zeroed. */
struct secret *secret_alloc(size_t n);
struct secret *secret_new_copy(const void *p, size_t n);
/* Wipes, unlocks and frees; accepts NULL, returns NULL. */
struct secret *secret_free(struct secret *s);
/* Shrinks the visible length (the tail is wiped). */
void secret_truncate(struct secret *s, size_t n);
/* Wipes plain memory that held key material. */
void secret_wipe(void *p, size_t n);

DEFINE_POINTER_CLEANUP(struct secret *, secret_free)
#define _cleanup_secret_ _cleanup_(secret_freep)
