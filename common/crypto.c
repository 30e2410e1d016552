/* SPDX-License-Identifier: Apache-2.0 */
/* The one file that includes mbedTLS (STYLE §3.4 maps its errors here): RNG, EC and RSA
 * keys in upstream's tee_keypair PEM forms (upstream.md §3.6, kbs_protocol keypair.rs),
 * ECDH/ECDSA, RSA-OAEP/PKCS#1/PSS, AES-GCM, AES-CTR and RFC 3394 key wrap; Ed25519 verify comes
 * from nettle (hogweed), mbedTLS 3.6 having none. Every mbedTLS
 * context lives in a _cleanup_ variable or in an object whose free() releases it. */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/aes.h>
#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/nist_kw.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/eddsa.h>
/* Our static ecdsa_sign()/ecdsa_verify() keep their names; nettle's are not used. */
#undef ecdsa_sign
#undef ecdsa_verify

#include "crypto.h"
#include "log.h"

/* Largest key we parse or write, DER or PEM (RSA-8192 private PEM is about 6.3 KiB). */
#define KEY_TEXT_MAX (64 * 1024)
#define KEY_DER_MAX (16 * 1024)
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

/* ---- error mapping ---- */

static bool is_alloc_error(int e)
{
	int low = -(-e & 0x007f), high = -(-e & 0xff80);

	return low == MBEDTLS_ERR_MPI_ALLOC_FAILED || low == MBEDTLS_ERR_ASN1_ALLOC_FAILED ||
	       high == MBEDTLS_ERR_ECP_ALLOC_FAILED || high == MBEDTLS_ERR_PK_ALLOC_FAILED ||
	       high == MBEDTLS_ERR_PEM_ALLOC_FAILED || high == MBEDTLS_ERR_CIPHER_ALLOC_FAILED ||
	       high == MBEDTLS_ERR_MD_ALLOC_FAILED;
}

/* mbedTLS codes are negative but not errno values; fallback says what a non-allocation
 * failure means at this call site (-EBADMSG parse, -EKEYREJECTED verify, -EIO other). */
static int map_err(int e, int fallback, const char *what)
{
	if (e >= 0)
		return e;
	log_debug("crypto: %s failed: mbedTLS error -0x%04x", what, (unsigned) -e);
	return is_alloc_error(e) ? -ENOMEM : fallback;
}

/* ---- RNG ---- */

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_ctr_drbg_context rng_drbg;
static bool rng_seeded;
/* Set in a forked child: parent and child must not continue the same DRBG stream. */
static bool rng_forked; /* under rng_lock */
static pthread_once_t rng_atfork_once = PTHREAD_ONCE_INIT;

/* The lock is held across fork() so the child never inherits it locked by a thread that
 * does not exist there. */
static void rng_prepare(void)
{
	(void) pthread_mutex_lock(&rng_lock);
}

static void rng_parent(void)
{
	(void) pthread_mutex_unlock(&rng_lock);
}

static void rng_child(void)
{
	rng_forked = true;
	(void) pthread_mutex_unlock(&rng_lock);
}

static void rng_register_atfork(void)
{
	(void) pthread_atfork(rng_prepare, rng_parent, rng_child);
}

static int rng_entropy(void *unused, unsigned char *p, size_t n)
{
	(void) unused;
	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int rng_fill_locked(uint8_t *p, size_t n)
{
	static const unsigned char personalization[] = "cocobox crypto_random";
	int e;

	if (!rng_seeded) {
		mbedtls_ctr_drbg_init(&rng_drbg);
		e = mbedtls_ctr_drbg_seed(&rng_drbg, rng_entropy, NULL, personalization,
					  sizeof(personalization) - 1);
		if (e != 0) {
			mbedtls_ctr_drbg_free(&rng_drbg);
			return map_err(e, -EIO, "DRBG seed");
		}
		rng_seeded = true;
		rng_forked = false;
	} else if (rng_forked) {
		e = mbedtls_ctr_drbg_reseed(&rng_drbg, NULL, 0);
		if (e != 0)
			return map_err(e, -EIO, "DRBG reseed after fork");
		rng_forked = false;
	}
	while (n > 0) {
		size_t k = MIN(n, (size_t) MBEDTLS_CTR_DRBG_MAX_REQUEST);

		e = mbedtls_ctr_drbg_random(&rng_drbg, p, k);
		if (e != 0)
			return map_err(e, -EIO, "DRBG");
		p += k;
		n -= k;
	}
	return 0;
}

int crypto_random(void *p, size_t n)
{
	int r;

	(void) pthread_once(&rng_atfork_once, rng_register_atfork);
	(void) pthread_mutex_lock(&rng_lock);
	r = rng_fill_locked(p, n);
	(void) pthread_mutex_unlock(&rng_lock);
	return r;
}

/* The f_rng callback every mbedTLS call gets. */
static int rng_cb(void *unused, unsigned char *p, size_t n)
{
	(void) unused;
	return crypto_random(p, n) < 0 ? MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED : 0;
}

/* ---- keys ---- */

struct crypto_pk {
	mbedtls_pk_context pk;
	/* mbedTLS contexts are not safe for concurrent use (RSA operations set the padding
	 * mode on the shared context), so every operation holds this. */
	pthread_mutex_t lock;
	bool private;
	enum crypto_curve curve;
};

static const struct {
	const char *name;
	mbedtls_ecp_group_id id;
	size_t size;
	enum digest_alg jws_md; /* ES256/ES384/ES512 pair each curve with one hash */
} curves[] = {
	[CRYPTO_CURVE_P256] = { "P-256", MBEDTLS_ECP_DP_SECP256R1, 32, DIGEST_SHA256 },
	[CRYPTO_CURVE_P384] = { "P-384", MBEDTLS_ECP_DP_SECP384R1, 48, DIGEST_SHA384 },
	[CRYPTO_CURVE_P521] = { "P-521", MBEDTLS_ECP_DP_SECP521R1, 66, DIGEST_SHA512 },
};

static bool curve_valid(enum crypto_curve c)
{
	return c >= CRYPTO_CURVE_P256 && c <= CRYPTO_CURVE_P521;
}

size_t crypto_curve_size(enum crypto_curve c)
{
	return curve_valid(c) ? curves[c].size : 0;
}

const char *crypto_curve_to_string(enum crypto_curve c)
{
	return curve_valid(c) ? curves[c].name : NULL;
}

int crypto_curve_from_string(const char *s, enum crypto_curve *ret)
{
	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++)
		if (s && streq(s, curves[c].name)) {
			*ret = c;
			return 0;
		}
	return -EOPNOTSUPP;
}

