/* SPDX-License-Identifier: Apache-2.0 */
/* TOML 1.0.0 parser and its tree (toml.io/en/v1.0.0 and toml.abnf). The whole text is
 * checked for UTF-8 and control characters first, then parsed in one recursive-descent
 * pass. The rules on redefining tables (dotted keys vs [headers], immutable inline
 * tables and static arrays) follow the spec text and toml_edit, the parser behind the
 * Rust toml crate upstream reads its files with. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "toml.h"

enum {
	/* tables */
	F_IMPLICIT = 1 << 0, /* made as a prefix of a [a.b] header path: may be defined later */
	F_DEFINED = 1 << 1,  /* defined by a [header] or as a [[header]] element */
	F_DOTTED = 1 << 2,   /* made, or extended, by a dotted key */
	F_INLINE = 1 << 3,   /* an inline table, or made by a dotted key inside one: frozen */
	/* arrays */
	F_TABLES = 1 << 4, /* made by [[header]]; any other array is static */
};

struct toml_kv {
	char *key;
	size_t key_len;
	struct toml_value *value;
};

struct toml_value {
	enum toml_type type;
	unsigned flags;
	unsigned depth; /* root 0; each array or table one more than its parent */
	union {
		struct {
			char *s;
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
		struct toml_datetime dt;
		struct {
			struct toml_value **v;
			size_t n, cap;
		} arr;
		struct {
			struct toml_kv *kv; /* in document order */
			size_t n, cap;
			/* Open-addressing index of kv (slot = position + 1), built once a table
			 * passes TABLE_INDEX_MIN keys, so a hostile document with many keys
			 * cannot make inserts quadratic. */
			uint32_t *index;
			size_t index_cap;
		} tbl;
	};
};

#define TABLE_INDEX_MIN 8

struct toml_value *toml_free(struct toml_value *v)
{
	size_t i;

	if (!v)
		return NULL;
	switch (v->type) {
	case TOML_STRING:
		free(v->str.s);
		break;
	case TOML_DATETIME:
		free((char *) v->dt.text);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->arr.n; i++)
			toml_free(v->arr.v[i]);
		free(v->arr.v);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->tbl.n; i++) {
			free(v->tbl.kv[i].key);
			toml_free(v->tbl.kv[i].value);
		}
		free(v->tbl.kv);
		free(v->tbl.index);
		break;
	default:
		break;
	}
	free(v);
	return NULL;
}

static struct toml_value *value_new(enum toml_type type, unsigned depth, unsigned flags)
{
	struct toml_value *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->type = type;
	v->depth = depth;
	v->flags = flags;
	return v;
}

static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (n--) {
		h ^= (unsigned char) *k++;
		h *= 16777619u;
	}
	return h;
}

static struct toml_kv *table_find(const struct toml_value *t, const char *k, size_t n)
{
	size_t i;

	if (t->tbl.index) {
		size_t mask = t->tbl.index_cap - 1;

		for (i = key_hash(k, n) & mask;; i = (i + 1) & mask) {
			uint32_t slot = t->tbl.index[i];
			struct toml_kv *kv;

			if (!slot)
				return NULL;
			kv = &t->tbl.kv[slot - 1];
			if (kv->key_len == n && memcmp(kv->key, k, n) == 0)
				return kv;
		}
	}
	for (i = 0; i < t->tbl.n; i++)
		if (t->tbl.kv[i].key_len == n && memcmp(t->tbl.kv[i].key, k, n) == 0)
			return &t->tbl.kv[i];
	return NULL;
}

static void index_put(uint32_t *index, size_t cap, const struct toml_kv *kv, uint32_t slot)
{
	size_t i;

	for (i = key_hash(kv->key, kv->key_len) & (cap - 1); index[i]; i = (i + 1) & (cap - 1))
		;
	index[i] = slot;
}

static int table_reindex(struct toml_value *t)
{
	size_t cap = t->tbl.index_cap ? t->tbl.index_cap * 2 : 32, i;
	uint32_t *index;

	index = calloc(cap, sizeof(*index));
	if (!index)
		return -ENOMEM;
	for (i = 0; i < t->tbl.n; i++)
		index_put(index, cap, &t->tbl.kv[i], (uint32_t) i + 1);
	free(t->tbl.index);
	t->tbl.index = index;
	t->tbl.index_cap = cap;
	return 0;
}

/* Adds key (malloc()ed, taken over on success) -> v (taken over on success). The caller
 * has checked that the key is absent. */
static int table_add(struct toml_value *t, char *key, size_t key_len, struct toml_value *v)
{
	struct toml_kv *kv;

	if (t->tbl.n == t->tbl.cap) {
		size_t cap = t->tbl.cap ? t->tbl.cap * 2 : 4;

		if (cap >= UINT32_MAX / 2)
			return -E2BIG;
		kv = reallocarray(t->tbl.kv, cap, sizeof(*kv));
		if (!kv)
			return -ENOMEM;
		t->tbl.kv = kv;
		t->tbl.cap = cap;
	}
	kv = &t->tbl.kv[t->tbl.n];
	*kv = (struct toml_kv){ .key = key, .key_len = key_len, .value = v };
	t->tbl.n++;
	if (t->tbl.n > TABLE_INDEX_MIN) {
		if (t->tbl.n * 2 > t->tbl.index_cap) {
			if (table_reindex(t) < 0) {
				t->tbl.n--;
				return -ENOMEM;
			}
		} else
			index_put(t->tbl.index, t->tbl.index_cap, kv, (uint32_t) t->tbl.n);
	}
	return 0;
}

