/* SPDX-License-Identifier: Apache-2.0 */
/* Runs common/toml.c over the toml-test corpus (github.com/toml-lang/toml-test): every
 * valid/ file must parse and, printed as toml-test's tagged JSON, match its .json the
 * way toml-test compares (floats by value, datetimes by instant); every invalid/ file
 * must fail. The corpus comes from Debian's golang-github-burntsushi-toml-dev; without
 * it the test is skipped. A directory given as argv[1] or $TOML_TEST_DIR wins; if it
 * holds a files-toml-1.0.0 list (newer toml-test), only the listed files run. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/toml.h"

#define DEFAULT_DIR "/usr/share/gocode/src/github.com/BurntSushi/toml/internal/toml-test/tests"

/* TOML 1.1 additions that the corpus keeps among the valid files (toml-test's
 * version.go excludes them for 1.0.0). */
static const char *const only_1_1[] = { "valid/string/escape-esc" };

/* ---- tree -> tagged JSON ---- */

static void json_str(struct buf *o, const char *s, size_t n)
{
	buf_append_str(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			buf_appendf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_appendf(o, "\\u%04x", c);
		else
			buf_append(o, &s[i], 1);
	}
	buf_append_str(o, "\"");
}

static const char *dt_type(const struct toml_datetime *dt)
{
	switch (dt->kind) {
	case TOML_DATETIME_OFFSET:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "datetime-local";
	case TOML_DATE_LOCAL:
		return "date-local";
	default:
		return "time-local";
	}
}

static void to_json(struct buf *o, const struct toml_value *v)
{
	const struct toml_datetime *dt;
	const char *s;
	size_t n, i;
	int64_t iv;
	double f;
	bool b;

	switch (toml_value_type(v)) {
	case TOML_TABLE:
		buf_append_str(o, "{");
		for (i = 0; i < toml_count(v); i++) {
			const struct toml_value *e = toml_table_at(v, i, &s, &n);

			if (i)
				buf_append_str(o, ",");
			json_str(o, s, n);
			buf_append_str(o, ":");
			to_json(o, e);
		}
		buf_append_str(o, "}");
		return;
	case TOML_ARRAY:
		buf_append_str(o, "[");
		for (i = 0; i < toml_count(v); i++) {
			if (i)
				buf_append_str(o, ",");
			to_json(o, toml_array_at(v, i));
		}
		buf_append_str(o, "]");
		return;
	case TOML_STRING:
		(void) toml_value_string(v, &s, &n);
		buf_append_str(o, "{\"type\":\"string\",\"value\":");
		json_str(o, s, n);
		buf_append_str(o, "}");
		return;
	case TOML_INTEGER:
		(void) toml_value_int(v, &iv);
		buf_appendf(o, "{\"type\":\"integer\",\"value\":\"%" PRId64 "\"}", iv);
		return;
	case TOML_FLOAT:
		(void) toml_value_float(v, &f);
		if (isnan(f))
			buf_append_str(o, "{\"type\":\"float\",\"value\":\"nan\"}");
		else if (isinf(f))
			buf_appendf(o, "{\"type\":\"float\",\"value\":\"%sinf\"}",
				    f < 0 ? "-" : "");
		else
			buf_appendf(o, "{\"type\":\"float\",\"value\":\"%.17g\"}", f);
		return;
	case TOML_BOOLEAN:
		(void) toml_value_bool(v, &b);
		buf_appendf(o, "{\"type\":\"bool\",\"value\":\"%s\"}", b ? "true" : "false");
		return;
	case TOML_DATETIME:
		(void) toml_value_datetime(v, &dt);
		buf_appendf(o, "{\"type\":\"%s\",\"value\":", dt_type(dt));
		json_str(o, dt->text, strlen(dt->text));
		buf_append_str(o, "}");
		return;
	}
}

/* ---- a JSON reader just big enough for toml-test's files ---- */

struct jv {
	enum {
		J_OBJ,
		J_ARR,
		J_STR
	} type;
	char *s; /* J_STR */
	size_t len;
	struct jv **item; /* J_OBJ values, J_ARR elements */
	char **key;       /* J_OBJ */
	size_t *key_len;
	size_t n;
};

static void jv_free(struct jv *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		jv_free(j->item[i]);
		if (j->key)
			free(j->key[i]);
	}
	free(j->item);
	free(j->key);
	free(j->key_len);
	free(j->s);
	free(j);
}

