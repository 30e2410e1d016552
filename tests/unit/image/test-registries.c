/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/registries: the expansion cases of upstream's GC image-rs/src/registry/mod.rs
 * tests (same configuration), wildcards, prefix boundaries, insecure, and config errors. */
#include "image-rs/registries.h"
#include "tests/unit/tests.h"

/* upstream's registry_handler() configuration */
static const char upstream_conf[] =
    "unqualified-search-registries = [\"docker.io\", \"example1.com\"]\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"example.com/banned\"\n"
    "blocked = true\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"example.com/foo\"\n"
    "insecure = false\n"
    "blocked = false\n"
    "location = \"internal-registry-for-example.com/bar\"\n"
    "\n"
    "[[registry.mirror]]\n"
    "location = \"example-mirror-0.local/mirror-for-foo\"\n"
    "\n"
    "[[registry.mirror]]\n"
    "location = \"example-mirror-1.local/mirrors/foo\"\n"
    "insecure = true\n"
    "\n"
    "[[registry]]\n"
    "location = \"docker.io\"\n"
    "\n"
    "[[registry.mirror]]\n"
    "location = \"123456.mirror.aliyuncs.com\"\n"
    "\n"
    "[[registry]]\n"
    "prefix = \"*.wild.example\"\n"
    "location = \"plain.local:5000\"\n"
    "insecure = true\n";

struct want {
	const char *whole;
	bool http;
	enum pull_task_type type;
};

static void expand(const char *conf, const char *in, const struct want *w, size_t n, int err)
{
	_cleanup_(registries_freep) struct registries *c = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	struct toml_error e;
	struct pull_task *t = NULL;
	size_t nt = 0;

	printf("# %s\n", in);
	if (conf)
		ASSERT_OK(registries_parse(conf, strlen(conf), &c, &e));
	ASSERT_OK(reference_parse(in, &ref, NULL));
	if (err) {
		ASSERT_ERR(registries_expand(c, ref, &t, &nt), err);
		return;
	}
	ASSERT_OK(registries_expand(c, ref, &t, &nt));
	for (size_t i = 0; i < nt; i++)
		printf("#   %s%s\n", reference_whole(t[i].ref), t[i].use_http ? " (http)" : "");
	ASSERT_EQ(nt, n);
	for (size_t i = 0; i < n; i++) {
		ASSERT_STREQ(reference_whole(t[i].ref), w[i].whole);
		ASSERT_EQ(t[i].use_http, w[i].http);
		ASSERT_EQ(t[i].type, w[i].type);
	}
	pull_tasks_free(t, nt);
}

static void test_upstream_cases(void)
{
	static const struct want bar[] = {
		{ "123456.mirror.aliyuncs.com/library/bar:tag", false, PULL_TASK_MIRROR },
		{ "docker.io/library/bar:tag", false, PULL_TASK_UNQUALIFIED_SEARCH },
		{ "example1.com/bar:tag", false, PULL_TASK_UNQUALIFIED_SEARCH },
	};
	static const struct want foobar[] = {
		{ "123456.mirror.aliyuncs.com/foo/bar:tag", false, PULL_TASK_MIRROR },
		{ "docker.io/foo/bar:tag", false, PULL_TASK_UNQUALIFIED_SEARCH },
		{ "example1.com/foo/bar:tag", false, PULL_TASK_UNQUALIFIED_SEARCH },
	};
	static const struct want mirror[] = {
		{ "example-mirror-0.local/mirror-for-foo/image:tag", false, PULL_TASK_MIRROR },
		{ "example-mirror-1.local/mirrors/foo/image:tag", true, PULL_TASK_MIRROR },
		{ "internal-registry-for-example.com/bar/image:tag", false, PULL_TASK_REMAPPED },
	};
	static const struct want nob1[] = {
		{ "example.com/no-banned/image:tag", false, PULL_TASK_ORIGINAL },
	};
	static const struct want nob2[] = {
		{ "example.com/banned-suffix/image:tag", false, PULL_TASK_ORIGINAL },
	};

	expand(upstream_conf, "example.com/banned/image:tag", NULL, 0, -EPERM);
	expand(upstream_conf, "example.com/no-banned/image:tag", nob1, ELEMENTSOF(nob1), 0);
	expand(upstream_conf, "example.com/banned-suffix/image:tag", nob2, ELEMENTSOF(nob2), 0);
	expand(upstream_conf, "bar:tag", bar, ELEMENTSOF(bar), 0);
	expand(upstream_conf, "foo/bar:tag", foobar, ELEMENTSOF(foobar), 0);
	expand(upstream_conf, "example.com/foo/image:tag", mirror, ELEMENTSOF(mirror), 0);
}

