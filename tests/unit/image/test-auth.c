/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/auth: upstream's auth_config.rs cases (lookup, decode, key normalisation),
 * the lookup order, and WWW-Authenticate parsing (RFC 7235 shapes and the challenges
 * docker-registry, Docker Hub and GHCR send). */
#include "common/b64.h"
#include "image-rs/auth.h"
#include "tests/unit/tests.h"

/* upstream's DOCKER_AUTH_CONFIGS; the value is "liudalibj:Passw0rd!qaz\n" */
static const char upstream_auths[] =
    "{\"auths\": {"
    "\"https://index.docker.io/v1/\": {\"auth\": "
    "\"bGl1ZGFsaWJqOlBhc3N3MHJkIXFhego=\"},"
    "\"quay.io\": {\"auth\": \"bGl1ZGFsaWJqOlBhc3N3MHJkIXFhego=\"}}}";

static int lookup(const char *file, const char *image, struct auth_cred **ret)
{
	_cleanup_(auth_file_freep) struct auth_file *f = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;

	ASSERT_OK(auth_file_parse(file, strlen(file), &f));
	ASSERT_OK(reference_parse(image, &ref, NULL));
	return auth_file_lookup(f, ref, ret);
}

static void test_upstream_cases(void)
{
	struct auth_cred *c = NULL;

	ASSERT_OK(lookup(upstream_auths, "mysql:latest", &c));
	ASSERT_STREQ(c->username, "liudalibj");
	ASSERT_STREQ((const char *) c->password->p, "Passw0rd!qaz");
	ASSERT_EQ(c->password->n, strlen("Passw0rd!qaz"));
	c = auth_cred_free(c);
	ASSERT_OK(lookup(upstream_auths, "quay.io/confidential-containers/image:latest", &c));
	ASSERT_STREQ(c->username, "liudalibj");
	c = auth_cred_free(c);
	ASSERT_ERR(lookup(upstream_auths, "gcr.io/google-containers/busybox:1.27.2", &c), -ENOENT);
	ASSERT_TRUE(c == NULL);
}

static const char *b64(const char *s)
{
	static char out[8][256];
	static int k;
	struct buf b = BUF_INIT(256);

	ASSERT_OK(b64_encode(B64_STD, s, strlen(s), &b));
	k = (k + 1) % 8;
	snprintf(out[k], sizeof(out[k]), "%s", buf_str(&b));
	buf_done(&b);
	return out[k];
}