static void jws(const char **p, const char *end)
{
	while (*p < end && strchr(" \t\r\n", **p))
		(*p)++;
}

static int hex4(const char *p, const char *end, unsigned *ret)
{
	unsigned v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned) (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (unsigned) ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct buf *b, unsigned u)
{
	size_t n = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
	uint8_t o[4];

	for (size_t i = n - 1; i > 0; i--, u >>= 6)
		o[i] = (uint8_t) (0x80 | (u & 0x3F));
	o[0] = (uint8_t) (n == 1 ? u : ((0xFF00u >> n) & 0xFF) | u);
	buf_append(b, o, n);
}

static int jstr(const char **p, const char *end, char **ret, size_t *ret_len)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);

	(*p)++;
	while (*p < end && **p != '"') {
		if (**p != '\\') {
			buf_append(&b, (*p)++, 1);
			continue;
		}
		(*p)++;
		if (*p >= end)
			break;
		char c = *(*p)++, e;
		unsigned u, lo;
		switch (c) {
		case 'b':
			e = '\b';
			break;
		case 'f':
			e = '\f';
			break;
		case 'n':
			e = '\n';
			break;
		case 'r':
			e = '\r';
			break;
		case 't':
			e = '\t';
			break;
		case 'u':
			if (hex4(*p, end, &u) < 0)
				goto fail;
			*p += 4;
			if (u >= 0xD800 && u < 0xDC00) {
				if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' ||
				    hex4(*p + 2, end, &lo) < 0)
					goto fail;
				*p += 6;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			put_utf8(&b, u);
			continue;
		default:
			e = c;
		}
		buf_append(&b, &e, 1);
	}
	if (*p >= end)
		goto fail;
	(*p)++;
	*ret = (char *) buf_detach(&b, ret_len);
	return 0;
fail:
	buf_done(&b);
	return -1;
}

static struct jv *jparse(const char **p, const char *end, int depth)
{
	struct jv *j = calloc(1, sizeof(*j));

	if (!j || depth > 200)
		goto fail;
	jws(p, end);
	if (*p >= end)
		goto fail;
	if (**p == '"') {
		j->type = J_STR;
		if (jstr(p, end, &j->s, &j->len) < 0)
			goto fail;
		return j;
	}
	if (**p != '{' && **p != '[')
		goto fail;
	j->type = **p == '{' ? J_OBJ : J_ARR;
	char close = j->type == J_OBJ ? '}' : ']';
	(*p)++;
	jws(p, end);
	if (*p < end && **p == close) {
		(*p)++;
		return j;
	}
	for (;;) {
		char *k = NULL;
		size_t kl = 0;

		jws(p, end);
		if (j->type == J_OBJ) {
			if (*p >= end || **p != '"' || jstr(p, end, &k, &kl) < 0)
				goto fail;
			jws(p, end);
			if (*p >= end || **p != ':') {
				free(k);
				goto fail;
			}
			(*p)++;
		}
		j->item = reallocarray(j->item, j->n + 1, sizeof(*j->item));
		if (j->type == J_OBJ) {
			j->key = reallocarray(j->key, j->n + 1, sizeof(*j->key));
			j->key_len = reallocarray(j->key_len, j->n + 1, sizeof(*j->key_len));
			j->key[j->n] = k;
			j->key_len[j->n] = kl;
		}
		j->item[j->n] = jparse(p, end, depth + 1);
		j->n++;
		if (!j->item[j->n - 1])
			goto fail;
		jws(p, end);
		if (*p < end && **p == ',') {
			(*p)++;
			continue;
		}
		if (*p < end && **p == close) {
			(*p)++;
			return j;
		}
		goto fail;
	}
fail:
	jv_free(j);
	return NULL;
}

static struct jv *jv_parse(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	struct jv *j = jparse(&p, end, 0);

	jws(&p, end);
	if (j && p != end) {
		jv_free(j);
		return NULL;
	}
	return j;
}

static const struct jv *jv_get(const struct jv *j, const char *key)
{
	for (size_t i = 0; j->type == J_OBJ && i < j->n; i++)
		if (j->key_len[i] == strlen(key) && memcmp(j->key[i], key, j->key_len[i]) == 0)
			return j->item[i];
	return NULL;
}

static bool is_value(const struct jv *j)
{
	const struct jv *t = jv_get(j, "type"), *v = jv_get(j, "value");

	return j->type == J_OBJ && j->n == 2 && t && t->type == J_STR && v;
}