static int array_add(struct toml_value *a, struct toml_value *v)
{
	if (a->arr.n == a->arr.cap) {
		size_t cap = a->arr.cap ? a->arr.cap * 2 : 4;
		struct toml_value **p = reallocarray(a->arr.v, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		a->arr.v = p;
		a->arr.cap = cap;
	}
	a->arr.v[a->arr.n++] = v;
	return 0;
}

/* ---- parser ---- */

struct key_part {
	size_t off, len; /* decoded bytes in parser.scratch */
	size_t pos;      /* where it starts in the document, for messages */
};

struct key {
	struct key_part part[TOML_MAX_DEPTH];
	size_t n;
};

struct parser {
	const char *s;
	size_t len, pos;
	size_t start; /* after a byte order mark */
	struct toml_error *err;
	struct buf scratch; /* the decoded parts of the key being parsed */
	struct toml_value *root;
	struct toml_value *cur; /* the table key/value lines go to */
};

static void locate(const struct parser *p, size_t pos, unsigned *ret_line, unsigned *ret_col)
{
	unsigned line = 1, col = 1;
	size_t i;

	for (i = p->start; i < pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			if (line < UINT_MAX)
				line++;
			col = 1;
		} else if (((unsigned char) p->s[i] & 0xC0) != 0x80 && col < UINT_MAX)
			col++;
	}
	*ret_line = line;
	*ret_col = col;
}

_printf_(4, 5) static int error_at(struct parser *p, size_t pos, int r, const char *fmt, ...)
{
	va_list ap;

	if (!p->err)
		return r;
	locate(p, pos, &p->err->line, &p->err->column);
	va_start(ap, fmt);
	(void) vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return r;
}

#define bad(p, pos, ...) error_at(p, pos, -EBADMSG, __VA_ARGS__)
#define oom(p) error_at(p, (p)->pos, -ENOMEM, "out of memory")
#define too_deep(p, pos) error_at(p, pos, -E2BIG, "nested deeper than %d levels", TOML_MAX_DEPTH)

/* Copies a key for a message: at most ~40 bytes cut at a code point, controls as '?'. */
static const char *show(char out[static 48], const char *k, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o < 40; i++) {
		unsigned char c = (unsigned char) k[i];

		if ((c & 0xC0) == 0xC0 && o + 4 > 40)
			break;
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char) c;
	}
	/* Do not end inside a multi-byte sequence. */
	while (o > 0 && i < n && ((unsigned char) k[i] & 0xC0) == 0x80) {
		o--;
		i--;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* Names what sits at pos for a message: 'x', U+00E9, a newline, the end of the document. */
static const char *what_at(const struct parser *p, size_t pos, char out[static 16])
{
	const unsigned char *s = (const unsigned char *) p->s;
	unsigned c;

	if (pos >= p->len)
		return "the end of the document";
	c = s[pos];
	if (c == '\n' || c == '\r')
		return "a newline";
	if (c == '\t')
		return "a tab";
	if (c < 0x80) {
		snprintf(out, 16, "'%c'", (char) c);
		return out;
	}
	/* The text was checked to be UTF-8 and positions given here start a character,
	 * so the sequence is complete; the check only guards against a caller's slip. */
	if (c < 0xC0 || p->len - pos < (c < 0xE0 ? 2u : c < 0xF0 ? 3u : 4u))
		return "a stray byte";
	if (c < 0xE0)
		c = (c & 0x1F) << 6 | (s[pos + 1] & 0x3F);
	else if (c < 0xF0)
		c = (c & 0x0F) << 12 | (s[pos + 1] & 0x3F) << 6 | (s[pos + 2] & 0x3F);
	else
		c = (c & 0x07) << 18 | (s[pos + 1] & 0x3F) << 12 | (s[pos + 2] & 0x3F) << 6 |
		    (s[pos + 3] & 0x3F);
	snprintf(out, 16, "U+%04X", c);
	return out;
}

static int peek_at(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char) p->s[p->pos + off] : -1;
}

static int peek(const struct parser *p)
{
	return peek_at(p, 0);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_bare(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}

/* Everything outside strings and comments is ASCII, and the spec allows tab but no
 * other control character anywhere (strings and comments included), and only CRLF or
 * LF as line ends. So one pass up front settles UTF-8 and controls for the whole text. */
static int check_text(struct parser *p)
{
	const unsigned char *s = (const unsigned char *) p->s;
	size_t i = p->pos, n = p->len;

	while (i < n) {
		unsigned c = s[i], need, lo = 0x80, hi = 0xBF, k;

		if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n') {
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n') {
				i += 2;
				continue;
			}
			return bad(p, i, "carriage return not followed by a line feed");
		}
		if (c == 0)
			return bad(p, i, "NUL byte in the document");
		if (c < 0x80)
			return bad(p, i, "control character U+%04X is not allowed", c);
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0; /* no overlong forms */
			if (c == 0xED)
				hi = 0x9F; /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			if (c == 0xF4)
				hi = 0x8F; /* nothing past U+10FFFF */
		} else
			return bad(p, i, "invalid UTF-8");
		if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
			return bad(p, i, "invalid UTF-8");
		for (k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return bad(p, i, "invalid UTF-8");
		i += need + 1;
	}
	return 0;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static void skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return;
	/* check_text() made sure a CR here starts a CRLF. */
	while (p->pos < p->len && p->s[p->pos] != '\n' && p->s[p->pos] != '\r')
		p->pos++;
}

static bool eat_newline(struct parser *p)
{
	int c = peek(p);

	if (c == '\n')
		p->pos++;
	else if (c == '\r')
		p->pos += 2;
	else
		return false;
	return true;
}

/* Whitespace, comments and newlines: what may sit between array elements. */
static void skip_ws_nl(struct parser *p)
{
	do {
		skip_ws(p);
		skip_comment(p);
	} while (eat_newline(p));
}

static int expect_eol(struct parser *p, const char *after)
{
	char w[16];

	skip_ws(p);
	skip_comment(p);
	if (p->pos >= p->len || eat_newline(p))
		return 0;
	return bad(p, p->pos, "expected a newline after the %s, found %s", after,
		   what_at(p, p->pos, w));
}

static int put_utf8(struct buf *out, uint32_t c)
{
	size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4, i;
	uint8_t u[4];

	if (n == 1)
		u[0] = (uint8_t) c;
	else {
		for (i = n - 1; i > 0; i--, c >>= 6)
			u[i] = (uint8_t) (0x80 | (c & 0x3F));
		u[0] = (uint8_t) (((0xFF00u >> n) & 0xFF) | c); /* C0, E0 or F0 */
	}
	return buf_append(out, u, n);
}

/* At a backslash in a basic string: decodes one escape into out. TOML 1.0 has no \e
 * and no \xHH (both are 1.1). */
