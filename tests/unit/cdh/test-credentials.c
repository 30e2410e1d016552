/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/credentials: [[credentials]] and cdh.kbs_resources fetched through offline_fs_kbc
 * into a scratch root; path and URI refusals happen before anything is written. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cdh/credentials.h"
#include "cdh/kms/offline-fs.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

static char root[] = "/tmp/test-cdh-cred-XXXXXX";
static char cmdline[300], resources[300];

static const char *no_env(const char *name)
{
	(void) name;
	return NULL;
}

static struct cdh_config *load(const char *toml)
{
	struct cdh_config_env env = { .proc_cmdline = cmdline, .getenv = no_env };
	struct cdh_config *c = NULL;

	ASSERT_OK(cdh_config_parse("t.toml", toml, strlen(toml), &env, &c, NULL));
	return c;
}

static void expect_file(const char *path, const char *want, mode_t mode)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	char full[600];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	ASSERT_OK(fs_read_file(AT_FDCWD, full, &b));
	ASSERT_STREQ(buf_str(&b), want);
	ASSERT_OK(stat(full, &st));
	ASSERT_EQ(st.st_mode & 07777, mode);
}

static void setup(void)
{
	const char *res = "{\"default/cred/a\":\"Y3JlZC1h\",\"default/cred/b\":\"Y3JlZC1i\"}";

	ASSERT_TRUE(mkdtemp(root) != NULL);
	snprintf(cmdline, sizeof(cmdline), "%s/cmdline", root);
	snprintf(resources, sizeof(resources), "%s/res.json", root);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, cmdline, "", 0, 0644));
	ASSERT_OK(fs_write_atomic(AT_FDCWD, resources, res, strlen(res), 0644));
}

static void cleanup(void)
{
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, root));
}

static void test_provision(void)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	_cleanup_(cdh_config_freep) struct cdh_config *c = load(
	    "[kbc]\nname = \"offline_fs_kbc\"\n"
	    "[[credentials]]\nresource_uri = \"kbs:///default/cred/a\"\n"
	    "path = \"/run/confidential-containers/cdh/kbs/kms-credential/aliyun/a.json\"\n"
	    "[[credentials]]\nresource_uri = \"kbs:///default/cred/b\"\n"
	    "path = \"/run/confidential-containers/cdh/kbs/b\"\n"
	    "[[credentials]]\nresource_uri = \"kbs:///default/cred/a\"\n"
	    "path = \"/run/confidential-containers/cdh/kbs/b\"\n");
	struct cdh_kms kms;

	ASSERT_OK(offline_fs_new("/nonexistent", "/nonexistent", resources, &o));
	kms = offline_fs_kms(o);
	ASSERT_OK(cdh_credentials_provision(c, &kms, root, NULL));
	expect_file("/run/confidential-containers/cdh/kbs/kms-credential/aliyun/a.json", "cred-a",
		    0600);
	expect_file("/run/confidential-containers/cdh/kbs/b", "cred-a", 0600); /* later wins */
}

static void test_refusals(void)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	struct cdh_config *c;
	struct cdh_error err = {};
	struct cdh_kms kms;
	char p[600];

	ASSERT_OK(offline_fs_new("/nonexistent", "/nonexistent", resources, &o));
	kms = offline_fs_kms(o);

	/* a missing resource: nothing of the later one is written */
	c = load("[kbc]\nname = \"x\"\n"
		 "[[credentials]]\nresource_uri = \"kbs:///default/cred/none\"\n"
		 "path = \"/run/confidential-containers/cdh/kbs/none\"\n"
		 "[[credentials]]\nresource_uri = \"kbs:///default/cred/b\"\n"
		 "path = \"/run/confidential-containers/cdh/kbs/late\"\n");
	ASSERT_ERR(cdh_credentials_provision(c, &kms, root, &err), -ENOENT);
	ASSERT_TRUE(strstr(err.message, "kbs:///default/cred/none") != NULL);
	snprintf(p, sizeof(p), "%s/run/confidential-containers/cdh/kbs/late", root);
	ASSERT_TRUE(access(p, F_OK) < 0);
	c = cdh_config_free(c);

	/* a bad path (cdh_config_parse alone does not check; load does) */
	c = load("[kbc]\nname = \"x\"\n"
		 "[[credentials]]\nresource_uri = \"kbs:///default/cred/a\"\n"
		 "path = \"/run/confidential-containers/cdh/kbs/ok\"\n"
		 "[[credentials]]\nresource_uri = \"kbs:///default/cred/a\"\n"
		 "path = \"/run/confidential-containers/cdh/kbs/../../../../etc/x\"\n");
	ASSERT_ERR(cdh_credentials_provision(c, &kms, root, &err), -EPERM);
	snprintf(p, sizeof(p), "%s/run/confidential-containers/cdh/kbs/ok", root);
	ASSERT_TRUE(access(p, F_OK) < 0);
	c = cdh_config_free(c);

	c = load("[kbc]\nname = \"x\"\n"
		 "[[credentials]]\nresource_uri = \"default/cred/a\"\n"
		 "path = \"/run/confidential-containers/cdh/kbs/ok\"\n");
	ASSERT_ERR(cdh_credentials_provision(c, &kms, root, &err), -EINVAL);
	c = cdh_config_free(c);
}

TESTS(setup, test_provision, test_refusals, cleanup)
