/* SPDX-License-Identifier: Apache-2.0 */
/* Encrypted layers (OCI image-spec encryption as containers/ocicrypt implements it;
 * upstream.md §5.5; image-rs src/decrypt.rs): recovers a layer's private options
 * (symkey, digest, nonce) from its descriptor annotations through JWE keys or a
 * keyprovider callback, and decrypts AES_256_CTR_HMAC_SHA256 as a stream: HMAC-SHA256
 * with the symkey over the ciphertext, AES-256-CTR with the nonce as the initial counter. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/digest.h"
#include "common/secret.h"

struct json_object;

#define OCICRYPT_ANN_JWE "org.opencontainers.image.enc.keys.jwe"
#define OCICRYPT_ANN_PROVIDER_PREFIX "org.opencontainers.image.enc.keys.provider."
#define OCICRYPT_ANN_PUBOPTS "org.opencontainers.image.enc.pubopts"
#define OCICRYPT_CIPHER "AES_256_CTR_HMAC_SHA256"
/* Largest annotation value and largest private-options JSON we accept. */
#define OCICRYPT_ANN_MAX (1u << 20)
#define OCICRYPT_OPTS_MAX (64u << 10)

/* Unwraps one keyprovider packet (the annotation entry, base64-decoded) for provider name
 * (the annotation suffix, e.g. "attestation-agent") into the private options JSON
 * (*ret_optsdata, a secret). Returns 0, -ENOKEY (not ours: try the next) or -errno. */
typedef int (*ocicrypt_keyprovider_fn)(void *userdata, const char *provider, const uint8_t *packet,
				       size_t n, struct secret **ret_optsdata);

/* What the guest can decrypt with. Borrowed by the pull; all members may be empty. */
struct ocicrypt_config {
	struct crypto_pk *const *jwe_keys; /* private keys for keys.jwe */
	size_t n_jwe_keys;
	ocicrypt_keyprovider_fn provider; /* keys.provider.<name>; NULL: none */
	void *provider_userdata;
};

/* A layer's recovered options and the running decryption. */
struct ocicrypt_layer;

/* Reads the annotations (a JSON object of strings; NULL = none) of an encrypted layer
 * and recovers its private options. Errors (reason, if not NULL, gets one line naming
 * the annotation): -ENOKEY no configured key opens any key annotation (or there is
 * none), -EBADMSG malformed annotation, pubopts or private options, -EOPNOTSUPP cipher
 * other than AES_256_CTR_HMAC_SHA256, -ENOMEM; a callback's other errors pass through. */
int ocicrypt_layer_new(const struct ocicrypt_config *c, struct json_object *annotations,
		       struct ocicrypt_layer **ret, struct buf *reason);
struct ocicrypt_layer *ocicrypt_layer_free(struct ocicrypt_layer *l);
DEFINE_POINTER_CLEANUP(struct ocicrypt_layer *, ocicrypt_layer_free)

/* Parses the pubopts annotation value (base64 std of {"cipher","hmac","cipheroptions"})
 * and the private options JSON ({"symkey","digest","cipheroptions":{"nonce"}}) into l
 * (exposed for tests and the fuzzer). -EBADMSG, -EOPNOTSUPP as above. */
int ocicrypt_layer_from_opts(const char *pubopts_b64, const void *priv, size_t n,
			     struct ocicrypt_layer **ret);

/* Decrypts n bytes of ciphertext into out (may equal in), updating the HMAC over the
 * ciphertext and the digest over the plaintext. */
void ocicrypt_layer_update(struct ocicrypt_layer *l, const void *in, size_t n, void *out);
/* After the last byte: -EKEYREJECTED when the HMAC over the ciphertext does not match
 * (reason says so), else 0; -EINVAL when called twice. The private options' digest of
 * the decrypted blob is compared too but not enforced: Go ocicrypt records whatever
 * digest its caller passes and never checks it, and skopeo passes a stale one when it
 * recompresses; the HMAC and the diff_id are the checks that hold. */
int ocicrypt_layer_finish(struct ocicrypt_layer *l, struct buf *reason);
/* After a successful finish: true when the private options carried a digest and the
 * decrypted blob matched it. */
bool ocicrypt_layer_digest_ok(const struct ocicrypt_layer *l);
