/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for cdh/secret.c: the input is a sealed secret string, unsealed in skip
 * mode and in verification mode against a getter that serves upstream's test key (for
 * kids under kbs:///keys/) and a fixed 32-byte key otherwise. Properties: no crash or
 * leak, every failure carries a reason, a success carries a plaintext. */
#include <stdint.h>
#include <stdio.h>

#include "cdh/secret.h"

static const char test_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"QT3_slJmispaOwnAo6hxebXGLRuiveFuRCLpS4j4S4k\","
    "\"y\":\"jcDn4N4nRBQ-a7_D3qjqtb6hwOAXh_ve1wvibPSi1G0\"}";

static int get(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	static const uint8_t key[32] = { 1, 2, 3 };

	(void) ud;
	if (uri->n_segments > 0 && streq(uri->segments[0], "keys"))
		*ret = secret_new_copy(test_jwk, sizeof(test_jwk) - 1);
	else if (uri->n_segments > 0 && streq(uri->segments[0], "missing"))
		return -ENOENT;
	else
		*ret = secret_new_copy(key, sizeof(key));
	return *ret ? 0 : -ENOMEM;
}

static int decrypt(void *ud, const char *provider, const char *key_id,
		   struct json_object *annotations, const uint8_t *enc, size_t n,
		   struct secret **ret)
{
	(void) ud, (void) key_id, (void) annotations;
	if (!streq(provider, "test"))
		return -EOPNOTSUPP;
	*ret = secret_new_copy(enc, n);
	return *ret ? 0 : -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cdh_kms kms = { .get_resource = get, .decrypt = decrypt };

	for (int skip = 0; skip <= 1; skip++) {
		struct cdh_secret_opts o = { .kms = &kms,
					     .skip_verification = skip,
					     .key_dir = "/nonexistent/cdh-fuzz" };
		struct secret *out = NULL;
		struct cdh_error err = {};
		int r = cdh_secret_unseal(&o, data, size, &out, &err);

		if (r < 0 && (out || (r != -ENOMEM && !err.message[0])))
			__builtin_trap();
		if (r >= 0 && !out)
			__builtin_trap();
		secret_free(out);
	}
	return 0;
}
