/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer with a hard maximum (curl's rule: every buffer a peer can fill
 * has one). Invariants, as git's strbuf: data is NUL-terminated after len, buf_str()
 * never returns NULL, buf_detach() hands out a malloc()ed pointer. Errors: -ENOMEM,
 * -E2BIG when len would pass max. */
#pragma once

#include <stdarg.h>
#include <stdint.h>

#include "macro.h"

struct buf {
	uint8_t *data;
	size_t len, cap, max;
};

#define BUF_UNLIMITED SIZE_MAX
#define BUF_INIT(m) ((struct buf){ .data = NULL, .len = 0, .cap = 0, .max = (m) })

/* Makes room for n more bytes (plus the NUL). */
int buf_reserve(struct buf *b, size_t n);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_appendf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
int buf_vappendf(struct buf *b, const char *fmt, va_list ap) _printf_(2, 0);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_be32(struct buf *b, uint32_t v);
/* Reads fd to EOF; -E2BIG (and nothing more read) once max would be passed. */
int buf_read_fd(struct buf *b, int fd);
/* Sets len to n (n <= len), keeping the NUL invariant. */
void buf_truncate(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* Frees the memory, wiping it first when the buffer held something sensitive. */
void buf_done(struct buf *b);
void buf_done_wipe(struct buf *b);
/* Returns the data (never NULL, NUL-terminated) and leaves b empty. */
uint8_t *buf_detach(struct buf *b, size_t *ret_len);

static inline const char *buf_str(const struct buf *b)
{
	return b->data ? (const char *) b->data : "";
}

/* Fixed-width integers at unaligned addresses, in wire byte order. */
static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
	       (uint32_t) p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t) get_le32(p) | (uint64_t) get_le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}
