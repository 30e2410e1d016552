/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/kms/offline-fs: upstream's sample key file, file order and overrides, the extra
 * env list, missing files, malformed files, and the getter seam. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cdh/kms/offline-fs.h"
#include "common/b64.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

static char tmpdir[] = "/tmp/test-offline-fs-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
	static char path[8][256];
	static int k;
	char *p = path[k++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, p, text, strlen(text), 0600));
	return p;
}

static void expect(struct offline_fs *o, const char *uri, const char *want)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;
	_cleanup_secret_ struct secret *s = NULL;

	ASSERT_OK(resource_uri_parse(uri, &u));
	ASSERT_OK(offline_fs_get(o, u, &s));
	ASSERT_EQ(s->n, strlen(want));
	ASSERT_MEMEQ(s->p, want, s->n);
}

static void expect_missing(struct offline_fs *o, const char *uri)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;
	_cleanup_secret_ struct secret *s = NULL;

	ASSERT_OK(resource_uri_parse(uri, &u));
	ASSERT_ERR(offline_fs_get(o, u, &s), -ENOENT);
	ASSERT_TRUE(s == NULL);
}

static void test_upstream_sample(void)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;
	_cleanup_secret_ struct secret *s = NULL;
	_cleanup_(buf_done) struct buf want = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(offline_fs_new(TEST_DATA_DIR "/upstream-offline_fs_kbc-keys.json",
				 "/nonexistent/resources.json", "", &o));
	ASSERT_TRUE(offline_fs_count(o) >= 4);
	ASSERT_OK(b64_decode(B64_STD, "REXwTCcCFObQdE9ZfL0a/iZtucCwBIo36/L0aL5l7UA=", 44, &want));
	ASSERT_OK(resource_uri_parse("kbs:///default/key/key_id1", &u));
	ASSERT_OK(offline_fs_get(o, u, &s));
	ASSERT_EQ(s->n, 32);
	ASSERT_MEMEQ(s->p, want.data, 32);
	/* host and plugin are not part of the name, as upstream */
	secret_free(s);
	s = NULL;
	u = resource_uri_free(u);
	ASSERT_OK(resource_uri_parse("kbs+other://somewhere:1/default/key/key_id1", &u));
	ASSERT_OK(offline_fs_get(o, u, &s));
	ASSERT_MEMEQ(s->p, want.data, 32);
}

static void test_order_and_extra(void)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	_cleanup_free_ char *extra = NULL;
	const char *keys, *res, *e1, *e2;
	struct cdh_kms kms;

	/* "a" "b" "c" */
	keys = write_tmp("keys.json", "{\"default/key/1\":\"YQ==\",\"default/key/2\":\"Yg==\"}");
	res = write_tmp("res.json", "{\"default/key/2\":\"Yw==\",\"r/t/x\":\"\"}");
	e1 = write_tmp("e1.json", "{\"r/t/x\":\"eHl6\"}");
	e2 = write_tmp("e2.json", "{\"deep/er/path/than/three\":\"ZGVlcA==\"}");
	ASSERT_TRUE(asprintf(&extra, "%s,/nonexistent.json,,%s", e1, e2) > 0);

	ASSERT_OK(offline_fs_new(keys, res, extra, &o));
	ASSERT_EQ(offline_fs_count(o), 4);
	expect(o, "kbs:///default/key/1", "a");
	expect(o, "kbs:///default/key/2", "c"); /* a later file wins */
	expect(o, "kbs:///r/t/x", "xyz");
	expect(o, "kbs:///deep/er/path/than/three", "deep");
	expect_missing(o, "kbs:///default/key/3");
	expect_missing(o, "kbs:///default/key");

	kms = offline_fs_kms(o);
	{
		_cleanup_secret_ struct secret *s = NULL;

		ASSERT_OK(cdh_kms_get_resource_str(&kms, "kbs:///default/key/1", &s));
		ASSERT_EQ(s->n, 1);
		ASSERT_ERR(cdh_kms_get_resource_str(&kms, "kbs:///default/../1", &s), -EINVAL);
		ASSERT_ERR(cdh_kms_get_resource_str(&kms, "kbs:///nope/x/y", &s), -ENOENT);
		ASSERT_ERR(cdh_kms_get_resource_str(NULL, "kbs:///default/key/1", &s), -EOPNOTSUPP);
	}
}

static void test_env_extra(void)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	const char *e = write_tmp("env.json", "{\"env/key/1\":\"ZW52\"}");

	ASSERT_OK(setenv(OFFLINE_FS_EXTRA_ENV, e, 1));
	ASSERT_OK(offline_fs_new("/nonexistent/a", "/nonexistent/b", NULL, &o));
	ASSERT_OK(unsetenv(OFFLINE_FS_EXTRA_ENV));
	ASSERT_EQ(offline_fs_count(o), 1);
	expect(o, "kbs:///env/key/1", "env");
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{\"a/b/c\":1}",
		"{\"a/b/c\":null}",
		"{\"a/b/c\":\"not base64!\"}",
		"{\"a/b/c\":\"YQ\"}", /* std needs padding */
		"{\"a/b/c\":\"-_-_\"}",
		"{\"a/b/c\":\"YQ==\",\"a/b/c\":\"Yg==\"}",
		"{\"a/b/c\":\"YQ==\"",
	};
	struct offline_fs *o = NULL;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *p = write_tmp("bad.json", bad[i]);
		int r = offline_fs_new(p, "/nonexistent", "", &o);

		if (r != -EBADMSG)
			FAIL_("'%s' gave %d", bad[i], r);
		ASSERT_TRUE(o == NULL);
	}
	/* a bad file in the extra list is an error too, as upstream */
	ASSERT_ERR(offline_fs_new("/nonexistent", "/nonexistent", write_tmp("x.json", "{"), &o),
		   -EBADMSG);
}

static void setup(void)
{
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
}

static void cleanup(void)
{
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, tmpdir));
}

TESTS(setup, test_upstream_sample, test_order_and_extra, test_env_extra, test_malformed, cleanup)
