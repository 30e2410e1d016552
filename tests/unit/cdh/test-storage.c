/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/storage: block-device option parsing and refusals, uevent DEVNAME, header path,
 * mkfs.ext4 -n output parsing and the -E lazy_itable_init=0 rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdh/storage/storage.h"
#include "tests/unit/tests.h"

#define PARSE(o, err, ...)                                                                         \
	({                                                                                         \
		const char *kv_[] = { __VA_ARGS__ };                                               \
		const char *k_[ELEMENTSOF(kv_) / 2], *v_[ELEMENTSOF(kv_) / 2];                     \
		for (size_t i_ = 0; i_ < ELEMENTSOF(kv_) / 2; i_++) {                              \
			k_[i_] = kv_[2 * i_];                                                      \
			v_[i_] = kv_[2 * i_ + 1];                                                  \
		}                                                                                  \
		cdh_storage_parse(k_, v_, ELEMENTSOF(kv_) / 2, (o), (err));                        \
	})

static void test_kata_ephemeral(void)
{
	struct cdh_storage_opts o;
	struct cdh_error err = {};

	ASSERT_OK(PARSE(&o, &err, "deviceId", "253:16", "sourceType", "empty", "targetType",
			"fileSystem", "filesystemType", "ext4", "encryptionType", "luks2",
			"dataIntegrity", "true", "somethingElse", "ignored"));
	ASSERT_STREQ(o.device_id, "253:16");
	ASSERT_EQ(o.source, CDH_STORAGE_SOURCE_EMPTY);
	ASSERT_EQ(o.target, CDH_STORAGE_TARGET_FILESYSTEM);
	ASSERT_EQ(o.key_kind, CDH_STORAGE_KEY_RANDOM);
	ASSERT_TRUE(o.integrity);
	/* a UUID v4 */
	ASSERT_EQ(strlen(o.mapper_name), 36);
	ASSERT_EQ(o.mapper_name[14], '4');
	ASSERT_TRUE(strchr("89ab", o.mapper_name[19]) != NULL);
	ASSERT_EQ(o.n_mkfs_args, 0);
	cdh_storage_opts_done(&o);
}

static void test_trusted_store(void)
{
	struct cdh_storage_opts o;
	struct cdh_error err = {};

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/trusted_store", "encryptionType", "luks2",
			"sourceType", "encrypted", "targetType", "device", "mapperName", "ts",
			"key", "file:///run/key", "mkfsOpts", "  -E  nodiscard\t-m 0 "));
	ASSERT_STREQ(o.device_path, "/dev/trusted_store");
	ASSERT_EQ(o.source, CDH_STORAGE_SOURCE_ENCRYPTED);
	ASSERT_EQ(o.target, CDH_STORAGE_TARGET_DEVICE);
	ASSERT_EQ(o.key_kind, CDH_STORAGE_KEY_FILE);
	ASSERT_STREQ(o.key, "/run/key");
	ASSERT_STREQ(o.mapper_name, "ts");
	ASSERT_EQ(o.n_mkfs_args, 4);
	ASSERT_STREQ(o.mkfs_args[0], "-E");
	ASSERT_STREQ(o.mkfs_args[1], "nodiscard");
	ASSERT_STREQ(o.mkfs_args[3], "0");
	ASSERT_TRUE(o.mkfs_args[4] == NULL);
	ASSERT_TRUE(!o.integrity);
	cdh_storage_opts_done(&o);

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "key",
			"sealed.a.b.c.d"));
	ASSERT_EQ(o.key_kind, CDH_STORAGE_KEY_SEALED);
	cdh_storage_opts_done(&o);
	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "key",
			"kbs:///default/key/1", "dataIntegrity", "false"));
	ASSERT_EQ(o.key_kind, CDH_STORAGE_KEY_URI);
	ASSERT_TRUE(!o.integrity);
	cdh_storage_opts_done(&o);
}

