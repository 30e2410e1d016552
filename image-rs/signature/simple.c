/* SPDX-License-Identifier: Apache-2.0 */
/* Simple signing (upstream.md §6.5; GC policy/simple/{mod.rs,sigstore.rs,verify.rs}):
 * the registries.d lookaside YAML through a strict subset parser of our own (no YAML
 * library is packaged for the static build), signature discovery under the lookaside
 * base, and the per-signature checks: OpenPGP verification, one-pass key id, payload. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/b64.h"
#include "common/json-util.h"
#include "simple.h"

/* ---- YAML subset ---- */

#define YAML_MAX_DEPTH 8
#define YAML_MAX_NODES 4096

struct ynode {
	char *key;
	char *val; /* scalar; NULL for a mapping or null */
	bool map;  /* a mapping (kids) */
	struct ynode *kids;
	size_t n;
};

static void ynode_done(struct ynode *y)
{
	for (size_t i = 0; i < y->n; i++)
		ynode_done(&y->kids[i]);
	free(y->kids);
	free(y->key);
	free(y->val);
	*y = (struct ynode){};
}

struct yline {
	size_t indent;
	const char *s; /* content after the indentation, comment stripped */
	size_t n;
};

struct yparser {
	struct yline *lines;
	size_t n, i, nodes;
};

/* Splits into lines, refusing tabs in indentation and control characters, and drops
 * blank and comment lines. */
static int y_lines(const char *s, size_t n, struct yparser *p)
{
	size_t off = 0;
	bool first = true;

	while (off < n) {
		const char *l = s + off, *nl = memchr(l, '\n', n - off);
		size_t len = nl ? (size_t) (nl - l) : n - off, ind = 0, end;
		bool sq = false, dq = false;

		off += len + (nl ? 1 : 0);
		if (len > 0 && l[len - 1] == '\r')
			len--;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char) l[i] < 0x20 && l[i] != '\t')
				return -EBADMSG;
		while (ind < len && l[ind] == ' ')
			ind++;
		if (ind < len && l[ind] == '\t')
			return -EBADMSG;
		/* A comment starts at '#' at the line start or after a blank, outside quotes. */
		for (end = ind; end < len; end++) {
			char c = l[end];

			/* A quote opens a scalar only at a token start ("it's" is plain). */
			bool start = end == ind || strchr(" {,", l[end - 1]);

			if (c == '\'' && !dq && (sq || start))
				sq = !sq;
			else if (c == '"' && !sq && (dq ? l[end - 1] != '\\' : start))
				dq = !dq;
			else if (c == '#' && !sq && !dq &&
				 (end == ind || l[end - 1] == ' ' || l[end - 1] == '\t'))
				break;
		}
		while (end > ind && (l[end - 1] == ' ' || l[end - 1] == '\t'))
			end--;
		if (end == ind)
			continue;
		if (end - ind == 3 && memcmp(l + ind, "---", 3) == 0 && ind == 0) {
			if (!first)
				return -EBADMSG; /* one document only */
			first = false;
			continue;
		}
		first = false;
		if (p->n >= YAML_MAX_NODES)
			return -E2BIG;
		{
			struct yline *nl2 = reallocarray(p->lines, p->n + 1, sizeof(*nl2));

			if (!nl2)
				return -ENOMEM;
			p->lines = nl2;
		}
		p->lines[p->n++] = (struct yline){ .indent = ind, .s = l + ind, .n = end - ind };
	}
	return 0;
}

/* Parses a scalar at s[0..n) (already trimmed); flow tells whether ',', '{', '}' end it. */
static int y_scalar(const char *s, size_t n, bool flow, char **ret, size_t *used)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(SIMPLE_CONFIG_MAX_SIZE);
	size_t i = 0;
	int r;

	if (n == 0)
		return -EBADMSG;
	if (s[0] == '\'' || s[0] == '"') {
		char q = s[0];

		for (i = 1;; i++) {
			if (i >= n)
				return -EBADMSG;
			if (s[i] == q) {
				if (q == '\'' && i + 1 < n && s[i + 1] == '\'') {
					r = buf_put_u8(&b, '\'');
					i++;
				} else
					break;
			} else if (q == '"' && s[i] == '\\') {
				static const char from[] = "\\\"/ntr", to[] = "\\\"/\n\t\r";
				const char *e;

				if (++i >= n || !(e = strchr(from, s[i])) || !*e)
					return -EBADMSG;
				r = buf_put_u8(&b, (uint8_t) to[e - from]);
			} else
				r = buf_put_u8(&b, (uint8_t) s[i]);
			if (r < 0)
				return r;
		}
		i++;
	} else {
		/* Plain: no indicator may start it that would make it something else. */
		if (strchr("[]{}&*!|>%@`,?", s[0]) || (s[0] == '-' && (n == 1 || s[1] == ' ')))
			return -EBADMSG;
		for (; i < n; i++) {
			if (flow && strchr(",{}[]", s[i]))
				break;
			if (s[i] == ':' &&
			    (i + 1 == n || s[i + 1] == ' ' || (flow && s[i + 1] == ',')))
				break;
		}
		while (i > 0 && s[i - 1] == ' ')
			i--;
		if (i == 0)
			return -EBADMSG;
		r = buf_append(&b, s, i);
		if (r < 0)
			return r;
	}
	*used = i;
	*ret = (char *) buf_detach(&b, NULL);
	return 0;
}

