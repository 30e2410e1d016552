/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/signature/policy.c: scope lists and lookup order,
 * signedIdentity tables (upstream ref_match.rs and image/mod.rs test cases plus our own),
 * payload checks, policy parsing and evaluation of accept/reject rules. */
#include <errno.h>

#include "image-rs/reference.h"
#include "image-rs/signature/policy.h"
#include "tests/unit/tests.h"

#define H64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void image_of(const char *ref, struct reference **r, struct sig_image *img)
{
	ASSERT_OK(reference_parse(ref, r, NULL));
	*img = (struct sig_image){ .manifest_digest = "sha256:" H64 };
	ASSERT_OK(policy_image_from_reference(*r, img));
}

static void test_scopes(void)
{
	/* upstream image/mod.rs test_get_image_id_and_ns, with whole() in front */
	static const struct {
		const char *ref;
		const char *want[8];
	} t[] = {
		{ "docker.io/opensuse/leap:15.3",
		  { "docker.io/opensuse/leap:15.3", "docker.io/opensuse/leap", "docker.io/opensuse",
		    "docker.io", "*.io" } },
		{ "test:5000/library/busybox:latest",
		  { "test:5000/library/busybox:latest", "test:5000/library/busybox",
		    "test:5000/library", "test:5000" } },
		{ "test:5000/library/busybox@sha256:" H64,
		  { "test:5000/library/busybox@sha256:" H64, "test:5000/library/busybox",
		    "test:5000/library", "test:5000" } },
		{ "registry.access.redhat.com/busybox:latest",
		  { "registry.access.redhat.com/busybox:latest",
		    "registry.access.redhat.com/busybox", "registry.access.redhat.com",
		    "*.access.redhat.com", "*.redhat.com", "*.com" } },
		{ "example.com:8443/ns/x:1",
		  { "example.com:8443/ns/x:1", "example.com:8443/ns/x", "example.com:8443/ns",
		    "example.com:8443", "*.com" } },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		_cleanup_(policy_strv_freep) char **l = NULL;
		struct sig_image img;
		size_t k = 0;

		image_of(t[i].ref, &r, &img);
		ASSERT_OK(policy_scopes(&img, &l));
		for (; l[k]; k++)
			ASSERT_STREQ(l[k], t[i].want[k]);
		ASSERT_TRUE(t[i].want[k] == NULL);
	}
}

