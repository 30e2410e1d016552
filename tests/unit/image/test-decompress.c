/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/decompress.c: media type table, gzip (single, multi-member, padding,
 * garbage, truncation, corruption) and zstd (fixture made by the zstd CLI: one frame,
 * two frames, truncated, corrupt), chunk bounds, callback errors. */
#include <fcntl.h>
#include <isa-l.h>

#include "common/buf.h"
#include "common/fs.h"
#include "image-rs/decompress.h"
#include "tests/unit/tests.h"

#define PAYLOAD_SIZE (512u * 1024u)

static uint8_t *payload(void)
{
	uint8_t *p = malloc(PAYLOAD_SIZE);

	ASSERT_TRUE(p);
	for (size_t i = 0; i < PAYLOAD_SIZE; i++)
		p[i] = (uint8_t) ((i % 251) ^ ((i / 4096) & 0xff));
	return p;
}

struct sink {
	struct buf b;
	size_t max_chunk;
	int fail_at; /* return an error on this call (1-based), 0 never */
	int calls;
};

static int sink_fn(void *userdata, const void *p, size_t n)
{
	struct sink *s = userdata;

	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return -ENOSPC;
	ASSERT_TRUE(n > 0 && n <= DECOMP_CHUNK_MAX);
	s->max_chunk = MAX(s->max_chunk, n);
	ASSERT_OK(buf_append(&s->b, p, n));
	return 0;
}

/* Decodes in pieces of `step` bytes; returns the first error or 0. */
static int decode(enum decomp_kind k, const uint8_t *in, size_t n, size_t step, struct sink *s)
{
	_cleanup_(decomp_freep) struct decomp *d = NULL;
	int r;

	*s = (struct sink){ .b = BUF_INIT(BUF_UNLIMITED), .fail_at = s->fail_at };
	ASSERT_OK(decomp_new(k, sink_fn, s, &d));
	for (size_t off = 0; off < n; off += step) {
		r = decomp_push(d, in + off, MIN(step, n - off));
		if (r < 0)
			return r;
	}
	r = decomp_finish(d);
	if (r >= 0)
		ASSERT_EQ(decomp_bytes_in(d), n);
	return r;
}

static size_t gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	struct isal_zstream z;

	isal_deflate_stateless_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.level = 0;
	z.end_of_stream = 1;
	z.next_in = (uint8_t *) in;
	z.avail_in = (uint32_t) n;
	z.next_out = out;
	z.avail_out = (uint32_t) cap;
	ASSERT_EQ(isal_deflate_stateless(&z), COMP_OK);
	return z.total_out;
}

