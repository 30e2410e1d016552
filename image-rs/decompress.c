/* SPDX-License-Identifier: Apache-2.0 */
/* Layer decompression (upstream.md §6.3): gzip through isa-l's igzip inflate with its
 * own gzip wrapper parsing and CRC/ISIZE check, member after member; zstd through a
 * ZSTD_DStream (concatenated frames and skippable frames as zstd defines them); none as
 * a pass-through cut into bounded chunks. */
#include <isa-l.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/log.h"
#include "decompress.h"

/* zstd's own default cap on the window a frame may ask for (128 MiB); named here so the
 * memory bound is explicit rather than a library default that could change. */
#define DECOMP_ZSTD_WINDOW_LOG_MAX 27

struct decomp {
	enum decomp_kind kind;
	decomp_out_fn out;
	void *userdata;
	int error; /* sticky */
	uint64_t in, produced;
	uint8_t *outbuf;
	union {
		struct {
			struct inflate_state *s;
			bool in_member;
			bool padding; /* only zero bytes may follow */
			uint64_t members;
		} gz;
		struct {
			ZSTD_DStream *ds;
			size_t last; /* last ZSTD_decompressStream() hint: 0 = at a frame end */
			bool any;
		} zs;
	};
};

static const struct {
	const char *type;
	enum decomp_kind kind;
	bool encrypted;
} media_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", DECOMP_NONE, false },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", DECOMP_NONE, false },
	{ "application/vnd.docker.image.rootfs.diff.tar", DECOMP_NONE, false },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", DECOMP_GZIP, false },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DECOMP_GZIP, false },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", DECOMP_GZIP, false },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", DECOMP_ZSTD, false },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", DECOMP_ZSTD, false },
	{ "application/vnd.oci.image.layer.v1.tar+encrypted", DECOMP_NONE, true },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+encrypted", DECOMP_NONE, true },
	{ "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", DECOMP_GZIP, true },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted", DECOMP_GZIP,
	  true },
	{ "application/vnd.oci.image.layer.v1.tar+zstd+encrypted", DECOMP_ZSTD, true },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd+encrypted", DECOMP_ZSTD,
	  true },
};

int decomp_from_media_type(const char *media_type, enum decomp_kind *ret, bool *ret_encrypted)
{
	if (!media_type)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(media_types); i++)
		if (streq(media_type, media_types[i].type)) {
			*ret = media_types[i].kind;
			if (ret_encrypted)
				*ret_encrypted = media_types[i].encrypted;
			return 0;
		}
	return -EOPNOTSUPP;
}

static const char *const kind_names[_DECOMP_KIND_MAX] = {
	[DECOMP_NONE] = "Uncompressed",
	[DECOMP_GZIP] = "Gzip",
	[DECOMP_ZSTD] = "Zstd",
};

const char *decomp_kind_to_string(enum decomp_kind k)
{
	return (unsigned) k < _DECOMP_KIND_MAX ? kind_names[k] : NULL;
}

int decomp_kind_from_string(const char *s, enum decomp_kind *ret)
{
	for (unsigned k = 0; k < _DECOMP_KIND_MAX; k++)
		if (streq_ptr(s, kind_names[k])) {
			*ret = k;
			return 0;
		}
	return -EBADMSG;
}

int decomp_new(enum decomp_kind k, decomp_out_fn out, void *userdata, struct decomp **ret)
{
	_cleanup_(decomp_freep) struct decomp *d = NULL;

	if ((unsigned) k >= _DECOMP_KIND_MAX || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->kind = k;
	d->out = out;
	d->userdata = userdata;
	if (k == DECOMP_NONE) {
		*ret = steal_ptr(d);
		return 0;
	}
	d->outbuf = malloc(DECOMP_CHUNK_MAX);
	if (!d->outbuf)
		return -ENOMEM;
	if (k == DECOMP_GZIP) {
		d->gz.s = malloc(sizeof(*d->gz.s));
		if (!d->gz.s)
			return -ENOMEM;
		isal_inflate_init(d->gz.s);
	} else {
		d->zs.ds = ZSTD_createDStream();
		if (!d->zs.ds)
			return -ENOMEM;
		if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zs.ds, ZSTD_d_windowLogMax,
							DECOMP_ZSTD_WINDOW_LOG_MAX)))
			return -EIO;
		d->zs.last = 1;
	}
	*ret = steal_ptr(d);
	return 0;
}

static int emit(struct decomp *d, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	d->produced += n;
	r = d->out(d->userdata, p, n);
	return r < 0 ? r : 0;
}

static int push_none(struct decomp *d, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = MIN(n, (size_t) DECOMP_CHUNK_MAX);
		int r = emit(d, p, k);

		if (r < 0)
			return r;
		p += k;
		n -= k;
	}
	return 0;
}

/* Runs one gzip member's inflate over the input it is given; *ret_used is the number of
 * input bytes consumed, which is less than n only when the member ended. */
