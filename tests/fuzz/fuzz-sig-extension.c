/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the registry signature extension's JSON (simple_extension_parse() in
 * image-rs/signature/simple.c): every accepted list is bounded and each entry decoded. */
#include <stdint.h>
#include <stdlib.h>

#include "image-rs/signature/simple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *list = NULL;
	size_t n = 0;
	int r;

	r = simple_extension_parse(data, size, &list, &n);
	if (r < 0) {
		if (r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
			abort();
		return 0;
	}
	if (n > SIMPLE_MAX_SIGNATURES)
		abort();
	for (size_t i = 0; i < n; i++)
		if (list[i].len > OPENPGP_MAX_INPUT)
			abort();
	simple_signatures_free(list, n);
	return 0;
}
