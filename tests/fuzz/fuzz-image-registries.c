/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/registries.c: parse a registries.conf and expand a few
 * references through it; every task must hold a valid reference. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/registries.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { "busybox", "example.com/foo/bar:1",
					    "a.b.example.org/x@sha256:"
					    "00000000000000000000000000000000"
					    "00000000000000000000000000000000" };
	_cleanup_(registries_freep) struct registries *c = NULL;
	struct toml_error e;

	if (registries_parse((const char *) data, size, &c, &e) < 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(refs); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		struct pull_task *t = NULL;
		size_t n = 0;
		int rr;

		if (reference_parse(refs[i], &r, NULL) < 0)
			abort();
		rr = registries_expand(c, r, &t, &n);
		if (rr < 0) {
			if (rr != -EPERM && rr != -EINVAL && rr != -ENOMEM)
				abort();
			continue;
		}
		if (n == 0)
			abort();
		for (size_t k = 0; k < n; k++)
			if (!t[k].ref || !reference_whole(t[k].ref))
				abort();
		pull_tasks_free(t, n);
	}
	return 0;
}
