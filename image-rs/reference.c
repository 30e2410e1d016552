/* SPDX-License-Identifier: Apache-2.0 */
/* Image reference parsing and normalisation. Follows OCI-CLIENT src/reference.rs and its
 * REFERENCE_REGEXP (distribution's grammar), written out as a hand parser so no regex
 * engine is linked; split_domain() is Docker's normalize.go rule. */
#include <stdio.h>
#include <string.h>

#include "image-rs/reference.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* domain-component: [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool is_domain_component(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* domain: component ("." component)* (":" [0-9]+)? */
bool reference_is_valid_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t) (colon - s) : n, start = 0;

	if (colon) {
		if (host + 1 == n)
			return false;
		for (size_t i = host + 1; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
	}
	for (size_t i = 0; i <= host; i++)
		if (i == host || s[i] == '.') {
			if (!is_domain_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	return true;
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*; components joined by '/'. */
static bool is_path_component(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0;

		if (!is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		/* a separator, which must be followed by more alphanumerics */
		if (s[i] == '.')
			run = 1;
		else if (s[i] == '_')
			run = i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		else if (s[i] == '-')
			while (i + run < n && s[i + run] == '-')
				run++;
		else
			return false;
		i += run;
		if (i == n)
			return false;
	}
	return n > 0;
}

bool reference_is_valid_path(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '/') {
			if (!is_path_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	return true;
}

/* tag: [\w][\w.-]{0,127}, ASCII \w */
bool reference_is_valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > REFERENCE_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* digest: algorithm ":" hex{32,}, then upstream's per-algorithm length check. */
static int check_digest(const char *s, const char **reason)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = { { "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 } };
	const char *colon = strchr(s, ':');
	size_t alen, hlen;

	*reason = "invalid reference format";
	if (!colon || colon == s)
		return -EINVAL;
	alen = (size_t) (colon - s);
	/* [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* */
	for (size_t i = 0; i < alen; i++) {
		bool first = i == 0 || strchr("-_+.", s[i - 1]);

		if (first ? !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			  : !(is_alnum(s[i]) || (strchr("-_+.", s[i]) && i + 1 < alen)))
			return -EINVAL;
	}
	hlen = strlen(colon + 1);
	if (hlen < 32)
		return -EINVAL;
	for (size_t i = 0; i < hlen; i++) {
		char c = colon[1 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return -EINVAL;
		if (c >= 'A' && c <= 'F') {
			*reason = "invalid checksum digest format";
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(algs); i++)
		if (strlen(algs[i].alg) == alen && memcmp(s, algs[i].alg, alen) == 0) {
			if (hlen != algs[i].hex) {
				*reason = "invalid checksum digest length";
				return -EINVAL;
			}
			*reason = NULL;
			return 0;
		}
	*reason = "unsupported digest algorithm";
	return -EOPNOTSUPP;
}

struct reference *reference_free(struct reference *r)
{
	if (!r)
		return NULL;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	free(r->whole_);
	free(r);
	return NULL;
}

static int build(const char *registry, size_t reglen, const char *prefix, const char *repo,
		 size_t repolen, const char *tag, size_t taglen, const char *digest,
		 struct reference **ret)
{
	_cleanup_(reference_freep) struct reference *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->registry = strndup(registry, reglen);
	if (asprintf(&r->repository, "%s%.*s", prefix, (int) repolen, repo) < 0)
		r->repository = NULL;
	if (!r->registry || !r->repository)
		return -ENOMEM;
	if (tag) {
		r->tag = strndup(tag, taglen);
		if (!r->tag)
			return -ENOMEM;
	}
	if (digest) {
		r->digest = strdup(digest);
		if (!r->digest)
			return -ENOMEM;
	}
	*ret = steal_ptr(r);
	return 0;
}

int reference_parse(const char *s, struct reference **ret, const char **ret_reason)
{
	const char *reason = "invalid reference format", *at, *tag = NULL, *digest = NULL;
	const char *slash, *domain = REFERENCE_DOCKER_HUB, *prefix = "", *repo;
	size_t n, namelen, taglen = 0, domlen = strlen(REFERENCE_DOCKER_HUB), repolen;
	int r;

	if (ret_reason)
		*ret_reason = NULL;
	if (!s || !*s) {
		if (ret_reason)
			*ret_reason = "repository name must have at least one component";
		return -EINVAL;
	}
	n = strnlen(s, REFERENCE_INPUT_MAX + 1);
	if (n > REFERENCE_INPUT_MAX) {
		if (ret_reason)
			*ret_reason = "repository name must not be more than 255 characters";
		return -E2BIG;
	}

	at = strchr(s, '@');
	namelen = at ? (size_t) (at - s) : n;
	if (at) {
		digest = at + 1;
		const char *why;

		/* a malformed digest is a format error before any length check */
		r = check_digest(digest, &why);
		if (r < 0 && streq(why, "invalid reference format"))
			goto invalid;
	}
	/* The tag follows the last ':' that has no '/' after it (a ':' before a '/' is a
	 * port). */
	for (size_t i = namelen; i > 0; i--) {
		if (s[i - 1] == '/')
			break;
		if (s[i - 1] == ':') {
			tag = s + i;
			taglen = namelen - i;
			namelen = i - 1;
			break;
		}
	}
	if (tag && !reference_is_valid_tag(tag, taglen))
		goto invalid;
	if (namelen == 0)
		goto invalid;

	/* name := [domain "/"] path, where the regex tries the domain first. */
	slash = memchr(s, '/', namelen);
	if (!reference_is_valid_path(s, namelen) &&
	    !(slash && reference_is_valid_domain(s, (size_t) (slash - s)) &&
	      reference_is_valid_path(slash + 1, namelen - (size_t) (slash - s) - 1))) {
		/* upstream's own message for "Upper/lower" is this one too */
		goto invalid;
	}

	/* split_domain(): the first component is a registry only if it looks like a host. */
	repo = s;
	repolen = namelen;
	if (slash) {
		size_t l = (size_t) (slash - s);

		if (memchr(s, '.', l) || memchr(s, ':', l) ||
		    (l == strlen("localhost") && memcmp(s, "localhost", l) == 0)) {
			if (!reference_is_valid_domain(s, l))
				goto invalid;
			domain = s;
			domlen = l;
			repo = slash + 1;
			repolen = namelen - l - 1;
		}
	}
	if (domlen == strlen("index.docker.io") && memcmp(domain, "index.docker.io", domlen) == 0) {
		domain = REFERENCE_DOCKER_HUB;
		domlen = strlen(REFERENCE_DOCKER_HUB);
	}
	/* Upstream lets "Upper/lower" through as docker.io/Upper/lower (its FIXME); a
	 * registry refuses such a name, so refuse it here. */
	if (!reference_is_valid_path(repo, repolen)) {
		reason = "repository name must be lowercase";
		goto invalid;
	}
	if (domlen == strlen(REFERENCE_DOCKER_HUB) &&
	    memcmp(domain, REFERENCE_DOCKER_HUB, domlen) == 0 && !memchr(repo, '/', repolen))
		prefix = "library/";
	if (strlen(prefix) + repolen > REFERENCE_NAME_MAX) {
		if (ret_reason)
			*ret_reason = "repository name must not be more than 255 characters";
		return -E2BIG;
	}
	if (digest) {
		r = check_digest(digest, &reason);
		if (r < 0) {
			if (ret_reason)
				*ret_reason = reason;
			return r;
		}
	}
	if (!tag && !digest) {
		tag = "latest";
		taglen = strlen(tag);
	}
	return build(domain, domlen, prefix, repo, repolen, tag, taglen, digest, ret);

invalid:
	if (ret_reason)
		*ret_reason = reason;
	return -EINVAL;
}

int reference_new(const char *registry, const char *repository, const char *tag, const char *digest,
		  struct reference **ret)
{
	const char *reason;
	int r;

	if (!registry || !repository || (!tag && !digest))
		return -EINVAL;
	if (!reference_is_valid_domain(registry, strlen(registry)) ||
	    !reference_is_valid_path(repository, strlen(repository)))
		return -EINVAL;
	if (strlen(repository) > REFERENCE_NAME_MAX)
		return -E2BIG;
	if (tag && !reference_is_valid_tag(tag, strlen(tag)))
		return -EINVAL;
	if (digest) {
		r = check_digest(digest, &reason);
		if (r < 0)
			return r;
	}
	return build(registry, strlen(registry), "", repository, strlen(repository), tag,
		     tag ? strlen(tag) : 0, digest, ret);
}

struct reference *reference_dup(const struct reference *r)
{
	struct reference *c = NULL;

	if (build(r->registry, strlen(r->registry), "", r->repository, strlen(r->repository),
		  r->tag, r->tag ? strlen(r->tag) : 0, r->digest, &c) < 0)
		return NULL;
	return c;
}

const char *reference_whole(struct reference *r)
{
	if (!r->whole_ &&
	    asprintf(&r->whole_, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "",
		     r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		r->whole_ = NULL;
	return r->whole_;
}

const char *reference_resolve_registry(const struct reference *r)
{
	return streq(r->registry, REFERENCE_DOCKER_HUB) ? "index.docker.io" : r->registry;
}

const char *reference_manifest_ref(const struct reference *r)
{
	return r->digest ? r->digest : r->tag;
}
