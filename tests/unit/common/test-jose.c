/* SPDX-License-Identifier: Apache-2.0 */
/* common/jose: RFC 7515 A.3, RFC 7520 §4.1-4.3 and §5.2/§5.4 examples, the RFC 7518
 * Appendix C Concat KDF, upstream's tee-pubkey shape, round trips over every algorithm,
 * and a catalogue of malformed inputs with the error each must give. */
#include <fcntl.h>
#include <json-c/json.h>

#include "common/b64.h"
#include "common/jose.h"
#include "tests/unit/tests.h"

static void jputp_test(json_object **p)
{
	if (*p)
		json_object_put(*p);
}

static json_object *load(const char *name)
{
	char path[512];
	json_object *o;

	snprintf(path, sizeof(path), "%s/rfc7520/%s", TEST_DATA_DIR, name);
	o = json_object_from_file(path);
	if (!o)
		FAIL_("cannot read '%s'", path);
	return o;
}

/* o["a"]["b"]... as a JSON value. */
static json_object *at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	ASSERT_TRUE(json_object_object_get_ex(o, a, &v));
	if (b)
		ASSERT_TRUE(json_object_object_get_ex(v, b, &v));
	return v;
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
	return json_object_get_string(at(o, a, b));
}

static const char *text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct crypto_pk *jwk_of(json_object *o)
{
	struct crypto_pk *k = NULL;
	const char *s = text(o);

	ASSERT_OK(jose_jwk_import(s, strlen(s), &k));
	return k;
}

static void assert_secret_str(const struct secret *s, const char *want)
{
	ASSERT_EQ(s->n, strlen(want));
	ASSERT_MEMEQ(s->p, want, s->n);
}

#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define A3_JWK "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}"
#define A3_JWS                                                                                     \
	"eyJhbGciOiJFUzI1NiJ9."                                                                    \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0" \
	"cnVlfQ."                                                                                  \
	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

static void test_rfc7515_a3_es256(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL, *other = NULL;
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL, *bad = NULL;
	const char *want = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
			   "\"http://example.com/is_root\":true}";
	char tampered[] = A3_JWS;
	const uint8_t *p;
	size_t n;

	ASSERT_OK(jose_jwk_import(A3_JWK, strlen(A3_JWK), &k));
	ASSERT_TRUE(!crypto_pk_is_private(k));
	ASSERT_OK(jose_jws_parse(A3_JWS, strlen(A3_JWS), &jws));
	ASSERT_STREQ(jose_jws_alg(jws), "ES256");
	ASSERT_TRUE(jose_jws_kid(jws) == NULL);
	p = jose_jws_payload(jws, &n);
	ASSERT_EQ(n, strlen(want));
	ASSERT_MEMEQ(p, want, n);
	ASSERT_OK(jose_jws_verify(jws, k, "ES256"));
	ASSERT_OK(jose_jws_verify(jws, k, NULL));
	ASSERT_ERR(jose_jws_verify(jws, k, "ES384"), -EKEYREJECTED);
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P384, &other));
	ASSERT_ERR(jose_jws_verify(jws, other, NULL), -ENOKEY);
	other = crypto_pk_free(other);
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &other));
	ASSERT_ERR(jose_jws_verify(jws, other, NULL), -EKEYREJECTED);

	/* Last signature character Q -> A: one bit of s changes. */
	tampered[strlen(tampered) - 1] = 'A';
	ASSERT_OK(jose_jws_parse(tampered, strlen(tampered), &bad));
	ASSERT_ERR(jose_jws_verify(bad, k, "ES256"), -EKEYREJECTED);
}

static void test_rfc7520_jws(void)
{
	static const char *const files[] = { "4_1-rs256.json", "4_2-ps384.json", "4_3-es512.json" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_(jputp_test) json_object *v = load(files[i]);
		_cleanup_pk_ struct crypto_pk *k = jwk_of(at(v, "input", "key"));
		_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
		_cleanup_(buf_done) struct buf ours = BUF_INIT(BUF_UNLIMITED);
		const char *compact = str_at(v, "output", "compact");
		const char *payload = str_at(v, "input", "payload");
		const char *alg = str_at(v, "input", "alg");
		const uint8_t *p;
		size_t n;

		ASSERT_TRUE(crypto_pk_is_private(k));
		ASSERT_OK(jose_jws_parse(compact, strlen(compact), &jws));
		ASSERT_STREQ(jose_jws_alg(jws), alg);
		ASSERT_STREQ(jose_jws_kid(jws), "bilbo.baggins@hobbiton.example");
		p = jose_jws_payload(jws, &n);
		ASSERT_EQ(n, strlen(payload));
		ASSERT_MEMEQ(p, payload, n);
		ASSERT_OK(jose_jws_verify(jws, k, alg));

		/* Our signature over the same input verifies; RS256 is deterministic, so
		 * ours must be the RFC's byte for byte (header members in the same order). */
		ASSERT_OK(jose_jws_sign(k, alg, "bilbo.baggins@hobbiton.example", payload,
					strlen(payload), &ours));
		if (streq(alg, "RS256"))
			ASSERT_STREQ(buf_str(&ours), compact);
		jws = jose_jws_free(jws);
		ASSERT_OK(jose_jws_parse(buf_str(&ours), ours.len, &jws));
		ASSERT_OK(jose_jws_verify(jws, k, alg));
	}
}

