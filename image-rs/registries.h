/* SPDX-License-Identifier: Apache-2.0 */
/* The registries.conf subset image-rs reads (upstream.md §6.7, GC image-rs/src/registry/
 * mod.rs): unqualified-search-registries, [[registry]] prefix/location/insecure/blocked
 * and [[registry.mirror]] location/insecure. Turns one reference into the ordered list of
 * pull tasks that the puller tries until one succeeds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/toml.h"
#include "image-rs/reference.h"

#define REGISTRIES_CONF_MAX (1u << 20)
#define REGISTRIES_MAX_RULES 1024
#define REGISTRIES_MAX_MIRRORS 64

struct registries;

enum pull_task_type {
	PULL_TASK_ORIGINAL,
	PULL_TASK_UNQUALIFIED_SEARCH,
	PULL_TASK_MIRROR,
	PULL_TASK_REMAPPED,
};

struct pull_task {
	struct reference *ref; /* owned */
	bool use_http;         /* insecure: plain HTTP */
	enum pull_task_type type;
};

/* From TOML text (a registries.conf file, registry_configuration_uri). Unknown keys are
 * ignored as serde does; wrong types and the semantic errors upstream's
 * validate_and_tidy() reports are -EBADMSG with a message in err (line 0 when it has no
 * position). -E2BIG past REGISTRIES_CONF_MAX or the rule limits, -ENOMEM. */
int registries_parse(const char *data, size_t len, struct registries **ret, struct toml_error *err);
/* From an already parsed table (the inline [image.registry_config]); table is only read. */
int registries_from_toml(const struct toml_value *table, struct registries **ret,
			 struct toml_error *err);

struct registries *registries_free(struct registries *c);
DEFINE_POINTER_CLEANUP(struct registries *, registries_free)

/* Expands ref (not modified) into tasks, in the order to try them:
 *   no config (c == NULL): the reference itself over HTTPS;
 *   registry docker.io: one task per unqualified-search registry (a leading "library/"
 *   is dropped for registries other than docker.io), else the reference itself;
 *   then per task the longest [[registry]] prefix matching the start of
 *   reference_whole() and ending at ':', '/', '@' or the end (a "*.domain" prefix
 *   matches hosts ending in ".domain"): blocked drops the task, mirrors come first (in
 *   order), then the location remap, or the task itself when the rule has no location.
 * Three deliberate differences from upstream: a prefix must match at the start
 * (upstream finds it anywhere in the string), an unqualified search keeps the digest
 * next to the tag (upstream keeps only the tag), and a rule without location keeps its
 * insecure flag for the task it lets through (upstream resets it to HTTPS).
 * On success *ret is a malloc()ed array of *ret_n ≥ 1 tasks (free with
 * pull_tasks_free()). -EPERM when every task is blocked, -EINVAL when a mirror or
 * location does not form a valid reference with the rest of the name, -ENOMEM. */
int registries_expand(const struct registries *c, struct reference *ref, struct pull_task **ret,
		      size_t *ret_n);

void pull_tasks_free(struct pull_task *t, size_t n);
