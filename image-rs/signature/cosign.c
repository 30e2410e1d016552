/* SPDX-License-Identifier: Apache-2.0 */
/* Cosign key-based verification (upstream.md §6.5; GC policy/cosign/mod.rs on sigstore-rs
 * trusted_signature_layers + PublicKeyVerifier): which layers count, how the annotation is
 * decoded, which hash goes with which key, and the per-payload checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/crypto.h"
#include "common/digest.h"
#include "common/json-util.h"
#include "cosign.h"

/* The signature of a payload under key, as sigstore-rs's verifier for that key type
 * accepts it: ECDSA (ASN.1 DER) with the curve's hash, RSA PKCS#1 v1.5 or PSS with
 * SHA-256. */
static int verify_blob(const struct crypto_pk *key, const struct buf *payload, const uint8_t *sig,
		       size_t siglen)
{
	uint8_t h[DIGEST_MAX_SIZE];
	enum digest_alg md = DIGEST_SHA256;
	size_t hl;
	int r;

	if (crypto_pk_type(key) == CRYPTO_PK_EC) {
		switch (crypto_pk_curve(key)) {
		case CRYPTO_CURVE_P384:
			md = DIGEST_SHA384;
			break;
		case CRYPTO_CURVE_P521:
			md = DIGEST_SHA512;
			break;
		default:
			break;
		}
		hl = digest_buf(md, payload->data, payload->len, h);
		r = crypto_pk_verify(key, CRYPTO_SIG_ECDSA_DER, md, h, hl, sig, siglen);
		return r == -EBADMSG ? -EKEYREJECTED : r;
	}
	hl = digest_buf(md, payload->data, payload->len, h);
	r = crypto_pk_verify(key, CRYPTO_SIG_RSA_PKCS1, md, h, hl, sig, siglen);
	if (r == -EKEYREJECTED)
		r = crypto_pk_verify(key, CRYPTO_SIG_RSA_PSS, md, h, hl, sig, siglen);
	return r == -EBADMSG ? -EKEYREJECTED : r;
}

struct layer {
	struct buf payload;
	bool verified;
};