static int parse_escape(struct parser *p, struct buf *out)
{
	size_t at = p->pos, n, i;
	int c = peek_at(p, 1);
	uint32_t u = 0;
	char e, w[16];

	switch (c) {
	case 'b':
		e = '\b';
		break;
	case 't':
		e = '\t';
		break;
	case 'n':
		e = '\n';
		break;
	case 'f':
		e = '\f';
		break;
	case 'r':
		e = '\r';
		break;
	case '"':
		e = '"';
		break;
	case '\\':
		e = '\\';
		break;
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			int h = peek_at(p, 2 + i);

			if (!is_hex(h))
				return bad(p, p->pos + 2 + i, "\\%c needs %zu hex digits, found %s",
					   c, n, what_at(p, p->pos + 2 + i, w));
			u = u << 4 | (uint32_t) (is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
		}
		if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
			return bad(p, at, "escape \\%c%0*X is not a Unicode scalar value", c,
				   (int) n, u);
		p->pos += 2 + n;
		return put_utf8(out, u) < 0 ? oom(p) : 0;
	default:
		return bad(p, at + 1, "invalid escape sequence: backslash followed by %s",
			   what_at(p, at + 1, w));
	}
	p->pos += 2;
	return buf_append(out, &e, 1) < 0 ? oom(p) : 0;
}

/* "..." at p->pos; appends the decoded text to out. */
static int parse_basic(struct parser *p, struct buf *out)
{
	size_t start = p->pos, a;
	int r;

	p->pos++;
	for (;;) {
		if (p->pos >= p->len)
			return bad(p, start, "unterminated string");
		switch (p->s[p->pos]) {
		case '"':
			p->pos++;
			return 0;
		case '\n':
		case '\r':
			return bad(p, p->pos, "newline in a single-line string");
		case '\\':
			r = parse_escape(p, out);
			if (r < 0)
				return r;
			continue;
		}
		for (a = p->pos; p->pos < p->len && !strchr("\"\\\n\r", p->s[p->pos]); p->pos++)
			;
		if (buf_append(out, p->s + a, p->pos - a) < 0)
			return oom(p);
	}
}