static void test_order(void)
{
	char file[2048];
	struct auth_cred *c = NULL;

	/* the most specific path wins over parents, which win over the registry-normalised
	 * match, whatever the file order */
	snprintf(file, sizeof(file),
		 "{\"auths\":{\"https://r.io/v1/\":{\"auth\":\"%s\"},\"r.io\":{\"auth\":\"%s\"},"
		 "\"r.io/a\":{\"auth\":\"%s\"},\"r.io/a/b/img\":{\"auth\":\"%s\"}}}",
		 b64("norm:p"), b64("reg:p"), b64("parent:p"), b64("full:p"));
	ASSERT_OK(lookup(file, "r.io/a/b/img:1", &c));
	ASSERT_STREQ(c->username, "full");
	c = auth_cred_free(c);
	ASSERT_OK(lookup(file, "r.io/a/b/other:1", &c));
	ASSERT_STREQ(c->username, "parent");
	c = auth_cred_free(c);
	ASSERT_OK(lookup(file, "r.io/z:1", &c));
	ASSERT_STREQ(c->username, "reg");
	c = auth_cred_free(c);
	/* r.io/ab is not under r.io/a */
	ASSERT_OK(lookup(file, "r.io/ab/img:1", &c));
	ASSERT_STREQ(c->username, "reg");
	c = auth_cred_free(c);

	/* only the scheme-qualified key normalises: "http://r2.io/x" counts for r2.io,
	 * a bare "r2.io/x" does not */
	snprintf(file, sizeof(file),
		 "{\"auths\":{\"r2.io/x\":{\"auth\":\"%s\"},\"http://r2.io/x\":{\"auth\":\"%s\"}}}",
		 b64("bare:p"), b64("schemed:p"));
	ASSERT_OK(lookup(file, "r2.io/y:1", &c));
	ASSERT_STREQ(c->username, "schemed");
	c = auth_cred_free(c);

	/* docker.io / registry-1.docker.io / index.docker.io are one registry */
	snprintf(file, sizeof(file),
		 "{\"auths\":{\"https://registry-1.docker.io\":{\"auth\":\"%s\"}}}", b64("hub:p"));
	ASSERT_OK(lookup(file, "docker.io/library/alpine", &c));
	ASSERT_STREQ(c->username, "hub");
	c = auth_cred_free(c);
	/* exact keys use the normalised name docker.io/library/... */
	snprintf(file, sizeof(file),
		 "{\"auths\":{\"docker.io/library\":{\"auth\":\"%s\"},\"index.docker.io\":{"
		 "\"auth\":\"%s\"}}}",
		 b64("lib:p"), b64("idx:p"));
	ASSERT_OK(lookup(file, "alpine", &c));
	ASSERT_STREQ(c->username, "lib");
	c = auth_cred_free(c);
	ASSERT_OK(lookup(file, "someone/alpine", &c));
	ASSERT_STREQ(c->username, "idx");
	c = auth_cred_free(c);
	/* ports are part of the registry */
	snprintf(file, sizeof(file), "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"%s\"}}}",
		 b64("port:p"));
	ASSERT_OK(lookup(file, "127.0.0.1:5000/t/x", &c));
	ASSERT_STREQ(c->username, "port");
	c = auth_cred_free(c);
	ASSERT_ERR(lookup(file, "127.0.0.1:5001/t/x", &c), -ENOENT);
}

static void test_decode(void)
{
	char file[1024];
	struct auth_cred *c = NULL;

	/* split at the first ':', '\n' trimmed at both ends of the password only */
	snprintf(file, sizeof(file), "{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}",
		 b64("u\n:\n\npa:ss\n\n"));
	ASSERT_OK(lookup(file, "r.io/x", &c));
	ASSERT_STREQ(c->username, "u\n");
	ASSERT_STREQ((const char *) c->password->p, "pa:ss");
	c = auth_cred_free(c);
	snprintf(file, sizeof(file), "{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", b64("user:"));
	ASSERT_OK(lookup(file, "r.io/x", &c));
	ASSERT_STREQ((const char *) c->password->p, "");
	c = auth_cred_free(c);
	/* a matched entry that is not user:password fails the lookup */
	snprintf(file, sizeof(file), "{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", b64("nocolon"));
	ASSERT_ERR(lookup(file, "r.io/x", &c), -EBADMSG);
	ASSERT_ERR(lookup("{\"auths\":{\"r.io\":{\"auth\":\"!!!\"}}}", "r.io/x", &c), -EBADMSG);
	/* an unmatched bad entry does not matter */
	ASSERT_ERR(lookup("{\"auths\":{\"q.io\":{\"auth\":\"!!!\"}}}", "r.io/x", &c), -ENOENT);
}

static void test_file_errors(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"auths\": []}",
		"{\"auths\": {\"r.io\": {}}}",
		"{\"auths\": {\"r.io\": {\"auth\": 1}}}",
		"{\"auths\": {\"r.io\": \"x\"}}",
		"{\"auths\": {}",
	};
	struct auth_file *f = NULL;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_ERR(auth_file_parse(bad[i], strlen(bad[i]), &f), -EBADMSG);
	/* extra members are ignored */
	{
		const char *ok = "{\"auths\": {\"r.io\": {\"auth\": \"dTpw\", \"email\": \"x\"}},"
				 "\"credHelpers\": {}}";

		ASSERT_OK(auth_file_parse(ok, strlen(ok), &f));
		f = auth_file_free(f);
	}
}

