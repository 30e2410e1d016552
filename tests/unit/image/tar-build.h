/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny ustar/pax writer for the image unit tests: hostile archives are easier to
 * spell out header by header than to coax out of a tar tool. */
#pragma once

#include <stdio.h>

#include "common/buf.h"
#include "tests/unit/tests.h"

struct tar_ent {
	const char *name;
	char type; /* '0' file, '1' hardlink, '2' symlink, '3' chr, '4' blk, '5' dir, '6' fifo */
	unsigned mode;    /* permission bits; 0 means 0644 (0755 for dirs) */
	const char *data; /* file content (NUL-terminated) */
	const char *link; /* link target */
	unsigned uid, gid, major, minor;
	long long mtime; /* 0 means 1700000000 */
	const char *pax; /* extra pax records "key=value" separated by '\n', or NULL */
};

static inline void tar_octal(char *dst, size_t n, unsigned long long v)
{
	char tmp[32];

	(void) snprintf(tmp, sizeof(tmp), "%0*llo", (int) (n - 1), v);
	memcpy(dst, tmp, n - 1);
	dst[n - 1] = 0;
}

static inline void tar_header(struct buf *b, const char *name, char type, unsigned mode,
			      unsigned long long size, const struct tar_ent *e)
{
	char h[512] = {};
	unsigned sum = 0;

	strncpy(h, name, 100);
	tar_octal(h + 100, 8, mode);
	tar_octal(h + 108, 8, e ? e->uid : 0);
	tar_octal(h + 116, 8, e ? e->gid : 0);
	tar_octal(h + 124, 12, size);
	tar_octal(h + 136, 12, e && e->mtime ? (unsigned long long) e->mtime : 1700000000ull);
	h[156] = type;
	if (e && e->link)
		strncpy(h + 157, e->link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	tar_octal(h + 329, 8, e ? e->major : 0);
	tar_octal(h + 337, 8, e ? e->minor : 0);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += (unsigned char) h[i];
	tar_octal(h + 148, 7, sum);
	ASSERT_OK(buf_append(b, h, 512));
}

static inline void tar_pad(struct buf *b, size_t n)
{
	static const char zero[512];

	if (n % 512)
		ASSERT_OK(buf_append(b, zero, 512 - n % 512));
}

static inline void tar_pax_record(struct buf *p, const char *kv, size_t kvlen)
{
	/* "<len> <kv>\n" where len counts itself */
	size_t len = kvlen + 3, digits;

	for (;;) {
		char tmp[32];
		digits = (size_t) snprintf(tmp, sizeof(tmp), "%zu", len);
		if (digits + kvlen + 2 == len)
			break;
		len = digits + kvlen + 2;
	}
	ASSERT_OK(buf_appendf(p, "%zu ", len));
	ASSERT_OK(buf_append(p, kv, kvlen));
	ASSERT_OK(buf_append(p, "\n", 1));
}

static inline void tar_add(struct buf *b, const struct tar_ent *e)
{
	size_t size = e->data ? strlen(e->data) : 0;
	unsigned mode = e->mode ? e->mode : (e->type == '5' ? 0755 : 0644);
	bool long_name = strlen(e->name) > 99, long_link = e->link && strlen(e->link) > 99;

	if (e->pax || long_name || long_link) {
		_cleanup_(buf_done) struct buf p = BUF_INIT(BUF_UNLIMITED);
		_cleanup_(buf_done) struct buf kv = BUF_INIT(BUF_UNLIMITED);

		if (long_name) {
			ASSERT_OK(buf_appendf(&kv, "path=%s", e->name));
			tar_pax_record(&p, (const char *) kv.data, kv.len);
			buf_reset(&kv);
		}
		if (long_link) {
			ASSERT_OK(buf_appendf(&kv, "linkpath=%s", e->link));
			tar_pax_record(&p, (const char *) kv.data, kv.len);
			buf_reset(&kv);
		}
		for (const char *s = e->pax; s && *s;) {
			size_t n = strcspn(s, "\n");
			tar_pax_record(&p, s, n);
			s += n;
			if (*s)
				s++;
		}
		tar_header(b, "PaxHeaders/x", 'x', 0644, p.len, NULL);
		ASSERT_OK(buf_append(b, p.data, p.len));
		tar_pad(b, p.len);
	}
	tar_header(b, e->name, e->type, mode, e->type == '0' ? size : 0, e);
	if (e->type == '0' && size) {
		ASSERT_OK(buf_append(b, e->data, size));
		tar_pad(b, size);
	}
}

static inline void tar_end(struct buf *b)
{
	static const char zero[1024];

	ASSERT_OK(buf_append(b, zero, sizeof(zero)));
}