static enum crypto_curve curve_from_group(mbedtls_ecp_group_id id)
{
	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++)
		if (curves[c].id == id)
			return c;
	return CRYPTO_CURVE_NONE;
}

static mbedtls_md_type_t md_type(enum digest_alg a)
{
	switch (a) {
	case DIGEST_SHA256:
		return MBEDTLS_MD_SHA256;
	case DIGEST_SHA384:
		return MBEDTLS_MD_SHA384;
	case DIGEST_SHA512:
		return MBEDTLS_MD_SHA512;
	default:
		return MBEDTLS_MD_NONE;
	}
}

static struct crypto_pk *pk_new(void)
{
	struct crypto_pk *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	mbedtls_pk_init(&k->pk);
	(void) pthread_mutex_init(&k->lock, NULL);
	return k;
}

struct crypto_pk *crypto_pk_free(struct crypto_pk *pk)
{
	if (!pk)
		return NULL;
	/* mbedtls_pk_free() zeroizes the key material. */
	mbedtls_pk_free(&pk->pk);
	(void) pthread_mutex_destroy(&pk->lock);
	free(pk);
	return NULL;
}

static void pk_unlockp(struct crypto_pk **p)
{
	if (*p)
		(void) pthread_mutex_unlock(&(*p)->lock);
}

/* Locks pk until the end of the enclosing scope. */
#define PK_LOCK(k)                                                                                 \
	_cleanup_(pk_unlockp)                                                                      \
	    _unused_ struct crypto_pk *_locked_##k = pk_lock((struct crypto_pk *) (k))

static struct crypto_pk *pk_lock(struct crypto_pk *k)
{
	(void) pthread_mutex_lock(&k->lock);
	return k;
}

static bool pk_is_ec(const struct crypto_pk *k)
{
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&k->pk);

	return t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH || t == MBEDTLS_PK_ECDSA;
}

static bool pk_is_rsa(const struct crypto_pk *k)
{
	return mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA;
}

/* Accepts only the key types and sizes we support, and records the curve. */
static int pk_classify(struct crypto_pk *k)
{
	if (pk_is_ec(k)) {
		k->curve = curve_from_group(mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(k->pk)));
		return k->curve == CRYPTO_CURVE_NONE ? -EOPNOTSUPP : 0;
	}
	if (pk_is_rsa(k)) {
		size_t bits = mbedtls_pk_get_bitlen(&k->pk);

		k->curve = CRYPTO_CURVE_NONE;
		return bits < RSA_MIN_BITS || bits > RSA_MAX_BITS ? -EOPNOTSUPP : 0;
	}
	return -EOPNOTSUPP;
}

int crypto_pk_generate_ec(enum crypto_curve curve, struct crypto_pk **ret)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	int e;

	if (!curve_valid(curve))
		return -EINVAL;
	k = pk_new();
	if (!k)
		return -ENOMEM;
	e = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (e == 0)
		e = mbedtls_ecp_gen_key(curves[curve].id, mbedtls_pk_ec(k->pk), rng_cb, NULL);
	if (e != 0)
		return map_err(e, -EIO, "EC key generation");
	k->private = true;
	k->curve = curve;
	*ret = steal_ptr(k);
	return 0;
}

int crypto_pk_generate_rsa(unsigned bits, struct crypto_pk **ret)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	int e;

	if (bits != 2048 && bits != 3072 && bits != 4096)
		return -EINVAL;
	k = pk_new();
	if (!k)
		return -ENOMEM;
	e = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
	if (e == 0)
		e = mbedtls_rsa_gen_key(mbedtls_pk_rsa(k->pk), rng_cb, NULL, bits, 65537);
	if (e != 0)
		return map_err(e, -EIO, "RSA key generation");
	k->private = true;
	*ret = steal_ptr(k);
	return 0;
}

static bool memmem_str(const void *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

int crypto_pk_import(const void *p, size_t n, struct crypto_pk **ret)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_secret_ struct secret *copy = NULL;
	bool pem, want_public;
	int e, r;

	if (!p || n == 0 || n > KEY_TEXT_MAX)
		return -EBADMSG;
	k = pk_new();
	if (!k)
		return -ENOMEM;
	pem = memmem_str(p, n, "-----BEGIN ");
	if (pem) {
		/* mbedTLS reads PEM only from a NUL-terminated buffer, length including it. */
		copy = secret_alloc(n + 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy->p, p, n);
		if (memchr(copy->p, 0, n))
			return -EBADMSG;
		p = copy->p;
		n++;
		want_public = memmem_str(p, n, "-----BEGIN PUBLIC KEY-----") ||
			      memmem_str(p, n, "-----BEGIN RSA PUBLIC KEY-----");
		if (want_public)
			e = mbedtls_pk_parse_public_key(&k->pk, p, n);
		else
			e = mbedtls_pk_parse_key(&k->pk, p, n, NULL, 0, rng_cb, NULL);
	} else {
		/* DER: a private key first, then a public one. */
		want_public = false;
		e = mbedtls_pk_parse_key(&k->pk, p, n, NULL, 0, rng_cb, NULL);
		if (e != 0 && !is_alloc_error(e)) {
			mbedtls_pk_free(&k->pk);
			mbedtls_pk_init(&k->pk);
			want_public = true;
			e = mbedtls_pk_parse_public_key(&k->pk, p, n);
		}
	}
	if (e == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || e == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE) {
		log_debug("crypto: key type not supported: mbedTLS error -0x%04x", (unsigned) -e);
		return -EOPNOTSUPP;
	}
	if (e != 0)
		return map_err(e, -EBADMSG, "key parse");
	r = pk_classify(k);
	if (r < 0)
		return r;
	k->private = !want_public;
	*ret = steal_ptr(k);
	return 0;
}

enum crypto_pk_type crypto_pk_type(const struct crypto_pk *pk)
{
	return pk_is_rsa(pk) ? CRYPTO_PK_RSA : CRYPTO_PK_EC;
}

