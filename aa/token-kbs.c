/* SPDX-License-Identifier: Apache-2.0 */
/* GetToken("kbs"): the RCAR 0.4.0 handshake of guest-components kbs_protocol
 * (client/rcar_client.rs, keypair.rs, builder.rs) as used by attestation-agent
 * src/token/kbs.rs: /auth, evidence bound to H(JCS(runtime data)), /attest, and the token
 * returned with the fresh TEE private key (upstream.md §3.6, §4.1-§4.4). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aa/token.h"
#include "common/b64.h"
#include "common/http.h"
#include "common/jcs.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"
#include "common/secret.h"

#define KBS_PROTOCOL_VERSION "0.4.0"
/* Enough of a peer's error body for the log line. */
#define PEER_TEXT_MAX ((size_t) 300)

int aa_token_kbs_hash_algorithm(json_object *extra_params, enum digest_alg *ret)
{
	json_object *sel;
	const char *name;

	/* serde_json's Value::get(&str) only finds members of an object: TR sends "" here. */
	if (!extra_params || !json_object_is_type(extra_params, json_type_object) ||
	    !json_object_object_get_ex(extra_params, "selected-hash-algorithm", &sel)) {
		*ret = DIGEST_SHA384;
		return 0;
	}
	if (json_as_string(sel, &name) < 0)
		return -EBADMSG;
	return digest_alg_from_string_ci(name, ret) >= 0 ? 0 : -EINVAL;
}

int aa_token_kbs_report_data(json_object *tee_pubkey, const char *nonce, const char *additional,
			     enum digest_alg alg, struct buf *jcs, uint8_t *digest)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	_cleanup_(buf_done) struct buf b = BUF_INIT(JSON_DEFAULT_MAX_SIZE);
	int r;

	if (!o)
		return -ENOMEM;
	/* The key order here is irrelevant: JCS sorts. For the primary attester
	 * "additional-evidence" is always there, a JSON string (possibly empty), as
	 * rcar_client.rs get_composite_evidence() does; the devices' digest (additional
	 * NULL) covers only nonce and tee-pubkey. */
	if (json_object_object_add(o, "tee-pubkey", json_object_get(tee_pubkey)) < 0 ||
	    json_object_object_add(o, "nonce", json_object_new_string(nonce)) < 0 ||
	    (additional && json_object_object_add(o, "additional-evidence",
						  json_object_new_string(additional)) < 0))
		return -ENOMEM;
	r = jcs_append(o, &b);
	if (r < 0)
		return r;
	(void) digest_buf(alg, b.data, b.len, digest);
	if (jcs)
		return buf_append(jcs, b.data, b.len);
	return 0;
}

int aa_token_kbs_new_key(enum aa_tee_key_alg alg, struct crypto_pk **ret)
{
	switch (alg) {
	case AA_TEE_KEY_EC_P256:
		return crypto_pk_generate_ec(CRYPTO_CURVE_P256, ret);
	case AA_TEE_KEY_EC_P521:
		return crypto_pk_generate_ec(CRYPTO_CURVE_P521, ret);
	case AA_TEE_KEY_RSA:
		return crypto_pk_generate_rsa(2048, ret); /* RSA_PUBKEY_LENGTH */
	}
	return -EINVAL;
}

struct rcar {
	const struct aa_token_config *cfg;
	const struct attester_ops *primary;
	const char *initdata;
	struct http_client *http;
	json_object *tee_pubkey;
	char *base; /* KBS URL without trailing '/' */
};

static int post(struct rcar *s, const char *endpoint, const struct buf *body,
		struct http_resp *resp)
{
	_cleanup_free_ char *url = NULL;
	char *const headers[] = { "Accept: application/json", NULL };

	if (asprintf(&url, "%s/kbs/v0/%s", s->base, endpoint) < 0)
		return -ENOMEM;
	return http_request(s->http,
			    &(struct http_req){
				.method = HTTP_POST,
				.url = url,
				.headers = headers,
				.body = body->data,
				.body_len = body->len,
				.content_type = "application/json",
				/* upstream takes http:// KBS URLs as they are */
				.allow_http = true,
			    },
			    resp);
}