static void test_refusals(void)
{
	struct cdh_storage_opts o;
	struct cdh_error err = {};
	char big[CDH_STORAGE_OPTION_MAX + 2], many[CDH_STORAGE_MKFS_ARGS_MAX * 2 + 4];

	ASSERT_ERR(PARSE(&o, &err, "encryptionType", "luks2"), -EINVAL);
	ASSERT_TRUE(strstr(err.message, "deviceId") != NULL);
	ASSERT_ERR(PARSE(&o, &err, "deviceId", "253", "encryptionType", "luks2"), -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "deviceId", "a:1", "encryptionType", "luks2"), -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "deviceId", "1:", "encryptionType", "luks2"), -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "dev/vdb", "encryptionType", "luks2"), -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb"), -EINVAL);
	ASSERT_TRUE(strstr(err.message, "encryptionType") != NULL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "zfs"), -EOPNOTSUPP);
	ASSERT_TRUE(strstr(err.message, "zfs") != NULL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks1"), -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "sourceType", "full"),
		   -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "targetType", "dir"),
		   -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "filesystemType", "xfs"),
		   -EINVAL);
	ASSERT_ERR(
	    PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "key", "http://x"),
	    -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "key",
			 "file://rel"),
		   -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "sourceType", "encrypted"),
		   -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "mapperName", "a/b"),
		   -EINVAL);
	ASSERT_ERR(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			 "mapperName", ".."),
		   -EINVAL);
	ASSERT_ERR(
	    PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "mapperName", ""),
	    -EINVAL);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ASSERT_ERR(PARSE(&o, &err, "devicePath", big, "encryptionType", "luks2"), -EINVAL);
	big[CDH_STORAGE_MAPPER_NAME_MAX + 1] = 0;
	ASSERT_ERR(
	    PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "mapperName", big),
	    -EINVAL);
	for (size_t i = 0; i < CDH_STORAGE_MKFS_ARGS_MAX + 1; i++) {
		many[2 * i] = 'x';
		many[2 * i + 1] = ' ';
	}
	many[2 * (CDH_STORAGE_MKFS_ARGS_MAX + 1)] = 0;
	ASSERT_ERR(
	    PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "mkfsOpts", many),
	    -E2BIG);
}

static void test_uevent(void)
{
	static const char ue[] = "MAJOR=253\nMINOR=16\nDEVNAME=vdb\nDEVTYPE=disk\n";
	char out[64], dir[] = "/tmp/test-storage-XXXXXX", p[256];
	FILE *f;

	ASSERT_OK(cdh_storage_uevent_devname(ue, sizeof ue - 1, out, sizeof out));
	ASSERT_STREQ(out, "/dev/vdb");
	ASSERT_OK(cdh_storage_uevent_devname("DEVNAME=mapper/x", 16, out, sizeof out));
	ASSERT_STREQ(out, "/dev/mapper/x");
	ASSERT_ERR(cdh_storage_uevent_devname("MAJOR=1\n", 8, out, sizeof out), -ENOENT);
	ASSERT_ERR(cdh_storage_uevent_devname("DEVNAME=\n", 9, out, sizeof out), -ENOENT);
	ASSERT_ERR(cdh_storage_uevent_devname("DEVNAME=../etc\n", 15, out, sizeof out), -EBADMSG);
	ASSERT_ERR(cdh_storage_uevent_devname("DEVNAME=a/..\n", 13, out, sizeof out), -EBADMSG);
	ASSERT_OK(cdh_storage_uevent_devname("DEVNAME=a..b\n", 13, out, sizeof out));
	ASSERT_ERR(cdh_storage_uevent_devname(ue, sizeof ue - 1, out, 8), -ENAMETOOLONG);

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(p, sizeof p, "%s/dev", dir);
	ASSERT_OK(mkdir(p, 0700));
	snprintf(p, sizeof p, "%s/dev/block", dir);
	ASSERT_OK(mkdir(p, 0700));
	snprintf(p, sizeof p, "%s/dev/block/8:0", dir);
	ASSERT_OK(mkdir(p, 0700));
	snprintf(p, sizeof p, "%s/dev/block/8:0/uevent", dir);
	f = fopen(p, "w");
	ASSERT_TRUE(f != NULL);
	fputs(ue, f);
	fclose(f);
	ASSERT_OK(cdh_storage_device_from_id(dir, "8:0", out, sizeof out));
	ASSERT_STREQ(out, "/dev/vdb");
	ASSERT_ERR(cdh_storage_device_from_id(dir, "8:1", out, sizeof out), -ENOENT);
	ASSERT_ERR(cdh_storage_device_from_id(dir, "../8:0", out, sizeof out), -EINVAL);
	unlink(p);
	snprintf(p, sizeof p, "%s/dev/block/8:0", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/dev/block", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/dev", dir);
	rmdir(p);
	rmdir(dir);
}

