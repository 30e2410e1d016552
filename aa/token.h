/* SPDX-License-Identifier: Apache-2.0 */
/* GetToken: the token getters of the attestation agent (guest-components
 * attestation-agent/src/token/{kbs,coco_as}.rs; upstream.md §3.5, §3.6, §4) and the
 * configuration they read: [token_configs.kbs] / [token_configs.coco_as] of the AA config,
 * or AA_KBC_PARAMS / agent.aa_kbc_params=cc_kbc::<url> when no config file is given. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "aa/attester.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/digest.h"

struct toml_value;
struct json_object;

/* upstream's TeeKeyAlgorithm (kbs_protocol keypair.rs), by its serde names. */
enum aa_tee_key_alg {
	AA_TEE_KEY_EC_P256, /* "ECDH-ES+A256KW-P256", the default */
	AA_TEE_KEY_EC_P521, /* "ECDH-ES+A256KW-P521" */
	AA_TEE_KEY_RSA,     /* "RSA-OAEP-256", RSA-2048 */
};

/* RCAR retry policy (rcar_client.rs RCAR_MAX_ATTEMPT, RCAR_RETRY_TIMEOUT_SECOND) and the
 * KBS client's request timeout (builder.rs KBS_REQ_TIMEOUT_SEC). */
#define AA_TOKEN_RCAR_MAX_ATTEMPT 5
#define AA_TOKEN_RCAR_RETRY_DELAY_MS 1000u
#define AA_TOKEN_KBS_TIMEOUT_MS 60000u
/* kbs_protocol's crate version goes into the User-Agent. */
#define AA_TOKEN_KBS_USER_AGENT "attestation-agent-kbs-client/0.1.0"
/* Largest HTTP body we take from the KBS or the CoCo-AS. */
#define AA_TOKEN_BODY_MAX (4u << 20)
#define AA_TOKEN_ERROR_MAX 512

struct aa_token_config {
	/* [token_configs.kbs]; kbs_url NULL: not configured (GetToken("kbs") fails). */
	char *kbs_url;
	char *kbs_cert; /* extra root CA(s), PEM text; NULL for none */
	enum aa_tee_key_alg tee_key_alg;
	/* [token_configs.coco_as]; NULL: not configured. */
	char *coco_as_url;

	/* Not configuration: upstream's fixed values, set by aa_token_config_init(). Tests
	 * shorten them; production code leaves them alone. */
	unsigned retry_delay_ms; /* between RCAR attempts */
	unsigned timeout_ms;     /* per KBS request */
};

/* Why a token could not be had, for the one log line of the caller: fixed text plus, for
 * KBS answers, the peer's error type/detail with non-printable bytes replaced. Never
 * holds a token, a key or a nonce. */
struct aa_token_error {
	char message[AA_TOKEN_ERROR_MAX];
};

/* Defaults: nothing configured, P-256, 1 s retry delay, 60 s timeout. */
void aa_token_config_init(struct aa_token_config *cfg);
/* Frees the strings and re-initialises. */
void aa_token_config_done(struct aa_token_config *cfg);

/* Reads [token_configs.kbs] (url required; cert, tee_key_algorithm optional) and
 * [token_configs.coco_as] (url required) from a parsed AA config, replacing what cfg held
 * for the sections present. Other keys are ignored, as serde does. -EINVAL (and a reason
 * in err, if not NULL) when a section is not a table, url is missing or not a string,
 * cert is not a string, or tee_key_algorithm is not one of upstream's three names. */
int aa_token_config_from_toml(const struct toml_value *root, struct aa_token_config *cfg,
			      struct aa_token_error *err);

/* Applies "<kbc>::<uri>" (AA_KBC_PARAMS, agent.aa_kbc_params). Returns 1 and sets
 * kbs_url (cert none, key P-256) when kbc is "cc_kbc"; 0 and leaves cfg alone for any
 * other kbc; -EINVAL when params does not split into exactly two parts on "::" (upstream
 * then runs without a KBS config: the caller logs and goes on). */
int aa_token_config_from_kbc_params(struct aa_token_config *cfg, const char *params);

/* The value of the first "agent.aa_kbc_params=" word of the kernel command line read from
 * cmdline_path (NULL: /proc/cmdline). *ret is a new string. -ENOENT when absent, -errno
 * when the file cannot be read, -E2BIG past 64 KiB. */
int aa_token_kbc_params_from_cmdline(const char *cmdline_path, char **ret);

/* upstream's TokenConfigs::from_kernel_cmdline(): AA_KBC_PARAMS if set (even empty),
 * else the kernel command line; a missing or malformed value means "offline_fs_kbc::",
 * i.e. no KBS config. Returns 1 when kbs_url was set, 0 otherwise (never fails but for
 * -ENOMEM). */
