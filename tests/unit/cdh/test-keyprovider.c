/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/keyprovider: UnWrapKey requests as Go ocicrypt sends them, with v1 and v2 packets
 * made independently (data/make-fixtures.py), our exact reply shape, the response reader,
 * and each refusal with the side (request parse vs unwrap) it is reported on. */
#include <fcntl.h>
#include <stdio.h>

#include "cdh/keyprovider.h"
#include "cdh/kms/offline-fs.h"
#include "cdh/wrap.h"
#include "common/b64.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

static struct offline_fs *ofs;
static struct cdh_kms kms;

static void setup(void)
{
	/* the python KEKs, plus one 16-byte "KEK" for the length check */
	static char extra[] = "/tmp/test-cdh-kp-XXXXXX";
	const char *text = "{\"default/kek/short\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
			   "\"default/kek/zero\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}";
	int fd = mkstemp(extra);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	ASSERT_OK(offline_fs_new(TEST_DATA_DIR "/py-offline-fs.json", "/nonexistent", extra, &ofs));
	ASSERT_OK(unlink(extra));
	kms = offline_fs_kms(ofs);
}

static void cleanup(void)
{
	ofs = offline_fs_free(ofs);
}

static int unwrap(const char *req, struct secret **ret, bool *parse_failed, struct cdh_error *err)
{
	return cdh_keyprovider_unwrap_key(&kms, req, strlen(req), ret, parse_failed, err);
}

static void test_python_requests(void)
{
	_cleanup_(buf_done) struct buf want = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/py-optsdata.json", &want));
	for (int v = 1; v <= 2; v++) {
		_cleanup_(buf_done) struct buf req = BUF_INIT(BUF_UNLIMITED);
		_cleanup_secret_ struct secret *resp = NULL, *opts = NULL;
		struct cdh_error err = {};
		bool pf = true;
		char path[256];
		int r;

		snprintf(path, sizeof(path), "%s/py-unwrap-v%d.json", TEST_DATA_DIR, v);
		ASSERT_OK(fs_read_file(AT_FDCWD, path, &req));
		r = cdh_keyprovider_unwrap_key(&kms, req.data, req.len, &resp, &pf, &err);
		if (r < 0)
			FAIL_("v%d: %d %s", v, r, err.message);
		ASSERT_TRUE(!pf);
		ASSERT_TRUE(
		    startswith((const char *) resp->p, "{\"keyunwrapresults\":{\"optsdata\":["));
		ASSERT_OK(cdh_keyprovider_parse_unwrap_response(resp->p, resp->n, &opts));
		ASSERT_EQ(opts->n, want.len);
		ASSERT_MEMEQ(opts->p, want.data, want.len);
	}
}

/* Builds a request around packet JSON text. */
static void request_for(const char *packet, struct buf *req)
{
	_cleanup_(buf_done) struct buf b64 = BUF_INIT(BUF_UNLIMITED);

	buf_reset(req);
	ASSERT_OK(b64_encode(B64_STD, packet, strlen(packet), &b64));
	ASSERT_OK(cdh_keyprovider_unwrap_request(buf_str(&b64), req));
}

static void test_reply_shape(void)
{
	static const uint8_t key[32] = {}, iv[12] = { 1, 2, 3 };
	_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED), ivb = BUF_INIT(BUF_UNLIMITED),
				       ctb = BUF_INIT(BUF_UNLIMITED),
				       packet = BUF_INIT(BUF_UNLIMITED),
				       req = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *resp = NULL;
	const uint8_t opts[] = { 0, 1, 127, 128, 255 };

	ASSERT_OK(wrap_encrypt(WRAP_A256GCM, key, 32, iv, 12, opts, sizeof(opts), &ct));
	ASSERT_OK(b64_encode(B64_STD, iv, 12, &ivb));
	ASSERT_OK(b64_encode(B64_STD, ct.data, ct.len, &ctb));
	ASSERT_OK(buf_appendf(&packet,
			      "{\"kid\":\"kbs:///default/kek/zero\",\"wrapped_data\":\"%s\","
			      "\"iv\":\"%s\",\"wrap_type\":\"A256GCM\"}",
			      buf_str(&ctb), buf_str(&ivb)));
	request_for(buf_str(&packet), &req);
	ASSERT_TRUE(startswith(buf_str(&req),
			       "{\"op\":\"keyunwrap\",\"keywrapparams\":{\"ec\":null,"
			       "\"optsdata\":null},\"keyunwrapparams\":{\"dc\":"));
	ASSERT_OK(unwrap(buf_str(&req), &resp, NULL, NULL));
	ASSERT_STREQ((const char *) resp->p,
		     "{\"keyunwrapresults\":{\"optsdata\":[0,1,127,128,255]}}");
	ASSERT_EQ(resp->n, strlen((const char *) resp->p));
}