/* '...' at p->pos: no escapes. */
static int parse_literal(struct parser *p, struct buf *out)
{
	size_t start = p->pos, a;

	a = ++p->pos;
	for (;;) {
		if (p->pos >= p->len)
			return bad(p, start, "unterminated string");
		if (p->s[p->pos] == '\'')
			break;
		if (p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
			return bad(p, p->pos, "newline in a single-line string");
		p->pos++;
	}
	if (buf_append(out, p->s + a, p->pos - a) < 0)
		return oom(p);
	p->pos++;
	return 0;
}

/* At a run of quote characters q inside a multi-line string: up to two belong to the
 * content, three end the string, and the content may end with one or two of them
 * ("""a""""" is a"). Returns 1 at the end, 0 to go on. */
static int ml_quotes(struct parser *p, struct buf *out, char q)
{
	size_t run = 0;

	while (p->pos + run < p->len && p->s[p->pos + run] == q)
		run++;
	if (run > 5)
		return bad(p, p->pos + 5, "too many quotes at the end of a multi-line string");
	if (run >= 3) {
		if (buf_append(out, p->s + p->pos, run - 3) < 0)
			return oom(p);
		p->pos += run;
		return 1;
	}
	if (buf_append(out, p->s + p->pos, run) < 0)
		return oom(p);
	p->pos += run;
	return 0;
}

/* """...""" or '''...''' at p->pos. A newline right after the opening delimiter is
 * dropped; CRLF becomes LF, as the Rust toml crate does. */
static int parse_multiline(struct parser *p, struct buf *out, char q)
{
	size_t start = p->pos, a, i;
	int r;

	p->pos += 3;
	(void) eat_newline(p);
	for (;;) {
		if (p->pos >= p->len)
			return bad(p, start, "unterminated multi-line string");
		if (p->s[p->pos] == q) {
			r = ml_quotes(p, out, q);
			if (r != 0)
				return r < 0 ? r : 0;
			continue;
		}
		if (p->s[p->pos] == '\r') {
			p->pos++; /* the LF follows */
			continue;
		}
		if (p->s[p->pos] == '\\' && q == '"') {
			/* A backslash ending a line (trailing blanks allowed) eats all the
			 * whitespace and newlines up to the next visible character. */
			for (i = p->pos + 1; i < p->len && (p->s[i] == ' ' || p->s[i] == '\t'); i++)
				;
			if (i < p->len && (p->s[i] == '\n' || p->s[i] == '\r')) {
				p->pos = i;
				while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
					p->pos++;
				continue;
			}
			r = parse_escape(p, out);
			if (r < 0)
				return r;
			continue;
		}
		for (a = p->pos; p->pos < p->len && p->s[p->pos] != q && p->s[p->pos] != '\r' &&
				 (q == '\'' || p->s[p->pos] != '\\');
		     p->pos++)
			;
		if (buf_append(out, p->s + a, p->pos - a) < 0)
			return oom(p);
	}
}

static bool at_triple(const struct parser *p, char q)
{
	return peek(p) == q && peek_at(p, 1) == q && peek_at(p, 2) == q;
}

/* key = simple-key *( ws "." ws simple-key ); leaves p->pos after trailing blanks. */
static int parse_key(struct parser *p, struct key *k)
{
	char w[16];
	int r;

	buf_reset(&p->scratch);
	k->n = 0;
	for (;;) {
		size_t start = p->pos;
		struct key_part *kp;
		int c = peek(p);

		if (k->n == TOML_MAX_DEPTH)
			return error_at(p, start, -E2BIG, "key has more than %d parts",
					TOML_MAX_DEPTH);
		kp = &k->part[k->n];
		kp->pos = start;
		kp->off = p->scratch.len;
		if (c == '"' || c == '\'') {
			if (at_triple(p, (char) c))
				return bad(p, start, "a multi-line string cannot be a key");
			r = c == '"' ? parse_basic(p, &p->scratch) : parse_literal(p, &p->scratch);
			if (r < 0)
				return r;
		} else if (is_bare(c)) {
			while (is_bare(peek(p)))
				p->pos++;
			if (buf_append(&p->scratch, p->s + start, p->pos - start) < 0)
				return oom(p);
		} else
			return bad(p, start, "expected a key, found %s", what_at(p, start, w));
		kp->len = p->scratch.len - kp->off;
		k->n++;
		skip_ws(p);
		if (peek(p) != '.')
			return 0;
		p->pos++;
		skip_ws(p);
	}
}

static const char *part_str(const struct parser *p, const struct key_part *kp)
{
	return buf_str(&p->scratch) + kp->off;
}

/* The first n parts joined with '.' for a message. */
static const char *show_key(const struct parser *p, const struct key *k, size_t n, char out[48])
{
	char joined[48], part[48];
	size_t i, o = 0;

	joined[0] = 0;
	for (i = 0; i < n && o < sizeof(joined) - 1; i++) {
		int m = snprintf(joined + o, sizeof(joined) - o, "%s%s", i ? "." : "",
				 show(part, part_str(p, &k->part[i]), k->part[i].len));

		o += m > 0 ? (size_t) m : 0;
	}
	if (o >= sizeof(joined) - 1)
		return show(out, joined, strlen(joined));
	memcpy(out, joined, o + 1);
	return out;
}

static char *part_dup(const struct parser *p, const struct key_part *kp)
{
	char *s = malloc(kp->len + 1);

	if (!s)
		return NULL;
	memcpy(s, part_str(p, kp), kp->len);
	s[kp->len] = 0;
	return s;
}

/* Adds a new empty table under key part i of k to t. */
static int add_table(struct parser *p, struct toml_value *t, const struct key *k, size_t i,
		     unsigned flags, struct toml_value **ret)
{
	_cleanup_(toml_freep) struct toml_value *child = NULL;
	_cleanup_free_ char *name = NULL;

	if (t->depth + 1 > TOML_MAX_DEPTH)
		return too_deep(p, k->part[i].pos);
	child = value_new(TOML_TABLE, t->depth + 1, flags);
	name = part_dup(p, &k->part[i]);
	if (!child || !name)
		return oom(p);
	if (table_add(t, name, k->part[i].len, child) < 0)
		return oom(p);
	name = NULL;
	*ret = steal_ptr(child);
	return 0;
}

/* A key already holding a value of another kind than the line needs. */
static int redefined(struct parser *p, size_t pos, const char *key, enum toml_type type)
{
	bool an = type == TOML_INTEGER || type == TOML_ARRAY;

	return bad(p, pos, "key '%s' is already defined as %s %s", key, an ? "an" : "a",
		   toml_type_name(type));
}

static int parse_value(struct parser *p, unsigned depth, struct toml_value **ret);

/* The key of a key = value line and the '=': finds (making dotted tables as needed) the
 * table the value goes to and returns it with a copy of the last key part. Kept out of
 * parse_keyval() so the big struct key is off the stack while the value (maybe nested
 * arrays and inline tables) is parsed. */
static __attribute__((noinline)) int keyval_target(struct parser *p, struct toml_value *base,
						   bool in_inline, struct toml_value **ret_table,
						   char **ret_name, size_t *ret_name_len)
{
	struct toml_value *t = base;
	struct key_part *last;
	struct toml_kv *kv;
	struct key k;
	size_t i;
	char w[48];
	int r;

	r = parse_key(p, &k);
	if (r < 0)
		return r;
	if (peek(p) != '=')
		return bad(p, p->pos, "expected '=' after the key, found %s",
			   what_at(p, p->pos, w));
	p->pos++;
	skip_ws(p);

	/* a.b.c = v: a and b are tables made here or by earlier dotted keys of the same
	 * table; a table defined by a [header] or an inline table cannot be extended. */
	for (i = 0; i + 1 < k.n; i++) {
		struct key_part *kp = &k.part[i];
		struct toml_value *c;

		kv = table_find(t, part_str(p, kp), kp->len);
		if (!kv) {
			r = add_table(p, t, &k, i, F_DOTTED | (in_inline ? F_INLINE : 0), &t);
			if (r < 0)
				return r;
			continue;
		}
		c = kv->value;
		if (c->type != TOML_TABLE)
			return redefined(p, kp->pos, show_key(p, &k, i + 1, w), c->type);
		if ((c->flags & F_INLINE) && !(c->flags & F_DOTTED))
			return bad(p, kp->pos, "inline table '%s' cannot be extended",
				   show_key(p, &k, i + 1, w));
		if (c->flags & F_DEFINED)
			return bad(
			    p, kp->pos,
			    "table '%s' is defined by a [header]; dotted keys cannot extend it",
			    show_key(p, &k, i + 1, w));
		/* A table a header made implicitly stays implicit: dotted keys define only
		 * the tables they create ("provided that such tables were not previously
		 * created"), so a later [header] may still define it, as toml_edit agrees. */
		t = c;
	}
	last = &k.part[k.n - 1];
	if (table_find(t, part_str(p, last), last->len))
		return bad(p, last->pos, "duplicate key '%s'", show_key(p, &k, k.n, w));
	*ret_name = part_dup(p, last);
	if (!*ret_name)
		return oom(p);
	*ret_name_len = last->len;
	*ret_table = t;
	return 0;
}

/* key = value, into base (the current table, or an inline table being built). */
static int parse_keyval(struct parser *p, struct toml_value *base, bool in_inline)
{
	_cleanup_(toml_freep) struct toml_value *v = NULL;
	_cleanup_free_ char *name = NULL;
	struct toml_value *t;
	size_t name_len;
	int r;

	r = keyval_target(p, base, in_inline, &t, &name, &name_len);
	if (r < 0)
		return r;
	r = parse_value(p, t->depth + 1, &v);
	if (r < 0)
		return r;
	if (table_add(t, name, name_len, v) < 0)
		return oom(p);
	name = NULL;
	v = NULL;
	return 0;
}

/* [a.b.c] or [[a.b.c]] at p->pos. */
static int parse_header(struct parser *p)
{
	bool aot = peek_at(p, 1) == '[';
	struct toml_value *t = p->root, *v;
	struct key_part *last;
	struct toml_kv *kv;
	struct key k;
	char w[48];
	size_t i;
	int r;

	p->pos += aot ? 2 : 1;
	skip_ws(p);
	r = parse_key(p, &k);
	if (r < 0)
		return r;
	if (peek(p) != ']')
		return bad(p, p->pos, "expected ']' to close the table header, found %s",
			   what_at(p, p->pos, w));
	p->pos++;
	if (aot) {
		if (peek(p) != ']')
			return bad(p, p->pos, "expected ']]' to close the array of tables header");
		p->pos++;
	}

	/* The prefix: existing tables (any but inline ones), the last element of an array
	 * of tables, or new implicit tables. */
	for (i = 0; i + 1 < k.n; i++) {
		struct key_part *kp = &k.part[i];

		kv = table_find(t, part_str(p, kp), kp->len);
		if (!kv) {
			r = add_table(p, t, &k, i, F_IMPLICIT, &t);
			if (r < 0)
				return r;
			continue;
		}
		v = kv->value;
		if (v->type == TOML_ARRAY && (v->flags & F_TABLES) && v->arr.n > 0) {
			t = v->arr.v[v->arr.n - 1];
			continue;
		}
		if (v->type == TOML_ARRAY)
			return bad(p, kp->pos, "static array '%s' cannot be extended",
				   show_key(p, &k, i + 1, w));
		if (v->type != TOML_TABLE)
			return redefined(p, kp->pos, show_key(p, &k, i + 1, w), v->type);
		if (v->flags & F_INLINE)
			return bad(p, kp->pos, "inline table '%s' cannot be extended",
				   show_key(p, &k, i + 1, w));
		t = v;
	}

	last = &k.part[k.n - 1];
	kv = table_find(t, part_str(p, last), last->len);
	if (!aot) {
		if (!kv) {
			r = add_table(p, t, &k, k.n - 1, F_DEFINED, &p->cur);
			if (r < 0)
				return r;
			return expect_eol(p, "table header");
		}
		v = kv->value;
		if (v->type == TOML_ARRAY && (v->flags & F_TABLES))
			return bad(p, last->pos, "'%s' is an array of tables, not a table",
				   show_key(p, &k, k.n, w));
		if (v->type != TOML_TABLE)
			return redefined(p, last->pos, show_key(p, &k, k.n, w), v->type);
		if (v->flags & F_INLINE)
			return bad(p, last->pos, "inline table '%s' cannot be extended",
				   show_key(p, &k, k.n, w));
		if (v->flags & F_DEFINED)
			return bad(p, last->pos, "table '%s' is defined twice",
				   show_key(p, &k, k.n, w));
		if (v->flags & F_DOTTED)
			return bad(p, last->pos, "table '%s' is already defined by dotted keys",
				   show_key(p, &k, k.n, w));
		v->flags = (v->flags & ~(unsigned) F_IMPLICIT) | F_DEFINED;
		p->cur = v;
		return expect_eol(p, "table header");
	}

	/* [[a]]: a new table appended to the array a, made here if need be. */
	if (!kv) {
		_cleanup_(toml_freep) struct toml_value *a = NULL;
		_cleanup_free_ char *name = NULL;

		if (t->depth + 1 > TOML_MAX_DEPTH)
			return too_deep(p, last->pos);
		a = value_new(TOML_ARRAY, t->depth + 1, F_TABLES);
		name = part_dup(p, last);
		if (!a || !name)
			return oom(p);
		if (table_add(t, name, last->len, a) < 0)
			return oom(p);
		name = NULL;
		v = steal_ptr(a);
	} else {
		v = kv->value;
		if (v->type == TOML_ARRAY && !(v->flags & F_TABLES))
			return bad(p, last->pos, "static array '%s' cannot be extended",
				   show_key(p, &k, k.n, w));
		if (v->type != TOML_ARRAY)
			return redefined(p, last->pos, show_key(p, &k, k.n, w), v->type);
	}
	{
		_cleanup_(toml_freep) struct toml_value *elem = NULL;

		if (v->depth + 1 > TOML_MAX_DEPTH)
			return too_deep(p, last->pos);
		elem = value_new(TOML_TABLE, v->depth + 1, F_DEFINED);
		if (!elem || array_add(v, elem) < 0)
			return oom(p);
		p->cur = steal_ptr(elem);
	}
	return expect_eol(p, "table header");
}

static int string_value(struct parser *p, struct buf *b, struct toml_value **ret)
{
	struct toml_value *v = value_new(TOML_STRING, 0, 0);

	if (!v)
		return oom(p);
	v->str.s = (char *) buf_detach(b, &v->str.len);
	if (!v->str.s) {
		free(v);
		return oom(p);
	}
	*ret = v;
	return 0;
}

/* Digits (as accepted by ok) with single underscores between them, from t[*i]. On
 * success *i is past them. On failure *i is at the culprit and a message is returned. */
static const char *scan_digits(const char *t, size_t n, size_t *i, bool (*ok)(int))
{
	size_t k = *i;

	if (k >= n || !ok((unsigned char) t[k]))
		return k < n && t[k] == '_' ? "underscores must sit between digits"
					    : "expected a digit";
	for (;;) {
		while (k < n && ok((unsigned char) t[k]))
			k++;
		if (k >= n || t[k] != '_')
			break;
		if (k + 1 >= n || !ok((unsigned char) t[k + 1])) {
			*i = k;
			return "underscores must sit between digits";
		}
		k++;
	}
	*i = k;
	return NULL;
}

static bool is_oct(int c)
{
	return c >= '0' && c <= '7';
}

static bool is_bin(int c)
{
	return c == '0' || c == '1';
}

/* 0x, 0o, 0b integers: no sign, leading zeros allowed, non-negative int64. */
static int parse_prefixed(struct parser *p, size_t start, size_t n, struct toml_value **ret)
{
	const char *t = p->s + start;
	unsigned base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
	bool (*ok)(int) = base == 16 ? is_hex : base == 8 ? is_oct : is_bin;
	const char *msg;
	uint64_t u = 0;
	size_t i = 2;

	msg = scan_digits(t, n, &i, ok);
	if (msg)
		return bad(p, start + i, "%s", msg);
	if (i != n)
		return bad(p, start + i, "invalid digit in a base-%u integer", base);
	for (i = 2; i < n; i++) {
		int c = t[i];
		unsigned d;

		if (c == '_')
			continue;
		d = is_digit(c) ? (unsigned) (c - '0') : (unsigned) ((c | 0x20) - 'a' + 10);
		if (u > ((uint64_t) INT64_MAX - d) / base)
			return bad(p, start, "integer does not fit in 64 bits");
		u = u * base + d;
	}
	if (!(*ret = value_new(TOML_INTEGER, 0, 0)))
		return oom(p);
	(*ret)->i = (int64_t) u;
	return 0;
}

/* A decimal integer or a float, t = p->s[start..start+n). */
static int parse_number(struct parser *p, size_t start, size_t n, struct toml_value **ret)
{
	const char *t = p->s + start, *msg;
	bool neg = false, is_float = false;
	size_t i = 0, j;

	if (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-';
		i = 1;
	}
	if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0)) {
		if (!(*ret = value_new(TOML_FLOAT, 0, 0)))
			return oom(p);
		(*ret)->f = t[i] == 'i' ? INFINITY : NAN;
		if (neg)
			(*ret)->f = -(*ret)->f;
		return 0;
	}
	if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
		if (i)
			return bad(p, start, "hexadecimal, octal and binary integers take no sign");
		return parse_prefixed(p, start, n, ret);
	}

	j = i;
	msg = scan_digits(t, n, &j, is_digit);
	if (msg)
		return bad(p, start + j, "%s", msg);
	if (t[i] == '0' && j > i + 1)
		return bad(p, start + i, "leading zeros are not allowed");
	if (j < n && t[j] == '.') {
		j++;
		is_float = true;
		msg = scan_digits(t, n, &j, is_digit);
		if (msg)
			return bad(p, start + j, "%s after the decimal point", msg);
	}
	if (j < n && (t[j] == 'e' || t[j] == 'E')) {
		j++;
		is_float = true;
		if (j < n && (t[j] == '+' || t[j] == '-'))
			j++;
		msg = scan_digits(t, n, &j, is_digit);
		if (msg)
			return bad(p, start + j, "%s in the exponent", msg);
	}
	if (j != n) {
		char w[16];

		return bad(p, start + j, "unexpected %s in a number", what_at(p, start + j, w));
	}

	if (is_float) {
		_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
		char *end;
		double f;

		for (j = 0; j < n; j++)
			if (t[j] != '_' && buf_append(&b, t + j, 1) < 0)
				return oom(p);
		/* The grammar above leaves strtod() only plain decimal text; cocobox never
		 * calls setlocale(), so '.' is the radix character. */
		errno = 0;
		f = strtod(buf_str(&b), &end);
		if (*end)
			return bad(p, start, "invalid float");
		if (errno == ERANGE && isinf(f))
			return bad(p, start, "float out of range");
		if (!(*ret = value_new(TOML_FLOAT, 0, 0)))
			return oom(p);
		(*ret)->f = f;
		return 0;
	} else {
		uint64_t u = 0, limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;

		for (j = i; j < n; j++) {
			unsigned d;

			if (t[j] == '_')
				continue;
			d = (unsigned) (t[j] - '0');
			if (u > (limit - d) / 10)
				return bad(p, start, "integer does not fit in 64 bits");
			u = u * 10 + d;
		}
		if (!(*ret = value_new(TOML_INTEGER, 0, 0)))
			return oom(p);
		(*ret)->i = neg ? (int64_t) (0 - u) : (int64_t) u;
		return 0;
	}
}

