/* SPDX-License-Identifier: Apache-2.0 */
/* Encrypted layer options and stream decryption (containers/ocicrypt encryption.go,
 * blockcipher/blockcipher_aes_ctr.go, keywrap/jwe and keywrap/keyprovider; image-rs
 * src/decrypt.rs). Key annotations hold comma-separated base64 std entries; each entry
 * decoded is a JWE (JSON serialization) or a keyprovider packet whose plaintext is the
 * private options JSON. pubopts is absent in images made before it existed: the cipher
 * then defaults to AES_256_CTR_HMAC_SHA256 as ocicrypt does, but decryption still needs
 * the HMAC, which only pubopts carries. */
#include <json.h>
#include <string.h>

#include "common/b64.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"
#include "ocicrypt.h"

#define OCICRYPT_KEY_SIZE 32
#define OCICRYPT_NONCE_SIZE CRYPTO_AES_BLOCK_SIZE
#define OCICRYPT_HMAC_SIZE 32

struct ocicrypt_layer {
	struct crypto_aes_ctr *ctr;
	struct digest_hmac_ctx hmac;
	uint8_t want_hmac[OCICRYPT_HMAC_SIZE];
	bool has_digest, finished, digest_ok;
	struct digest_oci want_digest;
	struct digest_ctx dig;
};

struct ocicrypt_layer *ocicrypt_layer_free(struct ocicrypt_layer *l)
{
	if (!l)
		return NULL;
	crypto_aes_ctr_free(l->ctr);
	digest_hmac_wipe(&l->hmac);
	secret_wipe(l, sizeof(*l));
	free(l);
	return NULL;
}

