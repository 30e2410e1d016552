/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/config: upstream's config test cases (hub/src/config/mod.rs, image-rs config.rs
 * kernel-parameter cases, bin/config env override, auth/kbs.rs path cases), every key and
 * default, strict types with positions, the no-file fallbacks, and the ocicrypt config. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cdh/config.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

static char tmpdir[] = "/tmp/test-cdh-config-XXXXXX";
static char cmdline_path[300];
static const char *env_aa_kbc_params, *env_image_creds;

static const char *fake_getenv(const char *name)
{
	if (streq(name, "AA_KBC_PARAMS"))
		return env_aa_kbc_params;
	if (streq(name, CDH_IMAGE_CREDENTIALS_ENV))
		return env_image_creds;
	return NULL;
}

static struct cdh_config_env env = { .proc_cmdline = cmdline_path, .getenv = fake_getenv };

static void set_cmdline(const char *s)
{
	ASSERT_OK(fs_write_atomic(AT_FDCWD, cmdline_path, s, strlen(s), 0644));
}

static struct cdh_config *parse_ok(const char *text)
{
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;
	int r = cdh_config_parse("cdh.toml", text, strlen(text), &env, &c, &err);

	if (r < 0)
		FAIL_("parse failed: %d %s", r, buf_str(&err));
	return c;
}

static void parse_err(const char *text, int want, const char *want_msg)
{
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;
	int r = cdh_config_parse("cdh.toml", text, strlen(text), &env, &c, &err);

	if (r != want)
		FAIL_("expected %d, got %d (%s) for:\n%s", want, r, buf_str(&err), text);
	ASSERT_TRUE(c == NULL);
	if (!strstr(buf_str(&err), want_msg))
		FAIL_("'%s' not in '%s'", want_msg, buf_str(&err));
}

static void setup(void)
{
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	snprintf(cmdline_path, sizeof(cmdline_path), "%s/cmdline", tmpdir);
	set_cmdline("BOOT_IMAGE=/vmlinuz console=ttyS0\n");
}

static void cleanup(void)
{
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, tmpdir));
}

static void test_upstream_full(void)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = parse_ok(
	    "\n"
	    "socket = \"unix:///run/confidential-containers/cdh.sock\"\n"
	    "\n"
	    "[aa]\n"
	    "aa_socket = \"unix:///run/confidential-containers/attestation-agent/"
	    "attestation-agent.sock\"\n"
	    "\n"
	    "[kbc]\n"
	    "name = \"offline_fs_kbc\"\n"
	    "url = \"\"\n"
	    "kbs_cert = \"\"\n"
	    "\n"
	    "[image]\n"
	    "max_concurrent_layer_downloads_per_image = 3\n"
	    "sigstore_config_uri = \"kbs:///default/sigstore-config/test\"\n"
	    "image_security_policy_uri = \"kbs:///default/security-policy/test\"\n"
	    "authenticated_registry_credentials_uri = \"kbs:///default/credential/test\"\n"
	    "extra_root_certificates = [\"cert1\", \"cert2\"]\n"
	    "\n"
	    "[image.registry_config]\n"
	    "unqualified-search-registries = [\"docker.io\", \"example1.com\"]\n"
	    "\n"
	    "[[image.registry_config.registry]]\n"
	    "prefix = \"example.com/foo\"\n"
	    "insecure = false\n"
	    "blocked = false\n"
	    "location = \"internal-registry-for-example.com/bar\"\n"
	    "\n"
	    "[[image.registry_config.registry.mirror]]\n"
	    "location = \"example-mirror-0.local/mirror-for-foo\"\n"
	    "\n"
	    "[image.image_pull_proxy]\n"
	    "https_proxy = \"http://127.0.0.1:8080\"\n");
	const struct cdh_image_config *im = &c->image;

	ASSERT_STREQ(c->socket, CDH_DEFAULT_SOCKET);
	ASSERT_STREQ(c->aa_socket, CDH_DEFAULT_AA_SOCKET);
	ASSERT_STREQ(c->kbc_name, "offline_fs_kbc");
	ASSERT_STREQ(c->kbc_url, "");
	ASSERT_STREQ(c->kbs_cert, "");
	ASSERT_STREQ(c->log_level, "info");
	ASSERT_TRUE(!c->skip_sealed_secret_verification);
	ASSERT_EQ(c->n_credentials, 0);
	ASSERT_STREQ(im->work_dir, CDH_DEFAULT_IMAGE_WORK_DIR);
	ASSERT_EQ(im->max_concurrent_layer_downloads_per_image, 3);
	ASSERT_STREQ(im->sigstore_config_uri, "kbs:///default/sigstore-config/test");
	ASSERT_STREQ(im->image_security_policy_uri, "kbs:///default/security-policy/test");
	ASSERT_STREQ(im->authenticated_registry_credentials_uri, "kbs:///default/credential/test");
	ASSERT_TRUE(im->image_security_policy == NULL && im->sigstore_config == NULL &&
		    im->registry_configuration_uri == NULL);
	ASSERT_EQ(im->n_extra_root_certificates, 2);
	ASSERT_STREQ(im->extra_root_certificates[1], "cert2");
	ASSERT_TRUE(im->extra_root_certificates[2] == NULL);
	ASSERT_TRUE(im->has_registry_config);
	ASSERT_EQ(im->n_unqualified_search_registries, 2);
	ASSERT_STREQ(im->unqualified_search_registries[1], "example1.com");
	ASSERT_EQ(im->n_registries, 1);
	ASSERT_STREQ(im->registries[0].prefix, "example.com/foo");
	ASSERT_STREQ(im->registries[0].location, "internal-registry-for-example.com/bar");
	ASSERT_TRUE(!im->registries[0].insecure && !im->registries[0].blocked);
	ASSERT_EQ(im->registries[0].n_mirrors, 1);
	ASSERT_STREQ(im->registries[0].mirrors[0].location,
		     "example-mirror-0.local/mirror-for-foo");
	ASSERT_TRUE(!im->registries[0].mirrors[0].insecure);
	ASSERT_TRUE(im->has_image_pull_proxy);
	ASSERT_STREQ(im->https_proxy, "http://127.0.0.1:8080");
	ASSERT_TRUE(im->http_proxy == NULL && im->no_proxy == NULL);
}

