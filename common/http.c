/* SPDX-License-Identifier: Apache-2.0 */
/* The libcurl wrapper (contracts in http.h): a pool of easy handles per client, our own
 * cookie jar merged in and out of each handle, streaming bodies into a sink, and the
 * one CURLcode -> -errno table (STYLE.md §3.4). Built for libcurl 8.x on mbedTLS with
 * HTTP/1.1 only and no CA bundle compiled in. */
#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>

#include "fs.h"
#include "http.h"

#define POOL_MAX 8
#define HEADERS_MAX 128
#define COOKIES_MAX 64
#define COOKIE_LINE_MAX 8192

_Static_assert(HTTP_ERROR_MAX >= CURL_ERROR_SIZE, "CURLOPT_ERRORBUFFER needs CURL_ERROR_SIZE");

/* libcurl's documentation (CURLSHOPT_SHARE) says neither connections nor cookies may be
 * shared between concurrently running threads through a CURLSH, and libcurl 8.12-8.14
 * do crash doing it (curl issue #17774). So each request borrows a whole easy handle,
 * which keeps its own connections and TLS sessions, and the cookies live in the client,
 * copied into the handle before a transfer and merged back after it. */
struct http_client {
	pthread_mutex_t lock; /* pool and cookies */
	CURL *pool[POOL_MAX];
	size_t n_pool;
	char **cookies; /* Netscape-format lines as CURLINFO_COOKIELIST gives them */
	size_t n_cookies;

