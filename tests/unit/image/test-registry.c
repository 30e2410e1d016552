/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/registry: the parts that need no network, through the file's statics (the
 * .c is included, as wireguard's harnesses do): the token cache (reuse per repository,
 * expiry, Basic after a Basic challenge, eviction), the resumable stream sink, the
 * backoff schedule, query escaping, and argument checks. The wire behaviour is in
 * tests/integration/test-registry.sh. */
#include "image-rs/registry.c"
#include "tests/unit/tests.h"

static struct registry *new_registry(bool with_cred)
{
	static struct http_client *http;
	_cleanup_(auth_cred_freep) struct auth_cred *c = NULL;
	struct registry *r = NULL;

	if (!http) {
		ASSERT_OK(http_global_init());
		http = http_client_new();
		ASSERT_TRUE(http);
	}
	if (with_cred)
		ASSERT_OK(auth_cred_new("Aladdin", "open sesame", &c));
	ASSERT_OK(registry_new(http, "127.0.0.1:5000", false, c, NULL, &r));
	return r;
}

static const char *header(struct registry *r, const char *repo, struct buf *b)
{
	buf_reset(b);
	ASSERT_OK(auth_header(r, repo, b));
	return buf_str(b);
}

static void test_token_cache(void)
{
	_cleanup_(registry_freep) struct registry *r = new_registry(true);
	_cleanup_(buf_done) struct buf b = BUF_INIT(4096);

	/* anonymous until a challenge says otherwise, even with credentials */
	ASSERT_STREQ(header(r, "a/b", &b), "");
	ASSERT_OK(store_token(r, "a/b", "tok1", 300));
	ASSERT_STREQ(header(r, "a/b", &b), "Authorization: Bearer tok1");
	/* per repository */
	ASSERT_STREQ(header(r, "a/c", &b), "");
	/* a new token for the same repository replaces the old one */
	ASSERT_OK(store_token(r, "a/b", "tok2", 0));
	ASSERT_EQ(r->n_tokens, 1);
	ASSERT_STREQ(header(r, "a/b", &b), "Authorization: Bearer tok2");
	/* expiry: no expires_in means 60 s (renewed 5 s early); an expired token is not sent */
	{
		struct timespec now;

		(void) clock_gettime(CLOCK_MONOTONIC, &now);
		ASSERT_TRUE(r->tokens[0].expires.tv_sec >= now.tv_sec + 54);
		ASSERT_TRUE(r->tokens[0].expires.tv_sec <= now.tv_sec + 55);
		r->tokens[0].expires.tv_sec = now.tv_sec - 1;
	}
	ASSERT_STREQ(header(r, "a/b", &b), "");
	/* a long-lived token is renewed a little early */
	ASSERT_OK(store_token(r, "a/b", "tok3", 3600));
	{
		struct timespec now;

		(void) clock_gettime(CLOCK_MONOTONIC, &now);
		ASSERT_TRUE(r->tokens[0].expires.tv_sec <= now.tv_sec + 3600 - TOKEN_MARGIN_S);
	}
	/* after a Basic challenge, Basic goes up front where no token applies */
	r->basic = true;
	ASSERT_STREQ(header(r, "x/y", &b), "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	ASSERT_STREQ(header(r, "a/b", &b), "Authorization: Bearer tok3");
}

static void test_token_eviction(void)
{
	_cleanup_(registry_freep) struct registry *r = new_registry(false);
	_cleanup_(buf_done) struct buf b = BUF_INIT(4096);
	char repo[32], tok[32];

	for (int i = 0; i < TOKEN_CACHE_MAX + 5; i++) {
		snprintf(repo, sizeof(repo), "r/%d", i);
		snprintf(tok, sizeof(tok), "t%d", i);
		ASSERT_OK(store_token(r, repo, tok, 300));
	}
	ASSERT_EQ(r->n_tokens, TOKEN_CACHE_MAX);
	ASSERT_STREQ(header(r, "r/68", &b), "Authorization: Bearer t68");
	/* basic without credentials sends nothing */
	r->basic = true;
	ASSERT_STREQ(header(r, "z/z", &b), "");
}

struct collect {
	struct buf b;
	int fail_at; /* fail when this many bytes would be passed, -1 never */
};

static int collect_sink(void *ud, const void *p, size_t n)
{
	struct collect *c = ud;

	if (c->fail_at >= 0 && c->b.len + n > (size_t) c->fail_at)
		return -ENOSPC;
	return buf_append(&c->b, p, n);
}

static void test_stream_resume(void)
{
	static const char blob[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct collect c = { .b = BUF_INIT(1024), .fail_at = -1 };
	struct stream st = {
		.sink = collect_sink,
		.ud = &c,
		.expected = sizeof(blob) - 1,
		.verify = true,
	};
	struct digest_oci d = { .alg = DIGEST_SHA256 };

	digest_buf(DIGEST_SHA256, blob, sizeof(blob) - 1, d.d);
	digest_init(&st.dc, DIGEST_SHA256);
	/* attempt 1 breaks after 10 bytes */
	st.pos = 0;
	ASSERT_OK(stream_sink(&st, blob, 4));
	ASSERT_OK(stream_sink(&st, blob + 4, 6));
	/* attempt 2 starts again from byte 0: the first 10 bytes are skipped, in pieces
	 * that straddle the boundary */
	st.pos = 0;
	ASSERT_OK(stream_sink(&st, blob, 7));
	ASSERT_EQ(c.b.len, 10);
	ASSERT_OK(stream_sink(&st, blob + 7, 8));
	ASSERT_EQ(c.b.len, 15);
	ASSERT_OK(stream_sink(&st, blob + 15, sizeof(blob) - 1 - 15));
	ASSERT_EQ(st.delivered, sizeof(blob) - 1);
	ASSERT_MEMEQ(c.b.data, blob, sizeof(blob) - 1);
	ASSERT_OK(digest_oci_verify(&d, &st.dc));
	/* one byte past the expected size is refused as it arrives */
	ASSERT_ERR(stream_sink(&st, "x", 1), -E2BIG);
	ASSERT_TRUE(st.failed);
	buf_done(&c.b);

	/* a consumer's error comes back unchanged and marks the stream failed */
	struct collect c2 = { .b = BUF_INIT(1024), .fail_at = 5 };
	struct stream st2 = { .sink = collect_sink, .ud = &c2, .expected = REGISTRY_SIZE_UNKNOWN };

	ASSERT_OK(stream_sink(&st2, blob, 5));
	ASSERT_ERR(stream_sink(&st2, blob + 5, 1), -ENOSPC);
	ASSERT_TRUE(st2.failed);
	buf_done(&c2.b);
}

static void test_retry_policy(void)
{
	ASSERT_TRUE(retryable_status(500) && retryable_status(502) && retryable_status(503) &&
		    retryable_status(504) && retryable_status(429));
	ASSERT_TRUE(!retryable_status(501) && !retryable_status(404) && !retryable_status(401) &&
		    !retryable_status(200));
	ASSERT_TRUE(retryable_error(-ECONNRESET) && retryable_error(-ECONNREFUSED) &&
		    retryable_error(-ETIMEDOUT));
	ASSERT_TRUE(!retryable_error(-EKEYREJECTED) && !retryable_error(-EPERM) &&
		    !retryable_error(-E2BIG) && !retryable_error(-EPROTO));

	/* 1, 2, 4 ms: the schedule doubles; measured loosely */
	{
		_cleanup_(registry_freep) struct registry *r = new_registry(false);
		struct timespec a, b;
		long ms;

		r->o.backoff_ms = 1;
		(void) clock_gettime(CLOCK_MONOTONIC, &a);
		backoff(r, 0);
		backoff(r, 1);
		backoff(r, 2);
		(void) clock_gettime(CLOCK_MONOTONIC, &b);
		ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		ASSERT_TRUE(ms >= 7 && ms < 1000);
	}
}

static void test_escape_and_args(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1024);
	_cleanup_(registry_freep) struct registry *r = new_registry(false);
	struct registry *bad = NULL;
	struct digest_oci d = { .alg = DIGEST_SHA256 };
	uint64_t size;

	ASSERT_OK(url_escape(&b, "repository:a/b:pull,push x~y"));
	ASSERT_STREQ(buf_str(&b), "repository%3Aa%2Fb%3Apull%2Cpush%20x~y");

	ASSERT_ERR(registry_new(r->http, "bad host", false, NULL, NULL, &bad), -EINVAL);
	ASSERT_ERR(registry_new(NULL, "h.io", false, NULL, NULL, &bad), -EINVAL);
	ASSERT_TRUE(bad == NULL);
	ASSERT_EQ(r->o.max_retries, 3);
	ASSERT_EQ(r->o.manifest_max, MANIFEST_MAX);
	/* bad repository names and references never reach the network */
	ASSERT_ERR(registry_get_manifest(r, "Bad/Repo", "v1", &b, NULL, NULL), -EINVAL);
	ASSERT_ERR(registry_get_manifest(r, "a/b", "bad tag!", &b, NULL, NULL), -EINVAL);
	ASSERT_ERR(registry_get_manifest(r, "a/b", "sha256:abc", &b, NULL, NULL), -EBADMSG);
	ASSERT_ERR(registry_blob_head(r, "../x", &d, &size), -EINVAL);
	ASSERT_ERR(registry_blob_fetch(r, "a/b", &d, 1, 0, NULL, NULL), -EINVAL);
	ASSERT_ERR(registry_blob_get(r, "a/b", &d, 100, 10, &b), -E2BIG);
	ASSERT_TRUE(strstr(registry_last_error(), "larger than 10 bytes") != NULL);
}

TESTS(test_token_cache, test_token_eviction, test_stream_resume, test_retry_policy,
      test_escape_and_args)