static void test_every_key(void)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = parse_ok(
	    "socket = \"unix:///tmp/cdh.sock\"\n"
	    "skip_sealed_secret_verification = true\n"
	    "unknown_root_key = 1\n"
	    "[aa]\naa_socket = \"unix:///tmp/aa.sock\"\n"
	    "[kbc]\nname = \"cc_kbc\"\nurl = \"http://kbs:8080\"\n"
	    "kbs_cert = \"\"\"\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
	    "CERTIFICATE-----\n\"\"\"\n"
	    "[[credentials]]\npath = "
	    "\"/run/confidential-containers/cdh/kbs/kms-credential/a.json\"\n"
	    "resource_uri = \"kbs:///default/cred/a\"\n"
	    "[[credentials]]\nresource_uri = \"kbs:///default/cred/b\"\n"
	    "path = \"/run/confidential-containers/cdh/kbs/b\"\n"
	    "[log]\nlevel = \"debug\"\n"
	    "[image]\n"
	    "work_dir = \"/run/image-rs\"\n"
	    "max_concurrent_layer_downloads_per_image = 0\n"
	    "image_security_policy = '{\"default\":[{\"type\":\"reject\"}]}'\n"
	    "sigstore_config = \"default-docker: {}\"\n"
	    "registry_configuration_uri = \"file:///etc/registries.conf\"\n"
	    "some_undefined_field = \"unknown value\"\n"
	    "[image.registry_config]\n"
	    "[[image.registry_config.registry]]\n"
	    "location = \"r1\"\ninsecure = true\nblocked = true\n"
	    "[[image.registry_config.registry.mirror]]\nlocation = \"m1\"\ninsecure = true\n"
	    "[[image.registry_config.registry.mirror]]\nlocation = \"m2\"\n"
	    "[[image.registry_config.registry]]\nprefix = \"p2\"\n"
	    "[image.image_pull_proxy]\nhttp_proxy = \"http://p:1\"\nno_proxy = \"localhost\"\n");
	const struct cdh_image_config *im = &c->image;

	ASSERT_STREQ(c->socket, "unix:///tmp/cdh.sock");
	ASSERT_TRUE(c->skip_sealed_secret_verification);
	ASSERT_STREQ(c->aa_socket, "unix:///tmp/aa.sock");
	ASSERT_STREQ(c->kbc_name, "cc_kbc");
	ASSERT_STREQ(c->kbc_url, "http://kbs:8080");
	ASSERT_STREQ(c->kbs_cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	ASSERT_EQ(c->n_credentials, 2);
	ASSERT_STREQ(c->credentials[0].resource_uri, "kbs:///default/cred/a");
	ASSERT_STREQ(c->credentials[1].path, "/run/confidential-containers/cdh/kbs/b");
	ASSERT_STREQ(c->log_level, "debug");
	ASSERT_STREQ(im->work_dir, "/run/image-rs");
	ASSERT_EQ(im->max_concurrent_layer_downloads_per_image, 0);
	ASSERT_STREQ(im->image_security_policy, "{\"default\":[{\"type\":\"reject\"}]}");
	ASSERT_STREQ(im->sigstore_config, "default-docker: {}");
	ASSERT_STREQ(im->registry_configuration_uri, "file:///etc/registries.conf");
	/* registry_config present without the list: its default */
	ASSERT_EQ(im->n_unqualified_search_registries, 1);
	ASSERT_STREQ(im->unqualified_search_registries[0], "docker.io");
	ASSERT_EQ(im->n_registries, 2);
	ASSERT_STREQ(im->registries[0].prefix, "");
	ASSERT_TRUE(im->registries[0].insecure && im->registries[0].blocked);
	ASSERT_EQ(im->registries[0].n_mirrors, 2);
	ASSERT_TRUE(im->registries[0].mirrors[0].insecure &&
		    !im->registries[0].mirrors[1].insecure);
	ASSERT_STREQ(im->registries[1].prefix, "p2");
	ASSERT_STREQ(im->registries[1].location, "");
	ASSERT_TRUE(im->has_image_pull_proxy);
	ASSERT_TRUE(im->https_proxy == NULL);
	ASSERT_STREQ(im->no_proxy, "localhost");
}

