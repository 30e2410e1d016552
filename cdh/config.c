/* SPDX-License-Identifier: Apache-2.0 */
/* CDH config: TOML file or env/cmdline fallbacks, then the overrides every start applies
 * (upstream.md §5.1). The TOML tree carries no positions, so a type error is placed by
 * finding the key's line under its table header in the text (plain "key = value" lines,
 * which is how these files are written); a key we cannot place is reported by name. */
#include <ctype.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/config.h"
#include "cdh/resource-uri.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "common/toml.h"

struct ctx {
	const char *name;
	const char *text;
	size_t len;
	struct buf *err;
};

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void image_done(struct cdh_image_config *im)
{
	free(im->work_dir);
	free(im->image_security_policy_uri);
	free(im->image_security_policy);
	free(im->sigstore_config_uri);
	free(im->sigstore_config);
	free(im->authenticated_registry_credentials_uri);
	free(im->registry_configuration_uri);
	strv_free(im->unqualified_search_registries);
	for (size_t i = 0; i < im->n_registries; i++) {
		struct cdh_registry *r = &im->registries[i];

		free(r->prefix);
		free(r->location);
		for (size_t k = 0; k < r->n_mirrors; k++)
			free(r->mirrors[k].location);
		free(r->mirrors);
	}
	free(im->registries);
	free(im->https_proxy);
	free(im->http_proxy);
	free(im->no_proxy);
	strv_free(im->extra_root_certificates);
}

struct cdh_config *cdh_config_free(struct cdh_config *c)
{
	if (!c)
		return NULL;
	free(c->socket);
	free(c->aa_socket);
	free(c->kbc_name);
	free(c->kbc_url);
	free(c->kbs_cert);
	for (size_t i = 0; i < c->n_credentials; i++) {
		free(c->credentials[i].resource_uri);
		free(c->credentials[i].path);
	}
	free(c->credentials);
	free(c->log_level);
	image_done(&c->image);
	free(c);
	return NULL;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* ---- positions ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Finds the line of `key = ...` under header `section` ("" is the root table; index is
 * which occurrence of a [[section]] header, or -1 for any). key NULL finds the header
 * itself. Returns false when it cannot tell. */
static bool locate(const struct ctx *c, const char *section, long index, const char *key,
		   unsigned *ret_line, unsigned *ret_col)
{
	const char *p = c->text, *end = c->text + c->len;
	char cur[256] = "";
	long seen = -1;
	unsigned line = 1;

	if (!c->text)
		return false;
	if (!*section)
		seen = 0;
	for (; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t) (end - p)), *s = p;
		size_t n;

		eol = eol ?: end;
		while (s < eol && is_ws(*s))
			s++;
		if (s < eol && *s == '[') {
			const char *h = s, *he;

			while (h < eol && (*h == '[' || is_ws(*h)))
				h++;
			he = h;
			while (he < eol && *he != ']')
				he++;
			while (he > h && is_ws(he[-1]))
				he--;
			n = MIN((size_t) (he - h), sizeof(cur) - 1);
			memcpy(cur, h, n);
			cur[n] = 0;
			if (streq(cur, section)) {
				seen++;
				if (!key && (index < 0 || seen == index)) {
					*ret_line = line;
					*ret_col = (unsigned) (s - p) + 1;
					return true;
				}
			}
		} else if (key && streq(cur, section) && (index < 0 || seen == index)) {
			size_t k = strlen(key);
			const char *q = s;

			if ((size_t) (eol - q) > k && memcmp(q, key, k) == 0) {
				q += k;
				while (q < eol && is_ws(*q))
					q++;
				if (q < eol && *q == '=') {
					*ret_line = line;
					*ret_col = (unsigned) (s - p) + 1;
					return true;
				}
			}
		}
		p = eol + 1;
	}
	return false;
}

/* Appends "<name>[:line:col]: <message>" to the error buffer and returns r. */
static int fail(const struct ctx *c, int r, const char *section, long index, const char *key,
		const char *fmt, ...) _printf_(6, 7);
