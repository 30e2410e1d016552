/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for common/toml.c: parse, walk the whole tree through the public API,
 * and check two properties: a failure always says where and why, and a parsed tree
 * written back as TOML (inline tables, escaped strings) parses to the same tree. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/toml.h"

static void emit_string(struct buf *o, const char *s, size_t n)
{
	(void) buf_append_str(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			(void) buf_appendf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			(void) buf_appendf(o, "\\u%04x", c);
		else
			(void) buf_append(o, &s[i], 1);
	}
	(void) buf_append_str(o, "\"");
}

static void emit(struct buf *o, const struct toml_value *v)
{
	const struct toml_datetime *dt;
	const char *s;
	size_t n, i;
	int64_t iv;
	double f;
	bool b;

	switch (toml_value_type(v)) {
	case TOML_STRING:
		(void) toml_value_string(v, &s, &n);
		emit_string(o, s, n);
		break;
	case TOML_INTEGER:
		(void) toml_value_int(v, &iv);
		(void) buf_appendf(o, "%lld", (long long) iv);
		break;
	case TOML_FLOAT:
		(void) toml_value_float(v, &f);
		if (isnan(f))
			(void) buf_append_str(o, "nan");
		else if (isinf(f))
			(void) buf_append_str(o, f < 0 ? "-inf" : "inf");
		else {
			char tmp[64];

			snprintf(tmp, sizeof(tmp), "%.17g", f);
			(void) buf_append_str(o, tmp);
			if (!strpbrk(tmp, ".e"))
				(void) buf_append_str(o, ".0");
		}
		break;
	case TOML_BOOLEAN:
		(void) toml_value_bool(v, &b);
		(void) buf_append_str(o, b ? "true" : "false");
		break;
	case TOML_DATETIME:
		(void) toml_value_datetime(v, &dt);
		(void) buf_append_str(o, dt->text);
		break;
	case TOML_ARRAY:
		(void) buf_append_str(o, "[");
		for (i = 0; i < toml_count(v); i++) {
			emit(o, toml_array_at(v, i));
			(void) buf_append_str(o, ",");
		}
		(void) buf_append_str(o, "]");
		break;
	case TOML_TABLE:
		(void) buf_append_str(o, "{");
		for (i = 0; i < toml_count(v); i++) {
			const struct toml_value *e = toml_table_at(v, i, &s, &n);

			emit_string(o, s, n);
			(void) buf_append_str(o, "=");
			emit(o, e);
			if (i + 1 < toml_count(v))
				(void) buf_append_str(o, ",");
		}
		(void) buf_append_str(o, "}");
		break;
	}
}

static bool same(const struct toml_value *a, const struct toml_value *b)
{
	const struct toml_datetime *da, *db;
	const char *sa, *sb;
	size_t na, nb, i;
	int64_t ia, ib;
	double fa, fb;
	bool ba, bb;

	if (toml_value_type(a) != toml_value_type(b) || toml_count(a) != toml_count(b))
		return false;
	switch (toml_value_type(a)) {
	case TOML_STRING:
		(void) toml_value_string(a, &sa, &na);
		(void) toml_value_string(b, &sb, &nb);
		return na == nb && memcmp(sa, sb, na) == 0;
	case TOML_INTEGER:
		(void) toml_value_int(a, &ia);
		(void) toml_value_int(b, &ib);
		return ia == ib;
	case TOML_FLOAT:
		(void) toml_value_float(a, &fa);
		(void) toml_value_float(b, &fb);
		return (isnan(fa) && isnan(fb)) || memcmp(&fa, &fb, sizeof(fa)) == 0;
	case TOML_BOOLEAN:
		(void) toml_value_bool(a, &ba);
		(void) toml_value_bool(b, &bb);
		return ba == bb;
	case TOML_DATETIME:
		(void) toml_value_datetime(a, &da);
		(void) toml_value_datetime(b, &db);
		return da->kind == db->kind && da->year == db->year && da->month == db->month &&
		       da->day == db->day && da->hour == db->hour && da->minute == db->minute &&
		       da->second == db->second && da->nanosecond == db->nanosecond &&
		       da->offset_minutes == db->offset_minutes && strcmp(da->text, db->text) == 0;
	case TOML_ARRAY:
		for (i = 0; i < toml_count(a); i++)
			if (!same(toml_array_at(a, i), toml_array_at(b, i)))
				return false;
		return true;
	case TOML_TABLE:
		for (i = 0; i < toml_count(a); i++) {
			const struct toml_value *ea = toml_table_at(a, i, &sa, &na);
			const struct toml_value *eb = toml_table_at(b, i, &sb, &nb);

			if (na != nb || memcmp(sa, sb, na) != 0 || !same(ea, eb))
				return false;
		}
		return true;
	}
	return false;
}