static int inflate_some(struct decomp *d, const uint8_t *p, size_t n, size_t *ret_used)
{
	struct inflate_state *s = d->gz.s;
	size_t used = 0;

	while (used < n) {
		uint32_t chunk = (uint32_t) MIN(n - used, (size_t) UINT32_MAX);

		s->next_in = (uint8_t *) p + used;
		s->avail_in = chunk;
		for (;;) {
			uint32_t avail_before = s->avail_in;
			int ret, r;

			s->next_out = d->outbuf;
			s->avail_out = DECOMP_CHUNK_MAX;
			ret = isal_inflate(s);
			if (ret < 0 || ret == ISAL_NEED_DICT) {
				log_debug("gzip: isal_inflate() failed: %d", ret);
				return -EBADMSG;
			}
			r = emit(d, d->outbuf, DECOMP_CHUNK_MAX - s->avail_out);
			if (r < 0)
				return r;
			if (s->block_state == ISAL_BLOCK_FINISH) {
				/* isa-l stops after the member's trailer and gives back what it
				 * read beyond it, so next_in is the next member's first byte. */
				*ret_used = used + (chunk - s->avail_in);
				d->gz.in_member = false;
				d->gz.members++;
				return 0;
			}
			if (s->avail_out > 0) {
				if (s->avail_in == 0)
					break; /* wants more input */
				if (s->avail_in == avail_before) {
					log_debug("gzip: inflate makes no progress");
					return -EBADMSG;
				}
			}
		}
		used += chunk;
	}
	*ret_used = used;
	return 0;
}

static int push_gzip(struct decomp *d, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t used = 0;
		int r;

		if (!d->gz.in_member) {
			if (d->gz.padding || (d->gz.members > 0 && p[0] == 0)) {
				/* GNU gzip's rule: zero padding after the last member (tape
				 * blocks) is tolerated; anything else after it is garbage. */
				d->gz.padding = true;
				for (size_t i = 0; i < n; i++)
					if (p[i] != 0) {
						log_debug("gzip: garbage after the last member");
						return -EBADMSG;
					}
				return 0;
			}
			isal_inflate_reset(d->gz.s);
			d->gz.s->crc_flag = ISAL_GZIP;
			d->gz.in_member = true;
		}
		r = inflate_some(d, p, n, &used);
		if (r < 0)
			return r;
		p += used;
		n -= used;
	}
	return 0;
}

static int push_zstd(struct decomp *d, const uint8_t *p, size_t n)
{
	ZSTD_inBuffer in = { .src = p, .size = n, .pos = 0 };

	if (n > 0)
		d->zs.any = true;
	for (;;) {
		ZSTD_outBuffer out = { .dst = d->outbuf, .size = DECOMP_CHUNK_MAX, .pos = 0 };
		size_t ret = ZSTD_decompressStream(d->zs.ds, &out, &in);
		int r;

		if (ZSTD_isError(ret)) {
			log_debug("zstd: %s", ZSTD_getErrorName(ret));
			return ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation ? -ENOMEM
										      : -EBADMSG;
		}
		d->zs.last = ret;
		r = emit(d, d->outbuf, out.pos);
		if (r < 0)
			return r;
		/* 0 = the frame is complete and flushed; asking again would start a new
		 * frame and turn the hint non-zero. */
		if (ret == 0 && in.pos == in.size)
			return 0;
		/* A full output buffer may hide more output even with the input used up. */
		if (in.pos == in.size && out.pos < out.size)
			return 0;
	}
}

int decomp_push(struct decomp *d, const void *p, size_t n)
{
	int r;

	if (d->error)
		return d->error;
	d->in += n;
	switch (d->kind) {
	case DECOMP_NONE:
		r = push_none(d, p, n);
		break;
	case DECOMP_GZIP:
		r = push_gzip(d, p, n);
		break;
	default:
		r = push_zstd(d, p, n);
		break;
	}
	if (r < 0)
		d->error = r;
	return r;
}

int decomp_finish(struct decomp *d)
{
	if (d->error)
		return d->error;
	switch (d->kind) {
	case DECOMP_GZIP:
		if (d->gz.in_member || d->gz.members == 0) {
			log_debug("gzip: stream ends inside a member (or has none)");
			d->error = -EBADMSG;
		}
		break;
	case DECOMP_ZSTD:
		/* Drain what the decoder may still hold, then insist on a frame boundary. */
		if (d->zs.any && d->zs.last != 0) {
			int r = push_zstd(d, NULL, 0);
			if (r < 0)
				return d->error = r;
		}
		if (!d->zs.any || d->zs.last != 0) {
			log_debug("zstd: stream ends inside a frame (or has none)");
			d->error = -EBADMSG;
		}
		break;
	default:
		break;
	}
	return d->error;
}

uint64_t decomp_bytes_in(const struct decomp *d)
{
	return d->in;
}

uint64_t decomp_bytes_out(const struct decomp *d)
{
	return d->produced;
}

struct decomp *decomp_free(struct decomp *d)
{
	if (!d)
		return NULL;
	if (d->kind == DECOMP_GZIP)
		free(d->gz.s);
	else if (d->kind == DECOMP_ZSTD)
		ZSTD_freeDStream(d->zs.ds);
	free(d->outbuf);
	free(d);
	return NULL;
}
