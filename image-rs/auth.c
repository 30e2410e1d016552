/* SPDX-License-Identifier: Apache-2.0 */
/* containers-auth.json lookup (GC image-rs/src/auth/{mod,auth_config}.rs), Basic
 * credentials and WWW-Authenticate challenge parsing (RFC 7235 §2.1 / §4.1, Docker
 * registry token spec). Nothing here logs a credential. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"
#include "common/json-util.h"
#include "image-rs/auth.h"

struct auth_entry {
	char *key;
	char *auth; /* base64 text; wiped on free */
};

struct auth_file {
	struct auth_entry *v;
	size_t n;
};

int auth_cred_new(const char *user, const char *password, struct auth_cred **ret)
{
	_cleanup_(auth_cred_freep) struct auth_cred *c = calloc(1, sizeof(*c));
	size_t n = strlen(password);

	if (!c)
		return -ENOMEM;
	c->username = strdup(user);
	c->password = secret_alloc(n + 1);
	if (!c->username || !c->password)
		return -ENOMEM;
	memcpy(c->password->p, password, n);
	secret_truncate(c->password, n);
	*ret = steal_ptr(c);
	return 0;
}

struct auth_cred *auth_cred_free(struct auth_cred *c)
{
	if (!c)
		return NULL;
	free(c->username);
	secret_free(c->password);
	free(c);
	return NULL;
}

struct auth_cred *auth_cred_dup(const struct auth_cred *c)
{
	struct auth_cred *d = NULL;

	if (!c || auth_cred_new(c->username, (const char *) c->password->p, &d) < 0)
		return NULL;
	return d;
}

struct auth_file *auth_file_free(struct auth_file *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].key);
		if (f->v[i].auth)
			secret_wipe(f->v[i].auth, strlen(f->v[i].auth));
		free(f->v[i].auth);
	}
	free(f->v);
	free(f);
	return NULL;
}

int auth_file_parse(const char *data, size_t len, struct auth_file **ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(auth_file_freep) struct auth_file *f = NULL;
	json_object *auths = NULL;
	int r;

	if (len > AUTH_FILE_MAX)
		return -E2BIG;
	r = json_parse(data, len, AUTH_FILE_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	r = json_get_object(j, "auths", &auths);
	if (r < 0)
		return -EBADMSG;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->v = calloc((size_t) json_object_object_length(auths) + 1, sizeof(*f->v));
	if (!f->v)
		return -ENOMEM;
	json_object_object_foreach (auths, key, val) {
		const char *a;

		if (json_get_string(val, "auth", &a) < 0)
			return -EBADMSG;
		f->v[f->n].key = strdup(key);
		f->v[f->n].auth = strdup(a);
		f->n++;
		if (!f->v[f->n - 1].key || !f->v[f->n - 1].auth)
			return -ENOMEM;
	}
	*ret = steal_ptr(f);
	return 0;
}

static const char *find_key(const struct auth_file *f, const char *key, size_t n)
{
	for (size_t i = 0; i < f->n; i++)
		if (strlen(f->v[i].key) == n && memcmp(f->v[i].key, key, n) == 0)
			return f->v[i].auth;
	return NULL;
}

static const char *normalize_registry(const char *s, size_t n, size_t *ret_n)
{
	if ((n == 9 && memcmp(s, "docker.io", 9) == 0) ||
	    (n == 20 && memcmp(s, "registry-1.docker.io", 20) == 0)) {
		*ret_n = strlen("index.docker.io");
		return "index.docker.io";
	}
	*ret_n = n;
	return s;
}

/* upstream's normalize_key_to_registry(): only a key with a scheme loses its path */
static const char *key_registry(const char *key, size_t *ret_n)
{
	const char *s = startswith(key, "http://");

	if (!s)
		s = startswith(key, "https://");
	if (!s)
		return normalize_registry(key, strlen(key), ret_n);
	return normalize_registry(s, strcspn(s, "/"), ret_n);
}

static int decode(const char *auth, struct auth_cred **ret)
{
	_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(AUTH_FILE_MAX);
	_cleanup_(auth_cred_freep) struct auth_cred *c = NULL;
	const char *colon, *pw;
	size_t pwlen;
	int r;

	r = b64_decode(B64_STD, auth, strlen(auth), &b);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	if (memchr(b.data, 0, b.len))
		return -EBADMSG;
	colon = memchr(b.data, ':', b.len);
	if (!colon)
		return -EBADMSG;
	pw = colon + 1;
	pwlen = b.len - (size_t) (pw - (const char *) b.data);
	while (pwlen > 0 && pw[0] == '\n')
		pw++, pwlen--;
	while (pwlen > 0 && pw[pwlen - 1] == '\n')
		pwlen--;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->username = strndup((const char *) b.data, (size_t) (colon - (const char *) b.data));
	c->password = secret_alloc(pwlen + 1);
	if (!c->username || !c->password)
		return -ENOMEM;
	memcpy(c->password->p, pw, pwlen);
	secret_truncate(c->password, pwlen);
	*ret = steal_ptr(c);
	return 0;
}

int auth_file_lookup(const struct auth_file *f, const struct reference *ref, struct auth_cred **ret)
{
	_cleanup_free_ char *full = NULL;
	const char *want, *a;
	size_t n, wn;

	if (asprintf(&full, "%s/%s", ref->registry, ref->repository) < 0)
		return -ENOMEM;
	/* the full name, then every parent path down to the registry */
	n = strlen(full);
	for (;;) {
		a = find_key(f, full, n);
		if (a)
			return decode(a, ret);
		while (n > 0 && full[n - 1] != '/')
			n--;
		if (n == 0)
			break;
		n--;
	}
	want = normalize_registry(reference_resolve_registry(ref),
				  strlen(reference_resolve_registry(ref)), &wn);
	for (size_t i = 0; i < f->n; i++) {
		const char *k = key_registry(f->v[i].key, &n);

		if (n == wn && memcmp(k, want, n) == 0)
			return decode(f->v[i].auth, ret);
	}
	return -ENOENT;
}

int auth_basic_value(const struct auth_cred *c, struct buf *out)
{
	_cleanup_(buf_done_wipe) struct buf plain = BUF_INIT(AUTH_FILE_MAX);
	int r;

	r = buf_append_str(&plain, c->username);
	if (r >= 0)
		r = buf_append_str(&plain, ":");
	if (r >= 0)
		r = buf_append(&plain, c->password->p, c->password->n);
	if (r >= 0)
		r = buf_append_str(out, "Basic ");
	if (r >= 0)
		r = b64_encode(B64_STD, plain.data, plain.len, out);
	return r;
}

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (is_tchar(p[n]))
		n++;
	return n;
}

