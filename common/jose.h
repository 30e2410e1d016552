/* SPDX-License-Identifier: Apache-2.0 */
/* JOSE: JWK import/export (RFC 7517/7518) incl. upstream's tee-pubkey shape (upstream.md
 * §4.3), JWS compact sign/verify (RFC 7515; sealed secrets §5.4, KBS tokens), and JWE
 * decrypt/encrypt (RFC 7516; the KBS resource response §4.5). Keys are struct crypto_pk.
 * Errors: -EBADMSG malformed input (bad JSON, base64url, lengths, missing members),
 * -EKEYREJECTED signature/tag/key-unwrap failure or an alg other than the one required,
 * -ENOKEY the key cannot serve this message (wrong type or curve), -EOPNOTSUPP an
 * algorithm or key type we do not implement, -E2BIG over JOSE_MAX_SIZE, -ENOMEM. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "secret.h"

struct json_object;

/* Largest JWS or JWE text we parse; larger input gives -E2BIG. */
#define JOSE_MAX_SIZE (16u << 20)
/* Largest decoded JOSE header. */
#define JOSE_HEADER_MAX (64u << 10)

/* ---- JWK ---- */

/* Parses a JWK (EC P-256/384/521 or RSA; public, or private with "d" (RSA: d, p, q)).
 * Strict: base64url without padding, EC coordinates and d of exactly the curve's size, no
 * other member types than strings where the RFC says strings. Members we do not use
 * ("kid", "use", "alg", "key_ops", ...) are ignored. kty "OKP"/"oct" and RSA "oth" give
 * -EOPNOTSUPP. */
int jose_jwk_import(const char *s, size_t n, struct crypto_pk **ret);
int jose_jwk_import_json(struct json_object *jwk, struct crypto_pk **ret);

/* Writes the key as a JWK, members in the order kty, crv, x, y [, d] or kty, n, e [, d, p,
 * q, dp, dq, qi]. include_private adds the private members (-EINVAL for a public key). The
 * JSON text form is appended to out; the object form is a new json-c object. Private
 * material passes through json-c's heap unwiped: use it for tests and the test KBS only. */
int jose_jwk_export(const struct crypto_pk *pk, bool include_private, struct buf *out);
int jose_jwk_export_json(const struct crypto_pk *pk, bool include_private,
			 struct json_object **ret);

/* Upstream's tee-pubkey (kbs-types TeePubKey): EC
 * {"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","x":"..","y":".."}, RSA
 * {"kty":"RSA","alg":"RSA-OAEP-256","n":"..","e":".."}, in exactly that member order.
 * alg NULL picks those defaults. */
int jose_tee_pubkey_jwk(const struct crypto_pk *pk, const char *alg, struct json_object **ret);
int jose_tee_pubkey_jwk_string(const struct crypto_pk *pk, const char *alg, struct buf *out);

/* ---- JWS (compact serialization) ---- */

struct jose_jws;

/* Splits and decodes "<header>.<payload>.<signature>" without verifying it. The header
 * must be a JSON object with a string "alg"; a "crit" member gives -EOPNOTSUPP (we
 * implement no extensions). A leading "sealed." is NOT stripped here. */
int jose_jws_parse(const char *s, size_t n, struct jose_jws **ret);
struct jose_jws *jose_jws_free(struct jose_jws *jws);
DEFINE_POINTER_CLEANUP(struct jose_jws *, jose_jws_free)

/* Borrowed views, valid until jose_jws_free(). kid is NULL when absent or not a string. */
const char *jose_jws_alg(const struct jose_jws *jws);
const char *jose_jws_kid(const struct jose_jws *jws);
struct json_object *jose_jws_header(const struct jose_jws *jws);
const uint8_t *jose_jws_payload(const struct jose_jws *jws, size_t *ret_n);

/* Verifies with pk. want_alg, if not NULL, is the one algorithm accepted (sealed secrets
 * require "ES256"): any other header alg gives -EKEYREJECTED. Supported: ES256, ES384,
 * ES512 (curve must match: else -ENOKEY), RS256/384/512, PS256/384/512 (RSA key). "none"
 * and HMAC algorithms are never accepted (-EKEYREJECTED / -EOPNOTSUPP). */
int jose_jws_verify(const struct jose_jws *jws, const struct crypto_pk *pk, const char *want_alg);

/* Signs payload with header {"alg":alg[,"kid":kid]} (members in that order, as upstream's
 * sealed-secret signer) and appends the compact form to out. alg NULL picks ES256/384/512
 * from the curve, or RS256 for RSA. */
int jose_jws_sign(const struct crypto_pk *pk, const char *alg, const char *kid, const void *payload,
		  size_t n, struct buf *out);

/* ---- JWE ---- */

/* Decrypts a JWE in flattened or general JSON serialization, or compact serialization.
 * alg: ECDH-ES, ECDH-ES+A128KW/A192KW/A256KW (EC P-256/384/521, Concat KDF per RFC 7518
 * §4.6), RSA-OAEP-256, RSA-OAEP, RSA1_5; enc: A128GCM, A192GCM, A256GCM. AAD is the
 * received "protected" string, plus "." and the received "aad" string when present (RFC
 * 7516 §5.2). The header may be split over "protected", "unprotected" and a recipient's
 * "header" (disjoint, else -EBADMSG); "zip" and "crit" give -EOPNOTSUPP. With several
 * recipients the first one our key opens wins. The plaintext is returned as a secret. */
int jose_jwe_decrypt(const char *s, size_t n, const struct crypto_pk *key,
		     struct secret **ret_plaintext);

/* Encrypts to recipient (public or private key) in flattened JSON serialization:
 * {"protected","encrypted_key","iv","ciphertext","tag"} ("aad" after "protected" when aad
 * is not NULL; no "encrypted_key" for direct ECDH-ES). Protected header
 * {"alg","enc"[,"epk":{"crv","kty","x","y"}]}. Same algorithms as decrypt; alg NULL picks
 * ECDH-ES+A256KW for EC and RSA-OAEP-256 for RSA, enc NULL picks A256GCM. */
int jose_jwe_encrypt(const struct crypto_pk *recipient, const char *alg, const char *enc,
		     const void *aad, size_t aadlen, const void *p, size_t n, struct buf *out);

/* Concat KDF (NIST SP 800-56A, RFC 7518 §4.6.2) with SHA-256: derives keylen bytes from
 * the shared secret z, AlgorithmID alg_id, PartyUInfo apu, PartyVInfo apv. */
int jose_concat_kdf(const uint8_t *z, size_t zlen, const char *alg_id, const uint8_t *apu,
		    size_t apulen, const uint8_t *apv, size_t apvlen, size_t keylen, uint8_t *out);