static bool digits_at(const struct parser *p, size_t pos, size_t n)
{
	size_t i;

	if (pos > p->len || p->len - pos < n)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char) p->s[pos + i]))
			return false;
	return true;
}

static int num_at(const struct parser *p, size_t pos, size_t n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (p->s[pos++] - '0');
	return v;
}

static int char_at(const struct parser *p, size_t pos)
{
	return pos < p->len ? (unsigned char) p->s[pos] : -1;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* RFC 3339 as TOML restricts it: YYYY-MM-DD, then optionally T (or t, or one space)
 * and HH:MM:SS[.frac], then optionally Z or +HH:MM; or a time alone. */
static int parse_datetime(struct parser *p, struct toml_value **ret)
{
	struct toml_datetime dt = { .kind = TOML_TIME_LOCAL };
	size_t start = p->pos, q = p->pos;
	struct toml_value *v;
	char *text;
	int c;

	if (digits_at(p, q, 4) && char_at(p, q + 4) == '-') {
		if (!digits_at(p, q + 5, 2) || char_at(p, q + 7) != '-' || !digits_at(p, q + 8, 2))
			return bad(p, start, "invalid date: expected YYYY-MM-DD");
		dt.year = num_at(p, q, 4);
		dt.month = num_at(p, q + 5, 2);
		dt.day = num_at(p, q + 8, 2);
		if (dt.month < 1 || dt.month > 12)
			return bad(p, q + 5, "month out of range");
		if (dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
			return bad(p, q + 8, "day out of range");
		q += 10;
		dt.kind = TOML_DATE_LOCAL;
		c = char_at(p, q);
		if (c == 'T' || c == 't' || (c == ' ' && digits_at(p, q + 1, 2)))
			q++;
		else
			goto done;
		dt.kind = TOML_DATETIME_LOCAL;
	}
	if (!digits_at(p, q, 2) || char_at(p, q + 2) != ':' || !digits_at(p, q + 3, 2) ||
	    char_at(p, q + 5) != ':' || !digits_at(p, q + 6, 2))
		return bad(p, q, "invalid time: expected HH:MM:SS");
	dt.hour = num_at(p, q, 2);
	dt.minute = num_at(p, q + 3, 2);
	dt.second = num_at(p, q + 6, 2);
	if (dt.hour > 23)
		return bad(p, q, "hour out of range");
	if (dt.minute > 59)
		return bad(p, q + 3, "minute out of range");
	if (dt.second > 60) /* 60: a leap second, as RFC 3339 allows */
		return bad(p, q + 6, "second out of range");
	q += 8;
	if (char_at(p, q) == '.') {
		unsigned digits = 0;

		q++;
		if (!digits_at(p, q, 1))
			return bad(p, q, "expected digits after the decimal point");
		/* Precision past nanoseconds is truncated, as the spec asks. */
		for (; digits_at(p, q, 1); q++, digits++)
			if (digits < 9)
				dt.nanosecond = dt.nanosecond * 10 + (uint32_t) (p->s[q] - '0');
		for (; digits < 9; digits++)
			dt.nanosecond *= 10;
	}
	if (dt.kind == TOML_DATETIME_LOCAL) {
		c = char_at(p, q);
		if (c == 'Z' || c == 'z') {
			dt.kind = TOML_DATETIME_OFFSET;
			q++;
		} else if (c == '+' || c == '-') {
			int oh, om;

			if (!digits_at(p, q + 1, 2) || char_at(p, q + 3) != ':' ||
			    !digits_at(p, q + 4, 2))
				return bad(p, q, "invalid time offset: expected Z or +HH:MM");
			oh = num_at(p, q + 1, 2);
			om = num_at(p, q + 4, 2);
			if (oh > 23 || om > 59)
				return bad(p, q, "time offset out of range");
			dt.offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
			dt.kind = TOML_DATETIME_OFFSET;
			q += 6;
		}
	}
done:
	text = strndup(p->s + start, q - start);
	v = value_new(TOML_DATETIME, 0, 0);
	if (!text || !v) {
		free(text);
		free(v);
		return oom(p);
	}
	dt.text = text;
	v->dt = dt;
	p->pos = q;
	*ret = v;
	return 0;
}

static int parse_array(struct parser *p, unsigned depth, struct toml_value **ret)
{
	_cleanup_(toml_freep) struct toml_value *a = NULL;
	size_t start = p->pos;
	char w[16];
	int r;

	if (depth > TOML_MAX_DEPTH)
		return too_deep(p, start);
	a = value_new(TOML_ARRAY, depth, 0);
	if (!a)
		return oom(p);
	p->pos++;
	for (;;) {
		_cleanup_(toml_freep) struct toml_value *v = NULL;

		skip_ws_nl(p);
		if (peek(p) == ']')
			break;
		r = parse_value(p, depth + 1, &v);
		if (r < 0)
			return r;
		if (array_add(a, v) < 0)
			return oom(p);
		v = NULL;
		skip_ws_nl(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
			break;
		if (p->pos >= p->len)
			return bad(p, start, "unterminated array");
		return bad(p, p->pos, "expected ',' or ']' in the array, found %s",
			   what_at(p, p->pos, w));
	}
	p->pos++;
	*ret = steal_ptr(a);
	return 0;
}

/* { k = v, ... } on one line (newlines only inside values), no trailing comma. */
static int parse_inline_table(struct parser *p, unsigned depth, struct toml_value **ret)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	size_t start = p->pos;
	char w[16];
	int r;

	if (depth > TOML_MAX_DEPTH)
		return too_deep(p, start);
	t = value_new(TOML_TABLE, depth, F_INLINE);
	if (!t)
		return oom(p);
	p->pos++;
	skip_ws(p);
	if (peek(p) != '}') {
		for (;;) {
			int c = peek(p);

			if (c == '\n' || c == '\r')
				return bad(p, p->pos, "newline in an inline table");
			if (c == '#')
				return bad(p, p->pos, "comment in an inline table");
			if (c == '}')
				return bad(p, p->pos, "trailing comma in an inline table");
			r = parse_keyval(p, t, true);
			if (r < 0)
				return r;
			skip_ws(p);
			c = peek(p);
			if (c == '}')
				break;
			if (c == ',') {
				p->pos++;
				skip_ws(p);
				continue;
			}
			if (c < 0)
				return bad(p, start, "unterminated inline table");
			if (c == '\n' || c == '\r')
				return bad(p, p->pos, "newline in an inline table");
			if (c == '#')
				return bad(p, p->pos, "comment in an inline table");
			return bad(p, p->pos, "expected ',' or '}' in the inline table, found %s",
				   what_at(p, p->pos, w));
		}
	}
	p->pos++;
	*ret = steal_ptr(t);
	return 0;
}

static int parse_value(struct parser *p, unsigned depth, struct toml_value **ret)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	size_t start = p->pos, n;
	int c = peek(p), r;
	char w[48];

	switch (c) {
	case '"':
	case '\'':
		if (at_triple(p, (char) c))
			r = parse_multiline(p, &b, (char) c);
		else
			r = c == '"' ? parse_basic(p, &b) : parse_literal(p, &b);
		return r < 0 ? r : string_value(p, &b, ret);
	case '[':
		return parse_array(p, depth, ret);
	case '{':
		return parse_inline_table(p, depth, ret);
	}

	/* Everything else is one token of bare-key characters plus '+' and '.' (and a
	 * datetime's ':' and space, handled by parse_datetime). */
	if ((digits_at(p, start, 4) && char_at(p, start + 4) == '-') ||
	    (digits_at(p, start, 2) && char_at(p, start + 2) == ':'))
		return parse_datetime(p, ret);
	while (is_bare(peek(p)) || peek(p) == '+' || peek(p) == '.')
		p->pos++;
	n = p->pos - start;
	if (n == 0)
		return bad(p, start, "expected a value, found %s", what_at(p, start, w));
	if ((n == 4 && memcmp(p->s + start, "true", 4) == 0) ||
	    (n == 5 && memcmp(p->s + start, "false", 5) == 0)) {
		if (!(*ret = value_new(TOML_BOOLEAN, 0, 0)))
			return oom(p);
		(*ret)->b = n == 4;
		return 0;
	}
	if (is_digit(c) || c == '+' || c == '-' ||
	    (n == 3 &&
	     (memcmp(p->s + start, "inf", 3) == 0 || memcmp(p->s + start, "nan", 3) == 0)))
		return parse_number(p, start, n, ret);
	return bad(p, start, "invalid value '%s'%s", show(w, p->s + start, n),
		   is_alpha(c) ? " (strings must be quoted)" : "");
}

static int parse_document(struct parser *p)
{
	int r;

	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (p->pos >= p->len)
			return 0;
		if (eat_newline(p))
			continue;
		if (peek(p) == '[') {
			r = parse_header(p);
		} else {
			r = parse_keyval(p, p->cur, false);
			if (r >= 0)
				r = expect_eol(p, "value");
		}
		if (r < 0)
			return r;
	}
}

