/* SPDX-License-Identifier: Apache-2.0 */
/* A curl-like probe over common/http.c for tests/integration/test-http.sh: fetches each
 * URL in turn on ONE client (so cookies and connections carry over) and prints what
 * the test checks, one "key value" per line:
 *   status N | error ENAME, new_connections, content_length, header NAME: VALUE,
 *   body_len, body_sha256, effective_url, [threads_ok N], and at the end maxrss_kb.
 * Exit 0 when every request got a response (any status), 1 otherwise, 2 for bad usage. */
#include <getopt.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "common/http.h"

#define MAX_LIST 16

static struct {
	const char *cacerts[MAX_LIST];
	size_t n_cacerts;
	const char *headers[MAX_LIST + 1];
	size_t n_headers;
	const char *show[MAX_LIST];
	size_t n_show;
	size_t max;
	const char *proxy, *no_proxy, *user_agent;
	bool proxy_env, stream, allow_http, no_redirect, show_body;
	enum http_method method;
	const char *data, *content_type;
	uint64_t range, sink_fail_at;
	unsigned timeout_ms, connect_ms, low_bps, low_s, threads;
	long max_redirects;
} arg = { .max = 1 << 20, .threads = 1, .max_redirects = -1 };

struct result {
	int r;
	struct http_resp resp;
	uint64_t streamed;
	mbedtls_sha256_context sha;
	uint8_t digest[32];
};

static const char *errname(int r)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EKEYREJECTED, "EKEYREJECTED" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENOENT, "ENOENT" },
		{ ENOMEM, "ENOMEM" },
		{ EIO, "EIO" },
		{ EPERM, "EPERM" },
		{ EPROTO, "EPROTO" },
		{ ECONNRESET, "ECONNRESET" },
		{ ELOOP, "ELOOP" },
		{ E2BIG, "E2BIG" },
		{ EINVAL, "EINVAL" },
		{ EACCES, "EACCES" },
		{ ECANCELED, "ECANCELED" },
		{ EBADMSG, "EBADMSG" },
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(names); i++)
		if (names[i].e == -r)
			return names[i].name;
	return "EOTHER";
}

static int sink(void *userdata, const void *p, size_t n)
{
	struct result *res = userdata;

	if (arg.sink_fail_at && res->streamed + n > arg.sink_fail_at)
		return -ECANCELED;
	res->streamed += n;
	mbedtls_sha256_update(&res->sha, p, n);
	return 0;
}

static void fetch(struct http_client *c, const char *url, struct result *res)
{
	struct http_req req = {
		.method = arg.method,
		.url = url,
		.headers = (char *const *) arg.headers,
		.body = arg.data,
		.body_len = arg.data ? strlen(arg.data) : 0,
		.content_type = arg.content_type,
		.sink = arg.stream ? sink : NULL,
		.userdata = res,
		.range_from = arg.range,
		.timeout_ms = arg.timeout_ms,
		.allow_http = arg.allow_http,
		.no_redirect = arg.no_redirect,
	};

	res->resp = HTTP_RESP_INIT(arg.stream ? 4096 : arg.max);
	res->streamed = 0;
	mbedtls_sha256_init(&res->sha);
	(void) mbedtls_sha256_starts(&res->sha, 0);
	res->r = http_request(c, &req, &res->resp);
	if (res->r == 0 && !arg.stream)
		(void) mbedtls_sha256_update(&res->sha, res->resp.body.data, res->resp.body.len);
	(void) mbedtls_sha256_finish(&res->sha, res->digest);
	mbedtls_sha256_free(&res->sha);
}