static void expect(const char *req, int want, bool want_parse_failed, const char *in_message)
{
	_cleanup_secret_ struct secret *resp = NULL;
	struct cdh_error err = {};
	bool pf = !want_parse_failed;
	int r = unwrap(req, &resp, &pf, &err);

	if (r != want)
		FAIL_("expected %d, got %d (%s) for %s", want, r, err.message, req);
	ASSERT_TRUE(resp == NULL);
	ASSERT_EQ(pf, want_parse_failed);
	if (in_message && !strstr(err.message, in_message))
		FAIL_("'%s' not in '%s'", in_message, err.message);
}

static void test_bad_requests(void)
{
	static const char *const bad[] = {
		"",
		"nope",
		"[]",
		"{}",
		"{\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":\"e30=\"}}",
		"{\"op\":1,\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keyunwrapparams\":{\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":null,\"keyunwrapparams\":{\"annotation\":"
		"\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":"
		"null}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":5}"
		"}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":"
		"\"e30\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":"
		"\"e3-=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{\"ec\":5},\"keyunwrapparams\":{"
		"\"annotation\":"
		"\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{\"ec\":{\"Parameters\":{}}},"
		"\"keyunwrapparams\":{\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{\"optsdata\":[1]},\"keyunwrapparams\":"
		"{\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"dc\":{},"
		"\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"dc\":{"
		"\"Parameters\":"
		"{\"a\":\"b\"}},\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"dc\":{"
		"\"Parameters\":"
		"{\"a\":[1]}},\"annotation\":\"e30=\"}}",
		"{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{\"annotation\":"
		"\"e30=\"},"
		"\"op\":\"x\"}",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		expect(bad[i], -EBADMSG, true, NULL);
	expect("{\"op\":\"keyunwrap\",\"keywrapparams\":{},\"keyunwrapparams\":{}}", -EBADMSG, true,
	       "no AnnotationPacket");
	/* The request layer is fine with a full ec and any op (upstream does not look). */
	expect("{\"op\":\"keywrap\",\"keywrapparams\":{\"ec\":{\"Parameters\":{\"x\":[\"eA==\"]},"
	       "\"DecryptConfig\":{\"Parameters\":{}}},\"optsdata\":\"x\"},\"keyunwrapparams\":{"
	       "\"dc\":null,\"annotation\":\"e30=\"}}",
	       -EBADMSG, false, "kid");
}

