/* SPDX-License-Identifier: Apache-2.0 */
/* JWK, JWS and JWE on common/crypto (RFC 7515-7518). Follows upstream's KBS resource
 * response (upstream.md §4.5: kbs-types Response, kbs_protocol keypair.rs unwrap_cek) and
 * sealed-secret JWS (§5.4), and the tee-pubkey JWK shape (§4.3). Everything a peer sends
 * is bounded and strictly decoded; any malformed part is -EBADMSG before key material is
 * touched. */
#include <string.h>

#include "b64.h"
#include "digest.h"
#include "jose.h"
#include "json-util.h"
#include "log.h"

/* JOSE headers and JWKs are shallow; json-c's default depth is 32. */
#define JOSE_JSON_DEPTH 16
/* Largest encrypted_key (RSA-8192), apu/apv, signature. */
#define JOSE_SMALL_MAX 1024
#define JWE_MAX_RECIPIENTS 16

static void jputp(json_object **p)
{
	if (*p)
		(void) json_object_put(*p);
}
#define _cleanup_json_ _cleanup_(jputp)

static void buf_done_wipep(struct buf *b)
{
	buf_done_wipe(b);
}

/* Parses exactly s[0..n) as one JSON object through json-util's strict RFC 8259 reader
 * (duplicate member names are refused, as RFC 7515 §4 allows). */
static int json_parse_object(const char *s, size_t n, json_object **ret)
{
	_cleanup_json_ json_object *o = NULL;
	int r;

	r = json_parse(s, n, JOSE_MAX_SIZE, JOSE_JSON_DEPTH, &o, NULL);
	if (r == -E2BIG || r == -ENOMEM)
		return r;
	if (r < 0 || !json_object_is_type(o, json_type_object))
		return -EBADMSG;
	*ret = steal_ptr(o);
	return 0;
}

/* A string member: 0, -ENOENT when absent (or o is NULL), -EBADMSG when not a string or
 * holding a NUL (which would make "ES256\u0000x" compare equal to "ES256"). */
static int get_str(json_object *o, const char *key, const char **ret, size_t *ret_len)
{
	const char *s;
	int r;

	if (!o)
		return -ENOENT;
	r = json_get_string(o, key, &s);
	if (r < 0)
		return r;
	*ret = s;
	if (ret_len)
		*ret_len = strlen(s);
	return 0;
}

static int get_str_required(json_object *o, const char *key, const char **ret, size_t *ret_len)
{
	int r = get_str(o, key, ret, ret_len);

	return r == -ENOENT ? -EBADMSG : r;
}

/* Strict base64url without padding into a fresh buffer of at most max bytes. */
static int b64url_decode(const char *s, size_t n, size_t max, struct buf *out)
{
	int r;

	*out = BUF_INIT(max);
	r = b64_decode(B64_URL_NOPAD, s, n, out);
	return r == -E2BIG ? -EBADMSG : r;
}

static int get_b64_bytes(json_object *o, const char *key, size_t max, struct buf *out)
{
	const char *s;
	size_t n;
	int r;

	*out = BUF_INIT(max);
	r = get_str_required(o, key, &s, &n);
	if (r < 0)
		return r;
	r = b64url_decode(s, n, max, out);
	if (r < 0)
		return r;
	return out->len > 0 ? 0 : -EBADMSG;
}

/* Decodes a member that must be exactly want bytes. */
static int get_b64_exact(json_object *o, const char *key, size_t want, struct buf *out)
{
	int r = get_b64_bytes(o, key, want, out);

	if (r < 0)
		return r;
	return out->len == want ? 0 : -EBADMSG;
}

static json_object *b64_string(const void *p, size_t n)
{
	_cleanup_(buf_done_wipep) struct buf b = BUF_INIT(BUF_UNLIMITED);

	if (b64_encode(B64_URL_NOPAD, p, n, &b) < 0)
		return NULL;
	return json_object_new_string_len(buf_str(&b), (int) b.len);
}

/* Adds v (which it owns, NULL meaning an earlier allocation failed) to o. */
static int add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int append_json(json_object *o, struct buf *out)
{
	return json_append(o, out);
}

/* ---- JWK ---- */

static int jwk_import_ec(json_object *jwk, struct crypto_pk **ret)
{
	_cleanup_(buf_done) struct buf x = {}, y = {};
	_cleanup_(buf_done_wipep) struct buf d = {};
	enum crypto_curve c;
	const char *crv;
	size_t size;
	int r;

	r = get_str_required(jwk, "crv", &crv, NULL);
	if (r < 0)
		return r;
	r = crypto_curve_from_string(crv, &c);
	if (r < 0)
		return r;
	size = crypto_curve_size(c);
	r = get_b64_exact(jwk, "x", size, &x);
	if (r < 0)
		return r;
	r = get_b64_exact(jwk, "y", size, &y);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(jwk, "d", NULL)) {
		r = get_b64_exact(jwk, "d", size, &d);
		if (r < 0)
			return r;
	}
	return crypto_pk_ec_from_raw(c, x.data, y.data, d.len ? d.data : NULL, ret);
}

static struct crypto_bytes bytes_of(const struct buf *b)
{
	return (struct crypto_bytes){ b->len ? b->data : NULL, b->len };
}

