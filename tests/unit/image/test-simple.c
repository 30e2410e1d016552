/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/signature/simple.c: the registries.d YAML subset (accepted and refused
 * documents), merging as upstream's update_self(), base URL lookup (upstream sigstore.rs
 * cases), and simple_check() over an in-memory lookaside holding gpg signatures from
 * data/. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "image-rs/reference.h"
#include "image-rs/signature/simple.h"
#include "tests/unit/tests.h"

static struct simple_config *parse_ok(const char *y)
{
	struct simple_config *c = NULL;
	int r = simple_config_parse(y, strlen(y), &c);

	if (r < 0)
		FAIL_("YAML refused (%d):\n%s", r, y);
	return c;
}

static const char *base_for(const struct simple_config *c, const char *ref)
{
	static char out[256];
	struct reference *r = NULL;
	struct sig_image img = { .manifest_digest = "sha256:x" };
	const char *u;

	ASSERT_OK(reference_parse(ref, &r, NULL));
	ASSERT_OK(policy_image_from_reference(r, &img));
	u = simple_config_base_url(c, &img);
	snprintf(out, sizeof(out), "%s", u ? u : "(none)");
	r = reference_free(r);
	return out;
}

static void test_yaml_accepted(void)
{
	static const struct {
		const char *yaml, *ref, *want;
	} t[] = {
		{ "default-docker:\n  sigstore: file:///var/lib/containers/sigstore\n", "a.io/b:c",
		  "file:///var/lib/containers/sigstore" },
		{ "---\n# comment\ndefault-docker:   # trailing\n    lookaside: \"file:///x y\"\n",
		  "a.io/b:c", "file:///x y" },
		{ "docker:\n  example1.com/mylib:\n    sigstore: "
		  "file:///var/lib/containers/sigstore\n"
		  "default-docker:\n  sigstore: file:///default/sigstore\n",
		  "example1.com/mylib/busybox:latest", "file:///var/lib/containers/sigstore" },
		{ "docker:\n  example1.com/mylib:\n    sigstore: "
		  "file:///var/lib/containers/sigstore\n"
		  "default-docker:\n  sigstore: file:///default/sigstore\n",
		  "example3.com/mylib/busybox:latest", "file:///default/sigstore" },
		{ "docker:\n  'a.io/x:1': {sigstore: 'file:///it''s'}\n  a.io: {sigstore: "
		  "file:///reg}\n",
		  "a.io/x:1", "file:///it's" },
		{ "docker:\n  'a.io/x:1': {sigstore: 'file:///it''s'}\n  a.io: {sigstore: "
		  "file:///reg}\n",
		  "a.io/x:2", "file:///reg" },
		{ "docker:\n  \"*.io\":\n    lookaside: \"http://h:1/p\\\\q\"\n", "b.a.io/x:1",
		  "http://h:1/p\\q" },
		/* skopeo's writer keys are accepted and ignored; unknown keys too */
		{ "default-docker:\n  lookaside-staging: file:///s\n  lookaside: "
		  "http://127.0.0.1:8099\n"
		  "  use-sigstore-attachments: true\nother:\n  deep:\n    x: 1\n",
		  "a.io/b:c", "http://127.0.0.1:8099" },
		{ "default-docker: {sigstore: file:///it's} # it's a comment\n", "a.io/b:c",
		  "file:///it's" },
		{ "default-docker:\n  sigstore: \"file:///a\\\"#b\" # c\n", "a.io/b:c",
		  "file:///a\"#b" },
		{ "", "a.io/b:c", "(none)" },
		{ "# only a comment\n\n", "a.io/b:c", "(none)" },
		{ "default-docker:\ndocker:\n", "a.io/b:c", "(none)" },
		{ "docker: {}\ndefault-docker: {sigstore: file:///d}\r\n", "a.io/b:c",
		  "file:///d" },
		{ "  default-docker:\n    sigstore: file:///i\n", "a.io/b:c", "file:///i" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(simple_config_freep) struct simple_config *c = parse_ok(t[i].yaml);
		const char *got = base_for(c, t[i].ref);

		if (!streq(got, t[i].want))
			FAIL_("case %zu: '%s', want '%s'", i, got, t[i].want);
	}
}

static void test_yaml_refused(void)
{
	static const char *bad[] = {
		"default-docker:\n\tsigstore: file:///x\n",          /* tab indentation */
		"default-docker:\n  sigstore: file:///x\n   x: y\n", /* bad indentation */
		"default-docker:\n  - sigstore: file:///x\n",        /* sequence */
		"default-docker: [a]\n",                             /* flow sequence */
		"default-docker: &a\n  sigstore: x\n",               /* anchor */
		"default-docker: !tag\n",                            /* tag */
		"default-docker: |\n  x\n",                          /* block scalar */
		"default-docker:\n  sigstore: file:///x\n  sigstore: file:///y\n", /* duplicate */
		"default-docker:\n  sigstore: file:///x\ndefault-docker:\n  sigstore: file:///x\n",
		"default-docker:\n  lookaside: a\n  sigstore: b\n",  /* both */
		"default-docker:\n  lookaside-staging: file:///s\n", /* no read URL */
		"default-docker: file:///x\n",                       /* scalar entry */
		"docker:\n  a.io: file:///x\n",
		"docker: x\n",
		"default-docker:\n  sigstore: \"unterminated\n",
		"default-docker:\n  sigstore: \"bad \\q escape\"\n",
		"default-docker: {sigstore: a\n",
		"default-docker: {sigstore: a}, x\n",
		"default-docker: {sigstore: a b: c}\n",
		"key without colon\n",
		"a: b: c\n",
		"a: b\n  c: d\n",         /* content under a scalar */
		"---\na: b\n---\nc: d\n", /* two documents */
		"default-docker:\n  sigstore:\n    nested: map\n",
		"default-docker:\n  sigstore: \"\"\n",
		"a: \x01\n",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct simple_config *c = NULL;
		int r = simple_config_parse(bad[i], strlen(bad[i]), &c);

		if (r != -EBADMSG)
			FAIL_("case %zu accepted (%d):\n%s", i, r, bad[i]);
	}
	{
		struct simple_config *c = NULL;
		char nul[] = "a: b\0c";

		ASSERT_ERR(simple_config_parse(nul, sizeof(nul) - 1, &c), -EBADMSG);
	}
}

static void test_merge(void)
{
	_cleanup_(simple_config_freep) struct simple_config *a = parse_ok(
	    "docker:\n  a.io: {sigstore: file:///a}\n");
	_cleanup_(simple_config_freep) struct simple_config *b = parse_ok(
	    "default-docker: {sigstore: file:///d}\ndocker:\n  a.io: {sigstore: file:///a}\n  "
	    "b.io: {sigstore: file:///b}\n");
	_cleanup_(simple_config_freep) struct simple_config *c = parse_ok(
	    "default-docker: {sigstore: file:///other}\n");
	_cleanup_(simple_config_freep) struct simple_config *d = parse_ok(
	    "docker:\n  b.io: {sigstore: file:///changed}\n");

	ASSERT_OK(simple_config_merge(a, b));
	ASSERT_STREQ(base_for(a, "a.io/x:1"), "file:///a");
	ASSERT_STREQ(base_for(a, "b.io/x:1"), "file:///b");
	ASSERT_STREQ(base_for(a, "c.io/x:1"), "file:///d");
	/* The same content again is fine; conflicts leave a unchanged. */
	ASSERT_OK(simple_config_merge(a, b));
	ASSERT_ERR(simple_config_merge(a, c), -EBADMSG);
	ASSERT_ERR(simple_config_merge(a, d), -EBADMSG);
	ASSERT_STREQ(base_for(a, "b.io/x:1"), "file:///b");
	ASSERT_STREQ(base_for(a, "c.io/x:1"), "file:///d");
}

/* ---- simple_check over an in-memory lookaside ---- */

#define DIGEST "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

static void load(const char *name, struct buf *b)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	*b = BUF_INIT(1 << 20);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(buf_read_fd(b, fd));
	close(fd);
}