static void test_jws_sign_all(void)
{
	static const char *const algs[] = { "ES256", "ES384", "ES512", "RS256", "RS384",
					    "RS512", "PS256", "PS384", "PS512" };
	_cleanup_(jputp_test) json_object *v = load("4_1-rs256.json");
	_cleanup_pk_ struct crypto_pk *rsa = jwk_of(at(v, "input", "key")), *rsa_pub = NULL,
				      *ec256 = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(crypto_pk_public(rsa, &rsa_pub));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &ec256));
	for (size_t i = 0; i < ELEMENTSOF(algs); i++) {
		_cleanup_pk_ struct crypto_pk *ec = NULL, *pub = NULL;
		_cleanup_(buf_done) struct buf jws_text = BUF_INIT(BUF_UNLIMITED),
					       hdr = BUF_INIT(BUF_UNLIMITED);
		_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
		bool is_ec = algs[i][0] == 'E';
		struct crypto_pk *k = rsa;
		char want[128];

		if (is_ec) {
			enum crypto_curve c = algs[i][2] == '2'   ? CRYPTO_CURVE_P256
					      : algs[i][2] == '3' ? CRYPTO_CURVE_P384
								  : CRYPTO_CURVE_P521;
			ASSERT_OK(crypto_pk_generate_ec(c, &ec));
			k = ec;
		}
		ASSERT_OK(crypto_pk_public(k, &pub));
		ASSERT_OK(
		    jose_jws_sign(k, algs[i], "kbs:///default/key/1", "{\"a\":1}", 7, &jws_text));
		ASSERT_OK(jose_jws_parse(buf_str(&jws_text), jws_text.len, &jws));
		ASSERT_STREQ(jose_jws_kid(jws), "kbs:///default/key/1");
		ASSERT_OK(jose_jws_verify(jws, pub, algs[i]));
		/* The header is exactly {"alg":..,"kid":..} (upstream's sealed-secret signer). */
		ASSERT_OK(b64_decode(B64_URL_NOPAD, buf_str(&jws_text),
				     strcspn(buf_str(&jws_text), "."), &hdr));
		snprintf(want, sizeof(want), "{\"alg\":\"%s\",\"kid\":\"kbs:///default/key/1\"}",
			 algs[i]);
		ASSERT_STREQ(buf_str(&hdr), want);
		/* A key of the other kind cannot serve. */
		ASSERT_ERR(jose_jws_verify(jws, is_ec ? rsa_pub : ec256, NULL), -ENOKEY);
		ASSERT_ERR(jose_jws_sign(is_ec ? rsa : ec256, algs[i], NULL, "x", 1, &out),
			   -ENOKEY);
	}
	ASSERT_ERR(jose_jws_sign(rsa, "HS256", NULL, "x", 1, &out), -EOPNOTSUPP);
	ASSERT_ERR(jose_jws_sign(rsa_pub, "RS256", NULL, "x", 1, &out), -EINVAL);
	ASSERT_EQ(out.len, 0);
	/* Default alg and no kid: {"alg":"RS256"}, empty payload. */
	ASSERT_OK(jose_jws_sign(rsa, NULL, NULL, "", 0, &out));
	ASSERT_TRUE(startswith(buf_str(&out), "eyJhbGciOiJSUzI1NiJ9.."));
}

static void test_jws_malformed(void)
{
	static const struct {
		const char *s;
		int err;
	} v[] = {
		{ "", -EBADMSG },
		{ "abc", -EBADMSG },
		{ "eyJhbGciOiJFUzI1NiJ9.e30", -EBADMSG },
		{ "eyJhbGciOiJFUzI1NiJ9.e30.AA.AA", -EBADMSG },
		{ ".e30.AA", -EBADMSG },
		{ "e30.e30.AA", -EBADMSG },                   /* {} : no alg */
		{ "eyJhbGciOjF9.e30.AA", -EBADMSG },          /* {"alg":1} */
		{ "WzFd.e30.AA", -EBADMSG },                  /* [1] */
		{ "eyJhbGciOiJFUzI1NiJ9=.e30.AA", -EBADMSG }, /* padding */
		{ "eyJhbGciOiJFUzI1NiJ9.e3+.AA", -EBADMSG },  /* std alphabet */
		{ "eyJhbGciOiJFUzI1NiJ9.e30.A", -EBADMSG },   /* impossible length */
		{ "eyJhbGciOiJFUzI1NiIsImNyaXQiOlsiYjY0Il0sImI2NCI6ZmFsc2V9.e30.AA", -EOPNOTSUPP },
		{ "eyJhbGciOiJFUzI1NiJ9eA.e30.AA", -EBADMSG }, /* {"alg":"ES256"}x */
		{ "sealed.eyJhbGciOiJFUzI1NiJ9.e30.AA", -EBADMSG },
	};

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
		int r = jose_jws_parse(v[i].s, strlen(v[i].s), &jws);

		if (r != v[i].err)
			FAIL_("'%s': got %d, want %d", v[i].s, r, v[i].err);
		ASSERT_TRUE(jws == NULL);
	}

	/* Parses, but never verifies. */
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(jose_jws_freep) struct jose_jws *none = NULL, *hs = NULL, *short_sig = NULL;
	ASSERT_OK(jose_jwk_import(A3_JWK, strlen(A3_JWK), &k));
	ASSERT_OK(jose_jws_parse("eyJhbGciOiJub25lIn0.e30.", 24, &none)); /* {"alg":"none"} */
	ASSERT_ERR(jose_jws_verify(none, k, NULL), -EKEYREJECTED);
	ASSERT_OK(jose_jws_parse("eyJhbGciOiJIUzI1NiJ9.e30.AA", 27, &hs));
	ASSERT_ERR(jose_jws_verify(hs, k, NULL), -EOPNOTSUPP);
	ASSERT_OK(jose_jws_parse("eyJhbGciOiJFUzI1NiJ9.e30.AA", 27, &short_sig));
	ASSERT_ERR(jose_jws_verify(short_sig, k, NULL), -EBADMSG);
}