static int jwk_import_rsa(json_object *jwk, struct crypto_pk **ret)
{
	_cleanup_(buf_done) struct buf n = {}, e = {};
	_cleanup_(buf_done_wipep) struct buf d = {}, p = {}, q = {};
	bool has_p, has_q;
	int r;

	if (json_object_object_get_ex(jwk, "oth", NULL))
		return -EOPNOTSUPP;
	r = get_b64_bytes(jwk, "n", 8192 / 8 + 1, &n);
	if (r < 0)
		return r;
	r = get_b64_bytes(jwk, "e", 8, &e);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(jwk, "d", NULL)) {
		r = get_b64_bytes(jwk, "d", 8192 / 8 + 1, &d);
		if (r < 0)
			return r;
		has_p = json_object_object_get_ex(jwk, "p", NULL);
		has_q = json_object_object_get_ex(jwk, "q", NULL);
		if (has_p != has_q)
			return -EBADMSG;
		if (has_p) {
			r = get_b64_bytes(jwk, "p", 8192 / 8, &p);
			if (r < 0)
				return r;
			r = get_b64_bytes(jwk, "q", 8192 / 8, &q);
			if (r < 0)
				return r;
		}
	}
	return crypto_pk_rsa_from_raw(bytes_of(&n), bytes_of(&e), bytes_of(&d), bytes_of(&p),
				      bytes_of(&q), ret);
}

int jose_jwk_import_json(json_object *jwk, struct crypto_pk **ret)
{
	const char *kty;
	int r;

	if (!jwk || !json_object_is_type(jwk, json_type_object))
		return -EBADMSG;
	r = get_str_required(jwk, "kty", &kty, NULL);
	if (r < 0)
		return r;
	if (streq(kty, "EC"))
		return jwk_import_ec(jwk, ret);
	if (streq(kty, "RSA"))
		return jwk_import_rsa(jwk, ret);
	return -EOPNOTSUPP;
}

int jose_jwk_import(const char *s, size_t n, struct crypto_pk **ret)
{
	_cleanup_json_ json_object *o = NULL;
	int r;

	if (n > JOSE_HEADER_MAX)
		return -E2BIG;
	r = json_parse_object(s, n, &o);
	if (r < 0)
		return r;
	return jose_jwk_import_json(o, ret);
}

static int add_b64(json_object *o, const char *key, const void *p, size_t n)
{
	return add(o, key, b64_string(p, n));
}

static int add_b64_secret(json_object *o, const char *key, const struct secret *s)
{
	return add_b64(o, key, s->p, s->n);
}

static int jwk_add_ec_public(json_object *o, const struct crypto_pk *pk)
{
	uint8_t x[66], y[66];
	size_t n = crypto_curve_size(crypto_pk_curve(pk));
	int r;

	r = crypto_pk_ec_get_public(pk, x, y);
	if (r < 0)
		return r;
	r = add_b64(o, "x", x, n);
	if (r < 0)
		return r;
	return add_b64(o, "y", y, n);
}

static int jwk_add_rsa_public(json_object *o, const struct crypto_pk *pk)
{
	_cleanup_(buf_done) struct buf n = BUF_INIT(BUF_UNLIMITED), e = BUF_INIT(BUF_UNLIMITED);
	int r;

	r = crypto_pk_rsa_get_public(pk, &n, &e);
	if (r < 0)
		return r;
	r = add_b64(o, "n", n.data, n.len);
	if (r < 0)
		return r;
	return add_b64(o, "e", e.data, e.len);
}

int jose_jwk_export_json(const struct crypto_pk *pk, bool include_private, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	if (include_private && !crypto_pk_is_private(pk))
		return -EINVAL;
	if (crypto_pk_type(pk) == CRYPTO_PK_EC) {
		_cleanup_secret_ struct secret *d = NULL;

		r = add(o, "kty", json_object_new_string("EC"));
		if (r >= 0)
			r = add(
			    o, "crv",
			    json_object_new_string(crypto_curve_to_string(crypto_pk_curve(pk))));
		if (r >= 0)
			r = jwk_add_ec_public(o, pk);
		if (r >= 0 && include_private) {
			r = crypto_pk_ec_get_private(pk, &d);
			if (r >= 0)
				r = add_b64_secret(o, "d", d);
		}
	} else {
		_cleanup_(crypto_rsa_private_done) struct crypto_rsa_private k = {};

		r = add(o, "kty", json_object_new_string("RSA"));
		if (r >= 0)
			r = jwk_add_rsa_public(o, pk);
		if (r >= 0 && include_private) {
			r = crypto_pk_rsa_get_private(pk, &k);
			if (r >= 0)
				r = add_b64_secret(o, "d", k.d);
			if (r >= 0)
				r = add_b64_secret(o, "p", k.p);
			if (r >= 0)
				r = add_b64_secret(o, "q", k.q);
			if (r >= 0)
				r = add_b64_secret(o, "dp", k.dp);
			if (r >= 0)
				r = add_b64_secret(o, "dq", k.dq);
			if (r >= 0)
				r = add_b64_secret(o, "qi", k.qi);
		}
	}
	if (r < 0)
		return r;
	*ret = steal_ptr(o);
	return 0;
}

int jose_jwk_export(const struct crypto_pk *pk, bool include_private, struct buf *out)
{
	_cleanup_json_ json_object *o = NULL;
	int r;

	r = jose_jwk_export_json(pk, include_private, &o);
	if (r < 0)
		return r;
	return append_json(o, out);
}