static int parse_json(const void *p, size_t n, size_t max, json_object **ret)
{
	const char *why = NULL;
	json_object *o = NULL;
	int r;

	r = json_parse(p, n, max, 8, &o, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return -EBADMSG;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

/* A base64 member: into a secret (key material, strict std as Go writes []byte) or into
 * a plain buffer (alphabet-lenient); the caller checks the length. */
static int get_b64(json_object *o, const char *key, bool secret, struct secret **ret_s,
		   struct buf *ret_b)
{
	const char *s;
	int r;

	r = json_get_string(o, key, &s);
	if (r < 0)
		return -EBADMSG;
	if (secret) {
		/* keys are base64 std as Go's encoding/json writes []byte */
		r = b64_decode_secret(B64_STD, s, strlen(s), ret_s);
		return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
	}
	r = b64_decode_any(s, strlen(s), ret_b);
	return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
}

static int parse_pubopts(const char *b64, uint8_t hmac[OCICRYPT_HMAC_SIZE])
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(OCICRYPT_ANN_MAX);
	_cleanup_(buf_done) struct buf h = BUF_INIT(OCICRYPT_HMAC_SIZE);
	json_object *o = NULL;
	const char *cipher;
	int r;

	if (!b64)
		return -EBADMSG; /* no HMAC to check the layer against */
	r = b64_decode_any(b64, strlen(b64), &raw);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	r = parse_json(raw.data, raw.len, OCICRYPT_ANN_MAX, &o);
	if (r < 0)
		return r;
	r = json_get_string(o, "cipher", &cipher);
	if (r < 0) {
		r = -EBADMSG;
		goto out;
	}
	if (!streq(cipher, OCICRYPT_CIPHER)) {
		r = -EOPNOTSUPP;
		goto out;
	}
	r = get_b64(o, "hmac", false, NULL, &h);
	if (r < 0)
		goto out;
	if (h.len != OCICRYPT_HMAC_SIZE) {
		r = -EBADMSG;
		goto out;
	}
	memcpy(hmac, h.data, OCICRYPT_HMAC_SIZE);
	r = 0;
out:
	json_object_put(o);
	return r;
}

int ocicrypt_layer_from_opts(const char *pubopts_b64, const void *priv, size_t n,
			     struct ocicrypt_layer **ret)
{
	_cleanup_(ocicrypt_layer_freep) struct ocicrypt_layer *l = NULL;
	_cleanup_secret_ struct secret *key = NULL;
	_cleanup_(buf_done) struct buf nonce = BUF_INIT(OCICRYPT_NONCE_SIZE);
	json_object *o = NULL, *co;
	const char *dig = NULL;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	r = parse_pubopts(pubopts_b64, l->want_hmac);
	if (r < 0)
		return r;
	if (n > OCICRYPT_OPTS_MAX)
		return -EBADMSG;
	r = parse_json(priv, n, OCICRYPT_OPTS_MAX, &o);
	if (r < 0)
		return r;
	r = get_b64(o, "symkey", true, &key, NULL);
	if (r >= 0 && key->n != OCICRYPT_KEY_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = json_get_object(o, "cipheroptions", &co) < 0 ? -EBADMSG : 0;
	if (r >= 0)
		r = get_b64(co, "nonce", false, NULL, &nonce);
	if (r >= 0 && nonce.len != OCICRYPT_NONCE_SIZE)
		r = -EBADMSG;
	if (r >= 0)
		r = json_get_string_opt(o, "digest", &dig) < 0 ? -EBADMSG : 0;
	if (r >= 0 && dig && *dig) {
		/* The digest of the blob before encryption (ocicrypt's digester over the
		 * plaintext); an unknown algorithm is malformed here, not unsupported. */
		r = digest_oci_parse(dig, &l->want_digest) < 0 ? -EBADMSG : 0;
		l->has_digest = r >= 0;
	}
	if (r >= 0)
		r = crypto_aes_ctr_new(key->p, key->n, nonce.data, &l->ctr);
	if (r >= 0) {
		digest_hmac_init(&l->hmac, DIGEST_SHA256, key->p, key->n);
		if (l->has_digest)
			digest_init(&l->dig, l->want_digest.alg);
	}
	json_object_put(o);
	if (r < 0)
		return r;
	*ret = steal_ptr(l);
	return 0;
}

void ocicrypt_layer_update(struct ocicrypt_layer *l, const void *in, size_t n, void *out)
{
	/* encrypt-then-MAC: the HMAC covers the ciphertext, so take it before in == out is
	 * overwritten */
	digest_hmac_update(&l->hmac, in, n);
	crypto_aes_ctr_update(l->ctr, in, n, out);
	if (l->has_digest)
		digest_update(&l->dig, out, n);
}

int ocicrypt_layer_finish(struct ocicrypt_layer *l, struct buf *reason)
{
	uint8_t h[DIGEST_MAX_SIZE];

	if (l->finished)
		return -EINVAL;
	l->finished = true;
	(void) digest_hmac_final(&l->hmac, h);
	if (!digest_equal(h, l->want_hmac, OCICRYPT_HMAC_SIZE)) {
		if (reason)
			(void) buf_append_str(reason, "layer HMAC mismatch (wrong key or "
						      "tampered ciphertext)");
		return -EKEYREJECTED;
	}
	/* Go ocicrypt stores the digest its caller passes in, not one it computes, and
	 * never checks it; skopeo passes the source layer's digest even when it recompresses
	 * (--dest-compress-format zstd), so a mismatch is normal there. The HMAC (keyed
	 * with symkey) authenticates the blob and the diff_id the tar stream; the digest is
	 * only reported. */
	l->digest_ok = l->has_digest && digest_oci_verify(&l->want_digest, &l->dig) == 0;
	if (l->has_digest && !l->digest_ok)
		log_debug("ocicrypt: the private options' digest does not match the decrypted "
			  "blob (recompressed before encryption?)");
	return 0;
}

/* Tries each comma-separated entry of one key annotation. */
static int try_annotation(const struct ocicrypt_config *c, const char *name, const char *value,
			  struct secret **ret_opts)
{
	const char *provider = NULL;
	int r, last = -ENOKEY;

	if (strlen(value) > OCICRYPT_ANN_MAX)
		return -EBADMSG;
	if (startswith(name, OCICRYPT_ANN_PROVIDER_PREFIX)) {
		provider = name + strlen(OCICRYPT_ANN_PROVIDER_PREFIX);
		if (!c->provider)
			return -ENOKEY;
	} else if (c->n_jwe_keys == 0)
		return -ENOKEY;

	for (const char *p = value; *p;) {
		_cleanup_(buf_done) struct buf raw = BUF_INIT(OCICRYPT_ANN_MAX);
		size_t len = strcspn(p, ",");

		r = b64_decode_any(p, len, &raw);
		if (r < 0)
			return r == -ENOMEM ? r : -EBADMSG;
		p += len;
		if (*p == ',')
			p++;
		if (provider) {
			r = c->provider(c->provider_userdata, provider, raw.data, raw.len,
					ret_opts);
			if (r != -ENOKEY)
				return r;
			continue;
		}
		for (size_t k = 0; k < c->n_jwe_keys; k++) {
			r = jose_jwe_decrypt((const char *) raw.data, raw.len, c->jwe_keys[k],
					     ret_opts);
			if (r >= 0 || r == -ENOMEM)
				return r;
			/* a JWE that is not JSON is a malformed annotation; a key that does not
			 * open it just is not ours */
			if (r == -EBADMSG || r == -EOPNOTSUPP)
				last = r;
		}
	}
	return last;
}

int ocicrypt_layer_new(const struct ocicrypt_config *c, struct json_object *annotations,
		       struct ocicrypt_layer **ret, struct buf *reason)
{
	static const struct ocicrypt_config none = {};
	_cleanup_secret_ struct secret *opts = NULL;
	const char *pubopts = NULL, *tried = NULL;
	bool any = false;
	int r;

	if (!c)
		c = &none;
	if (annotations && !json_object_is_type(annotations, json_type_object)) {
		if (reason)
			(void) buf_append_str(reason, "annotations are not an object");
		return -EBADMSG;
	}
	if (annotations) {
		json_object *v;
		if (json_object_object_get_ex(annotations, OCICRYPT_ANN_PUBOPTS, &v) &&
		    json_as_string(v, &pubopts) < 0) {
			if (reason)
				(void) buf_append_str(reason,
						      OCICRYPT_ANN_PUBOPTS " is not a string");
			return -EBADMSG;
		}
		json_object_object_foreach (annotations, name, val) {
			const char *s;

			if (!streq(name, OCICRYPT_ANN_JWE) &&
			    !startswith(name, OCICRYPT_ANN_PROVIDER_PREFIX))
				continue;
			any = true;
			tried = name;
			if (json_as_string(val, &s) < 0) {
				if (reason)
					(void) buf_appendf(reason, "%s is not a string", name);
				return -EBADMSG;
			}
			r = try_annotation(c, name, s, &opts);
			if (r >= 0)
				break;
			if (r != -ENOKEY) {
				if (reason)
					(void) buf_appendf(reason, "%s: %s", name,
							   r == -EBADMSG ? "malformed"
									 : strerror(-r));
				return r;
			}
		}
	}
	if (!opts) {
		if (reason) {
			if (!any)
				(void) buf_append_str(reason, "no key annotation (" OCICRYPT_ANN_JWE
							      " or " OCICRYPT_ANN_PROVIDER_PREFIX
							      "<name>) on the encrypted layer");
			else
				(void) buf_appendf(
				    reason, "no configured key opens %s%s", tried,
				    c->n_jwe_keys || c->provider ? "" : " (no keys given)");
		}
		return -ENOKEY;
	}
	r = ocicrypt_layer_from_opts(pubopts, opts->p, opts->n, ret);
	if (r < 0 && reason)
		(void) buf_appendf(
		    reason, "%s",
		    r == -EOPNOTSUPP ? "unsupported layer cipher (only " OCICRYPT_CIPHER ")"
		    : !pubopts       ? "no " OCICRYPT_ANN_PUBOPTS " annotation (the layer HMAC)"
			       : "malformed " OCICRYPT_ANN_PUBOPTS " or private layer options");
	return r;
}

bool ocicrypt_layer_digest_ok(const struct ocicrypt_layer *l)
{
	return l->digest_ok;
}
