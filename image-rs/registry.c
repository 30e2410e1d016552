/* SPDX-License-Identifier: Apache-2.0 */
/* Distribution API pull client (OCI distribution-spec, Docker registry token auth spec)
 * on common/http, as upstream's OCI-CLIENT src/client.rs uses it (upstream.md §6.2):
 * 401 challenge -> Basic or Bearer token (cached per repository until expiry) -> retry;
 * 5xx/429 and broken connections retried with exponential backoff; manifests and blobs
 * verified against their digests. Tokens and passwords never reach a log line. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/json-util.h"
#include "common/log.h"
#include "image-rs/registry.h"

#define BACKOFF_CAP_MS 8000u
/* Docker's token spec: a token without expires_in lasts 60 s. Renew a bit early. */
#define TOKEN_DEFAULT_TTL_S 60
#define TOKEN_MARGIN_S 5
#define TOKEN_CACHE_MAX 64

struct token {
	char *repo;
	struct secret *value; /* NUL-terminated */
	struct timespec expires;
};

struct registry {
	struct http_client *http; /* borrowed */
	char *host;
	bool use_http;
	struct auth_cred *cred;
	struct registry_options o;

	pthread_mutex_t lock; /* guards what follows */
	bool basic;           /* the registry asked for Basic: send it up front */
	struct token tokens[TOKEN_CACHE_MAX];
	size_t n_tokens;
};

static __thread char last_error[256];

int registry_http_client_new(const char *const *extra_root_certs, const char *http_proxy,
			     const char *https_proxy, const char *no_proxy,
			     struct http_client **ret)
{
	_cleanup_(http_client_freep) struct http_client *c = NULL;
	int r;

	r = http_global_init();
	if (r < 0)
		return r;
	c = http_client_new();
	if (!c)
		return -ENOMEM;
	/* a guest image may carry no system bundle: then only the configured roots count */
	r = http_client_add_default_ca(c);
	if (r < 0 && r != -ENOENT)
		return r;
	for (size_t i = 0; extra_root_certs && extra_root_certs[i]; i++) {
		r = http_client_add_ca_pem(c, extra_root_certs[i]);
		if (r < 0)
			return r;
	}
	if (!isempty(http_proxy) || !isempty(https_proxy) || !isempty(no_proxy))
		r = http_client_set_proxy(c, http_proxy, https_proxy, no_proxy);
	else
		r = http_client_set_proxy_from_env(c);
	if (r < 0)
		return r;
	/* a stalled blob (under 1 byte/s for 60 s) fails instead of hanging the pull */
	http_client_set_timeouts(c, 30000, 0, 1, 60);
	*ret = steal_ptr(c);
	return 0;
}

const char *registry_last_error(void)
{
	return last_error;
}

static int set_error(int r, const char *fmt, ...) _printf_(2, 3);
static int set_error(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	log_debug("%s", last_error);
	return r;
}

static void token_done(struct token *t)
{
	free(t->repo);
	secret_free(t->value);
	*t = (struct token){};
}

int registry_new(struct http_client *http, const char *host, bool use_http,
		 const struct auth_cred *cred, const struct registry_options *opts,
		 struct registry **ret)
{
	_cleanup_(registry_freep) struct registry *r = NULL;

	if (!http || !host || !reference_is_valid_domain(host, strlen(host)))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->http = http;
	r->use_http = use_http;
	r->host = strdup(host);
	if (!r->host)
		return -ENOMEM;
	if (cred) {
		r->cred = auth_cred_dup(cred);
		if (!r->cred)
			return -ENOMEM;
	}
	r->o = opts ? *opts : (struct registry_options){ .max_retries = 3, .backoff_ms = 250 };
	if (!r->o.manifest_max)
		r->o.manifest_max = MANIFEST_MAX;
	if (!r->o.config_max)
		r->o.config_max = IMAGE_CONFIG_MAX;
	*ret = steal_ptr(r);
	return 0;
}

