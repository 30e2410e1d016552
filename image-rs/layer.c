/* SPDX-License-Identifier: Apache-2.0 */
/* Per-layer pipeline (image-rs pull.rs + stream/unpack.rs, upstream.md §6.2 step 10).
 * The feeding thread hashes, decompresses, hashes again and copies the tar stream into a
 * ring; the tar thread hands contiguous slices of that ring straight to libarchive (no
 * second copy) and writes entries with the safe writer. A slice stays lent to libarchive
 * until its next read call, so the writer never overwrites bytes still being parsed. */
#include <archive.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>

#include "common/digest.h"
#include "common/log.h"
#include "decompress.h"
#include "layer.h"

DEFINE_POINTER_CLEANUP(struct archive *, archive_read_free)

/* Tar stream bytes allowed per entry beyond its content: header, pax header, padding. */
#define LAYER_TAR_ENTRY_OVERHEAD 2048u

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Read size of layer_feed_fd(). */
#define LAYER_READ_SIZE (256u * 1024u)

struct ring {
	pthread_mutex_t m;
	pthread_cond_t cond;
	uint8_t *buf;
	size_t cap, head, len, lent;
	bool eof;    /* writer is done */
	bool cancel; /* either side gave up */
};

struct layer_job {
	struct store *st;
	char *digest, *diff_id_str;
	struct digest_oci want_c, want_u;
	struct digest_ctx dig_c, dig_u;
	enum decomp_kind kind;
	uint64_t size, in, tar_bytes, tar_max;
	struct unpack_opts opts;
	struct decomp *dec;
	/* encrypted layers: the cipher, a scratch buffer for the plaintext, and a
	 * decompression error held back until the HMAC has spoken */
	struct ocicrypt_layer *enc;
	uint8_t *plain;
	int enc_err;
	struct buf enc_msg;
	char *staging;
	int staging_fd;
	bool claimed, thread_started, done;
	pthread_t thread;
	struct ring ring;
	/* Written by the tar thread before it signals the ring, read after join or under
	 * the ring lock. */
	int tar_result;
	struct unpack_stats stats;
	struct buf tar_err;
	int error;
	struct buf err;
};

static int seterr(struct layer_job *j, int r, const char *fmt, ...) _printf_(3, 4);
static int seterr(struct layer_job *j, int r, const char *fmt, ...)
{
	va_list ap;

	if (j->error)
		return j->error;
	j->error = r;
	errno = -r;
	va_start(ap, fmt);
	(void) buf_vappendf(&j->err, fmt, ap);
	va_end(ap);
	return r;
}

static void ring_cancel(struct ring *r)
{
	pthread_mutex_lock(&r->m);
	r->cancel = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->m);
}

static int ring_write(struct ring *r, const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&r->m);
	while (n > 0) {
		size_t tail, k;

		while (r->len == r->cap && !r->cancel)
			pthread_cond_wait(&r->cond, &r->m);
		if (r->cancel) {
			pthread_mutex_unlock(&r->m);
			return -ECANCELED;
		}
		tail = (r->head + r->len) % r->cap;
		k = MIN(r->cap - r->len, r->cap - tail);
		k = MIN(n, k);
		memcpy(r->buf + tail, p, k);
		r->len += k;
		p += k;
		n -= k;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->m);
	return 0;
}

/* Returns the next contiguous slice (0 at EOF, -ECANCELED). */
static ssize_t ring_read(struct ring *r, const void **ret)
{
	ssize_t k;

	pthread_mutex_lock(&r->m);
	if (r->lent) {
		r->head = (r->head + r->lent) % r->cap;
		r->len -= r->lent;
		r->lent = 0;
		pthread_cond_broadcast(&r->cond);
	}
	while (r->len == 0 && !r->eof && !r->cancel)
		pthread_cond_wait(&r->cond, &r->m);
	if (r->cancel)
		k = -ECANCELED;
	else if (r->len == 0)
		k = 0;
	else {
		k = (ssize_t) MIN(r->len, r->cap - r->head);
		r->lent = (size_t) k;
		*ret = r->buf + r->head;
	}
	pthread_mutex_unlock(&r->m);
	return k;
}

/* The tar thread's read: the diff_id is hashed here, on the way to libarchive, which
 * splits the CPU work evenly between the two threads (inflate and the blob digest on the
 * feeding side, the tar digest and the writing here). */
