/* SPDX-License-Identifier: Apache-2.0 */
/* registries.conf subset and the expansion of a reference into pull tasks, as GC
 * image-rs/src/registry/mod.rs (RegistryHandler::process) and containers-registries.conf(5)
 * describe it; upstream.md §6.7. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "image-rs/registries.h"

struct mirror {
	char *location;
	bool insecure;
};

struct rule {
	char *prefix;
	char *location; /* "" when unset */
	bool insecure, blocked;
	struct mirror *mirrors;
	size_t n_mirrors;
};

struct registries {
	char **search; /* unqualified-search-registries */
	size_t n_search;
	struct rule *rules;
	size_t n_rules;
};

static int fail(struct toml_error *err, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct toml_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		*err = (struct toml_error){ 0 };
		va_start(ap, fmt);
		(void) vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return r;
}

struct registries *registries_free(struct registries *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_search; i++)
		free(c->search[i]);
	free(c->search);
	for (size_t i = 0; i < c->n_rules; i++) {
		free(c->rules[i].prefix);
		free(c->rules[i].location);
		for (size_t j = 0; j < c->rules[i].n_mirrors; j++)
			free(c->rules[i].mirrors[j].location);
		free(c->rules[i].mirrors);
	}
	free(c->rules);
	free(c);
	return NULL;
}