static void test_minimal_defaults(void)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = NULL;

	/* upstream case: only [kbc] name; [image] absent -> image-rs from_kernel_cmdline() */
	set_cmdline("agent.https_proxy=http://1.2.3.4:1234 agent.image_registry_auth=kbs:///a/b/c");
	c = parse_ok("[kbc]\nname = \"offline_fs_kbc\"\n");
	ASSERT_STREQ(c->socket, CDH_DEFAULT_SOCKET);
	ASSERT_STREQ(c->aa_socket, CDH_DEFAULT_AA_SOCKET);
	ASSERT_STREQ(c->kbc_url, "");
	ASSERT_TRUE(c->kbs_cert == NULL);
	ASSERT_STREQ(c->log_level, "info");
	ASSERT_STREQ(c->image.work_dir, CDH_DEFAULT_IMAGE_WORK_DIR);
	ASSERT_EQ(c->image.max_concurrent_layer_downloads_per_image, 3);
	ASSERT_TRUE(!c->image.has_registry_config && c->image.n_registries == 0);
	ASSERT_STREQ(c->image.authenticated_registry_credentials_uri, "kbs:///a/b/c");
	ASSERT_STREQ(c->image.https_proxy, "http://1.2.3.4:1234");
	c = cdh_config_free(c);

	/* [image] present (even empty): the cmdline is not consulted */
	c = parse_ok("[kbc]\nname = \"offline_fs_kbc\"\n[image]\n");
	ASSERT_TRUE(c->image.authenticated_registry_credentials_uri == NULL);
	ASSERT_TRUE(!c->image.has_image_pull_proxy);
	set_cmdline("BOOT_IMAGE=/vmlinuz\n");
}