static int fail(const struct ctx *c, int r, const char *section, long index, const char *key,
		const char *fmt, ...)
{
	unsigned line, col;
	va_list ap;

	if (!c->err)
		return r;
	buf_reset(c->err);
	if (section && locate(c, section, index, key, &line, &col))
		(void) buf_appendf(c->err, "%s:%u:%u: ", c->name, line, col);
	else
		(void) buf_appendf(c->err, "%s: ", c->name);
	va_start(ap, fmt);
	(void) buf_vappendf(c->err, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- typed getters: absent -> 0 and *dst untouched, present -> 1 ---- */

static const char *dotted(const char *section, const char *key, char *tmp, size_t n)
{
	if (!*section)
		return key;
	(void) snprintf(tmp, n, "%s.%s", section, key);
	return tmp;
}

static int wrong_type(const struct ctx *c, const struct toml_value *v, const char *section,
		      long index, const char *key, const char *want)
{
	char tmp[256];

	return fail(c, -EBADMSG, section, index, key, "'%s': expected %s, found %s",
		    dotted(section, key, tmp, sizeof(tmp)), want,
		    toml_type_name(toml_value_type(v)));
}

static int get_string(const struct ctx *c, const struct toml_value *t, const char *section,
		      long index, const char *key, char **dst)
{
	const struct toml_value *v = toml_table_get(t, key);
	const char *s;
	int r;

	if (!v)
		return 0;
	r = toml_value_string(v, &s, NULL);
	if (r == -EBADMSG)
		return fail(c, r, section, index, key, "'%s' holds a NUL character", key);
	if (r < 0)
		return wrong_type(c, v, section, index, key, "a string");
	r = set_str(dst, s);
	return r < 0 ? r : 1;
}

static int get_bool(const struct ctx *c, const struct toml_value *t, const char *section,
		    long index, const char *key, bool *dst)
{
	const struct toml_value *v = toml_table_get(t, key);

	if (!v)
		return 0;
	if (toml_value_bool(v, dst) < 0)
		return wrong_type(c, v, section, index, key, "a boolean");
	return 1;
}

static int get_table(const struct ctx *c, const struct toml_value *t, const char *section,
		     long index, const char *key, const struct toml_value **dst)
{
	const struct toml_value *v = toml_table_get(t, key);

	if (!v)
		return 0;
	if (toml_value_type(v) != TOML_TABLE)
		return wrong_type(c, v, section, index, key, "a table");
	*dst = v;
	return 1;
}

static int get_array(const struct ctx *c, const struct toml_value *t, const char *section,
		     long index, const char *key, const struct toml_value **dst)
{
	const struct toml_value *v = toml_table_get(t, key);

	if (!v)
		return 0;
	if (toml_value_type(v) != TOML_ARRAY)
		return wrong_type(c, v, section, index, key, "an array");
	*dst = v;
	return 1;
}

static int get_strv(const struct ctx *c, const struct toml_value *t, const char *section,
		    const char *key, char ***dst, size_t *n_dst)
{
	const struct toml_value *a = NULL;
	char **v;
	size_t n;
	int r;

	r = get_array(c, t, section, -1, key, &a);
	if (r <= 0)
		return r;
	n = toml_count(a);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *s;

		if (toml_value_string(toml_array_at(a, i), &s, NULL) < 0) {
			strv_free(v);
			return fail(c, -EBADMSG, section, -1, key,
				    "'%s': element %zu is not a string", key, i);
		}
		v[i] = strdup(s);
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	strv_free(*dst);
	*dst = v;
	*n_dst = n;
	return 1;
}

static int strv_default(char ***dst, size_t *n, const char *one)
{
	char **v = calloc(2, sizeof(char *));

	if (!v)
		return -ENOMEM;
	v[0] = strdup(one);
	if (!v[0]) {
		free(v);
		return -ENOMEM;
	}
	strv_free(*dst);
	*dst = v;
	*n = 1;
	return 0;
}

/* ---- [image] ---- */

static int parse_registry(const struct ctx *c, const struct toml_value *t, long index,
			  struct cdh_registry *reg)
{
	static const char sect[] = "image.registry_config.registry";
	static const char msect[] = "image.registry_config.registry.mirror";
	const struct toml_value *mirrors = NULL;
	int r;

	if ((r = get_string(c, t, sect, index, "prefix", &reg->prefix)) < 0 ||
	    (r = get_string(c, t, sect, index, "location", &reg->location)) < 0 ||
	    (r = get_bool(c, t, sect, index, "insecure", &reg->insecure)) < 0 ||
	    (r = get_bool(c, t, sect, index, "blocked", &reg->blocked)) < 0 ||
	    (r = get_array(c, t, sect, index, "mirror", &mirrors)) < 0)
		return r;
	if (!reg->prefix && set_str(&reg->prefix, "") < 0)
		return -ENOMEM;
	if (!reg->location && set_str(&reg->location, "") < 0)
		return -ENOMEM;
	if (!mirrors)
		return 0;
	reg->mirrors = calloc(toml_count(mirrors) + 1, sizeof(*reg->mirrors));
	if (!reg->mirrors)
		return -ENOMEM;
	for (size_t i = 0; i < toml_count(mirrors); i++) {
		const struct toml_value *m = toml_array_at(mirrors, i);
		struct cdh_registry_mirror *mi = &reg->mirrors[reg->n_mirrors];

		if (toml_value_type(m) != TOML_TABLE)
			return fail(c, -EBADMSG, sect, index, "mirror", "'mirror' must be tables");
		reg->n_mirrors++;
		if ((r = get_string(c, m, msect, -1, "location", &mi->location)) < 0 ||
		    (r = get_bool(c, m, msect, -1, "insecure", &mi->insecure)) < 0)
			return r;
		if (!mi->location)
			return fail(c, -EINVAL, msect, -1, NULL,
				    "registry mirror: missing key 'location'");
	}
	return 0;
}

static int parse_image(const struct ctx *c, const struct toml_value *t, struct cdh_image_config *im)
{
	static const struct {
		const char *key;
		size_t off;
	} strings[] = {
		{ "work_dir", offsetof(struct cdh_image_config, work_dir) },
		{ "image_security_policy_uri",
		  offsetof(struct cdh_image_config, image_security_policy_uri) },
		{ "image_security_policy",
		  offsetof(struct cdh_image_config, image_security_policy) },
		{ "sigstore_config_uri", offsetof(struct cdh_image_config, sigstore_config_uri) },
		{ "sigstore_config", offsetof(struct cdh_image_config, sigstore_config) },
		{ "authenticated_registry_credentials_uri",
		  offsetof(struct cdh_image_config, authenticated_registry_credentials_uri) },
		{ "registry_configuration_uri",
		  offsetof(struct cdh_image_config, registry_configuration_uri) },
	};
	const struct toml_value *v, *rc = NULL, *proxy = NULL, *regs = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
		r = get_string(c, t, "image", -1, strings[i].key,
			       (char **) ((uint8_t *) im + strings[i].off));
		if (r < 0)
			return r;
	}

	v = toml_table_get(t, "max_concurrent_layer_downloads_per_image");
	if (v) {
		int64_t n;

		if (toml_value_int(v, &n) < 0)
			return wrong_type(c, v, "image", -1,
					  "max_concurrent_layer_downloads_per_image", "an integer");
		if (n < 0)
			return fail(c, -EBADMSG, "image", -1,
				    "max_concurrent_layer_downloads_per_image",
				    "'max_concurrent_layer_downloads_per_image' must not be "
				    "negative");
		im->max_concurrent_layer_downloads_per_image = (uint64_t) n;
	}

	r = get_strv(c, t, "image", "extra_root_certificates", &im->extra_root_certificates,
		     &im->n_extra_root_certificates);
	if (r < 0)
		return r;

	r = get_table(c, t, "image", -1, "image_pull_proxy", &proxy);
	if (r < 0)
		return r;
	if (proxy) {
		im->has_image_pull_proxy = true;
		if ((r = get_string(c, proxy, "image.image_pull_proxy", -1, "https_proxy",
				    &im->https_proxy)) < 0 ||
		    (r = get_string(c, proxy, "image.image_pull_proxy", -1, "http_proxy",
				    &im->http_proxy)) < 0 ||
		    (r = get_string(c, proxy, "image.image_pull_proxy", -1, "no_proxy",
				    &im->no_proxy)) < 0)
			return r;
	}

	r = get_table(c, t, "image", -1, "registry_config", &rc);
	if (r < 0)
		return r;
	if (!rc)
		return 0;
	im->has_registry_config = true;
	r = get_strv(c, rc, "image.registry_config", "unqualified-search-registries",
		     &im->unqualified_search_registries, &im->n_unqualified_search_registries);
	if (r < 0)
		return r;
	if (r == 0) {
		r = strv_default(&im->unqualified_search_registries,
				 &im->n_unqualified_search_registries, "docker.io");
		if (r < 0)
			return r;
	}
	r = get_array(c, rc, "image.registry_config", -1, "registry", &regs);
	if (r <= 0)
		return r;
	im->registries = calloc(toml_count(regs) + 1, sizeof(*im->registries));
	if (!im->registries)
		return -ENOMEM;
	for (size_t i = 0; i < toml_count(regs); i++) {
		const struct toml_value *e = toml_array_at(regs, i);

		if (toml_value_type(e) != TOML_TABLE)
			return fail(c, -EBADMSG, "image.registry_config", -1, "registry",
				    "'registry' must be tables");
		im->n_registries++;
		r = parse_registry(c, e, (long) i, &im->registries[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- kernel command line ---- */

static bool is_rust_ascii_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

/* Reads the command line into b. */
static int read_cmdline(const struct cdh_config_env *env, struct buf *b)
{
	return fs_read_file(AT_FDCWD,
			    env && env->proc_cmdline ? env->proc_cmdline : CDH_PROC_CMDLINE, b);
}

/* Calls fn for each whitespace-separated word; stops when fn returns non-zero. */
static int cmdline_foreach(const struct buf *b, int (*fn)(const char *w, size_t n, void *ud),
			   void *ud)
{
	const char *p = buf_str(b), *end = p + b->len;

	while (p < end) {
		const char *w;
		int r;

		while (p < end && is_rust_ascii_ws(*p))
			p++;
		w = p;
		while (p < end && !is_rust_ascii_ws(*p))
			p++;
		if (p > w) {
			r = fn(w, (size_t) (p - w), ud);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

struct find_first {
	const char *prefix;
	char *value;
};

static int find_first_fn(const char *w, size_t n, void *ud)
{
	struct find_first *f = ud;
	size_t k = strlen(f->prefix);

	if (n < k || memcmp(w, f->prefix, k) != 0)
		return 0;
	f->value = strndup(w + k, n - k);
	return f->value ? 1 : -ENOMEM;
}

/* The value of the first word starting with prefix ("agent.aa_kbc_params="): 1 and a
 * new string in *ret, 0 when none. */
static int cmdline_first(const struct buf *b, const char *prefix, char **ret)
{
	struct find_first f = { .prefix = prefix };
	int r = cmdline_foreach(b, find_first_fn, &f);

	if (r < 0)
		return r;
	*ret = f.value;
	return r;
}

/* image-rs KernelParameterConfigs: words split at their first '=' into a map, the last
 * occurrence of a key wins. */
struct image_params {
	char *https_proxy, *http_proxy, *no_proxy, *auth, *policy;
	bool verify;
};

static int image_params_fn(const char *w, size_t n, void *ud)
{
	static const char *const keys[] = { "agent.https_proxy", "agent.http_proxy",
					    "agent.no_proxy", "agent.image_registry_auth",
					    "agent.image_policy_file" };
	struct image_params *ip = ud;
	char **dst[] = { &ip->https_proxy, &ip->http_proxy, &ip->no_proxy, &ip->auth, &ip->policy };
	const char *eq = memchr(w, '=', n);
	size_t k;

	if (!eq)
		return 0;
	k = (size_t) (eq - w);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strlen(keys[i]) == k && memcmp(w, keys[i], k) == 0) {
			char *v = strndup(eq + 1, n - k - 1);

			if (!v)
				return -ENOMEM;
			free(*dst[i]);
			*dst[i] = v;
			return 0;
		}
	if (k == strlen("agent.enable_signature_verification") &&
	    memcmp(w, "agent.enable_signature_verification", k) == 0)
		/* Rust's bool::from_str: exactly "true" or "false"; anything else is false. */
		ip->verify = n - k - 1 == 4 && memcmp(eq + 1, "true", 4) == 0;
	return 0;
}

static int image_from_cmdline(const struct cdh_config_env *env, struct cdh_image_config *im)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(CDH_CMDLINE_MAX);
	struct image_params ip = {};
	int r;

	/* image-rs ImageConfig::from_kernel_cmdline(): an unreadable cmdline gives defaults. */
	if (read_cmdline(env, &b) < 0)
		return 0;
	r = cmdline_foreach(&b, image_params_fn, &ip);
	if (r >= 0) {
		free(im->authenticated_registry_credentials_uri);
		im->authenticated_registry_credentials_uri = steal_ptr(ip.auth);
		if (ip.verify) {
			free(im->image_security_policy_uri);
			im->image_security_policy_uri = steal_ptr(ip.policy);
		}
		if (ip.https_proxy || ip.http_proxy || ip.no_proxy) {
			im->has_image_pull_proxy = true;
			im->https_proxy = steal_ptr(ip.https_proxy);
			im->http_proxy = steal_ptr(ip.http_proxy);
			im->no_proxy = steal_ptr(ip.no_proxy);
		}
	}
	free(ip.https_proxy);
	free(ip.http_proxy);
	free(ip.no_proxy);
	free(ip.auth);
	free(ip.policy);
	return r;
}

static int add_credential(struct cdh_config *c, const char *uri, size_t ulen, const char *path,
			  size_t plen)
{
	struct cdh_credential *n = realloc(c->credentials, (c->n_credentials + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->credentials = n;
	n[c->n_credentials] = (struct cdh_credential){ strndup(uri, ulen), strndup(path, plen) };
	if (!n[c->n_credentials].resource_uri || !n[c->n_credentials].path) {
		free(n[c->n_credentials].resource_uri);
		free(n[c->n_credentials].path);
		return -ENOMEM;
	}
	c->n_credentials++;
	return 0;
}

/* cdh.kbs_resources=<uri>::<path>,... (first such word); items without "::" are skipped. */
static int credentials_from_cmdline(const struct cdh_config_env *env, struct cdh_config *c,
				    struct buf *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(CDH_CMDLINE_MAX);
	_cleanup_free_ char *v = NULL;
	const char *path = env && env->proc_cmdline ? env->proc_cmdline : CDH_PROC_CMDLINE;
	int r;

	r = read_cmdline(env, &b);
	if (r < 0) {
		if (err) {
			buf_reset(err);
			(void) buf_appendf(err, "%s: read kernel cmdline failed: %s", path,
					   strerror(-r));
		}
		return r;
	}
	r = cmdline_first(&b, "cdh.kbs_resources=", &v);
	if (r <= 0)
		return r;
	for (char *p = v; *p;) {
		char *comma = strchr(p, ','), *item_end = comma ?: p + strlen(p), *sep;

		sep = memmem(p, (size_t) (item_end - p), "::", 2);
		if (sep) {
			r = add_credential(c, p, (size_t) (sep - p), sep + 2,
					   (size_t) (item_end - sep - 2));
			if (r < 0)
				return r;
		}
		p = comma ? comma + 1 : item_end;
	}
	return 0;
}

/* ---- public ---- */

int cdh_config_check_credential_path(const char *path)
{
	const char *rest = path ? startswith(path, CDH_KBS_RESOURCE_DIR "/") : NULL;

	if (!rest || !*rest)
		return -EPERM;
	for (const char *p = path; p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t) (slash - p) : strlen(p);

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EPERM;
		p = slash ? slash + 1 : NULL;
	}
	return 0;
}

int cdh_config_parse_aa_kbc_params(const char *s, char **ret_kbc, char **ret_url)
{
	const char *sep = strstr(s, "::");
	char *kbc, *url;

	/* Rust's split("::") must give exactly two pieces. */
	if (!sep || strstr(sep + 2, "::"))
		return -EINVAL;
	kbc = strndup(s, (size_t) (sep - s));
	url = strdup(sep + 2);
	if (!kbc || !url) {
		free(kbc);
		free(url);
		return -ENOMEM;
	}
	*ret_kbc = kbc;
	*ret_url = url;
	return 0;
}

static int config_new(struct cdh_config **ret)
{
	struct cdh_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (set_str(&c->socket, CDH_DEFAULT_SOCKET) < 0 ||
	    set_str(&c->aa_socket, CDH_DEFAULT_AA_SOCKET) < 0 ||
	    set_str(&c->log_level, CDH_DEFAULT_LOG_LEVEL) < 0 ||
	    set_str(&c->image.work_dir, CDH_DEFAULT_IMAGE_WORK_DIR) < 0) {
		cdh_config_free(c);
		return -ENOMEM;
	}
	c->image.max_concurrent_layer_downloads_per_image =
	    CDH_DEFAULT_MAX_CONCURRENT_LAYER_DOWNLOADS;
	*ret = c;
	return 0;
}

static int parse_tree(const struct ctx *x, const struct toml_value *root,
		      const struct cdh_config_env *env, struct cdh_config *c)
{
	const struct toml_value *aa = NULL, *kbc = NULL, *log = NULL, *image = NULL, *creds = NULL;
	int r;

	if ((r = get_string(x, root, "", -1, "socket", &c->socket)) < 0 ||
	    (r = get_bool(x, root, "", -1, "skip_sealed_secret_verification",
			  &c->skip_sealed_secret_verification)) < 0 ||
	    (r = get_table(x, root, "", -1, "aa", &aa)) < 0 ||
	    (r = get_table(x, root, "", -1, "kbc", &kbc)) < 0 ||
	    (r = get_table(x, root, "", -1, "log", &log)) < 0 ||
	    (r = get_table(x, root, "", -1, "image", &image)) < 0 ||
	    (r = get_array(x, root, "", -1, "credentials", &creds)) < 0)
		return r;

	if (aa && (r = get_string(x, aa, "aa", -1, "aa_socket", &c->aa_socket)) < 0)
		return r;
	if (log && (r = get_string(x, log, "log", -1, "level", &c->log_level)) < 0)
		return r;

	if (!kbc)
		return fail(x, -EINVAL, NULL, -1, NULL, "missing section [kbc]");
	if ((r = get_string(x, kbc, "kbc", -1, "name", &c->kbc_name)) < 0 ||
	    (r = get_string(x, kbc, "kbc", -1, "url", &c->kbc_url)) < 0 ||
	    (r = get_string(x, kbc, "kbc", -1, "kbs_cert", &c->kbs_cert)) < 0)
		return r;
	if (!c->kbc_name)
		return fail(x, -EINVAL, "kbc", -1, NULL, "[kbc]: missing key 'name'");
	if (!c->kbc_url && set_str(&c->kbc_url, "") < 0)
		return -ENOMEM;

	for (size_t i = 0; creds && i < toml_count(creds); i++) {
		const struct toml_value *e = toml_array_at(creds, i);
		_cleanup_free_ char *uri = NULL, *path = NULL;

		if (toml_value_type(e) != TOML_TABLE)
			return fail(x, -EBADMSG, "", -1, "credentials",
				    "'credentials' must be an array of tables");
		if ((r = get_string(x, e, "credentials", (long) i, "resource_uri", &uri)) < 0 ||
		    (r = get_string(x, e, "credentials", (long) i, "path", &path)) < 0)
			return r;
		if (!uri || !path)
			return fail(x, -EINVAL, "credentials", (long) i, NULL,
				    "[[credentials]] #%zu: missing key '%s'", i + 1,
				    uri ? "path" : "resource_uri");
		r = add_credential(c, uri, strlen(uri), path, strlen(path));
		if (r < 0)
			return r;
	}

	/* serde default for an absent [image]: image-rs from_kernel_cmdline(). */
	if (!image)
		return image_from_cmdline(env, &c->image);
	return parse_image(x, image, &c->image);
}

static int finish(const char *name, const struct cdh_config_env *env, struct cdh_config *c,
		  struct buf *err)
{
	const char *(*get)(const char *) = env && env->getenv ? env->getenv : NULL;
	const char *v = get ? get(CDH_IMAGE_CREDENTIALS_ENV) : getenv(CDH_IMAGE_CREDENTIALS_ENV);
	int r;

	if (v && set_str(&c->image.authenticated_registry_credentials_uri, v) < 0)
		return -ENOMEM;
	r = credentials_from_cmdline(env, c, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_credentials; i++) {
		if (cdh_config_check_credential_path(c->credentials[i].path) < 0) {
			if (err) {
				buf_reset(err);
				(void) buf_appendf(err,
						   "%s: credential path '%s' must be below %s/ "
						   "without '.' or '..' segments",
						   name, c->credentials[i].path,
						   CDH_KBS_RESOURCE_DIR);
			}
			return -EINVAL;
		}
		if (!resource_uri_is_valid(c->credentials[i].resource_uri)) {
			if (err) {
				buf_reset(err);
				(void) buf_appendf(err,
						   "%s: credential resource_uri '%s' is not a KBS "
						   "resource URI",
						   name, c->credentials[i].resource_uri);
			}
			return -EINVAL;
		}
	}
	return 0;
}

int cdh_config_parse(const char *name, const char *text, size_t len,
		     const struct cdh_config_env *env, struct cdh_config **ret, struct buf *err)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = NULL;
	_cleanup_(toml_freep) struct toml_value *root = NULL;
	struct toml_error te = {};
	struct ctx x = { .name = name, .text = text, .len = len, .err = err };
	int r;

	r = toml_parse(text, len, &root, &te);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (err) {
			buf_reset(err);
			(void) buf_appendf(err, "%s:%u:%u: %s", name, te.line, te.column,
					   te.message);
		}
		return -EBADMSG;
	}
	r = config_new(&c);
	if (r < 0)
		return r;
	r = parse_tree(&x, root, env, c);
	if (r < 0)
		return r;
	*ret = steal_ptr(c);
	return 0;
}

static int from_env_and_cmdline(const struct cdh_config_env *env, struct cdh_config *c,
				struct buf *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(CDH_CMDLINE_MAX);
	_cleanup_free_ char *cmd = NULL;
	const char *v = env && env->getenv ? env->getenv("AA_KBC_PARAMS") : getenv("AA_KBC_PARAMS");
	int r;

	if (!v && read_cmdline(env, &b) >= 0) {
		r = cmdline_first(&b, "agent.aa_kbc_params=", &cmd);
		if (r < 0)
			return r;
		v = cmd;
	}
	if (v) {
		r = cdh_config_parse_aa_kbc_params(v, &c->kbc_name, &c->kbc_url);
		if (r == -EINVAL && err) {
			buf_reset(err);
			(void) buf_appendf(err, "illegal aa_kbc_params format: '%s'", v);
		}
		if (r < 0)
			return r;
	} else if (set_str(&c->kbc_name, CDH_DEFAULT_KBC) < 0 || set_str(&c->kbc_url, "") < 0)
		return -ENOMEM;
	return image_from_cmdline(env, &c->image);
}

int cdh_config_load(const char *path, const struct cdh_config_env *env, struct cdh_config **ret,
		    struct buf *err)
{
	_cleanup_(cdh_config_freep) struct cdh_config *c = NULL;
	_cleanup_(buf_done) struct buf text = BUF_INIT(CDH_CONFIG_MAX);
	int r;

	if (path) {
		r = fs_read_file(AT_FDCWD, path, &text);
		if (r < 0) {
			if (err) {
				buf_reset(err);
				(void) buf_appendf(err, "%s: %s", path,
						   r == -E2BIG ? "config file too large"
							       : strerror(-r));
			}
			return r;
		}
		r = cdh_config_parse(path, buf_str(&text), text.len, env, &c, err);
	} else {
		r = config_new(&c);
		if (r >= 0)
			r = from_env_and_cmdline(env, c, err);
	}
	if (r < 0)
		return r;
	r = finish(path ?: "(default config)", env, c, err);
	if (r < 0)
		return r;
	*ret = steal_ptr(c);
	return 0;
}

int cdh_config_ocicrypt_json(const struct cdh_config *c, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *kp, *aa, *sock;

	/* Built with json-c so a socket string with quotes stays valid JSON. */
	if (!root)
		return -ENOMEM;
	kp = json_object_new_object();
	if (!kp || json_object_object_add(root, "key-providers", kp) < 0) {
		json_object_put(kp);
		return -ENOMEM;
	}
	aa = json_object_new_object();
	if (!aa || json_object_object_add(kp, "attestation-agent", aa) < 0) {
		json_object_put(aa);
		return -ENOMEM;
	}
	sock = json_object_new_string(c->socket);
	if (!sock || json_object_object_add(aa, "ttrpc", sock) < 0) {
		json_object_put(sock);
		return -ENOMEM;
	}
	return json_append(root, out);
}

int cdh_config_write_ocicrypt_config(const struct cdh_config *c, const char *dir)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_close_ int dfd = -EBADF;
	int r;

	r = cdh_config_ocicrypt_json(c, &b);
	if (r < 0)
		return r;
	r = fs_mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return fs_write_atomic(dfd, CDH_OCICRYPT_CONFIG_NAME, b.data, b.len, 0644);
}
