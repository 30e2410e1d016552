/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/signature/cosign.c: the input is a signature manifest; every
 * blob it names is served as the input's own bytes after the first newline (so payloads
 * and their digests can be fuzzed together), and the key is a fixed P-256 public key.
 * Properties: documented errors only, and nothing is accepted, since no input can carry
 * a signature by that key's (unknown) private half except by forging ECDSA. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/reference.h"
#include "image-rs/signature/cosign.h"

/* A P-256 public key whose private key was thrown away. */
static const char key_pem[] = "-----BEGIN PUBLIC KEY-----\n"
			      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmUO1SDGI73K3fKkFsrhhZw67ocP1\n"
			      "wtGovKdeuzhsgh0HCPn3Ih3a/NinpZfLHZjeqLFjkxIeuOb3yBnBlAA81w==\n"
			      "-----END PUBLIC KEY-----\n";

struct input {
	const uint8_t *p;
	size_t n;
};

static int blob(void *ud, const char *digest, struct buf *out)
{
	const struct input *in = ud;
	const uint8_t *nl = memchr(in->p, '\n', in->n);

	(void) digest;
	if (!nl)
		return -ENOENT;
	return buf_append(out, nl + 1, in->n - (size_t) (nl + 1 - in->p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(reference_freep) struct reference *ref = NULL;
	static const struct policy_identity id = { POLICY_ID_MATCH_REPOSITORY };
	struct input in = { data, size };
	struct sig_image img = {
		.manifest_digest =
		    "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	};
	const uint8_t *nl = memchr(data, '\n', size);
	int r;

	if (reference_parse("r.io/a/b:1", &ref, NULL) < 0)
		abort();
	if (policy_image_from_reference(ref, &img) < 0)
		return 0;
	r = cosign_verify(&img, key_pem, sizeof(key_pem) - 1, &id, data,
			  nl ? (size_t) (nl - data) : size, blob, &in, &why);
	if (r == 0)
		abort();
	if (r != -EBADMSG && r != -ENOENT && r != -EKEYREJECTED && r != -E2BIG && r != -ENOMEM)
		abort();
	return 0;
}