static void test_header_path(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	/* base64url("/dev/vdb") without padding */
	ASSERT_OK(cdh_storage_header_path("/run/cdh", "/dev/vdb", &b));
	ASSERT_STREQ(buf_str(&b), "/run/cdh/luks-headers/L2Rldi92ZGI.header");
	buf_reset(&b);
	setenv("CDH_RUN_DIR", "/tmp/x", 1);
	ASSERT_OK(cdh_storage_header_path(NULL, "/dev/trusted_store", &b));
	ASSERT_STREQ(buf_str(&b), "/tmp/x/luks-headers/L2Rldi90cnVzdGVkX3N0b3Jl.header");
	unsetenv("CDH_RUN_DIR");
}

static void test_backups(void)
{
	static const char out[] = "Creating filesystem with 262144 4k blocks and 65536 inodes\n"
				  "Filesystem UUID: 0b0e\n"
				  "Superblock backups stored on blocks: \n"
				  "\t32768, 98304, 163840, 229376\n\n"
				  "Allocating group tables: done\n";
	uint64_t b[8];
	size_t n;

	ASSERT_OK(cdh_storage_parse_backups(out, sizeof out - 1, b, 8, &n));
	ASSERT_EQ(n, 5);
	ASSERT_EQ(b[0], 0);
	ASSERT_EQ(b[1], 32768);
	ASSERT_EQ(b[4], 229376);
	ASSERT_ERR(cdh_storage_parse_backups(out, sizeof out - 1, b, 3, &n), -E2BIG);
	ASSERT_OK(cdh_storage_parse_backups("Creating filesystem\n", 20, b, 8, &n));
	ASSERT_EQ(n, 1);
	ASSERT_ERR(
	    cdh_storage_parse_backups("Superblock backups stored on blocks: x", 38, b, 8, &n),
	    -EBADMSG);
	ASSERT_ERR(cdh_storage_parse_backups(
		       "Superblock backups stored on blocks: 99999999999999999999", 57, b, 8, &n),
		   -EBADMSG);
}

static void test_mkfs_argv(void)
{
	struct cdh_storage_opts o;
	struct cdh_error err = {};
	_cleanup_(buf_done) struct buf e = BUF_INIT(BUF_UNLIMITED);
	const char *argv[16];
	int k;

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			"dataIntegrity", "true"));
	k = cdh_storage_mkfs_argv(&o, "/dev/mapper/m", &e, argv, 16);
	ASSERT_EQ(k, 5);
	ASSERT_STREQ(argv[0], "mkfs.ext4");
	ASSERT_STREQ(argv[1], "-F");
	ASSERT_STREQ(argv[2], "-E");
	ASSERT_STREQ(argv[3], "lazy_itable_init=0");
	ASSERT_STREQ(argv[4], "/dev/mapper/m");
	ASSERT_TRUE(argv[5] == NULL);
	cdh_storage_opts_done(&o);

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			"dataIntegrity", "true", "mkfsOpts", "-E nodiscard -m 0 -Ediscard"));
	k = cdh_storage_mkfs_argv(&o, "/dev/mapper/m", &e, argv, 16);
	ASSERT_EQ(k, 8);
	ASSERT_STREQ(argv[3], "nodiscard");
	ASSERT_STREQ(argv[6], "-Ediscard,lazy_itable_init=0");
	ASSERT_STREQ(argv[7], "/dev/mapper/m");
	ASSERT_ERR(cdh_storage_mkfs_argv(&o, "/dev/mapper/m", &e, argv, 8), -E2BIG);
	cdh_storage_opts_done(&o);

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2",
			"dataIntegrity", "true", "mkfsOpts", "-E lazy_itable_init=1"));
	k = cdh_storage_mkfs_argv(&o, "/dev/mapper/m", &e, argv, 16);
	ASSERT_EQ(k, 5);
	ASSERT_STREQ(argv[3], "lazy_itable_init=1");
	cdh_storage_opts_done(&o);

	ASSERT_OK(PARSE(&o, &err, "devicePath", "/dev/vdb", "encryptionType", "luks2", "mkfsOpts",
			"-E nodiscard"));
	buf_reset(&e);
	k = cdh_storage_mkfs_argv(&o, "/dev/mapper/m", &e, argv, 16);
	ASSERT_EQ(k, 5);
	ASSERT_STREQ(argv[3], "nodiscard");
	cdh_storage_opts_done(&o);
}

TESTS(test_kata_ephemeral, test_trusted_store, test_refusals, test_uevent, test_header_path,
      test_backups, test_mkfs_argv)
