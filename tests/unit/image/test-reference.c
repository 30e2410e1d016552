/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/reference: upstream's OCI-CLIENT src/reference.rs test tables (good and bad
 * references, resolve_registry), plus our own edge cases of the grammar. */
#include "image-rs/reference.h"
#include "tests/unit/tests.h"

#define F64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define F128 F64 F64

static void check_good(const char *in, const char *reg, const char *repo, const char *tag,
		       const char *digest, const char *whole)
{
	_cleanup_(reference_freep) struct reference *r = NULL;
	const char *reason = "x";

	printf("# %s\n", in);
	ASSERT_OK(reference_parse(in, &r, &reason));
	ASSERT_TRUE(reason == NULL);
	ASSERT_STREQ(reference_registry(r), reg);
	ASSERT_STREQ(reference_repository(r), repo);
	if (tag)
		ASSERT_STREQ(r->tag, tag);
	else
		ASSERT_TRUE(r->tag == NULL);
	if (digest)
		ASSERT_STREQ(r->digest, digest);
	else
		ASSERT_TRUE(r->digest == NULL);
	ASSERT_STREQ(reference_whole(r), whole);
}

static void test_upstream_good(void)
{
	/* rust-oci-client src/reference.rs parse_good_reference */
	check_good("busybox", "docker.io", "library/busybox", "latest", NULL,
		   "docker.io/library/busybox:latest");
	check_good("test.com:tag", "docker.io", "library/test.com", "tag", NULL,
		   "docker.io/library/test.com:tag");
	check_good("test.com:5000", "docker.io", "library/test.com", "5000", NULL,
		   "docker.io/library/test.com:5000");
	check_good("test.com/repo:tag", "test.com", "repo", "tag", NULL, "test.com/repo:tag");
	check_good("test:5000/repo", "test:5000", "repo", "latest", NULL, "test:5000/repo:latest");
	check_good("test:5000/repo:tag", "test:5000", "repo", "tag", NULL, "test:5000/repo:tag");
	check_good("test:5000/repo@sha256:" F64, "test:5000", "repo", NULL, "sha256:" F64,
		   "test:5000/repo@sha256:" F64);
	check_good("test:5000/repo:tag@sha256:" F64, "test:5000", "repo", "tag", "sha256:" F64,
		   "test:5000/repo:tag@sha256:" F64);
	check_good("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", NULL,
		   "docker.io/library/lowercase:Uppercase");
	check_good("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest",
		   NULL, "sub-dom1.foo.com/bar/baz/quux:latest");
	check_good("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com",
		   "bar/baz/quux", "some-long-tag", NULL,
		   "sub-dom1.foo.com/bar/baz/quux:some-long-tag");
	check_good("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
		   "test.example.com/my-app", "test.example.com", NULL,
		   "b.gcr.io/test.example.com/my-app:test.example.com");
	check_good("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", NULL,
		   "xn--n3h.com/myimage:xn--n3h.com");
	check_good("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F128, "xn--7o8h.com", "myimage",
		   "xn--7o8h.com", "sha512:" F128,
		   "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F128);
	check_good("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", NULL,
		   "docker.io/library/foo_bar.com:8080");
	check_good("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", NULL,
		   "docker.io/foo/foo_bar.com:8080");
	check_good("opensuse/leap:15.3", "docker.io", "opensuse/leap", "15.3", NULL,
		   "docker.io/opensuse/leap:15.3");
}

static void test_normalisation(void)
{
	check_good("index.docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
		   "docker.io/library/busybox:latest");
	check_good("docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
		   "docker.io/library/busybox:1.36");
	check_good("localhost/foo", "localhost", "foo", "latest", NULL, "localhost/foo:latest");
	check_good("localhost:5000/a/b__c--d.e", "localhost:5000", "a/b__c--d.e", "latest", NULL,
		   "localhost:5000/a/b__c--d.e:latest");
	check_good("127.0.0.1:5000/test/plain:v1", "127.0.0.1:5000", "test/plain", "v1", NULL,
		   "127.0.0.1:5000/test/plain:v1");
	check_good("quay.io/kata-containers/confidential-containers:signed", "quay.io",
		   "kata-containers/confidential-containers", "signed", NULL,
		   "quay.io/kata-containers/confidential-containers:signed");
	check_good("Registry.Example.COM/x", "Registry.Example.COM", "x", "latest", NULL,
		   "Registry.Example.COM/x:latest");
	check_good("busybox@sha384:" F64 "ffffffffffffffffffffffffffffffff", "docker.io",
		   "library/busybox", NULL, "sha384:" F64 "ffffffffffffffffffffffffffffffff",
		   "docker.io/library/busybox@sha384:" F64 "ffffffffffffffffffffffffffffffff");
}

static void check_bad(const char *in, int err, const char *why)
{
	struct reference *r = NULL;
	const char *reason = NULL;

	printf("# bad: %.60s\n", in);
	ASSERT_ERR(reference_parse(in, &r, &reason), err);
	ASSERT_TRUE(r == NULL);
	if (why)
		ASSERT_STREQ(reason, why);
}

static void test_upstream_bad(void)
{
	char longname[300];

	check_bad("", -EINVAL, "repository name must have at least one component");
	check_bad(":justtag", -EINVAL, "invalid reference format");
	check_bad("@sha256:" F64, -EINVAL, "invalid reference format");
	check_bad("repo@sha256:ffffffffffffffffffffffffffffffffff", -EINVAL,
		  "invalid checksum digest length");
	check_bad("validname@invaliddigest:" F64, -EOPNOTSUPP, "unsupported digest algorithm");
	check_bad("Uppercase:tag", -EINVAL, "invalid reference format");
	check_bad("test:5000/Uppercase/lowercase:tag", -EINVAL, "invalid reference format");
	memset(longname, 'a', 256);
	longname[256] = 0;
	check_bad(longname, -E2BIG, "repository name must not be more than 255 characters");
	check_bad("aa/asdf$$^/aa", -EINVAL, "invalid reference format");
	/* upstream accepts this one (its FIXME); we do not */
	check_bad("Uppercase/lowercase:tag", -EINVAL, "repository name must be lowercase");
}

static void test_more_bad(void)
{
	static const char *const bad[] = {
		"a:",
		"a@",
		"a/",
		"/a",
		"a//b",
		"a/b/",
		"a..b",
		"a.-b",
		"-a",
		"a-",
		"a___b",
		"a:-tag",
		"a:.tag",
		"a:t@g",
		"a:tag with space",
		"host:port/x",
		"host:/x",
		"-host.com/x",
		"host-.com/x",
		"ho_st.com/x",
		"a@sha256:" F64 "0",
		"a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		"a@sha256:"
		"gfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"a@sha256",
		"a@:" F64,
		"a@sha-:" F64,
		"a@1sha:" F64,
		"a@sha256:fff",
		"a b",
		"a\tb",
		"a/b:tag:tag",
		"a:tag/b",
		"a:\xc3\xa9",
	};
	char tag[200];
	char longtag[140];

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		check_bad(bad[i], -EINVAL, NULL);

	/* 128 tag characters are fine, 129 are not */
	memset(longtag, 'a', sizeof(longtag));
	longtag[0] = 'x';
	longtag[1] = ':';
	longtag[2 + 128] = 0;
	{
		_cleanup_(reference_freep) struct reference *r = NULL;

		ASSERT_OK(reference_parse(longtag, &r, NULL));
		ASSERT_EQ(strlen(r->tag), 128);
	}
	longtag[2 + 128] = 'a';
	longtag[2 + 129] = 0;
	check_bad(longtag, -EINVAL, NULL);
	(void) tag;

	/* 255 repository characters after "library/" normalisation */
	{
		char n[300];
		_cleanup_(reference_freep) struct reference *r = NULL;

		memset(n, 'b', sizeof(n));
		n[247] = 0; /* library/ + 247 = 255 */
		ASSERT_OK(reference_parse(n, &r, NULL));
		ASSERT_EQ(strlen(r->repository), 255);
		n[247] = 'b';
		n[248] = 0;
		check_bad(n, -E2BIG, NULL);
	}
	{
		char *huge = malloc(REFERENCE_INPUT_MAX + 2);

		ASSERT_TRUE(huge);
		memset(huge, 'a', REFERENCE_INPUT_MAX + 1);
		huge[REFERENCE_INPUT_MAX + 1] = 0;
		check_bad(huge, -E2BIG, NULL);
		free(huge);
	}
}

static void test_accessors(void)
{
	_cleanup_(reference_freep) struct reference *r = NULL, *d = NULL, *n = NULL;

	ASSERT_OK(reference_parse("busybox", &r, NULL));
	ASSERT_STREQ(reference_resolve_registry(r), "index.docker.io");
	ASSERT_STREQ(reference_manifest_ref(r), "latest");
	reference_free(r);
	ASSERT_OK(reference_parse("test:5000/repo:tag@sha256:" F64, &r, NULL));
	ASSERT_STREQ(reference_resolve_registry(r), "test:5000");
	ASSERT_STREQ(reference_manifest_ref(r), "sha256:" F64);
	d = reference_dup(r);
	ASSERT_TRUE(d);
	ASSERT_STREQ(reference_whole(d), "test:5000/repo:tag@sha256:" F64);

	ASSERT_OK(reference_new("example1.com", "foo/bar", "tag", NULL, &n));
	ASSERT_STREQ(reference_whole(n), "example1.com/foo/bar:tag");
	ASSERT_ERR(reference_new("example1.com", "Foo", "tag", NULL, &n), -EINVAL);
	ASSERT_ERR(reference_new("bad_host", "foo", "tag", NULL, &n), -EINVAL);
	ASSERT_ERR(reference_new("host", "foo", NULL, NULL, &n), -EINVAL);
	ASSERT_ERR(reference_new("host", "foo", NULL, "md5:" F64, &n), -EOPNOTSUPP);
}

TESTS(test_upstream_good, test_normalisation, test_upstream_bad, test_more_bad, test_accessors)