int jose_tee_pubkey_jwk(const struct crypto_pk *pk, const char *alg, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	bool ec = crypto_pk_type(pk) == CRYPTO_PK_EC;
	int r;

	if (!o)
		return -ENOMEM;
	if (!alg)
		alg = ec ? "ECDH-ES+A256KW" : "RSA-OAEP-256";
	/* kbs-types TeePubKey field order: EC {kty, crv, alg, x, y}, RSA {kty, alg, n, e}. */
	r = add(o, "kty", json_object_new_string(ec ? "EC" : "RSA"));
	if (r >= 0 && ec)
		r = add(o, "crv",
			json_object_new_string(crypto_curve_to_string(crypto_pk_curve(pk))));
	if (r >= 0)
		r = add(o, "alg", json_object_new_string(alg));
	if (r >= 0)
		r = ec ? jwk_add_ec_public(o, pk) : jwk_add_rsa_public(o, pk);
	if (r < 0)
		return r;
	*ret = steal_ptr(o);
	return 0;
}

int jose_tee_pubkey_jwk_string(const struct crypto_pk *pk, const char *alg, struct buf *out)
{
	_cleanup_json_ json_object *o = NULL;
	int r;

	r = jose_tee_pubkey_jwk(pk, alg, &o);
	if (r < 0)
		return r;
	return append_json(o, out);
}

/* ---- JWS ---- */

struct jws_alg {
	const char *name;
	enum crypto_sig scheme;
	enum digest_alg md;
	enum crypto_curve curve; /* NONE: RSA */
};

static const struct jws_alg jws_algs[] = {
	{ "ES256", CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, CRYPTO_CURVE_P256 },
	{ "ES384", CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA384, CRYPTO_CURVE_P384 },
	{ "ES512", CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA512, CRYPTO_CURVE_P521 },
	{ "RS256", CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, CRYPTO_CURVE_NONE },
	{ "RS384", CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA384, CRYPTO_CURVE_NONE },
	{ "RS512", CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA512, CRYPTO_CURVE_NONE },
	{ "PS256", CRYPTO_SIG_RSA_PSS, DIGEST_SHA256, CRYPTO_CURVE_NONE },
	{ "PS384", CRYPTO_SIG_RSA_PSS, DIGEST_SHA384, CRYPTO_CURVE_NONE },
	{ "PS512", CRYPTO_SIG_RSA_PSS, DIGEST_SHA512, CRYPTO_CURVE_NONE },
};

static const struct jws_alg *jws_alg_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(jws_algs); i++)
		if (streq(name, jws_algs[i].name))
			return &jws_algs[i];
	return NULL;
}

/* -ENOKEY unless pk is the key type (and curve) the algorithm signs with. */
static int jws_key_fits(const struct jws_alg *a, const struct crypto_pk *pk)
{
	if (a->curve == CRYPTO_CURVE_NONE)
		return crypto_pk_type(pk) == CRYPTO_PK_RSA ? 0 : -ENOKEY;
	return crypto_pk_type(pk) == CRYPTO_PK_EC && crypto_pk_curve(pk) == a->curve ? 0 : -ENOKEY;
}

struct jose_jws {
	json_object *header;
	const char *alg, *kid; /* borrowed from header */
	struct buf payload, sig;
	char *signing_input; /* "<header>.<payload>" as received */
	size_t signing_input_len;
};

struct jose_jws *jose_jws_free(struct jose_jws *jws)
{
	if (!jws)
		return NULL;
	jputp(&jws->header);
	buf_done(&jws->payload);
	buf_done(&jws->sig);
	free(jws->signing_input);
	free(jws);
	return NULL;
}

int jose_jws_parse(const char *s, size_t n, struct jose_jws **ret)
{
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
	_cleanup_(buf_done) struct buf hdr = {};
	const char *dot1, *dot2;
	int r;

	if (n > JOSE_MAX_SIZE)
		return -E2BIG;
	dot1 = memchr(s, '.', n);
	if (!dot1)
		return -EBADMSG;
	dot2 = memchr(dot1 + 1, '.', n - (size_t) (dot1 + 1 - s));
	if (!dot2 || memchr(dot2 + 1, '.', n - (size_t) (dot2 + 1 - s)) || dot1 == s)
		return -EBADMSG;

	jws = calloc(1, sizeof(*jws));
	if (!jws)
		return -ENOMEM;
	jws->payload = BUF_INIT(JOSE_MAX_SIZE);
	jws->sig = BUF_INIT(JOSE_SMALL_MAX);
	r = b64url_decode(s, (size_t) (dot1 - s), JOSE_HEADER_MAX, &hdr);
	if (r < 0)
		return r;
	r = json_parse_object(buf_str(&hdr), hdr.len, &jws->header);
	if (r < 0)
		return r;
	r = get_str_required(jws->header, "alg", &jws->alg, NULL);
	if (r < 0)
		return r;
	r = get_str(jws->header, "kid", &jws->kid, NULL);
	if (r < 0)
		jws->kid = NULL;
	if (json_object_object_get_ex(jws->header, "crit", NULL))
		return -EOPNOTSUPP;
	r = b64_decode(B64_URL_NOPAD, dot1 + 1, (size_t) (dot2 - dot1 - 1), &jws->payload);
	if (r < 0)
		return r == -E2BIG ? -EBADMSG : r;
	r = b64_decode(B64_URL_NOPAD, dot2 + 1, n - (size_t) (dot2 + 1 - s), &jws->sig);
	if (r < 0)
		return r == -E2BIG ? -EBADMSG : r;
	jws->signing_input_len = (size_t) (dot2 - s);
	jws->signing_input = strndup(s, jws->signing_input_len);
	if (!jws->signing_input)
		return -ENOMEM;
	*ret = steal_ptr(jws);
	return 0;
}

const char *jose_jws_alg(const struct jose_jws *jws)
{
	return jws->alg;
}