static void test_identity(void)
{
	static const struct {
		enum policy_identity_type type;
		const char *a, *b, *origin, *signed_ref;
		int want;
	} t[] = {
		/* upstream ref_match.rs tests_expect */
		{ POLICY_ID_MATCH_EXACT, NULL, NULL, "docker.io/example/busybox:latest",
		  "docker.io/example/busybox:latest", 0 },
		{ POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL,
		  "docker.io/example/busybox:latest", "docker.io/example/busybox:latest", 0 },
		{ POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL,
		  "docker.io/example/busybox@sha256:" H64, "docker.io/example/busybox:tag", 0 },
		{ POLICY_ID_MATCH_REPOSITORY, NULL, NULL, "docker.io/example/busybox:latest",
		  "docker.io/example/busybox:tag", 0 },
		{ POLICY_ID_EXACT_REFERENCE, "docker.io/mylib/busybox:latest", NULL,
		  "docker.io/example/busybox:latest", "docker.io/mylib/busybox:latest", 0 },
		{ POLICY_ID_EXACT_REPOSITORY, "docker.io/mylib/busybox", NULL,
		  "docker.io/example/busybox:latest", "docker.io/mylib/busybox:tag", 0 },
		{ POLICY_ID_REMAP_IDENTITY, "docker.io", "quay.io",
		  "docker.io/example/busybox:latest", "quay.io/example/busybox:latest", 0 },
		/* upstream tests_unexpect */
		{ POLICY_ID_MATCH_EXACT, NULL, NULL, "docker.io/example/busybox:latest",
		  "docker.io/example/busybox:tag", -EKEYREJECTED },
		{ POLICY_ID_MATCH_EXACT, NULL, NULL, "docker.io/example/busybox@sha256:" H64,
		  "docker.io/example/busybox@sha256:" H64, -EKEYREJECTED },
		{ POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL,
		  "docker.io/example/busybox:latest", "docker.io/example/busybox:tag",
		  -EKEYREJECTED },
		{ POLICY_ID_EXACT_REFERENCE, "docker.io/mylib/busybox:latest", NULL,
		  "docker.io/example/busybox:latest", "docker.io/example/busybox:latest",
		  -EKEYREJECTED },
		/* ours */
		{ POLICY_ID_NONE, NULL, NULL, "a.io/x:1", "anything at all", 0 },
		{ POLICY_ID_MATCH_REPOSITORY, NULL, NULL, "docker.io/library/busybox:1",
		  "busybox:2", 0 }, /* the signed side is normalized */
		{ POLICY_ID_MATCH_REPOSITORY, NULL, NULL, "a.io/x:1", "b.io/x:1", -EKEYREJECTED },
		{ POLICY_ID_MATCH_REPOSITORY, NULL, NULL, "a.io/x:1", "not a reference", -EBADMSG },
		{ POLICY_ID_MATCH_EXACT, NULL, NULL, "docker.io/library/busybox:1", "busybox:1",
		  -EKEYREJECTED }, /* exact compares the strings */
		{ POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, "a.io/x@sha256:" H64,
		  "a.io/y:1", -EKEYREJECTED },
		{ POLICY_ID_EXACT_REPOSITORY, "a.io/x", NULL, "b.io/z:1", "a.io/x:9", 0 },
		{ POLICY_ID_EXACT_REPOSITORY, "a.io/x", NULL, "b.io/z:1", "a.io/xy:9",
		  -EKEYREJECTED },
		{ POLICY_ID_REMAP_IDENTITY, "a.io/team", "b.io/mirror", "a.io/team/app:1",
		  "b.io/mirror/app:1", 0 },
		{ POLICY_ID_REMAP_IDENTITY, "a.io/team", "b.io/mirror", "a.io/team/app:1",
		  "a.io/team/app:1", -EKEYREJECTED },
		{ POLICY_ID_REMAP_IDENTITY, "a.io/team", "b.io/mirror", "a.io/team/app@sha256:" H64,
		  "b.io/mirror/app:any", 0 },
		{ POLICY_ID_REMAP_IDENTITY, "nomatch.io", "b.io", "a.io/x:1", "a.io/x:1", 0 },
		{ POLICY_ID_REMAP_IDENTITY, "a.io/x", "INVALID//", "a.io/x:1", "a.io/x:1",
		  -EBADMSG },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
		struct policy_identity id = { t[i].type, (char *) t[i].a, (char *) t[i].b };
		struct sig_image img;
		int got;

		image_of(t[i].origin, &r, &img);
		got = policy_identity_match(&id, &img, t[i].signed_ref, &why);
		if (got != t[i].want)
			FAIL_("case %zu (%s vs %s): %d, want %d (%s)", i, t[i].origin,
			      t[i].signed_ref, got, t[i].want, buf_str(&why));
		if (got < 0)
			ASSERT_TRUE(why.len > 0);
	}
}

