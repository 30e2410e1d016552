/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed secrets: unseal (verify, parse, fetch/decrypt) and seal (upstream.md §5.4;
 * guest-components confidential-data-hub/hub/src/secret/mod.rs and layout/). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdh/secret.h"
#include "common/b64.h"
#include "common/fs.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"

bool cdh_secret_skip_from_env(void)
{
	const char *v = getenv("SKIP_SEALED_SECRET_VERIFICATION");

	return v && streq(v, "true");
}

/* A kid that is not a resource URI names a file in the key dir. Upstream canonicalises
 * <dir>/<kid> and requires the result to stay under <dir>; we refuse absolute paths and
 * ".." segments outright, then open confined to the dir (openat2 RESOLVE_IN_ROOT), so a
 * symlink planted in the dir cannot lead out either. */
static int read_local_key(const char *dir, const char *kid, struct buf *out, struct cdh_error *err)
{
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	const char *p;
	int r;

	if (isempty(kid))
		return cdh_error_set(err, -ENOKEY, "sealed secret: empty kid");
	if (kid[0] == '/')
		return cdh_error_set(err, -EPERM, "sealed secret: kid '%s' is an absolute path",
				     kid);
	for (p = kid; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == 0))
			return cdh_error_set(
			    err, -EPERM, "sealed secret: kid '%s' leaves the key directory", kid);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cdh_error_set(err, -ENOKEY,
				     "sealed secret: kid '%s' is neither a KBS resource URI nor a "
				     "key in '%s'",
				     kid, dir);
	r = fs_open_in_root(dfd, kid, O_RDONLY | O_NOCTTY, 0, 0, &fd);
	if (r == -ENOENT || r == -ENOTDIR)
		return cdh_error_set(err, -ENOKEY, "sealed secret: no key '%s' in '%s'", kid, dir);
	if (r < 0)
		return cdh_error_set(err, r, "sealed secret: cannot open key '%s': %s", kid,
				     strerror(-r));
	r = buf_read_fd(out, fd);
	if (r == -EISDIR)
		return cdh_error_set(err, -ENOKEY, "sealed secret: key '%s' is a directory", kid);
	if (r < 0)
		return cdh_error_set(err, r, "sealed secret: cannot read key '%s': %s", kid,
				     strerror(-r));
	return 0;
}

static int get_verification_key(const struct cdh_secret_opts *o, const char *kid,
				struct crypto_pk **ret, struct cdh_error *err)
{
	_cleanup_(resource_uri_freep) struct resource_uri *uri = NULL;
	_cleanup_(buf_done) struct buf local = BUF_INIT(CDH_SECRET_KEY_MAX);
	_cleanup_secret_ struct secret *remote = NULL;
	_cleanup_pk_ struct crypto_pk *pk = NULL;
	const char *text;
	size_t len;
	int r;

	if (resource_uri_parse(kid, &uri) == 0) {
		r = cdh_kms_get_resource(o->kms, uri, &remote);
		if (r == -ENOENT)
			return cdh_error_set(err, -ENOKEY, "sealed secret: no key at '%s'", kid);
		if (r < 0)
			return cdh_error_set(err, r, "sealed secret: cannot fetch key '%s': %s",
					     kid, strerror(-r));
		text = (const char *) remote->p;
		len = remote->n;
	} else {
		r = read_local_key(o->key_dir ?: CDH_SEALED_SECRET_DIR, kid, &local, err);
		if (r < 0)
			return r;
		text = buf_str(&local);
		len = local.len;
	}

	r = jose_jwk_import(text, len, &pk);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cdh_error_set(err, -ENOKEY, "sealed secret: key '%s' is not a usable JWK",
				     kid);
	if (crypto_pk_type(pk) != CRYPTO_PK_EC || crypto_pk_curve(pk) != CRYPTO_CURVE_P256)
		return cdh_error_set(err, -ENOKEY, "sealed secret: key '%s' must be EC P-256", kid);
	*ret = steal_ptr(pk);
	return 0;
}

/* Verification mode: returns the verified payload bytes in *ret (a copy). */
static int verify(const struct cdh_secret_opts *o, const char *s, size_t n, struct buf *ret,
		  struct cdh_error *err)
{
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
	_cleanup_pk_ struct crypto_pk *pk = NULL;
	const uint8_t *payload;
	size_t plen, k = strlen(CDH_SECRET_PREFIX);
	const char *kid;
	int r;

