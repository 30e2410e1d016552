/* SPDX-License-Identifier: Apache-2.0 */
/* Bundle config: User resolution inside an image root (names, ids, groups, missing
 * entries, malformed values) and config.json built from an image config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "common/fs.h"
#include "common/json-util.h"
#include "image-rs/bundle.h"
#include "tests/unit/tests.h"

static int make_root(char *dir)
{
	char p[256];
	int fd;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/etc", dir);
	ASSERT_OK(mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_TRUE(fd >= 0);
	dprintf(fd, "root:x:0:0::/root:/bin/sh\n# comment\nbroken\napp:x:1000:1001::/:/bin/sh\n"
		    "big:x:99999999999:1::/:/bin/sh\n");
	close(fd);
	snprintf(p, sizeof(p), "%s/etc/group", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_TRUE(fd >= 0);
	dprintf(fd, "root:x:0:\napp:x:1001:\nstaff:x:50:app\n");
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	return fd;
}

static void test_resolve_user(void)
{
	static const struct {
		const char *user;
		int r;
		uint32_t uid, gid;
	} cases[] = {
		{ NULL, 0, 0, 0 },           { "", 0, 0, 0 },
		{ "app", 0, 1000, 1001 },    { "1000", 0, 1000, 1001 },
		{ "4242", 0, 4242, 0 },      { "app:staff", 0, 1000, 50 },
		{ "app:7", 0, 1000, 7 },     { "5:7", 0, 5, 7 },
		{ "nobody", -ENOENT, 0, 0 }, { "app:nogroup", -ENOENT, 0, 0 },
		{ "app:", -EINVAL, 0, 0 },   { "big", -ENOENT, 0, 0 },
	};
	char dir[] = "/tmp/test-bundle.XXXXXX";
	int rootfd = make_root(dir);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(buf_done) struct buf err = BUF_INIT(1024);
		uint32_t uid = 77, gid = 77;
		int r = bundle_resolve_user(rootfd, cases[i].user, &uid, &gid, &err);

		if (r != cases[i].r)
			printf("# '%s': %d %s\n", cases[i].user ?: "(null)", r, buf_str(&err));
		ASSERT_EQ(r, cases[i].r);
		if (r == 0) {
			ASSERT_EQ(uid, cases[i].uid);
			ASSERT_EQ(gid, cases[i].gid);
		} else
			ASSERT_TRUE(err.len > 0);
	}
	close(rootfd);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, dir));
}

static void test_runtime_config(void)
{
	static const char image_config[] =
	    "{\"os\":\"linux\",\"architecture\":\"amd64\",\"created\":\"2024-01-01T00:00:00Z\","
	    "\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"run\"],\"Entrypoint\":[\"/bin/app\"],"
	    "\"WorkingDir\":\"/"
	    "w\",\"Labels\":{\"org.opencontainers.image.os\":\"mine\",\"x\":\"y\"},"
	    "\"ExposedPorts\":{\"80/tcp\":{}},\"StopSignal\":\"SIGINT\",\"Volumes\":{\"/v\":{}}},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	_cleanup_(json_object_putp) json_object *in = NULL, *spec = NULL;
	json_object *p, *ann, *m;
	const char *s;

	ASSERT_OK(json_parse(image_config, sizeof(image_config) - 1, 1 << 16, 16, &in, NULL));
	ASSERT_OK(bundle_runtime_config(in, 1000, 50, &spec));
	ASSERT_OK(json_get_object(spec, "process", &p));
	ASSERT_STREQ(json_object_to_json_string_ext(json_object_object_get(p, "args"),
						    JSON_C_TO_STRING_PLAIN),
		     "[\"\\/bin\\/app\",\"run\"]");
	ASSERT_OK(json_get_string(p, "cwd", &s));
	ASSERT_STREQ(s, "/w");
	ASSERT_OK(json_get_object(spec, "annotations", &ann));
	/* a label wins over the config's own value */
	ASSERT_OK(json_get_string(ann, "org.opencontainers.image.os", &s));
	ASSERT_STREQ(s, "mine");
	ASSERT_OK(json_get_string(ann, "org.opencontainers.image.architecture", &s));
	ASSERT_STREQ(s, "amd64");
	ASSERT_OK(json_get_string(ann, "org.opencontainers.image.exposedPorts", &s));
	ASSERT_STREQ(s, "80/tcp");
	ASSERT_OK(json_get_string(ann, "org.opencontainers.image.stopSignal", &s));
	ASSERT_STREQ(s, "SIGINT");
	m = json_object_array_get_idx(json_object_object_get(spec, "mounts"), 0);
	ASSERT_OK(json_get_string(m, "destination", &s));
	ASSERT_STREQ(s, "/v");
	/* volumes first, then oci-spec's seven default mounts */
	ASSERT_EQ(json_object_array_length(json_object_object_get(spec, "mounts")), 8u);
}

TESTS(test_resolve_user, test_runtime_config)
