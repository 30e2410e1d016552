/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/pull-layers.c through its blob-source function pointer: duplicate layers
 * fetched once, ImageMeta recorded, cache hits, a failing source, a diff_ids count that
 * does not match, and layer_feed_fd() driving a job from a local file. */
#include <fcntl.h>
#include <isa-l.h>
#include <pthread.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "image-rs/pull-layers.h"
#include "tar-build.h"
#include "tests/unit/tests.h"

#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"

struct blob {
	char digest[DIGEST_OCI_STRING_MAX], diff_id[DIGEST_OCI_STRING_MAX];
	uint8_t *gz;
	size_t len;
};

struct source {
	struct blob *blobs;
	size_t n;
	int fetches; /* atomic: pulls may run in parallel */
	int fail;    /* returned instead of data when set */
	unsigned delay_us;
};

static void make_blob(struct blob *b, const char *name, const char *data)
{
	_cleanup_(buf_done) struct buf tar = BUF_INIT(BUF_UNLIMITED);
	struct isal_zstream z;
	uint8_t d[DIGEST_MAX_SIZE];

	tar_add(&tar, &(struct tar_ent){ .name = name, .type = '0', .data = data });
	tar_end(&tar);
	b->gz = malloc(tar.len + 1024);
	ASSERT_TRUE(b->gz);
	isal_deflate_stateless_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.end_of_stream = 1;
	z.next_in = tar.data;
	z.avail_in = (uint32_t) tar.len;
	z.next_out = b->gz;
	z.avail_out = (uint32_t) (tar.len + 1024);
	ASSERT_EQ(isal_deflate_stateless(&z), COMP_OK);
	b->len = z.total_out;
	digest_buf(DIGEST_SHA256, b->gz, b->len, d);
	digest_oci_format(DIGEST_SHA256, d, b->digest);
	digest_buf(DIGEST_SHA256, tar.data, tar.len, d);
	digest_oci_format(DIGEST_SHA256, d, b->diff_id);
}

static int fetch(void *userdata, const char *digest, uint64_t size, http_sink_fn sink,
		 void *sink_userdata)
{
	struct source *s = userdata;

	__atomic_add_fetch(&s->fetches, 1, __ATOMIC_SEQ_CST);
	if (s->delay_us)
		usleep(s->delay_us);
	if (s->fail)
		return s->fail;
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->blobs[i].digest, digest)) {
			ASSERT_EQ(size, s->blobs[i].len);
			/* in two pieces, as a network would */
			int r = sink(sink_userdata, s->blobs[i].gz, 10);
			if (r < 0)
				return r;
			return sink(sink_userdata, s->blobs[i].gz + 10, s->blobs[i].len - 10);
		}
	return -ENOENT;
}

static json_object *parse(const char *s)
{
	json_object *j = NULL;

	ASSERT_OK(json_parse(s, strlen(s), JSON_DEFAULT_MAX_SIZE, 16, &j, NULL));
	return j;
}