int toml_parse(const char *data, size_t len, struct toml_value **ret, struct toml_error *err)
{
	struct parser p = {
		.s = data ? data : "",
		.len = data ? len : 0,
		.err = err,
		.scratch = BUF_INIT(BUF_UNLIMITED),
	};
	_cleanup_(toml_freep) struct toml_value *root = NULL;
	int r;

	if (err)
		*err = (struct toml_error){ 0 };
	if (p.len >= 3 && memcmp(p.s, "\xEF\xBB\xBF", 3) == 0)
		p.pos = p.start = 3;
	r = check_text(&p);
	if (r < 0)
		return r;
	root = value_new(TOML_TABLE, 0, F_DEFINED);
	if (!root)
		return oom(&p);
	p.root = p.cur = root;
	r = parse_document(&p);
	buf_done(&p.scratch);
	if (r < 0)
		return r;
	*ret = steal_ptr(root);
	return 0;
}

/* ---- the tree ---- */

enum toml_type toml_value_type(const struct toml_value *v)
{
	return v->type;
}

const char *toml_type_name(enum toml_type t)
{
	static const char *const names[] = {
		[TOML_STRING] = "string",   [TOML_INTEGER] = "integer",   [TOML_FLOAT] = "float",
		[TOML_BOOLEAN] = "boolean", [TOML_DATETIME] = "datetime", [TOML_ARRAY] = "array",
		[TOML_TABLE] = "table",
	};

	return (unsigned) t < ELEMENTSOF(names) ? names[t] : "unknown";
}