struct store {
	const char *dir;     /* what the lookaside must be asked for */
	const char *sigs[3]; /* data/ files served as signature-1.. */
	unsigned asked;
};

static int store_fetch(void *ud, const char *uri, struct buf *out)
{
	struct store *s = ud;
	char want[512];

	for (unsigned i = 0; i < ELEMENTSOF(s->sigs); i++) {
		snprintf(want, sizeof(want), "%s/signature-%u", s->dir, i + 1);
		if (!streq(uri, want))
			continue;
		s->asked = i + 1;
		if (!s->sigs[i])
			return -ENOENT;
		{
			_cleanup_(buf_done) struct buf b = {};

			load(s->sigs[i], &b);
			return buf_append(out, b.data, b.len);
		}
	}
	FAIL_("unexpected URI '%s'", uri);
	return -EIO;
}

static int run(const char *ref, const char *digest, const char *keyring, struct store *st,
	       const struct policy_identity *id, struct buf *why)
{
	_cleanup_(simple_config_freep) struct simple_config *c = parse_ok(
	    "default-docker:\n  sigstore: file:///sigs/\n");
	_cleanup_(reference_freep) struct reference *r = NULL;
	_cleanup_(buf_done) struct buf k = {};
	struct sig_image img = {};
	struct sig_env env = { .fetch = store_fetch, .ud = st, .sigstore = c, .now = 1700000000 };

	ASSERT_OK(reference_parse(ref, &r, NULL));
	ASSERT_OK(policy_image_from_reference(r, &img));
	img.manifest_digest = digest;
	load(keyring, &k);
	return simple_check(&img, k.data, k.len, id, &env, why);
}