static void test_jws_header_text(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED), hdr = BUF_INIT(BUF_UNLIMITED),
				       forged = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL, *dup = NULL;
	const char *kid = "cl\xc3\xa9 \xe2\x9c\x93"; /* UTF-8 survives both ways */
	const char *dup_hdr, *bad_utf8;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &k));
	ASSERT_OK(jose_jws_sign(k, "ES256", kid, "p", 1, &out));
	ASSERT_OK(jose_jws_parse(buf_str(&out), out.len, &jws));
	ASSERT_STREQ(jose_jws_kid(jws), kid);
	ASSERT_OK(jose_jws_verify(jws, k, "ES256"));
	/* A header naming "alg" twice is refused, whichever value would win. */
	dup_hdr = "{\"alg\":\"none\",\"alg\":\"ES256\"}";
	ASSERT_OK(b64_encode(B64_URL_NOPAD, dup_hdr, strlen(dup_hdr), &hdr));
	ASSERT_OK(buf_appendf(&forged, "%s%s", buf_str(&hdr), strchr(buf_str(&out), '.')));
	ASSERT_ERR(jose_jws_parse(buf_str(&forged), forged.len, &dup), -EBADMSG);
	/* Invalid UTF-8 in the header. */
	buf_reset(&hdr);
	buf_reset(&forged);
	bad_utf8 = "{\"alg\":\"ES256\",\"kid\":\"\xc3\"}";
	ASSERT_OK(b64_encode(B64_URL_NOPAD, bad_utf8, strlen(bad_utf8), &hdr));
	ASSERT_OK(buf_appendf(&forged, "%s%s", buf_str(&hdr), strchr(buf_str(&out), '.')));
	ASSERT_ERR(jose_jws_parse(buf_str(&forged), forged.len, &dup), -EBADMSG);
}

static void test_rfc7518_appendix_c_kdf(void)
{
	static const uint8_t z[32] = { 158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
				       131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
				       106, 72,  246, 218, 167, 121, 140, 254, 144, 196 };
	static const char bob[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
				  "\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
				  "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
				  "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}";
	static const char alice_epk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
					"\"x\":\"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0\","
					"\"y\":\"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps\"}";
	_cleanup_pk_ struct crypto_pk *b = NULL, *a = NULL;
	_cleanup_secret_ struct secret *zz = NULL;
	_cleanup_(buf_done) struct buf enc = BUF_INIT(BUF_UNLIMITED);
	uint8_t key[16];

	ASSERT_OK(jose_jwk_import(bob, strlen(bob), &b));
	ASSERT_OK(jose_jwk_import(alice_epk, strlen(alice_epk), &a));
	ASSERT_OK(crypto_ecdh(b, a, &zz));
	ASSERT_EQ(zz->n, 32);
	ASSERT_MEMEQ(zz->p, z, 32);
	ASSERT_OK(jose_concat_kdf(z, 32, "A128GCM", (const uint8_t *) "Alice", 5,
				  (const uint8_t *) "Bob", 3, 16, key));
	ASSERT_OK(b64_encode(B64_URL_NOPAD, key, 16, &enc));
	ASSERT_STREQ(buf_str(&enc), "VqqN6vgjbSBcIijNcacQGg");
	ASSERT_ERR(jose_concat_kdf(z, 32, "A128GCM", NULL, 0, NULL, 0, 0, key), -EINVAL);
}

static void test_rfc7520_jwe(void)
{
	static const char *const files[] = { "5_2-rsa-oaep-a256gcm.json",
					     "5_4-ecdh-es-a128kw-a128gcm.json" };

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_(jputp_test) json_object *v = load(files[i]);
		_cleanup_pk_ struct crypto_pk *k = jwk_of(at(v, "input", "key")), *pub = NULL,
					      *other = NULL;
		const char *plaintext = str_at(v, "input", "plaintext");
		const char *forms[] = { str_at(v, "output", "compact"),
					text(at(v, "output", "json")),
					text(at(v, "output", "json_flat")) };

		for (size_t f = 0; f < ELEMENTSOF(forms); f++) {
			_cleanup_secret_ struct secret *pt = NULL;

			ASSERT_OK(jose_jwe_decrypt(forms[f], strlen(forms[f]), k, &pt));
			assert_secret_str(pt, plaintext);
		}
		/* The public half, and another key of the same kind, cannot open it. */
		_cleanup_secret_ struct secret *pt = NULL;
		ASSERT_OK(crypto_pk_public(k, &pub));
		ASSERT_ERR(jose_jwe_decrypt(forms[0], strlen(forms[0]), pub, &pt), -ENOKEY);
		if (crypto_pk_type(k) == CRYPTO_PK_EC) {
			ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P384, &other));
			ASSERT_ERR(jose_jwe_decrypt(forms[2], strlen(forms[2]), other, &pt),
				   -EKEYREJECTED);
			other = crypto_pk_free(other);
			ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &other));
			ASSERT_ERR(jose_jwe_decrypt(forms[2], strlen(forms[2]), other, &pt),
				   -ENOKEY);
		} else {
			_cleanup_(jputp_test) json_object *w = load("4_1-rs256.json");
			other = jwk_of(at(w, "input", "key"));
			/* 2048-bit key, 512-byte encrypted_key: malformed for this key. */
			ASSERT_ERR(jose_jwe_decrypt(forms[2], strlen(forms[2]), other, &pt),
				   -EBADMSG);
		}
		ASSERT_TRUE(pt == NULL);
	}
}