static void test_boundaries_and_wildcards(void)
{
	static const struct want at[] = {
		{ "example-mirror-0.local/mirror-for-foo@sha256:"
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  false, PULL_TASK_MIRROR },
		{ "example-mirror-1.local/mirrors/foo@sha256:"
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  true, PULL_TASK_MIRROR },
		{ "internal-registry-for-example.com/bar@sha256:"
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  false, PULL_TASK_REMAPPED },
	};
	static const struct want wild[] = {
		{ "plain.local:5000/x/y:1", true, PULL_TASK_REMAPPED },
	};
	static const struct want notwild[] = {
		{ "wild.example/x:1", false, PULL_TASK_ORIGINAL },
	};
	static const struct want notprefix[] = {
		{ "evil.com/example.com/banned/x:latest", false, PULL_TASK_ORIGINAL },
	};
	static const struct want noconf[] = {
		{ "docker.io/library/busybox:latest", false, PULL_TASK_ORIGINAL },
	};

	/* a prefix ending at '@' */
	expand(upstream_conf,
	       "example.com/"
	       "foo@sha256:0000000000000000000000000000000000000000000000000000000000000000",
	       at, ELEMENTSOF(at), 0);
	expand(upstream_conf, "a.b.wild.example/x/y:1", wild, ELEMENTSOF(wild), 0);
	expand(upstream_conf, "wild.example/x:1", notwild, ELEMENTSOF(notwild), 0);
	/* upstream would match "example.com/banned" inside this string; we anchor at 0 */
	expand(upstream_conf, "evil.com/example.com/banned/x", notprefix, ELEMENTSOF(notprefix), 0);
	expand(NULL, "busybox", noconf, ELEMENTSOF(noconf), 0);
}

static void test_defaults_and_digest(void)
{
	static const char conf[] = "unqualified-search-registries = [\"quay.io\"]\n";
	static const struct want w[] = {
		{ "quay.io/busybox:1@sha256:"
		  "1111111111111111111111111111111111111111111111111111111111111111",
		  false, PULL_TASK_UNQUALIFIED_SEARCH },
	};
	static const struct want dflt[] = {
		{ "docker.io/library/busybox:latest", false, PULL_TASK_UNQUALIFIED_SEARCH },
	};

	expand(conf,
	       "busybox:1@sha256:1111111111111111111111111111111111111111111111111111111111111111",
	       w, ELEMENTSOF(w), 0);
	expand("", "busybox", dflt, ELEMENTSOF(dflt), 0);
	expand("unqualified-search-registries = []\n", "busybox", NULL, 0, -EPERM);
}

static void test_longest_prefix(void)
{
	static const char conf[] = "[[registry]]\nprefix = \"r.io\"\nlocation = \"a.io\"\n"
				   "[[registry]]\nprefix = \"r.io/x/y\"\nlocation = \"b.io/z\"\n"
				   "[[registry]]\nprefix = \"r.io/x\"\nlocation = \"c.io\"\n"
				   "[[registry]]\nprefix = \"r.io/x/y/blocked\"\nblocked = true\n";
	static const struct want y[] = { { "b.io/z/img:1", false, PULL_TASK_REMAPPED } };
	static const struct want x[] = { { "c.io/other:1", false, PULL_TASK_REMAPPED } };
	static const struct want r[] = { { "a.io/q:1", false, PULL_TASK_REMAPPED } };

	expand(conf, "r.io/x/y/img:1", y, 1, 0);
	expand(conf, "r.io/x/other:1", x, 1, 0);
	expand(conf, "r.io/q:1", r, 1, 0);
	expand(conf, "r.io/x/y/blocked:1", NULL, 0, -EPERM);
}

