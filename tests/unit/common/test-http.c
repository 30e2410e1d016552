/* SPDX-License-Identifier: Apache-2.0 */
/* common/http.c without a network: the error tables, response header capture, the
 * three-way cookie merge, CA and proxy settings, argument checks. The transfers
 * themselves are tested against real servers in tests/integration/test-http.sh.
 * The .c is included to reach its static functions (STYLE.md §3.11). */
#include "common/http.c"
#include "tests/unit/tests.h"

static void test_status_to_errno(void)
{
	ASSERT_EQ(http_status_to_errno(200), 0);
	ASSERT_EQ(http_status_to_errno(204), 0);
	ASSERT_EQ(http_status_to_errno(206), 0);
	ASSERT_EQ(http_status_to_errno(302), 0);
	ASSERT_ERR(http_status_to_errno(404), -ENOENT);
	ASSERT_ERR(http_status_to_errno(401), -EACCES);
	ASSERT_ERR(http_status_to_errno(403), -EACCES);
	ASSERT_ERR(http_status_to_errno(400), -EPROTO);
	ASSERT_ERR(http_status_to_errno(500), -EPROTO);
	ASSERT_ERR(http_status_to_errno(0), -EPROTO);
	ASSERT_ERR(http_status_to_errno(100), -EPROTO);
}

static void test_curl_to_errno(void)
{
	ASSERT_EQ(curl_to_errno(CURLE_OK), 0);
	ASSERT_ERR(curl_to_errno(CURLE_OPERATION_TIMEDOUT), -ETIMEDOUT);
	ASSERT_ERR(curl_to_errno(CURLE_COULDNT_CONNECT), -ECONNREFUSED);
	ASSERT_ERR(curl_to_errno(CURLE_PEER_FAILED_VERIFICATION), -EKEYREJECTED);
	ASSERT_ERR(curl_to_errno(CURLE_COULDNT_RESOLVE_HOST), -EHOSTUNREACH);
	ASSERT_ERR(curl_to_errno(CURLE_COULDNT_RESOLVE_PROXY), -EHOSTUNREACH);
	ASSERT_ERR(curl_to_errno(CURLE_OUT_OF_MEMORY), -ENOMEM);
	ASSERT_ERR(curl_to_errno(CURLE_UNSUPPORTED_PROTOCOL), -EPERM);
	ASSERT_ERR(curl_to_errno(CURLE_TOO_MANY_REDIRECTS), -ELOOP);
	ASSERT_ERR(curl_to_errno(CURLE_PARTIAL_FILE), -ECONNRESET);
	ASSERT_ERR(curl_to_errno(CURLE_FILESIZE_EXCEEDED), -E2BIG);
	ASSERT_ERR(curl_to_errno(CURLE_SSL_CONNECT_ERROR), -EPROTO);
	ASSERT_ERR(curl_to_errno(CURLE_URL_MALFORMAT), -EINVAL);
	ASSERT_ERR(curl_to_errno(CURLE_FAILED_INIT), -EIO);
}

static void feed(struct transfer *t, const char *line)
{
	size_t n = strlen(line);

	ASSERT_EQ(on_header((char *) line, 1, n, t), n);
}