static void test_types_and_positions(void)
{
	parse_err("[kbc]\nname = \"x\"\n[[credentials]]\n", -EINVAL, "cdh.toml:3:1: ");
	parse_err("socket = \"x\"\n", -EINVAL, "missing section [kbc]");
	parse_err("[kbc]\nurl = \"x\"\n", -EINVAL, "cdh.toml:1:1: [kbc]: missing key 'name'");
	parse_err("socket = 1\n[kbc]\nname = \"x\"\n", -EBADMSG,
		  "cdh.toml:1:1: 'socket': expected a string, found integer");
	parse_err("[kbc]\nname = \"x\"\n  url   = true\n", -EBADMSG,
		  "cdh.toml:3:3: 'kbc.url': expected a string, found boolean");
	parse_err("skip_sealed_secret_verification = \"true\"\n[kbc]\nname = \"x\"\n", -EBADMSG,
		  "cdh.toml:1:1: 'skip_sealed_secret_verification': expected a boolean");
	parse_err("kbc = \"x\"\n", -EBADMSG, "'kbc': expected a table, found string");
	parse_err("aa = 1\n[kbc]\nname = \"x\"\n", -EBADMSG, "'aa': expected a table");
	parse_err("[aa]\naa_socket = []\n[kbc]\nname = \"x\"\n", -EBADMSG, "cdh.toml:2:1:");
	parse_err("[log]\nlevel = 3\n[kbc]\nname = \"x\"\n", -EBADMSG, "'log.level'");
	parse_err("credentials = 1\n[kbc]\nname = \"x\"\n", -EBADMSG, "'credentials'");
	parse_err("credentials = [1]\n[kbc]\nname = \"x\"\n", -EBADMSG, "array of tables");
	parse_err("[kbc]\nname = \"x\"\n[[credentials]]\npath = \"/p\"\nresource_uri = \"u\"\n"
		  "[[credentials]]\npath = 5\n",
		  -EBADMSG, "cdh.toml:7:1: 'credentials.path'");
	parse_err("[kbc]\nname = \"x\"\n[image]\nmax_concurrent_layer_downloads_per_image = -1\n",
		  -EBADMSG, "cdh.toml:4:1: 'max_concurrent_layer_downloads_per_image' must not");
	parse_err(
	    "[kbc]\nname = \"x\"\n[image]\nmax_concurrent_layer_downloads_per_image = \"3\"\n",
	    -EBADMSG, "expected an integer, found string");
	parse_err("[kbc]\nname = \"x\"\n[image]\nmax_concurrent_layer_downloads_per_image = 3.0\n",
		  -EBADMSG, "expected an integer, found float");
	parse_err("[kbc]\nname = \"x\"\n[image]\nwork_dir = 1\n", -EBADMSG,
		  "cdh.toml:4:1: 'image.work_dir'");
	parse_err("[kbc]\nname = \"x\"\n[image]\nextra_root_certificates = [\"a\", 1]\n", -EBADMSG,
		  "element 1 is not a string");
	parse_err("[kbc]\nname = \"x\"\n[image]\nextra_root_certificates = \"a\"\n", -EBADMSG,
		  "expected an array");
	parse_err("[kbc]\nname = \"x\"\n[image]\nimage_pull_proxy = \"x\"\n", -EBADMSG,
		  "'image.image_pull_proxy': expected a table");
	parse_err("[kbc]\nname = \"x\"\n[image.image_pull_proxy]\nno_proxy = false\n", -EBADMSG,
		  "cdh.toml:4:1: 'image.image_pull_proxy.no_proxy'");
	parse_err("[kbc]\nname = \"x\"\n[image.registry_config]\n"
		  "unqualified-search-registries = \"docker.io\"\n",
		  -EBADMSG, "cdh.toml:4:1:");
	parse_err("[kbc]\nname = \"x\"\n[[image.registry_config.registry]]\ninsecure = \"no\"\n",
		  -EBADMSG, "cdh.toml:4:1: 'image.registry_config.registry.insecure'");
	parse_err("[kbc]\nname = \"x\"\n[[image.registry_config.registry]]\n"
		  "[[image.registry_config.registry.mirror]]\ninsecure = true\n",
		  -EINVAL, "missing key 'location'");
	parse_err("[kbc]\nname = \"x\"\n[image.registry_config]\nregistry = [1]\n", -EBADMSG,
		  "'registry' must be tables");
	parse_err("[kbc]\nname = \"a\\u0000b\"\n", -EBADMSG, "NUL");
	/* TOML syntax errors carry the parser's line:column */
	parse_err("[kbc]\nname = \"x\"\nname = \"y\"\n", -EBADMSG, "cdh.toml:3:");
	parse_err("[kbc\n", -EBADMSG, "cdh.toml:1:");
	parse_err("[kbc]\nname = 'x\n", -EBADMSG, "cdh.toml:2:");
}