static void test_basic_value(void)
{
	_cleanup_(auth_cred_freep) struct auth_cred *c = NULL;
	struct buf b = BUF_INIT(1024);

	/* RFC 7617 §2 example */
	ASSERT_OK(auth_cred_new("Aladdin", "open sesame", &c));
	ASSERT_OK(auth_basic_value(c, &b));
	ASSERT_STREQ(buf_str(&b), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	buf_done(&b);
}

static void challenge(const char *h, enum auth_scheme s, const char *realm, const char *service,
		      const char *scope)
{
	struct auth_challenge c = {};

	printf("# %s\n", h);
	ASSERT_OK(auth_challenge_parse(h, &c));
	ASSERT_EQ(c.scheme, s);
#define CHECK_OPT(field, want)                                                                     \
	do {                                                                                       \
		if (want)                                                                          \
			ASSERT_STREQ(c.field, want);                                               \
		else                                                                               \
			ASSERT_TRUE(c.field == NULL);                                              \
	} while (0)
	CHECK_OPT(realm, realm);
	CHECK_OPT(service, service);
	CHECK_OPT(scope, scope);
	auth_challenge_done(&c);
}

static void test_challenges(void)
{
	/* Docker's token spec example */
	challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		  "scope=\"repository:samalba/my-app:pull,push\"",
		  AUTH_SCHEME_BEARER, "https://auth.docker.io/token", "registry.docker.io",
		  "repository:samalba/my-app:pull,push");
	/* docker-registry htpasswd */
	challenge("Basic realm=\"basic-realm\"", AUTH_SCHEME_BASIC, "basic-realm", NULL, NULL);
	/* case-insensitive names, blanks around '=', token values, escapes */
	challenge("bearer  Realm = https://a.b/t , SERVICE=svc,scope=\"a\\\"b\\\\c\"",
		  AUTH_SCHEME_BEARER, "https://a.b/t", "svc", "a\"b\\c");
	/* several challenges: Bearer preferred, whatever the order */
	challenge("Basic realm=\"x\", Bearer realm=\"https://t/\",service=\"s\"",
		  AUTH_SCHEME_BEARER, "https://t/", "s", NULL);
	challenge("Bearer realm=\"https://t/\", Basic realm=\"x\"", AUTH_SCHEME_BEARER,
		  "https://t/", NULL, NULL);
	challenge("Negotiate abc==, Basic realm=\"r\"", AUTH_SCHEME_BASIC, "r", NULL, NULL);
	challenge("Negotiate", AUTH_SCHEME_OTHER, NULL, NULL, NULL);
	/* unknown parameters are skipped; the first of a repeated one is kept */
	challenge("Bearer error=\"invalid_token\",realm=\"https://t\",realm=\"https://u\"",
		  AUTH_SCHEME_BEARER, "https://t", NULL, NULL);

	static const char *const bad[] = {
		"",
		"   ",
		"realm=\"x\"",
		"Bearer realm=\"unterminated",
		"Bearer realm=\"x\" junk",
		"Bearer realm=",
		"\"Bearer\"",
	};
	struct auth_challenge c = {};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		printf("# bad: %s\n", bad[i]);
		ASSERT_ERR(auth_challenge_parse(bad[i], &c), -EBADMSG);
	}
	{
		char *huge = malloc(AUTH_HEADER_MAX + 100);

		ASSERT_TRUE(huge);
		strcpy(huge, "Bearer realm=\"");
		memset(huge + 14, 'a', AUTH_HEADER_MAX);
		strcpy(huge + 14 + AUTH_HEADER_MAX, "\"");
		ASSERT_ERR(auth_challenge_parse(huge, &c), -EBADMSG);
		free(huge);
	}
}

TESTS(test_upstream_cases, test_order, test_decode, test_file_errors, test_basic_value,
      test_challenges)
