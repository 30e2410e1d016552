/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/store.c shared by two store objects on one work dir (each with its own
 * descriptors, so its flocks act as another process's would): holds keep layers from
 * prune until released, removal and prune seen by the other side, orphan dirs, dead
 * hold files, flocked staging dirs surviving another opener's clean-up. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "image-rs/store.h"
#include "tests/unit/tests.h"

static char *commit(struct store *st, const char *digest)
{
	_cleanup_free_ char *staging = NULL;
	char *path = NULL;
	int fd;
	struct store_layer_meta m = { .decoder = DECOMP_GZIP,
				      .compressed_digest = digest,
				      .uncompressed_digest = "sha256:u" };

	ASSERT_EQ(store_layer_begin(st, digest, NULL), 0);
	ASSERT_OK(store_staging_new(st, &staging, &fd));
	ASSERT_OK(fs_write_atomic(fd, "file", "data", 4, 0644));
	ASSERT_OK(store_layer_commit(st, staging, fd, &m, &path));
	close(fd);
	return path;
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static void test_prune(void)
{
	char top[] = "/tmp/cocobox-store-XXXXXX", work[64], p[128];
	struct store *a = NULL, *b = NULL;
	_cleanup_free_ char *l1 = NULL, *l2 = NULL, *l3 = NULL;
	json_object *cfg = json_object_new_object(), *list = NULL;
	struct store_prune_stats ps;
	const char *d1[] = { "sha256:l1" };
	char *again = NULL;
	int fd;

	ASSERT_TRUE(mkdtemp(top));
	(void) snprintf(work, sizeof(work), "%s/w", top);
	ASSERT_OK(store_open(work, &a));
	ASSERT_OK(store_open(work, &b));

	l1 = commit(a, "sha256:l1");
	ASSERT_OK(store_image_add(a, "sha256:c1", "sha256:m1", "r/one:1", cfg, false, d1, 1));
	store_layer_release(a, "sha256:l1");
	l2 = commit(a, "sha256:l2"); /* held: a pull still using it */
	l3 = commit(a, "sha256:l3");
	store_layer_release(a, "sha256:l3"); /* unused and free */
	ASSERT_TRUE(strcmp(l1, l2) != 0 && strcmp(l2, l3) != 0);

	/* b sees a's records, removes only the free unused layer */
	ASSERT_TRUE(store_has_image(b, "sha256:c1"));
	ASSERT_EQ(store_n_layers(b), 3);
	ASSERT_OK(store_prune(b, &ps));
	ASSERT_EQ(ps.removed, 1);
	ASSERT_EQ(ps.kept_held, 1);
	ASSERT_EQ(ps.orphans, 0);
	ASSERT_TRUE(exists(l1) && exists(l2) && !exists(l3));
	ASSERT_EQ(store_n_layers(a), 2);
	/* a's store_layer_begin() sees the layer is gone: it must be pulled again */
	ASSERT_EQ(store_layer_begin(a, "sha256:l3", NULL), 0);
	store_layer_abandon(a, "sha256:l3");
	store_layer_release(a, "sha256:l3");

	/* released: now prunable; a held layer b uses itself is kept for b too */
	store_layer_release(a, "sha256:l2");
	ASSERT_EQ(store_layer_begin(b, "sha256:l1", &again), 1);
	ASSERT_TRUE(streq(again, l1));
	free(again);
	ASSERT_OK(store_prune(b, &ps));
	ASSERT_EQ(ps.removed, 1);
	ASSERT_TRUE(!exists(l2) && exists(l1));

	/* remove by reference from b; a no longer has it; prune frees l1 once released */
	ASSERT_EQ(store_image_remove(b, "nope"), -ENOENT);
	ASSERT_EQ(store_image_remove(b, "r/one:1"), 1);
	ASSERT_TRUE(!store_has_image(a, "sha256:c1"));
	ASSERT_OK(store_image_list(a, &list));
	ASSERT_EQ(json_object_object_length(list), 0);
	json_object_put(list);
	ASSERT_OK(store_prune(a, &ps));
	ASSERT_EQ(ps.removed, 0);
	ASSERT_EQ(ps.kept_held, 1); /* b still holds l1 */
	store_layer_release(b, "sha256:l1");
	ASSERT_OK(store_prune(a, &ps));
	ASSERT_EQ(ps.removed, 1);
	ASSERT_TRUE(!exists(l1));
	ASSERT_OK(store_layer_list(b, &list));
	ASSERT_EQ(json_object_object_length(list), 0);
	json_object_put(list);

	/* an unrecorded layer dir (crash between rename and record) and a dead process's
	 * hold file: both go */
	(void) snprintf(p, sizeof(p), "%s/layers/77", work);
	ASSERT_OK(fs_mkdir_p(p, 0700));
	(void) snprintf(p, sizeof(p), "%s/holds/1-dead", work);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, p, "sha256:l9\n", 10, 0600));
	ASSERT_OK(store_prune(b, &ps));
	ASSERT_EQ(ps.orphans, 1);
	ASSERT_TRUE(!exists(p));
	(void) snprintf(p, sizeof(p), "%s/layers/77", work);
	ASSERT_TRUE(!exists(p));

	/* a's open staging dir survives b being reopened; an abandoned one does not */
	{
		_cleanup_free_ char *live = NULL;
		char dead[128];

		ASSERT_OK(store_staging_new(a, &live, &fd));
		(void) snprintf(dead, sizeof(dead), "%s/staging/layer-dead", work);
		ASSERT_OK(fs_mkdir_p(dead, 0700));
		store_free(b);
		ASSERT_OK(store_open(work, &b));
		ASSERT_TRUE(exists(live) && !exists(dead));
		close(fd);
		ASSERT_OK(store_staging_remove(a, live));
	}
	/* the staging dir store_prune() used is gone */
	(void) snprintf(p, sizeof(p), "%s/staging", work);
	{
		int n = 0;
		DIR *d = opendir(p);
		struct dirent *de;
		ASSERT_TRUE(d);
		while ((de = readdir(d)))
			n += de->d_name[0] != '.';
		closedir(d);
		ASSERT_EQ(n, 0);
	}
	json_object_put(cfg);
	store_free(a);
	store_free(b);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
}

static void test_disk_usage(void)
{
	char top[] = "/tmp/cocobox-store-XXXXXX", p[64];
	_cleanup_free_ char *big = malloc(1 << 16);
	uint64_t n;

	ASSERT_TRUE(mkdtemp(top) && big);
	memset(big, 'x', 1 << 16);
	(void) snprintf(p, sizeof(p), "%s/a/b", top);
	ASSERT_OK(fs_mkdir_p(p, 0700));
	(void) snprintf(p, sizeof(p), "%s/a/b/f", top);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, p, big, 1 << 16, 0600));
	ASSERT_OK(store_disk_usage(top, &n));
	ASSERT_TRUE(n >= (1 << 16));
	(void) snprintf(p, sizeof(p), "%s/missing", top);
	ASSERT_EQ(store_disk_usage(p, &n), -ENOENT);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
}

TESTS(test_prune, test_disk_usage)