static void image_json(struct blob *b, const int *order, size_t n, json_object **ret_manifest,
		       json_object **ret_config, bool drop_diff_id)
{
	_cleanup_(buf_done) struct buf m = BUF_INIT(BUF_UNLIMITED), c = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(buf_append_str(&m, "{\"schemaVersion\":2,\"layers\":["));
	ASSERT_OK(buf_append_str(&c, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["));
	for (size_t i = 0; i < n; i++) {
		struct blob *x = &b[order[i]];
		ASSERT_OK(buf_appendf(&m, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}",
				      i ? "," : "", GZ, x->digest, x->len));
		if (!drop_diff_id || i + 1 < n)
			ASSERT_OK(buf_appendf(&c, "%s\"%s\"", i ? "," : "", x->diff_id));
	}
	ASSERT_OK(buf_append_str(&m, "]}"));
	ASSERT_OK(buf_append_str(&c, "]}}"));
	*ret_manifest = parse(buf_str(&m));
	*ret_config = parse(buf_str(&c));
}

static void test_pull(void)
{
	char top[] = "/tmp/cocobox-pull-XXXXXX", work[64];
	struct blob b[2];
	struct source src = { .blobs = b, .n = 2 };
	struct store *st = NULL;
	json_object *man, *cfg;
	struct pull_result res;
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	const int order[] = { 0, 1, 0 };
	struct pull_image img = { .reference = "test/img:1",
				  .manifest_digest = "sha256:m1",
				  .config_digest = "sha256:c1" };

	ASSERT_TRUE(mkdtemp(top));
	(void) snprintf(work, sizeof(work), "%s/w", top);
	ASSERT_OK(store_open(work, &st));
	make_blob(&b[0], "a", "layer a");
	make_blob(&b[1], "b", "layer b");
	image_json(b, order, 3, &man, &cfg, false);
	img.manifest = man;
	img.config = cfg;
	ASSERT_OK(pull_layers(st, &img, fetch, &src, NULL, &res, &err));
	ASSERT_EQ(res.layers, 3);
	ASSERT_EQ(res.unpacked, 2);
	ASSERT_EQ(res.reused, 0);
	ASSERT_EQ(src.fetches, 2); /* the duplicate once */
	ASSERT_EQ(res.bytes, b[0].len + b[1].len);
	ASSERT_TRUE(store_has_image(st, "sha256:c1"));
	/* again: a cache hit, nothing fetched */
	ASSERT_OK(pull_layers(st, &img, fetch, &src, NULL, &res, &err));
	ASSERT_TRUE(res.cached);
	ASSERT_EQ(src.fetches, 2);
	/* another image sharing layer b: reused */
	img.config_digest = "sha256:c2";
	ASSERT_OK(pull_layers(st, &img, fetch, &src, NULL, &res, &err));
	ASSERT_EQ(res.reused, 2);
	ASSERT_EQ(src.fetches, 2);
	{
		_cleanup_(buf_done) struct buf meta = BUF_INIT(1 << 20);
		char p[96];
		(void) snprintf(p, sizeof(p), "%s/meta_store.json", work);
		ASSERT_OK(fs_read_file(AT_FDCWD, p, &meta));
		ASSERT_TRUE(
		    strstr(buf_str(&meta), "\"reference\":\"test/img:1\",\"image_config\":"));
		ASSERT_TRUE(
		    strstr(buf_str(&meta), "\"signed\":false,\"layer_metas\":[{\"decoder\""));
	}
	json_object_put(man);
	json_object_put(cfg);

	/* a failing source: the error names the layer, nothing is recorded */
	const int one[] = { 0 };
	free(b[0].gz);
	make_blob(&b[0], "c", "layer c");
	image_json(b, one, 1, &man, &cfg, false);
	img = (struct pull_image){ .reference = "x",
				   .manifest_digest = "sha256:m3",
				   .config_digest = "sha256:c3",
				   .manifest = man,
				   .config = cfg };
	src.fail = -EIO;
	ASSERT_ERR(pull_layers(st, &img, fetch, &src, NULL, &res, &err), -EIO);
	ASSERT_TRUE(strstr(buf_str(&err), b[0].digest));
	ASSERT_TRUE(!store_has_image(st, "sha256:c3"));
	ASSERT_EQ(store_n_layers(st), 2);
	json_object_put(man);
	json_object_put(cfg);

	/* diff_ids and layers differ in number */
	src.fail = 0;
	buf_reset(&err);
	image_json(b, order, 3, &man, &cfg, true);
	img.manifest = man;
	img.config = cfg;
	ASSERT_ERR(pull_layers(st, &img, fetch, &src, NULL, &res, &err), -EBADMSG);
	ASSERT_STREQ(buf_str(&err), "3 layers but 2 diff_ids");
	json_object_put(man);
	json_object_put(cfg);

	store_free(st);
	free(b[0].gz);
	free(b[1].gz);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
}

static void test_feed_fd(void)
{
	char top[] = "/tmp/cocobox-pull-XXXXXX", work[64], file[64];
	struct blob b;
	struct store *st = NULL;
	struct layer_job *j = NULL;
	_cleanup_free_ char *path = NULL;
	int fd;

	ASSERT_TRUE(mkdtemp(top));
	(void) snprintf(work, sizeof(work), "%s/w", top);
	(void) snprintf(file, sizeof(file), "%s/blob", top);
	make_blob(&b, "from-file", "local");
	ASSERT_OK(fs_write_atomic(AT_FDCWD, file, b.gz, b.len, 0600));
	ASSERT_OK(store_open(work, &st));
	ASSERT_EQ(store_layer_begin(st, b.digest, NULL), 0);
	ASSERT_OK(
	    layer_job_new(st, &(struct layer_desc){ GZ, b.digest, b.diff_id, b.len }, NULL, &j));
	fd = open(file, O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(layer_feed_fd(j, fd));
	close(fd);
	ASSERT_OK(layer_finish(j, &path));
	ASSERT_EQ(layer_job_bytes_in(j), b.len);
	ASSERT_EQ(layer_job_stats(j)->entries, 1);
	layer_job_free(j);
	ASSERT_TRUE(endswith(path, "/layers/0"));
	store_free(st);
	free(b.gz);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
}

struct puller {
	struct store *st;
	struct pull_image img;
	struct source *src;
	int r;
	struct pull_result res;
};

static void *pull_thread(void *userdata)
{
	struct puller *p = userdata;

	p->r = pull_layers(p->st, &p->img, fetch, p->src, NULL, &p->res, NULL);
	return NULL;
}

static void test_concurrent_pulls(void)
{
	char top[] = "/tmp/cocobox-pull-XXXXXX", work[64];
	struct blob b[3];
	struct source src = { .blobs = b, .n = 3, .delay_us = 30000 };
	struct store *st = NULL;
	json_object *m1, *c1, *m2, *c2;
	const int o1[] = { 0, 1, 2 }, o2[] = { 2, 1, 0 };
	struct puller p1, p2;
	pthread_t t1, t2;

	/* two images sharing all their layers, pulled at once: each layer fetched once */
	ASSERT_TRUE(mkdtemp(top));
	(void) snprintf(work, sizeof(work), "%s/w", top);
	ASSERT_OK(store_open(work, &st));
	make_blob(&b[0], "a", "a");
	make_blob(&b[1], "b", "b");
	make_blob(&b[2], "c", "c");
	image_json(b, o1, 3, &m1, &c1, false);
	image_json(b, o2, 3, &m2, &c2, false);
	p1 = (struct puller){ st, { "one", "sha256:m1", "sha256:c1", m1, c1 }, &src };
	p2 = (struct puller){ st, { "two", "sha256:m2", "sha256:c2", m2, c2 }, &src };
	ASSERT_OK(-pthread_create(&t1, NULL, pull_thread, &p1));
	ASSERT_OK(-pthread_create(&t2, NULL, pull_thread, &p2));
	ASSERT_OK(-pthread_join(t1, NULL));
	ASSERT_OK(-pthread_join(t2, NULL));
	ASSERT_OK(p1.r);
	ASSERT_OK(p2.r);
	ASSERT_EQ(src.fetches, 3);
	ASSERT_EQ(p1.res.unpacked + p2.res.unpacked, 3);
	ASSERT_EQ(p1.res.reused + p2.res.reused, 3);
	ASSERT_EQ(store_n_layers(st), 3);
	ASSERT_TRUE(store_has_image(st, "sha256:c1") && store_has_image(st, "sha256:c2"));
	json_object_put(m1);
	json_object_put(c1);
	json_object_put(m2);
	json_object_put(c2);
	store_free(st);
	for (int i = 0; i < 3; i++)
		free(b[i].gz);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
}

TESTS(test_pull, test_feed_fd, test_concurrent_pulls)