static void test_media_types(void)
{
	enum decomp_kind k;
	bool enc;

	ASSERT_OK(decomp_from_media_type("application/vnd.oci.image.layer.v1.tar+gzip", &k, &enc));
	ASSERT_EQ(k, DECOMP_GZIP);
	ASSERT_EQ(enc, false);
	ASSERT_OK(
	    decomp_from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip", &k, &enc));
	ASSERT_EQ(k, DECOMP_GZIP);
	ASSERT_OK(decomp_from_media_type(
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", &k, &enc));
	ASSERT_EQ(k, DECOMP_ZSTD);
	ASSERT_OK(decomp_from_media_type("application/vnd.oci.image.layer.v1.tar", &k, &enc));
	ASSERT_EQ(k, DECOMP_NONE);
	ASSERT_OK(decomp_from_media_type("application/vnd.docker.image.rootfs.diff.tar", &k, NULL));
	ASSERT_EQ(k, DECOMP_NONE);
	ASSERT_OK(
	    decomp_from_media_type("application/vnd.oci.image.layer.v1.tar+encrypted", &k, &enc));
	ASSERT_EQ(k, DECOMP_NONE);
	ASSERT_EQ(enc, true);
	ASSERT_OK(decomp_from_media_type(
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted", &k, &enc));
	ASSERT_EQ(k, DECOMP_GZIP);
	ASSERT_EQ(enc, true);
	ASSERT_OK(decomp_from_media_type("application/vnd.oci.image.layer.v1.tar+zstd+encrypted",
					 &k, &enc));
	ASSERT_EQ(k, DECOMP_ZSTD);
	ASSERT_EQ(enc, true);
	ASSERT_ERR(decomp_from_media_type("application/vnd.oci.image.layer.v1.tar+GZIP", &k, &enc),
		   -EOPNOTSUPP);
	ASSERT_ERR(decomp_from_media_type("", &k, &enc), -EOPNOTSUPP);
	ASSERT_ERR(decomp_from_media_type(NULL, &k, &enc), -EINVAL);

	ASSERT_STREQ(decomp_kind_to_string(DECOMP_GZIP), "Gzip");
	ASSERT_STREQ(decomp_kind_to_string(DECOMP_ZSTD), "Zstd");
	ASSERT_STREQ(decomp_kind_to_string(DECOMP_NONE), "Uncompressed");
	ASSERT_OK(decomp_kind_from_string("Zstd", &k));
	ASSERT_EQ(k, DECOMP_ZSTD);
	ASSERT_ERR(decomp_kind_from_string("zstd", &k), -EBADMSG);
}

static void test_none(void)
{
	_cleanup_free_ uint8_t *p = payload();
	struct sink s = {};

	ASSERT_OK(decode(DECOMP_NONE, p, PAYLOAD_SIZE, PAYLOAD_SIZE, &s));
	ASSERT_EQ(s.b.len, PAYLOAD_SIZE);
	ASSERT_MEMEQ(s.b.data, p, PAYLOAD_SIZE);
	ASSERT_EQ(s.max_chunk, DECOMP_CHUNK_MAX);
	buf_done(&s.b);
	/* an empty uncompressed stream is fine (the tar reader judges it) */
	ASSERT_OK(decode(DECOMP_NONE, p, 0, 1, &s));
	buf_done(&s.b);
}

static void test_gzip(void)
{
	_cleanup_free_ uint8_t *p = payload();
	_cleanup_free_ uint8_t *z = malloc(2 * PAYLOAD_SIZE);
	static const size_t steps[] = { 1, 7, 4096, 65536, 2 * PAYLOAD_SIZE };
	size_t n;

	ASSERT_TRUE(z);
	n = gzip(p, PAYLOAD_SIZE, z, 2 * PAYLOAD_SIZE);
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		struct sink s = {};

		/* byte-at-a-time over 512 KiB is slow: a prefix of the stream is enough */
		if (steps[i] == 1) {
			ASSERT_ERR(decode(DECOMP_GZIP, z, 5000, 1, &s), -EBADMSG);
			ASSERT_TRUE(s.b.len > 0);
			ASSERT_MEMEQ(s.b.data, p, s.b.len);
			buf_done(&s.b);
			continue;
		}
		ASSERT_OK(decode(DECOMP_GZIP, z, n, steps[i], &s));
		ASSERT_EQ(s.b.len, PAYLOAD_SIZE);
		ASSERT_MEMEQ(s.b.data, p, PAYLOAD_SIZE);
		ASSERT_TRUE(s.max_chunk <= DECOMP_CHUNK_MAX);
		buf_done(&s.b);
	}
}

static void test_gzip_small_steps(void)
{
	uint8_t z[256];
	const char *msg = "hello, layer\n";
	size_t n = gzip((const uint8_t *) msg, strlen(msg), z, sizeof(z));

	for (size_t step = 1; step <= 5; step++) {
		struct sink s = {};
		ASSERT_OK(decode(DECOMP_GZIP, z, n, step, &s));
		ASSERT_EQ(s.b.len, strlen(msg));
		ASSERT_MEMEQ(s.b.data, msg, strlen(msg));
		buf_done(&s.b);
	}
}

static void test_gzip_multi_member(void)
{
	_cleanup_free_ uint8_t *p = payload();
	_cleanup_free_ uint8_t *z = malloc(4 * PAYLOAD_SIZE);
	size_t a, b, c;
	struct sink s = {};

	ASSERT_TRUE(z);
	/* three members: 100 KiB, the rest, and an empty one */
	a = gzip(p, 100 * 1024, z, 2 * PAYLOAD_SIZE);
	b = gzip(p + 100 * 1024, PAYLOAD_SIZE - 100 * 1024, z + a, 2 * PAYLOAD_SIZE);
	c = gzip(p, 0, z + a + b, 64);
	for (size_t step = 3; step < 200000; step = step * 10 + 1) {
		ASSERT_OK(decode(DECOMP_GZIP, z, a + b + c, step, &s));
		ASSERT_EQ(s.b.len, PAYLOAD_SIZE);
		ASSERT_MEMEQ(s.b.data, p, PAYLOAD_SIZE);
		buf_done(&s.b);
	}
	/* GNU gzip's padding rule: zeros after the last member are fine ... */
	memset(z + a + b + c, 0, 1000);
	ASSERT_OK(decode(DECOMP_GZIP, z, a + b + c + 1000, 333, &s));
	ASSERT_EQ(s.b.len, PAYLOAD_SIZE);
	buf_done(&s.b);
	/* ... anything else is not, neither garbage after zeros */
	z[a + b + c + 999] = 'x';
	ASSERT_ERR(decode(DECOMP_GZIP, z, a + b + c + 1000, 333, &s), -EBADMSG);
	buf_done(&s.b);
	memcpy(z + a + b + c, "garbage", 7);
	ASSERT_ERR(decode(DECOMP_GZIP, z, a + b + c + 7, 4096, &s), -EBADMSG);
	buf_done(&s.b);
}

static void test_gzip_truncated_and_corrupt(void)
{
	_cleanup_free_ uint8_t *p = payload();
	_cleanup_free_ uint8_t *z = malloc(2 * PAYLOAD_SIZE);
	size_t n;
	struct sink s = {};

	ASSERT_TRUE(z);
	n = gzip(p, PAYLOAD_SIZE, z, 2 * PAYLOAD_SIZE);
	/* every cut, including inside the header and the trailer */
	static const size_t cuts[] = { 0, 1, 5, 10, 11, 100, 4000, 0 /* n/2 */, 0, 0, 0 };
	for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
		size_t cut = cuts[i];
		if (i == 7)
			cut = n / 2;
		else if (i >= 8)
			cut = n - (i - 7) * 3; /* trailer: 8 bytes CRC32 + ISIZE */
		ASSERT_ERR(decode(DECOMP_GZIP, z, cut, 4096, &s), -EBADMSG);
		buf_done(&s.b);
	}
	ASSERT_ERR(decode(DECOMP_GZIP, z, n - 1, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	/* bad magic, bad method, wrong CRC, wrong ISIZE */
	z[0] ^= 0xff;
	ASSERT_ERR(decode(DECOMP_GZIP, z, n, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z[0] ^= 0xff;
	z[2] = 7;
	ASSERT_ERR(decode(DECOMP_GZIP, z, n, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z[2] = 8;
	z[n - 8] ^= 1;
	ASSERT_ERR(decode(DECOMP_GZIP, z, n, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z[n - 8] ^= 1;
	z[n - 1] ^= 1;
	ASSERT_ERR(decode(DECOMP_GZIP, z, n, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z[n - 1] ^= 1;
	ASSERT_OK(decode(DECOMP_GZIP, z, n, 4096, &s));
	buf_done(&s.b);
	/* a flipped bit in the deflate data: bad data or, failing that, a bad CRC */
	z[n / 2] ^= 0x10;
	ASSERT_ERR(decode(DECOMP_GZIP, z, n, 4096, &s), -EBADMSG);
	buf_done(&s.b);
}

static void read_fixture(struct buf *b)
{
	ASSERT_OK(fs_read_file(AT_FDCWD, TEST_DATA_DIR "/payload.zst", b));
}

static void test_zstd(void)
{
	_cleanup_free_ uint8_t *p = payload();
	_cleanup_(buf_done) struct buf z = BUF_INIT(1 << 20), two = BUF_INIT(1 << 20);
	struct sink s = {};

	read_fixture(&z);
	for (size_t step = 1; step < 10000; step = step * 7 + 2) {
		ASSERT_OK(decode(DECOMP_ZSTD, z.data, z.len, step, &s));
		ASSERT_EQ(s.b.len, PAYLOAD_SIZE);
		ASSERT_MEMEQ(s.b.data, p, PAYLOAD_SIZE);
		ASSERT_TRUE(s.max_chunk <= DECOMP_CHUNK_MAX);
		buf_done(&s.b);
	}
	/* two frames back to back decode to the payload twice */
	ASSERT_OK(buf_append(&two, z.data, z.len));
	ASSERT_OK(buf_append(&two, z.data, z.len));
	ASSERT_OK(decode(DECOMP_ZSTD, two.data, two.len, 1000, &s));
	ASSERT_EQ(s.b.len, 2 * PAYLOAD_SIZE);
	ASSERT_MEMEQ(s.b.data + PAYLOAD_SIZE, p, PAYLOAD_SIZE);
	buf_done(&s.b);
	/* truncated anywhere, empty, garbage after the frame, corrupt */
	for (size_t cut = 0; cut < z.len; cut += z.len / 7 + 1) {
		ASSERT_ERR(decode(DECOMP_ZSTD, z.data, cut, 512, &s), -EBADMSG);
		buf_done(&s.b);
	}
	ASSERT_ERR(decode(DECOMP_ZSTD, z.data, z.len - 1, 512, &s), -EBADMSG);
	buf_done(&s.b);
	ASSERT_OK(buf_append(&two, "junkjunk", 8));
	ASSERT_ERR(decode(DECOMP_ZSTD, two.data, two.len, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z.data[0] ^= 0xff;
	ASSERT_ERR(decode(DECOMP_ZSTD, z.data, z.len, 4096, &s), -EBADMSG);
	buf_done(&s.b);
	z.data[0] ^= 0xff;
	z.data[z.len / 2] ^= 0x55;
	ASSERT_ERR(decode(DECOMP_ZSTD, z.data, z.len, 4096, &s), -EBADMSG);
	buf_done(&s.b);
}

static void test_callback_error(void)
{
	_cleanup_free_ uint8_t *p = payload();
	_cleanup_(buf_done) struct buf z = BUF_INIT(1 << 20);
	struct sink s = { .fail_at = 2 };

	read_fixture(&z);
	ASSERT_ERR(decode(DECOMP_ZSTD, z.data, z.len, z.len, &s), -ENOSPC);
	buf_done(&s.b);
	s.fail_at = 3;
	ASSERT_ERR(decode(DECOMP_NONE, p, PAYLOAD_SIZE, PAYLOAD_SIZE, &s), -ENOSPC);
	buf_done(&s.b);
}

TESTS(test_media_types, test_none, test_gzip, test_gzip_small_steps, test_gzip_multi_member,
      test_gzip_truncated_and_corrupt, test_zstd, test_callback_error)
