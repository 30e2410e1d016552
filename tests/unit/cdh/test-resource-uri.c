/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/resource-uri: upstream's documented forms (RESOURCE_URI.md), the KBS URL mapping,
 * and the inputs the strict parser refuses. */
#include "cdh/resource-uri.h"
#include "tests/unit/tests.h"

static struct resource_uri *parse_ok(const char *s)
{
	struct resource_uri *u = NULL;

	ASSERT_OK(resource_uri_parse(s, &u));
	return u;
}

static void expect_string(const struct resource_uri *u,
			  int (*fn)(const struct resource_uri *, struct buf *), const char *want)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(fn(u, &b));
	ASSERT_STREQ(buf_str(&b), want);
}

static void test_plain(void)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = parse_ok("kbs:///default/key/1");

	ASSERT_STREQ(u->plugin, "resource");
	ASSERT_STREQ(u->address, "");
	ASSERT_EQ(u->n_segments, 3);
	ASSERT_STREQ(u->segments[0], "default");
	ASSERT_STREQ(u->segments[1], "key");
	ASSERT_STREQ(u->segments[2], "1");
	ASSERT_TRUE(u->segments[3] == NULL);
	ASSERT_TRUE(u->query == NULL);
	ASSERT_OK(resource_uri_check_resource_path(u));
	expect_string(u, resource_uri_path, "default/key/1");
	expect_string(u, resource_uri_kbs_path, "/kbs/v0/resource/default/key/1");
	expect_string(u, resource_uri_to_string, "kbs:///default/key/1");
}

static void test_host_port_query(void)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = parse_ok(
	    "kbs://example.io:8080/repo/type/tag?version=2&x=a/b");

	ASSERT_STREQ(u->address, "example.io:8080");
	ASSERT_STREQ(u->query, "version=2&x=a/b");
	expect_string(u, resource_uri_kbs_path, "/kbs/v0/resource/repo/type/tag?version=2&x=a/b");
	expect_string(u, resource_uri_to_string,
		      "kbs://example.io:8080/repo/type/tag?version=2&x=a/b");
}

static void test_plugin(void)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = parse_ok(
	    "KBS+PKCS11:///wrapped/key-1");
	_cleanup_(resource_uri_freep) struct resource_uri *v = parse_ok("kbs://[::1]:443/a");

	ASSERT_STREQ(u->plugin, "pkcs11");
	ASSERT_EQ(u->n_segments, 2);
	ASSERT_ERR(resource_uri_check_resource_path(u), -EINVAL);
	expect_string(u, resource_uri_kbs_path, "/kbs/v0/pkcs11/wrapped/key-1");
	expect_string(u, resource_uri_to_string, "kbs+pkcs11:///wrapped/key-1");
	ASSERT_STREQ(v->address, "[::1]:443");
	ASSERT_ERR(resource_uri_check_resource_path(v), -EINVAL);
}

static void test_percent_and_pchars(void)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = parse_ok(
	    "kbs:///a%20b/c:d@e/f!$&'()*+,;=~");

	ASSERT_STREQ(u->segments[0], "a%20b");
	ASSERT_STREQ(u->segments[1], "c:d@e");
}

static void test_rejects(void)
{
	static const char *const bad[] = {
		"",
		"kbs",
		"kbs:",
		"kbs://",
		"kbs:///",
		"kbs://host",
		"kbs://host?x",
		"http:///default/key/1",
		"file:///etc/passwd",
		"kbs+:///a/b/c",
		"kbs+a.b:///a",
		"kbs+a/b:///a",
		"kbs:/default/key/1",
		"kbs:///default//1",
		"kbs:///default/key/1/",
		"kbs:///default/../1",
		"kbs:///../etc/passwd",
		"kbs:///./x",
		"kbs:///default/key/..",
		"kbs:///a b/c",
		"kbs:///a\tb",
		"kbs:///a#frag",
		"kbs:///a%2",
		"kbs:///a%zz",
		"kbs:///a?",
		"kbs:///a?b c",
		"kbs://user@host/a",
		"kbs://host:/a",
		"kbs://host:123456/a",
		"kbs://host:65536/a",
		"kbs://host:8x/a",
		"kbs://[::1/a",
		"kbs:///caf\xc3\xa9",
		"kbs:///a\\b",
		"kbs:///kbs:///default/key/1", /* upstream's test v1.json kid: empty segment */
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct resource_uri *u = NULL;
		int r = resource_uri_parse(bad[i], &u);

		if (r != -EINVAL)
			FAIL_("'%s' gave %d", bad[i], r);
		ASSERT_TRUE(u == NULL);
		ASSERT_TRUE(!resource_uri_is_valid(bad[i]));
	}
}

static void test_limits(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct resource_uri *u = NULL;

	ASSERT_OK(buf_append_str(&b, "kbs://"));
	for (int i = 0; i < RESOURCE_URI_MAX_SEGMENTS; i++)
		ASSERT_OK(buf_append_str(&b, "/s"));
	ASSERT_OK(resource_uri_parse(buf_str(&b), &u));
	ASSERT_EQ(u->n_segments, RESOURCE_URI_MAX_SEGMENTS);
	u = resource_uri_free(u);
	ASSERT_OK(buf_append_str(&b, "/s"));
	ASSERT_ERR(resource_uri_parse(buf_str(&b), &u), -E2BIG);

	buf_reset(&b);
	ASSERT_OK(buf_append_str(&b, "kbs:///"));
	while (b.len <= RESOURCE_URI_MAX)
		ASSERT_OK(buf_append_str(&b, "x"));
	ASSERT_ERR(resource_uri_parse(buf_str(&b), &u), -E2BIG);
	ASSERT_ERR(resource_uri_parse(NULL, &u), -EINVAL);
}

TESTS(test_plain, test_host_port_query, test_plugin, test_percent_and_pchars, test_rejects,
      test_limits)