static ssize_t tar_read(struct layer_job *j, const void **ret)
{
	ssize_t k = ring_read(&j->ring, ret);

	if (k > 0)
		digest_update(&j->dig_u, *ret, (size_t) k);
	return k;
}

static la_ssize_t archive_read_cb(struct archive *a, void *userdata, const void **ret)
{
	ssize_t k = tar_read(userdata, ret);

	if (k < 0) {
		archive_set_error(a, ECANCELED, "layer stream cancelled");
		return -1;
	}
	return k;
}

static void *tar_thread(void *userdata)
{
	struct layer_job *j = userdata;
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	int r;

	r = unpack_archive_new(&a);
	/* Opening reads the first block to recognise the format. */
	if (r >= 0) {
		r = unpack_archive_open(a, j, archive_read_cb);
		if (r < 0 && archive_errno(a) == ECANCELED)
			r = -ECANCELED;
		else if (r < 0)
			(void) buf_appendf(&j->tar_err, "not a tar stream: %s",
					   archive_error_string(a) ?: "unknown error");
	}
	if (r >= 0)
		r = unpack_archive(a, j->staging_fd, &j->opts, &j->stats, &j->tar_err);
	if (r >= 0) {
		/* The tar may end before the stream does (padding, end blocks): the rest is
		 * still part of the diff_id, so let the feeder push it through. */
		const void *p;
		ssize_t k;

		while ((k = tar_read(j, &p)) > 0)
			;
		if (k < 0)
			r = (int) k;
	}
	pthread_mutex_lock(&j->ring.m);
	j->tar_result = r;
	if (r < 0)
		j->ring.cancel = true;
	pthread_cond_broadcast(&j->ring.cond);
	pthread_mutex_unlock(&j->ring.m);
	return NULL;
}

/* The tar thread's failure, with its message, as the job's error. */
static int tar_error(struct layer_job *j)
{
	int r;

	pthread_mutex_lock(&j->ring.m);
	r = j->tar_result;
	pthread_mutex_unlock(&j->ring.m);
	if (r >= 0)
		return 0;
	return seterr(j, r, "%s", j->tar_err.len ? buf_str(&j->tar_err) : "tar stream failed");
}

static int tar_out(void *userdata, const void *p, size_t n)
{
	struct layer_job *j = userdata;
	int r;

	j->tar_bytes += n;
	/* A decompression bomb (endless zero blocks, which libarchive skips) ends here,
	 * not in a full disk. */
	if (j->tar_bytes > j->tar_max)
		return seterr(j, -E2BIG, "tar stream larger than %" PRIu64 " bytes", j->tar_max);
	r = ring_write(&j->ring, p, n);
	if (r == -ECANCELED) {
		r = tar_error(j);
		if (r == 0)
			r = seterr(j, -ECANCELED, "cancelled");
	}
	return r;
}

int layer_job_new(struct store *st, const struct layer_desc *d, const struct unpack_opts *o,
		  struct layer_job **ret)
{
	_cleanup_(layer_job_freep) struct layer_job *j = NULL;
	bool encrypted = false;
	int r;

	j = calloc(1, sizeof(*j));
	if (!j) {
		ocicrypt_layer_free(d->enc);
		store_layer_abandon(st, d->digest);
		return -ENOMEM;
	}
	j->enc = d->enc;
	j->st = st;
	j->claimed = true;
	j->staging_fd = -EBADF;
	j->err = BUF_INIT(1024);
	j->tar_err = BUF_INIT(1024);
	j->enc_msg = BUF_INIT(1024);
	j->size = d->size;
	j->digest = strdup(d->digest);
	if (!j->digest) {
		store_layer_abandon(st, d->digest);
		j->claimed = false;
		return -ENOMEM;
	}
	if (o)
		j->opts = *o;
	else
		unpack_opts_default(&j->opts);
	pthread_mutex_init(&j->ring.m, NULL);
	pthread_cond_init(&j->ring.cond, NULL);