static void test_bad_packets(void)
{
	static const struct {
		const char *packet;
		int err;
		const char *msg;
	} cases[] = {
		{ "not json", -EBADMSG, "JSON" },
		{ "[1]", -EBADMSG, "JSON" },
		{ "{\"wrapped_data\":\"AAAA\"}", -EBADMSG, "kid" },
		{ "{\"kid\":\"kbs:///default/kek/0\"}", -EBADMSG, "wrapped_data" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\"}",
		  -EBADMSG, "WrapType" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"wrap_type\":"
		  "\"A256GCM\"}",
		  -EBADMSG, "iv" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":1,"
		  "\"wrap_type\":\"A256GCM\"}",
		  -EBADMSG, "iv" },
		{ "{\"version\":\"0.2.0\",\"kid\":\"kbs:///default/kek/"
		  "0\",\"wrapped_data\":\"AAAA\","
		  "\"iv\":\"AAAA\",\"wrap_type\":\"A256GCM\"}",
		  -EPROTONOSUPPORT, "0.2.0" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\","
		  "\"wrap_type\":\"A128GCM\"}",
		  -EOPNOTSUPP, "A128GCM" },
		{ "{\"kid\":\"default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\","
		  "\"wrap_type\":\"A256GCM\"}",
		  -EINVAL, "ResourceUri" },
		{ "{\"kid\":\"kbs:///default/kek/9\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\","
		  "\"wrap_type\":\"A256GCM\"}",
		  -ENOENT, "KEK" },
		{ "{\"kid\":\"kbs:///default/kek/"
		  "short\",\"wrapped_data\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		  "\"iv\":\"AAAAAAAAAAAAAAAA\",\"wrap_type\":\"A256GCM\"}",
		  -ENOKEY, NULL },
		{ "{\"kid\":\"kbs:///default/kek/"
		  "zero\",\"wrapped_data\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		  "\"iv\":\"AAAA\",\"wrap_type\":\"A256GCM\"}",
		  -EBADMSG, NULL },
		/* wrong KEK: the tag does not match */
		{ "{\"kid\":\"kbs:///default/kek/"
		  "zero\",\"wrapped_data\":\"AAAAAAAAAAAAAAAAAAAAAA==\","
		  "\"iv\":\"AAAAAAAAAAAAAAAA\",\"wrap_type\":\"A256GCM\"}",
		  -EKEYREJECTED, NULL },
		{ "{\"kid\":\"kbs:///default/kek/"
		  "zero\",\"wrapped_data\":\"AA\",\"iv\":\"AAAAAAAAAAAAAAAA\","
		  "\"wrap_type\":\"A256GCM\"}",
		  -EBADMSG, "wrapped_data" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\","
		  "\"wrap_type\":\"A256GCM\",\"provider_settings\":null}",
		  -EBADMSG, "provider_settings" },
		{ "{\"kid\":\"kbs:///default/kek/0\",\"wrapped_data\":\"AAAA\",\"iv\":\"AAAA\","
		  "\"wrap_type\":\"A256GCM\",\"annotations\":[]}",
		  -EBADMSG, "annotations" },
		{ "{\"kid\":\"alias/key\",\"wrapped_data\":\"AAAA\",\"provider\":\"aliyun\"}",
		  -EOPNOTSUPP, "aliyun" },
		/* provider names are matched exactly, as upstream's match */
		{ "{\"kid\":\"kbs:///default/kek/"
		  "0\",\"wrapped_data\":\"AAAA\",\"provider\":\"KBS\"}",
		  -EOPNOTSUPP, "KBS" },
	};
	_cleanup_(buf_done) struct buf req = BUF_INIT(BUF_UNLIMITED),
				       upstream = BUF_INIT(BUF_UNLIMITED);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		request_for(cases[i].packet, &req);
		expect(buf_str(&req), cases[i].err, false, cases[i].msg);
	}
	/* upstream's own v1 format sample: its kid "kbs:///kbs:///default/key/1" has an empty
	 * segment, which our stricter URI parser refuses */
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/upstream-annotation-v1.json", &upstream));
	request_for(buf_str(&upstream), &req);
	expect(buf_str(&req), -EINVAL, false, "kbs:///kbs:///default/key/1");
}

static void test_parse_response(void)
{
	static const char *const bad[] = {
		"{}",
		"{\"keyunwrapresults\":{}}",
		"{\"keyunwrapresults\":{\"optsdata\":null}}",
		"{\"keyunwrapresults\":{\"optsdata\":[256]}}",
		"{\"keyunwrapresults\":{\"optsdata\":[-1]}}",
		"{\"keyunwrapresults\":{\"optsdata\":[1.5]}}",
		"{\"keyunwrapresults\":{\"optsdata\":[\"1\"]}}",
		"{\"keyunwrapresults\":{\"optsdata\":\"AQ\"}}",
		"{\"keyunwrapresults\":{\"optsdata\":{}}}",
		"[]",
	};
	_cleanup_secret_ struct secret *a = NULL, *b = NULL;
	struct secret *s = NULL;

	ASSERT_OK(cdh_keyprovider_parse_unwrap_response(
	    "{\"keyunwrapresults\":{\"optsdata\":[1,2,255]}}", 43, &a));
	ASSERT_EQ(a->n, 3);
	ASSERT_MEMEQ(a->p, "\x01\x02\xff", 3);
	/* Go's []byte form */
	ASSERT_OK(cdh_keyprovider_parse_unwrap_response(
	    "{\"keyunwrapresults\":{\"optsdata\":\"AQL/\"}}", 40, &b));
	ASSERT_EQ(b->n, 3);
	ASSERT_MEMEQ(b->p, a->p, 3);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = cdh_keyprovider_parse_unwrap_response(bad[i], strlen(bad[i]), &s);

		if (r != -EBADMSG)
			FAIL_("'%s' gave %d", bad[i], r);
		ASSERT_TRUE(s == NULL);
	}
}

TESTS(setup, test_python_requests, test_reply_shape, test_bad_requests, test_bad_packets,
      test_parse_response, cleanup)