/* serde's #[serde(default)] String: absent is "", present must be a string. */
static int get_str(const struct toml_value *t, const char *key, char **ret, struct toml_error *err)
{
	const char *s = "";
	int r;

	r = toml_get_string(t, key, &s);
	if (r < 0 && r != -ENOENT)
		return fail(err, -EBADMSG, "registry config: '%s' must be a string", key);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int get_bool(const struct toml_value *t, const char *key, bool *ret, struct toml_error *err)
{
	int r;

	*ret = false;
	r = toml_get_bool(t, key, ret);
	if (r < 0 && r != -ENOENT)
		return fail(err, -EBADMSG, "registry config: '%s' must be a boolean", key);
	return 0;
}

static int parse_rule(const struct toml_value *t, struct rule *rule, struct toml_error *err)
{
	const struct toml_value *mirrors = NULL;
	int r;

	if (toml_value_type(t) != TOML_TABLE)
		return fail(err, -EBADMSG, "registry config: [[registry]] entries must be tables");
	r = get_str(t, "prefix", &rule->prefix, err);
	if (r < 0)
		return r;
	r = get_str(t, "location", &rule->location, err);
	if (r < 0)
		return r;
	r = get_bool(t, "insecure", &rule->insecure, err);
	if (r < 0)
		return r;
	r = get_bool(t, "blocked", &rule->blocked, err);
	if (r < 0)
		return r;

	/* validate_and_tidy() */
	if (!*rule->prefix) {
		if (!*rule->location)
			return fail(err, -EBADMSG,
				    "illegal Registry Config: both location and prefix are empty");
		free(rule->prefix);
		rule->prefix = strdup(rule->location);
		if (!rule->prefix)
			return -ENOMEM;
	}
	if (startswith(rule->prefix, "*.") && !*rule->location)
		return fail(
		    err, -EBADMSG,
		    "illegal Registry Config: location is unset and prefix is with wildcard");

	r = toml_get_array(t, "mirror", &mirrors);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail(err, -EBADMSG, "registry config: 'mirror' must be an array of tables");
	if (toml_count(mirrors) > REGISTRIES_MAX_MIRRORS)
		return fail(err, -E2BIG, "registry config: more than %u mirrors",
			    REGISTRIES_MAX_MIRRORS);
	rule->mirrors = calloc(toml_count(mirrors) ?: 1, sizeof(*rule->mirrors));
	if (!rule->mirrors)
		return -ENOMEM;
	for (size_t i = 0; i < toml_count(mirrors); i++) {
		const struct toml_value *m = toml_array_at(mirrors, i);
		struct mirror *mi = &rule->mirrors[rule->n_mirrors];

		if (toml_value_type(m) != TOML_TABLE)
			return fail(err, -EBADMSG, "registry config: mirrors must be tables");
		rule->n_mirrors++;
		r = get_str(m, "location", &mi->location, err);
		if (r < 0)
			return r;
		r = get_bool(m, "insecure", &mi->insecure, err);
		if (r < 0)
			return r;
		if (!*mi->location)
			return fail(err, -EBADMSG,
				    "illegal Registry Config: mirror location is empty");
	}
	return 0;
}

int registries_from_toml(const struct toml_value *table, struct registries **ret,
			 struct toml_error *err)
{
	_cleanup_(registries_freep) struct registries *c = NULL;
	const struct toml_value *search = NULL, *rules = NULL;
	int r;

	if (!table || toml_value_type(table) != TOML_TABLE)
		return fail(err, -EBADMSG, "registry config must be a table");
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;

	r = toml_get_array(table, "unqualified-search-registries", &search);
	if (r < 0 && r != -ENOENT)
		return fail(err, -EBADMSG, "unqualified-search-registries must be an array");
	c->search = calloc(search ? toml_count(search) + 1 : 2, sizeof(char *));
	if (!c->search)
		return -ENOMEM;
	if (!search) {
		/* upstream's default: unqualified names go to Docker Hub */
		c->search[0] = strdup(REFERENCE_DOCKER_HUB);
		if (!c->search[0])
			return -ENOMEM;
		c->n_search = 1;
	} else
		for (size_t i = 0; i < toml_count(search); i++) {
			const char *s;

			if (toml_value_string(toml_array_at(search, i), &s, NULL) < 0)
				return fail(err, -EBADMSG,
					    "unqualified-search-registries must hold strings");
			c->search[c->n_search] = strdup(s);
			if (!c->search[c->n_search])
				return -ENOMEM;
			c->n_search++;
		}

	r = toml_get_array(table, "registry", &rules);
	if (r < 0 && r != -ENOENT)
		return fail(err, -EBADMSG, "registry must be an array of tables");
	if (rules) {
		if (toml_count(rules) > REGISTRIES_MAX_RULES)
			return fail(err, -E2BIG, "more than %u [[registry]] entries",
				    REGISTRIES_MAX_RULES);
		c->rules = calloc(toml_count(rules) ?: 1, sizeof(*c->rules));
		if (!c->rules)
			return -ENOMEM;
		for (size_t i = 0; i < toml_count(rules); i++) {
			c->n_rules++;
			r = parse_rule(toml_array_at(rules, i), &c->rules[i], err);
			if (r < 0)
				return r;
		}
	}
	*ret = steal_ptr(c);
	return 0;
}

int registries_parse(const char *data, size_t len, struct registries **ret, struct toml_error *err)
{
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	int r;

	if (len > REGISTRIES_CONF_MAX)
		return fail(err, -E2BIG, "registry config larger than %u bytes",
			    REGISTRIES_CONF_MAX);
	r = toml_parse(data, len, &t, err);
	if (r < 0)
		return r;
	return registries_from_toml(t, ret, err);
}

void pull_tasks_free(struct pull_task *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		reference_free(t[i].ref);
	free(t);
}

struct task_list {
	struct pull_task *v;
	size_t n, cap;
};

static void task_list_done(struct task_list *l)
{
	pull_tasks_free(l->v, l->n);
}

/* Takes ownership of ref, also on failure. */
static int task_add(struct task_list *l, struct reference *ref, bool use_http,
		    enum pull_task_type type)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4;
		struct pull_task *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v) {
			reference_free(ref);
			return -ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct pull_task){ .ref = ref, .use_http = use_http, .type = type };
	return 0;
}

static bool is_boundary(char c)
{
	return c == '\0' || c == ':' || c == '/' || c == '@';
}

/* Length of whole matched by prefix, or 0. */
static size_t match_prefix(const char *whole, const char *prefix)
{
	size_t n;

	if (startswith(prefix, "*.")) {
		/* hosts ending in ".domain" (the port is not part of the host) */
		const char *suffix = prefix + 1;
		size_t host = strcspn(whole, "/:@"), sl = strlen(suffix);

		if (host <= sl || memcmp(whole + host - sl, suffix, sl) != 0)
			return 0;
		return host;
	}
	n = strlen(prefix);
	if (n == 0 || strncmp(whole, prefix, n) != 0 || !is_boundary(whole[n]))
		return 0;
	return n;
}