static size_t y_skip(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

static int y_add(struct yparser *p, struct ynode *m, struct ynode **ret)
{
	struct ynode *k;

	if (++p->nodes > YAML_MAX_NODES)
		return -E2BIG;
	k = reallocarray(m->kids, m->n + 1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	m->kids = k;
	k[m->n] = (struct ynode){};
	*ret = &k[m->n++];
	return 0;
}

static bool y_has_key(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->kids[i].key && streq(m->kids[i].key, key))
			return true;
	return false;
}

/* "{a: b, c: d}" of scalars, the whole rest of the line. */
static int y_flow(struct yparser *p, const char *s, size_t n, struct ynode *m)
{
	size_t i = y_skip(s, n, 1), used;
	int r;

	m->map = true;
	if (i < n && s[i] == '}')
		return i + 1 == n ? 0 : -EBADMSG;
	for (;;) {
		_cleanup_free_ char *key = NULL;
		struct ynode *e;

		r = y_scalar(s + i, n - i, true, &key, &used);
		if (r < 0)
			return r;
		i = y_skip(s, n, i + used);
		if (i >= n || s[i] != ':')
			return -EBADMSG;
		i = y_skip(s, n, i + 1);
		if (y_has_key(m, key))
			return -EBADMSG;
		r = y_add(p, m, &e);
		if (r < 0)
			return r;
		e->key = steal_ptr(key);
		if (i < n && s[i] != ',' && s[i] != '}') {
			r = y_scalar(s + i, n - i, true, &e->val, &used);
			if (r < 0)
				return r;
			i = y_skip(s, n, i + used);
		}
		if (i >= n)
			return -EBADMSG;
		if (s[i] == '}')
			return i + 1 == n ? 0 : -EBADMSG;
		if (s[i] != ',')
			return -EBADMSG;
		i = y_skip(s, n, i + 1);
	}
}

/* A block mapping whose keys sit at exactly indent. */
static int y_block(struct yparser *p, size_t indent, unsigned depth, struct ynode *m)
{
	int r;

	if (depth > YAML_MAX_DEPTH)
		return -E2BIG;
	m->map = true;
	while (p->i < p->n) {
		const struct yline *l = &p->lines[p->i];
		_cleanup_free_ char *key = NULL;
		struct ynode *e;
		size_t used, i;

		if (l->indent < indent)
			return 0;
		if (l->indent > indent)
			return -EBADMSG;
		r = y_scalar(l->s, l->n, false, &key, &used);
		if (r < 0)
			return r;
		i = y_skip(l->s, l->n, used);
		if (i >= l->n || l->s[i] != ':')
			return -EBADMSG;
		i = y_skip(l->s, l->n, i + 1);
		if (y_has_key(m, key))
			return -EBADMSG;
		r = y_add(p, m, &e);
		if (r < 0)
			return r;
		e->key = steal_ptr(key);
		p->i++;
		if (i < l->n) {
			if (l->s[i] == '{')
				r = y_flow(p, l->s + i, l->n - i, e);
			else {
				r = y_scalar(l->s + i, l->n - i, false, &e->val, &used);
				if (r == 0 && i + used != l->n)
					r = -EBADMSG;
			}
			if (r < 0)
				return r;
			/* No multi-line scalars or nested content under a scalar. */
			if (p->i < p->n && p->lines[p->i].indent > indent)
				return -EBADMSG;
		} else if (p->i < p->n && p->lines[p->i].indent > indent) {
			r = y_block(p, p->lines[p->i].indent, depth + 1, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int y_parse(const char *s, size_t n, struct ynode *root)
{
	struct yparser p = {};
	int r;

	r = y_lines(s, n, &p);
	if (r == 0 && p.n > 0) {
		r = y_block(&p, p.lines[0].indent, 0, root);
		if (r == 0 && p.i != p.n)
			r = -EBADMSG;
	}
	root->map = true;
	free(p.lines);
	return r;
}

static const struct ynode *y_get(const struct ynode *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->kids[i].key, key))
			return &m->kids[i];
	return NULL;
}

/* A null value: an empty entry, "~" or "null". */
static bool y_null(const struct ynode *y)
{
	return !y->map && (!y->val || streq(y->val, "~") || streq(y->val, "null"));
}

/* ---- configuration ---- */

struct simple_scope {
	char *scope, *url;
};

struct simple_config {
	char *default_url;
	struct simple_scope *v;
	size_t n;
};

struct simple_config *simple_config_free(struct simple_config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].scope);
		free(c->v[i].url);
	}
	free(c->v);
	free(c->default_url);
	free(c);
	return NULL;
}