	/* Rust's trim_start_matches: every repetition of the prefix goes. */
	while (n >= k && memcmp(s, CDH_SECRET_PREFIX, k) == 0)
		s += k, n -= k;

	r = jose_jws_parse(s, n, &jws);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cdh_error_set(err, r == -EOPNOTSUPP ? r : -EBADMSG,
				     "sealed secret: not a JWS (%s)", strerror(-r));
	kid = jose_jws_kid(jws);
	if (!kid)
		return cdh_error_set(err, -EBADMSG, "sealed secret: JWS header has no kid");
	if (!streq(jose_jws_alg(jws), "ES256"))
		return cdh_error_set(err, -EKEYREJECTED,
				     "sealed secret: JWS algorithm must be ES256, not '%s'",
				     jose_jws_alg(jws));

	r = get_verification_key(o, kid, &pk, err);
	if (r < 0)
		return r;
	r = jose_jws_verify(jws, pk, "ES256");
	if (r == -EKEYREJECTED || r == -EBADMSG)
		return cdh_error_set(err, -EKEYREJECTED,
				     "sealed secret: signature does not verify with key '%s'", kid);
	if (r < 0)
		return cdh_error_set(err, r, "sealed secret: cannot verify: %s", strerror(-r));

	payload = jose_jws_payload(jws, &plen);
	return buf_append(ret, payload, plen);
}

/* Skip mode, as upstream: four '.'-separated parts, the third is the payload. */
static int split_unverified(const char *s, size_t n, struct buf *ret, struct cdh_error *err)
{
	const char *part[5];
	size_t count = 0;
	int r;

	part[count++] = s;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.') {
			if (count == 4)
				return cdh_error_set(
				    err, -EBADMSG, "sealed secret: malformed (more than 4 parts)");
			part[count++] = s + i + 1;
		}
	if (count != 4)
		return cdh_error_set(err, -EBADMSG, "sealed secret: malformed (%zu parts, want 4)",
				     count);
	r = b64_decode(B64_URL_NOPAD, part[2], (size_t) (part[3] - 1 - part[2]), ret);
	if (r < 0)
		return cdh_error_set(err, r == -ENOMEM ? r : -EBADMSG,
				     "sealed secret: body is not base64url without padding");
	return 0;
}

static int decode_b64_member(json_object *j, const char *key, struct buf *out,
			     struct cdh_error *err)
{
	const char *v;
	int r;

	r = json_get_string(j, key, &v);
	if (r < 0)
		return cdh_error_set(err, -EBADMSG, "sealed secret: no string '%s'", key);
	r = b64_decode(B64_STD, v, strlen(v), out);
	if (r < 0)
		return cdh_error_set(err, r == -ENOMEM ? r : -EBADMSG,
				     "sealed secret: '%s' is not base64", key);
	return 0;
}

static int require_object(json_object *j, const char *key, json_object **ret, struct cdh_error *err)
{
	if (json_get_object(j, key, ret) < 0)
		return cdh_error_set(err, -EBADMSG, "sealed secret: no object '%s'", key);
	return 0;
}

static int require_string(json_object *j, const char *key, const char **ret, struct cdh_error *err)
{
	if (json_get_string(j, key, ret) < 0)
		return cdh_error_set(err, -EBADMSG, "sealed secret: no string '%s'", key);
	return 0;
}

static int unseal_vault(const struct cdh_secret_opts *o, json_object *j, struct secret **ret,
			struct cdh_error *err)
{
	_cleanup_(resource_uri_freep) struct resource_uri *uri = NULL;
	const char *name, *provider;
	int r;

	r = require_string(j, "provider", &provider, err);
	if (r < 0)
		return r;
	if (strcasecmp(provider, "kbs") != 0)
		return cdh_error_set(err, -EOPNOTSUPP,
				     "sealed secret: vault provider '%s' is not supported (this "
				     "build has: kbs)",
				     provider);
	r = require_string(j, "name", &name, err);
	if (r < 0)
		return r;
	r = resource_uri_parse(name, &uri);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cdh_error_set(err, -EINVAL, "sealed secret: illegal kbs resource uri '%s'",
				     name);
	r = cdh_kms_get_resource(o->kms, uri, ret);
	if (r < 0)
		return cdh_error_set(err, r, "sealed secret: cannot get '%s': %s", name,
				     strerror(-r));
	return 0;
}

