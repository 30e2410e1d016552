/* SPDX-License-Identifier: Apache-2.0 */
/* Public-key and symmetric primitives on mbedTLS 3.6 (crypto.c is the only file that
 * includes mbedTLS): the process RNG, EC P-256/384/521 and RSA keys in upstream's PEM forms
 * (upstream.md §3.6), ECDH and ECDSA for JOSE (§4.5, §5.4) and cosign, RSA-OAEP/PKCS#1,
 * AES-GCM, AES-CTR (§5.4 A256CTR, §6.4 ocicrypt layers) and AES Key Wrap (RFC 3394).
 * Errors: -EINVAL bad argument or wrong key type, -EBADMSG malformed input, -EKEYREJECTED
 * failed signature/tag/unwrap check, -EOPNOTSUPP unsupported algorithm or curve, -ENOMEM,
 * -EIO any other library failure (its code logged at debug). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "secret.h"

/* ---- RNG ---- */

/* Fills p with n bytes from a CTR-DRBG (AES-256) seeded from getrandom(), reseeded after
 * fork() and periodically. Thread-safe. -EIO if the kernel gives no entropy. */
int crypto_random(void *p, size_t n);

/* ---- keys ---- */

enum crypto_pk_type {
	CRYPTO_PK_EC,
	CRYPTO_PK_RSA,
};

enum crypto_curve {
	CRYPTO_CURVE_NONE,
	CRYPTO_CURVE_P256,
	CRYPTO_CURVE_P384,
	CRYPTO_CURVE_P521,
};

/* A public or private key. Operations that only read the key may run concurrently on one
 * key from several threads. */
struct crypto_pk;

struct crypto_pk *crypto_pk_free(struct crypto_pk *pk);
DEFINE_POINTER_CLEANUP(struct crypto_pk *, crypto_pk_free)
#define _cleanup_pk_ _cleanup_(crypto_pk_freep)

int crypto_pk_generate_ec(enum crypto_curve curve, struct crypto_pk **ret);
/* bits: 2048, 3072 or 4096 (else -EINVAL); e = 65537. */
int crypto_pk_generate_rsa(unsigned bits, struct crypto_pk **ret);

/* Parses a PEM or DER key. Private: PKCS#8 ("PRIVATE KEY", EC or RSA), SEC1 ("EC PRIVATE
 * KEY"), PKCS#1 ("RSA PRIVATE KEY"); public: SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC
 * KEY"). Encrypted PEM is refused (-EBADMSG). Curves other than ours, and other key types,
 * give -EOPNOTSUPP. RSA moduli outside 2048..8192 bits give -EOPNOTSUPP. */
int crypto_pk_import(const void *p, size_t n, struct crypto_pk **ret);

enum crypto_pk_type crypto_pk_type(const struct crypto_pk *pk);
/* CRYPTO_CURVE_NONE for RSA. */
enum crypto_curve crypto_pk_curve(const struct crypto_pk *pk);
bool crypto_pk_is_private(const struct crypto_pk *pk);
/* Curve or modulus size in bits. */
size_t crypto_pk_bits(const struct crypto_pk *pk);

/* Private key in upstream's tee_keypair forms: EC as PKCS#8 "BEGIN PRIVATE KEY", RSA as
 * PKCS#1 "BEGIN RSA PRIVATE KEY". The PEM is NUL-terminated text (s->n excludes the NUL).
 * -EINVAL for a public key. */
int crypto_pk_export_private_pem(const struct crypto_pk *pk, struct secret **ret);
int crypto_pk_export_private_der(const struct crypto_pk *pk, struct secret **ret);
/* SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), appended to out. */
int crypto_pk_export_public_pem(const struct crypto_pk *pk, struct buf *out);
int crypto_pk_export_public_der(const struct crypto_pk *pk, struct buf *out);

/* A copy holding only the public half. */
int crypto_pk_public(const struct crypto_pk *pk, struct crypto_pk **ret);

/* ---- raw parts (for JWK) ---- */

