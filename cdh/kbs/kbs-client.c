/* SPDX-License-Identifier: Apache-2.0 */
/* cc_kbc (see kbs-client.h). Retries as upstream: KBS_GET_RESOURCE_MAX_ATTEMPT (3) per
 * resource, 60 s per request; the AA gets 50 s for a token. */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdh/kbs/kbs-client.h"
#include "common/b64.h"
#include "common/crypto.h"
#include "common/http.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-client.h"

#define KBS_GET_RESOURCE_MAX_ATTEMPT 3
#define KBS_REQ_TIMEOUT_MS 60000
#define AA_TOKEN_TIMEOUT_USEC (50ull * 1000000)
#define TOKEN_MARGIN_S 30 /* a token this close to exp is renewed first */
#define RESOURCE_MAX (4u << 20)
#define PEER_TEXT_MAX 160 /* of a KBS error body, for the reason */

struct kbs_client {
	char *url, *aa_addr;
	struct http_client *http;
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool attesting;
	unsigned generation; /* bumped on every new token */
	char *token;
	struct crypto_pk *key;
	int64_t exp; /* 0: none given */
	atomic_uint attestations;
};

/* upstream's fixed timeout; tests that make the KBS hang shorten it. */
static long test_timeout_ms(void)
{
	const char *e = getenv("COCOBOX_TEST_TIMEOUT_MS");
	char *end;
	long v;

	if (!e)
		return KBS_REQ_TIMEOUT_MS;
	v = strtol(e, &end, 10);
	return *e && !*end && v > 0 && v <= KBS_REQ_TIMEOUT_MS ? v : KBS_REQ_TIMEOUT_MS;
}

int kbs_client_new(const char *url, const char *cert, const char *aa_addr, struct kbs_client **ret)
{
	struct kbs_client *c;
	size_t n = url ? strlen(url) : 0;
	int r;

	if (n == 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	while (n > 0 && url[n - 1] == '/') /* upstream trims the trailing '/' */
		n--;
	c->url = strndup(url, n);
	c->aa_addr = strdup(aa_addr);
	c->http = http_client_new();
	(void) pthread_mutex_init(&c->lock, NULL);
	(void) pthread_cond_init(&c->done, NULL);
	if (!c->url || !c->aa_addr || !c->http) {
		kbs_client_free(c);
		return -ENOMEM;
	}
	/* a guest image may carry no system bundle: then only kbs_cert counts */
	r = http_client_add_default_ca(c->http);
	if (r == -ENOENT)
		r = 0;
	if (r >= 0 && cert)
		r = http_client_add_ca_pem(c->http, cert);
	if (r >= 0)
		r = http_client_set_proxy_from_env(c->http);
	if (r >= 0)
		r = http_client_set_user_agent(c->http, "cocobox-cdh-kbs-client");
	if (r < 0) {
		kbs_client_free(c);
		return r;
	}
	http_client_set_timeouts(c->http, 0, test_timeout_ms(), 0, 0);
	*ret = c;
	return 0;
}

struct kbs_client *kbs_client_free(struct kbs_client *c)
{
	if (!c)
		return NULL;
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	crypto_pk_free(c->key);
	http_client_free(c->http);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->done);
	free(c->url);
	free(c->aa_addr);
	free(c);
	return NULL;
}

unsigned kbs_client_attestations(const struct kbs_client *c)
{
	return atomic_load(&c->attestations);
}