	struct buf ca; /* concatenated PEM text, NUL-terminated */
	char *http_proxy, *https_proxy, *no_proxy;
	char *user_agent;
	long connect_ms, total_ms, low_speed_bps, low_speed_s, max_redirects;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_result = -EIO;

static void global_init_once(void)
{
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

	global_result = cc == CURLE_OK ? 0 : cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
}

int http_global_init(void)
{
	if (pthread_once(&global_once, global_init_once) != 0)
		return -EIO;
	return global_result;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

struct http_client *http_client_new(void)
{
	struct http_client *c;

	if (http_global_init() < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->ca = BUF_INIT(HTTP_CA_MAX);
	c->connect_ms = 30000;
	c->total_ms = 0;
	c->low_speed_bps = 1;
	c->low_speed_s = 60;
	c->max_redirects = 10;
	return c;
}

struct http_client *http_client_free(struct http_client *c)
{
	size_t i;

	if (!c)
		return NULL;
	for (i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	http_client_clear_cookies(c);
	buf_done(&c->ca);
	wipe_free(c->http_proxy); /* may hold proxy credentials */
	wipe_free(c->https_proxy);
	free(c->no_proxy);
	free(c->user_agent);
	(void) pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

int http_client_add_ca_pem(struct http_client *c, const char *pem)
{
	size_t old = c->ca.len;
	int r;

	if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return -EBADMSG;
	r = buf_append_str(&c->ca, pem);
	if (r >= 0 && !endswith(pem, "\n"))
		r = buf_append_str(&c->ca, "\n");
	if (r < 0)
		buf_truncate(&c->ca, old);
	return r;
}

int http_client_add_ca_file(struct http_client *c, const char *path)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(HTTP_CA_MAX);
	int r;

	r = fs_read_file(AT_FDCWD, path, &b);
	if (r < 0)
		return r;
	if (memchr(b.data, 0, b.len))
		return -EBADMSG; /* PEM is text; a NUL would cut it short in mbedTLS */
	return http_client_add_ca_pem(c, buf_str(&b));
}

int http_client_add_default_ca(struct http_client *c)
{
	return http_client_add_ca_file(c, HTTP_DEFAULT_CA_FILE);
}

static int set_str(char **dst, const char *s)
{
	char *copy = NULL;

	if (!isempty(s)) {
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
	}
	wipe_free(*dst);
	*dst = copy;
	return 0;
}

int http_client_set_proxy(struct http_client *c, const char *http_proxy, const char *https_proxy,
			  const char *no_proxy)
{
	_cleanup_free_ char *h = NULL, *hs = NULL, *np = NULL;

	if ((!isempty(http_proxy) && !(h = strdup(http_proxy))) ||
	    (!isempty(https_proxy) && !(hs = strdup(https_proxy))) ||
	    (!isempty(no_proxy) && !(np = strdup(no_proxy))))
		return -ENOMEM;
	wipe_free(c->http_proxy);
	wipe_free(c->https_proxy);
	free(c->no_proxy);
	c->http_proxy = steal_ptr(h);
	c->https_proxy = steal_ptr(hs);
	c->no_proxy = steal_ptr(np);
	return 0;
}

static const char *env_either(const char *lower, const char *upper)
{
	const char *v = getenv(lower);

	if (isempty(v) && upper)
		v = getenv(upper);
	return isempty(v) ? NULL : v;
}

int http_client_set_proxy_from_env(struct http_client *c)
{
	const char *all = env_either("all_proxy", "ALL_PROXY");
	const char *http = env_either("http_proxy", NULL);
	const char *https = env_either("https_proxy", "HTTPS_PROXY");

	return http_client_set_proxy(c, http ? http : all, https ? https : all,
				     env_either("no_proxy", "NO_PROXY"));
}

void http_client_set_timeouts(struct http_client *c, unsigned connect_ms, unsigned total_ms,
			      unsigned low_speed_bps, unsigned low_speed_s)
{
	if (connect_ms)
		c->connect_ms = (long) connect_ms;
	if (total_ms)
		c->total_ms = (long) total_ms;
	if (low_speed_bps)
		c->low_speed_bps = (long) low_speed_bps;
	if (low_speed_s)
		c->low_speed_s = (long) low_speed_s;
}

void http_client_set_max_redirects(struct http_client *c, unsigned n)
{
	c->max_redirects = (long) MIN(n, 100u);
}

int http_client_set_user_agent(struct http_client *c, const char *ua)
{
	return set_str(&c->user_agent, ua);
}

static void cookies_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		wipe_free(v[i]);
	free(v);
}

void http_client_clear_cookies(struct http_client *c)
{
	(void) pthread_mutex_lock(&c->lock);
	cookies_free(c->cookies, c->n_cookies);
	c->cookies = NULL;
	c->n_cookies = 0;
	(void) pthread_mutex_unlock(&c->lock);
}

/* --- cookies ----------------------------------------------------------------------
 * A line is "domain \t tailmatch \t path \t secure \t expires \t name \t value", domain
 * prefixed "#HttpOnly_" for HttpOnly cookies. A cookie's identity is (domain, path,
 * name). The merge after a transfer is three-way: what the handle got (snapshot) vs
 * what it holds now decides what changed, so concurrent requests do not undo each
 * other's cookies. */

static bool cookie_field(const char *line, unsigned idx, const char **ret, size_t *ret_len)
{
	const char *p = line, *tab;

	for (; idx > 0; idx--) {
		p = strchr(p, '\t');
		if (!p)
			return false;
		p++;
	}
	tab = strchr(p, '\t');
	*ret = p;
	*ret_len = tab ? (size_t) (tab - p) : strlen(p);
	return true;
}

static bool cookie_same(const char *a, const char *b)
{
	static const unsigned key[] = { 0, 2, 5 };
	size_t i;

	for (i = 0; i < ELEMENTSOF(key); i++) {
		const char *pa, *pb, *s;
		size_t la, lb;

		if (!cookie_field(a, key[i], &pa, &la) || !cookie_field(b, key[i], &pb, &lb))
			return false;
		if (i == 0) {
			if ((s = startswith(pa, "#HttpOnly_")) && (size_t) (s - pa) <= la)
				la -= (size_t) (s - pa), pa = s;
			if ((s = startswith(pb, "#HttpOnly_")) && (size_t) (s - pb) <= lb)
				lb -= (size_t) (s - pb), pb = s;
		}
		if (la != lb || memcmp(pa, pb, la) != 0)
			return false;
	}
	return true;
}

static ssize_t cookie_find(char **v, size_t n, const char *line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cookie_same(v[i], line))
			return (ssize_t) i;
	return -1;
}

/* Called with the lock held. Failures (OOM, jar full) drop the cookie: a lost cookie
 * costs the KBS a new handshake, not correctness. */
static void jar_upsert(struct http_client *c, const char *line)
{
	ssize_t i = cookie_find(c->cookies, c->n_cookies, line);
	char *copy, **v;

	if (strlen(line) > COOKIE_LINE_MAX)
		return;
	copy = strdup(line);
	if (!copy)
		return;
	if (i >= 0) {
		wipe_free(c->cookies[i]);
		c->cookies[i] = copy;
		return;
	}
	if (c->n_cookies >= COOKIES_MAX ||
	    !(v = realloc(c->cookies, (c->n_cookies + 1) * sizeof(char *)))) {
		wipe_free(copy);
		return;
	}
	c->cookies = v;
	c->cookies[c->n_cookies++] = copy;
}

static void jar_remove_if_unchanged(struct http_client *c, const char *line)
{
	ssize_t i = cookie_find(c->cookies, c->n_cookies, line);

	if (i < 0 || !streq(c->cookies[i], line))
		return;
	wipe_free(c->cookies[i]);
	c->cookies[i] = c->cookies[--c->n_cookies];
}

/* Copies the jar into the handle and returns the copy (the snapshot) for the merge. */
static int cookies_load(struct http_client *c, CURL *h, char ***ret, size_t *ret_n)
{
	char **snap = NULL;
	size_t i, n = 0;
	int r = 0;

	(void) pthread_mutex_lock(&c->lock);
	if (c->n_cookies > 0) {
		snap = calloc(c->n_cookies, sizeof(char *));
		if (!snap)
			r = -ENOMEM;
		for (i = 0; snap && i < c->n_cookies; i++) {
			snap[i] = strdup(c->cookies[i]);
			if (!snap[i]) {
				r = -ENOMEM;
				break;
			}
			n++;
		}
	}
	(void) pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		cookies_free(snap, n);
		return r;
	}
	/* The handle's own store is empty: pool_put() dropped it. */
	for (i = 0; r == 0 && i < n; i++)
		if (curl_easy_setopt(h, CURLOPT_COOKIELIST, snap[i]) != CURLE_OK)
			r = -ENOMEM;
	if (r < 0) {
		cookies_free(snap, n);
		return r;
	}
	*ret = snap;
	*ret_n = n;
	return 0;
}

static void cookies_merge(struct http_client *c, CURL *h, char **snap, size_t n_snap)
{
	struct curl_slist *after = NULL, *l;
	size_t i;

	if (curl_easy_getinfo(h, CURLINFO_COOKIELIST, &after) != CURLE_OK)
		return;
	(void) pthread_mutex_lock(&c->lock);
	for (l = after; l; l = l->next) {
		ssize_t k = cookie_find(snap, n_snap, l->data);

		if (k < 0 || !streq(snap[k], l->data))
			jar_upsert(c, l->data);
	}
	for (i = 0; i < n_snap; i++) {
		bool kept = false;

		for (l = after; l && !kept; l = l->next)
			kept = cookie_same(l->data, snap[i]);
		if (!kept)
			jar_remove_if_unchanged(c, snap[i]);
	}
	(void) pthread_mutex_unlock(&c->lock);
	for (l = after; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(after);
}

/* --- handle pool --------------------------------------------------------------------- */

static CURL *pool_get(struct http_client *c)
{
	CURL *h = NULL;

	(void) pthread_mutex_lock(&c->lock);
	if (c->n_pool > 0)
		h = c->pool[--c->n_pool];
	(void) pthread_mutex_unlock(&c->lock);
	return h ? h : curl_easy_init();
}

static void pool_put(struct http_client *c, CURL *h)
{
	/* Stops the cookie engine and frees its cookies (the jar has them) and the list of
	 * cookie files: curl_easy_reset() keeps both, and libcurl 7.x even leaks the list
	 * there. The next request starts the engine afresh. */
	(void) curl_easy_setopt(h, CURLOPT_COOKIEFILE, NULL);
	/* reset drops every option (and with them our pointers into this request) but
	 * keeps live connections, the DNS and TLS session caches. */
	curl_easy_reset(h);
	(void) pthread_mutex_lock(&c->lock);
	if (c->n_pool < POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	(void) pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

/* --- one transfer ------------------------------------------------------------------- */

struct transfer {
	const struct http_req *req;
	struct http_resp *resp;
	long status; /* of the response whose headers/body are arriving */
	int error;   /* ours, when a callback aborted the transfer */
};

static void headers_free(struct http_resp *resp)
{
	size_t i;

	for (i = 0; i < resp->n_headers_; i++)
		wipe_free(resp->headers_[i]);
	free(resp->headers_);
	resp->headers_ = NULL;
	resp->n_headers_ = 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	struct http_resp *resp = t->resp;
	size_t n = size * nmemb, len = n;
	const char *s;
	char **v;

	/* A status line starts a new response (redirect hop, 1xx, auth retry): only the
	 * last one's headers are kept. */
	if (n >= 5 && strncasecmp(p, "HTTP/", 5) == 0) {
		headers_free(resp);
		s = memchr(p, ' ', n);
		t->status = 0;
		if (s && (size_t) (p + n - s) > 3 && s[1] >= '1' && s[1] <= '9' && s[2] >= '0' &&
		    s[2] <= '9' && s[3] >= '0' && s[3] <= '9')
			t->status = (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		return n;
	}
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' ' ||
			   p[len - 1] == '\t'))
		len--;
	if (len == 0 || !memchr(p, ':', len) || resp->n_headers_ >= HEADERS_MAX)
		return n;
	v = realloc(resp->headers_, (resp->n_headers_ + 1) * sizeof(char *));
	if (!v) {
		t->error = -ENOMEM;
		return 0;
	}
	resp->headers_ = v;
	v[resp->n_headers_] = strndup(p, len);
	if (!v[resp->n_headers_]) {
		t->error = -ENOMEM;
		return 0;
	}
	resp->n_headers_++;
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	struct buf *b = &t->resp->body;
	size_t n = size * nmemb;
	int r;

	if (t->req->sink && t->status >= 200 && t->status < 300) {
		r = t->req->sink(t->req->userdata, p, n);
		if (r < 0) {
			t->error = r;
			return CURL_WRITEFUNC_ERROR;
		}
		return n;
	}
	if (t->req->sink) {
		/* An error page while streaming: keep what fits, for the caller's message. */
		(void) buf_append(b, p, MIN(n, b->max - b->len));
		return n;
	}
	r = buf_append(b, p, n);
	if (r < 0) {
		t->error = r;
		return CURL_WRITEFUNC_ERROR;
	}
	return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = userdata;
	int r;

	(void) ultotal;
	(void) ulnow;
	r = t->req->progress(t->req->userdata, (uint64_t) MAX(dlnow, (curl_off_t) 0),
			     (uint64_t) MAX(dltotal, (curl_off_t) 0));
	if (r < 0) {
		t->error = r;
		return 1;
	}
	return 0;
}

static int curl_to_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return -EINVAL;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EPERM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return -EKEYREJECTED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP_RETURNED_ERROR:
	case CURLE_RANGE_ERROR:
	case CURLE_PROXY:
	case CURLE_BAD_CONTENT_ENCODING:
		return -EPROTO;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	case CURLE_FILESIZE_EXCEEDED:
		return -E2BIG;
	default:
		return -EIO;
	}
}

/* Request headers may carry tokens: wipe them before freeing. */
static void slist_free_wipe(struct curl_slist *l)
{
	struct curl_slist *i;

	for (i = l; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Sets every option of one request; on failure the handle is reset by the caller. */
static int setup(struct http_client *c, CURL *h, const struct http_req *req, struct transfer *t,
		 bool https, struct curl_slist **hdrs)
{
	const char *protocols = req->allow_http ? "http,https" : "https";
	const char *proxy = https ? c->https_proxy : c->http_proxy;
	char range[32];
	struct curl_slist *l;
	CURLcode cc = CURLE_OK;
	char *const *hp;
	long timeout = req->timeout_ms ? (long) req->timeout_ms : c->total_ms;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)

	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
	SET(CURLOPT_ERRORBUFFER, t->resp->error);
	SET(CURLOPT_PROTOCOLS_STR, protocols);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	SET(CURLOPT_FOLLOWLOCATION, (long) (!req->no_redirect && c->max_redirects > 0));
	SET(CURLOPT_MAXREDIRS, c->max_redirects);
	/* Never hand credentials to the host a redirect points at (registries redirect
	 * blob GETs to storage that must not see the registry token). */
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
	if (c->ca.len > 0) {
		struct curl_blob blob = { c->ca.data, c->ca.len, CURL_BLOB_NOCOPY };

		SET(CURLOPT_CAINFO_BLOB, &blob);
		SET(CURLOPT_PROXY_CAINFO_BLOB, &blob);
	}
	/* "" for either switches off libcurl's own lookup of *_proxy and no_proxy in the
	 * environment: the caller decides. */
	SET(CURLOPT_PROXY, proxy ? proxy : "");
	SET(CURLOPT_NOPROXY, c->no_proxy ? c->no_proxy : "");
	SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bps);
	SET(CURLOPT_LOW_SPEED_TIME, c->low_speed_s);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	if (c->user_agent)
		SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_COOKIEFILE, ""); /* cookie engine on, nothing read from disk */
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	if (req->progress) {
		SET(CURLOPT_XFERINFOFUNCTION, on_progress);
		SET(CURLOPT_XFERINFODATA, t);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
	/* Refuse an announced oversize body before any of it arrives. */
	if (!req->sink && req->method != HTTP_HEAD && t->resp->body.max < (size_t) INT64_MAX)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) t->resp->body.max);
	if (req->range_from > 0) {
		(void) snprintf(range, sizeof(range), "%" PRIu64 "-", req->range_from);
		SET(CURLOPT_RANGE, range);
	}

	switch (req->method) {
	case HTTP_GET:
		SET(CURLOPT_HTTPGET, 1L);
		break;
	case HTTP_HEAD:
		SET(CURLOPT_NOBODY, 1L);
		break;
	case HTTP_PUT:
	case HTTP_POST:
	case HTTP_DELETE:
		if (req->method != HTTP_POST)
			SET(CURLOPT_CUSTOMREQUEST, req->method == HTTP_PUT ? "PUT" : "DELETE");
		if (req->method == HTTP_DELETE && !req->body)
			break;
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		break;
	default:
		return -EINVAL;
	}
	if (cc != CURLE_OK)
		return curl_to_errno(cc);