static void test_headers_of_last_response(void)
{
	struct http_req req = { .url = "https://x/" };
	struct http_resp resp = HTTP_RESP_INIT(100);
	struct transfer t = { .req = &req, .resp = &resp };

	feed(&t, "HTTP/1.1 302 Found\r\n");
	ASSERT_EQ(t.status, 302);
	feed(&t, "Location: https://storage/blob\r\n");
	feed(&t, "WWW-Authenticate: stale\r\n");
	feed(&t, "\r\n");
	ASSERT_STREQ(http_resp_header(&resp, "location"), "https://storage/blob");

	/* The next hop's status line forgets the redirect's headers. */
	feed(&t, "HTTP/1.1 200 OK\r\n");
	ASSERT_EQ(t.status, 200);
	ASSERT_TRUE(http_resp_header(&resp, "Location") == NULL);
	feed(&t, "Content-Type:   application/json \t\r\n");
	feed(&t, "Content-Type-Extra: no\r\n");
	feed(&t, "docker-content-digest: sha256:abc\r\n");
	feed(&t, "Www-Authenticate: Bearer a\r\n");
	feed(&t, "WWW-AUTHENTICATE: Basic b\r\n");
	feed(&t, "Empty:\r\n");
	feed(&t, "no colon line\r\n");
	feed(&t, "\r\n");
	ASSERT_STREQ(http_resp_header(&resp, "content-type"), "application/json");
	ASSERT_STREQ(http_resp_header(&resp, "Docker-Content-Digest"), "sha256:abc");
	ASSERT_STREQ(http_resp_header_n(&resp, "www-authenticate", 0), "Bearer a");
	ASSERT_STREQ(http_resp_header_n(&resp, "www-authenticate", 1), "Basic b");
	ASSERT_TRUE(http_resp_header_n(&resp, "www-authenticate", 2) == NULL);
	ASSERT_STREQ(http_resp_header(&resp, "empty"), "");
	ASSERT_TRUE(http_resp_header(&resp, "Content") == NULL);
	ASSERT_EQ(resp.n_headers_, 6);

	/* HTTP/2-style status line and garbage status. */
	feed(&t, "HTTP/2 204\r\n");
	ASSERT_EQ(t.status, 204);
	feed(&t, "HTTP/1.1 abc\r\n");
	ASSERT_EQ(t.status, 0);
	feed(&t, "HTTP/1.1\r\n");
	ASSERT_EQ(t.status, 0);
	http_resp_done(&resp);
	ASSERT_EQ(resp.n_headers_, 0);
	ASSERT_EQ(resp.body.max, 100);
}

static void test_headers_bounded(void)
{
	struct http_req req = { .url = "https://x/" };
	struct http_resp resp = HTTP_RESP_INIT(100);
	struct transfer t = { .req = &req, .resp = &resp };
	char line[64];
	int i;

	feed(&t, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "X-Many-%d: %d\r\n", i, i);
		feed(&t, line);
	}
	ASSERT_EQ(resp.n_headers_, HEADERS_MAX);
	ASSERT_STREQ(http_resp_header(&resp, "x-many-0"), "0");
	ASSERT_TRUE(http_resp_header(&resp, "x-many-999") == NULL);
	http_resp_done(&resp);
}

static int sink_count(void *userdata, const void *p, size_t n)
{
	(void) p;
	*(size_t *) userdata += n;
	return n > 100 ? -ECANCELED : 0;
}

static void test_body_routing(void)
{
	size_t got = 0;
	struct http_req req = { .url = "https://x/", .sink = sink_count, .userdata = &got };
	struct http_resp resp = HTTP_RESP_INIT(8);
	struct transfer t = { .req = &req, .resp = &resp, .status = 200 };
	char data[200] = { 0 };

	/* 2xx goes to the sink; its error aborts the transfer and is kept. */
	ASSERT_EQ(on_body(data, 1, 50, &t), 50);
	ASSERT_EQ(got, 50);
	ASSERT_EQ(on_body(data, 1, 150, &t), CURL_WRITEFUNC_ERROR);
	ASSERT_ERR(t.error, -ECANCELED);
	ASSERT_EQ(resp.body.len, 0);

	/* An error page while streaming lands in body, cut at its max without failing. */
	t.status = 404;
	t.error = 0;
	ASSERT_EQ(on_body((char *) "not found at all", 1, 16, &t), 16);
	ASSERT_EQ(resp.body.len, 8);
	ASSERT_STREQ(buf_str(&resp.body), "not foun");
	ASSERT_EQ(t.error, 0);

	/* Without a sink the limit is an error. */
	req.sink = NULL;
	http_resp_done(&resp);
	ASSERT_EQ(on_body((char *) "12345678", 1, 8, &t), 8);
	ASSERT_EQ(on_body((char *) "9", 1, 1, &t), CURL_WRITEFUNC_ERROR);
	ASSERT_ERR(t.error, -E2BIG);
	http_resp_done(&resp);
}

#define CK(domain, path, name, value) domain "\tFALSE\t" path "\tFALSE\t0\t" name "\t" value

static void test_cookie_identity(void)
{
	ASSERT_TRUE(cookie_same(CK("kbs", "/", "kbs-session-id", "a"),
				CK("kbs", "/", "kbs-session-id", "b")));
	ASSERT_TRUE(cookie_same(CK("#HttpOnly_kbs", "/", "id", "a"), CK("kbs", "/", "id", "b")));
	ASSERT_TRUE(!cookie_same(CK("kbs", "/", "id", "a"), CK("kbs", "/x", "id", "a")));
	ASSERT_TRUE(!cookie_same(CK("kbs", "/", "id", "a"), CK("other", "/", "id", "a")));
	ASSERT_TRUE(!cookie_same(CK("kbs", "/", "id", "a"), CK("kbs", "/", "id2", "a")));
	ASSERT_TRUE(!cookie_same("short\tline", CK("kbs", "/", "id", "a")));
}