/* The JWT's exp (not verified: the KBS checks its own token). 0 when it has none. */
static int64_t jwt_exp(const char *token)
{
	_cleanup_(buf_done) struct buf payload = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *o = NULL;
	const char *a = strchr(token, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	int64_t exp;

	if (!b || b64_decode(B64_URL_NOPAD, a + 1, (size_t) (b - a - 1), &payload) < 0 ||
	    json_parse((const char *) payload.data, payload.len, payload.len, 16, &o, NULL) < 0 ||
	    !o || json_get_int64(o, "exp", &exp) < 0)
		return 0;
	return exp;
}

/* AA GetToken("kbs") -> {"token","tee_keypair"}. */
static int fetch_token(struct kbs_client *c, char **ret_token, struct crypto_pk **ret_key)
{
	AttestationAgent__GetTokenRequest req = ATTESTATION_AGENT__GET_TOKEN_REQUEST__INIT;
	AttestationAgent__GetTokenResponse *resp = NULL;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *tc = NULL;
	_cleanup_(ttrpc_status_done) struct ttrpc_status st = TTRPC_STATUS_INIT;
	_cleanup_(json_object_putp) json_object *o = NULL;
	const char *token, *pem;
	int r;

	req.tokentype = (char *) "kbs";
	r = ttrpc_client_connect(c->aa_addr, &tc);
	if (r >= 0)
		r = ttrpc_client_call(tc, "attestation_agent.AttestationAgentService", "GetToken",
				      &req.base, &attestation_agent__get_token_response__descriptor,
				      AA_TOKEN_TIMEOUT_USEC, (ProtobufCMessage **) &resp, &st);
	if (r < 0) {
		cdh_kms_set_reason("no KBS token from the attestation agent: %.200s",
				   r == -EREMOTEIO && st.message ? st.message : strerror(-r));
		return log_error_errno(r, "Failed to get a KBS token from the AA at %s: %s",
				       c->aa_addr, cdh_kms_reason());
	}
	atomic_fetch_add(&c->attestations, 1);
	r = json_parse((const char *) resp->token.data, resp->token.len, resp->token.len, 8, &o,
		       NULL);
	if (r >= 0 && (!o || json_get_string(o, "token", &token) < 0 ||
		       json_get_string(o, "tee_keypair", &pem) < 0))
		r = -EBADMSG;
	if (r >= 0)
		r = crypto_pk_import(pem, strlen(pem), ret_key);
	if (r >= 0) {
		*ret_token = strdup(token);
		if (!*ret_token) {
			*ret_key = crypto_pk_free(*ret_key);
			r = -ENOMEM;
		}
	}
	/* The reply holds the TEE private key: wipe it and its parsed copy. */
	if (o && json_get_string(o, "tee_keypair", &pem) >= 0)
		explicit_bzero((char *) pem, strlen(pem));
	explicit_bzero(resp->token.data, resp->token.len);
	attestation_agent__get_token_response__free_unpacked(resp, NULL);
	if (r < 0)
		return log_error_errno(r, "The AA's KBS token reply is malformed: %m");
	return 0;
}

/* Makes sure a usable token is cached (one attestation at a time; others wait for it).
 * stale: the generation a 401 came with, to drop exactly that token. */
static int ensure_token(struct kbs_client *c, unsigned stale, unsigned *ret_gen)
{
	char *token = NULL;
	struct crypto_pk *key = NULL;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	if (stale && c->generation == stale) {
		free(c->token);
		c->token = NULL;
	}
	while (c->attesting)
		pthread_cond_wait(&c->done, &c->lock);
	if (c->token && (c->exp == 0 || c->exp - TOKEN_MARGIN_S > (int64_t) time(NULL))) {
		*ret_gen = c->generation;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	c->attesting = true;
	pthread_mutex_unlock(&c->lock);

	r = fetch_token(c, &token, &key);

	pthread_mutex_lock(&c->lock);
	if (r >= 0) {
		if (c->token)
			explicit_bzero(c->token, strlen(c->token));
		free(c->token);
		crypto_pk_free(c->key);
		c->token = token;
		c->key = key;
		c->exp = jwt_exp(token);
		c->generation++;
		if (c->generation == 0)
			c->generation = 1;
		*ret_gen = c->generation;
	}
	c->attesting = false;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* A peer's text in a reason: printable ASCII only (no terminal escapes in logs). */
static void peer_text(char *dst, size_t size, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char) p[i] : '?';
	dst[i] = 0;
}

int kbs_client_parse_resource(long status, const void *body, size_t n, const struct crypto_pk *key,
			      struct secret **ret)
{
	_cleanup_(json_object_putp) json_object *o = NULL;
	char text[PEER_TEXT_MAX + 1], detail[PEER_TEXT_MAX + 1];
	const char *type, *d;
	int r;

	if (status == 200) {
		r = jose_jwe_decrypt((const char *) body, n, key, ret);
		if (r < 0)
			cdh_kms_set_reason("KBS resource answer is not a JWE for our key: %s",
					   strerror(-r));
		return r;
	}
	peer_text(text, sizeof(text), body, MIN(n, (size_t) PEER_TEXT_MAX));
	if (status == 404) {
		cdh_kms_set_reason("KBS: resource not found (HTTP 404): %s", text);
		return -ENOENT;
	}
	if (status != 401) {
		cdh_kms_set_reason("KBS answered HTTP %ld: %s", status, text);
		return -EPROTO;
	}
	/* trustee's ErrorInformation {type, detail}; anything else is shown as it came. */
	if (json_parse((const char *) body, n, n, 4, &o, NULL) >= 0 && o &&
	    json_get_string(o, "type", &type) >= 0 && json_get_string(o, "detail", &d) >= 0) {
		const char *slash = strrchr(type, '/');

		peer_text(text, sizeof(text), slash ? slash + 1 : type,
			  MIN(strlen(slash ? slash + 1 : type), (size_t) PEER_TEXT_MAX));
		peer_text(detail, sizeof(detail), d, MIN(strlen(d), (size_t) PEER_TEXT_MAX));
		cdh_kms_set_reason("KBS refused the request (HTTP 401): %s: %s", text, detail);
	} else
		cdh_kms_set_reason("KBS refused the request (HTTP 401): %s", text);
	return -EACCES;
}

/* The resource with the cached token. 1 means 401 (token refused). */
static int get_once(struct kbs_client *c, const char *url, unsigned gen, struct secret **ret)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(RESOURCE_MAX);
	_cleanup_free_ char *auth = NULL;
	int r;

	pthread_mutex_lock(&c->lock);
	if (c->generation != gen || !c->token) {
		pthread_mutex_unlock(&c->lock);
		return 1; /* replaced meanwhile: take the new one */
	}
	r = asprintf(&auth, "Authorization: Bearer %s", c->token);
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		return -ENOMEM;
	r = http_request(c->http,
			 &(struct http_req){ .method = HTTP_GET,
					     .url = url,
					     .headers = (char *const[]){ auth, NULL },
					     .allow_http = true },
			 &resp);
	explicit_bzero(auth, strlen(auth));
	if (r < 0) {
		cdh_kms_set_reason("KBS request failed: %s%s%s", strerror(-r),
				   resp.error[0] ? ": " : "", resp.error);
		return r;
	}
	/* Decrypted under the lock: another caller may replace (and free) the key once the
	 * lock is free; the JWE is for the key of generation gen only. */
	pthread_mutex_lock(&c->lock);
	if (c->generation != gen || !c->key)
		r = 1;
	else
		r = kbs_client_parse_resource(resp.status, resp.body.data, resp.body.len, c->key,
					      ret);
	pthread_mutex_unlock(&c->lock);
	return r == -EACCES && resp.status == 401 ? 1 : r;
}

int kbs_client_get_resource(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	struct kbs_client *c = ud;
	_cleanup_(buf_done) struct buf url = BUF_INIT(8192);
	unsigned gen = 0, stale = 0;
	bool reattested = false;
	int r = -EIO;

	r = buf_append_str(&url, c->url);
	if (r >= 0)
		r = resource_uri_kbs_path(uri, &url);
	if (r < 0)
		return r;
	for (int attempt = 0; attempt < KBS_GET_RESOURCE_MAX_ATTEMPT; attempt++) {
		r = ensure_token(c, stale, &gen);
		if (r < 0)
			return r;
		r = get_once(c, buf_str(&url), gen, ret);
		if (r == 0 || r == -ENOENT)
			return r;
		if (r == 1) {
			/* 401: the token is refused; one fresh attestation, then give up */
			if (reattested)
				return log_debug_errno(-EACCES, "KBS refused %s", buf_str(&url));
			reattested = true;
			stale = gen;
			r = -EACCES;
			continue;
		}
		stale = 0;
		log_debug_errno(r, "KBS request for %s failed (attempt %d): %s", buf_str(&url),
				attempt + 1, cdh_kms_reason()[0] ? cdh_kms_reason() : strerror(-r));
	}
	return r;
}