static void test_tee_pubkey_shape(void)
{
	static const char a3_priv[] = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X
				      "\",\"y\":\"" A3_Y "\",\"d\":\"" A3_D "\"}";
	_cleanup_pk_ struct crypto_pk *k = NULL, *rsa = NULL;
	_cleanup_(buf_done) struct buf s = BUF_INIT(BUF_UNLIMITED), r = BUF_INIT(BUF_UNLIMITED),
				       want = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(jputp_test) json_object *v = load("5_2-rsa-oaep-a256gcm.json");

	ASSERT_OK(jose_jwk_import(a3_priv, strlen(a3_priv), &k));
	ASSERT_TRUE(crypto_pk_is_private(k));
	ASSERT_OK(jose_tee_pubkey_jwk_string(k, NULL, &s));
	ASSERT_STREQ(buf_str(&s), "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\","
				  "\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}");

	rsa = jwk_of(at(v, "input", "key"));
	ASSERT_OK(jose_tee_pubkey_jwk_string(rsa, NULL, &r));
	ASSERT_OK(buf_appendf(
	    &want, "{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP-256\",\"n\":\"%s\",\"e\":\"AQAB\"}",
	    str_at(at(v, "input", "key"), "n", NULL)));
	ASSERT_STREQ(buf_str(&r), buf_str(&want));
	buf_reset(&r);
	ASSERT_OK(jose_tee_pubkey_jwk_string(rsa, "RSA1_5", &r));
	ASSERT_TRUE(strstr(buf_str(&r), "\"alg\":\"RSA1_5\"") != NULL);
}

static void test_jwk_roundtrip(void)
{
	_cleanup_(jputp_test) json_object *v = load("5_2-rsa-oaep-a256gcm.json");
	struct crypto_pk *keys[4] = { jwk_of(at(v, "input", "key")) };

	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++)
		ASSERT_OK(crypto_pk_generate_ec(c, &keys[c]));
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED),
					       pub = BUF_INIT(BUF_UNLIMITED),
					       again = BUF_INIT(BUF_UNLIMITED);
		_cleanup_pk_ struct crypto_pk *k2 = NULL, *p2 = NULL;

		ASSERT_OK(jose_jwk_export(keys[i], true, &priv));
		ASSERT_OK(jose_jwk_export(keys[i], false, &pub));
		ASSERT_TRUE(strstr(buf_str(&priv), "\"d\":") != NULL);
		ASSERT_TRUE(strstr(buf_str(&pub), "\"d\":") == NULL);
		ASSERT_OK(jose_jwk_import(buf_str(&priv), priv.len, &k2));
		ASSERT_TRUE(crypto_pk_is_private(k2));
		ASSERT_OK(jose_jwk_export(k2, true, &again));
		ASSERT_STREQ(buf_str(&again), buf_str(&priv));
		ASSERT_OK(jose_jwk_import(buf_str(&pub), pub.len, &p2));
		ASSERT_TRUE(!crypto_pk_is_private(p2));
		buf_reset(&again);
		ASSERT_ERR(jose_jwk_export(p2, true, &again), -EINVAL);
		crypto_pk_free(keys[i]);
	}
	/* The RFC's RSA JWK exports back to the same members (dp, dq, qi recomputed). */
	_cleanup_pk_ struct crypto_pk *rsa = jwk_of(at(v, "input", "key"));
	_cleanup_(jputp_test) json_object *ours = NULL;
	ASSERT_OK(jose_jwk_export_json(rsa, true, &ours));
	static const char *const members[] = { "kty", "n", "e", "d", "p", "q", "dp", "dq", "qi" };
	for (size_t i = 0; i < ELEMENTSOF(members); i++)
		ASSERT_STREQ(str_at(ours, members[i], NULL),
			     str_at(at(v, "input", "key"), members[i], NULL));
}