/* Field size in bytes (32, 48, 66) and JOSE names ("P-256", "P-384", "P-521"). */
size_t crypto_curve_size(enum crypto_curve c);
const char *crypto_curve_to_string(enum crypto_curve c);
/* -EOPNOTSUPP for a name we do not support. */
int crypto_curve_from_string(const char *s, enum crypto_curve *ret);

/* Writes the affine coordinates, each crypto_curve_size() bytes big-endian. -EINVAL if
 * pk is not EC. */
int crypto_pk_ec_get_public(const struct crypto_pk *pk, uint8_t *x, uint8_t *y);
/* The private scalar, crypto_curve_size() bytes big-endian. -EINVAL for a public key. */
int crypto_pk_ec_get_private(const struct crypto_pk *pk, struct secret **ret_d);
/* Builds an EC key from fixed-length big-endian coordinates (and d, if not NULL).
 * -EBADMSG if the point is not on the curve, d is out of range, or d does not match. */
int crypto_pk_ec_from_raw(enum crypto_curve c, const uint8_t *x, const uint8_t *y, const uint8_t *d,
			  struct crypto_pk **ret);

/* Big-endian modulus and public exponent, minimal length (no leading zero byte),
 * appended to n and e. -EINVAL if pk is not RSA. */
int crypto_pk_rsa_get_public(const struct crypto_pk *pk, struct buf *n, struct buf *e);
/* The private parts (JWK d, p, q, dp, dq, qi), minimal big-endian, each a secret. */
struct crypto_rsa_private {
	struct secret *d, *p, *q, *dp, *dq, *qi;
};
int crypto_pk_rsa_get_private(const struct crypto_pk *pk, struct crypto_rsa_private *ret);
void crypto_rsa_private_done(struct crypto_rsa_private *k);
/* A raw big-endian integer (leading zeros allowed). */
struct crypto_bytes {
	const uint8_t *p;
	size_t n;
};
/* Builds an RSA key from n and e, plus d, p, q (others derived) when d.p is not NULL;
 * dp/dq/qi are ignored (recomputed). -EBADMSG for an inconsistent key, -EOPNOTSUPP for a
 * modulus outside 2048..8192 bits. */
int crypto_pk_rsa_from_raw(struct crypto_bytes n, struct crypto_bytes e, struct crypto_bytes d,
			   struct crypto_bytes p, struct crypto_bytes q, struct crypto_pk **ret);

/* ---- EC operations ---- */

/* ECDH: the shared secret Z = x-coordinate of d·Q, crypto_curve_size() bytes. priv must be
 * private; both keys on the same curve (-EINVAL otherwise). */
int crypto_ecdh(const struct crypto_pk *priv, const struct crypto_pk *peer, struct secret **ret_z);

enum crypto_sig {
	CRYPTO_SIG_ECDSA_RAW, /* r||s, each crypto_curve_size() bytes (JWS) */
	CRYPTO_SIG_ECDSA_DER, /* ASN.1 Ecdsa-Sig-Value (X.509, cosign) */
	CRYPTO_SIG_RSA_PKCS1, /* RSASSA-PKCS1-v1_5 */
	CRYPTO_SIG_RSA_PSS,   /* RSASSA-PSS, MGF1 with the same hash; salt = hash length */
};

/* Signs a hash (digest_size(md) bytes, computed by the caller) and appends the signature
 * to out. ECDSA is deterministic (RFC 6979). -EINVAL if scheme and key type do not match
 * or pk is public. */
int crypto_pk_sign(const struct crypto_pk *pk, enum crypto_sig scheme, enum digest_alg md,
		   const uint8_t *hash, size_t hlen, struct buf *out);
/* 0 if sig is a valid signature of hash; -EKEYREJECTED if not; -EBADMSG if sig is not
 * even shaped like one (wrong raw length, bad DER); -EINVAL on scheme/key mismatch. PSS
 * accepts any salt length. */
int crypto_pk_verify(const struct crypto_pk *pk, enum crypto_sig scheme, enum digest_alg md,
		     const uint8_t *hash, size_t hlen, const void *sig, size_t siglen);

/* ---- Ed25519 ---- */

#define CRYPTO_ED25519_KEY_SIZE 32
#define CRYPTO_ED25519_SIG_SIZE 64

