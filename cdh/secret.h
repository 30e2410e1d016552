/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed secrets (upstream.md §5.4; guest-components confidential-data-hub/hub/src/secret/
 * {mod.rs,layout/vault.rs,layout/envelope.rs}): "sealed." + a JWS (ES256) whose payload is
 * a vault or envelope secret. Unsealing checks the signature (key from a resource URI kid
 * or the local sealed-secret dir) unless told to skip it; sealing makes the same strings.
 * Providers: vault "kbs" (through struct cdh_kms); envelope only through cdh_kms.decrypt,
 * which no backend of this build fills (upstream's aliyun/aws/ehsm KMS decryptors). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdh/error.h"
#include "cdh/kms.h"
#include "cdh/wrap.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/secret.h"

struct json_object;

#define CDH_SEALED_SECRET_DIR "/run/confidential-containers/cdh/sealed-secret"
#define CDH_SECRET_VERSION "0.1.0"
#define CDH_SECRET_PREFIX "sealed."
/* Largest sealed secret we look at (one ttrpc frame). */
#define CDH_SECRET_MAX (4u << 20)
/* Largest verification key file. */
#define CDH_SECRET_KEY_MAX (64u << 10)

struct cdh_secret_opts {
	const struct cdh_kms *kms; /* the "kbs" getter; NULL: none (kbs URIs then fail) */
	bool skip_verification;    /* config flag or cdh_secret_skip_from_env() */
	const char *key_dir;       /* local kid directory; NULL: CDH_SEALED_SECRET_DIR */
};

/* True when $SKIP_SEALED_SECRET_VERIFICATION is exactly "true" (as upstream). */
bool cdh_secret_skip_from_env(void);

/* Unseals s[0..n) and returns the plaintext in *ret.
 * Verification mode: every leading "sealed." is stripped, the rest must be a compact JWS
 * with a "kid" and alg ES256; the key is the JWK at kid (a resource URI, via o->kms) or
 * the file <key_dir>/<kid> (no absolute path, no ".." segment, opened confined to
 * key_dir), and must be EC P-256. Skip mode: exactly four '.'-separated parts, the third
 * is the payload (base64url, no padding), nothing else is looked at.
 * Errors (with err->message saying which):
 *   -EBADMSG   not a JWS / 4 parts, bad base64, payload not a well-formed secret (bad
 *              JSON, unknown type, missing or mistyped member, unknown wrap_type), no kid
 *   -EPROTONOSUPPORT  version other than "0.1.0"
 *   -EKEYREJECTED     signature does not verify, alg not ES256
 *   -ENOKEY    no key under that kid (file absent, resource absent), key not EC P-256
 *   -EPERM     kid escapes key_dir
 *   -EOPNOTSUPP  provider not available in this build (named in the message)
 *   -EINVAL    vault name (provider kbs) not a resource URI
 *   -E2BIG over CDH_SECRET_MAX, -ENOMEM; getter errors (e.g. -ENOENT) pass through. */
int cdh_secret_unseal(const struct cdh_secret_opts *o, const void *s, size_t n, struct secret **ret,
		      struct cdh_error *err);

/* ---- sealing ---- */

struct cdh_secret_vault {
	const char *name;                                    /* for provider kbs, a resource URI */
	const char *provider;                                /* NULL: "kbs" */
	struct json_object *provider_settings, *annotations; /* objects; NULL: {} */
};

struct cdh_secret_envelope {
	const char *key_id;
	const uint8_t *encrypted_key; /* the DEK as wrapped by the provider's KMS */
	size_t encrypted_key_len;
	const uint8_t *encrypted_data; /* the secret under the DEK (GCM: with its tag) */
	size_t encrypted_data_len;
	enum wrap_type wrap_type;
	const uint8_t *iv;
	size_t iv_len;
	const char *provider;
	struct json_object *provider_settings, *annotations; /* NULL: {} */
};

/* Payload JSON in upstream's member order (version, type, then the layout's fields; byte
 * fields base64 standard), appended to out. -EINVAL for a missing name/key_id/provider. */
int cdh_secret_vault_json(const struct cdh_secret_vault *v, struct buf *out);
int cdh_secret_envelope_json(const struct cdh_secret_envelope *e, struct buf *out);

/* "sealed." + JWS compact of payload signed with key (EC P-256 private; else -ENOKEY),
 * header {"alg":"ES256","kid":kid}, appended to out. */
int cdh_secret_seal(const struct crypto_pk *key, const char *kid, const void *payload, size_t n,
		    struct buf *out);