static void test_jwk_malformed(void)
{
	static const struct {
		const char *s;
		int err;
	} v[] = {
		{ "", -EBADMSG },
		{ "[]", -EBADMSG },
		{ "{}", -EBADMSG },
		{ "{\"kty\":1}", -EBADMSG },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
		  "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
		  -EOPNOTSUPP },
		{ "{\"kty\":\"oct\",\"k\":\"AAAA\"}", -EOPNOTSUPP },
		{ "{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}",
		  -EOPNOTSUPP },
		{ "{\"kty\":\"EC\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"}", -EBADMSG },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\"}", -EBADMSG },
		/* 31-byte x: the leading zero must not be dropped */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"zc4ndw9sRdQYPLm_"
		  "20t7WAczNXvp7xO6z248e9FURQ\",\"y\":\"" A3_Y "\"}",
		  -EBADMSG },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "=\",\"y\":\"" A3_Y "\"}",
		  -EBADMSG },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
		  "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x/"
		  "FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  -EBADMSG },
		/* y changed: not on the curve */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X
		  "\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
		  -EBADMSG },
		/* d of another key */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y
		  "\",\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}",
		  -EBADMSG },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y
		  "\",\"d\":5}",
		  -EBADMSG },
		{ "{\"kty\":\"RSA\",\"e\":\"AQAB\"}", -EBADMSG },
		{ "{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}", -EBADMSG },
		{ "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", -EOPNOTSUPP }, /* 17 bits */
		{ "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"oth\":[]}", -EOPNOTSUPP },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\"} x",
		  -EBADMSG },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":\"" A3_Y "\",}",
		  -EBADMSG },
		{ "{'kty':'EC'}", -EBADMSG },
	};

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_pk_ struct crypto_pk *k = NULL;
		int r = jose_jwk_import(v[i].s, strlen(v[i].s), &k);

		if (r != v[i].err)
			FAIL_("'%s': got %d, want %d", v[i].s, r, v[i].err);
		ASSERT_TRUE(k == NULL);
	}
	_cleanup_pk_ struct crypto_pk *k = NULL;
	ASSERT_ERR(jose_jwk_import("{\"kty\":\"EC\"\0}", 14, &k), -EBADMSG);
	/* A bare RSA public JWK from the RFC imports; with d, p but no q it does not. */
	_cleanup_(jputp_test) json_object *rsa = load("4_1-rs256.json");
	json_object *key = at(rsa, "input", "key");
	json_object_object_del(key, "q");
	const char *s = text(key);
	ASSERT_ERR(jose_jwk_import(s, strlen(s), &k), -EBADMSG);
	json_object_object_del(key, "p");
	s = text(key);
	ASSERT_OK(jose_jwk_import(s, strlen(s), &k)); /* d alone: p and q are recovered */
}

static void test_jwe_roundtrip_all(void)
{
	static const char *const ec_algs[] = { "ECDH-ES+A256KW", "ECDH-ES+A192KW", "ECDH-ES+A128KW",
					       "ECDH-ES" };
	static const char *const rsa_algs[] = { "RSA-OAEP-256", "RSA-OAEP", "RSA1_5" };
	static const char *const encs[] = { "A256GCM", "A192GCM", "A128GCM" };
	_cleanup_(jputp_test) json_object *v = load("4_1-rs256.json");
	_cleanup_pk_ struct crypto_pk *rsa = jwk_of(at(v, "input", "key"));
	const char msg[] = "resource \0 with a NUL and \xff bytes";

	/* EC on each curve, then RSA. */
	for (int kind = 0; kind < 4; kind++) {
		_cleanup_pk_ struct crypto_pk *ec = NULL, *pub = NULL;
		bool is_rsa = kind == 3;
		struct crypto_pk *k = rsa;
		size_t nalgs = is_rsa ? ELEMENTSOF(rsa_algs) : ELEMENTSOF(ec_algs);

		if (!is_rsa) {
			ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256 + kind, &ec));
			k = ec;
		}
		ASSERT_OK(crypto_pk_public(k, &pub));
		for (size_t a = 0; a < nalgs; a++)
			for (size_t e = 0; e < ELEMENTSOF(encs); e++)
				for (int with_aad = 0; with_aad < 2; with_aad++) {
					_cleanup_(buf_done) struct buf out = BUF_INIT(
					    BUF_UNLIMITED);
					_cleanup_secret_ struct secret *pt = NULL;
					const char *alg = is_rsa ? rsa_algs[a] : ec_algs[a];

					ASSERT_OK(jose_jwe_encrypt(pub, alg, encs[e],
								   with_aad ? "extra" : NULL, 5,
								   msg, sizeof(msg), &out));
					ASSERT_OK(jose_jwe_decrypt(buf_str(&out), out.len, k, &pt));
					ASSERT_EQ(pt->n, sizeof(msg));
					ASSERT_MEMEQ(pt->p, msg, sizeof(msg));
					ASSERT_EQ(strstr(buf_str(&out), "\"aad\":\"ZXh0cmE\"") !=
						      NULL,
						  with_aad);
					ASSERT_EQ(strstr(buf_str(&out), "encrypted_key") != NULL,
						  !streq(alg, "ECDH-ES"));
				}
	}
	/* The defaults are upstream's: ECDH-ES+A256KW / RSA-OAEP-256 with A256GCM, and the
	 * KBS Response member order. */
	_cleanup_pk_ struct crypto_pk *ec = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED), hdr = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(jputp_test) json_object *o = NULL;
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &ec));
	ASSERT_OK(jose_jwe_encrypt(ec, NULL, NULL, NULL, 0, "s", 1, &out));
	ASSERT_TRUE(startswith(buf_str(&out), "{\"protected\":\""));
	o = json_tokener_parse(buf_str(&out));
	ASSERT_TRUE(o != NULL);
	ASSERT_EQ(json_object_object_length(o), 5);
	ASSERT_OK(b64_decode(B64_URL_NOPAD, str_at(o, "protected", NULL),
			     strlen(str_at(o, "protected", NULL)), &hdr));
	ASSERT_TRUE(
	    startswith(buf_str(&hdr),
		       "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"crv\":\"P-256\","
		       "\"kty\":\"EC\",\"x\":\""));
	ASSERT_EQ(strlen(str_at(o, "encrypted_key", NULL)), 54); /* 40 bytes */
	ASSERT_EQ(strlen(str_at(o, "iv", NULL)), 16);
	ASSERT_EQ(strlen(str_at(o, "tag", NULL)), 22);
	buf_reset(&out);
	ASSERT_ERR(jose_jwe_encrypt(ec, "RSA-OAEP-256", NULL, NULL, 0, "s", 1, &out), -ENOKEY);
	ASSERT_ERR(jose_jwe_encrypt(rsa, "ECDH-ES+A256KW", NULL, NULL, 0, "s", 1, &out), -ENOKEY);
	ASSERT_ERR(jose_jwe_encrypt(rsa, "dir", NULL, NULL, 0, "s", 1, &out), -EOPNOTSUPP);
	ASSERT_ERR(jose_jwe_encrypt(rsa, NULL, "A128CBC-HS256", NULL, 0, "s", 1, &out),
		   -EOPNOTSUPP);
}