const char *jose_jws_kid(const struct jose_jws *jws)
{
	return jws->kid;
}

json_object *jose_jws_header(const struct jose_jws *jws)
{
	return jws->header;
}

const uint8_t *jose_jws_payload(const struct jose_jws *jws, size_t *ret_n)
{
	*ret_n = jws->payload.len;
	return (const uint8_t *) buf_str(&jws->payload);
}

int jose_jws_verify(const struct jose_jws *jws, const struct crypto_pk *pk, const char *want_alg)
{
	const struct jws_alg *a;
	uint8_t h[DIGEST_MAX_SIZE];
	int r;

	if (want_alg && !streq(jws->alg, want_alg))
		return -EKEYREJECTED;
	if (streq(jws->alg, "none"))
		return -EKEYREJECTED;
	a = jws_alg_find(jws->alg);
	if (!a)
		return -EOPNOTSUPP;
	r = jws_key_fits(a, pk);
	if (r < 0)
		return r;
	digest_buf(a->md, jws->signing_input, jws->signing_input_len, h);
	return crypto_pk_verify(pk, a->scheme, a->md, h, digest_size(a->md), jws->sig.data,
				jws->sig.len);
}

int jose_jws_sign(const struct crypto_pk *pk, const char *alg, const char *kid, const void *payload,
		  size_t n, struct buf *out)
{
	_cleanup_json_ json_object *hdr = json_object_new_object();
	_cleanup_(buf_done) struct buf input = BUF_INIT(BUF_UNLIMITED),
				       sig = BUF_INIT(BUF_UNLIMITED),
				       text = BUF_INIT(JOSE_HEADER_MAX);
	const struct jws_alg *a;
	uint8_t h[DIGEST_MAX_SIZE];
	int r;

	if (!hdr)
		return -ENOMEM;
	if (!alg) {
		static const char *const by_curve[] = {
			[CRYPTO_CURVE_NONE] = "RS256",
			[CRYPTO_CURVE_P256] = "ES256",
			[CRYPTO_CURVE_P384] = "ES384",
			[CRYPTO_CURVE_P521] = "ES512",
		};
		alg = by_curve[crypto_pk_curve(pk)];
	}
	a = jws_alg_find(alg);
	if (!a)
		return -EOPNOTSUPP;
	r = jws_key_fits(a, pk);
	if (r < 0)
		return r;
	r = add(hdr, "alg", json_object_new_string(a->name));
	if (r >= 0 && kid)
		r = add(hdr, "kid", json_object_new_string(kid));
	if (r < 0)
		return r;
	r = json_append(hdr, &text);
	if (r < 0)
		return r;
	r = b64_encode(B64_URL_NOPAD, text.data, text.len, &input);
	if (r >= 0)
		r = buf_put_u8(&input, '.');
	if (r >= 0)
		r = b64_encode(B64_URL_NOPAD, payload, n, &input);
	if (r < 0)
		return r;
	digest_buf(a->md, input.data, input.len, h);
	r = crypto_pk_sign(pk, a->scheme, a->md, h, digest_size(a->md), &sig);
	if (r < 0)
		return r;
	r = buf_append(out, input.data, input.len);
	if (r >= 0)
		r = buf_put_u8(out, '.');
	if (r >= 0)
		r = b64_encode(B64_URL_NOPAD, sig.data, sig.len, out);
	return r;
}

/* ---- JWE ---- */

enum jwe_kind {
	JWE_ECDH_DIRECT,
	JWE_ECDH_KW,
	JWE_RSA,
};

struct jwe_alg {
	const char *name;
	enum jwe_kind kind;
	size_t kw_len;           /* JWE_ECDH_KW: AES-KW key size */
	enum crypto_rsa_pad pad; /* JWE_RSA */
};

static const struct jwe_alg jwe_algs[] = {
	{ "ECDH-ES", JWE_ECDH_DIRECT, 0, 0 },
	{ "ECDH-ES+A128KW", JWE_ECDH_KW, 16, 0 },
	{ "ECDH-ES+A192KW", JWE_ECDH_KW, 24, 0 },
	{ "ECDH-ES+A256KW", JWE_ECDH_KW, 32, 0 },
	{ "RSA-OAEP-256", JWE_RSA, 0, CRYPTO_RSA_OAEP_SHA256 },
	{ "RSA-OAEP", JWE_RSA, 0, CRYPTO_RSA_OAEP_SHA1 },
	{ "RSA1_5", JWE_RSA, 0, CRYPTO_RSA_PKCS1_V15 },
};

static const struct {
	const char *name;
	size_t keylen;
} jwe_encs[] = {
	{ "A128GCM", 16 },
	{ "A192GCM", 24 },
	{ "A256GCM", 32 },
};

static const struct jwe_alg *jwe_alg_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(jwe_algs); i++)
		if (streq(name, jwe_algs[i].name))
			return &jwe_algs[i];
	return NULL;
}

static size_t jwe_enc_keylen(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(jwe_encs); i++)
		if (streq(name, jwe_encs[i].name))
			return jwe_encs[i].keylen;
	return 0;
}