/* {sigstore|lookaside: URL} (SigstoreConfigEntry; lookaside is c/image's newer name). */
static int entry_url(const struct ynode *e, char **ret)
{
	const struct ynode *s, *l;

	if (!e->map)
		return -EBADMSG;
	s = y_get(e, "sigstore");
	l = y_get(e, "lookaside");
	if (s && y_null(s))
		s = NULL;
	if (l && y_null(l))
		l = NULL;
	if (!s == !l)
		return -EBADMSG;
	s = s ? s : l;
	if (s->map || isempty(s->val))
		return -EBADMSG;
	*ret = strdup(s->val);
	return *ret ? 0 : -ENOMEM;
}

int simple_config_parse(const void *p, size_t n, struct simple_config **ret)
{
	_cleanup_(simple_config_freep) struct simple_config *c = NULL;
	_cleanup_(ynode_done) struct ynode root = {};
	const struct ynode *d;
	int r;

	if (n > SIMPLE_CONFIG_MAX_SIZE)
		return -E2BIG;
	if (memchr(p, 0, n))
		return -EBADMSG;
	r = y_parse(p, n, &root);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	d = y_get(&root, "default-docker");
	if (d && !y_null(d)) {
		r = entry_url(d, &c->default_url);
		if (r < 0)
			return r;
	}
	d = y_get(&root, "docker");
	if (d && !y_null(d)) {
		if (!d->map)
			return -EBADMSG;
		c->v = calloc(d->n ? d->n : 1, sizeof(*c->v));
		if (!c->v)
			return -ENOMEM;
		for (size_t i = 0; i < d->n; i++) {
			c->v[i].scope = strdup(d->kids[i].key);
			c->n = i + 1;
			if (!c->v[i].scope)
				return -ENOMEM;
			r = entry_url(&d->kids[i], &c->v[i].url);
			if (r < 0)
				return r;
		}
	}
	*ret = steal_ptr(c);
	return 0;
}

static const struct simple_scope *find_scope(const struct simple_config *c, const char *scope)
{
	for (size_t i = 0; i < c->n; i++)
		if (streq(c->v[i].scope, scope))
			return &c->v[i];
	return NULL;
}