static void test_payload(void)
{
	/* upstream verify.rs test_sigpayload_validate's payload */
	static const char payload[] =
	    "{\"critical\":{\"identity\":{\"docker-reference\":\"quay.io/ali_os_security/"
	    "alpine:latest\"},"
	    "\"image\":{\"docker-manifest-digest\":\"sha256:"
	    "69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a\"},"
	    "\"type\":\"atomic container signature\"},\"optional\":{\"creator\":\"atomic "
	    "2.0.0\",\"timestamp\":1634533638}}";
	static const struct policy_identity exact = { POLICY_ID_MATCH_EXACT };
	_cleanup_(reference_freep) struct reference *r = NULL, *r2 = NULL;
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	struct sig_image img, other;

	image_of("quay.io/ali_os_security/alpine:latest", &r, &img);
	img.manifest_digest =
	    "sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a";
	ASSERT_OK(policy_payload_check(payload, strlen(payload), "atomic container signature", &img,
				       &exact, false, &why));
	ASSERT_OK(policy_payload_check(payload, strlen(payload), NULL, &img, &exact, false, &why));
	ASSERT_ERR(policy_payload_check(payload, strlen(payload),
					"cosign container image signature", &img, &exact, false,
					&why),
		   -EKEYREJECTED);
	image_of("quay.io/example_user/alpine:tag1", &r2, &other);
	other.manifest_digest = img.manifest_digest;
	ASSERT_ERR(
	    policy_payload_check(payload, strlen(payload), NULL, &other, &exact, false, &why),
	    -EKEYREJECTED);
	ASSERT_TRUE(strstr(buf_str(&why), "Match reference failed"));
	img.manifest_digest =
	    "sha256:abcdeef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a";
	ASSERT_ERR(policy_payload_check(payload, strlen(payload), NULL, &img, &exact, false, &why),
		   -EKEYREJECTED);
	ASSERT_TRUE(strstr(buf_str(&why), "manifest digest does not match"));
	/* The index digest counts only where allowed. */
	img.index_digest =
	    "sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a";
	ASSERT_OK(policy_payload_check(payload, strlen(payload), NULL, &img, &exact, true, &why));
	ASSERT_ERR(policy_payload_check(payload, strlen(payload), NULL, &img, &exact, false, &why),
		   -EKEYREJECTED);

	/* Shapes serde refuses. */
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"critical\":{}}",
		"{\"critical\":{\"type\":1,\"image\":{\"docker-manifest-digest\":\"x\"},"
		"\"identity\":{\"docker-reference\":\"a\"}}}",
		"{\"critical\":{\"type\":\"t\",\"image\":{},\"identity\":{\"docker-reference\":"
		"\"a\"}}}",
		"{\"critical\":{\"type\":\"t\",\"image\":{\"docker-manifest-digest\":\"x\"},"
		"\"identity\":{}}}",
		"{\"critical\":{\"type\":\"t\",\"image\":{\"docker-manifest-digest\":\"x\"},"
		"\"identity\":{\"docker-reference\":\"a\"}},\"optional\":{\"timestamp\":1.5}}",
		"{\"critical\":{\"type\":\"t\",\"image\":{\"docker-manifest-digest\":\"x\"},"
		"\"identity\":{\"docker-reference\":\"a\"}},\"optional\":{\"creator\":7}}",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_ERR(
		    policy_payload_check(bad[i], strlen(bad[i]), NULL, &img, &exact, false, &why),
		    -EBADMSG);
	/* optional may be null or absent. */
	static const char *fine[] = {
		"{\"critical\":{\"type\":\"t\",\"image\":{\"docker-manifest-digest\":\"sha256:" H64
		"\"},\"identity\":{\"docker-reference\":\"a\"}},\"optional\":null}",
		"{\"critical\":{\"type\":\"t\",\"image\":{\"docker-manifest-digest\":\"sha256:" H64
		"\"},\"identity\":{\"docker-reference\":\"a\"},\"extra\":1}}",
	};
	static const struct policy_identity none = { POLICY_ID_NONE };
	img.manifest_digest = "sha256:" H64;
	for (size_t i = 0; i < ELEMENTSOF(fine); i++)
		ASSERT_OK(
		    policy_payload_check(fine[i], strlen(fine[i]), "t", &img, &none, false, &why));
}