static int unseal_envelope(const struct cdh_secret_opts *o, json_object *j, enum wrap_type wt,
			   struct secret **ret, struct cdh_error *err)
{
	_cleanup_(buf_done) struct buf ek = BUF_INIT(CDH_SECRET_MAX),
				       data = BUF_INIT(CDH_SECRET_MAX),
				       iv = BUF_INIT(CDH_SECRET_MAX);
	_cleanup_secret_ struct secret *dek = NULL;
	json_object *annotations = NULL;
	const char *provider = "", *key_id = "";
	int r;

	(void) json_get_object(j, "annotations", &annotations); /* checked by the caller */
	(void) json_get_string(j, "provider", &provider);
	(void) json_get_string(j, "key_id", &key_id);

	r = decode_b64_member(j, "encrypted_key", &ek, err);
	if (r < 0)
		return r;
	if (!o->kms || !o->kms->decrypt)
		r = -EOPNOTSUPP;
	else
		r = o->kms->decrypt(o->kms->ud, provider, key_id, annotations, ek.data, ek.len,
				    &dek);
	if (r == -EOPNOTSUPP)
		return cdh_error_set(err, r,
				     "sealed secret: envelope provider '%s' is not supported (this "
				     "build has no KMS decryptor)",
				     provider);
	if (r < 0)
		return cdh_error_set(err, r,
				     "sealed secret: provider '%s' cannot decrypt the key: %s",
				     provider, strerror(-r));

	r = decode_b64_member(j, "encrypted_data", &data, err);
	if (r < 0)
		return r;
	r = decode_b64_member(j, "iv", &iv, err);
	if (r < 0)
		return r;
	r = wrap_decrypt(wt, dek->p, dek->n, iv.data, iv.len, data.data, data.len, ret);
	if (r < 0)
		return cdh_error_set(err, r, "sealed secret: cannot decrypt the data (%s): %s",
				     wrap_type_to_string(wt), strerror(-r));
	return 0;
}

/* Checks the payload's shape as serde would (all members of the type present with the
 * right JSON types, unknown members ignored), then the version, then unseals. */
static int unseal_payload(const struct cdh_secret_opts *o, const struct buf *payload,
			  struct secret **ret, struct cdh_error *err)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	static const char *const vault_strings[] = { "name", "provider", NULL };
	static const char *const env_strings[] = {
		"key_id", "encrypted_key", "encrypted_data", "wrap_type", "iv", "provider", NULL
	};
	const char *const *strings;
	const char *version, *type, *reason = NULL, *v;
	enum wrap_type wt = WRAP_A256GCM;
	json_object *obj;
	bool vault;
	int r;

	r = json_parse(buf_str(payload), payload->len, CDH_SECRET_MAX, JSON_DEFAULT_MAX_DEPTH, &j,
		       &reason);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !j || !json_object_is_type(j, json_type_object))
		return cdh_error_set(err, -EBADMSG,
				     "sealed secret: payload is not a JSON object%s%s",
				     reason ? ": " : "", reason ?: "");
	r = require_string(j, "version", &version, err);
	if (r < 0)
		return r;
	r = require_string(j, "type", &type, err);
	if (r < 0)
		return r;
	if (streq(type, "vault"))
		vault = true;
	else if (streq(type, "envelope"))
		vault = false;
	else
		return cdh_error_set(err, -EBADMSG, "sealed secret: unknown type '%s'", type);

	strings = vault ? vault_strings : env_strings;
	for (size_t i = 0; strings[i]; i++) {
		r = require_string(j, strings[i], &v, err);
		if (r < 0)
			return r;
	}
	r = require_object(j, "provider_settings", &obj, err);
	if (r < 0)
		return r;
	r = require_object(j, "annotations", &obj, err);
	if (r < 0)
		return r;
	if (!vault) {
		(void) json_get_string(j, "wrap_type", &v);
		if (wrap_type_from_string(v, &wt) < 0)
			return cdh_error_set(err, -EBADMSG, "sealed secret: unknown wrap_type '%s'",
					     v);
	}

	if (!streq(version, CDH_SECRET_VERSION))
		return cdh_error_set(err, -EPROTONOSUPPORT,
				     "sealed secret: unsupported version '%s' (want %s)", version,
				     CDH_SECRET_VERSION);

	return vault ? unseal_vault(o, j, ret, err) : unseal_envelope(o, j, wt, ret, err);
}

int cdh_secret_unseal(const struct cdh_secret_opts *o, const void *s, size_t n, struct secret **ret,
		      struct cdh_error *err)
{
	_cleanup_(buf_done_wipe) struct buf payload = BUF_INIT(CDH_SECRET_MAX);
	int r;

