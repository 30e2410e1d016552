/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the registries.d YAML subset in image-rs/signature/simple.c: parse,
 * look up base URLs for fixed images, and merge the document into a second parse of
 * itself, which must always succeed (a document agrees with itself). */
#include <stdint.h>
#include <stdlib.h>

#include "image-rs/reference.h"
#include "image-rs/signature/simple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(simple_config_freep) struct simple_config *a = NULL, *b = NULL;
	static const char *const refs[] = { "docker.io/library/busybox:1", "a.example.com/x/y:z",
					    "127.0.0.1:5000/test/signed:v1" };
	int r;

	r = simple_config_parse(data, size, &a);
	if (r < 0) {
		if (r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
			abort();
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(refs); i++) {
		_cleanup_(reference_freep) struct reference *ref = NULL;
		struct sig_image img = { .manifest_digest = "sha256:x" };
		const char *u;

		if (reference_parse(refs[i], &ref, NULL) < 0)
			abort();
		if (policy_image_from_reference(ref, &img) < 0)
			return 0;
		u = simple_config_base_url(a, &img);
		if (u && !*u)
			abort(); /* an entry always has a URL */
	}
	if (simple_config_parse(data, size, &b) < 0)
		return 0;
	r = simple_config_merge(b, a);
	if (r < 0 && r != -ENOMEM)
		abort();
	return 0;
}