size_t toml_count(const struct toml_value *v)
{
	if (!v)
		return 0;
	if (v->type == TOML_ARRAY)
		return v->arr.n;
	if (v->type == TOML_TABLE)
		return v->tbl.n;
	return 0;
}

const struct toml_value *toml_array_at(const struct toml_value *array, size_t i)
{
	if (!array || array->type != TOML_ARRAY || i >= array->arr.n)
		return NULL;
	return array->arr.v[i];
}

const struct toml_value *toml_table_at(const struct toml_value *table, size_t i,
				       const char **ret_key, size_t *ret_key_len)
{
	if (!table || table->type != TOML_TABLE || i >= table->tbl.n)
		return NULL;
	if (ret_key)
		*ret_key = table->tbl.kv[i].key;
	if (ret_key_len)
		*ret_key_len = table->tbl.kv[i].key_len;
	return table->tbl.kv[i].value;
}

static const struct toml_value *table_get_n(const struct toml_value *table, const char *key,
					    size_t n)
{
	const struct toml_kv *kv;

	if (!table || table->type != TOML_TABLE)
		return NULL;
	kv = table_find(table, key, n);
	return kv ? kv->value : NULL;
}

const struct toml_value *toml_table_get(const struct toml_value *table, const char *key)
{
	return table_get_n(table, key, strlen(key));
}