/* A non-200 answer: 401 carries ErrorInformation {type, detail}; anything else is
 * "KBS Server Internal Failed" with the body as text (rcar_client.rs). */
static int answer_error(const char *what, const struct http_resp *resp, struct aa_token_error *err)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	const char *type, *detail;
	int r;

	if (resp->status == 401) {
		r = json_parse((const char *) resp->body.data, resp->body.len, AA_TOKEN_BODY_MAX,
			       JSON_DEFAULT_MAX_DEPTH, &j, NULL);
		if (r < 0 || json_get_string(j, "type", &type) < 0 ||
		    json_get_string(j, "detail", &detail) < 0)
			return aa_token_fail(err, -EBADMSG,
					     "KBS %s unauthorized (401) without a valid "
					     "ErrorInformation body",
					     what);
		(void) aa_token_fail(err, -EACCES, "KBS %s unauthorized (401): type ", what);
		aa_token_error_append_peer(err, type, strlen(type));
		aa_token_error_append_peer(err, ", detail ", 9);
		aa_token_error_append_peer(err, detail, strlen(detail));
		return -EACCES;
	}
	(void) aa_token_fail(err, 0, "KBS Server Internal Failed on %s, HTTP %ld, response: ", what,
			     resp->status);
	aa_token_error_append_peer(err, resp->body.data, MIN(resp->body.len, PEER_TEXT_MAX));
	r = http_status_to_errno(resp->status);
	return r < 0 ? r : -EPROTO; /* 2xx other than 200 too */
}

static int transport_error(const char *what, int r, const struct http_resp *resp,
			   struct aa_token_error *err)
{
	return aa_token_fail(err, r, "KBS %s request failed: %s%s%s", what, strerror(-r),
			     resp->error[0] ? ": " : "", resp->error);
}

/* Token::new(): the second dot-separated part must be base64url (no padding) of a JSON
 * object of JWT claims, whose exp/nbf, when present, are integers. */
static int check_jwt(const char *token)
{
	_cleanup_(buf_done) struct buf claims = BUF_INIT(AA_TOKEN_BODY_MAX);
	_cleanup_(json_object_putp) json_object *j = NULL;
	const char *p = strchr(token, '.'), *end;
	uint64_t t;
	int r;

	if (!p)
		return -EBADMSG;
	p++;
	end = strchr(p, '.');
	r = b64_decode(B64_URL_NOPAD, p, end ? (size_t) (end - p) : strlen(p), &claims);
	if (r < 0)
		return r;
	r = json_parse((const char *) claims.data, claims.len, AA_TOKEN_BODY_MAX,
		       JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	if (!json_object_is_type(j, json_type_object))
		return -EBADMSG;
	if (json_get_uint64_opt(j, "exp", &t) < 0 || json_get_uint64_opt(j, "nbf", &t) < 0)
		return -EBADMSG;
	return 0;
}

static int build_request(const char *tee, json_object **ret)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *extra = json_object_new_object(), *algs = json_object_new_array();

	if (!o || !extra || !algs) {
		json_object_put(extra);
		json_object_put(algs);
		return -ENOMEM;
	}
	/* kbs-types HashAlgorithm::list_all(), sent as upstream sends it. */
	json_object_array_add(algs, json_object_new_string("sha256"));
	json_object_array_add(algs, json_object_new_string("sha384"));
	json_object_array_add(algs, json_object_new_string("sha512"));
	json_object_array_add(algs, json_object_new_string("sm3"));
	json_object_object_add(extra, "supported-hash-algorithms", algs);
	json_object_object_add(o, "version", json_object_new_string(KBS_PROTOCOL_VERSION));
	json_object_object_add(o, "tee", json_object_new_string(tee));
	json_object_object_add(o, "extra-params", extra);
	*ret = steal_ptr(o);
	return 0;
}

/* The Attestation body. The evidence text goes in verbatim (it was checked to be JSON):
 * a parse and re-serialisation could change how numbers or escapes are written. */