static void test_credential_paths(void)
{
	static const char *const good[] = {
		"/run/confidential-containers/cdh/kbs/kms-credential/aliyun/config.toml",
		"/run/confidential-containers/cdh/kbs/x",
		"/run/confidential-containers/cdh/kbs/a..b/.c",
	};
	static const char *const bad[] = {
		"/run/confidential-containers/cdh/kbs/../../config.toml",
		"/run/confidential-containers/cdh/kbs/kms-credential/../../../config.toml",
		"/run/confidential-containers/cdh/kbs/kms-credential/./config.toml",
		"/run/confidential-containers/cdh/kbs",
		"/run/confidential-containers/cdh/kbs/",
		"/run/confidential-containers/cdh/kbsfoo",
		"/etc/passwd",
		"run/confidential-containers/cdh/kbs/x",
		"",
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		ASSERT_OK(cdh_config_check_credential_path(good[i]));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cdh_config_check_credential_path(bad[i]) != -EPERM)
			FAIL_("'%s' accepted", bad[i]);
	ASSERT_ERR(cdh_config_check_credential_path(NULL), -EPERM);
}

static int load_text(const char *text, struct cdh_config **ret, struct buf *err)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/cdh.toml", tmpdir);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, path, text, strlen(text), 0644));
	return cdh_config_load(path, &env, ret, err);
}

static void test_load_overrides(void)
{
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;

	/* the env replaces the file's credentials URI (upstream bin/config test) */
	env_image_creds = "kbs:///default/auth/2";
	set_cmdline("cdh.kbs_resources=kbs:///a/b/c::/run/confidential-containers/cdh/kbs/x,junk,,"
		    "kbs:///d/e/f::/run/confidential-containers/cdh/kbs/y "
		    "cdh.kbs_resources=kbs:///ignored/second/word::/run/x");
	ASSERT_OK(load_text("[kbc]\nname = \"offline_fs_kbc\"\n[image]\n"
			    "authenticated_registry_credentials_uri = \"kbs:///default/auth/1\"\n"
			    "[[credentials]]\nresource_uri = \"kbs:///f/i/le\"\n"
			    "path = \"/run/confidential-containers/cdh/kbs/file\"\n",
			    &c, &err));
	ASSERT_STREQ(c->image.authenticated_registry_credentials_uri, "kbs:///default/auth/2");
	ASSERT_EQ(c->n_credentials, 3);
	ASSERT_STREQ(c->credentials[0].path, "/run/confidential-containers/cdh/kbs/file");
	ASSERT_STREQ(c->credentials[1].resource_uri, "kbs:///a/b/c");
	ASSERT_STREQ(c->credentials[1].path, "/run/confidential-containers/cdh/kbs/x");
	ASSERT_STREQ(c->credentials[2].resource_uri, "kbs:///d/e/f");
	c = cdh_config_free(c);
	env_image_creds = NULL;

	/* a cmdline credential outside the kbs dir stops the start, as upstream */
	set_cmdline("cdh.kbs_resources=kbs:///a/b/c::/etc/shadow");
	ASSERT_ERR(load_text("[kbc]\nname = \"x\"\n", &c, &err), -EINVAL);
	ASSERT_TRUE(strstr(buf_str(&err), "/etc/shadow") != NULL);
	set_cmdline("");
	ASSERT_ERR(
	    load_text("[kbc]\nname = \"x\"\n[[credentials]]\nresource_uri = \"kbs:///a/b/c\"\n"
		      "path = \"/run/confidential-containers/cdh/kbs/../x\"\n",
		      &c, &err),
	    -EINVAL);
	ASSERT_ERR(load_text("[kbc]\nname = \"x\"\n[[credentials]]\nresource_uri = \"a/b/c\"\n"
			     "path = \"/run/confidential-containers/cdh/kbs/x\"\n",
			     &c, &err),
		   -EINVAL);
	ASSERT_TRUE(strstr(buf_str(&err), "a/b/c") != NULL);

	/* an unreadable cmdline is an error (upstream reads it for cdh.kbs_resources) */
	ASSERT_OK(unlink(cmdline_path));
	ASSERT_ERR(load_text("[kbc]\nname = \"x\"\n", &c, &err), -ENOENT);
	set_cmdline("");

	ASSERT_ERR(cdh_config_load("/nonexistent/cdh.toml", &env, &c, &err), -ENOENT);
	ASSERT_TRUE(strstr(buf_str(&err), "/nonexistent/cdh.toml") != NULL);
	ASSERT_TRUE(c == NULL);
}

