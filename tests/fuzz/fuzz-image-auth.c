/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/auth.c: the input as a containers-auth.json (looked up for a
 * few references) and as a WWW-Authenticate value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { "busybox", "quay.io/a/b/c:1", "127.0.0.1:5000/x" };
	_cleanup_(auth_file_freep) struct auth_file *f = NULL;
	_cleanup_free_ char *s = strndup((const char *) data, size);
	struct auth_challenge ch = {};

	if (auth_file_parse((const char *) data, size, &f) >= 0)
		for (size_t i = 0; i < ELEMENTSOF(refs); i++) {
			_cleanup_(reference_freep) struct reference *r = NULL;
			_cleanup_(auth_cred_freep) struct auth_cred *c = NULL;
			int rr;

			if (reference_parse(refs[i], &r, NULL) < 0)
				abort();
			rr = auth_file_lookup(f, r, &c);
			if (rr >= 0 && (!c || !c->username || !c->password ||
					c->password->p[c->password->n] != 0))
				abort();
			if (rr < 0 && rr != -ENOENT && rr != -EBADMSG && rr != -ENOMEM)
				abort();
		}
	if (s && strlen(s) == size && auth_challenge_parse(s, &ch) >= 0) {
		if (ch.scheme != AUTH_SCHEME_BASIC && ch.scheme != AUTH_SCHEME_BEARER &&
		    ch.scheme != AUTH_SCHEME_OTHER)
			abort();
		auth_challenge_done(&ch);
	}
	return 0;
}