static int build_attestation(const struct rcar *s, const char *nonce, const struct buf *evidence,
			     const char *additional, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *add = json_object_new_string(additional);
	_cleanup_(json_object_putp) json_object *init = NULL, *rd = json_object_new_object();
	int r;

	if (!rd || !add)
		return -ENOMEM;
	if (s->initdata) {
		init = json_object_new_object();
		if (!init)
			return -ENOMEM;
		json_object_object_add(init, "format", json_object_new_string("toml"));
		json_object_object_add(init, "body", json_object_new_string(s->initdata));
	}
	json_object_object_add(rd, "nonce", json_object_new_string(nonce));
	json_object_object_add(rd, "tee-pubkey", json_object_get(s->tee_pubkey));

	/* Option<InitData> without skip_serializing_if: null when absent. */
	r = buf_append_str(out, "{\"init-data\":");
	if (r >= 0)
		r = json_append(init, out);
	if (r >= 0)
		r = buf_append_str(out, ",\"runtime-data\":");
	if (r >= 0)
		r = json_append(rd, out);
	if (r >= 0)
		r = buf_append_str(out, ",\"tee-evidence\":{\"primary_evidence\":");
	if (r >= 0)
		r = buf_append(out, evidence->data, evidence->len);
	/* The devices' evidence map as a JSON string; "" without devices, as upstream. */
	if (r >= 0)
		r = buf_append_str(out, ",\"additional_evidence\":");
	if (r >= 0)
		r = json_append(add, out);
	if (r >= 0)
		r = buf_append_str(out, "}}");
	return r;
}

int aa_token_kbs_parse_challenge(const void *body, size_t n, char **ret_nonce,
				 enum digest_alg *ret_alg, struct aa_token_error *err)
{
	_cleanup_(json_object_putp) json_object *challenge = NULL;
	const char *nonce, *reason = NULL;
	json_object *extra;
	char *t;
	int r;

	r = json_parse(body, n, AA_TOKEN_BODY_MAX, JSON_DEFAULT_MAX_DEPTH, &challenge, &reason);
	if (r < 0)
		return aa_token_fail(err, r, "KBS challenge is not JSON: %s",
				     reason ?: strerror(-r));
	if (json_get_string(challenge, "nonce", &nonce) < 0 ||
	    !json_object_object_get_ex(challenge, "extra-params", &extra))
		return aa_token_fail(err, -EBADMSG,
				     "KBS challenge lacks a string nonce or extra-params");
	r = aa_token_kbs_hash_algorithm(extra, ret_alg);
	if (r < 0)
		return aa_token_fail(err, r, "KBS challenge selects an unusable hash algorithm");
	t = strdup(nonce);
	if (!t)
		return -ENOMEM;
	*ret_nonce = t;
	return 0;
}

int aa_token_kbs_parse_attest(const void *body, size_t n, char **ret_token,
			      struct aa_token_error *err)
{
	_cleanup_(json_object_putp) json_object *answer = NULL;
	const char *token, *reason = NULL;
	char *t;
	int r;

	r = json_parse(body, n, AA_TOKEN_BODY_MAX, JSON_DEFAULT_MAX_DEPTH, &answer, &reason);
	if (r < 0)
		return aa_token_fail(err, r, "KBS attest response is not JSON: %s",
				     reason ?: strerror(-r));
	if (json_get_string(answer, "token", &token) < 0)
		return aa_token_fail(err, -EBADMSG, "KBS attest response has no string token");
	if (check_jwt(token) < 0)
		return aa_token_fail(err, -EBADMSG, "KBS token is not a JWT: illegal token format");
	t = strdup(token);
	if (!t)
		return -ENOMEM;
	*ret_token = t;
	return 0;
}