const struct toml_value *toml_get_path(const struct toml_value *table, const char *path)
{
	const char *dot;

	if (!table || table->type != TOML_TABLE)
		return NULL;
	if (!*path)
		return table;
	for (;;) {
		dot = strchr(path, '.');
		table = table_get_n(table, path, dot ? (size_t) (dot - path) : strlen(path));
		if (!dot || !table)
			return table;
		path = dot + 1;
	}
}

int toml_value_string(const struct toml_value *v, const char **ret, size_t *ret_len)
{
	if (!v || v->type != TOML_STRING)
		return -EINVAL;
	if (!ret_len && memchr(v->str.s, 0, v->str.len))
		return -EBADMSG;
	*ret = v->str.s;
	if (ret_len)
		*ret_len = v->str.len;
	return 0;
}

int toml_value_int(const struct toml_value *v, int64_t *ret)
{
	if (!v || v->type != TOML_INTEGER)
		return -EINVAL;
	*ret = v->i;
	return 0;
}

int toml_value_float(const struct toml_value *v, double *ret)
{
	if (v && v->type == TOML_INTEGER) {
		*ret = (double) v->i;
		return 0;
	}
	if (!v || v->type != TOML_FLOAT)
		return -EINVAL;
	*ret = v->f;
	return 0;
}

int toml_value_bool(const struct toml_value *v, bool *ret)
{
	if (!v || v->type != TOML_BOOLEAN)
		return -EINVAL;
	*ret = v->b;
	return 0;
}

int toml_value_datetime(const struct toml_value *v, const struct toml_datetime **ret)
{
	if (!v || v->type != TOML_DATETIME)
		return -EINVAL;
	*ret = &v->dt;
	return 0;
}

/* The entry for a typed getter: -ENOENT/-EINVAL as toml.h says. */
static int get_entry(const struct toml_value *table, const char *key, const struct toml_value **ret)
{
	if (!table)
		return -ENOENT;
	if (table->type != TOML_TABLE)
		return -EINVAL;
	*ret = toml_table_get(table, key);
	return *ret ? 0 : -ENOENT;
}

int toml_get_string(const struct toml_value *table, const char *key, const char **ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	return r < 0 ? r : toml_value_string(v, ret, NULL);
}

int toml_get_int(const struct toml_value *table, const char *key, int64_t *ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	return r < 0 ? r : toml_value_int(v, ret);
}

int toml_get_float(const struct toml_value *table, const char *key, double *ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	return r < 0 ? r : toml_value_float(v, ret);
}

int toml_get_bool(const struct toml_value *table, const char *key, bool *ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	return r < 0 ? r : toml_value_bool(v, ret);
}

int toml_get_datetime(const struct toml_value *table, const char *key,
		      const struct toml_datetime **ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	return r < 0 ? r : toml_value_datetime(v, ret);
}

static int get_typed(const struct toml_value *table, const char *key, enum toml_type type,
		     const struct toml_value **ret)
{
	const struct toml_value *v;
	int r = get_entry(table, key, &v);

	if (r < 0)
		return r;
	if (v->type != type)
		return -EINVAL;
	*ret = v;
	return 0;
}

int toml_get_table(const struct toml_value *table, const char *key, const struct toml_value **ret)
{
	return get_typed(table, key, TOML_TABLE, ret);
}

int toml_get_array(const struct toml_value *table, const char *key, const struct toml_value **ret)
{
	return get_typed(table, key, TOML_ARRAY, ret);
}
