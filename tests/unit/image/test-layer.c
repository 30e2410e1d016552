/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/layer.c + store.c: the one-pass pipeline from pushed bytes to a published
 * layer, every failure leaving no trace (staging and layers empty, claim released), the
 * meta store, leftover staging removal, and the per-digest claim between threads. */
#include <dirent.h>
#include <fcntl.h>
#include <isa-l.h>
#include <pthread.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/fs.h"
#include "image-rs/layer.h"
#include "image-rs/store.h"
#include "tar-build.h"
#include "tests/unit/tests.h"

#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define TAR "application/vnd.oci.image.layer.v1.tar"

struct fx {
	char top[64], work[96];
	struct store *st;
	struct buf tar; /* uncompressed */
	uint8_t *gz;    /* gzip of tar */
	size_t gz_len;
	char digest[DIGEST_OCI_STRING_MAX], diff_id[DIGEST_OCI_STRING_MAX];
};

static void fx_layer(struct fx *f)
{
	struct isal_zstream z;
	uint8_t d[DIGEST_MAX_SIZE];

	tar_end(&f->tar);
	/* the end-of-archive blocks plus extra zeros: still the diff_id's bytes */
	ASSERT_OK(buf_append(&f->tar, (char[4096]){}, 4096));
	free(f->gz);
	f->gz = malloc(f->tar.len * 2 + 1024);
	ASSERT_TRUE(f->gz);
	isal_deflate_stateless_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.end_of_stream = 1;
	z.next_in = f->tar.data;
	z.avail_in = (uint32_t) f->tar.len;
	z.next_out = f->gz;
	z.avail_out = (uint32_t) (f->tar.len * 2 + 1024);
	ASSERT_EQ(isal_deflate_stateless(&z), COMP_OK);
	f->gz_len = z.total_out;
	digest_buf(DIGEST_SHA256, f->gz, f->gz_len, d);
	digest_oci_format(DIGEST_SHA256, d, f->digest);
	digest_buf(DIGEST_SHA256, f->tar.data, f->tar.len, d);
	digest_oci_format(DIGEST_SHA256, d, f->diff_id);
}

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->top, "/tmp/cocobox-layer-XXXXXX");
	ASSERT_TRUE(mkdtemp(f->top));
	(void) snprintf(f->work, sizeof(f->work), "%s/work", f->top);
	ASSERT_OK(store_open(f->work, &f->st));
	f->tar = BUF_INIT(BUF_UNLIMITED);
	tar_add(&f->tar, &(struct tar_ent){ .name = "etc/", .type = '5' });
	tar_add(&f->tar, &(struct tar_ent){ .name = "etc/hostname", .type = '0', .data = "box\n" });
	tar_add(&f->tar, &(struct tar_ent){ .name = "bin/sh", .type = '2', .link = "busybox" });
	fx_layer(f);
}

static void fx_done(struct fx *f)
{
	store_free(f->st);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, f->top));
	buf_done(&f->tar);
	free(f->gz);
}

static int count(struct fx *f, const char *sub)
{
	char p[160];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void) snprintf(p, sizeof(p), "%s/%s", f->work, sub);
	d = opendir(p);
	ASSERT_TRUE(d);
	while ((de = readdir(d)))
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	closedir(d);
	return n;
}

/* Runs one job over data pushed in `step` pieces; returns the first error. */
static int pipeline(struct fx *f, const struct layer_desc *d, const uint8_t *p, size_t n,
		    size_t step, char **ret_path, char *why, size_t why_len)
{
	_cleanup_(layer_job_freep) struct layer_job *j = NULL;
	int r;

	r = store_layer_begin(f->st, d->digest, ret_path);
	if (r != 0)
		return r > 0 ? 1 : r;
	r = layer_job_new(f->st, d, NULL, &j);
	if (r < 0)
		return r;
	for (size_t off = 0; off < n && r >= 0; off += step)
		r = layer_feed(j, p + off, MIN(step, n - off));
	if (r >= 0)
		r = layer_finish(j, ret_path);
	if (why)
		(void) snprintf(why, why_len, "%s", layer_job_error(j));
	return r;
}