static void print(const struct result *res)
{
	size_t i, k;
	const char *v;

	if (res->r < 0) {
		printf("error %s\n", errname(res->r));
		printf("error_text %s\n", res->resp.error);
		return;
	}
	printf("status %ld\n", res->resp.status);
	printf("new_connections %u\n", res->resp.new_connections);
	printf("content_length %lld\n", (long long) res->resp.content_length);
	for (i = 0; i < arg.n_show; i++)
		for (k = 0; (v = http_resp_header_n(&res->resp, arg.show[i], k)); k++)
			printf("header %s: %s\n", arg.show[i], v);
	printf("body_len %llu\n", (unsigned long long) (arg.stream && res->resp.status / 100 == 2
							    ? res->streamed
							    : res->resp.body.len));
	printf("body_sha256 ");
	for (i = 0; i < 32; i++)
		printf("%02x", res->digest[i]);
	printf("\n");
	if (arg.show_body)
		printf("body %s", buf_str(&res->resp.body));
	printf("effective_url %s\n", res->resp.effective_url ? res->resp.effective_url : "-");
}

struct thread_arg {
	struct http_client *c;
	const char *url;
	struct result res;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;

	fetch(t->c, t->url, &t->res);
	return NULL;
}

static int run_threads(struct http_client *c, const char *url)
{
	struct thread_arg *t = calloc(arg.threads, sizeof(*t));
	pthread_t *tid = calloc(arg.threads, sizeof(*tid));
	unsigned i, good = 0;
	int r;

	if (!t || !tid)
		return -ENOMEM;
	for (i = 0; i < arg.threads; i++) {
		t[i].c = c;
		t[i].url = url;
		if (pthread_create(&tid[i], NULL, thread_main, &t[i]) != 0)
			return -EAGAIN;
	}
	for (i = 0; i < arg.threads; i++)
		(void) pthread_join(tid[i], NULL);
	print(&t[0].res);
	for (i = 0; i < arg.threads; i++)
		good += t[i].res.r == 0 && t[i].res.resp.status == t[0].res.resp.status &&
			memcmp(t[i].res.digest, t[0].res.digest, 32) == 0;
	printf("threads_ok %u\n", good);
	r = t[0].res.r;
	for (i = 0; i < arg.threads; i++)
		http_resp_done(&t[i].res.resp);
	free(t);
	free(tid);
	return r;
}