/* Re-encodes a JWE's protected header after editing it with fn. */
static char *edit_protected(const char *jwe, void (*fn)(json_object *hdr))
{
	_cleanup_(jputp_test) json_object *o = json_tokener_parse(jwe), *hdr = NULL;
	_cleanup_(buf_done) struct buf dec = BUF_INIT(BUF_UNLIMITED), enc = BUF_INIT(BUF_UNLIMITED);
	const char *p = str_at(o, "protected", NULL);

	ASSERT_OK(b64_decode(B64_URL_NOPAD, p, strlen(p), &dec));
	hdr = json_tokener_parse(buf_str(&dec));
	ASSERT_TRUE(hdr != NULL);
	fn(hdr);
	p = text(hdr);
	ASSERT_OK(b64_encode(B64_URL_NOPAD, p, strlen(p), &enc));
	json_object_object_add(o, "protected", json_object_new_string(buf_str(&enc)));
	return strdup(text(o));
}

static void set_zip(json_object *h)
{
	json_object_object_add(h, "zip", json_object_new_string("DEF"));
}
static void set_crit(json_object *h)
{
	json_object_object_add(h, "crit", json_object_new_array());
}
static void set_alg_dir(json_object *h)
{
	json_object_object_add(h, "alg", json_object_new_string("dir"));
}
static void set_enc_cbc(json_object *h)
{
	json_object_object_add(h, "enc", json_object_new_string("A128CBC-HS256"));
}
static void drop_enc(json_object *h)
{
	json_object_object_del(h, "enc");
}
static void drop_epk(json_object *h)
{
	json_object_object_del(h, "epk");
}
static void epk_with_d(json_object *h)
{
	json_object *e;

	json_object_object_get_ex(h, "epk", &e);
	json_object_object_add(e, "d", json_object_new_string(A3_D));
}
static void epk_off_curve(json_object *h)
{
	json_object *e;

	json_object_object_get_ex(h, "epk", &e);
	json_object_object_add(e, "x", json_object_new_string(A3_Y));
}
static void epk_p384(json_object *h)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	json_object *e = NULL;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P384, &k));
	ASSERT_OK(jose_jwk_export_json(k, false, &e));
	json_object_object_add(h, "epk", e);
}
static void epk_okp(json_object *h)
{
	json_object *e;

	json_object_object_get_ex(h, "epk", &e);
	json_object_object_add(e, "kty", json_object_new_string("OKP"));
}
static void add_space(json_object *h)
{
	/* Same members, new serialization: the AAD differs. */
	json_object_object_add(h, "kid", json_object_new_string("x"));
}