struct registry *registry_free(struct registry *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_tokens; i++)
		token_done(&r->tokens[i]);
	pthread_mutex_destroy(&r->lock);
	auth_cred_free(r->cred);
	free(r->host);
	free(r);
	return NULL;
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Writes the Authorization header for repo into out ("" when anonymous). */
static int auth_header(struct registry *r, const char *repo, struct buf *out)
{
	struct timespec now;
	int ret = 0;

	(void) clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_tokens; i++)
		if (streq(r->tokens[i].repo, repo) &&
		    timespec_before(&now, &r->tokens[i].expires)) {
			ret = buf_append_str(out, "Authorization: Bearer ");
			if (ret >= 0)
				ret = buf_append_str(out, (const char *) r->tokens[i].value->p);
			pthread_mutex_unlock(&r->lock);
			return ret;
		}
	if (r->basic && r->cred) {
		ret = buf_append_str(out, "Authorization: ");
		if (ret >= 0)
			ret = auth_basic_value(r->cred, out);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int store_token(struct registry *r, const char *repo, const char *value, int64_t ttl)
{
	struct token t = {};
	size_t slot;

	t.repo = strdup(repo);
	t.value = secret_new_copy(value, strlen(value) + 1);
	if (!t.repo || !t.value) {
		token_done(&t);
		return -ENOMEM;
	}
	secret_truncate(t.value, strlen(value));
	(void) clock_gettime(CLOCK_MONOTONIC, &t.expires);
	if (ttl <= 0)
		ttl = TOKEN_DEFAULT_TTL_S;
	t.expires.tv_sec += ttl > TOKEN_MARGIN_S * 2 ? ttl - TOKEN_MARGIN_S : ttl;

	pthread_mutex_lock(&r->lock);
	for (slot = 0; slot < r->n_tokens; slot++)
		if (streq(r->tokens[slot].repo, repo))
			break;
	if (slot == TOKEN_CACHE_MAX)
		slot = 0; /* full: evict the oldest slot */
	if (slot < r->n_tokens)
		token_done(&r->tokens[slot]);
	else
		r->n_tokens++;
	r->tokens[slot] = t;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int url_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char) *s;
		int r;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			r = buf_append(b, &c, 1);
		else
			r = buf_appendf(b, "%%%02X", c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Docker token auth: GET realm?service=..&scope=.. with Basic credentials when we have
 * them; {"token"|"access_token": ..., "expires_in": N}. */
static int fetch_token(struct registry *r, const char *repo, const struct auth_challenge *ch)
{
	_cleanup_(buf_done) struct buf url = BUF_INIT(16384);
	_cleanup_(buf_done_wipe) struct buf authz = BUF_INIT(AUTH_FILE_MAX);
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(REGISTRY_TOKEN_BODY_MAX);
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_free_ char *scope = NULL;
	char *headers[2] = {};
	const char *tok = NULL;
	int64_t ttl = 0;
	int ret;

	if (!ch->realm || !(startswith(ch->realm, "https://") || startswith(ch->realm, "http://")))
		return set_error(-EPROTO,
				 "registry '%s' sent a Bearer challenge without a usable "
				 "realm",
				 r->host);
	if (asprintf(&scope, "repository:%s:pull", repo) < 0)
		return -ENOMEM;
	ret = buf_append_str(&url, ch->realm);
	if (ret >= 0 && ch->service) {
		ret = buf_append_str(&url, strchr(ch->realm, '?') ? "&service=" : "?service=");
		if (ret >= 0)
			ret = url_escape(&url, ch->service);
	}
	if (ret >= 0) {
		ret = buf_append_str(&url, strchr(buf_str(&url), '?') ? "&scope=" : "?scope=");
		/* the registry's own scope when it names one, else what we need */
		if (ret >= 0)
			ret = url_escape(&url, ch->scope ? ch->scope : scope);
	}
	if (ret < 0)
		return ret;
	if (r->cred) {
		ret = buf_append_str(&authz, "Authorization: ");
		if (ret >= 0)
			ret = auth_basic_value(r->cred, &authz);
		if (ret < 0)
			return ret;
		headers[0] = (char *) buf_str(&authz);
	}

	struct http_req req = {
		.method = HTTP_GET,
		.url = buf_str(&url),
		.headers = headers,
		/* a plain-http realm only for a registry we already talk plain HTTP to:
		 * credentials must not cross the network in the clear otherwise */
		.allow_http = r->use_http,
	};
	ret = http_request(r->http, &req, &resp);
	if (ret == -EPERM)
		return set_error(ret,
				 "token realm of '%s' is plain http://, refused for an HTTPS "
				 "registry",
				 r->host);
	if (ret < 0)
		return set_error(ret, "token request for '%s' failed: %s", r->host,
				 *resp.error ? resp.error : strerror(-ret));
	if (resp.status == 401 || resp.status == 403)
		return set_error(-EACCES, "token server of '%s' refused the %s (HTTP %ld)", r->host,
				 r->cred ? "credentials" : "anonymous request", resp.status);
	if (resp.status != 200)
		return set_error(-EPROTO, "token server of '%s' answered HTTP %ld", r->host,
				 resp.status);
	ret = json_parse(buf_str(&resp.body), resp.body.len, REGISTRY_TOKEN_BODY_MAX,
			 JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (ret < 0 || !j)
		return set_error(-EPROTO, "token server of '%s' sent no JSON", r->host);
	if (json_get_string_opt(j, "token", &tok) <= 0 &&
	    json_get_string_opt(j, "access_token", &tok) <= 0)
		return set_error(-EPROTO, "token server of '%s' sent no token", r->host);
	if (!*tok || strpbrk(tok, "\r\n"))
		return set_error(-EPROTO, "token server of '%s' sent an unusable token", r->host);
	if (json_get_int64_opt(j, "expires_in", &ttl) < 0)
		ttl = 0;
	ret = store_token(r, repo, tok, ttl);
	/* the token also sits in the JSON tree and the body: wipe both */
	secret_wipe((void *) tok, strlen(tok));
	return ret;
}

/* What a 401 asks for; 0 when a retry with new credentials makes sense. */
static int handle_401(struct registry *r, const char *repo, const struct http_resp *resp)
{
	_cleanup_(buf_done) struct buf all = BUF_INIT(AUTH_HEADER_MAX);
	struct auth_challenge ch = {};
	const char *h;
	int ret = 0;

	/* several WWW-Authenticate headers are one comma-separated list (RFC 7230 §3.2.2) */
	for (size_t i = 0; ret >= 0 && (h = http_resp_header_n(resp, "WWW-Authenticate", i)); i++)
		ret = buf_appendf(&all, "%s%s", i ? ", " : "", h);
	if (ret == -ENOMEM)
		return ret;
	if (all.len == 0)
		return set_error(-EACCES, "registry '%s' answered 401 without a challenge",
				 r->host);
	ret = ret < 0 ? ret : auth_challenge_parse(buf_str(&all), &ch);
	if (ret < 0)
		return set_error(-EPROTO, "registry '%s' sent a malformed WWW-Authenticate header",
				 r->host);
	if (ch.scheme == AUTH_SCHEME_BEARER)
		ret = fetch_token(r, repo, &ch);
	else if (ch.scheme == AUTH_SCHEME_BASIC) {
		if (!r->cred)
			ret = set_error(
			    -EACCES, "registry '%s' requires credentials (Basic), none configured",
			    r->host);
		else {
			pthread_mutex_lock(&r->lock);
			r->basic = true;
			pthread_mutex_unlock(&r->lock);
			ret = 0;
		}
	} else
		ret = set_error(-EOPNOTSUPP, "registry '%s' asks for an unsupported auth scheme",
				r->host);
	auth_challenge_done(&ch);
	return ret;
}

static bool retryable_status(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static bool retryable_error(int r)
{
	return r == -ECONNRESET || r == -ECONNREFUSED || r == -ETIMEDOUT;
}

static void backoff(const struct registry *r, unsigned attempt)
{
	uint64_t ms = r->o.backoff_ms;
	struct timespec ts;

	for (unsigned i = 0; i < attempt && ms < BACKOFF_CAP_MS; i++)
		ms *= 2;
	ms = MIN(ms, (uint64_t) BACKOFF_CAP_MS);
	ts.tv_sec = (time_t) (ms / 1000);
	ts.tv_nsec = (long) (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Streaming state: the sink sees one continuous stream across retried attempts. */
struct stream {
	http_sink_fn sink;
	void *ud;
	uint64_t delivered; /* bytes the caller's sink accepted */
	uint64_t pos;       /* bytes of the current attempt's body seen */
	uint64_t expected;
	bool verify, failed;
	struct digest_ctx dc;
};

static int stream_sink(void *userdata, const void *p, size_t n)
{
	struct stream *s = userdata;
	const uint8_t *b = p;
	int r;

	/* skip what an earlier attempt already delivered */
	if (s->pos < s->delivered) {
		uint64_t skip = MIN((uint64_t) n, s->delivered - s->pos);

		s->pos += skip;
		b += skip;
		n -= (size_t) skip;
	}
	if (n == 0)
		return 0;
	if (s->expected != REGISTRY_SIZE_UNKNOWN && s->delivered + n > s->expected) {
		s->failed = true;
		return -E2BIG;
	}
	if (s->verify)
		digest_update(&s->dc, b, n);
	r = s->sink(s->ud, b, n);
	if (r < 0) {
		s->failed = true;
		return r;
	}
	s->pos += n;
	s->delivered += n;
	return 0;
}

/* One logical request with auth and retries. resp gets the final response. */
static int request(struct registry *r, const char *repo, enum http_method method, const char *path,
		   const char *accept, struct stream *st, struct http_resp *resp)
{
	_cleanup_free_ char *url = NULL;
	bool auth_retried = false;
	unsigned attempt = 0;
	int ret;

	if (asprintf(&url, "%s://%s%s", r->use_http ? "http" : "https", r->host, path) < 0)
		return -ENOMEM;
	for (;;) {
		_cleanup_(buf_done_wipe) struct buf authz = BUF_INIT(REGISTRY_TOKEN_BODY_MAX);
		char *headers[3] = {};
		size_t nh = 0;

		ret = auth_header(r, repo, &authz);
		if (ret < 0)
			return ret;
		if (authz.len > 0)
			headers[nh++] = (char *) buf_str(&authz);
		if (accept)
			headers[nh++] = (char *) accept;

		struct http_req req = {
			.method = method,
			.url = url,
			.headers = headers,
			.sink = st ? stream_sink : NULL,
			.userdata = st,
			.allow_http = r->use_http,
		};
		if (st)
			st->pos = 0;
		ret = http_request(r->http, &req, resp);
		if (ret < 0) {
			if (st && st->failed)
				return ret;
			if (retryable_error(ret) && attempt < r->o.max_retries) {
				log_debug("Registry '%s': %s, retrying.", r->host, strerror(-ret));
				backoff(r, attempt++);
				continue;
			}
			if (ret == -EPERM)
				return set_error(ret, "plain HTTP to '%s' refused (not insecure)",
						 r->host);
			return set_error(ret, "request to registry '%s' failed%s: %s", r->host,
					 attempt ? " after retries" : "",
					 *resp->error ? resp->error : strerror(-ret));
		}
		if (resp->status == 401 && !auth_retried) {
			auth_retried = true;
			ret = handle_401(r, repo, resp);
			if (ret < 0)
				return ret;
			continue;
		}
		if (retryable_status(resp->status) && attempt < r->o.max_retries) {
			log_debug("Registry '%s' answered HTTP %ld, retrying.", r->host,
				  resp->status);
			backoff(r, attempt++);
			continue;
		}
		if (resp->status == 401 || resp->status == 403)
			return set_error(-EACCES,
					 "registry '%s' refused access to '%s' (HTTP %ld%s)",
					 r->host, repo, resp->status,
					 r->cred ? ", wrong credentials?" : ", no credentials");
		if (resp->status == 404)
			return set_error(-ENOENT, "'%s' not found on registry '%s' (HTTP 404)",
					 path, r->host);
		if (resp->status < 200 || resp->status >= 300)
			return set_error(-EPROTO, "registry '%s' answered HTTP %ld%s", r->host,
					 resp->status, attempt ? " after retries" : "");
		return 0;
	}
}

static bool is_digest_ref(const char *ref)
{
	return strchr(ref, ':') != NULL;
}

static bool body_matches(const struct buf *body, const struct digest_oci *want)
{
	uint8_t d[DIGEST_MAX_SIZE];

	(void) digest_buf(want->alg, body->data ? body->data : (const uint8_t *) "", body->len, d);
	return digest_equal(d, want->d, digest_size(want->alg));
}

int registry_get_signatures(struct registry *r, const char *repo, const struct digest_oci *d,
			    size_t max, struct buf *out)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(max);
	_cleanup_free_ char *path = NULL;
	char ds[DIGEST_OCI_STRING_MAX];
	int ret;

	last_error[0] = 0;
	if (!reference_is_valid_path(repo, strlen(repo)))
		return -EINVAL;
	digest_oci_format(d->alg, d->d, ds);
	if (asprintf(&path, "/extensions/v2/%s/signatures/%s", repo, ds) < 0)
		return -ENOMEM;
	ret = request(r, repo, HTTP_GET, path, "Accept: application/json", NULL, &resp);
	if (ret == -E2BIG)
		return set_error(ret, "signature list of '%s' is larger than %zu bytes", repo, max);
	if (ret < 0)
		return ret;
	buf_done(out);
	*out = resp.body;
	resp.body = BUF_INIT(max);
	return 0;
}

int registry_get_manifest(struct registry *r, const char *repo, const char *ref, struct buf *body,
			  char **ret_content_type, struct digest_oci *ret_digest)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(r->o.manifest_max);
	_cleanup_free_ char *path = NULL, *ct = NULL;
	struct digest_oci refd = {}, hdrd = {}, result;
	bool by_digest = is_digest_ref(ref);
	const char *hdr;
	int ret;

	last_error[0] = 0;
	if (!reference_is_valid_path(repo, strlen(repo)))
		return -EINVAL;
	if (by_digest) {
		ret = digest_oci_parse(ref, &refd);
		if (ret < 0)
			return set_error(ret, "'%s' is not a usable digest", ref);
	} else if (!reference_is_valid_tag(ref, strlen(ref)))
		return -EINVAL;
	if (asprintf(&path, "/v2/%s/manifests/%s", repo, ref) < 0)
		return -ENOMEM;
	ret = request(r, repo, HTTP_GET, path, "Accept: " MANIFEST_ACCEPT, NULL, &resp);
	if (ret == -E2BIG)
		return set_error(ret, "manifest of '%s' is larger than %zu bytes", repo,
				 r->o.manifest_max);
	if (ret < 0)
		return ret;

	/* As OCI-CLIENT's validate_digest(): the body must match the digest it was asked
	 * by and the registry's Docker-Content-Digest (an empty header counts as absent);
	 * the header's digest is the canonical one, else the reference's, else sha256. */
	if (by_digest && !body_matches(&resp.body, &refd))
		return set_error(-EKEYREJECTED, "manifest '%s' of '%s' does not match its digest",
				 ref, repo);
	hdr = http_resp_header(&resp, "Docker-Content-Digest");
	if (hdr && *hdr) {
		ret = digest_oci_parse(hdr, &hdrd);
		if (ret < 0)
			return set_error(ret == -EOPNOTSUPP ? ret : -EPROTO,
					 "registry '%s' sent an unusable Docker-Content-Digest",
					 r->host);
		if (!body_matches(&resp.body, &hdrd))
			return set_error(-EKEYREJECTED,
					 "manifest '%s' of '%s' does not match its digest", ref,
					 repo);
		result = hdrd;
	} else if (by_digest)
		result = refd;
	else {
		result.alg = DIGEST_SHA256;
		(void) digest_buf(DIGEST_SHA256,
				  resp.body.data ? resp.body.data : (const uint8_t *) "",
				  resp.body.len, result.d);
	}

	if (http_resp_header(&resp, "Content-Type")) {
		ct = strdup(http_resp_header(&resp, "Content-Type"));
		if (!ct)
			return -ENOMEM;
	}
	buf_reset(body);
	ret = buf_append(body, resp.body.data ? resp.body.data : (const uint8_t *) "",
			 resp.body.len);
	if (ret < 0)
		return ret;
	if (ret_content_type)
		*ret_content_type = steal_ptr(ct);
	if (ret_digest)
		*ret_digest = result;
	return 0;
}

static int blob_path(const char *repo, const struct digest_oci *d, char **ret)
{
	char ds[DIGEST_OCI_STRING_MAX];

	if (!reference_is_valid_path(repo, strlen(repo)))
		return -EINVAL;
	return asprintf(ret, "/v2/%s/blobs/%s", repo, digest_oci_format(d->alg, d->d, ds)) < 0
		   ? -ENOMEM
		   : 0;
}

int registry_blob_head(struct registry *r, const char *repo, const struct digest_oci *d,
		       uint64_t *ret_size)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(4096);
	_cleanup_free_ char *path = NULL;
	int ret;

	last_error[0] = 0;
	ret = blob_path(repo, d, &path);
	if (ret < 0)
		return ret;
	ret = request(r, repo, HTTP_HEAD, path, NULL, NULL, &resp);
	if (ret < 0)
		return ret;
	*ret_size = resp.content_length >= 0 ? (uint64_t) resp.content_length
					     : REGISTRY_SIZE_UNKNOWN;
	return 0;
}

int registry_blob_fetch(struct registry *r, const char *repo, const struct digest_oci *d,
			uint64_t expected_size, unsigned flags, http_sink_fn sink, void *ud)
{
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(4096);
	_cleanup_free_ char *path = NULL;
	struct stream st = {
		.sink = sink,
		.ud = ud,
		.expected = expected_size,
		.verify = flags & REGISTRY_BLOB_VERIFY,
	};
	char ds[DIGEST_OCI_STRING_MAX];
	int ret;

	last_error[0] = 0;
	if (!sink)
		return -EINVAL;
	ret = blob_path(repo, d, &path);
	if (ret < 0)
		return ret;
	(void) digest_oci_format(d->alg, d->d, ds);
	if (st.verify)
		digest_init(&st.dc, d->alg);
	ret = request(r, repo, HTTP_GET, path, NULL, &st, &resp);
	if (ret == -E2BIG && st.failed)
		return set_error(ret, "blob %s of '%s' is larger than its %" PRIu64 " bytes", ds,
				 repo, expected_size);
	if (ret < 0) {
		if (st.failed && !*last_error)
			(void) set_error(ret, "consumer of blob %s failed: %s", ds, strerror(-ret));
		return ret;
	}
	if (expected_size != REGISTRY_SIZE_UNKNOWN && st.delivered != expected_size)
		return set_error(-EBADMSG,
				 "blob %s of '%s' has %" PRIu64 " bytes, expected %" PRIu64, ds,
				 repo, st.delivered, expected_size);
	if (st.verify && digest_oci_verify(d, &st.dc) < 0)
		return set_error(-EKEYREJECTED, "blob %s of '%s' does not match its digest", ds,
				 repo);
	return 0;
}

static int buf_sink(void *userdata, const void *p, size_t n)
{
	return buf_append(userdata, p, n);
}

int registry_blob_get(struct registry *r, const char *repo, const struct digest_oci *d,
		      uint64_t expected_size, size_t max, struct buf *out)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(max);
	int ret;

	if (expected_size != REGISTRY_SIZE_UNKNOWN && expected_size > max)
		return set_error(-E2BIG, "blob of '%s' is larger than %zu bytes", repo, max);
	ret = registry_blob_fetch(r, repo, d, expected_size, REGISTRY_BLOB_VERIFY, buf_sink, &b);
	if (ret == -E2BIG && !*last_error)
		(void) set_error(ret, "blob of '%s' is larger than %zu bytes", repo, max);
	if (ret < 0)
		return ret;
	buf_done(out);
	*out = b;
	b = BUF_INIT(max);
	return 0;
}

struct registry_image *registry_image_free(struct registry_image *img)
{
	if (!img)
		return NULL;
	manifest_free(img->manifest);
	image_config_free(img->config);
	buf_done(&img->manifest_raw);
	buf_done(&img->config_raw);
	free(img);
	return NULL;
}

int registry_pull_image(struct registry *r, const struct reference *ref, const char *os,
			const char *arch, const char *variant, struct registry_image **ret)
{
	_cleanup_(registry_image_freep) struct registry_image *img = NULL;
	_cleanup_free_ char *ct = NULL;
	const char *repo = reference_repository(ref);
	int rr;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->manifest_raw = BUF_INIT(r->o.manifest_max);
	img->config_raw = BUF_INIT(r->o.config_max);

	rr = registry_get_manifest(r, repo, reference_manifest_ref(ref), &img->manifest_raw, &ct,
				   &img->manifest_digest);
	if (rr < 0)
		return rr;
	rr = manifest_parse(img->manifest_raw.data, img->manifest_raw.len, ct, &img->manifest);
	if (rr < 0)
		return set_error(rr, "manifest of '%s' is not usable: %s", repo, strerror(-rr));

	if (img->manifest->kind == MANIFEST_KIND_INDEX) {
		const struct manifest_descriptor *e = NULL;
		struct digest_oci ed;

		img->has_list_digest = true;
		(void) digest_oci_format(img->manifest_digest.alg, img->manifest_digest.d,
					 img->list_digest_str);
		rr = manifest_select_platform(img->manifest, os, arch, variant, &e);
		if (rr < 0)
			return set_error(rr, "image index of '%s' has no entry for %s/%s", repo, os,
					 arch);
		if (manifest_kind_from_media_type(e->media_type) != MANIFEST_KIND_IMAGE)
			return set_error(-EOPNOTSUPP,
					 "index entry of '%s' for %s/%s is not an image manifest",
					 repo, os, arch);
		if (e->size > r->o.manifest_max)
			return set_error(-E2BIG, "manifest of '%s' is larger than %zu bytes", repo,
					 r->o.manifest_max);
		ed = e->digest;
		free(ct);
		ct = NULL;
		rr = registry_get_manifest(r, repo, e->digest_str, &img->manifest_raw, &ct,
					   &img->manifest_digest);
		if (rr < 0)
			return rr;
		if (img->manifest_raw.len != e->size)
			return set_error(-EBADMSG,
					 "manifest of '%s' has %zu bytes, the index says "
					 "%" PRIu64,
					 repo, img->manifest_raw.len, e->size);
		if (!digest_equal(ed.d, img->manifest_digest.d, digest_size(ed.alg)))
			return set_error(-EKEYREJECTED, "manifest of '%s' does not match the index",
					 repo);
		img->manifest = manifest_free(img->manifest);
		rr = manifest_parse(img->manifest_raw.data, img->manifest_raw.len, ct,
				    &img->manifest);
		if (rr < 0)
			return set_error(rr, "manifest of '%s' is not usable: %s", repo,
					 strerror(-rr));
		if (img->manifest->kind != MANIFEST_KIND_IMAGE)
			return set_error(-EBADMSG, "index of '%s' points to another index", repo);
	}
	(void) digest_oci_format(img->manifest_digest.alg, img->manifest_digest.d,
				 img->manifest_digest_str);

	rr = registry_blob_get(r, repo, &img->manifest->config.digest, img->manifest->config.size,
			       r->o.config_max, &img->config_raw);
	if (rr < 0)
		return rr;
	rr = image_config_parse(img->config_raw.data, img->config_raw.len, &img->config);
	if (rr < 0)
		return set_error(rr, "image config of '%s' is not usable: %s", repo, strerror(-rr));
	rr = manifest_check_config(img->manifest, img->config);
	if (rr < 0)
		return set_error(rr, "Pulled number of layers mismatch with image config diff_ids");
	*ret = steal_ptr(img);
	return 0;
}
