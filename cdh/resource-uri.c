/* SPDX-License-Identifier: Apache-2.0 */
/* KBS resource URI parser and its renderings (upstream.md §4.6; guest-components
 * attestation-agent/deps/resource_uri/src/lib.rs, docs/RESOURCE_URI.md). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/resource-uri.h"

struct resource_uri *resource_uri_free(struct resource_uri *u)
{
	if (!u)
		return NULL;
	free(u->plugin);
	free(u->address);
	if (u->segments)
		for (size_t i = 0; i < u->n_segments; i++)
			free(u->segments[i]);
	free(u->segments);
	free(u->query);
	free(u);
	return NULL;
}

static bool is_unreserved(char c)
{
	return isascii((unsigned char) c) &&
	       (isalnum((unsigned char) c) || c == '-' || c == '.' || c == '_' || c == '~');
}

static bool is_sub_delim(char c)
{
	return c && strchr("!$&'()*+,;=", c);
}

/* RFC 3986 pchar run s[0..n): unreserved, sub-delims, ':', '@', and %XX escapes; extra
 * names the further characters allowed (the query adds '/' and '?'). */
static bool is_pchars(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return false;
			if (!isxdigit((unsigned char) s[i + 1]) ||
			    !isxdigit((unsigned char) s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@')
			continue;
		if (extra && c && strchr(extra, c))
			continue;
		return false;
	}
	return true;
}

/* host[:port] as the url crate would take it for a non-special scheme: reg-name
 * characters or a bracketed IPv6 literal, an optional numeric port. No userinfo. */
static bool is_authority(const char *s, size_t n)
{
	size_t i = 0, hostlen;
	const char *colon;

	if (n == 0)
		return true;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char) *p) && *p != ':' && *p != '.')
				return false;
		i = (size_t) (close - s) + 1;
		if (i == n)
			return true;
		if (s[i] != ':')
			return false;
		colon = s + i;
	} else {
		colon = memchr(s, ':', n);
		hostlen = colon ? (size_t) (colon - s) : n;
		if (hostlen == 0)
			return false;
		for (size_t k = 0; k < hostlen; k++)
			if (!is_unreserved(s[k]) && !is_sub_delim(s[k]))
				return false;
		if (!colon)
			return true;
	}
	/* A port: 1-5 digits, at most 65535. */
	{
		size_t plen = n - (size_t) (colon + 1 - s);
		unsigned long port = 0;

		if (plen == 0 || plen > 5)
			return false;
		for (size_t k = 0; k < plen; k++) {
			if (!isdigit((unsigned char) colon[1 + k]))
				return false;
			port = port * 10 + (unsigned long) (colon[1 + k] - '0');
		}
		return port <= 65535;
	}
}

int resource_uri_parse(const char *s, struct resource_uri **ret)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;
	const char *rest, *colon, *path, *q, *end;
	size_t len, schemelen;

	if (!s || !ret)
		return -EINVAL;
	len = strnlen(s, RESOURCE_URI_MAX + 1);
	if (len > RESOURCE_URI_MAX)
		return -E2BIG;
	if (strchr(s, '#'))
		return -EINVAL;

	colon = strstr(s, "://");
	if (!colon)
		return -EINVAL;
	schemelen = (size_t) (colon - s);

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;

	if (schemelen == 3 && strncasecmp(s, "kbs", 3) == 0) {
		u->plugin = strdup(RESOURCE_URI_DEFAULT_PLUGIN);
	} else if (schemelen > 4 && strncasecmp(s, "kbs+", 4) == 0) {
		for (size_t i = 4; i < schemelen; i++)
			if (!isascii((unsigned char) s[i]) ||
			    !(isalnum((unsigned char) s[i]) || s[i] == '-' || s[i] == '_'))
				return -EINVAL;
		u->plugin = strndup(s + 4, schemelen - 4);
		if (u->plugin)
			for (char *p = u->plugin; *p; p++)
				*p = (char) tolower((unsigned char) *p);
	} else
		return -EINVAL;
	if (!u->plugin)
		return -ENOMEM;

	rest = colon + 3;
	end = s + len;
	path = strchr(rest, '/');
	q = strchr(rest, '?');
	if (!path || (q && q < path))
		return -EINVAL; /* no path at all */
	if (!is_authority(rest, (size_t) (path - rest)))
		return -EINVAL;
	u->address = strndup(rest, (size_t) (path - rest));
	if (!u->address)
		return -ENOMEM;

	if (q) {
		if (q + 1 == end || !is_pchars(q + 1, (size_t) (end - q - 1), "/?"))
			return -EINVAL;
		u->query = strdup(q + 1);
		if (!u->query)
			return -ENOMEM;
		end = q;
	}

	/* path = 1*( "/" segment ), every segment non-empty and not a dot segment. */
	u->segments = calloc(RESOURCE_URI_MAX_SEGMENTS + 1, sizeof(char *));
	if (!u->segments)
		return -ENOMEM;
	for (const char *p = path; p < end;) {
		const char *seg = p + 1, *next = memchr(seg, '/', (size_t) (end - seg));
		size_t n = (next ? next : end) - seg;

		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EINVAL;
		if (!is_pchars(seg, n, NULL))
			return -EINVAL;
		if (u->n_segments == RESOURCE_URI_MAX_SEGMENTS)
			return -E2BIG;
		u->segments[u->n_segments] = strndup(seg, n);
		if (!u->segments[u->n_segments])
			return -ENOMEM;
		u->n_segments++;
		p = next ? next : end;
	}
	if (u->n_segments == 0)
		return -EINVAL;

	*ret = steal_ptr(u);
	return 0;
}

bool resource_uri_is_valid(const char *s)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;

	return resource_uri_parse(s, &u) == 0;
}

int resource_uri_path(const struct resource_uri *u, struct buf *out)
{
	int r;

	for (size_t i = 0; i < u->n_segments; i++) {
		r = buf_appendf(out, "%s%s", i ? "/" : "", u->segments[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int resource_uri_kbs_path(const struct resource_uri *u, struct buf *out)
{
	int r;

	r = buf_appendf(out, "/kbs/v0/%s/", u->plugin);
	if (r < 0)
		return r;
	r = resource_uri_path(u, out);
	if (r < 0)
		return r;
	if (u->query)
		return buf_appendf(out, "?%s", u->query);
	return 0;
}

int resource_uri_to_string(const struct resource_uri *u, struct buf *out)
{
	int r;

	if (streq(u->plugin, RESOURCE_URI_DEFAULT_PLUGIN))
		r = buf_appendf(out, "kbs://%s/", u->address);
	else
		r = buf_appendf(out, "kbs+%s://%s/", u->plugin, u->address);
	if (r < 0)
		return r;
	r = resource_uri_path(u, out);
	if (r < 0)
		return r;
	if (u->query)
		return buf_appendf(out, "?%s", u->query);
	return 0;
}

int resource_uri_check_resource_path(const struct resource_uri *u)
{
	if (!streq(u->plugin, RESOURCE_URI_DEFAULT_PLUGIN) || u->n_segments != 3)
		return -EINVAL;
	return 0;
}