static void test_jwe_malformed(void)
{
	_cleanup_pk_ struct crypto_pk *ec = NULL;
	_cleanup_(buf_done) struct buf good = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *pt = NULL;
	static const struct {
		void (*fn)(json_object *h);
		int err;
	} edits[] = {
		{ set_zip, -EOPNOTSUPP },     { set_crit, -EOPNOTSUPP },
		{ set_alg_dir, -EOPNOTSUPP }, { set_enc_cbc, -EOPNOTSUPP },
		{ drop_enc, -EBADMSG },       { drop_epk, -EBADMSG },
		{ epk_with_d, -EBADMSG },     { epk_off_curve, -EBADMSG },
		{ epk_p384, -ENOKEY },        { epk_okp, -EOPNOTSUPP },
		{ add_space, -EKEYREJECTED },
	};

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &ec));
	ASSERT_OK(jose_jwe_encrypt(ec, NULL, NULL, NULL, 0, "secret", 6, &good));
	ASSERT_OK(jose_jwe_decrypt(buf_str(&good), good.len, ec, &pt));
	pt = secret_free(pt);
	for (size_t i = 0; i < ELEMENTSOF(edits); i++) {
		_cleanup_free_ char *s = edit_protected(buf_str(&good), edits[i].fn);

		if (jose_jwe_decrypt(s, strlen(s), ec, &pt) != edits[i].err)
			FAIL_("header edit %zu: got %d, want %d", i,
			      jose_jwe_decrypt(s, strlen(s), ec, &pt), edits[i].err);
	}

	/* Member-level edits of the flattened JSON. */
	static const struct {
		const char *member, *value; /* value NULL: delete */
		int err;
	} m[] = {
		{ "iv", NULL, -EBADMSG },
		{ "iv", "AAAAAAAAAAAAAAAA", -EKEYREJECTED }, /* 12 bytes, wrong */
		{ "iv", "AAAAAAAAAAAAAAAAAA", -EBADMSG },    /* 13 bytes */
		{ "iv", "AAAAAAAAAAAAAAA=", -EBADMSG },
		{ "tag", NULL, -EBADMSG },
		{ "tag", "AAAAAAAAAAAAAAAAAAAAAA", -EKEYREJECTED },
		{ "tag", "AAAAAAAAAAAAAAAAAAAA", -EBADMSG },
		{ "ciphertext", NULL, -EBADMSG },
		{ "ciphertext", "AAAAAAAA", -EKEYREJECTED },
		{ "ciphertext", "AAAAAAA*", -EBADMSG },
		{ "encrypted_key", NULL, -EBADMSG },
		{ "encrypted_key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		  -EKEYREJECTED },
		{ "encrypted_key", "AAAA", -EBADMSG },
		{ "protected", NULL, -EBADMSG },
		{ "protected", "e30", -EBADMSG }, /* {} */
		{ "protected", "W10", -EBADMSG }, /* [] */
		{ "protected", "!!!!", -EBADMSG },
		{ "aad", "ZXh0cmE", -EKEYREJECTED },
		{ "aad", "ZXh0cmE=", -EBADMSG },
		{ "unprotected", "x", -EBADMSG },
		{ "recipients", "x", -EBADMSG },
	};
	for (size_t i = 0; i < ELEMENTSOF(m); i++) {
		_cleanup_(jputp_test) json_object *o = json_tokener_parse(buf_str(&good));
		const char *s;
		int r;

		if (m[i].value)
			json_object_object_add(o, m[i].member, json_object_new_string(m[i].value));
		else
			json_object_object_del(o, m[i].member);
		s = text(o);
		r = jose_jwe_decrypt(s, strlen(s), ec, &pt);
		if (r != m[i].err)
			FAIL_("%s=%s: got %d, want %d", m[i].member, m[i].value ?: "(none)", r,
			      m[i].err);
	}

	/* Header split over protected and unprotected works; a name in both does not. */
	{
		_cleanup_(jputp_test) json_object *o = json_tokener_parse(buf_str(&good));
		json_object *u = json_object_new_object();
		const char *s;

		json_object_object_add(u, "kid", json_object_new_string("k"));
		json_object_object_add(o, "unprotected", u);
		s = text(o);
		ASSERT_OK(jose_jwe_decrypt(s, strlen(s), ec, &pt));
		pt = secret_free(pt);
		json_object_object_add(u, "enc", json_object_new_string("A256GCM"));
		s = text(o);
		ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), ec, &pt), -EBADMSG);
		json_object_object_del(u, "enc");
		json_object_object_add(o, "header", json_object_new_string("x"));
		s = text(o);
		ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), ec, &pt), -EBADMSG);
	}

	/* Whole-input problems. */
	static const char *const junk[] = { "",     "   ",     "{",           "{}",        "[]",
					    "null", "a.b.c.d", "a.b.c.d.e.f", "{\"iv\":1}" };
	for (size_t i = 0; i < ELEMENTSOF(junk); i++)
		if (jose_jwe_decrypt(junk[i], strlen(junk[i]), ec, &pt) != -EBADMSG)
			FAIL_("'%s' was not -EBADMSG", junk[i]);
	_cleanup_free_ char *nul = strdup(buf_str(&good));
	nul[10] = 0;
	ASSERT_ERR(jose_jwe_decrypt(nul, good.len, ec, &pt), -EBADMSG);
	_cleanup_(buf_done) struct buf trailing = BUF_INIT(BUF_UNLIMITED);
	ASSERT_OK(buf_appendf(&trailing, "%s x", buf_str(&good)));
	ASSERT_ERR(jose_jwe_decrypt(buf_str(&trailing), trailing.len, ec, &pt), -EBADMSG);
	buf_truncate(&trailing, good.len);
	ASSERT_OK(buf_append_str(&trailing, " \n"));
	ASSERT_OK(jose_jwe_decrypt(buf_str(&trailing), trailing.len, ec, &pt));
	pt = secret_free(pt);
	ASSERT_ERR(jose_jwe_decrypt(buf_str(&good), JOSE_MAX_SIZE + 1, ec, &pt), -E2BIG);
	ASSERT_TRUE(pt == NULL);
}