enum crypto_curve crypto_pk_curve(const struct crypto_pk *pk)
{
	return pk->curve;
}

bool crypto_pk_is_private(const struct crypto_pk *pk)
{
	return pk->private;
}

size_t crypto_pk_bits(const struct crypto_pk *pk)
{
	return mbedtls_pk_get_bitlen(&pk->pk);
}

/* Appends the tail [p, end) that mbedTLS's backwards writers produced. */
static int append_tail(struct buf *out, const uint8_t *buf, size_t size, int len)
{
	return buf_append(out, buf + size - (size_t) len, (size_t) len);
}

int crypto_pk_export_public_der(const struct crypto_pk *pk, struct buf *out)
{
	uint8_t der[KEY_DER_MAX];
	PK_LOCK(pk);
	int e;

	e = mbedtls_pk_write_pubkey_der(&pk->pk, der, sizeof(der));
	if (e < 0)
		return map_err(e, -EIO, "public key DER");
	return append_tail(out, der, sizeof(der), e);
}

int crypto_pk_export_public_pem(const struct crypto_pk *pk, struct buf *out)
{
	uint8_t pem[KEY_DER_MAX * 2];
	PK_LOCK(pk);
	int e;

	e = mbedtls_pk_write_pubkey_pem(&pk->pk, pem, sizeof(pem));
	if (e != 0)
		return map_err(e, -EIO, "public key PEM");
	return buf_append_str(out, (const char *) pem);
}

int crypto_pk_public(const struct crypto_pk *pk, struct crypto_pk **ret)
{
	_cleanup_(buf_done) struct buf der = BUF_INIT(KEY_DER_MAX);
	int r;

	r = crypto_pk_export_public_der(pk, &der);
	if (r < 0)
		return r;
	return crypto_pk_import(der.data, der.len, ret);
}

static void scalar_wipe(uint8_t (*p)[66])
{
	secret_wipe(*p, sizeof(*p));
}

/* Writes the EC key as PKCS#8 PrivateKeyInfo (RFC 5208) holding an RFC 5915 ECPrivateKey
 * without the redundant parameters field, as RustCrypto's p256 (upstream's tee_keypair)
 * and OpenSSL do. Builds backwards from the end of buf; returns the length. */
static int write_ec_pkcs8(const mbedtls_ecp_keypair *ec, enum crypto_curve c, uint8_t *buf,
			  size_t size)
{
	_cleanup_(mbedtls_ecp_group_free) mbedtls_ecp_group grp;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi d;
	_cleanup_(mbedtls_ecp_point_free) mbedtls_ecp_point q;
	_cleanup_(scalar_wipe) uint8_t scalar[66];
	uint8_t point[1 + 2 * 66];
	unsigned char *p = buf + size;
	const char *curve_oid;
	size_t olen, curve_oid_len, n = curves[c].size, len = 0, inner;
	int e;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);

	e = mbedtls_ecp_export(ec, &grp, &d, &q);
	if (e == 0)
		e = mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
						   point, sizeof(point));
	if (e == 0)
		e = mbedtls_mpi_write_binary(&d, scalar, n);
	if (e == 0)
		e = mbedtls_oid_get_oid_by_ec_grp(curves[c].id, &curve_oid, &curve_oid_len);
	if (e != 0)
		return e;

