/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/ocicrypt.c: the input is read (1) as a layer's annotations
 * object, with a keyprovider callback that hands back the decoded packet itself as the
 * private options, and (2) split at its first newline into a pubopts annotation value and
 * private options JSON. Properties: no crash or leak; a failure gives no layer and says
 * why; a layer that is made decrypts and reaches a verdict. */
#include <json.h>
#include <stdint.h>
#include <string.h>

#include "common/json-util.h"
#include "image-rs/ocicrypt.h"

static int echo(void *ud, const char *provider, const uint8_t *packet, size_t n,
		struct secret **ret)
{
	(void) ud;
	if (!streq(provider, "attestation-agent"))
		return -ENOKEY;
	*ret = secret_new_copy(packet, n);
	return *ret ? 0 : -ENOMEM;
}

static void run(struct ocicrypt_layer *l)
{
	uint8_t b[64] = {};

	ocicrypt_layer_update(l, b, sizeof(b), b);
	(void) ocicrypt_layer_finish(l, NULL);
	ocicrypt_layer_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ocicrypt_config c = { .provider = echo };
	struct ocicrypt_layer *l = NULL;
	struct buf why = BUF_INIT(4096);
	const uint8_t *nl;
	json_object *a = NULL;
	int r;

	if (json_parse((const char *) data, size, 1u << 20, 16, &a, NULL) >= 0) {
		r = ocicrypt_layer_new(&c, a, &l, &why);
		if (r < 0 && (l || (r != -ENOMEM && why.len == 0)))
			__builtin_trap();
		if (r >= 0)
			run(l);
		json_object_put(a);
	}
	buf_done(&why);

	nl = memchr(data, '\n', size);
	if (nl) {
		char *pub = strndup((const char *) data, (size_t) (nl - data));

		l = NULL;
		if (pub &&
		    ocicrypt_layer_from_opts(pub, nl + 1, size - (size_t) (nl - data) - 1, &l) >= 0)
			run(l);
		else if (l)
			__builtin_trap();
		free(pub);
	}
	return 0;
}
