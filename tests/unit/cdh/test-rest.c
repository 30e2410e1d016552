/* SPDX-License-Identifier: Apache-2.0 */
/* api-server-rest's parser and router (cdh/rest.c) against a fake AA/CDH: upstream's
 * routes, status codes and bodies (router.rs), and what a hostile client can send. */
#include <errno.h>
#include <string.h>

#include "cdh/rest.h"
#include "common/applet.h"
#include "tests/unit/tests.h"

static char last_uri[256], last_type[64], last_text[256];
static uint8_t last_rd[64];
static size_t last_rd_len;
static bool last_additional;
static int fail_with;

static int fake_token(void *ud, const char *type, struct buf *out, struct buf *err)
{
	(void) ud;
	snprintf(last_type, sizeof(last_type), "%s", type);
	if (fail_with)
		return buf_append_str(err, "token refused"), fail_with;
	return buf_append_str(out, "{\"token\":\"t\",\"tee_keypair\":\"k\"}");
}

static int fake_evidence(void *ud, bool additional, const uint8_t *rd, size_t n, struct buf *out,
			 struct buf *err)
{
	(void) ud, (void) err;
	last_additional = additional;
	last_rd_len = MIN(n, sizeof(last_rd));
	memcpy(last_rd, rd, last_rd_len);
	return buf_append_str(out, "{\"evidence\":1}");
}

static int fake_extend(void *ud, const char *domain, const char *operation, const char *content,
		       int *result, struct buf *err)
{
	(void) ud, (void) err;
	snprintf(last_text, sizeof(last_text), "%s %s %s", domain, operation, content);
	*result = fail_with ? -fail_with : 2;
	return 0;
}

static int fake_tee(void *ud, struct buf *tee, struct buf *add, struct buf *err)
{
	(void) ud, (void) err;
	buf_append_str(tee, "tdx");
	return buf_append_str(add, "[\"sampledevice\"]");
}

static int fake_resource(void *ud, const char *uri, struct buf *out, struct buf *err)
{
	(void) ud;
	snprintf(last_uri, sizeof(last_uri), "%s", uri);
	if (fail_with)
		return buf_append_str(err, "resource not found"), fail_with;
	return buf_append_str(out, "secret bytes");
}

static struct rest_backend be = {
	.aa_token = fake_token,
	.aa_evidence = fake_evidence,
	.aa_extend = fake_extend,
	.aa_tee = fake_tee,
	.cdh_resource = fake_resource,
	.aa = true,
	.cdh = true,
	.feature = "all",
};

/* Parses text as one request, routes it, and checks status and body. */
static void expect(const char *text, bool loopback, int status, const char *body)
{
	struct rest_request req;
	struct rest_response resp;
	int r = rest_request_parse((const uint8_t *) text, strlen(text), &req);

	if (r != (int) strlen(text))
		printf("# parse of '%s' gave %d\n", text, r);
	ASSERT_EQ(r, (int) strlen(text));
	rest_response_init(&resp);
	rest_route(&be, &req, loopback, &resp);
	if (resp.status != status || (body && (resp.body.len != strlen(body) ||
					       memcmp(resp.body.data, body, resp.body.len))))
		printf("# %s -> %d '%.*s'\n", text, resp.status, (int) resp.body.len,
		       (const char *) resp.body.data);
	ASSERT_EQ(resp.status, status);
	if (body)
		ASSERT_STREQ(buf_str(&resp.body), body);
	rest_response_done(&resp);
	rest_request_done(&req);
}

static void test_routes(void)
{
	char info[256];

	fail_with = 0;
	snprintf(info, sizeof(info),
		 "{\"version\":\"%s\",\"tee\":\"tdx\",\"additional_tees\":[\"sampledevice\"],"
		 "\"feature\":\"all\"}",
		 cocobox_version);
	expect("GET /info HTTP/1.1\r\nHost: x\r\n\r\n", true, 200, info);
	expect("POST /info HTTP/1.1\r\n\r\n", true, 405, "Method Not Allowed");
	expect("GET /info HTTP/1.1\r\n\r\n", false, 403, "Forbidden");

	expect("GET /aa/token?token_type=kbs HTTP/1.1\r\n\r\n", true, 200,
	       "{\"token\":\"t\",\"tee_keypair\":\"k\"}");
	ASSERT_STREQ(last_type, "kbs");
	expect("GET /aa/token?token_type=coco%5fas HTTP/1.1\r\n\r\n", true, 200, NULL);
	ASSERT_STREQ(last_type, "coco_as");
	expect("GET /aa/token HTTP/1.1\r\n\r\n", true, 400, "BAD REQUEST");
	expect("POST /aa/token?token_type=kbs HTTP/1.1\r\n\r\n", true, 404, "URL NOT FOUND");

	expect("GET /aa/evidence?runtime_data=a+b%21 HTTP/1.1\r\n\r\n", true, 200,
	       "{\"evidence\":1}");
	ASSERT_TRUE(last_rd_len == 4 && !memcmp(last_rd, "a b!", 4) && !last_additional);
	/* encoding=base64 is URL-safe without padding: "-_8" is fb ff fc... */
	expect("GET /aa/additional-evidence?runtime_data=-_8&encoding=base64 HTTP/1.1\r\n\r\n",
	       true, 200, NULL);
	ASSERT_TRUE(last_rd_len == 2 && last_rd[0] == 0xfb && last_rd[1] == 0xff &&
		    last_additional);
	expect("GET /aa/evidence?runtime_data=aGk=&encoding=base64 HTTP/1.1\r\n\r\n", true, 400,
	       "BAD REQUEST");
	expect("GET /aa/evidence?runtime_data=x&encoding=hex HTTP/1.1\r\n\r\n", true, 400,
	       "BAD REQUEST");
	expect("GET /aa/evidence HTTP/1.1\r\n\r\n", true, 400, "BAD REQUEST");

	expect("POST /aa/aael HTTP/1.1\r\nContent-Length: 44\r\n\r\n"
	       "{\"domain\":\"d\",\"operation\":\"o\",\"content\":\"c\"}",
	       true, 200,
	       "{\"success\":\"false\",\"message\": \"Attestation Agent does not enable eventlog "
	       "recording\"}");
	ASSERT_STREQ(last_text, "d o c");
	expect("POST /aa/aael HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"domain\":1}", true, 500,
	       NULL);
	expect("POST /aa/aael HTTP/1.1\r\nContent-Length: 2\r\n\r\nxx", true, 500, NULL);

	expect("GET /cdh/resource/default/key/1 HTTP/1.1\r\n\r\n", true, 200, "secret bytes");
	ASSERT_STREQ(last_uri, "kbs:///default/key/1");
	expect("GET /cdh/resource HTTP/1.1\r\n\r\n", true, 404, "URL NOT FOUND");
	expect("GET /cdh/other/x HTTP/1.1\r\n\r\n", true, 404, "URL NOT FOUND");
	expect("GET /aa HTTP/1.1\r\n\r\n", true, 404, "URL NOT FOUND");
	expect("GET / HTTP/1.1\r\n\r\n", true, 404, "URL NOT FOUND");

	fail_with = -ENOENT;
	expect("GET /cdh/resource/default/key/2 HTTP/1.1\r\n\r\n", true, 500, "resource not found");
	expect("GET /aa/token?token_type=kbs HTTP/1.1\r\n\r\n", true, 500, "token refused");
	fail_with = 0;
}