#define W(call)                                                                                    \
	do {                                                                                       \
		e = (call);                                                                        \
		if (e < 0)                                                                         \
			return e;                                                                  \
		len += (size_t) e;                                                                 \
	} while (0)
	/* ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [1] publicKey } */
	W(mbedtls_asn1_write_bitstring(&p, buf, point, 8 * olen));
	W(mbedtls_asn1_write_len(&p, buf, len));
	W(mbedtls_asn1_write_tag(&p, buf,
				 MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1));
	W(mbedtls_asn1_write_octet_string(&p, buf, scalar, n));
	W(mbedtls_asn1_write_int(&p, buf, 1));
	W(mbedtls_asn1_write_len(&p, buf, len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	/* PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING } */
	W(mbedtls_asn1_write_len(&p, buf, len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
	/* The curve OID is the parameters; the AlgorithmIdentifier writer's count includes
	 * them, so it replaces, not adds to, the OID's own count. */
	inner = len;
	W(mbedtls_asn1_write_oid(&p, buf, curve_oid, curve_oid_len));
	e = mbedtls_asn1_write_algorithm_identifier(
	    &p, buf, MBEDTLS_OID_EC_ALG_UNRESTRICTED,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED), len - inner);
	if (e < 0)
		return e;
	len = inner + (size_t) e;
	W(mbedtls_asn1_write_int(&p, buf, 0));
	W(mbedtls_asn1_write_len(&p, buf, len));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
	return (int) len;
}

/* DER of the private key in upstream's form, at the tail of der; returns its length. */
static int pk_private_der(const struct crypto_pk *pk, uint8_t *der, size_t size)
{
	if (pk_is_ec(pk))
		return write_ec_pkcs8(mbedtls_pk_ec(pk->pk), pk->curve, der, size);
	return mbedtls_pk_write_key_der(&pk->pk, der, size);
}

int crypto_pk_export_private_der(const struct crypto_pk *pk, struct secret **ret)
{
	_cleanup_secret_ struct secret *der = secret_alloc(KEY_DER_MAX), *out = NULL;
	PK_LOCK(pk);
	int e;

	if (!pk->private)
		return -EINVAL;
	if (!der)
		return -ENOMEM;
	e = pk_private_der(pk, der->p, der->n);
	if (e < 0)
		return map_err(e, -EIO, "private key DER");
	out = secret_new_copy(der->p + der->n - (size_t) e, (size_t) e);
	if (!out)
		return -ENOMEM;
	*ret = steal_ptr(out);
	return 0;
}

int crypto_pk_export_private_pem(const struct crypto_pk *pk, struct secret **ret)
{
	_cleanup_secret_ struct secret *der = secret_alloc(KEY_DER_MAX), *pem = NULL;
	PK_LOCK(pk);
	const char *label = pk_is_ec(pk) ? "PRIVATE KEY" : "RSA PRIVATE KEY";
	char header[48], footer[48];
	size_t olen;
	int e;

	if (!pk->private)
		return -EINVAL;
	if (!der)
		return -ENOMEM;
	e = pk_private_der(pk, der->p, der->n);
	if (e < 0)
		return map_err(e, -EIO, "private key DER");
	pem = secret_alloc(KEY_DER_MAX * 2);
	if (!pem)
		return -ENOMEM;
	snprintf(header, sizeof(header), "-----BEGIN %s-----\n", label);
	snprintf(footer, sizeof(footer), "-----END %s-----\n", label);
	e = mbedtls_pem_write_buffer(header, footer, der->p + der->n - (size_t) e, (size_t) e,
				     pem->p, pem->n, &olen);
	if (e != 0)
		return map_err(e, -EIO, "private key PEM");
	/* olen counts the NUL mbedTLS wrote. */
	secret_truncate(pem, olen - 1);
	*ret = steal_ptr(pem);
	return 0;
}

/* ---- raw parts ---- */

int crypto_pk_ec_get_public(const struct crypto_pk *pk, uint8_t *x, uint8_t *y)
{
	uint8_t point[1 + 2 * 66];
	PK_LOCK(pk);
	size_t olen, n;
	int e;

	if (!pk_is_ec(pk))
		return -EINVAL;
	n = curves[pk->curve].size;
	e = mbedtls_ecp_write_public_key(mbedtls_pk_ec(pk->pk), MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
					 point, sizeof(point));
	if (e != 0)
		return map_err(e, -EIO, "EC public point");
	if (olen != 1 + 2 * n)
		return -EIO;
	memcpy(x, point + 1, n);
	memcpy(y, point + 1 + n, n);
	return 0;
}

int crypto_pk_ec_get_private(const struct crypto_pk *pk, struct secret **ret_d)
{
	_cleanup_secret_ struct secret *d = NULL;
	PK_LOCK(pk);
	size_t olen;
	int e;

	if (!pk_is_ec(pk) || !pk->private)
		return -EINVAL;
	d = secret_alloc(curves[pk->curve].size);
	if (!d)
		return -ENOMEM;
	e = mbedtls_ecp_write_key_ext(mbedtls_pk_ec(pk->pk), &olen, d->p, d->n);
	if (e != 0)
		return map_err(e, -EIO, "EC private scalar");
	if (olen != d->n)
		return -EIO;
	*ret_d = steal_ptr(d);
	return 0;
}

int crypto_pk_ec_from_raw(enum crypto_curve c, const uint8_t *x, const uint8_t *y, const uint8_t *d,
			  struct crypto_pk **ret)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(mbedtls_ecp_group_free) mbedtls_ecp_group grp;
	_cleanup_(mbedtls_ecp_point_free) mbedtls_ecp_point q;
	uint8_t point[1 + 2 * 66], derived[1 + 2 * 66];
	mbedtls_ecp_keypair *ec;
	size_t n, olen;
	int e;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	if (!curve_valid(c))
		return -EINVAL;
	n = curves[c].size;
	point[0] = 0x04;
	memcpy(point + 1, x, n);
	memcpy(point + 1 + n, y, n);

	k = pk_new();
	if (!k)
		return -ENOMEM;
	e = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (e != 0)
		return map_err(e, -EIO, "pk setup");
	ec = mbedtls_pk_ec(k->pk);
	e = mbedtls_ecp_group_load(&grp, curves[c].id);
	if (e != 0)
		return map_err(e, -EIO, "EC group");
	/* Refuse points off the curve: an invalid-curve point would leak d through ECDH. */
	e = mbedtls_ecp_point_read_binary(&grp, &q, point, 1 + 2 * n);
	if (e == 0)
		e = mbedtls_ecp_check_pubkey(&grp, &q);
	if (e != 0)
		return map_err(e, -EBADMSG, "EC point");
	if (d) {
		e = mbedtls_ecp_read_key(curves[c].id, ec, d, n);
		if (e != 0)
			return map_err(e, -EBADMSG, "EC private scalar");
		e = mbedtls_ecp_keypair_calc_public(ec, rng_cb, NULL);
		if (e == 0)
			e = mbedtls_ecp_write_public_key(ec, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
							 derived, sizeof(derived));
		if (e != 0)
			return map_err(e, -EIO, "EC public from private");
		if (olen != 1 + 2 * n || memcmp(derived, point, olen) != 0)
			return -EBADMSG;
	} else {
		e = mbedtls_ecp_set_public_key(curves[c].id, ec, &q);
		if (e != 0)
			return map_err(e, -EIO, "EC public key");
	}
	k->private = d != NULL;
	k->curve = c;
	*ret = steal_ptr(k);
	return 0;
}

static int append_mpi(struct buf *out, const mbedtls_mpi *x)
{
	size_t n = mbedtls_mpi_size(x);
	int r;

	r = buf_reserve(out, n);
	if (r < 0)
		return r;
	r = mbedtls_mpi_write_binary(x, out->data + out->len, n);
	if (r != 0)
		return map_err(r, -EIO, "MPI write");
	out->len += n;
	out->data[out->len] = 0;
	return 0;
}

static int mpi_secret(const mbedtls_mpi *x, struct secret **ret)
{
	_cleanup_secret_ struct secret *s = secret_alloc(mbedtls_mpi_size(x));
	int e;

	if (!s)
		return -ENOMEM;
	e = mbedtls_mpi_write_binary(x, s->p, s->n);
	if (e != 0)
		return map_err(e, -EIO, "MPI write");
	*ret = steal_ptr(s);
	return 0;
}

int crypto_pk_rsa_get_public(const struct crypto_pk *pk, struct buf *n, struct buf *e)
{
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi N;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi E;
	PK_LOCK(pk);
	int r;

	mbedtls_mpi_init(&N);
	mbedtls_mpi_init(&E);
	if (!pk_is_rsa(pk))
		return -EINVAL;
	r = mbedtls_rsa_export(mbedtls_pk_rsa(pk->pk), &N, NULL, NULL, NULL, &E);
	if (r != 0)
		return map_err(r, -EIO, "RSA export");
	r = append_mpi(n, &N);
	if (r < 0)
		return r;
	return append_mpi(e, &E);
}

void crypto_rsa_private_done(struct crypto_rsa_private *k)
{
	k->d = secret_free(k->d);
	k->p = secret_free(k->p);
	k->q = secret_free(k->q);
	k->dp = secret_free(k->dp);
	k->dq = secret_free(k->dq);
	k->qi = secret_free(k->qi);
}

int crypto_pk_rsa_get_private(const struct crypto_pk *pk, struct crypto_rsa_private *ret)
{
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi P;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi Q;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi D;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi DP;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi DQ;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi QP;
	_cleanup_(crypto_rsa_private_done) struct crypto_rsa_private k = {};
	PK_LOCK(pk);
	int r;

	mbedtls_mpi_init(&P);
	mbedtls_mpi_init(&Q);
	mbedtls_mpi_init(&D);
	mbedtls_mpi_init(&DP);
	mbedtls_mpi_init(&DQ);
	mbedtls_mpi_init(&QP);
	if (!pk_is_rsa(pk) || !pk->private)
		return -EINVAL;
	r = mbedtls_rsa_export(mbedtls_pk_rsa(pk->pk), NULL, &P, &Q, &D, NULL);
	if (r == 0)
		r = mbedtls_rsa_export_crt(mbedtls_pk_rsa(pk->pk), &DP, &DQ, &QP);
	if (r != 0)
		return map_err(r, -EIO, "RSA private export");
	if ((r = mpi_secret(&D, &k.d)) < 0 || (r = mpi_secret(&P, &k.p)) < 0 ||
	    (r = mpi_secret(&Q, &k.q)) < 0 || (r = mpi_secret(&DP, &k.dp)) < 0 ||
	    (r = mpi_secret(&DQ, &k.dq)) < 0 || (r = mpi_secret(&QP, &k.qi)) < 0)
		return r;
	*ret = k;
	k = (struct crypto_rsa_private){};
	return 0;
}

int crypto_pk_rsa_from_raw(struct crypto_bytes n, struct crypto_bytes e, struct crypto_bytes d,
			   struct crypto_bytes p, struct crypto_bytes q, struct crypto_pk **ret)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	mbedtls_rsa_context *rsa;
	int r;

	if (!n.p || !e.p || n.n == 0 || e.n == 0 || n.n > RSA_MAX_BITS / 8 + 1 || e.n > 8)
		return -EBADMSG;
	/* Size policy before any arithmetic: a toy modulus is unsupported, not malformed. */
	while (n.n > 0 && n.p[0] == 0) {
		n.p++;
		n.n--;
	}
	if (n.n < RSA_MIN_BITS / 8 || n.n > RSA_MAX_BITS / 8)
		return -EOPNOTSUPP;
	k = pk_new();
	if (!k)
		return -ENOMEM;
	r = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
	if (r != 0)
		return map_err(r, -EIO, "pk setup");
	rsa = mbedtls_pk_rsa(k->pk);
	r = mbedtls_rsa_import_raw(rsa, n.p, n.n, p.p, p.p ? p.n : 0, q.p, q.p ? q.n : 0, d.p,
				   d.p ? d.n : 0, e.p, e.n);
	if (r == 0)
		r = mbedtls_rsa_complete(rsa);
	if (r == 0)
		r = d.p ? mbedtls_rsa_check_privkey(rsa) : mbedtls_rsa_check_pubkey(rsa);
	if (r != 0)
		return map_err(r, -EBADMSG, "RSA import");
	r = pk_classify(k);
	if (r < 0)
		return r;
	k->private = d.p != NULL;
	*ret = steal_ptr(k);
	return 0;
}

