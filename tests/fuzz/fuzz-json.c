/* SPDX-License-Identifier: Apache-2.0 */
/* Whatever json_parse() accepts must canonicalise, canonical text must be a fixed point
 * (same bytes when canonicalised again), and json_append()'s compact text must parse
 * back to the same canonical form. Any failure aborts. */
#include "common/jcs.h"
#include "common/json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void probe_getters(json_object *v)
{
	static const char *const keys[] = { "a", "nonce", "tee", "" };
	const char *s;
	json_object *o;
	int64_t i;
	uint64_t u;
	bool b;

	/* Only that they return, with the documented codes, on any shape. */
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		int r[] = {
			json_get_string(v, keys[k], &s),     json_get_int64(v, keys[k], &i),
			json_get_uint64(v, keys[k], &u),     json_get_bool(v, keys[k], &b),
			json_get_object(v, keys[k], &o),     json_get_array(v, keys[k], &o),
			json_get_string_opt(v, keys[k], &s),
		};

		for (size_t j = 0; j < ELEMENTSOF(r); j++)
			if (r[j] < 0 && r[j] != -ENOENT && r[j] != -EBADMSG && r[j] != -ERANGE)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(json_object_putp) json_object *v = NULL, *w = NULL;
	_cleanup_(buf_done) struct buf c1 = BUF_INIT(BUF_UNLIMITED), c2 = BUF_INIT(BUF_UNLIMITED),
				       compact = BUF_INIT(BUF_UNLIMITED),
				       c3 = BUF_INIT(BUF_UNLIMITED);
	const char *reason = NULL;
	int r;

	r = json_parse((const char *) data, size, 1 << 20, 64, &v, &reason);
	if (r == -EBADMSG && reason)
		return 0;
	if (r == -E2BIG && size > (1 << 20))
		return 0;
	if (r < 0)
		abort(); /* -ENOMEM aside, nothing else is documented */

	probe_getters(v);

	if (jcs_append(v, &c1) < 0)
		abort();
	if (jcs_canonicalize_text(buf_str(&c1), c1.len, &c2) < 0)
		abort();
	if (c1.len != c2.len || memcmp(buf_str(&c1), buf_str(&c2), c1.len) != 0)
		abort();

	if (json_append(v, &compact) < 0)
		abort();
	if (json_parse(buf_str(&compact), compact.len, SIZE_MAX, 64, &w, NULL) < 0)
		abort();
	if (jcs_append(w, &c3) < 0)
		abort();
	if (c1.len != c3.len || memcmp(buf_str(&c1), buf_str(&c3), c1.len) != 0)
		abort();
	return 0;
}
