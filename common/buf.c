/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded growable buffer (see buf.h for the invariants). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (n > b->max || b->len > b->max - n)
		return -E2BIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = 0;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n, r;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return -EINVAL;
	r = buf_reserve(b, (size_t) n);
	if (r < 0)
		return r;
	(void) vsnprintf((char *) b->data + b->len, (size_t) n + 1, fmt, ap);
	b->len += (size_t) n;
	return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_put_be32(struct buf *b, uint32_t v)
{
	uint8_t p[4];

	put_be32(p, v);
	return buf_append(b, p, sizeof(p));
}

int buf_read_fd(struct buf *b, int fd)
{
	for (;;) {
		ssize_t n;
		int r;

		if (b->len == b->max) {
			/* Full: one more byte means the input is over the limit. */
			char probe;
			n = read(fd, &probe, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			return n == 0 ? 0 : -E2BIG;
		}
		r = buf_reserve(b, MIN((size_t) 65536, b->max - b->len));
		if (r < 0)
			return r;
		n = read(fd, b->data + b->len, MIN(b->cap - b->len - 1, b->max - b->len));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		b->len += (size_t) n;
		b->data[b->len] = 0;
	}
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n < b->len) {
		b->len = n;
		b->data[n] = 0;
	}
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

void buf_done(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_done_wipe(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	buf_done(b);
}

uint8_t *buf_detach(struct buf *b, size_t *ret_len)
{
	uint8_t *p;

	if (!b->data && buf_reserve(b, 0) < 0)
		return NULL;
	p = b->data;
	if (ret_len)
		*ret_len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