	if (!o || !s || !ret)
		return -EINVAL;
	if (n > CDH_SECRET_MAX)
		return cdh_error_set(err, -E2BIG, "sealed secret: larger than %u bytes",
				     CDH_SECRET_MAX);
	if (memchr(s, 0, n))
		return cdh_error_set(err, -EBADMSG, "sealed secret: contains a NUL byte");

	if (o->skip_verification)
		r = split_unverified(s, n, &payload, err);
	else
		r = verify(o, s, n, &payload, err);
	if (r < 0)
		return r;
	return unseal_payload(o, &payload, ret, err);
}

/* ---- sealing ---- */

static int add_string(json_object *j, const char *key, const char *v)
{
	json_object *s = json_object_new_string(v);

	if (!s)
		return -ENOMEM;
	if (json_object_object_add(j, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int add_b64(json_object *j, const char *key, const uint8_t *p, size_t n)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	int r;

	r = b64_encode(B64_STD, p, n, &b);
	if (r < 0)
		return r;
	return add_string(j, key, buf_str(&b));
}

/* Adds a copy of obj (an object; NULL means {}) under key. */
static int add_object(json_object *j, const char *key, json_object *obj)
{
	json_object *c = NULL;

	if (obj) {
		if (!json_object_is_type(obj, json_type_object))
			return -EINVAL;
		if (json_object_deep_copy(obj, &c, NULL) < 0)
			return -ENOMEM;
	} else {
		c = json_object_new_object();
		if (!c)
			return -ENOMEM;
	}
	if (json_object_object_add(j, key, c) < 0) {
		json_object_put(c);
		return -ENOMEM;
	}
	return 0;
}

static int new_payload(const char *type, json_object **ret)
{
	_cleanup_(json_object_putp) json_object *j = json_object_new_object();
	int r;

	if (!j)
		return -ENOMEM;
	r = add_string(j, "version", CDH_SECRET_VERSION);
	if (r < 0)
		return r;
	r = add_string(j, "type", type);
	if (r < 0)
		return r;
	*ret = steal_ptr(j);
	return 0;
}

int cdh_secret_vault_json(const struct cdh_secret_vault *v, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	int r;

	if (!v || isempty(v->name))
		return -EINVAL;
	r = new_payload("vault", &j);
	if (r < 0)
		return r;
	if ((r = add_string(j, "name", v->name)) < 0 ||
	    (r = add_string(j, "provider", v->provider ?: "kbs")) < 0 ||
	    (r = add_object(j, "provider_settings", v->provider_settings)) < 0 ||
	    (r = add_object(j, "annotations", v->annotations)) < 0)
		return r;
	return json_append(j, out);
}

int cdh_secret_envelope_json(const struct cdh_secret_envelope *e, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	int r;

	if (!e || isempty(e->key_id) || isempty(e->provider))
		return -EINVAL;
	r = new_payload("envelope", &j);
	if (r < 0)
		return r;
	if ((r = add_string(j, "key_id", e->key_id)) < 0 ||
	    (r = add_b64(j, "encrypted_key", e->encrypted_key, e->encrypted_key_len)) < 0 ||
	    (r = add_b64(j, "encrypted_data", e->encrypted_data, e->encrypted_data_len)) < 0 ||
	    (r = add_string(j, "wrap_type", wrap_type_to_string(e->wrap_type))) < 0 ||
	    (r = add_b64(j, "iv", e->iv, e->iv_len)) < 0 ||
	    (r = add_string(j, "provider", e->provider)) < 0 ||
	    (r = add_object(j, "provider_settings", e->provider_settings)) < 0 ||
	    (r = add_object(j, "annotations", e->annotations)) < 0)
		return r;
	return json_append(j, out);
}

int cdh_secret_seal(const struct crypto_pk *key, const char *kid, const void *payload, size_t n,
		    struct buf *out)
{
	size_t start = out->len;
	int r;

	if (!key || isempty(kid))
		return -EINVAL;
	if (crypto_pk_type(key) != CRYPTO_PK_EC || crypto_pk_curve(key) != CRYPTO_CURVE_P256 ||
	    !crypto_pk_is_private(key))
		return -ENOKEY;
	r = buf_append_str(out, CDH_SECRET_PREFIX);
	if (r < 0)
		return r;
	r = jose_jws_sign(key, "ES256", kid, payload, n, out);
	if (r < 0)
		buf_truncate(out, start);
	return r;
}