int aa_token_config_from_env(struct aa_token_config *cfg, const char *cmdline_path);

/* GetToken(type). "kbs": an RCAR 0.4.0 handshake (upstream.md §4) with a fresh TEE key,
 * evidence from primary, and init-data {format "toml", body initdata_toml} when
 * initdata_toml is not NULL; retried up to AA_TOKEN_RCAR_MAX_ATTEMPT times. Appends
 * {"token":"<JWT>","tee_keypair":"<PEM>"} to out (RSA keys PKCS#1, EC keys PKCS#8): out
 * then holds key material, release it with buf_done_wipe(). The buffer is sized once
 * before the key is written, so no stale copy is left behind by a reallocation when out
 * starts empty. "coco_as": evidence for empty report data POSTed to <url>/attestation;
 * appends the response body (the token).
 * Errors (err, if not NULL, says why):
 *   -EINVAL      unknown type ("Unsupported token type"), or that type not configured
 *   -EACCES      the KBS answered 401 (its ErrorInformation in err)
 *   -EPROTO      other HTTP status, or an answer that breaks the protocol
 *   -EBADMSG     malformed JSON/JWT from the peer
 *   -EOPNOTSUPP  a hash or TEE the protocol selects that we do not implement (sm3, se)
 *   transport errors of http_request() (-ECONNREFUSED, -ETIMEDOUT, -EKEYREJECTED, ...)
 *   -ENOMEM, -E2BIG
 * For "kbs" the code is that of the last attempt. */
int aa_token_get(const struct aa_token_config *cfg, const char *type,
		 const struct attester_ops *primary, const char *initdata_toml, struct buf *out,
		 struct aa_token_error *err);

/* ---- parts of the KBS getter, exported for tests ---- */

/* The hash upstream picks from Challenge.extra-params: "selected-hash-algorithm" (a
 * string, case-insensitive) when extra_params is an object holding it, else SHA-384.
 * -EBADMSG if the member is not a string, -EOPNOTSUPP for "sm3", -EINVAL for other
 * names. */
int aa_token_kbs_hash_algorithm(struct json_object *extra_params, enum digest_alg *ret);

/* The primary attester's report data (§4.4): JCS of
 * {"additional-evidence":additional,"nonce":nonce,"tee-pubkey":tee_pubkey} appended to
 * jcs (if not NULL), and its hash written to digest (digest_size(alg) bytes). */
int aa_token_kbs_report_data(struct json_object *tee_pubkey, const char *nonce,
			     const char *additional, enum digest_alg alg, struct buf *jcs,
			     uint8_t *digest);

/* The /auth answer, a kbs-types Challenge {"nonce", "extra-params"}: *ret_nonce a new
 * string (caller frees), *ret_alg the hash it selects (aa_token_kbs_hash_algorithm()).
 * Errors (err, if not NULL, says why): json_parse()'s for a body that is not JSON,
 * -EBADMSG without a string nonce or without extra-params, aa_token_kbs_hash_algorithm()'s,
 * -ENOMEM. Reads body[0..n) only. */
int aa_token_kbs_parse_challenge(const void *body, size_t n, char **ret_nonce,
				 enum digest_alg *ret_alg, struct aa_token_error *err);

/* The /attest answer {"token": "<JWT>"}: *ret_token a new string (caller frees) whose
 * claims part is base64url of a JSON object with integer exp/nbf if present (not
 * verified: the KBS checks its own tokens). Errors: json_parse()'s, -EBADMSG for a
 * missing or non-string token or one that is not such a JWT, -ENOMEM. */
int aa_token_kbs_parse_attest(const void *body, size_t n, char **ret_token,
			      struct aa_token_error *err);

/* A fresh TEE key of the configured algorithm. */
int aa_token_kbs_new_key(enum aa_tee_key_alg alg, struct crypto_pk **ret);

/* token-kbs.c and token-coco-as.c */
int aa_token_kbs(const struct aa_token_config *cfg, const struct attester_ops *primary,
		 const char *initdata_toml, struct buf *out, struct aa_token_error *err);
int aa_token_coco_as(const struct aa_token_config *cfg, const struct attester_ops *primary,
		     struct buf *out, struct aa_token_error *err);
/* Sets err's message (printf-style) when err is not NULL; returns error. */
int aa_token_fail(struct aa_token_error *err, int error, const char *fmt, ...) _printf_(3, 4);
/* Appends s[0..n) to err's message, printable ASCII only (a peer's text). */
void aa_token_error_append_peer(struct aa_token_error *err, const void *s, size_t n);