/* Walks the tree through every accessor and checks they agree with each other. */
static void walk(const struct toml_value *v, unsigned depth)
{
	bool container = toml_value_type(v) == TOML_ARRAY || toml_value_type(v) == TOML_TABLE;
	const struct toml_datetime *dt;
	const char *s;
	size_t n, i;
	int64_t iv;
	double f;
	bool b;

	/* The limit counts containers: a scalar may sit one level below the deepest. */
	if (depth > TOML_MAX_DEPTH + (container ? 0u : 1u))
		abort();
	switch (toml_value_type(v)) {
	case TOML_STRING:
		if (toml_value_string(v, &s, &n) < 0 || s[n] != 0)
			abort();
		if ((toml_value_string(v, &s, NULL) == -EBADMSG) != (memchr(s, 0, n) != NULL))
			abort();
		break;
	case TOML_INTEGER:
		if (toml_value_int(v, &iv) < 0 || toml_value_float(v, &f) < 0)
			abort();
		break;
	case TOML_FLOAT:
		if (toml_value_float(v, &f) < 0 || toml_value_int(v, &iv) != -EINVAL)
			abort();
		break;
	case TOML_BOOLEAN:
		if (toml_value_bool(v, &b) < 0)
			abort();
		break;
	case TOML_DATETIME:
		if (toml_value_datetime(v, &dt) < 0 || !dt->text || !dt->text[0])
			abort();
		break;
	case TOML_ARRAY:
		for (i = 0; i < toml_count(v); i++)
			walk(toml_array_at(v, i), depth + 1);
		if (toml_array_at(v, toml_count(v)))
			abort();
		break;
	case TOML_TABLE:
		for (i = 0; i < toml_count(v); i++) {
			const struct toml_value *e = toml_table_at(v, i, &s, &n);

			/* The lookup (hashed past a few keys) finds what iteration shows. */
			if (!memchr(s, 0, n) && toml_table_get(v, s) != e)
				abort();
			if (!memchr(s, 0, n) && !strchr(s, '.') && n > 0 &&
			    toml_get_path(v, s) != e)
				abort();
			walk(e, depth + 1);
		}
		if (toml_table_at(v, toml_count(v), NULL, NULL))
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL, *again = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct toml_error err;
	const char *key;
	size_t i, n;
	int r;

	if (size > 1 << 20)
		return 0;
	r = toml_parse((const char *) data, size, &t, &err);
	if (r < 0) {
		if ((r != -EBADMSG && r != -E2BIG && r != -ENOMEM) || err.line == 0 ||
		    err.column == 0 || !err.message[0] ||
		    strnlen(err.message, sizeof(err.message)) == sizeof(err.message))
			abort();
		return 0;
	}
	walk(t, 0);

	/* Round trip: the root's entries as key = inline value lines. */
	for (i = 0; i < toml_count(t); i++) {
		const struct toml_value *e = toml_table_at(t, i, &key, &n);

		emit_string(&out, key, n);
		(void) buf_append_str(&out, " = ");
		emit(&out, e);
		(void) buf_append_str(&out, "\n");
	}
	r = toml_parse(buf_str(&out), out.len, &again, &err);
	if (r == -ENOMEM)
		return 0;
	if (r < 0) {
		fprintf(stderr, "re-parse failed at %u:%u: %s\n%s\n", err.line, err.column,
			err.message, buf_str(&out));
		abort();
	}
	if (!same(t, again)) {
		fprintf(stderr, "round trip changed the tree:\n%s\n", buf_str(&out));
		abort();
	}
	return 0;
}