/* One handshake: /auth, evidence, /attest. *ret_token is a new string. */
static int rcar_handshake(struct rcar *s, char **ret_token, struct aa_token_error *err)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(AA_TOKEN_BODY_MAX);
	_cleanup_(json_object_putp) json_object *req = NULL, *ev = NULL;
	_cleanup_(buf_done) struct buf body = BUF_INIT(2 * JSON_DEFAULT_MAX_SIZE);
	_cleanup_(buf_done) struct buf evidence = BUF_INIT(JSON_DEFAULT_MAX_SIZE);
	_cleanup_(buf_done) struct buf additional = BUF_INIT(JSON_DEFAULT_MAX_SIZE);
	uint8_t digest[DIGEST_MAX_SIZE];
	_cleanup_free_ char *nonce = NULL;
	const char *reason = NULL;
	enum digest_alg alg;
	int r;

	r = build_request(s->primary->name, &req);
	if (r >= 0)
		r = json_append(req, &body);
	if (r < 0)
		return r;
	r = post(s, "auth", &body, &resp);
	if (r < 0)
		return transport_error("auth", r, &resp, err);
	if (resp.status != 200)
		return answer_error("request", &resp, err);

	r = aa_token_kbs_parse_challenge(resp.body.data, resp.body.len, &nonce, &alg, err);
	if (r < 0)
		return r;

	/* SE gets an SeAttestationRequest in the nonce, which needs the SE attester. */
	if (streq(s->primary->name, "se"))
		return aa_token_fail(err, -EOPNOTSUPP,
				     "Tee::Se requires se-attester feature to be enabled");

	/* Devices first: their evidence binds H(JCS({nonce, tee-pubkey})) and goes into the
	 * primary's report data as the "additional-evidence" string. */
	if (attester_additional(s->primary, (const struct attester_ops *[1]){}, 1) > 0) {
		r = aa_token_kbs_report_data(s->tee_pubkey, nonce, NULL, alg, NULL, digest);
		if (r >= 0)
			r = attester_additional_evidence(s->primary, digest, digest_size(alg),
							 &additional);
		if (r >= 0)
			r = buf_put_u8(&additional, 0);
		if (r < 0)
			return aa_token_fail(err, r, "get additional evidence failed: %s",
					     strerror(-r));
	}
	r = aa_token_kbs_report_data(s->tee_pubkey, nonce, buf_str(&additional), alg, NULL, digest);
	if (r < 0)
		return aa_token_fail(err, r, "cannot compute the runtime data digest");
	r = s->primary->evidence(digest, digest_size(alg), &evidence);
	if (r < 0)
		return aa_token_fail(err, r, "get composite evidence failed: %s attester: %s",
				     s->primary->name, strerror(-r));
	r = json_parse((const char *) evidence.data, evidence.len, JSON_DEFAULT_MAX_SIZE,
		       JSON_DEFAULT_MAX_DEPTH, &ev, &reason);
	if (r < 0)
		return aa_token_fail(err, r, "the %s attester's evidence is not JSON",
				     s->primary->name);

	buf_reset(&body);
	r = build_attestation(s, nonce, &evidence, buf_str(&additional), &body);
	if (r < 0)
		return r;
	r = post(s, "attest", &body, &resp);
	if (r < 0)
		return transport_error("attest", r, &resp, err);
	if (resp.status != 200)
		return answer_error("attest", &resp, err);

	return aa_token_kbs_parse_attest(resp.body.data, resp.body.len, ret_token, err);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* JSON string escaping for the PEM: base64 lines, dashes, blanks and '\n'. */
static size_t escaped_len(const char *s, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		len += c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ? 2
		       : c < 0x20                                                   ? 6
										    : 1;
	}
	return len;
}