static void test_jwe_rsa1_5_no_oracle(void)
{
	_cleanup_(jputp_test) json_object *v = load("4_1-rs256.json");
	_cleanup_pk_ struct crypto_pk *rsa = jwk_of(at(v, "input", "key"));
	_cleanup_(buf_done) struct buf good = BUF_INIT(BUF_UNLIMITED),
				       raw = BUF_INIT(BUF_UNLIMITED), enc = BUF_INIT(BUF_UNLIMITED),
				       ct = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(jputp_test) json_object *o = NULL;
	_cleanup_secret_ struct secret *pt = NULL;
	const char *ek, *s;

	ASSERT_OK(jose_jwe_encrypt(rsa, "RSA1_5", NULL, NULL, 0, "secret", 6, &good));
	o = json_tokener_parse(buf_str(&good));
	ek = str_at(o, "encrypted_key", NULL);
	ASSERT_OK(b64_decode(B64_URL_NOPAD, ek, strlen(ek), &raw));
	/* A ciphertext with broken padding and one that holds a CEK of the wrong size both
	 * fail exactly like a wrong tag. */
	raw.data[100] ^= 1;
	ASSERT_OK(b64_encode(B64_URL_NOPAD, raw.data, raw.len, &enc));
	json_object_object_add(o, "encrypted_key", json_object_new_string(buf_str(&enc)));
	s = text(o);
	ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), rsa, &pt), -EKEYREJECTED);
	ASSERT_OK(crypto_rsa_encrypt(rsa, CRYPTO_RSA_PKCS1_V15, "short", 5, &ct));
	buf_reset(&enc);
	ASSERT_OK(b64_encode(B64_URL_NOPAD, ct.data, ct.len, &enc));
	json_object_object_add(o, "encrypted_key", json_object_new_string(buf_str(&enc)));
	s = text(o);
	ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), rsa, &pt), -EKEYREJECTED);
	/* OAEP has no such concern and says so directly. */
	ASSERT_TRUE(pt == NULL);
}

static void test_jwe_general_recipients(void)
{
	_cleanup_pk_ struct crypto_pk *a = NULL, *b = NULL;
	_cleanup_(buf_done) struct buf ja = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(jputp_test) json_object *o = NULL;
	_cleanup_secret_ struct secret *pt = NULL;
	json_object *rcpts, *r0, *decoy, *dh;
	const char *s;

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &a));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P521, &b));
	/* The recipient built for a goes into "recipients" behind a decoy whose
	 * encrypted_key is garbage: a skips the decoy and opens the second, b (another
	 * curve) finds nothing for itself. */
	ASSERT_OK(jose_jwe_encrypt(a, NULL, NULL, NULL, 0, "multi", 5, &ja));
	o = json_tokener_parse(buf_str(&ja));
	rcpts = json_object_new_array();
	decoy = json_object_new_object();
	dh = json_object_new_object();
	json_object_object_add(dh, "kid", json_object_new_string("decoy"));
	json_object_object_add(decoy, "header", dh);
	json_object_object_add(decoy, "encrypted_key", json_object_new_string("AAAA"));
	r0 = json_object_new_object();
	json_object_object_add(r0, "encrypted_key", json_object_get(at(o, "encrypted_key", NULL)));
	json_object_array_add(rcpts, decoy);
	json_object_array_add(rcpts, r0);
	json_object_object_del(o, "encrypted_key");
	json_object_object_add(o, "recipients", rcpts);
	s = text(o);
	ASSERT_OK(jose_jwe_decrypt(s, strlen(s), a, &pt));
	assert_secret_str(pt, "multi");
	pt = secret_free(pt);
	ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), b, &pt), -ENOKEY);
	/* Only the decoy left: its failure is reported, not "no key". */
	json_object_array_del_idx(rcpts, 1, 1);
	s = text(o);
	ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), a, &pt), -EBADMSG);
	json_object_object_add(o, "recipients", json_object_new_array());
	s = text(o);
	ASSERT_ERR(jose_jwe_decrypt(s, strlen(s), a, &pt), -EBADMSG);
}

TESTS(test_rfc7515_a3_es256, test_rfc7520_jws, test_jws_sign_all, test_jws_malformed,
      test_jws_header_text, test_rfc7518_appendix_c_kdf, test_rfc7520_jwe, test_tee_pubkey_shape,
      test_jwk_roundtrip, test_jwk_malformed, test_jwe_roundtrip_all, test_jwe_malformed,
      test_jwe_rsa1_5_no_oracle, test_jwe_general_recipients)
