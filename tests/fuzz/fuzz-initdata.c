/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for aa/initdata.c: a document is either refused with a reason or gives
 * a digest over exactly its bytes, a known algorithm and a [data] table of strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aa/initdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	struct toml_error err = {};
	uint8_t want[DIGEST_MAX_SIZE];
	int r;

	r = aa_initdata_parse((const char *) data, size, &d, &err);
	if (r < 0) {
		if (r == -ENOMEM)
			return 0;
		if ((r != -EBADMSG && r != -EOPNOTSUPP && r != -E2BIG) || !err.message[0] ||
		    strnlen(err.message, sizeof(err.message)) == sizeof(err.message) || d)
			abort();
		return 0;
	}
	if (d->toml_len != size || memcmp(d->toml, data, size) != 0 || d->toml[size] != 0)
		abort();
	if (!d->version || d->digest_len != digest_size(d->alg) || d->digest_len == 0)
		abort();
	digest_buf(d->alg, data, size, want);
	if (memcmp(want, d->digest, d->digest_len) != 0)
		abort();
	for (size_t i = 0; i < toml_count(d->data); i++) {
		const char *key, *s;
		size_t klen;
		const struct toml_value *v = toml_table_at(d->data, i, &key, &klen);

		if (toml_value_type(v) != TOML_STRING)
			abort();
		if (!memchr(key, 0, klen) && toml_value_string(v, &s, NULL) == 0 &&
		    aa_initdata_get(d, key) != s)
			abort();
	}
	return 0;
}