	r = digest_oci_parse(d->digest, &j->want_c);
	if (r < 0)
		return r;
	r = digest_oci_parse(d->diff_id, &j->want_u);
	if (r < 0)
		return r;
	j->diff_id_str = strdup(d->diff_id);
	if (!j->diff_id_str)
		return -ENOMEM;
	r = decomp_from_media_type(d->media_type, &j->kind, &encrypted);
	if (r < 0)
		return r;
	if (encrypted != !!j->enc)
		return encrypted ? -ENOKEY : -EINVAL;
	if (encrypted) {
		j->plain = malloc(LAYER_READ_SIZE);
		if (!j->plain)
			return -ENOMEM;
	}
	/* The content cap plus room for every entry's headers and padding (a pax header,
	 * a long name, the block rounding) and the end blocks. */
	j->tar_max = sat_add(
	    j->opts.limits.max_bytes,
	    sat_add(sat_mul(j->opts.limits.max_entries, LAYER_TAR_ENTRY_OVERHEAD), 1u << 20));
	digest_init(&j->dig_c, j->want_c.alg);
	digest_init(&j->dig_u, j->want_u.alg);
	r = decomp_new(j->kind, tar_out, j, &j->dec);
	if (r < 0)
		return r;
	j->ring.cap = LAYER_RING_SIZE;
	j->ring.buf = malloc(j->ring.cap);
	if (!j->ring.buf)
		return -ENOMEM;
	r = store_staging_new(st, &j->staging, &j->staging_fd);
	if (r < 0)
		return r;
	r = -pthread_create(&j->thread, NULL, tar_thread, j);
	if (r < 0)
		return r;
	j->thread_started = true;
	*ret = steal_ptr(j);
	return 0;
}

static int join(struct layer_job *j);

/* Decrypts in LAYER_READ_SIZE pieces. After a failure downstream (corrupt compressed
 * data, a tar stream the writer refuses) the rest is still read and authenticated, and
 * the failure is held back, so that layer_finish() names a tampered blob as such. */
static int feed_encrypted(struct layer_job *j, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = MIN(n, (size_t) LAYER_READ_SIZE);

		ocicrypt_layer_update(j->enc, p, k, j->plain);
		if (!j->enc_err) {
			int r = decomp_push(j->dec, j->plain, k);
			if (r < 0) {
				ring_cancel(&j->ring);
				j->enc_err = j->error ? j->error : r;
				if (j->err.len)
					(void) buf_append_str(&j->enc_msg, buf_str(&j->err));
				else if (r == -EBADMSG)
					(void) buf_appendf(&j->enc_msg,
							   "corrupt %s data in the "
							   "decrypted layer",
							   decomp_kind_to_string(j->kind));
				else
					(void) buf_appendf(&j->enc_msg, "decompression failed: %s",
							   strerror(-r));
				j->error = 0;
				buf_reset(&j->err);
			}
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* Encrypted layers: the HMAC first, then what was held back. */
static int finish_encrypted(struct layer_job *j)
{
	_cleanup_(buf_done) struct buf why = BUF_INIT(256);
	int r;

	r = ocicrypt_layer_finish(j->enc, &why);
	if (r < 0) {
		ring_cancel(&j->ring);
		(void) join(j);
		j->error = 0;
		buf_reset(&j->err);
		return seterr(j, r, "%s", buf_str(&why));
	}
	if (j->enc_err) {
		ring_cancel(&j->ring);
		(void) join(j);
		j->error = 0;
		buf_reset(&j->err);
		return seterr(j, j->enc_err, "%s", buf_str(&j->enc_msg));
	}
	return 0;
}

int layer_feed(struct layer_job *j, const void *p, size_t n)
{
	int r;

	if (j->error)
		return j->error;
	if (j->done)
		return -EINVAL;
	if (j->size && (j->in + n > j->size || j->in + n < j->in))
		return seterr(j, -E2BIG, "blob longer than its descriptor's %" PRIu64 " bytes",
			      j->size);
	j->in += n;
	digest_update(&j->dig_c, p, n);
	if (j->enc)
		return feed_encrypted(j, p, n);
	r = decomp_push(j->dec, p, n);
	if (r < 0) {
		ring_cancel(&j->ring);
		if (r == -EBADMSG)
			return seterr(j, r, "corrupt %s data at or before byte %" PRIu64,
				      decomp_kind_to_string(j->kind), j->in);
		return seterr(j, r, "decompression failed: %m");
	}
	return 0;
}

int layer_sink(void *userdata, const void *p, size_t n)
{
	return layer_feed(userdata, p, n);
}

int layer_feed_fd(struct layer_job *j, int fd)
{
	_cleanup_free_ uint8_t *b = malloc(LAYER_READ_SIZE);

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, b, LAYER_READ_SIZE);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return seterr(j, -errno, "cannot read the blob: %m");
		}
		if (n == 0)
			return 0;
		r = layer_feed(j, b, (size_t) n);
		if (r < 0)
			return r;
	}
}