/* After a failure: nothing published, staging empty, the claim free again. */
static void no_trace(struct fx *f, const char *digest)
{
	ASSERT_EQ(count(f, "staging"), 0);
	ASSERT_EQ(count(f, "layers"), 0);
	ASSERT_EQ(store_n_layers(f->st), 0);
	ASSERT_EQ(store_layer_begin(f->st, digest, NULL), 0);
	store_layer_abandon(f->st, digest);
}

static void test_good(void)
{
	struct fx f;
	_cleanup_free_ char *path = NULL, *again = NULL;
	_cleanup_(buf_done) struct buf meta = BUF_INIT(1 << 20);
	char p[256], l[16] = {};

	fx_init(&f);
	struct layer_desc d = { GZ, f.digest, f.diff_id, f.gz_len };
	ASSERT_EQ(pipeline(&f, &d, f.gz, f.gz_len, 1000, &path, NULL, 0), 0);
	(void) snprintf(p, sizeof(p), "%s/layers/0", f.work);
	ASSERT_STREQ(path, p);
	(void) snprintf(p, sizeof(p), "%s/etc/hostname", path);
	{
		_cleanup_(buf_done) struct buf b = BUF_INIT(100);
		ASSERT_OK(fs_read_file(AT_FDCWD, p, &b));
		ASSERT_STREQ(buf_str(&b), "box\n");
	}
	(void) snprintf(p, sizeof(p), "%s/bin/sh", path);
	ASSERT_EQ(readlink(p, l, sizeof(l)), 7);
	ASSERT_EQ(count(&f, "staging"), 0);
	/* the store has it now: a second pull reuses it */
	ASSERT_EQ(store_layer_begin(f.st, f.digest, &again), 1);
	ASSERT_STREQ(again, path);
	(void) snprintf(p, sizeof(p), "%s/meta_store.json", f.work);
	ASSERT_OK(fs_read_file(AT_FDCWD, p, &meta));
	ASSERT_TRUE(strstr(buf_str(&meta), "\"layer_db\":{\"sha256:"));
	ASSERT_TRUE(strstr(buf_str(&meta), "\"decoder\":\"Gzip\",\"encrypted\":false,"));
	ASSERT_TRUE(strstr(buf_str(&meta), f.diff_id));

	/* reopened: still there, and the next layer gets N = 1 */
	store_free(f.st);
	ASSERT_OK(store_open(f.work, &f.st));
	ASSERT_EQ(store_n_layers(f.st), 1);
	tar_add(&f.tar, &(struct tar_ent){ .name = "more", .type = '0', .data = "m" });
	buf_reset(&f.tar);
	tar_add(&f.tar, &(struct tar_ent){ .name = "more", .type = '0', .data = "m" });
	fx_layer(&f);
	free(path);
	path = NULL;
	struct layer_desc d2 = { TAR, f.diff_id, f.diff_id, 0 };
	ASSERT_EQ(pipeline(&f, &d2, f.tar.data, f.tar.len, 777, &path, NULL, 0), 0);
	(void) snprintf(p, sizeof(p), "%s/layers/1", f.work);
	ASSERT_STREQ(path, p);
	ASSERT_EQ(store_n_layers(f.st), 2);
	fx_done(&f);
}

static void test_wrong_digests(void)
{
	struct fx f;
	char why[256];
	char bad[DIGEST_OCI_STRING_MAX];

	fx_init(&f);
	strcpy(bad, f.diff_id);
	bad[10] = bad[10] == '0' ? '1' : '0';
	struct layer_desc d = { GZ, f.digest, bad, 0 };
	ASSERT_ERR(pipeline(&f, &d, f.gz, f.gz_len, 4096, NULL, why, sizeof(why)), -EKEYREJECTED);
	ASSERT_TRUE(strstr(why, "diff_id mismatch"));
	no_trace(&f, f.digest);

	struct layer_desc d2 = { GZ, bad, f.diff_id, 0 };
	ASSERT_ERR(pipeline(&f, &d2, f.gz, f.gz_len, 4096, NULL, why, sizeof(why)), -EKEYREJECTED);
	ASSERT_TRUE(strstr(why, "blob digest mismatch"));
	no_trace(&f, bad);

	struct layer_desc d3 = { GZ, f.digest, f.diff_id, f.gz_len - 1 };
	ASSERT_ERR(pipeline(&f, &d3, f.gz, f.gz_len, 4096, NULL, why, sizeof(why)), -E2BIG);
	no_trace(&f, f.digest);
	struct layer_desc d4 = { GZ, f.digest, f.diff_id, f.gz_len + 1 };
	ASSERT_ERR(pipeline(&f, &d4, f.gz, f.gz_len, 4096, NULL, why, sizeof(why)), -EBADMSG);
	ASSERT_TRUE(strstr(why, "descriptor says"));
	no_trace(&f, f.digest);
	fx_done(&f);
}