static void test_check(void)
{
	static const struct policy_identity repo = { POLICY_ID_MATCH_REPOSITORY };
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	const char *dir =
	    "file:///sigs/test/"
	    "img@sha256=2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
	struct store s;

	s = (struct store){ dir, { "rsa2048.sig" } };
	ASSERT_OK(run("quay.io/test/img:v1", DIGEST, "rsa2048.gpg", &s, NULL, &why));
	ASSERT_EQ(s.asked, 1);
	/* any one good signature among bad ones */
	s = (struct store){ dir, { "ed25519.sig", "payload.json", "nistp256-plain.sig" } };
	ASSERT_OK(run("quay.io/test/img:v1", DIGEST, "nistp256.asc", &s, NULL, &why));
	ASSERT_EQ(s.asked, 3);
	/* none good: every reason is reported */
	s = (struct store){ dir, { "ed25519.sig", "payload.json" } };
	ASSERT_ERR(run("quay.io/test/img:v1", DIGEST, "nistp256.gpg", &s, NULL, &why), -EBADMSG);
	ASSERT_TRUE(strstr(buf_str(&why), "signature-1: no key of the keyring verifies"));
	ASSERT_TRUE(strstr(buf_str(&why), "signature-2: it is not a valid OpenPGP"));
	/* none at all */
	s = (struct store){ dir, {} };
	ASSERT_ERR(run("quay.io/test/img:v1", DIGEST, "rsa2048.gpg", &s, NULL, &why), -ENOENT);
	/* the default rule is matchRepoDigestOrExact: another tag fails, a digest ref passes */
	s = (struct store){ dir, { "rsa2048.sig" } };
	ASSERT_ERR(run("quay.io/test/img:v2", DIGEST, "rsa2048.gpg", &s, NULL, &why),
		   -EKEYREJECTED);
	ASSERT_TRUE(strstr(buf_str(&why), "Match reference failed"));
	ASSERT_OK(run("quay.io/test/img@" DIGEST, DIGEST, "rsa2048.gpg", &s, NULL, &why));
	ASSERT_OK(run("quay.io/test/img:v2", DIGEST, "rsa2048.gpg", &s, &repo, &why));
	/* another digest: another directory, nothing there */
	s = (struct store){
		"file:///sigs/test/"
		"img@sha256=0000000000000000000000000000000000000000000000000000000000000000",
		{ NULL }
	};
	ASSERT_ERR(run("quay.io/test/img:v1",
		       "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		       "rsa2048.gpg", &s, NULL, &why),
		   -ENOENT);
}

/* The registry signature extension's list: version 2 "atomic" entries decoded, others
 * skipped, malformed documents refused, at most SIMPLE_MAX_SIGNATURES kept. */
static void test_extension(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"signatures\":{}}",
		"{\"signatures\":[7]}",
		"{\"signatures\":[{\"type\":\"atomic\",\"content\":\"AA==\"}]}",
		"{\"signatures\":[{\"version\":\"2\",\"type\":\"atomic\",\"content\":\"AA==\"}]}",
		"{\"signatures\":[{\"version\":2,\"type\":\"atomic\",\"content\":\"*\"}]}",
		"{\"signatures\":[{\"version\":2,\"type\":\"atomic\",\"content\":7}]}",
	};
	static const char ok[] =
	    "{\"signatures\":[{\"version\":1,\"type\":\"atomic\",\"content\":\"AA==\"},"
	    "{\"version\":2,\"type\":\"x\",\"content\":\"AA==\"},"
	    "{\"version\":2,\"type\":\"atomic\",\"name\":\"n\",\"content\":\"aGVsbG8=\"},"
	    "{\"version\":2,\"type\":\"atomic\",\"content\":\"\"}]}";
	_cleanup_(buf_done) struct buf many = BUF_INIT(BUF_UNLIMITED);
	struct buf *list = NULL;
	size_t n = 0;

	ASSERT_OK(simple_extension_parse(ok, strlen(ok), &list, &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(list[0].len, 5);
	ASSERT_TRUE(memcmp(list[0].data, "hello", 5) == 0);
	ASSERT_EQ(list[1].len, 0);
	simple_signatures_free(list, n);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (simple_extension_parse(bad[i], strlen(bad[i]), &list, &n) != -EBADMSG)
			FAIL_("extension document %zu accepted", i);
	ASSERT_OK(buf_append_str(&many, "{\"signatures\":["));
	for (int i = 0; i < SIMPLE_MAX_SIGNATURES + 5; i++)
		ASSERT_OK(buf_appendf(&many,
				      "%s{\"version\":2,\"type\":\"atomic\",\"content\":\"AA==\"}",
				      i ? "," : ""));
	ASSERT_OK(buf_append_str(&many, "]}"));
	ASSERT_OK(simple_extension_parse(many.data, many.len, &list, &n));
	ASSERT_EQ(n, SIMPLE_MAX_SIGNATURES);
	simple_signatures_free(list, n);
}

TESTS(test_yaml_accepted, test_yaml_refused, test_merge, test_check, test_extension)