/* ---- EC operations ---- */

int crypto_ecdh(const struct crypto_pk *priv, const struct crypto_pk *peer, struct secret **ret_z)
{
	_cleanup_(mbedtls_ecp_group_free) mbedtls_ecp_group grp;
	_cleanup_(mbedtls_ecp_group_free) mbedtls_ecp_group peer_grp;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi d;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi z;
	_cleanup_(mbedtls_ecp_point_free) mbedtls_ecp_point q;
	_cleanup_(mbedtls_ecp_point_free) mbedtls_ecp_point peer_q;
	_cleanup_secret_ struct secret *out = NULL;
	int e;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_group_init(&peer_grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&peer_q);
	if (!pk_is_ec(priv) || !priv->private || !pk_is_ec(peer) || priv->curve != peer->curve)
		return -EINVAL;
	/* Copies taken under each key's lock; the multiplication then runs unlocked. */
	{
		PK_LOCK(priv);
		e = mbedtls_ecp_export(mbedtls_pk_ec(priv->pk), &grp, &d, &q);
	}
	if (e == 0) {
		PK_LOCK(peer);
		e = mbedtls_ecp_export(mbedtls_pk_ec(peer->pk), &peer_grp, NULL, &peer_q);
	}
	if (e != 0)
		return map_err(e, -EIO, "EC export");
	e = mbedtls_ecdh_compute_shared(&grp, &z, &peer_q, &d, rng_cb, NULL);
	if (e != 0)
		return map_err(e, -EIO, "ECDH");
	out = secret_alloc(curves[priv->curve].size);
	if (!out)
		return -ENOMEM;
	e = mbedtls_mpi_write_binary(&z, out->p, out->n);
	if (e != 0)
		return map_err(e, -EIO, "ECDH secret");
	*ret_z = steal_ptr(out);
	return 0;
}