void auth_challenge_done(struct auth_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct auth_challenge){};
}

/* Reads a token or quoted-string value at *p into a new string. */
static int read_value(const char **p, char **ret)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(AUTH_HEADER_MAX);
	const char *s = *p;
	int r;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return -EBADMSG;
			if (*s == '\\' && s[1])
				s++;
			r = buf_append(&b, s, 1);
			if (r < 0)
				return r;
		}
		s++;
	} else {
		/* token68-ish characters are allowed in a bare value ("/" in realms seen in
		 * the wild, "=" padding) */
		size_t n = 0;

		while (s[n] && s[n] != ',' && s[n] != ' ' && s[n] != '\t')
			n++;
		if (n == 0)
			return -EBADMSG;
		r = buf_append(&b, s, n);
		if (r < 0)
			return r;
		s += n;
	}
	*ret = (char *) buf_detach(&b, NULL);
	*p = s;
	return 0;
}

int auth_challenge_parse(const char *value, struct auth_challenge *ret)
{
	struct auth_challenge best = {}, cur = {};
	bool have_best = false, have_cur = false;
	const char *p = value;
	int r = 0;

	if (!value || strnlen(value, AUTH_HEADER_MAX + 1) > AUTH_HEADER_MAX)
		return -EBADMSG;

	for (;;) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = token_len(p);
		if (n == 0) {
			r = -EBADMSG;
			break;
		}
		const char *tok = p;
		const char *q = p + n;

		skip_ows(&q);
		if (*q == '=' && have_cur) {
			/* auth-param of the current challenge */
			char *v = NULL, **slot = NULL;

			q++;
			skip_ows(&q);
			r = read_value(&q, &v);
			if (r < 0)
				break;
			if (n == 5 && strncasecmp(tok, "realm", 5) == 0)
				slot = &cur.realm;
			else if (n == 7 && strncasecmp(tok, "service", 7) == 0)
				slot = &cur.service;
			else if (n == 5 && strncasecmp(tok, "scope", 5) == 0)
				slot = &cur.scope;
			if (slot && !*slot)
				*slot = v;
			else
				free(v);
			p = q;
			skip_ows(&p);
			if (*p && *p != ',') {
				r = -EBADMSG;
				break;
			}
			continue;
		}
		if (*q == '=') {
			r = -EBADMSG; /* a parameter before any scheme */
			break;
		}
		/* a new challenge: keep the better of the finished one and the best so far */
		if (have_cur) {
			if (!have_best || cur.scheme > best.scheme) {
				auth_challenge_done(&best);
				best = cur;
				have_best = true;
			} else
				auth_challenge_done(&cur);
			cur = (struct auth_challenge){};
		}
		have_cur = true;
		if (n == 5 && strncasecmp(tok, "Basic", 5) == 0)
			cur.scheme = AUTH_SCHEME_BASIC;
		else if (n == 6 && strncasecmp(tok, "Bearer", 6) == 0)
			cur.scheme = AUTH_SCHEME_BEARER;
		else
			cur.scheme = AUTH_SCHEME_OTHER;
		p = q;
		/* token68 after a scheme (e.g. "Negotiate abc==") is skipped */
		if (*p && *p != ',') {
			size_t t = token_len(p);
			const char *after = p + t;

			skip_ows(&after);
			if (*after != '=') {
				while (*p && *p != ',' && *p != ' ')
					p++;
			}
		}
	}
	if (r < 0) {
		auth_challenge_done(&cur);
		auth_challenge_done(&best);
		return r;
	}
	if (have_cur) {
		if (!have_best || cur.scheme > best.scheme) {
			auth_challenge_done(&best);
			best = cur;
			have_best = true;
		} else
			auth_challenge_done(&cur);
	}
	if (!have_best)
		return -EBADMSG;
	*ret = best;
	return 0;
}