int simple_config_merge(struct simple_config *into, const struct simple_config *from)
{
	struct simple_scope *v;
	size_t add = 0, k;

	if (from->default_url && into->default_url && !streq(from->default_url, into->default_url))
		return -EBADMSG;
	for (size_t i = 0; i < from->n; i++) {
		const struct simple_scope *s = find_scope(into, from->v[i].scope);

		if (s && !streq(s->url, from->v[i].url))
			return -EBADMSG;
		add += !s;
	}
	/* Everything allocated before into changes, so a failure leaves it as it was. */
	v = reallocarray(into->v, into->n + add + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	into->v = v;
	k = into->n;
	for (size_t i = 0; i < from->n; i++) {
		if (find_scope(into, from->v[i].scope))
			continue;
		v[k].scope = strdup(from->v[i].scope);
		v[k].url = strdup(from->v[i].url);
		if (!v[k].scope || !v[k].url) {
			for (size_t j = into->n; j <= k; j++) {
				free(v[j].scope);
				free(v[j].url);
			}
			return -ENOMEM;
		}
		k++;
		/* into->n grows only below, so find_scope() above sees the old set; scopes
		 * are unique within from, so no duplicate is added. */
	}
	if (from->default_url && !into->default_url) {
		into->default_url = strdup(from->default_url);
		if (!into->default_url) {
			for (size_t j = into->n; j < k; j++) {
				free(v[j].scope);
				free(v[j].url);
			}
			return -ENOMEM;
		}
	}
	into->n = k;
	return 0;
}

const char *simple_config_base_url(const struct simple_config *c, const struct sig_image *img)
{
	_cleanup_(policy_strv_freep) char **scopes = NULL;

	if (c->n > 0 && policy_scopes(img, &scopes) == 0)
		for (char **i = scopes; *i; i++) {
			const struct simple_scope *s = find_scope(c, *i);

			if (s)
				return s->url;
		}
	return c->default_url;
}

/* ---- verification ---- */

static int one_signature(const struct openpgp_keyring *kr, const struct buf *sig,
			 const struct sig_image *img, const struct policy_identity *id,
			 uint64_t now, struct buf *why)
{
	_cleanup_(buf_done) struct buf payload = BUF_INIT(OPENPGP_MAX_LITERAL);
	int r;

	r = openpgp_verify(kr, sig->data, sig->len, now, NULL, &payload);
	switch (r) {
	case 0:
		break;
	case -EKEYREJECTED:
		return policy_why(why, r,
				  "no key of the keyring verifies it (or its key id differs)");
	case -EKEYEXPIRED:
		return policy_why(why, r, "the signature or its key has expired");
	case -EKEYREVOKED:
		return policy_why(why, r, "its key has been revoked");
	case -EOPNOTSUPP:
		return policy_why(why, r, "it uses an algorithm or feature that is not supported");
	case -E2BIG:
		return policy_why(why, r, "it is too large");
	case -ENOMEM:
		return r;
	default:
		return policy_why(why, r, "it is not a valid OpenPGP signed message");
	}
	return policy_payload_check(payload.data, payload.len, SIMPLE_SIGNATURE_TYPE, img, id,
				    false, why);
}

int simple_extension_parse(const void *p, size_t n, struct buf **ret, size_t *ret_n)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	struct buf *list = NULL;
	json_object *sigs;
	size_t count = 0, len;
	int r;

	r = json_parse(p, n, SIMPLE_EXTENSION_MAX_SIZE, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	if (json_get_array(j, "signatures", &sigs) < 0)
		return -EBADMSG;
	len = json_object_array_length(sigs);
	list = calloc(MIN(len, (size_t) SIMPLE_MAX_SIGNATURES) + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < len && count < SIMPLE_MAX_SIGNATURES; i++) {
		json_object *e = json_object_array_get_idx(sigs, i), *v;
		const char *type, *content;

		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "version", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_get_string(e, "type", &type) < 0 ||
		    json_get_string(e, "content", &content) < 0) {
			r = -EBADMSG;
			goto fail;
		}
		/* c/image skips what it does not know rather than failing the image. */
		if (json_object_get_int64(v) != 2 || !streq(type, "atomic"))
			continue;
		list[count] = BUF_INIT(OPENPGP_MAX_INPUT);
		r = b64_decode(B64_STD, content, strlen(content), &list[count]);
		count++;
		if (r < 0)
			goto fail;
	}
	*ret = list;
	*ret_n = count;
	return 0;
fail:
	simple_signatures_free(list, count);
	return r;
}

void simple_signatures_free(struct buf *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		buf_done(&list[i]);
	free(list);
}

/* Checks one signature, adding its reason to reasons when it is refused. */
static int try_signature(const struct openpgp_keyring *kr, const struct buf *sig, int fetched,
			 const char *label, const struct sig_image *img,
			 const struct policy_identity *id, uint64_t now, struct buf *reasons)
{
	_cleanup_(buf_done) struct buf one = BUF_INIT(BUF_UNLIMITED);
	int r = fetched;

	if (r == 0)
		r = one_signature(kr, sig, img, id, now, &one);
	else
		(void) policy_why(&one, r, "cannot be read");
	if (r < 0 && r != -ENOMEM)
		(void) buf_appendf(reasons, "%s%s: %s", reasons->len ? "; " : "", label,
				   buf_str(&one));
	return r;
}