static void test_features(void)
{
	char info[256];

	be.aa = false;
	expect("GET /aa/token?token_type=kbs HTTP/1.1\r\n\r\n", true, 404,
	       "Attestation Feature Not Enabled");
	be.feature = "resource";
	snprintf(info, sizeof(info), "{\"version\":\"%s\",\"feature\":\"resource\"}",
		 cocobox_version);
	expect("GET /info HTTP/1.1\r\n\r\n", true, 200, info);
	be.aa = true;
	be.cdh = false;
	expect("GET /cdh/resource/a/b/c HTTP/1.1\r\n\r\n", true, 404,
	       "Resource Feature Not Enabled");
	be.cdh = true;
	be.feature = "all";
}

static void test_parser(void)
{
	static const struct {
		const char *text;
		int r;
	} cases[] = {
		{ "GET /info HTTP/1.1\r\nHost: x\r\n", 0 }, /* more to come */
		{ "POST /aa/aael HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 0 },
		{ "GET /info HTTP/2.0\r\n\r\n", -EBADMSG },
		{ "get /info HTTP/1.1\r\n\r\n", -EBADMSG },
		{ "GET info HTTP/1.1\r\n\r\n", -EBADMSG },
		{ "GET /in fo HTTP/1.1\r\n\r\n", -EBADMSG },
		{ "GET /info HTTP/1.1\r\nNo colon\r\n\r\n", -EBADMSG },
		{ "GET /info HTTP/1.1\r\n: empty name\r\n\r\n", -EBADMSG },
		{ "GET /info HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -EBADMSG },
		{ "GET /info HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		  -EBADMSG },
		{ "GET /info HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", -E2BIG },
		{ "GET /info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", -ENOSYS },
		{ "GET /info HTTP/1.1\r\nX: a\x01b\r\n\r\n", -EBADMSG },
	};
	struct rest_request req;
	char big[REST_HEADER_MAX + 64];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r = rest_request_parse((const uint8_t *) cases[i].text, strlen(cases[i].text),
					   &req);

		if (r != cases[i].r)
			printf("# case %zu: %d\n", i, r);
		ASSERT_EQ(r, cases[i].r);
	}
	/* Headers that never end are refused once past the limit. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /info HTTP/1.1\r\nX: ", 23);
	ASSERT_ERR(rest_request_parse((const uint8_t *) big, sizeof(big), &req), -E2BIG);
	/* Query and body are kept. */
	ASSERT_TRUE(rest_request_parse((const uint8_t *) "PUT /p?q=1 HTTP/1.0\r\n"
							 "content-length: 2\r\n\r\nhiEXTRA",
				       49, &req) == 44);
	ASSERT_STREQ(req.method, "PUT");
	ASSERT_STREQ(req.path, "/p");
	ASSERT_STREQ(req.query, "q=1");
	ASSERT_TRUE(req.body_len == 2 && !memcmp(req.body, "hi", 2));
	rest_request_done(&req);
}

static void test_format(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(4096);
	struct rest_response resp;

	rest_response_init(&resp);
	resp.status = 404;
	ASSERT_OK(buf_append_str(&resp.body, "URL NOT FOUND"));
	ASSERT_OK(rest_response_format(&resp, &out));
	ASSERT_STREQ(buf_str(&out), "HTTP/1.1 404 Not Found\r\ncontent-length: 13\r\n"
				    "connection: close\r\n\r\nURL NOT FOUND");
	rest_response_done(&resp);
}

TESTS(test_routes, test_features, test_parser, test_format)