/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } */
static int ecdsa_write_der(const mbedtls_mpi *r, const mbedtls_mpi *s, struct buf *out)
{
	uint8_t sig[2 * 66 + 16] = {}; /* written backwards; gcc cannot see that */
	unsigned char *p = sig + sizeof(sig);
	size_t len = 0;
	int e;

#define W(call)                                                                                    \
	do {                                                                                       \
		e = (call);                                                                        \
		if (e < 0)                                                                         \
			return map_err(e, -EIO, "ECDSA DER");                                      \
		len += (size_t) e;                                                                 \
	} while (0)
	W(mbedtls_asn1_write_mpi(&p, sig, s));
	W(mbedtls_asn1_write_mpi(&p, sig, r));
	W(mbedtls_asn1_write_len(&p, sig, len));
	W(mbedtls_asn1_write_tag(&p, sig, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
	return buf_append(out, p, len);
}

static int ecdsa_sign(const struct crypto_pk *pk, bool der, enum digest_alg md, const uint8_t *hash,
		      size_t hlen, struct buf *out)
{
	_cleanup_(mbedtls_ecp_group_free) mbedtls_ecp_group grp;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi d;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi r;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi s;
	uint8_t sig[2 * 66];
	size_t n = curves[pk->curve].size;
	int e;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	{
		PK_LOCK(pk);
		e = mbedtls_ecp_export(mbedtls_pk_ec(pk->pk), &grp, &d, NULL);
	}
	if (e == 0)
		e = mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, hash, hlen, md_type(md), rng_cb,
					       NULL);
	if (e != 0)
		return map_err(e, -EIO, "ECDSA sign");
	if (!der) {
		e = mbedtls_mpi_write_binary(&r, sig, n);
		if (e == 0)
			e = mbedtls_mpi_write_binary(&s, sig + n, n);
		if (e != 0)
			return map_err(e, -EIO, "ECDSA signature");
		return buf_append(out, sig, 2 * n);
	}
	return ecdsa_write_der(&r, &s, out);
}

/* Reads a DER Ecdsa-Sig-Value; trailing bytes are refused. */
static int ecdsa_read_der(const uint8_t *sig, size_t siglen, mbedtls_mpi *r, mbedtls_mpi *s)
{
	unsigned char *p = (unsigned char *) sig;
	const unsigned char *end = sig + siglen;
	size_t len;
	int e;

	e = mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	if (e != 0 || p + len != end)
		return -EBADMSG;
	e = mbedtls_asn1_get_mpi(&p, end, r);
	if (e == 0)
		e = mbedtls_asn1_get_mpi(&p, end, s);
	if (e != 0)
		return map_err(e, -EBADMSG, "ECDSA DER parse");
	return p == end ? 0 : -EBADMSG;
}

/* Big-endian bytes into n little-endian limbs (n limbs hold them: checked by callers). */
static void be_to_limbs(mp_limb_t *l, size_t n, const uint8_t *p, size_t len)
{
	memset(l, 0, n * sizeof(*l));
	for (size_t i = 0; i < len; i++) {
		size_t bit = (len - 1 - i) * 8;

		l[bit / (8 * sizeof(mp_limb_t))] |= (mp_limb_t) p[i]
						    << (bit % (8 * sizeof(mp_limb_t)));
	}
}

/* ECDSA verification on nettle's curve code: about ten times faster than mbedTLS's here,
 * and it needs no heap (mini-gmp aborts on allocation failure, so its mpz interface is
 * avoided). The public point was validated when the key was imported; nettle checks
 * 0 < r, s < q itself. 1 valid, 0 not, -1 cannot run (sizes out of what we reserved). */
static int ecdsa_verify_nettle(const struct crypto_pk *pk, const uint8_t *rs, const uint8_t *hash,
			       size_t hlen)
{
	mp_limb_t pub[2 * 9], r[9], s[9], scratch[768]; /* itch: 549 limbs for P-521 */
	uint8_t x[66], y[66];
	const struct ecc_curve *ecc;
	size_t n = curves[pk->curve].size, limbs;

	switch (pk->curve) {
	case CRYPTO_CURVE_P256:
		ecc = nettle_get_secp_256r1();
		break;
	case CRYPTO_CURVE_P384:
		ecc = nettle_get_secp_384r1();
		break;
	case CRYPTO_CURVE_P521:
		ecc = nettle_get_secp_521r1();
		break;
	default:
		return -1;
	}
	limbs = (size_t) ecc_size(ecc);
	if (limbs > ELEMENTSOF(r) || limbs * sizeof(mp_limb_t) < n ||
	    (size_t) ecc_ecdsa_verify_itch(ecc) > ELEMENTSOF(scratch) ||
	    crypto_pk_ec_get_public(pk, x, y) < 0)
		return -1;
	be_to_limbs(pub, limbs, x, n);
	be_to_limbs(pub + limbs, limbs, y, n);
	be_to_limbs(r, limbs, rs, n);
	be_to_limbs(s, limbs, rs + n, n);
	return ecc_ecdsa_verify(ecc, pub, hlen, hash, r, s, scratch) ? 1 : 0;
}

static int ecdsa_verify(const struct crypto_pk *pk, bool der, const uint8_t *hash, size_t hlen,
			const uint8_t *sig, size_t siglen)
{
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi r;
	_cleanup_(mbedtls_mpi_free) mbedtls_mpi s;
	size_t n = curves[pk->curve].size;
	uint8_t rs[2 * 66];
	int e;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (der) {
		e = ecdsa_read_der(sig, siglen, &r, &s);
		if (e < 0)
			return e;
		/* Values wider than the curve cannot be below q: not a valid signature. */
		if (mbedtls_mpi_size(&r) > n || mbedtls_mpi_size(&s) > n)
			return -EKEYREJECTED;
		e = mbedtls_mpi_write_binary(&r, rs, n);
		if (e == 0)
			e = mbedtls_mpi_write_binary(&s, rs + n, n);
		if (e != 0)
			return map_err(e, -EIO, "ECDSA signature");
	} else {
		if (siglen != 2 * n)
			return -EBADMSG;
		memcpy(rs, sig, 2 * n);
	}
	switch (ecdsa_verify_nettle(pk, rs, hash, hlen)) {
	case 1:
		return 0;
	case 0:
		return -EKEYREJECTED;
	default:
		return -EIO;
	}
}

static int rsa_sign(const struct crypto_pk *pk, bool pss, enum digest_alg md, const uint8_t *hash,
		    size_t hlen, struct buf *out)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk->pk);
	PK_LOCK(pk);
	size_t len = mbedtls_rsa_get_len(rsa);
	int e;

	e = buf_reserve(out, len);
	if (e < 0)
		return e;
	if (pss) {
		e = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md_type(md));
		if (e == 0)
			e = mbedtls_rsa_rsassa_pss_sign_ext(rsa, rng_cb, NULL, md_type(md),
							    (unsigned) hlen, hash, (int) hlen,
							    out->data + out->len);
	} else {
		e = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
		if (e == 0)
			e = mbedtls_rsa_rsassa_pkcs1_v15_sign(rsa, rng_cb, NULL, md_type(md),
							      (unsigned) hlen, hash,
							      out->data + out->len);
	}
	if (e != 0)
		return map_err(e, -EIO, "RSA sign");
	out->len += len;
	out->data[out->len] = 0;
	return 0;
}

