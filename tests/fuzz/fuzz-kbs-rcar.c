/* SPDX-License-Identifier: Apache-2.0 */
/* The AA's parsers of the KBS's RCAR answers (aa/token-kbs.c): byte 0 'C' feeds the rest to
 * aa_token_kbs_parse_challenge (the /auth Challenge), 'A' to aa_token_kbs_parse_attest
 * (the /attest {"token"}). A refusal has a documented code and a reason; a success gives
 * a string of the body's and, for a challenge, a hash we implement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aa/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int r, const struct aa_token_error *err)
{
	if (r == -ENOMEM)
		return;
	if ((r != -EBADMSG && r != -EINVAL && r != -EOPNOTSUPP && r != -E2BIG) || !err->message[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = NULL;
	struct aa_token_error err = {};
	enum digest_alg alg = DIGEST_SHA384;
	int r;

	if (size < 1 || size > (1 << 20))
		return 0;
	if (data[0] == 'C')
		r = aa_token_kbs_parse_challenge(data + 1, size - 1, &s, &alg, &err);
	else if (data[0] == 'A')
		r = aa_token_kbs_parse_attest(data + 1, size - 1, &s, &err);
	else
		return 0;
	if (r < 0) {
		if (s)
			abort();
		check_refusal(r, &err);
		return 0;
	}
	if (!s || digest_size(alg) == 0)
		abort();
	/* A JWT has at least one '.', before its claims. */
	if (data[0] == 'A' && !strchr(s, '.'))
		abort();
	return 0;
}