/* ---- toml-test's comparison ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Reads a datetime through the parser under test: the comparison is of meaning, and a
 * text the parser refuses makes the case fail. */
static int datetime_key(const char *text, size_t n, char *kind, int64_t *secs, uint32_t *ns)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_datetime *dt;

	buf_append_str(&b, "v = ");
	buf_append(&b, text, n);
	if (toml_parse(buf_str(&b), b.len, &t, NULL) < 0 || toml_get_datetime(t, "v", &dt) < 0)
		return -1;
	*kind = (char) dt->kind;
	*secs = days_from_civil(dt->year, dt->month ? dt->month : 1, dt->day ? dt->day : 1) *
		    86400 +
		dt->hour * 3600 + dt->minute * 60 + dt->second - dt->offset_minutes * 60;
	*ns = dt->nanosecond;
	return 0;
}

static bool value_eq(const char *type, const struct jv *w, const struct jv *h)
{
	if (streq(type, "float")) {
		bool wn = w->len >= 3 && memcmp(w->s + w->len - 3, "nan", 3) == 0;
		bool hn = h->len >= 3 && memcmp(h->s + h->len - 3, "nan", 3) == 0;

		if (wn || hn)
			return wn && hn;
		return strtod(w->s, NULL) == strtod(h->s, NULL);
	}
	if (startswith(type, "datetime") || streq(type, "date-local") ||
	    streq(type, "time-local")) {
		char wk, hk;
		int64_t ws, hs;
		uint32_t wns, hns;

		if (datetime_key(w->s, w->len, &wk, &ws, &wns) < 0 ||
		    datetime_key(h->s, h->len, &hk, &hs, &hns) < 0)
			return false;
		return wk == hk && ws == hs && wns == hns;
	}
	return w->len == h->len && memcmp(w->s, h->s, w->len) == 0;
}

static bool jv_eq(const struct jv *w, const struct jv *h, char *why, size_t why_len)
{
	if (w->type != h->type) {
		snprintf(why, why_len, "JSON kinds differ");
		return false;
	}
	if (w->type == J_STR) {
		snprintf(why, why_len, "bare string in the expected JSON");
		return false;
	}
	if (w->type == J_ARR || !is_value(w) || !is_value(h)) {
		if (w->type == J_OBJ && (is_value(w) != is_value(h))) {
			snprintf(why, why_len, "value vs table");
			return false;
		}
		if (w->n != h->n) {
			snprintf(why, why_len, "%zu entries expected, got %zu", w->n, h->n);
			return false;
		}
		for (size_t i = 0; i < w->n; i++) {
			const struct jv *hi = h->item[i];

			if (w->type == J_OBJ) {
				hi = NULL;
				for (size_t k = 0; k < h->n; k++)
					if (h->key_len[k] == w->key_len[i] &&
					    memcmp(h->key[k], w->key[i], w->key_len[i]) == 0)
						hi = h->item[k];
				if (!hi) {
					snprintf(why, why_len, "missing key '%s'", w->key[i]);
					return false;
				}
			}
			if (!jv_eq(w->item[i], hi, why, why_len))
				return false;
		}
		return true;
	}

	const struct jv *wt = jv_get(w, "type"), *ht = jv_get(h, "type");
	const struct jv *wv = jv_get(w, "value"), *hv = jv_get(h, "value");

	if (wt->len != ht->len || memcmp(wt->s, ht->s, wt->len) != 0) {
		snprintf(why, why_len, "type %s expected, got %s", wt->s, ht->s);
		return false;
	}
	if (streq(wt->s, "array")) /* a newer toml-test spelling of arrays */
		return jv_eq(wv, hv, why, why_len);
	if (wv->type != J_STR || hv->type != J_STR) {
		snprintf(why, why_len, "value is not a string");
		return false;
	}
	if (!value_eq(wt->s, wv, hv)) {
		snprintf(why, why_len, "%s: '%s' expected, got '%s'", wt->s, wv->s, hv->s);
		return false;
	}
	return true;
}

/* ---- the runner ---- */

static int read_file(const char *path, struct buf *b)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return buf_read_fd(b, fd);
}

struct list {
	char **v;
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	char **v = reallocarray(l->v, l->n + 1, sizeof(char *));

	if (!v || !(v[l->n] = strdup(s))) {
		printf("Bail out! out of memory\n");
		exit(99);
	}
	l->v = v;
	l->n++;
}