#undef SET

	for (hp = req->headers; hp && *hp; hp++) {
		l = curl_slist_append(*hdrs, *hp);
		if (!l)
			return -ENOMEM;
		*hdrs = l;
	}
	if (req->method == HTTP_POST || req->method == HTTP_PUT || req->body) {
		char ct[256];

		if (snprintf(ct, sizeof(ct), "Content-Type: %s",
			     req->content_type ? req->content_type : "application/octet-stream") >=
		    (int) sizeof(ct))
			return -EINVAL;
		l = curl_slist_append(*hdrs, ct);
		if (!l)
			return -ENOMEM;
		*hdrs = l;
		/* No "Expect: 100-continue" round trip for large bodies. */
		l = curl_slist_append(*hdrs, "Expect:");
		if (!l)
			return -ENOMEM;
		*hdrs = l;
	}
	if (*hdrs && curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

void http_resp_done(struct http_resp *resp)
{
	size_t max = resp->body.max;

	buf_done_wipe(&resp->body);
	resp->body = BUF_INIT(max);
	headers_free(resp);
	free(resp->effective_url);
	resp->effective_url = NULL;
	resp->status = 0;
	resp->content_length = -1;
	resp->new_connections = 0;
	resp->error[0] = 0;
}

int http_request(struct http_client *c, const struct http_req *req, struct http_resp *resp)
{
	struct transfer t = { .req = req, .resp = resp };
	struct curl_slist *hdrs = NULL;
	char **snap = NULL;
	size_t n_snap = 0;
	curl_off_t clen = -1;
	long status = 0, conns = 0;
	char *url = NULL;
	bool https;
	CURLcode cc;
	CURL *h;
	int r;

	if (!c || !req || !resp || isempty(req->url))
		return -EINVAL;
	http_resp_done(resp);
	if (!strstr(req->url, "://"))
		return -EINVAL;
	https = has_prefix_ci(req->url, "https://");
	if (!https && !(has_prefix_ci(req->url, "http://") && req->allow_http))
		return -EPERM;

	h = pool_get(c);
	if (!h)
		return -ENOMEM;
	r = setup(c, h, req, &t, https, &hdrs);
	if (r >= 0)
		r = cookies_load(c, h, &snap, &n_snap);
	if (r < 0) {
		slist_free_wipe(hdrs);
		pool_put(c, h);
		return r;
	}

	cc = curl_easy_perform(h);

	cookies_merge(c, h, snap, n_snap);
	cookies_free(snap, n_snap);
	slist_free_wipe(hdrs);

	r = t.error < 0 ? t.error : curl_to_errno(cc);
	if (r == 0) {
		(void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		(void) curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
		(void) curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
		(void) curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
		resp->status = status;
		resp->content_length = clen;
		resp->new_connections = conns > 0 ? (unsigned) conns : 0;
		if (url && !(resp->effective_url = strdup(url)))
			r = -ENOMEM;
		resp->error[0] = 0;
	} else if (t.error < 0)
		/* libcurl only saw "write error"; say what our side refused. */
		(void) snprintf(resp->error, sizeof(resp->error), "transfer aborted: %s",
				strerror(-t.error));
	else if (resp->error[0] == 0)
		(void) snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
	pool_put(c, h);
	return r;
}

const char *http_resp_header_n(const struct http_resp *resp, const char *name, size_t n)
{
	size_t i, len = strlen(name);

	for (i = 0; i < resp->n_headers_; i++) {
		const char *h = resp->headers_[i];

		if (strncasecmp(h, name, len) != 0 || h[len] != ':')
			continue;
		if (n-- > 0)
			continue;
		h += len + 1;
		while (*h == ' ' || *h == '\t')
			h++;
		return h;
	}
	return NULL;
}

const char *http_resp_header(const struct http_resp *resp, const char *name)
{
	return http_resp_header_n(resp, name, 0);
}

int http_status_to_errno(long status)
{
	if (status >= 200 && status < 400)
		return 0;
	if (status == 404)
		return -ENOENT;
	if (status == 401 || status == 403)
		return -EACCES;
	return -EPROTO;
}