static int parse_method(const char *s)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE" };
	size_t i;

	for (i = 0; i < ELEMENTSOF(names); i++)
		if (streq(s, names[i])) {
			arg.method = (enum http_method) i;
			return 0;
		}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	enum {
		O_CACERT = 256,
		O_MAX,
		O_PROXY,
		O_NO_PROXY,
		O_PROXY_ENV,
		O_HEADER,
		O_SHOW,
		O_METHOD,
		O_DATA,
		O_CTYPE,
		O_STREAM,
		O_SINK_FAIL,
		O_RANGE,
		O_TIMEOUT,
		O_CONNECT,
		O_LOW_SPEED,
		O_ALLOW_HTTP,
		O_NO_REDIRECT,
		O_MAX_REDIRECTS,
		O_THREADS,
		O_UA,
		O_SHOW_BODY,
	};
	static const struct option opts[] = {
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "max", required_argument, NULL, O_MAX },
		{ "proxy", required_argument, NULL, O_PROXY },
		{ "no-proxy", required_argument, NULL, O_NO_PROXY },
		{ "proxy-env", no_argument, NULL, O_PROXY_ENV },
		{ "header", required_argument, NULL, O_HEADER },
		{ "show-header", required_argument, NULL, O_SHOW },
		{ "method", required_argument, NULL, O_METHOD },
		{ "data", required_argument, NULL, O_DATA },
		{ "content-type", required_argument, NULL, O_CTYPE },
		{ "stream", no_argument, NULL, O_STREAM },
		{ "sink-fail-at", required_argument, NULL, O_SINK_FAIL },
		{ "range", required_argument, NULL, O_RANGE },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout-ms", required_argument, NULL, O_CONNECT },
		{ "low-speed", required_argument, NULL, O_LOW_SPEED },
		{ "allow-http", no_argument, NULL, O_ALLOW_HTTP },
		{ "no-redirect", no_argument, NULL, O_NO_REDIRECT },
		{ "max-redirects", required_argument, NULL, O_MAX_REDIRECTS },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "user-agent", required_argument, NULL, O_UA },
		{ "show-body", no_argument, NULL, O_SHOW_BODY },
		{}
	};
	_cleanup_(http_client_freep) struct http_client *c = NULL;
	struct rusage ru;
	int o, i, r, failed = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (o) {
		case O_CACERT:
			if (arg.n_cacerts == MAX_LIST)
				return 2;
			arg.cacerts[arg.n_cacerts++] = optarg;
			break;
		case O_MAX:
			arg.max = strtoull(optarg, NULL, 0);
			break;
		case O_PROXY:
			arg.proxy = optarg;
			break;
		case O_NO_PROXY:
			arg.no_proxy = optarg;
			break;
		case O_PROXY_ENV:
			arg.proxy_env = true;
			break;
		case O_HEADER:
			if (arg.n_headers == MAX_LIST)
				return 2;
			arg.headers[arg.n_headers++] = optarg;
			break;
		case O_SHOW:
			if (arg.n_show == MAX_LIST)
				return 2;
			arg.show[arg.n_show++] = optarg;
			break;
		case O_METHOD:
			if (parse_method(optarg) < 0)
				return 2;
			break;
		case O_DATA:
			arg.data = optarg;
			break;
		case O_CTYPE:
			arg.content_type = optarg;
			break;
		case O_STREAM:
			arg.stream = true;
			break;
		case O_SINK_FAIL:
			arg.sink_fail_at = strtoull(optarg, NULL, 0);
			break;
		case O_RANGE:
			arg.range = strtoull(optarg, NULL, 0);
			break;
		case O_TIMEOUT:
			arg.timeout_ms = (unsigned) strtoul(optarg, NULL, 0);
			break;
		case O_CONNECT:
			arg.connect_ms = (unsigned) strtoul(optarg, NULL, 0);
			break;
		case O_LOW_SPEED:
			if (sscanf(optarg, "%u:%u", &arg.low_bps, &arg.low_s) != 2)
				return 2;
			break;
		case O_ALLOW_HTTP:
			arg.allow_http = true;
			break;
		case O_NO_REDIRECT:
			arg.no_redirect = true;
			break;
		case O_MAX_REDIRECTS:
			arg.max_redirects = strtol(optarg, NULL, 0);
			break;
		case O_THREADS:
			arg.threads = (unsigned) strtoul(optarg, NULL, 0);
			if (arg.threads == 0 || arg.threads > 64)
				return 2;
			break;
		case O_UA:
			arg.user_agent = optarg;
			break;
		case O_SHOW_BODY:
			arg.show_body = true;
			break;
		default:
			fprintf(stderr, "usage: http-get [options] URL...\n");
			return 2;
		}
	}
	if (optind >= argc)
		return 2;

	c = http_client_new();
	if (!c)
		return 1;
	for (i = 0; i < (int) arg.n_cacerts; i++) {
		r = http_client_add_ca_file(c, arg.cacerts[i]);
		if (r < 0) {
			printf("cacert_error %s\n", errname(r));
			return 1;
		}
	}
	if (arg.proxy_env)
		r = http_client_set_proxy_from_env(c);
	else
		r = http_client_set_proxy(c, arg.proxy, arg.proxy, arg.no_proxy);
	if (r < 0)
		return 1;
	http_client_set_timeouts(c, arg.connect_ms, 0, arg.low_bps, arg.low_s);
	if (arg.max_redirects >= 0)
		http_client_set_max_redirects(c, (unsigned) arg.max_redirects);
	if (arg.user_agent && http_client_set_user_agent(c, arg.user_agent) < 0)
		return 1;

	for (i = optind; i < argc; i++) {
		if (arg.threads > 1) {
			r = run_threads(c, argv[i]);
		} else {
			struct result res;

			fetch(c, argv[i], &res);
			print(&res);
			r = res.r;
			http_resp_done(&res.resp);
		}
		failed += r < 0;
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("maxrss_kb %ld\n", ru.ru_maxrss);
	return failed ? 1 : 0;
}