/* The signatures the registry's API extension lists for img, checked in turn. */
static int check_extension(const struct openpgp_keyring *kr, const struct sig_image *img,
			   const struct policy_identity *id, const struct sig_env *env,
			   uint64_t now, struct buf *why)
{
	_cleanup_(buf_done) struct buf body = BUF_INIT(SIMPLE_EXTENSION_MAX_SIZE);
	_cleanup_(buf_done) struct buf reasons = BUF_INIT(64u << 10);
	struct buf *list = NULL;
	size_t n = 0;
	int r, last = 0;

	r = env->registry_signatures(env->ud, img, &body);
	if (r == -ENOENT)
		return policy_why(why, r,
				  "A signature was required, but the registry has none for %s",
				  img->manifest_digest);
	if (r < 0)
		return policy_why(why, r, "Cannot read signatures from the registry");
	r = simple_extension_parse(body.data, body.len, &list, &n);
	if (r < 0)
		return policy_why(why, r, "The registry's signature list does not parse");
	for (size_t i = 0; i < n; i++) {
		char label[48];

		snprintf(label, sizeof(label), "registry signature %zu", i + 1);
		r = try_signature(kr, &list[i], 0, label, img, id, now, &reasons);
		if (r == 0 || r == -ENOMEM)
			break;
		last = r;
	}
	simple_signatures_free(list, n);
	if (r == 0 || r == -ENOMEM)
		return r;
	if (!last)
		return policy_why(why, -ENOENT,
				  "A signature was required, but the registry has none for %s",
				  img->manifest_digest);
	return policy_why(why, last, "The signatures do not satisfy the policy: %s",
			  buf_str(&reasons));
}

int simple_check(const struct sig_image *img, const void *keyring, size_t n,
		 const struct policy_identity *id, const struct sig_env *env, struct buf *why)
{
	static const struct policy_identity deflt = {
		.type = POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT
	};
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = NULL;
	_cleanup_(buf_done) struct buf reasons = BUF_INIT(64u << 10);
	_cleanup_free_ char *dir = NULL;
	const char *base = NULL, *digest = img->manifest_digest, *colon;
	uint64_t now = env->now ? env->now : (uint64_t) time(NULL);
	size_t blen;
	int r, last = 0;

	r = openpgp_keyring_parse(keyring, n, &kr);
	if (r < 0)
		return policy_why(why, r == -ENOMEM ? r : -EINVAL,
				  "Failed to parse public key ring");
	if (isempty(digest))
		digest = img->digest_ref;
	if (isempty(digest) || !(colon = strchr(digest, ':')))
		return policy_why(why, -EINVAL, "Missing image digest");
	if (!id || id->type == POLICY_ID_NONE)
		id = &deflt;
	if (env->sigstore)
		base = simple_config_base_url(env->sigstore, img);
	/* No lookaside for this image: the registry's own signatures, if we can ask. */
	if (!base && env->registry_signatures)
		return check_extension(kr, img, id, env, now, why);
	if (!env->sigstore)
		return policy_why(why, -EINVAL, "Simple Signing Sigstore Config not set");
	if (!base)
		return policy_why(why, -EINVAL, "The sigstore base url is none");
	if (!env->fetch)
		return policy_why(why, -EOPNOTSUPP, "No fetcher for signatures");
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	/* "<base>/<repository>@<alg>=<hex>" (format_sigstore_name) */
	if (asprintf(&dir, "%.*s/%s@%.*s=%s", (int) blen, base, img->repository,
		     (int) (colon - digest), digest, colon + 1) < 0) {
		dir = NULL;
		return -ENOMEM;
	}

	for (unsigned i = 1; i <= SIMPLE_MAX_SIGNATURES; i++) {
		_cleanup_(buf_done) struct buf sig = BUF_INIT(OPENPGP_MAX_INPUT);
		_cleanup_free_ char *uri = NULL;
		char label[48];

		if (asprintf(&uri, "%s/signature-%u", dir, i) < 0)
			return -ENOMEM;
		r = env->fetch(env->ud, uri, &sig);
		if (r == -ENOENT)
			break;
		snprintf(label, sizeof(label), "signature-%u", i);
		r = try_signature(kr, &sig, r, label, img, id, now, &reasons);
		if (r == 0)
			return 0; /* one accepted signature is enough */
		if (r == -ENOMEM)
			return r;
		last = r;
	}
	if (!last)
		return policy_why(why, -ENOENT,
				  "A signature was required, but no signature exists in '%s'", dir);
	return policy_why(why, last, "The signatures do not satisfy the policy: %s",
			  buf_str(&reasons));
}