static void test_corrupt_and_truncated(void)
{
	struct fx f;
	char why[256];

	fx_init(&f);
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_ERR(pipeline(&f, &d, f.gz, f.gz_len / 2, 100, NULL, why, sizeof(why)), -EBADMSG);
	ASSERT_TRUE(strstr(why, "truncated"));
	no_trace(&f, f.digest);
	f.gz[f.gz_len - 6] ^= 0x40; /* in the CRC/ISIZE trailer */
	ASSERT_ERR(pipeline(&f, &d, f.gz, f.gz_len, 100, NULL, why, sizeof(why)), -EBADMSG);
	no_trace(&f, f.digest);
	f.gz[f.gz_len - 6] ^= 0x40;
	f.gz[0] = 0;
	ASSERT_ERR(pipeline(&f, &d, f.gz, f.gz_len, 100, NULL, why, sizeof(why)), -EBADMSG);
	ASSERT_TRUE(strstr(why, "corrupt Gzip data"));
	no_trace(&f, f.digest);
	fx_done(&f);
}

static void test_hostile_tar(void)
{
	struct fx f;
	char why[256];

	fx_init(&f);
	buf_reset(&f.tar);
	tar_add(&f.tar, &(struct tar_ent){ .name = "ok", .type = '0', .data = "fine" });
	tar_add(&f.tar, &(struct tar_ent){ .name = "../../evil", .type = '0', .data = "x" });
	fx_layer(&f);
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_ERR(pipeline(&f, &d, f.gz, f.gz_len, 64, NULL, why, sizeof(why)), -EPERM);
	ASSERT_TRUE(strstr(why, "entry 2 '../../evil'"));
	no_trace(&f, f.digest);
	/* a big layer (more than the ring) failing at the end */
	buf_reset(&f.tar);
	{
		_cleanup_free_ char *big = malloc(3 << 20);
		ASSERT_TRUE(big);
		memset(big, 'b', (3 << 20) - 1);
		big[(3 << 20) - 1] = 0;
		tar_add(&f.tar, &(struct tar_ent){ .name = "big", .type = '0', .data = big });
	}
	tar_add(&f.tar, &(struct tar_ent){ .name = "/../x", .type = '0', .data = "x" });
	fx_layer(&f);
	struct layer_desc d2 = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_ERR(pipeline(&f, &d2, f.gz, f.gz_len, 100000, NULL, why, sizeof(why)), -EPERM);
	no_trace(&f, f.digest);
	/* not a tar at all */
	struct layer_desc d3 = { TAR, f.digest, f.diff_id, 0 };
	ASSERT_ERR(pipeline(&f, &d3, (const uint8_t *) "this is not a tar archive, clearly", 34, 5,
			    NULL, why, sizeof(why)),
		   -EBADMSG);
	no_trace(&f, f.digest);
	fx_done(&f);
}

static void test_unsupported(void)
{
	struct fx f;
	struct layer_job *j = NULL;

	fx_init(&f);
	struct layer_desc d = { "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", f.digest,
				f.diff_id, 0 };
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	/* encrypted without recovered options: no key */
	ASSERT_ERR(layer_job_new(f.st, &d, NULL, &j), -ENOKEY);
	no_trace(&f, f.digest);
	d.media_type = "application/x-foo";
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	ASSERT_ERR(layer_job_new(f.st, &d, NULL, &j), -EOPNOTSUPP);
	no_trace(&f, f.digest);
	d.media_type = GZ;
	d.diff_id = "sha256:abc";
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	ASSERT_ERR(layer_job_new(f.st, &d, NULL, &j), -EBADMSG);
	no_trace(&f, f.digest);
	fx_done(&f);
}

static void test_abandoned_job(void)
{
	struct fx f;
	struct layer_job *j = NULL;

	/* fed halfway, then dropped (a failed download): nothing stays */
	fx_init(&f);
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	ASSERT_OK(layer_job_new(f.st, &d, NULL, &j));
	ASSERT_OK(layer_feed(j, f.gz, f.gz_len / 2));
	ASSERT_EQ(count(&f, "staging"), 1);
	layer_job_free(j);
	no_trace(&f, f.digest);
	fx_done(&f);
}