static const char policy_json[] =
    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
    "\"a.example.com/team/app:v1\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"reject\"}],"
    "\"a.example.com/team/app\":[{\"type\":\"insecureAcceptAnything\"}],"
    "\"a.example.com/team\":[],"
    "\"a.example.com\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\","
    "\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"p\",\"signedPrefix\":\"q\"}}],"
    "\"*.example.com\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"PEM\","
    "\"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"r\"}}],"
    "\"*.org\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"AAAA\","
    "\"signedIdentity\":null}],"
    "\"\":[{\"type\":\"insecureAcceptAnything\"}]"
    "},\"oci\":{\"\":[{\"type\":\"insecureAcceptAnything\",\"unknown\":1}]}},\"extra\":true}";

static void test_lookup(void)
{
	static const struct {
		const char *ref, *scope;
	} t[] = {
		{ "a.example.com/team/app:v1", "a.example.com/team/app:v1" },
		{ "a.example.com/team/app:v2", "a.example.com/team/app" },
		{ "a.example.com/team/other:v2", "a.example.com/team" },
		{ "a.example.com/x/y:1", "a.example.com" },
		{ "b.example.com/x:1", "*.example.com" },
		{ "b.example.org/x:1", "*.org" },
		{ "docker.io/library/busybox:1", "" },
		{ "b.example.com:5000/x:1", "*.example.com" },
	};
	_cleanup_(policy_freep) struct policy *p = NULL;

	ASSERT_OK(policy_parse(policy_json, strlen(policy_json), &p));
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		struct sig_image img;
		const char *scope = "unset";

		image_of(t[i].ref, &r, &img);
		ASSERT_TRUE(policy_requirements_for(p, &img, &scope));
		ASSERT_STREQ(scope, t[i].scope);
	}
	/* The parsed contents of a few rules. */
	{
		_cleanup_(reference_freep) struct reference *r = NULL;
		const struct policy_reqs *q;
		struct sig_image img;

		image_of("a.example.com/x/y:1", &r, &img);
		q = policy_requirements_for(p, &img, NULL);
		ASSERT_TRUE(q);
		ASSERT_EQ(q->n, 1);
		ASSERT_EQ(q->v[0].type, POLICY_REQ_SIGNED_BY);
		ASSERT_STREQ(q->v[0].key_type, "GPGKeys");
		ASSERT_STREQ(q->v[0].key_path, "/k");
		ASSERT_TRUE(!q->v[0].key_data);
		ASSERT_EQ(q->v[0].identity.type, POLICY_ID_REMAP_IDENTITY);
		ASSERT_STREQ(q->v[0].identity.a, "p");
		ASSERT_STREQ(q->v[0].identity.b, "q");
	}
	/* Without a "" scope, unmatched images get "default". */
	{
		static const char j[] =
		    "{\"default\":[],\"transports\":{\"docker\":{\"x.io\":[]}}}";
		_cleanup_(policy_freep) struct policy *p2 = NULL;
		_cleanup_(reference_freep) struct reference *r = NULL;
		struct sig_image img;
		const char *scope = "unset";

		ASSERT_OK(policy_parse(j, strlen(j), &p2));
		image_of("y.io/a:b", &r, &img);
		ASSERT_TRUE(policy_requirements_for(p2, &img, &scope));
		ASSERT_TRUE(scope == NULL);
	}
}

static void test_parse_errors(void)
{
	static const char *bad[] = {
		"",
		"[]",
		"{\"transports\":{}}",
		"{\"default\":[]}",
		"{\"default\":{},\"transports\":{}}",
		"{\"default\":[],\"transports\":[]}",
		"{\"default\":[{}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"accept\"}],\"transports\":{}}",
		"{\"default\":[\"reject\"],\"transports\":{}}",
		"{\"default\":[],\"transports\":{\"docker\":[]}}",
		"{\"default\":[],\"transports\":{\"docker\":{\"x\":{}}}}",
		"{\"default\":[],\"transports\":{\"oci\":{\"\":[{\"type\":\"nope\"}]}}}",
		"{\"default\":[{\"type\":\"signedBy\"}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":1}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":5}],"
		"\"transports\":{}}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"signedIdentity\":{"
		"\"type\":\"x\"}}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"signedIdentity\":{}"
		"}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"signedIdentity\":{\"type\":"
		"\"exactReference\"}}],\"transports\":{}}",
		"{\"default\":[{\"type\":\"sigstoreSigned\",\"signedIdentity\":{\"type\":"
		"\"remapIdentity\",\"prefix\":\"a\"}}],\"transports\":{}}",
		"{\"default\":[],\"default\":[],\"transports\":{}}",
		"{\"default\":[],\"transports\":{}} x",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct policy *p = NULL;

		if (policy_parse(bad[i], strlen(bad[i]), &p) != -EBADMSG)
			FAIL_("policy %zu parsed: %s", i, bad[i]);
	}
}

