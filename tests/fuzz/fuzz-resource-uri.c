/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for cdh/resource-uri.c. Properties: no crash or leak; a parsed URI has
 * only non-empty, non-dot segments; its normal form parses again to the same normal form
 * and the same KBS path. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cdh/resource-uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(BUF_UNLIMITED), a = BUF_INIT(BUF_UNLIMITED),
				       b = BUF_INIT(BUF_UNLIMITED), pa = BUF_INIT(BUF_UNLIMITED),
				       pb = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL, *v = NULL;

	if (memchr(data, 0, size) || buf_append(&in, data, size) < 0)
		return 0;
	if (resource_uri_parse(buf_str(&in), &u) < 0)
		return 0;
	for (size_t i = 0; i < u->n_segments; i++)
		if (!*u->segments[i] || streq(u->segments[i], ".") || streq(u->segments[i], ".."))
			__builtin_trap();
	if (resource_uri_to_string(u, &a) < 0 || resource_uri_kbs_path(u, &pa) < 0)
		return 0;
	if (resource_uri_parse(buf_str(&a), &v) < 0)
		__builtin_trap();
	if (resource_uri_to_string(v, &b) < 0 || resource_uri_kbs_path(v, &pb) < 0)
		return 0;
	if (!streq(buf_str(&a), buf_str(&b)) || !streq(buf_str(&pa), buf_str(&pb)))
		__builtin_trap();
	return 0;
}