static void test_staging_cleanup(void)
{
	struct fx f;
	char p[160];

	fx_init(&f);
	(void) snprintf(p, sizeof(p), "%s/staging/layer-crashed", f.work);
	ASSERT_OK(mkdir(p, 0700));
	(void) snprintf(p, sizeof(p), "%s/staging/layer-crashed/file", f.work);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, p, "x", 1, 0600));
	(void) snprintf(p, sizeof(p), "%s/layers/41", f.work);
	ASSERT_OK(mkdir(p, 0700));
	store_free(f.st);
	ASSERT_OK(store_open(f.work, &f.st));
	ASSERT_EQ(count(&f, "staging"), 0);
	/* N continues past the largest existing number, as upstream */
	_cleanup_free_ char *path = NULL;
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_EQ(pipeline(&f, &d, f.gz, f.gz_len, 4096, &path, NULL, 0), 0);
	ASSERT_TRUE(endswith(path, "/layers/42"));
	fx_done(&f);
}

struct claimer {
	struct fx *f;
	int result;
	bool returned;
	pthread_mutex_t m;
};

static void *claim_thread(void *userdata)
{
	struct claimer *c = userdata;
	int r = store_layer_begin(c->f->st, c->f->digest, NULL);

	pthread_mutex_lock(&c->m);
	c->result = r;
	c->returned = true;
	pthread_mutex_unlock(&c->m);
	return NULL;
}

static void test_claim(void)
{
	struct fx f;
	struct claimer c = { .f = &f, .m = PTHREAD_MUTEX_INITIALIZER };
	struct layer_job *j = NULL;
	pthread_t t;
	bool returned;

	fx_init(&f);
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	ASSERT_OK(-pthread_create(&t, NULL, claim_thread, &c));
	ASSERT_OK(layer_job_new(f.st, &d, NULL, &j));
	ASSERT_OK(layer_feed(j, f.gz, f.gz_len));
	usleep(50000);
	pthread_mutex_lock(&c.m);
	returned = c.returned;
	pthread_mutex_unlock(&c.m);
	ASSERT_TRUE(!returned); /* waits for the layer being unpacked */
	ASSERT_OK(layer_finish(j, NULL));
	layer_job_free(j);
	ASSERT_OK(-pthread_join(t, NULL));
	ASSERT_EQ(c.result, 1); /* and then finds it in the store */
	ASSERT_EQ(count(&f, "layers"), 1);
	fx_done(&f);
}

static void test_bomb(void)
{
	struct fx f;
	struct layer_job *j = NULL;
	struct unpack_opts o;
	_cleanup_free_ uint8_t *zeros = calloc(1, 4 << 20);
	_cleanup_free_ uint8_t *gz = malloc(1 << 20);
	struct isal_zstream z;

	/* 4 MiB of zero blocks (which libarchive skips) in a tiny gzip: the tar stream cap
	 * (content cap + per-entry overhead + 1 MiB) stops it */
	ASSERT_TRUE(zeros && gz);
	isal_deflate_stateless_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.end_of_stream = 1;
	z.next_in = zeros;
	z.avail_in = 4 << 20;
	z.next_out = gz;
	z.avail_out = 1 << 20;
	ASSERT_EQ(isal_deflate_stateless(&z), COMP_OK);
	fx_init(&f);
	unpack_opts_default(&o);
	o.limits.max_bytes = 1000;
	o.limits.max_entries = 10;
	struct layer_desc d = { GZ, f.digest, f.diff_id, 0 };
	ASSERT_EQ(store_layer_begin(f.st, f.digest, NULL), 0);
	ASSERT_OK(layer_job_new(f.st, &d, &o, &j));
	ASSERT_ERR(layer_feed(j, gz, z.total_out), -E2BIG);
	ASSERT_TRUE(strstr(layer_job_error(j), "tar stream larger than"));
	layer_job_free(j);
	no_trace(&f, f.digest);
	fx_done(&f);
}

TESTS(test_bomb, test_good, test_wrong_digests, test_corrupt_and_truncated, test_hostile_tar,
      test_unsupported, test_abandoned_job, test_staging_cleanup, test_claim)