static int join(struct layer_job *j)
{
	if (j->thread_started) {
		(void) pthread_join(j->thread, NULL);
		j->thread_started = false;
	}
	return tar_error(j);
}

int layer_finish(struct layer_job *j, char **ret_path)
{
	char got[DIGEST_OCI_STRING_MAX];
	uint8_t d[DIGEST_MAX_SIZE];
	struct store_layer_meta m;
	int r;

	if (j->error)
		return j->error;
	if (j->done)
		return -EINVAL;
	j->done = true;
	if (j->enc) {
		r = finish_encrypted(j);
		if (r < 0)
			return r;
	}
	r = decomp_finish(j->dec);
	if (r < 0) {
		/* Our error first: the tar thread's failure is only the consequence. */
		r = seterr(j, r, "%s stream truncated after %" PRIu64 " bytes",
			   decomp_kind_to_string(j->kind), j->in);
		ring_cancel(&j->ring);
		(void) join(j);
		return r;
	}
	pthread_mutex_lock(&j->ring.m);
	j->ring.eof = true;
	pthread_cond_broadcast(&j->ring.cond);
	pthread_mutex_unlock(&j->ring.m);
	r = join(j);
	if (r < 0)
		return r;
	if (j->size && j->in != j->size)
		return seterr(j, -EBADMSG,
			      "blob has %" PRIu64 " bytes, its descriptor says %" PRIu64, j->in,
			      j->size);
	(void) digest_final(&j->dig_c, d);
	if (!digest_equal(d, j->want_c.d, digest_size(j->want_c.alg)))
		return seterr(j, -EKEYREJECTED, "blob digest mismatch: got %s",
			      digest_oci_format(j->want_c.alg, d, got));
	(void) digest_final(&j->dig_u, d);
	if (!digest_equal(d, j->want_u.d, digest_size(j->want_u.alg)))
		return seterr(j, -EKEYREJECTED, "diff_id mismatch: want %s, got %s", j->diff_id_str,
			      digest_oci_format(j->want_u.alg, d, got));

	m = (struct store_layer_meta){ .decoder = j->kind,
				       .encrypted = j->enc != NULL,
				       .compressed_digest = j->digest,
				       .uncompressed_digest = j->diff_id_str };
	j->claimed = false; /* commit ends the claim whatever happens */
	r = store_layer_commit(j->st, j->staging, j->staging_fd, &m, ret_path);
	if (r < 0)
		return seterr(j, r, "cannot publish the layer: %m");
	free(j->staging);
	j->staging = NULL;
	return 0;
}

const char *layer_job_error(const struct layer_job *j)
{
	return buf_str(&j->err);
}

uint64_t layer_job_bytes_in(const struct layer_job *j)
{
	return j->in;
}

const struct unpack_stats *layer_job_stats(const struct layer_job *j)
{
	return &j->stats;
}

struct layer_job *layer_job_free(struct layer_job *j)
{
	if (!j)
		return NULL;
	if (j->thread_started) {
		ring_cancel(&j->ring);
		(void) join(j);
	}
	closep(&j->staging_fd);
	if (j->staging) {
		int r = store_staging_remove(j->st, j->staging);
		if (r < 0)
			log_debug("layer: cannot remove staging '%s': %d", j->staging, r);
		free(j->staging);
	}
	if (j->claimed)
		store_layer_abandon(j->st, j->digest);
	decomp_free(j->dec);
	ocicrypt_layer_free(j->enc);
	if (j->plain)
		secret_wipe(j->plain, LAYER_READ_SIZE);
	free(j->plain);
	free(j->ring.buf);
	pthread_cond_destroy(&j->ring.cond);
	pthread_mutex_destroy(&j->ring.m);
	buf_done(&j->err);
	buf_done(&j->tar_err);
	buf_done(&j->enc_msg);
	free(j->digest);
	free(j->diff_id_str);
	free(j);
	return NULL;
}