static int remap(const char *location, const char *rest, struct reference **ret)
{
	_cleanup_free_ char *s = NULL;
	const char *reason;
	int r;

	if (asprintf(&s, "%s%s", location, rest) < 0)
		return -ENOMEM;
	r = reference_parse(s, ret, &reason);
	if (r < 0)
		log_debug("Registry config maps to '%s', which is not a reference: %s", s, reason);
	return r == -ENOMEM ? r : r < 0 ? -EINVAL : 0;
}

static int apply_rules(const struct registries *c, struct pull_task *task, struct task_list *out)
{
	const struct rule *best = NULL;
	size_t best_len = 0;
	const char *whole = reference_whole(task->ref);
	int r;

	if (!whole)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_rules; i++) {
		size_t l = match_prefix(whole, c->rules[i].prefix);

		/* ties go to the later rule, as Rust's max_by_key() */
		if (l > 0 && l >= best_len) {
			best = &c->rules[i];
			best_len = l;
		}
	}
	if (!best)
		return task_add(out, steal_ptr(task->ref), false, task->type);
	if (best->blocked) {
		log_debug("Image '%s' is blocked by registry rule '%s'.", whole, best->prefix);
		return 0;
	}
	for (size_t i = 0; i < best->n_mirrors; i++) {
		struct reference *m = NULL;

		r = remap(best->mirrors[i].location, whole + best_len, &m);
		if (r < 0)
			return r;
		r = task_add(out, m, best->mirrors[i].insecure, PULL_TASK_MIRROR);
		if (r < 0)
			return r;
	}
	if (*best->location) {
		struct reference *m = NULL;

		r = remap(best->location, whole + best_len, &m);
		if (r < 0)
			return r;
		return task_add(out, m, best->insecure,
				streq(best->location, REFERENCE_DOCKER_HUB) ? task->type
									    : PULL_TASK_REMAPPED);
	}
	/* No location: the prefix is its own location (containers-registries.conf(5)), so
	 * its insecure applies; upstream drops the flag here, which makes
	 * "prefix = host, insecure = true" silently useless. */
	return task_add(out, steal_ptr(task->ref), best->insecure, task->type);
}

static int unqualified_tasks(const struct registries *c, const struct reference *ref,
			     struct task_list *out)
{
	int r;

	for (size_t i = 0; i < c->n_search; i++) {
		const char *repo = ref->repository, *p;
		struct reference *t = NULL;

		if (streq(c->search[i], REFERENCE_DOCKER_HUB)) {
			t = reference_dup(ref);
			if (!t)
				return -ENOMEM;
		} else {
			p = startswith(repo, "library/");
			r = reference_new(c->search[i], p ? p : repo, ref->tag, ref->digest, &t);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				log_debug("Unqualified-search registry '%s' cannot hold '%s', "
					  "ignoring.",
					  c->search[i], repo);
				continue;
			}
		}
		r = task_add(out, t, false, PULL_TASK_UNQUALIFIED_SEARCH);
		if (r < 0)
			return r;
	}
	return 0;
}

int registries_expand(const struct registries *c, struct reference *ref, struct pull_task **ret,
		      size_t *ret_n)
{
	_cleanup_(task_list_done) struct task_list first = {}, final = {};
	struct reference *dup;
	int r;

	if (!c || !streq(ref->registry, REFERENCE_DOCKER_HUB)) {
		dup = reference_dup(ref);
		if (!dup)
			return -ENOMEM;
		r = task_add(&first, dup, false, PULL_TASK_ORIGINAL);
		if (r < 0)
			return r;
	} else {
		r = unqualified_tasks(c, ref, &first);
		if (r < 0)
			return r;
	}
	if (!c) {
		*ret = steal_ptr(first.v);
		*ret_n = first.n;
		first.n = 0;
		return 0;
	}
	for (size_t i = 0; i < first.n; i++) {
		r = apply_rules(c, &first.v[i], &final);
		if (r < 0)
			return r;
	}
	if (final.n == 0)
		return -EPERM; /* "Image <ref> is blocked by registry rule." */
	*ret = steal_ptr(final.v);
	*ret_n = final.n;
	final.n = 0;
	return 0;
}