static void test_insecure_without_location(void)
{
	static const char conf[] = "[[registry]]\nprefix = \"h.local:5000\"\ninsecure = true\n"
				   "[[registry]]\nprefix = \"h.local:5000/secure\"\n";
	static const struct want w[] = { { "h.local:5000/a:1", true, PULL_TASK_ORIGINAL } };
	static const struct want s[] = { { "h.local:5000/secure/a:1", false, PULL_TASK_ORIGINAL } };

	expand(conf, "h.local:5000/a:1", w, 1, 0);
	/* the longer rule wins and says nothing about insecure */
	expand(conf, "h.local:5000/secure/a:1", s, 1, 0);
}

static void check_conf_error(const char *conf, int err, const char *msg)
{
	_cleanup_(registries_freep) struct registries *c = NULL;
	struct toml_error e = {};

	printf("# conf: %.*s\n", (int) strcspn(conf, "\n"), conf);
	ASSERT_ERR(registries_parse(conf, strlen(conf), &c, &e), err);
	if (msg)
		ASSERT_TRUE(strstr(e.message, msg) != NULL);
}

static void test_config_errors(void)
{
	check_conf_error("[[registry]]\nblocked = true\n", -EBADMSG,
			 "both location and prefix are empty");
	check_conf_error("[[registry]]\nprefix = \"*.x.com\"\n", -EBADMSG,
			 "prefix is with wildcard");
	check_conf_error("[[registry]]\nprefix = \"x.com\"\n[[registry.mirror]]\ninsecure = true\n",
			 -EBADMSG, "mirror location is empty");
	check_conf_error("[[registry]]\nprefix = 1\n", -EBADMSG, "prefix");
	check_conf_error("[[registry]]\nprefix = \"x\"\nblocked = \"yes\"\n", -EBADMSG, "blocked");
	check_conf_error("unqualified-search-registries = \"docker.io\"\n", -EBADMSG, NULL);
	check_conf_error("unqualified-search-registries = [1]\n", -EBADMSG, NULL);
	check_conf_error("registry = 3\n", -EBADMSG, NULL);
	check_conf_error("[[registry]\n", -EBADMSG, NULL);

	/* unknown keys are ignored, as serde does */
	{
		_cleanup_(registries_freep) struct registries *c = NULL;
		const char *ok = "credential-helpers = []\n[[registry]]\nprefix = \"a.io\"\n"
				 "pull-from-mirror = \"all\"\n";

		ASSERT_OK(registries_parse(ok, strlen(ok), &c, NULL));
	}
}

static void test_bad_mapping(void)
{
	/* a mirror location that cannot form a reference fails the expansion */
	static const char conf[] = "[[registry]]\nprefix = \"r.io\"\n"
				   "[[registry.mirror]]\nlocation = \"BAD HOST\"\n";

	expand(conf, "r.io/x:1", NULL, 0, -EINVAL);
}

static void test_from_inline_table(void)
{
	static const char cdh[] = "[image]\nwork_dir = \"/tmp\"\n[image.registry_config]\n"
				  "unqualified-search-registries = [\"docker.io\"]\n"
				  "[[image.registry_config.registry]]\nlocation = \"docker.io\"\n"
				  "[[image.registry_config.registry.mirror]]\nlocation = "
				  "\"m.local\"\ninsecure = true\n";
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	_cleanup_(registries_freep) struct registries *c = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	struct pull_task *tasks = NULL;
	size_t n = 0;

	ASSERT_OK(toml_parse(cdh, strlen(cdh), &t, NULL));
	ASSERT_OK(registries_from_toml(toml_get_path(t, "image.registry_config"), &c, NULL));
	ASSERT_OK(reference_parse("alpine", &ref, NULL));
	ASSERT_OK(registries_expand(c, ref, &tasks, &n));
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(reference_whole(tasks[0].ref), "m.local/library/alpine:latest");
	ASSERT_TRUE(tasks[0].use_http);
	ASSERT_STREQ(reference_whole(tasks[1].ref), "docker.io/library/alpine:latest");
	pull_tasks_free(tasks, n);
}

TESTS(test_upstream_cases, test_boundaries_and_wildcards, test_defaults_and_digest,
      test_longest_prefix, test_insecure_without_location, test_config_errors, test_bad_mapping,
      test_from_inline_table)
