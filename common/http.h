/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP(S) client: the only libcurl user. Serves the KBS client (JSON POSTs, session
 * cookie, Bearer tokens, 60 s timeout, extra root CA; upstream.md §4.1) and the OCI
 * registry client (streamed blobs, redirects to blob storage, WWW-Authenticate
 * challenges, proxies; upstream.md §6.7). libcurl is built without a CA bundle, so
 * every trusted CA comes from here. Nothing is logged: callers log one line from
 * resp->error, never bodies, tokens or Authorization headers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* Where Debian-like systems keep their bundle; only used by http_client_add_default_ca(). */
#define HTTP_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
/* Bound on CA material a client holds (PEM text of all added certificates). */
#define HTTP_CA_MAX (4u << 20)
#define HTTP_ERROR_MAX 256

/* Once per process before any client, from any thread (pthread_once inside).
 * Returns 0, or -EIO/-ENOMEM when libcurl cannot initialise. */
int http_global_init(void);

/* Settings shared by all requests on a client. Configure a client, then use it from as
 * many threads as needed: the setters are not synchronised with running requests,
 * http_request() is thread-safe. Each request borrows a libcurl handle from the
 * client's pool, so connections (and TLS sessions) are reused. */
struct http_client;

/* Returns NULL on OOM (or when http_global_init() failed). Defaults: no CA (HTTPS fails
 * with -EKEYREJECTED until one is added), no proxy, connect timeout 30 s, no total
 * timeout, abort below 1 byte/s for 60 s, 10 redirects, cookies kept in memory. */
struct http_client *http_client_new(void);
/* Frees the client and every pooled handle; accepts NULL, returns NULL. No request may
 * be running. Cookie values (session ids) are wiped. */
struct http_client *http_client_free(struct http_client *c);
DEFINE_POINTER_CLEANUP(struct http_client *, http_client_free)

/* Adds trusted root CAs given as PEM text (one or several certificates concatenated,
 * as upstream's kbs_cert / extra_root_certificates). -EBADMSG when the text holds no
 * "BEGIN CERTIFICATE" block, -E2BIG past HTTP_CA_MAX, -ENOMEM. The text is copied. */
int http_client_add_ca_pem(struct http_client *c, const char *pem);
/* Same from a file. -errno from reading, -EBADMSG, -E2BIG. */
int http_client_add_ca_file(struct http_client *c, const char *path);
/* Adds HTTP_DEFAULT_CA_FILE. -ENOENT when the system has no bundle there. */
int http_client_add_default_ca(struct http_client *c);

/* Proxies for http:// and https:// URLs ("http://[user:pass@]host:port"; NULL or ""
 * for none) and no_proxy (curl's syntax, as everybody's: comma-separated host names,
 * domain suffixes, IP addresses or CIDR ranges, "*" for all). Replaces any earlier
 * setting. Without a proxy set here, the environment is NOT consulted (libcurl's own
 * environment lookup is switched off): call http_client_set_proxy_from_env() for that.
 * The proxy is picked by the scheme of the request's URL and kept across redirects.
 * Returns 0 or -ENOMEM. */
int http_client_set_proxy(struct http_client *c, const char *http_proxy, const char *https_proxy,
			  const char *no_proxy);
/* Takes proxies from http_proxy, https_proxy (or HTTPS_PROXY), all_proxy (or
 * ALL_PROXY) and no_proxy (or NO_PROXY), as upstream's HTTP stack does. HTTP_PROXY in
 * upper case is ignored on purpose (CGI's "httpoxy": it can come from a request
 * header). */
int http_client_set_proxy_from_env(struct http_client *c);

/* 0 keeps the default for that value. total_ms 0 means no total limit. The low-speed
 * guard aborts with -ETIMEDOUT when fewer than low_speed_bps bytes/s arrive for
 * low_speed_s seconds (a stalled blob download). */
void http_client_set_timeouts(struct http_client *c, unsigned connect_ms, unsigned total_ms,
			      unsigned low_speed_bps, unsigned low_speed_s);
/* 0 disables following redirects altogether. */
void http_client_set_max_redirects(struct http_client *c, unsigned n);
/* Copied. -ENOMEM. */
int http_client_set_user_agent(struct http_client *c, const char *ua);
/* Forgets every cookie (the KBS session after a 401). */
void http_client_clear_cookies(struct http_client *c);

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
};

/* Gets the body of a 2xx response in pieces as it arrives. A negative return aborts
 * the transfer and http_request() returns that value unchanged. */