int jose_concat_kdf(const uint8_t *z, size_t zlen, const char *alg_id, const uint8_t *apu,
		    size_t apulen, const uint8_t *apv, size_t apvlen, size_t keylen, uint8_t *out)
{
	uint8_t be[4], block[32];
	size_t alen = strlen(alg_id);

	if (keylen == 0 || keylen > 64 || alen > UINT32_MAX || apulen > UINT32_MAX ||
	    apvlen > UINT32_MAX)
		return -EINVAL;
	for (uint32_t round = 1; (round - 1) * 32 < keylen; round++) {
		struct digest_ctx c;
		size_t take = MIN((size_t) 32, keylen - (round - 1) * 32);

		digest_init(&c, DIGEST_SHA256);
		put_be32(be, round);
		digest_update(&c, be, 4);
		digest_update(&c, z, zlen);
		/* OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo, each of
		 * the first three as a 32-bit big-endian length and the bytes. */
		put_be32(be, (uint32_t) alen);
		digest_update(&c, be, 4);
		digest_update(&c, alg_id, alen);
		put_be32(be, (uint32_t) apulen);
		digest_update(&c, be, 4);
		digest_update(&c, apu, apulen);
		put_be32(be, (uint32_t) apvlen);
		digest_update(&c, be, 4);
		digest_update(&c, apv, apvlen);
		put_be32(be, (uint32_t) (8 * keylen));
		digest_update(&c, be, 4);
		digest_final(&c, block);
		memcpy(out + (round - 1) * 32, block, take);
	}
	secret_wipe(block, sizeof(block));
	return 0;
}

/* The JOSE header of one recipient: protected, shared unprotected, per-recipient. */
struct jwe_header {
	json_object *part[3];
};

static json_object *hdr_get(const struct jwe_header *h, const char *key)
{
	json_object *v;

	for (size_t i = 0; i < ELEMENTSOF(h->part); i++)
		if (h->part[i] && json_object_object_get_ex(h->part[i], key, &v))
			return v;
	return NULL;
}

