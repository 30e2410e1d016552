/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/reference.c: parse, and check that a parsed reference's
 * whole() parses back to the same parts (normalisation is idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(reference_freep) struct reference *r = NULL, *again = NULL;
	_cleanup_free_ char *s = strndup((const char *) data, size);
	const char *w;

	if (!s || strlen(s) != size)
		return 0;
	if (reference_parse(s, &r, NULL) < 0)
		return 0;
	w = reference_whole(r);
	if (!w)
		return 0;
	if (reference_parse(w, &again, NULL) < 0)
		abort();
	if (!streq(w, reference_whole(again)) || !streq(r->registry, again->registry) ||
	    !streq(r->repository, again->repository) || !streq_ptr(r->tag, again->tag) ||
	    !streq_ptr(r->digest, again->digest))
		abort();
	if (strlen(r->repository) > REFERENCE_NAME_MAX || (!r->tag && !r->digest))
		abort();
	return 0;
}