static int append_escaped(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];
		char e[7];
		int r;

		if (c == '"' || c == '\\')
			r = buf_append(out, (char[]){ '\\', (char) c }, 2);
		else if (c == '\n')
			r = buf_append(out, "\\n", 2);
		else if (c == '\r')
			r = buf_append(out, "\\r", 2);
		else if (c == '\t')
			r = buf_append(out, "\\t", 2);
		else if (c < 0x20) {
			(void) snprintf(e, sizeof(e), "\\u%04x", c);
			r = buf_append(out, e, 6);
		} else
			r = buf_append(out, &s[i], 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* {"token":"...","tee_keypair":"..."} as serde_json writes the Message struct. */
static int write_message(const char *token, const struct crypto_pk *key, struct buf *out)
{
	static const char k1[] = "{\"token\":", k2[] = ",\"tee_keypair\":\"", k3[] = "\"}";
	_cleanup_(buf_done_wipe) struct buf tok = BUF_INIT(AA_TOKEN_BODY_MAX * 2);
	_cleanup_(json_object_putp) json_object *t = json_object_new_string(token);
	_cleanup_secret_ struct secret *pem = NULL;
	size_t start = out->len;
	int r;

	if (!t)
		return -ENOMEM;
	r = json_append(t, &tok);
	if (r < 0)
		return r;
	r = crypto_pk_export_private_pem(key, &pem);
	if (r < 0)
		return r;
	/* Reserve everything first: a later reallocation would leave a copy of the key. */
	r = buf_reserve(out, strlen(k1) + tok.len + strlen(k2) +
				 escaped_len((const char *) pem->p, pem->n) + strlen(k3));
	if (r < 0)
		return r;
	r = buf_append(out, k1, strlen(k1));
	if (r >= 0)
		r = buf_append(out, tok.data, tok.len);
	if (r >= 0)
		r = buf_append(out, k2, strlen(k2));
	if (r >= 0)
		r = append_escaped(out, (const char *) pem->p, pem->n);
	if (r >= 0)
		r = buf_append(out, k3, strlen(k3));
	if (r < 0) {
		secret_wipe(out->data + start, out->len - start);
		buf_truncate(out, start);
	}
	return r;
}

int aa_token_kbs(const struct aa_token_config *cfg, const struct attester_ops *primary,
		 const char *initdata_toml, struct buf *out, struct aa_token_error *err)
{
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	_cleanup_(crypto_pk_freep) struct crypto_pk *key = NULL;
	_cleanup_(json_object_putp) json_object *jwk = NULL;
	_cleanup_free_ char *base = NULL, *token = NULL;
	struct aa_token_error last = {};
	struct rcar s;
	size_t n;
	int r;

	r = http_global_init();
	if (r < 0)
		return aa_token_fail(err, r, "cannot initialise the HTTP client");
	http = http_client_new();
	if (!http)
		return -ENOMEM;
	/* builder.rs: cookie store, User-Agent, 60 s timeout, extra root certificates;
	 * reqwest also trusts the system store and honours the proxy variables. */
	r = http_client_set_user_agent(http, AA_TOKEN_KBS_USER_AGENT);
	if (r < 0)
		return r;
	http_client_set_timeouts(http, 0, cfg->timeout_ms, 0, 0);
	r = http_client_add_default_ca(http);
	if (r < 0 && r != -ENOENT)
		log_debug("System CA bundle not used: %s", strerror(-r));
	if (cfg->kbs_cert) {
		r = http_client_add_ca_pem(http, cfg->kbs_cert);
		if (r < 0)
			return aa_token_fail(err, r, "read KBS public key cert: %s", strerror(-r));
	}
	r = http_client_set_proxy_from_env(http);
	if (r < 0)
		return r;

	/* One key per call, kept over the retries, as one KbsClient keeps its TeeKeyPair. */
	r = aa_token_kbs_new_key(cfg->tee_key_alg, &key);
	if (r < 0)
		return aa_token_fail(err, r, "cannot generate the TEE key: %s", strerror(-r));
	r = jose_tee_pubkey_jwk(key, NULL, &jwk);
	if (r < 0)
		return r;

	/* KbsClientBuilder: kbs_host_url.trim_end_matches('/') */
	n = strlen(cfg->kbs_url);
	while (n > 0 && cfg->kbs_url[n - 1] == '/')
		n--;
	base = strndup(cfg->kbs_url, n);
	if (!base)
		return -ENOMEM;

	s = (struct rcar){ .cfg = cfg,
			   .primary = primary,
			   .initdata = initdata_toml,
			   .http = http,
			   .tee_pubkey = jwk,
			   .base = base };

	for (unsigned attempt = 1;; attempt++) {
		last.message[0] = 0;
		r = rcar_handshake(&s, &token, &last);
		if (r >= 0)
			break;
		if (r == -ENOMEM)
			return r;
		log_debug("RCAR handshake attempt %u failed: %s", attempt,
			  last.message[0] ? last.message : strerror(-r));
		if (attempt >= AA_TOKEN_RCAR_MAX_ATTEMPT)
			return aa_token_fail(err, r,
					     "Unable to get token. RCAR handshake retried %d "
					     "times. Final attempt failed with: %s",
					     AA_TOKEN_RCAR_MAX_ATTEMPT,
					     last.message[0] ? last.message : strerror(-r));
		sleep_ms(cfg->retry_delay_ms);
	}

	r = write_message(token, key, out);
	if (r < 0)
		return aa_token_fail(err, r, "cannot write the token message: %s", strerror(-r));
	return 0;
}