static size_t jar_find_value(struct http_client *c, const char *name, const char **ret)
{
	size_t i, hits = 0;

	for (i = 0; i < c->n_cookies; i++) {
		const char *p;
		size_t n;

		ASSERT_TRUE(cookie_field(c->cookies[i], 5, &p, &n));
		if (n == strlen(name) && memcmp(p, name, n) == 0) {
			ASSERT_TRUE(cookie_field(c->cookies[i], 6, ret, &n));
			hits++;
		}
	}
	return hits;
}

/* Request 1 starts with {a=1, b=1}; meanwhile request 2 changed b to 2 in the client.
 * Request 1 ends holding {a=3, c=1} (it changed a, deleted b, added c). The merge must
 * take a=3 and c=1 and keep request 2's b=2, which request 1 only deleted an older
 * version of. */
static void test_cookie_merge(void)
{
	_cleanup_(http_client_freep) struct http_client *c = http_client_new();
	char **snap = NULL;
	size_t n_snap = 0;
	const char *v;
	CURL *h;

	ASSERT_TRUE(c);
	jar_upsert(c, CK("kbs", "/", "a", "1"));
	jar_upsert(c, CK("kbs", "/", "b", "1"));
	ASSERT_EQ(c->n_cookies, 2);

	h = curl_easy_init();
	ASSERT_TRUE(h);
	ASSERT_EQ(curl_easy_setopt(h, CURLOPT_COOKIEFILE, ""), CURLE_OK);
	ASSERT_OK(cookies_load(c, h, &snap, &n_snap));
	ASSERT_EQ(n_snap, 2);

	jar_upsert(c, CK("kbs", "/", "b", "2")); /* request 2 */

	/* What request 1's server did. */
	ASSERT_EQ(curl_easy_setopt(h, CURLOPT_COOKIELIST, "ALL"), CURLE_OK);
	ASSERT_EQ(curl_easy_setopt(h, CURLOPT_COOKIELIST, CK("kbs", "/", "a", "3")), CURLE_OK);
	ASSERT_EQ(curl_easy_setopt(h, CURLOPT_COOKIELIST, CK("kbs", "/", "c", "1")), CURLE_OK);
	cookies_merge(c, h, snap, n_snap);
	cookies_free(snap, n_snap);

	ASSERT_EQ(c->n_cookies, 3);
	ASSERT_EQ(jar_find_value(c, "a", &v), 1);
	ASSERT_TRUE(startswith(v, "3"));
	ASSERT_EQ(jar_find_value(c, "b", &v), 1);
	ASSERT_TRUE(startswith(v, "2"));
	ASSERT_EQ(jar_find_value(c, "c", &v), 1);

	/* A later request that sees b=2 and deletes it does remove it. */
	ASSERT_OK(cookies_load(c, h, &snap, &n_snap));
	ASSERT_EQ(curl_easy_setopt(h, CURLOPT_COOKIELIST, "ALL"), CURLE_OK);
	cookies_merge(c, h, snap, n_snap);
	cookies_free(snap, n_snap);
	ASSERT_EQ(c->n_cookies, 0);
	curl_easy_cleanup(h);

	/* The jar is bounded. */
	for (int i = 0; i < 2 * COOKIES_MAX; i++) {
		char line[128];

		snprintf(line, sizeof(line), CK("kbs", "/", "n%d", "v"), i);
		jar_upsert(c, line);
	}
	ASSERT_EQ(c->n_cookies, COOKIES_MAX);
	http_client_clear_cookies(c);
	ASSERT_EQ(c->n_cookies, 0);
}