typedef int (*http_sink_fn)(void *userdata, const void *p, size_t n);
/* Called now and then during a transfer with bytes received so far and the expected
 * total (0 if unknown). A negative return aborts, as for the sink. */
typedef int (*http_progress_fn)(void *userdata, uint64_t now, uint64_t total);

struct http_req {
	enum http_method method;
	const char *url;
	/* Extra request headers "Name: value" (NULL-terminated; NULL for none), e.g.
	 * "Authorization: Bearer ..." and "Accept: ...". libcurl drops Authorization and
	 * Cookie headers when a redirect leads to another host, port or scheme. */
	char *const *headers;
	/* Request body for POST/PUT (body_len bytes; not copied, must stay valid during the
	 * call). content_type defaults to "application/octet-stream" when a body is set. */
	const void *body;
	size_t body_len;
	const char *content_type;
	/* Streaming: when sink is set, the body of a 2xx response goes there and not into
	 * resp->body (which then only gets an error response's body, silently cut at its
	 * max: enough for a log line or an error JSON). */
	http_sink_fn sink;
	http_progress_fn progress;
	void *userdata;
	/* > 0: ask for the bytes from this offset on ("Range: bytes=N-"), for resuming a
	 * blob. The server may ignore it: 206 means it did, 200 means the whole body
	 * follows from byte 0. */
	uint64_t range_from;
	/* 0: the client's total timeout. */
	unsigned timeout_ms;
	/* Plain http:// is refused (-EPERM, also for a redirect from https to http) unless
	 * set: upstream's "insecure" registries and http:// KBS URLs. TLS verification is
	 * never switched off. */
	bool allow_http;
	/* Return 3xx responses as they are (Location in resp) instead of following. */
	bool no_redirect;
};

struct http_resp {
	long status; /* final HTTP status, 0 when none arrived */
	/* Response body when req->sink is NULL. Set body.max before the call (HTTP_RESP_INIT);
	 * a larger body aborts the transfer with -E2BIG. */
	struct buf body;
	int64_t content_length;     /* from the final response, -1 when unknown */
	char *effective_url;        /* URL of the final response (may carry query-string
				 * credentials of presigned blob URLs: do not log) */
	unsigned new_connections;   /* connections opened for this request (0: reused) */
	char error[HTTP_ERROR_MAX]; /* libcurl's text for a transport failure, else "" */
	/* Private: headers of the final response; use http_resp_header(). */
	char **headers_;
	size_t n_headers_;
};

#define HTTP_RESP_INIT(max) ((struct http_resp){ .body = BUF_INIT(max), .content_length = -1 })

/* Frees what the response holds (body wiped: it may carry a token or a secret) and
 * resets it for reuse, keeping body.max. */
void http_resp_done(struct http_resp *resp);

/* Value of the first header called name (case-insensitive) in the final response, with
 * surrounding blanks removed; NULL if absent. Valid until http_resp_done(). */
const char *http_resp_header(const struct http_resp *resp, const char *name);
/* The n-th (0-based) occurrence of name, for repeated headers such as WWW-Authenticate. */
const char *http_resp_header_n(const struct http_resp *resp, const char *name, size_t n);

/* Performs one request; resp must be initialised (HTTP_RESP_INIT) and is reset first.
 * Returns 0 when a response arrived, whatever its status (a 404 is 0 with
 * resp->status 404: see http_status_to_errno()), or a transport error:
 *   -EINVAL      bad URL, method or argument; a CA file that libcurl cannot use
 *   -EPERM       plain http:// (or a redirect to it) without req->allow_http, or a
 *                scheme other than http/https
 *   -EHOSTUNREACH host or proxy name does not resolve (chosen over -ENOENT, which
 *                callers already read as "404")
 *   -ECONNREFUSED nothing listens / cannot connect
 *   -ETIMEDOUT   connect, total or low-speed timeout
 *   -EKEYREJECTED server certificate not trusted or not matching the host
 *   -EPROTO      TLS handshake failure, malformed HTTP, a proxy that refused
 *   -ECONNRESET  connection broke during the transfer (retrying may help)
 *   -ELOOP       more redirects than allowed
 *   -E2BIG       body larger than resp->body.max
 *   -ENOMEM      out of memory
 *   -EIO         anything else (libcurl's text is in resp->error)
 * or the negative value a sink or progress callback returned. */
int http_request(struct http_client *c, const struct http_req *req, struct http_resp *resp);

/* Maps a final HTTP status to the house error: 2xx and 3xx 0, 404 -ENOENT, 401 and 403
 * -EACCES, any other >= 400 -EPROTO, 0 or < 100 -EPROTO. */
int http_status_to_errno(long status);