static unsigned fetches;
static int fetch_none(void *ud, const char *uri, struct buf *out)
{
	(void) ud, (void) uri, (void) out;
	fetches++;
	return -ENOENT;
}

static void test_evaluate(void)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	struct sig_env env = { .fetch = fetch_none };
	static const struct {
		const char *ref;
		int want;
		const char *why;
	} t[] = {
		{ "a.example.com/team/app:v1", -EPERM, "Policy `reject` rejects image" },
		{ "a.example.com/team/app:v2", 0, NULL },
		{ "a.example.com/team/x:v2", 0, NULL }, /* empty list */
		{ "docker.io/library/busybox:1", 0, NULL },
		/* keyPath fetch fails before anything else */
		{ "a.example.com/x/y:1", -ENOENT,
		  "rejected by `signedBy` rule: Read keyPath '/k'" },
		/* a key that is not a PEM key */
		{ "b.example.com/x:1", -EINVAL, "rejected by `sigstoreSigned` rule" },
		/* keyData "AAAA" decodes, but is no keyring */
		{ "b.example.org/x:1", -EINVAL, "Failed to parse public key ring" },
	};

	ASSERT_OK(policy_parse(policy_json, strlen(policy_json), &p));
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
		struct sig_image img;
		int got;

		image_of(t[i].ref, &r, &img);
		got = policy_check(p, &img, &env, &why);
		if (got != t[i].want || (t[i].why && !strstr(buf_str(&why), t[i].why)))
			FAIL_("%s: %d '%s'", t[i].ref, got, buf_str(&why));
	}
	/* sigstoreSigned refuses other identity rules before touching the key. */
	{
		static const char j[] =
		    "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\","
		    "\"signedIdentity\":{\"type\":\"matchExact\"}}],\"transports\":{}}";
		_cleanup_(policy_freep) struct policy *p2 = NULL;
		_cleanup_(reference_freep) struct reference *r = NULL;
		_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
		struct sig_image img;

		ASSERT_OK(policy_parse(j, strlen(j), &p2));
		image_of("x.io/y:z", &r, &img);
		fetches = 0;
		ASSERT_ERR(policy_check(p2, &img, &env, &why), -EINVAL);
		ASSERT_EQ(fetches, 0);
	}
	/* Both and neither of keyPath/keyData; a bad base64 keyData. */
	{
		static const char *j[] = {
			"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}],"
			"\"transports\":{}}",
			"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":"
			"\"/a\",\"keyData\":\"AA==\"}],\"transports\":{}}",
			"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":"
			"\"A*==\"}],\"transports\":{}}",
		};
		for (size_t i = 0; i < ELEMENTSOF(j); i++) {
			_cleanup_(policy_freep) struct policy *p2 = NULL;
			_cleanup_(reference_freep) struct reference *r = NULL;
			struct sig_image img;

			ASSERT_OK(policy_parse(j[i], strlen(j[i]), &p2));
			image_of("x.io/y:z", &r, &img);
			ASSERT_ERR(policy_check(p2, &img, &env, NULL), -EINVAL);
		}
	}
}

TESTS(test_scopes, test_identity, test_payload, test_lookup, test_parse_errors, test_evaluate)