static void test_no_file_fallbacks(void)
{
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;

	/* nothing anywhere: offline_fs_kbc */
	set_cmdline("console=ttyS0");
	ASSERT_OK(cdh_config_load(NULL, &env, &c, &err));
	ASSERT_STREQ(c->kbc_name, "offline_fs_kbc");
	ASSERT_STREQ(c->kbc_url, "");
	ASSERT_STREQ(c->socket, CDH_DEFAULT_SOCKET);
	ASSERT_EQ(c->n_credentials, 0);
	c = cdh_config_free(c);

	/* the kernel cmdline: first agent.aa_kbc_params wins */
	set_cmdline("a agent.aa_kbc_params=cc_kbc::http://10.0.0.1:8080 "
		    "agent.aa_kbc_params=offline_fs_kbc::x");
	ASSERT_OK(cdh_config_load(NULL, &env, &c, &err));
	ASSERT_STREQ(c->kbc_name, "cc_kbc");
	ASSERT_STREQ(c->kbc_url, "http://10.0.0.1:8080");
	c = cdh_config_free(c);

	/* the env beats the cmdline */
	env_aa_kbc_params = "cc_kbc::https://kbs.example:443";
	ASSERT_OK(cdh_config_load(NULL, &env, &c, &err));
	ASSERT_STREQ(c->kbc_url, "https://kbs.example:443");
	c = cdh_config_free(c);

	env_aa_kbc_params = "cc_kbc";
	ASSERT_ERR(cdh_config_load(NULL, &env, &c, &err), -EINVAL);
	ASSERT_TRUE(strstr(buf_str(&err), "aa_kbc_params") != NULL);
	env_aa_kbc_params = "a::b::c";
	ASSERT_ERR(cdh_config_load(NULL, &env, &c, &err), -EINVAL);
	env_aa_kbc_params = "::";
	ASSERT_OK(cdh_config_load(NULL, &env, &c, &err));
	ASSERT_STREQ(c->kbc_name, "");
	c = cdh_config_free(c);
	env_aa_kbc_params = NULL;

	set_cmdline("agent.aa_kbc_params=broken");
	ASSERT_ERR(cdh_config_load(NULL, &env, &c, &err), -EINVAL);
	set_cmdline("");
}

