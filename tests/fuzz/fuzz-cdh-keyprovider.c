/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for cdh/keyprovider.c: the input goes through UnWrapKey as a request, as a
 * bare AnnotationPacket and as a response to read back, with a getter serving a fixed KEK.
 * Properties: no crash or leak; a failed unwrap says why; a successful reply reads back. */
#include <stdint.h>
#include <stdio.h>

#include "cdh/keyprovider.h"

static int get(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	static const uint8_t kek[32];

	(void) ud;
	if (uri->n_segments == 1)
		return -ENOENT;
	*ret = secret_new_copy(kek, uri->n_segments == 2 ? 16 : sizeof(kek));
	return *ret ? 0 : -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cdh_kms kms = { .get_resource = get };
	struct secret *out = NULL, *opts = NULL;
	struct cdh_error err = {};
	bool pf;
	int r;

	r = cdh_keyprovider_unwrap_key(&kms, data, size, &out, &pf, &err);
	if (r < 0 && (out || (r != -ENOMEM && !err.message[0])))
		__builtin_trap();
	if (r >= 0) {
		if (cdh_keyprovider_parse_unwrap_response(out->p, out->n, &opts) < 0)
			__builtin_trap();
		opts = secret_free(opts);
	}
	out = secret_free(out);

	r = cdh_keyprovider_unwrap_packet(&kms, data, size, &out, &err);
	if (r >= 0 && !out)
		__builtin_trap();
	out = secret_free(out);

	if (cdh_keyprovider_parse_unwrap_response(data, size, &opts) >= 0 && !opts)
		__builtin_trap();
	secret_free(opts);
	return 0;
}