static int rsa_verify(const struct crypto_pk *pk, bool pss, enum digest_alg md, const uint8_t *hash,
		      size_t hlen, const uint8_t *sig, size_t siglen)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk->pk);
	PK_LOCK(pk);
	int e;

	if (siglen != mbedtls_rsa_get_len(rsa))
		return -EBADMSG;
	if (pss) {
		e = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md_type(md));
		if (e == 0)
			e = mbedtls_rsa_rsassa_pss_verify_ext(rsa, md_type(md), (unsigned) hlen,
							      hash, md_type(md),
							      MBEDTLS_RSA_SALT_LEN_ANY, sig);
	} else {
		e = mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
		if (e == 0)
			e = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, md_type(md), (unsigned) hlen,
								hash, sig);
	}
	if (e != 0)
		return map_err(e, -EKEYREJECTED, "RSA verify");
	return 0;
}

static bool scheme_fits(const struct crypto_pk *pk, enum crypto_sig scheme)
{
	switch (scheme) {
	case CRYPTO_SIG_ECDSA_RAW:
	case CRYPTO_SIG_ECDSA_DER:
		return pk_is_ec(pk);
	case CRYPTO_SIG_RSA_PKCS1:
	case CRYPTO_SIG_RSA_PSS:
		return pk_is_rsa(pk);
	}
	return false;
}

int crypto_pk_sign(const struct crypto_pk *pk, enum crypto_sig scheme, enum digest_alg md,
		   const uint8_t *hash, size_t hlen, struct buf *out)
{
	if (!scheme_fits(pk, scheme) || !pk->private || hlen != digest_size(md) || hlen == 0)
		return -EINVAL;
	switch (scheme) {
	case CRYPTO_SIG_ECDSA_RAW:
	case CRYPTO_SIG_ECDSA_DER:
		return ecdsa_sign(pk, scheme == CRYPTO_SIG_ECDSA_DER, md, hash, hlen, out);
	default:
		return rsa_sign(pk, scheme == CRYPTO_SIG_RSA_PSS, md, hash, hlen, out);
	}
}

int crypto_pk_verify(const struct crypto_pk *pk, enum crypto_sig scheme, enum digest_alg md,
		     const uint8_t *hash, size_t hlen, const void *sig, size_t siglen)
{
	if (!scheme_fits(pk, scheme) || hlen != digest_size(md) || hlen == 0)
		return -EINVAL;
	switch (scheme) {
	case CRYPTO_SIG_ECDSA_RAW:
	case CRYPTO_SIG_ECDSA_DER:
		return ecdsa_verify(pk, scheme == CRYPTO_SIG_ECDSA_DER, hash, hlen, sig, siglen);
	default:
		return rsa_verify(pk, scheme == CRYPTO_SIG_RSA_PSS, md, hash, hlen, sig, siglen);
	}
}

/* ---- Ed25519 ---- */

int crypto_ed25519_verify(const uint8_t pub[CRYPTO_ED25519_KEY_SIZE], const void *msg, size_t n,
			  const uint8_t sig[CRYPTO_ED25519_SIG_SIZE])
{
	/* nettle decodes the point itself and fails the check for one off the curve. */
	return ed25519_sha512_verify(pub, n, msg, sig) ? 0 : -EKEYREJECTED;
}

/* ---- RSA encryption ---- */

static int rsa_set_pad(mbedtls_rsa_context *rsa, enum crypto_rsa_pad pad)
{
	switch (pad) {
	case CRYPTO_RSA_OAEP_SHA256:
		return mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
	case CRYPTO_RSA_OAEP_SHA1:
		return mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA1);
	case CRYPTO_RSA_PKCS1_V15:
		return mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
	}
	return MBEDTLS_ERR_RSA_BAD_INPUT_DATA;
}

int crypto_rsa_encrypt(const struct crypto_pk *pk, enum crypto_rsa_pad pad, const void *in,
		       size_t n, struct buf *out)
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk->pk);
	PK_LOCK(pk);
	size_t len, overhead;
	int e;

	if (!pk_is_rsa(pk))
		return -EINVAL;
	len = mbedtls_rsa_get_len(rsa);
	overhead = pad == CRYPTO_RSA_OAEP_SHA256 ? 2 * 32 + 2
		   : pad == CRYPTO_RSA_OAEP_SHA1 ? 2 * 20 + 2
						 : 11;
	if (n + overhead > len)
		return -E2BIG;
	e = buf_reserve(out, len);
	if (e < 0)
		return e;
	e = rsa_set_pad(rsa, pad);
	if (e == 0) {
		if (pad == CRYPTO_RSA_PKCS1_V15)
			e = mbedtls_rsa_rsaes_pkcs1_v15_encrypt(rsa, rng_cb, NULL, n, in,
								out->data + out->len);
		else
			e = mbedtls_rsa_rsaes_oaep_encrypt(rsa, rng_cb, NULL, NULL, 0, n, in,
							   out->data + out->len);
	}
	if (e != 0)
		return map_err(e, -EIO, "RSA encrypt");
	out->len += len;
	out->data[out->len] = 0;
	return 0;
}

int crypto_rsa_decrypt(const struct crypto_pk *pk, enum crypto_rsa_pad pad, const void *in,
		       size_t n, struct secret **ret)
{
	_cleanup_secret_ struct secret *out = NULL;
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk->pk);
	PK_LOCK(pk);
	size_t olen = 0;
	int e;

	if (!pk_is_rsa(pk) || !pk->private)
		return -EINVAL;
	if (n != mbedtls_rsa_get_len(rsa))
		return -EBADMSG;
	out = secret_alloc(n);
	if (!out)
		return -ENOMEM;
	e = rsa_set_pad(rsa, pad);
	if (e == 0) {
		if (pad == CRYPTO_RSA_PKCS1_V15)
			e = mbedtls_rsa_rsaes_pkcs1_v15_decrypt(rsa, rng_cb, NULL, &olen, in,
								out->p, out->n);
		else
			e = mbedtls_rsa_rsaes_oaep_decrypt(rsa, rng_cb, NULL, NULL, 0, &olen, in,
							   out->p, out->n);
	}
	if (e != 0)
		return map_err(e, -EKEYREJECTED, "RSA decrypt");
	secret_truncate(out, olen);
	*ret = steal_ptr(out);
	return 0;
}