int cosign_verify(const struct sig_image *img, const void *key_pem, size_t key_len,
		  const struct policy_identity *id, const void *manifest, size_t n,
		  cosign_blob_fn blob, void *ud, struct buf *why)
{
	_cleanup_pk_ struct crypto_pk *key = NULL;
	_cleanup_(json_object_putp) json_object *j = NULL;
	static const struct policy_identity none = { .type = POLICY_ID_NONE };
	struct layer layers[COSIGN_MAX_LAYERS] = {};
	json_object *arr;
	size_t count = 0, nl;
	bool any = false;
	int r;

	r = crypto_pk_import(key_pem, key_len, &key);
	if (r < 0)
		return policy_why(why, r == -ENOMEM ? r : -EINVAL,
				  "failed to build public key verifier");
	r = json_parse(manifest, n, COSIGN_MAX_MANIFEST, 32, &j, NULL);
	if (r < 0)
		return policy_why(why, r, "The signature manifest is not JSON");
	r = json_get_array(j, "layers", &arr);
	if (r < 0)
		return policy_why(why, -EBADMSG, "The signature manifest has no layers");
	nl = json_object_array_length(arr);

	for (size_t i = 0; i < nl && r >= 0; i++) {
		json_object *l = json_object_array_get_idx(arr, i), *ann = NULL;
		const char *mt, *dg, *sig_b64 = NULL;
		struct layer *L;

		if (json_get_string(l, "mediaType", &mt) < 0 ||
		    json_get_string(l, "digest", &dg) < 0 ||
		    json_get_object_opt(l, "annotations", &ann) < 0 ||
		    (ann && json_get_string_opt(ann, COSIGN_SIGNATURE_ANNOTATION, &sig_b64) < 0)) {
			r = policy_why(why, -EBADMSG,
				       "The signature manifest has a malformed layer");
			break;
		}
		if (!streq(mt, COSIGN_PAYLOAD_MEDIA_TYPE))
			continue;
		if (count >= COSIGN_MAX_LAYERS) {
			r = policy_why(why, -E2BIG, "Too many signature layers");
			break;
		}
		L = &layers[count];
		L->payload = BUF_INIT(COSIGN_MAX_PAYLOAD);
		r = blob(ud, dg, &L->payload);
		if (r == -ENOMEM)
			break;
		/* As sigstore-rs: a layer that cannot be fetched or whose blob is not what the
		 * manifest names is skipped, it never counts as signed. */
		if (r < 0 || digest_oci_check(dg, L->payload.data, L->payload.len) < 0) {
			buf_done(&L->payload);
			r = 0;
			continue;
		}
		count++;
		if (sig_b64) {
			_cleanup_(buf_done) struct buf clean = BUF_INIT(BUF_UNLIMITED);
			_cleanup_(buf_done) struct buf sig = BUF_INIT(64u << 10);

			/* Some signers wrap the base64: upstream strips CR and LF. */
			for (const char *c = sig_b64; *c && r >= 0; c++)
				if (*c != '\n' && *c != '\r')
					r = buf_put_u8(&clean, (uint8_t) *c);
			if (r < 0)
				break;
			if (b64_decode(B64_STD, buf_str(&clean), clean.len, &sig) < 0)
				continue;
			r = verify_blob(key, &L->payload, sig.data, sig.len);
			if (r == -ENOMEM)
				break;
			L->verified = r == 0;
			any |= L->verified;
			r = 0;
		}
	}
	if (r >= 0 && count == 0)
		r = policy_why(why, -ENOENT,
			       "A signature was required, but no cosign signature exists");
	else if (r >= 0 && !any)
		r = policy_why(why, -EKEYREJECTED,
			       "No cosign signature verifies with the given key");
	/* Every payload must fit the image, not only the verified one (upstream). The type
	 * is not checked, as upstream does not. */
	for (size_t i = 0; i < count && r >= 0; i++)
		r = policy_payload_check(layers[i].payload.data, layers[i].payload.len, NULL, img,
					 id ? id : &none, true, why);
	for (size_t i = 0; i < count; i++)
		buf_done(&layers[i].payload);
	return r < 0 ? r : 0;
}

struct blob_ctx {
	const struct sig_env *env;
	const struct sig_image *img;
};

static int env_blob(void *ud, const char *digest, struct buf *out)
{
	struct blob_ctx *c = ud;

	return c->env->cosign_blob(c->env->ud, c->img, digest, out);
}

int cosign_check(const struct sig_image *img, const void *key_pem, size_t key_len,
		 const struct policy_identity *id, const struct sig_env *env, struct buf *why)
{
	_cleanup_(buf_done) struct buf manifest = BUF_INIT(COSIGN_MAX_MANIFEST);
	struct blob_ctx c = { .env = env, .img = img };
	int r;

	if (id && id->type != POLICY_ID_NONE && id->type != POLICY_ID_MATCH_REPOSITORY &&
	    id->type != POLICY_ID_EXACT_REPOSITORY)
		return policy_why(why, -EINVAL,
				  "Denied by signedIdentity: sigstoreSigned accepts only "
				  "matchRepository and exactRepository");
	{
		/* The key is checked before the registry is asked for anything. */
		_cleanup_pk_ struct crypto_pk *key = NULL;

		r = crypto_pk_import(key_pem, key_len, &key);
		if (r < 0)
			return policy_why(why, r == -ENOMEM ? r : -EINVAL,
					  "failed to build public key verifier");
	}
	if (!env->cosign_manifest || !env->cosign_blob)
		return policy_why(why, -EOPNOTSUPP, "No registry access for cosign signatures");
	r = env->cosign_manifest(env->ud, img, &manifest);
	if (r == -ENOENT)
		return policy_why(why, r,
				  "A signature was required, but no cosign signature exists");
	if (r < 0)
		return policy_why(why, r, "Cannot fetch the cosign signature manifest");
	return cosign_verify(img, key_pem, key_len, id, manifest.data, manifest.len, env_blob, &c,
			     why);
}