static void test_ca_pem(void)
{
	_cleanup_(http_client_freep) struct http_client *c = http_client_new();
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
	char *big;

	ASSERT_TRUE(c);
	ASSERT_ERR(http_client_add_ca_pem(c, "hello"), -EBADMSG);
	ASSERT_ERR(http_client_add_ca_pem(c, NULL), -EBADMSG);
	ASSERT_EQ(c->ca.len, 0);
	ASSERT_OK(http_client_add_ca_pem(c, pem));
	ASSERT_OK(http_client_add_ca_pem(c, pem));
	/* Each block ends in a newline so that the next BEGIN starts a line. */
	ASSERT_EQ(c->ca.len, 2 * (sizeof(pem) - 1 + 1));
	ASSERT_ERR(http_client_add_ca_file(c, "/nonexistent/ca.crt"), -ENOENT);

	big = malloc(HTTP_CA_MAX + 2);
	ASSERT_TRUE(big);
	memset(big, 'A', HTTP_CA_MAX + 1);
	memcpy(big, pem, sizeof(pem) - 1);
	big[HTTP_CA_MAX + 1] = 0;
	ASSERT_ERR(http_client_add_ca_pem(c, big), -E2BIG);
	ASSERT_EQ(c->ca.len, 2 * sizeof(pem)); /* unchanged */
	free(big);
}

static void test_proxy_env(void)
{
	_cleanup_(http_client_freep) struct http_client *c = http_client_new();

	ASSERT_TRUE(c);
	(void) unsetenv("http_proxy");
	(void) unsetenv("https_proxy");
	(void) unsetenv("HTTPS_PROXY");
	(void) unsetenv("no_proxy");
	(void) unsetenv("NO_PROXY");
	(void) unsetenv("all_proxy");
	(void) unsetenv("ALL_PROXY");
	ASSERT_OK(setenv("HTTP_PROXY", "http://evil:1", 1));
	ASSERT_OK(setenv("HTTPS_PROXY", "http://p:3128", 1));
	ASSERT_OK(setenv("NO_PROXY", "kbs.local,10.0.0.0/8", 1));
	ASSERT_OK(http_client_set_proxy_from_env(c));
	ASSERT_TRUE(c->http_proxy == NULL); /* HTTP_PROXY ignored */
	ASSERT_STREQ(c->https_proxy, "http://p:3128");
	ASSERT_STREQ(c->no_proxy, "kbs.local,10.0.0.0/8");

	ASSERT_OK(setenv("all_proxy", "http://all:1", 1));
	ASSERT_OK(setenv("https_proxy", "http://lower:2", 1));
	ASSERT_OK(http_client_set_proxy_from_env(c));
	ASSERT_STREQ(c->http_proxy, "http://all:1");
	ASSERT_STREQ(c->https_proxy, "http://lower:2");
	(void) unsetenv("HTTP_PROXY");
	(void) unsetenv("HTTPS_PROXY");
	(void) unsetenv("NO_PROXY");
	(void) unsetenv("all_proxy");
	(void) unsetenv("https_proxy");

	ASSERT_OK(http_client_set_proxy(c, "", NULL, ""));
	ASSERT_TRUE(!c->http_proxy && !c->https_proxy && !c->no_proxy);
}

static void test_request_arguments(void)
{
	_cleanup_(http_client_freep) struct http_client *c = http_client_new();
	struct http_resp resp = HTTP_RESP_INIT(16);
	struct http_req req = { .method = HTTP_GET };

	ASSERT_TRUE(c);
	ASSERT_ERR(http_request(c, &req, &resp), -EINVAL);
	req.url = "example.com/x";
	ASSERT_ERR(http_request(c, &req, &resp), -EINVAL);
	req.url = "ftp://example.com/x";
	ASSERT_ERR(http_request(c, &req, &resp), -EPERM);
	req.url = "file:///etc/passwd";
	req.allow_http = true;
	ASSERT_ERR(http_request(c, &req, &resp), -EPERM);
	req.url = "http://example.com/";
	req.allow_http = false;
	ASSERT_ERR(http_request(c, &req, &resp), -EPERM);
	req.url = "HTTPS://[::1:bad/";
	ASSERT_ERR(http_request(c, &req, &resp), -EINVAL);
	ASSERT_TRUE(strlen(resp.error) > 0);
	req.url = "https://127.0.0.1:1/";
	req.method = (enum http_method) 42;
	ASSERT_ERR(http_request(c, &req, &resp), -EINVAL);
	ASSERT_ERR(http_request(NULL, &req, &resp), -EINVAL);
	http_resp_done(&resp);
}

TESTS(test_status_to_errno, test_curl_to_errno, test_headers_of_last_response, test_headers_bounded,
      test_body_routing, test_cookie_identity, test_cookie_merge, test_ca_pem, test_proxy_env,
      test_request_arguments)