/* ---- AES ---- */

static bool aes_klen_ok(size_t klen)
{
	return klen == 16 || klen == 24 || klen == 32;
}

int crypto_aes_gcm_encrypt(const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
			   const void *aad, size_t aadlen, const void *in, size_t n, uint8_t *out,
			   uint8_t tag[CRYPTO_GCM_TAG_SIZE])
{
	_cleanup_(mbedtls_gcm_free) mbedtls_gcm_context g;
	int e;

	mbedtls_gcm_init(&g);
	if (!aes_klen_ok(klen) || ivlen == 0)
		return -EINVAL;
	e = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, (unsigned) (8 * klen));
	if (e == 0)
		e = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, n, iv, ivlen, aad, aadlen,
					      in, out, CRYPTO_GCM_TAG_SIZE, tag);
	return map_err(e, -EIO, "AES-GCM encrypt");
}

int crypto_aes_gcm_decrypt(const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
			   const void *aad, size_t aadlen, const void *in, size_t n,
			   const uint8_t tag[CRYPTO_GCM_TAG_SIZE], uint8_t *out)
{
	_cleanup_(mbedtls_gcm_free) mbedtls_gcm_context g;
	int e;

	mbedtls_gcm_init(&g);
	if (!aes_klen_ok(klen) || ivlen == 0)
		return -EINVAL;
	e = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, (unsigned) (8 * klen));
	if (e != 0)
		return map_err(e, -EIO, "AES-GCM key");
	e = mbedtls_gcm_auth_decrypt(&g, n, iv, ivlen, aad, aadlen, tag, CRYPTO_GCM_TAG_SIZE, in,
				     out);
	if (e == MBEDTLS_ERR_GCM_AUTH_FAILED) {
		secret_wipe(out, n);
		return -EKEYREJECTED;
	}
	return map_err(e, -EIO, "AES-GCM decrypt");
}

struct crypto_aes_ctr {
	mbedtls_aes_context aes;
	uint8_t counter[CRYPTO_AES_BLOCK_SIZE];
	uint8_t stream[CRYPTO_AES_BLOCK_SIZE];
	size_t off;
};

int crypto_aes_ctr_new(const uint8_t *key, size_t klen, const uint8_t iv[CRYPTO_AES_BLOCK_SIZE],
		       struct crypto_aes_ctr **ret)
{
	_cleanup_(crypto_aes_ctr_freep) struct crypto_aes_ctr *c = NULL;
	int e;

	if (!aes_klen_ok(klen))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	mbedtls_aes_init(&c->aes);
	e = mbedtls_aes_setkey_enc(&c->aes, key, (unsigned) (8 * klen));
	if (e != 0)
		return map_err(e, -EIO, "AES key");
	memcpy(c->counter, iv, CRYPTO_AES_BLOCK_SIZE);
	*ret = steal_ptr(c);
	return 0;
}

void crypto_aes_ctr_update(struct crypto_aes_ctr *c, const void *in, size_t n, void *out)
{
	/* Cannot fail with a valid context: mbedTLS only checks nc_off < 16. */
	(void) mbedtls_aes_crypt_ctr(&c->aes, n, &c->off, c->counter, c->stream, in, out);
}

struct crypto_aes_ctr *crypto_aes_ctr_free(struct crypto_aes_ctr *c)
{
	if (!c)
		return NULL;
	mbedtls_aes_free(&c->aes);
	secret_wipe(c, sizeof(*c));
	free(c);
	return NULL;
}

int crypto_aes_ctr(const uint8_t *key, size_t klen, const uint8_t iv[CRYPTO_AES_BLOCK_SIZE],
		   const void *in, size_t n, void *out)
{
	_cleanup_(crypto_aes_ctr_freep) struct crypto_aes_ctr *c = NULL;
	int r;

	r = crypto_aes_ctr_new(key, klen, iv, &c);
	if (r < 0)
		return r;
	crypto_aes_ctr_update(c, in, n, out);
	return 0;
}

int crypto_aes_kw_wrap(const uint8_t *kek, size_t keklen, const void *in, size_t n, uint8_t *out)
{
	_cleanup_(mbedtls_nist_kw_free) mbedtls_nist_kw_context kw;
	size_t olen;
	int e;

	mbedtls_nist_kw_init(&kw);
	if (!aes_klen_ok(keklen) || n < 16 || n % 8 != 0)
		return -EINVAL;
	e = mbedtls_nist_kw_setkey(&kw, MBEDTLS_CIPHER_ID_AES, kek, (unsigned) (8 * keklen), 1);
	if (e == 0)
		e = mbedtls_nist_kw_wrap(&kw, MBEDTLS_KW_MODE_KW, in, n, out, &olen, n + 8);
	return map_err(e, -EIO, "AES key wrap");
}

int crypto_aes_kw_unwrap(const uint8_t *kek, size_t keklen, const void *in, size_t n,
			 struct secret **ret)
{
	_cleanup_(mbedtls_nist_kw_free) mbedtls_nist_kw_context kw;
	_cleanup_secret_ struct secret *out = NULL;
	size_t olen;
	int e;

	mbedtls_nist_kw_init(&kw);
	if (!aes_klen_ok(keklen))
		return -EINVAL;
	if (n < 24 || n % 8 != 0)
		return -EBADMSG;
	out = secret_alloc(n - 8);
	if (!out)
		return -ENOMEM;
	e = mbedtls_nist_kw_setkey(&kw, MBEDTLS_CIPHER_ID_AES, kek, (unsigned) (8 * keklen), 0);
	if (e != 0)
		return map_err(e, -EIO, "AES key unwrap key");
	e = mbedtls_nist_kw_unwrap(&kw, MBEDTLS_KW_MODE_KW, in, n, out->p, &olen, out->n);
	if (e == MBEDTLS_ERR_CIPHER_AUTH_FAILED)
		return -EKEYREJECTED;
	if (e != 0)
		return map_err(e, -EIO, "AES key unwrap");
	secret_truncate(out, olen);
	*ret = steal_ptr(out);
	return 0;
}