static int hdr_str(const struct jwe_header *h, const char *key, const char **ret, size_t *len)
{
	for (size_t i = 0; i < ELEMENTSOF(h->part); i++) {
		int r = get_str(h->part[i], key, ret, len);

		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

/* RFC 7516 §7.2.1: the header parts must not share a member name. */
static int hdr_check_disjoint(const struct jwe_header *h)
{
	for (size_t i = 0; i < ELEMENTSOF(h->part); i++) {
		if (!h->part[i])
			continue;
		json_object_object_foreach (h->part[i], key, val) {
			(void) val;
			for (size_t k = i + 1; k < ELEMENTSOF(h->part); k++)
				if (h->part[k] && json_object_object_get_ex(h->part[k], key, NULL))
					return -EBADMSG;
		}
	}
	return 0;
}

static int hdr_b64(const struct jwe_header *h, const char *key, size_t max, struct buf *out)
{
	const char *s;
	size_t n;
	int r;

	*out = BUF_INIT(max);
	r = hdr_str(h, key, &s, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return b64url_decode(s, n, max, out);
}

/* ECDH-ES key agreement on the receiving side: Z from our key and the sender's "epk",
 * then the Concat KDF. */
static int jwe_ecdh_derive(const struct jwe_header *h, const struct crypto_pk *key,
			   const char *alg_id, size_t keylen, uint8_t *out)
{
	_cleanup_pk_ struct crypto_pk *epk = NULL;
	_cleanup_secret_ struct secret *z = NULL;
	_cleanup_(buf_done) struct buf apu = {}, apv = {};
	json_object *e = hdr_get(h, "epk");
	const char *kty;
	int r;

	if (!e || !json_object_is_type(e, json_type_object))
		return -EBADMSG;
	r = get_str_required(e, "kty", &kty, NULL);
	if (r < 0)
		return r;
	if (!streq(kty, "EC"))
		return -EOPNOTSUPP;
	/* An ephemeral key is public; one that carries "d" was built wrong. */
	if (json_object_object_get_ex(e, "d", NULL))
		return -EBADMSG;
	r = jose_jwk_import_json(e, &epk);
	if (r < 0)
		return r;
	if (crypto_pk_curve(epk) != crypto_pk_curve(key))
		return -ENOKEY;
	r = hdr_b64(h, "apu", JOSE_SMALL_MAX, &apu);
	if (r < 0)
		return r;
	r = hdr_b64(h, "apv", JOSE_SMALL_MAX, &apv);
	if (r < 0)
		return r;
	r = crypto_ecdh(key, epk, &z);
	if (r < 0)
		return r;
	return jose_concat_kdf(z->p, z->n, alg_id, apu.data, apu.len, apv.data, apv.len, keylen,
			       out);
}

/* Recovers the content encryption key of one recipient. */
static int jwe_recipient_cek(const struct jwe_header *h, const char *ek_b64, size_t ek_len,
			     const struct crypto_pk *key, const char **ret_enc,
			     struct secret **ret_cek)
{
	_cleanup_secret_ struct secret *cek = NULL, *kek = NULL, *unwrapped = NULL;
	_cleanup_(buf_done) struct buf ek = {};
	const struct jwe_alg *a;
	const char *alg, *enc;
	size_t keylen;
	int r;

	r = hdr_check_disjoint(h);
	if (r < 0)
		return r;
	if (hdr_get(h, "zip") || hdr_get(h, "crit"))
		return -EOPNOTSUPP;
	r = hdr_str(h, "alg", &alg, NULL);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	r = hdr_str(h, "enc", &enc, NULL);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	a = jwe_alg_find(alg);
	keylen = jwe_enc_keylen(enc);
	if (!a || keylen == 0)
		return -EOPNOTSUPP;
	r = b64url_decode(ek_b64 ? ek_b64 : "", ek_b64 ? ek_len : 0, JOSE_SMALL_MAX, &ek);
	if (r < 0)
		return r;
	if (!crypto_pk_is_private(key))
		return -ENOKEY;

	switch (a->kind) {
	case JWE_ECDH_DIRECT:
		if (crypto_pk_type(key) != CRYPTO_PK_EC)
			return -ENOKEY;
		if (ek.len != 0)
			return -EBADMSG;
		cek = secret_alloc(keylen);
		if (!cek)
			return -ENOMEM;
		r = jwe_ecdh_derive(h, key, enc, keylen, cek->p);
		if (r < 0)
			return r;
		break;
	case JWE_ECDH_KW:
		if (crypto_pk_type(key) != CRYPTO_PK_EC)
			return -ENOKEY;
		kek = secret_alloc(a->kw_len);
		if (!kek)
			return -ENOMEM;
		r = jwe_ecdh_derive(h, key, alg, a->kw_len, kek->p);
		if (r < 0)
			return r;
		r = crypto_aes_kw_unwrap(kek->p, kek->n, ek.data, ek.len, &cek);
		if (r < 0)
			return r;
		if (cek->n != keylen)
			return -EBADMSG;
		break;
	case JWE_RSA:
		if (crypto_pk_type(key) != CRYPTO_PK_RSA)
			return -ENOKEY;
		if (a->pad != CRYPTO_RSA_PKCS1_V15) {
			r = crypto_rsa_decrypt(key, a->pad, ek.data, ek.len, &cek);
			if (r < 0)
				return r;
			if (cek->n != keylen)
				return -EBADMSG;
			break;
		}
		/* RSA1_5: a padding failure must look exactly like a wrong tag, or the
		 * decryptor is a Bleichenbacher oracle (RFC 7516 §11.5). So a random CEK is
		 * made first and used whenever the real one does not come out right. */
		cek = secret_alloc(keylen);
		if (!cek)
			return -ENOMEM;
		r = crypto_random(cek->p, cek->n);
		if (r < 0)
			return r;
		r = crypto_rsa_decrypt(key, a->pad, ek.data, ek.len, &unwrapped);
		if (r == -EBADMSG || r == -ENOMEM)
			return r; /* length of public input, or allocation: no oracle */
		if (r >= 0 && unwrapped->n == keylen)
			memcpy(cek->p, unwrapped->p, keylen);
		break;
	}
	*ret_enc = enc;
	*ret_cek = steal_ptr(cek);
	return 0;
}

/* The parts every recipient shares. */
struct jwe {
	json_object *protected_hdr, *unprotected;
	struct buf aad; /* ASCII(protected) [|| '.' || ASCII(aad)] */
	struct buf iv, ciphertext, tag;
};

static void jwe_done(struct jwe *j)
{
	jputp(&j->protected_hdr);
	jputp(&j->unprotected);
	buf_done(&j->aad);
	buf_done(&j->iv);
	buf_done(&j->ciphertext);
	buf_done(&j->tag);
}

static int jwe_set_parts(struct jwe *j, const char *prot, size_t prot_len, const char *aad,
			 size_t aad_len, bool has_aad, const char *iv, size_t iv_len,
			 const char *ct, size_t ct_len, const char *tag, size_t tag_len)
{
	_cleanup_(buf_done) struct buf hdr = {}, aad_bytes = {};
	int r;

	j->aad = BUF_INIT(JOSE_MAX_SIZE);
	if (prot_len > 0) {
		r = b64url_decode(prot, prot_len, JOSE_HEADER_MAX, &hdr);
		if (r < 0)
			return r;
		r = json_parse_object(buf_str(&hdr), hdr.len, &j->protected_hdr);
		if (r < 0)
			return r;
	}
	/* The AAD is the protected header exactly as received (upstream.md §4.5). */
	r = buf_append(&j->aad, prot, prot_len);
	if (r < 0)
		return r;
	if (has_aad) {
		/* Used verbatim, but it must still be what RFC 7516 says it is. */
		r = b64url_decode(aad, aad_len, JOSE_MAX_SIZE, &aad_bytes);
		if (r < 0)
			return r;
		r = buf_put_u8(&j->aad, '.');
		if (r >= 0)
			r = buf_append(&j->aad, aad, aad_len);
		if (r < 0)
			return r;
	}
	/* GCM with the 96-bit IV and 128-bit tag RFC 7518 §5.3 requires. */
	r = b64url_decode(iv, iv_len, CRYPTO_GCM_IV_SIZE, &j->iv);
	if (r < 0 || j->iv.len != CRYPTO_GCM_IV_SIZE)
		return -EBADMSG;
	r = b64url_decode(tag, tag_len, CRYPTO_GCM_TAG_SIZE, &j->tag);
	if (r < 0 || j->tag.len != CRYPTO_GCM_TAG_SIZE)
		return -EBADMSG;
	return b64url_decode(ct, ct_len, JOSE_MAX_SIZE, &j->ciphertext);
}

static int jwe_open(const struct jwe *j, const char *enc, const struct secret *cek,
		    struct secret **ret)
{
	_cleanup_secret_ struct secret *pt = secret_alloc(j->ciphertext.len);
	int r;

	if (!pt)
		return -ENOMEM;
	r = crypto_aes_gcm_decrypt(cek->p, cek->n, j->iv.data, j->iv.len, j->aad.data, j->aad.len,
				   j->ciphertext.data, j->ciphertext.len, j->tag.data, pt->p);
	if (r < 0) {
		log_debug("jose: JWE (%s) content did not authenticate", enc);
		return r;
	}
	*ret = steal_ptr(pt);
	return 0;
}

static int jwe_decrypt_one(const struct jwe *j, json_object *rcpt_hdr, const char *ek,
			   size_t ek_len, const struct crypto_pk *key, struct secret **ret)
{
	_cleanup_secret_ struct secret *cek = NULL;
	struct jwe_header h = { { j->protected_hdr, j->unprotected, rcpt_hdr } };
	const char *enc;
	int r;

	r = jwe_recipient_cek(&h, ek, ek_len, key, &enc, &cek);
	if (r < 0)
		return r;
	return jwe_open(j, enc, cek, ret);
}

/* Optional string member; -EBADMSG if present but not a string. */
static int get_str_opt(json_object *o, const char *key, const char **ret, size_t *len)
{
	int r = get_str(o, key, ret, len);

	if (r == -ENOENT) {
		*ret = NULL;
		*len = 0;
		return 0;
	}
	return r;
}

static int get_obj_opt(json_object *o, const char *key, json_object **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int jwe_decrypt_json(const char *s, size_t n, const struct crypto_pk *key,
			    struct secret **ret)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_(jwe_done) struct jwe j = {};
	const char *prot, *aad, *iv, *ct, *tag, *ek;
	size_t prot_len, aad_len, iv_len, ct_len, tag_len, ek_len;
	json_object *unprot, *rcpts, *hdr;
	int r, best = -ENOKEY;

	r = json_parse_object(s, n, &o);
	if (r < 0)
		return r;
	if ((r = get_str_opt(o, "protected", &prot, &prot_len)) < 0 ||
	    (r = get_str_opt(o, "aad", &aad, &aad_len)) < 0 ||
	    (r = get_str_required(o, "iv", &iv, &iv_len)) < 0 ||
	    (r = get_str_required(o, "ciphertext", &ct, &ct_len)) < 0 ||
	    (r = get_str_required(o, "tag", &tag, &tag_len)) < 0 ||
	    (r = get_obj_opt(o, "unprotected", &unprot)) < 0)
		return r;
	r = jwe_set_parts(&j, prot, prot_len, aad, aad_len, aad != NULL, iv, iv_len, ct, ct_len,
			  tag, tag_len);
	if (r < 0)
		return r;
	if (unprot)
		j.unprotected = json_object_get(unprot);

	if (!json_object_object_get_ex(o, "recipients", &rcpts)) {
		/* Flattened: the one recipient's members sit at the top level. */
		if ((r = get_obj_opt(o, "header", &hdr)) < 0 ||
		    (r = get_str_opt(o, "encrypted_key", &ek, &ek_len)) < 0)
			return r;
		return jwe_decrypt_one(&j, hdr, ek, ek_len, key, ret);
	}
	if (!json_object_is_type(rcpts, json_type_array) || json_object_array_length(rcpts) == 0 ||
	    json_object_array_length(rcpts) > JWE_MAX_RECIPIENTS)
		return -EBADMSG;
	for (size_t i = 0; i < json_object_array_length(rcpts); i++) {
		json_object *rc = json_object_array_get_idx(rcpts, i);

		if (!json_object_is_type(rc, json_type_object))
			return -EBADMSG;
		if ((r = get_obj_opt(rc, "header", &hdr)) < 0 ||
		    (r = get_str_opt(rc, "encrypted_key", &ek, &ek_len)) < 0)
			return r;
		r = jwe_decrypt_one(&j, hdr, ek, ek_len, key, ret);
		if (r >= 0)
			return r;
		if (r == -ENOMEM)
			return r;
		/* A recipient meant for another key is skipped; a real failure is kept. */
		if (best == -ENOKEY || best == -EOPNOTSUPP)
			best = r;
	}
	return best;
}

static int jwe_decrypt_compact(const char *s, size_t n, const struct crypto_pk *key,
			       struct secret **ret)
{
	_cleanup_(jwe_done) struct jwe j = {};
	const char *part[5];
	size_t len[5], k = 0;
	const char *p = s, *end = s + n;
	int r;

	for (k = 0; k < 5; k++) {
		const char *dot = memchr(p, '.', (size_t) (end - p));

		part[k] = p;
		if (k < 4) {
			if (!dot)
				return -EBADMSG;
			len[k] = (size_t) (dot - p);
			p = dot + 1;
		} else {
			if (dot)
				return -EBADMSG;
			len[k] = (size_t) (end - p);
		}
	}
	if (len[0] == 0)
		return -EBADMSG;
	r = jwe_set_parts(&j, part[0], len[0], NULL, 0, false, part[2], len[2], part[3], len[3],
			  part[4], len[4]);
	if (r < 0)
		return r;
	return jwe_decrypt_one(&j, NULL, part[1], len[1], key, ret);
}

int jose_jwe_decrypt(const char *s, size_t n, const struct crypto_pk *key,
		     struct secret **ret_plaintext)
{
	size_t i = 0;

	if (n > JOSE_MAX_SIZE)
		return -E2BIG;
	while (i < n && strchr(" \t\r\n", s[i]) && s[i])
		i++;
	if (i == n)
		return -EBADMSG;
	if (s[i] == '{')
		return jwe_decrypt_json(s, n, key, ret_plaintext);
	return jwe_decrypt_compact(s, n, key, ret_plaintext);
}

static int jwe_make_epk(const struct crypto_pk *eph, json_object **ret)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	/* Member order as upstream's KBS writes it (upstream.md §4.5). */
	r = add(o, "crv", json_object_new_string(crypto_curve_to_string(crypto_pk_curve(eph))));
	if (r >= 0)
		r = add(o, "kty", json_object_new_string("EC"));
	if (r >= 0)
		r = jwk_add_ec_public(o, eph);
	if (r < 0)
		return r;
	*ret = steal_ptr(o);
	return 0;
}

int jose_jwe_encrypt(const struct crypto_pk *recipient, const char *alg, const char *enc,
		     const void *aad, size_t aadlen, const void *p, size_t n, struct buf *out)
{
	_cleanup_json_ json_object *hdr = json_object_new_object(), *res = json_object_new_object();
	_cleanup_json_ json_object *epk_json = NULL;
	_cleanup_pk_ struct crypto_pk *eph = NULL;
	_cleanup_secret_ struct secret *cek = NULL, *z = NULL, *kek = NULL;
	_cleanup_(buf_done) struct buf ek = BUF_INIT(BUF_UNLIMITED), prot = BUF_INIT(BUF_UNLIMITED),
				       aad_b64 = BUF_INIT(BUF_UNLIMITED),
				       full_aad = BUF_INIT(BUF_UNLIMITED),
				       text = BUF_INIT(JOSE_HEADER_MAX);
	_cleanup_free_ uint8_t *ct = NULL;
	uint8_t iv[CRYPTO_GCM_IV_SIZE], tag[CRYPTO_GCM_TAG_SIZE];
	const struct jwe_alg *a;
	bool ec = crypto_pk_type(recipient) == CRYPTO_PK_EC;
	size_t keylen;
	int r;

	if (!hdr || !res)
		return -ENOMEM;
	if (n > JOSE_MAX_SIZE)
		return -E2BIG;
	alg = alg ?: ec ? "ECDH-ES+A256KW" : "RSA-OAEP-256";
	enc = enc ?: "A256GCM";
	a = jwe_alg_find(alg);
	keylen = jwe_enc_keylen(enc);
	if (!a || keylen == 0)
		return -EOPNOTSUPP;
	if (ec != (a->kind != JWE_RSA))
		return -ENOKEY;

	if (a->kind == JWE_RSA) {
		cek = secret_alloc(keylen);
		if (!cek)
			return -ENOMEM;
		r = crypto_random(cek->p, cek->n);
		if (r >= 0)
			r = crypto_rsa_encrypt(recipient, a->pad, cek->p, cek->n, &ek);
		if (r < 0)
			return r;
	} else {
		size_t derived = a->kind == JWE_ECDH_KW ? a->kw_len : keylen;

		r = crypto_pk_generate_ec(crypto_pk_curve(recipient), &eph);
		if (r >= 0)
			r = crypto_ecdh(eph, recipient, &z);
		if (r >= 0)
			r = jwe_make_epk(eph, &epk_json);
		if (r < 0)
			return r;
		kek = secret_alloc(derived);
		if (!kek)
			return -ENOMEM;
		r = jose_concat_kdf(z->p, z->n, a->kind == JWE_ECDH_KW ? alg : enc, NULL, 0, NULL,
				    0, derived, kek->p);
		if (r < 0)
			return r;
		if (a->kind == JWE_ECDH_DIRECT) {
			cek = steal_ptr(kek);
		} else {
			cek = secret_alloc(keylen);
			if (!cek)
				return -ENOMEM;
			r = crypto_random(cek->p, cek->n);
			if (r >= 0)
				r = buf_reserve(&ek, keylen + 8);
			if (r >= 0)
				r = crypto_aes_kw_wrap(kek->p, kek->n, cek->p, cek->n, ek.data);
			if (r < 0)
				return r;
			ek.len = keylen + 8;
		}
	}

	r = add(hdr, "alg", json_object_new_string(alg));
	if (r >= 0)
		r = add(hdr, "enc", json_object_new_string(enc));
	if (r >= 0 && epk_json)
		r = add(hdr, "epk", steal_ptr(epk_json));
	if (r < 0)
		return r;
	r = json_append(hdr, &text);
	if (r < 0)
		return r;
	r = b64_encode(B64_URL_NOPAD, text.data, text.len, &prot);
	if (r >= 0)
		r = buf_append(&full_aad, prot.data, prot.len);
	if (r >= 0 && aad) {
		r = b64_encode(B64_URL_NOPAD, aad, aadlen, &aad_b64);
		if (r >= 0)
			r = buf_put_u8(&full_aad, '.');
		if (r >= 0)
			r = buf_append(&full_aad, aad_b64.data, aad_b64.len);
	}
	if (r < 0)
		return r;

	ct = malloc(n ?: 1);
	if (!ct)
		return -ENOMEM;
	r = crypto_random(iv, sizeof(iv));
	if (r >= 0)
		r = crypto_aes_gcm_encrypt(cek->p, cek->n, iv, sizeof(iv), full_aad.data,
					   full_aad.len, p, n, ct, tag);
	if (r < 0)
		return r;

	r = add(res, "protected", json_object_new_string_len(buf_str(&prot), (int) prot.len));
	if (r >= 0 && aad)
		r = add(res, "aad",
			json_object_new_string_len(buf_str(&aad_b64), (int) aad_b64.len));
	if (r >= 0 && a->kind != JWE_ECDH_DIRECT)
		r = add_b64(res, "encrypted_key", ek.data, ek.len);
	if (r >= 0)
		r = add_b64(res, "iv", iv, sizeof(iv));
	if (r >= 0)
		r = add_b64(res, "ciphertext", ct, n);
	if (r >= 0)
		r = add_b64(res, "tag", tag, sizeof(tag));
	if (r < 0)
		return r;
	return append_json(res, out);
}