/* Pure Ed25519 (RFC 8032 §5.1) on nettle, as mbedTLS 3.6 has none: 0 if sig (R||S) is a
 * valid signature of msg under the 32-byte public key pub, -EKEYREJECTED otherwise
 * (including a public key that does not decode to a curve point). */
int crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_KEY_SIZE], const void *msg, size_t n,
			  const uint8_t sig[CRYPTO_ED25519_SIG_SIZE]);

/* ---- RSA encryption ---- */

enum crypto_rsa_pad {
	CRYPTO_RSA_OAEP_SHA256, /* JWE RSA-OAEP-256: OAEP with SHA-256 and MGF1-SHA-256 */
	CRYPTO_RSA_OAEP_SHA1,   /* JWE RSA-OAEP (ocicrypt's JWE key wrap) */
	CRYPTO_RSA_PKCS1_V15,   /* JWE RSA1_5 */
};

/* Appends the ciphertext (modulus size) to out. -E2BIG if n is too long for the key. */
int crypto_rsa_encrypt(const struct crypto_pk *pk, enum crypto_rsa_pad pad, const void *in,
		       size_t n, struct buf *out);
/* -EKEYREJECTED when the padding does not check out (wrong key or tampered input). Callers
 * handling PKCS#1 v1.5 must not let the failure be told apart from a later one (JWE
 * RSA1_5: continue with a random CEK, RFC 7516 §11.5). */
int crypto_rsa_decrypt(const struct crypto_pk *pk, enum crypto_rsa_pad pad, const void *in,
		       size_t n, struct secret **ret);

/* ---- AES ---- */

#define CRYPTO_GCM_IV_SIZE 12
#define CRYPTO_GCM_TAG_SIZE 16
#define CRYPTO_AES_BLOCK_SIZE 16

/* AES-GCM with a 16/24/32-byte key (else -EINVAL), any non-empty IV (JOSE and sealed
 * secrets use 12 bytes), optional AAD, a 16-byte tag. out may equal in. */
int crypto_aes_gcm_encrypt(const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
			   const void *aad, size_t aadlen, const void *in, size_t n, uint8_t *out,
			   uint8_t tag[CRYPTO_GCM_TAG_SIZE]);
/* Checks the tag: -EKEYREJECTED on mismatch, and then out is zeroed. */
int crypto_aes_gcm_decrypt(const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
			   const void *aad, size_t aadlen, const void *in, size_t n,
			   const uint8_t tag[CRYPTO_GCM_TAG_SIZE], uint8_t *out);

/* AES-CTR with a 16-byte initial counter block incremented as one 128-bit big-endian
 * integer (RustCrypto's Ctr128BE, OpenSSL's aes-*-ctr). Streaming: any chunk sizes; out
 * may equal in. The key schedule is wiped by crypto_aes_ctr_free(). */
struct crypto_aes_ctr;
int crypto_aes_ctr_new(const uint8_t *key, size_t klen, const uint8_t iv[CRYPTO_AES_BLOCK_SIZE],
		       struct crypto_aes_ctr **ret);
void crypto_aes_ctr_update(struct crypto_aes_ctr *c, const void *in, size_t n, void *out);
struct crypto_aes_ctr *crypto_aes_ctr_free(struct crypto_aes_ctr *c);
DEFINE_POINTER_CLEANUP(struct crypto_aes_ctr *, crypto_aes_ctr_free)
/* One-shot form. */
int crypto_aes_ctr(const uint8_t *key, size_t klen, const uint8_t iv[CRYPTO_AES_BLOCK_SIZE],
		   const void *in, size_t n, void *out);

/* AES Key Wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6) with a 16/24/32-byte KEK.
 * Input: a multiple of 8 bytes, at least 16; wrapping writes n + 8 bytes to out.
 * Unwrap gives -EKEYREJECTED when the integrity check fails, -EBADMSG for a bad length. */
int crypto_aes_kw_wrap(const uint8_t *kek, size_t keklen, const void *in, size_t n, uint8_t *out);
int crypto_aes_kw_unwrap(const uint8_t *kek, size_t keklen, const void *in, size_t n,
			 struct secret **ret);
