/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/signature/openpgp.c. The first byte picks the parser: even,
 * a keyring; odd, a signed message, checked against a keyring built from the message
 * itself (its bytes as keyring input, which is usually refused) and against the fixed
 * Ed25519 key below, so the verification path is reached. Properties: errors are the
 * documented ones, a verified payload is the parsed literal data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/signature/openpgp.h"

/* gpg --export of an Ed25519 test key (tests/unit/image/data/ed25519.gpg, first packet). */
static const uint8_t ed_key[] = {
	0x98, 0x33, 0x04, 0x6b, 0x03, 0x3d, 0x8a, 0x16, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01,
	0xda, 0x47, 0x0f, 0x01, 0x01, 0x07, 0x40, 0xe4, 0x9d, 0x96, 0xd3, 0xbc, 0x35, 0x03,
	0x4c, 0x91, 0x02, 0x98, 0xdd, 0x54, 0x10, 0xeb, 0x02, 0x3d, 0x18, 0xc3, 0x57, 0xd8,
	0x96, 0xbf, 0x5f, 0xf0, 0xb3, 0x56, 0x59, 0x39, 0x38, 0xb6, 0x7e,
};

static bool documented(int r)
{
	return r == -EBADMSG || r == -EOPNOTSUPP || r == -E2BIG || r == -ENOMEM || r == -ENOKEY ||
	       r == -EKEYREJECTED || r == -EKEYEXPIRED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = NULL, *fixed = NULL;
	_cleanup_(openpgp_message_freep) struct openpgp_message *m = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(OPENPGP_MAX_LITERAL);
	int r;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		r = openpgp_keyring_parse(data + 1, size - 1, &kr);
		if (r < 0 && !documented(r))
			abort();
		if (r == 0 && kr->n == 0)
			abort();
		return 0;
	}
	r = openpgp_message_parse(data + 1, size - 1, &m);
	if (r < 0) {
		if (!documented(r))
			abort();
		return 0;
	}
	(void) openpgp_keyring_parse(ed_key, sizeof(ed_key), &fixed);
	if (fixed) {
		r = openpgp_verify(fixed, data + 1, size - 1, 1700000000, NULL, &out);
		if (r < 0 && !documented(r))
			abort();
		if (r == 0 &&
		    (out.len != m->literal.len || memcmp(out.data, m->literal.data, out.len) != 0))
			abort();
	}
	return 0;
}