static void walk(const char *root, const char *rel, struct list *l)
{
	_cleanup_free_ char *dirpath = NULL;
	struct dirent *de;
	DIR *d;

	if (asprintf(&dirpath, "%s/%s", root, rel) < 0)
		return;
	d = opendir(dirpath);
	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL, *path = NULL;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0 ||
		    asprintf(&path, "%s/%s", root, sub) < 0 || stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk(root, sub, l);
		else if (endswith(sub, ".toml"))
			list_add(l, sub);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool load_list(const char *dir, struct list *l)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	char path[4096], *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/files-toml-1.0.0", dir);
	if (read_file(path, &b) < 0)
		return false;
	for (line = strtok_r((char *) b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (endswith(line, ".toml"))
			list_add(l, line);
	return true;
}

/* Returns true on pass; fills why otherwise. */
static bool run_one(const char *dir, const char *rel, char *why, size_t why_len)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(16 << 20), want = BUF_INIT(16 << 20),
				       have = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	struct toml_error err;
	char path[4096];
	bool valid = startswith(rel, "valid/"), ok;
	struct jv *wj, *hj;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (read_file(path, &in) < 0) {
		snprintf(why, why_len, "cannot read %s", path);
		return false;
	}
	r = toml_parse((const char *) in.data, in.len, &t, &err);
	if (!valid) {
		if (r == -EBADMSG || r == -E2BIG) {
			if (err.line == 0 || err.column == 0 || !err.message[0]) {
				snprintf(why, why_len, "rejected without a position or message");
				return false;
			}
			snprintf(why, why_len, "%u:%u: %s", err.line, err.column, err.message);
			return true;
		}
		snprintf(why, why_len, r < 0 ? "unexpected error %d" : "accepted", r);
		return false;
	}
	if (r < 0) {
		snprintf(why, why_len, "rejected: %u:%u: %s", err.line, err.column, err.message);
		return false;
	}
	snprintf(path + strlen(path) - 5, 6, ".json");
	if (read_file(path, &want) < 0) {
		snprintf(why, why_len, "cannot read %s", path);
		return false;
	}
	to_json(&have, t);
	wj = jv_parse(buf_str(&want), want.len);
	hj = jv_parse(buf_str(&have), have.len);
	if (!wj || !hj) {
		snprintf(why, why_len, "unreadable JSON (%s)", wj ? "ours" : "expected");
		ok = false;
	} else
		ok = jv_eq(wj, hj, why, why_len);
	if (!ok)
		fprintf(stderr, "%s: got %s\n", rel, buf_str(&have));
	jv_free(wj);
	jv_free(hj);
	return ok;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("TOML_TEST_DIR");
	size_t valid = 0, valid_ok = 0, invalid = 0, invalid_ok = 0, skipped = 0, i;
	struct list l = { 0 };
	struct stat st;

	if (!dir)
		dir = DEFAULT_DIR;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("1..0 # SKIP no toml-test corpus at %s "
		       "(install golang-github-burntsushi-toml-dev)\n",
		       dir);
		return 0;
	}
	if (!load_list(dir, &l)) {
		walk(dir, "", &l);
		qsort(l.v, l.n, sizeof(char *), cmp_str);
	}
	printf("1..%zu\n", l.n);
	for (i = 0; i < l.n; i++) {
		const char *rel = l.v[i];
		char why[512] = "";
		bool skip = false;

		for (size_t k = 0; k < ELEMENTSOF(only_1_1); k++)
			skip |= startswith(rel, only_1_1[k]) && rel[strlen(only_1_1[k])] == '.';
		if (skip) {
			printf("ok %zu %s # SKIP TOML 1.1 only\n", i + 1, rel);
			skipped++;
			free(l.v[i]);
			continue;
		}
		bool ok = run_one(dir, rel, why, sizeof(why));
		if (startswith(rel, "valid/")) {
			valid++;
			valid_ok += ok;
		} else {
			invalid++;
			invalid_ok += ok;
		}
		printf("%s %zu %s # %s\n", ok ? "ok" : "not ok", i + 1, rel, why);
		free(l.v[i]);
	}
	printf("# valid: %zu/%zu parsed and matched, invalid: %zu/%zu rejected, %zu skipped\n",
	       valid_ok, valid, invalid_ok, invalid, skipped);
	free(l.v);
	return valid_ok == valid && invalid_ok == invalid ? 0 : 1;
}