static void test_image_cmdline(void)
{
	static const struct {
		const char *cmdline;
		const char *https, *http, *no, *auth, *policy;
	} cases[] = {
		{ "BOOT_IMAGE=/boot/vmlinuz-6.2.0-060200-generic root=UUID=f601123 ro vga=792 "
		  "console=tty0 console=ttyS0,115200n8 agent.https_proxy=http://1.2.3.4:1234",
		  "http://1.2.3.4:1234", NULL, NULL, NULL, NULL },
		{ "\n        BOOT_IMAGE=/boot/vmlinuz agent.no_proxy=localhost   \n "
		  "agent.image_registry_auth=kbs:///default/credentials/test root=UUID=f601123 "
		  "agent.https_proxy=http://1.2.3.4:1234",
		  "http://1.2.3.4:1234", NULL, "localhost", "kbs:///default/credentials/test",
		  NULL },
		/* the policy file only counts with signature verification on */
		{ "agent.image_policy_file=file:///etc/image-policy.json agent.image_registry_auth="
		  "kbs:///a/b/c",
		  NULL, NULL, NULL, "kbs:///a/b/c", NULL },
		{ "agent.enable_signature_verification=true agent.no_proxy=localhost "
		  "agent.image_policy_file=file:///etc/image-policy.json  \n "
		  "agent.image_registry_auth=kbs:///a/b/c agent.https_proxy=http://1.2.3.4:1234 "
		  "agent.http_proxy=http://1.2.3.4:1234",
		  "http://1.2.3.4:1234", "http://1.2.3.4:1234", "localhost", "kbs:///a/b/c",
		  "file:///etc/image-policy.json" },
		{ "agent.enable_signature_verification=True agent.image_policy_file=p", NULL, NULL,
		  NULL, NULL, NULL },
		/* a key given twice: the last one wins (a map, as upstream) */
		{ "agent.https_proxy=a agent.https_proxy=b=c", "b=c", NULL, NULL, NULL, NULL },
		{ "agent.https_proxyx=a agent.https_proxy", NULL, NULL, NULL, NULL, NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(cdh_config_freep) struct cdh_config *c = NULL;
		const struct cdh_image_config *im;

		set_cmdline(cases[i].cmdline);
		c = parse_ok("[kbc]\nname = \"offline_fs_kbc\"\n");
		im = &c->image;
		ASSERT_TRUE(streq_ptr(im->https_proxy, cases[i].https));
		ASSERT_TRUE(streq_ptr(im->http_proxy, cases[i].http));
		ASSERT_TRUE(streq_ptr(im->no_proxy, cases[i].no));
		ASSERT_TRUE(streq_ptr(im->authenticated_registry_credentials_uri, cases[i].auth));
		ASSERT_TRUE(streq_ptr(im->image_security_policy_uri, cases[i].policy));
		ASSERT_EQ(im->has_image_pull_proxy, cases[i].https || cases[i].http || cases[i].no);
	}
	set_cmdline("");
}

static void test_aa_kbc_params(void)
{
	_cleanup_free_ char *k = NULL, *u = NULL;

	ASSERT_OK(cdh_config_parse_aa_kbc_params("cc_kbc::http://127.0.0.1:8080", &k, &u));
	ASSERT_STREQ(k, "cc_kbc");
	ASSERT_STREQ(u, "http://127.0.0.1:8080");
	ASSERT_ERR(cdh_config_parse_aa_kbc_params("cc_kbc:http://x", &k, &u), -EINVAL);
	ASSERT_ERR(cdh_config_parse_aa_kbc_params("a::b::", &k, &u), -EINVAL);
	ASSERT_ERR(cdh_config_parse_aa_kbc_params("", &k, &u), -EINVAL);
}

static void test_ocicrypt(void)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = parse_ok(
	    "socket = \"unix:///run/x \\\"q\\\".sock\"\n[kbc]\nname = \"x\"\n");
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED), f = BUF_INIT(BUF_UNLIMITED);
	char dir[400], file[500];

	ASSERT_OK(cdh_config_ocicrypt_json(c, &b));
	ASSERT_STREQ(buf_str(&b), "{\"key-providers\":{\"attestation-agent\":{\"ttrpc\":"
				  "\"unix:///run/x \\\"q\\\".sock\"}}}");
	snprintf(dir, sizeof(dir), "%s/run/cdh", tmpdir);
	ASSERT_OK(cdh_config_write_ocicrypt_config(c, dir));
	snprintf(file, sizeof(file), "%s/" CDH_OCICRYPT_CONFIG_NAME, dir);
	ASSERT_OK(fs_read_file(AT_FDCWD, file, &f));
	ASSERT_STREQ(buf_str(&f), buf_str(&b));
	/* again, over the old one */
	ASSERT_OK(cdh_config_write_ocicrypt_config(c, dir));
}

/* upstream's shipped example config and its test config load as they are */
static void test_upstream_files(void)
{
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;
	int r;

	set_cmdline("");
	r = cdh_config_load(TEST_DATA_DIR "/upstream-example.config.toml", &env, &c, &err);
	if (r < 0)
		FAIL_("%d %s", r, buf_str(&err));
	ASSERT_STREQ(c->kbc_name, "cc_kbc");
	ASSERT_STREQ(c->kbc_url, "http://example.io:8080");
	ASSERT_TRUE(startswith(c->kbs_cert, "-----BEGIN CERTIFICATE-----\n"));
	ASSERT_EQ(c->n_credentials, 2);
	ASSERT_STREQ(c->credentials[1].resource_uri, "kbs:///default/test/file");
	ASSERT_STREQ(c->image.registry_configuration_uri,
		     "kbs:///default/registry-configuration/test");
	ASSERT_TRUE(c->image.n_registries >= 2);
	ASSERT_STREQ(c->image.registries[0].prefix, "example.com/banned");
	ASSERT_TRUE(c->image.registries[0].blocked);
	c = cdh_config_free(c);

	r = cdh_config_load(TEST_DATA_DIR "/upstream-cdh.toml", &env, &c, &err);
	if (r < 0)
		FAIL_("%d %s", r, buf_str(&err));
	ASSERT_STREQ(c->kbc_url, "null");
	ASSERT_EQ(c->image.max_concurrent_layer_downloads_per_image, 4);
	c = cdh_config_free(c);
}

TESTS(setup, test_upstream_files, test_upstream_full, test_every_key, test_minimal_defaults,
      test_types_and_positions, test_credential_paths, test_load_overrides, test_no_file_fallbacks,
      test_image_cmdline, test_aa_kbc_params, test_ocicrypt, cleanup)
