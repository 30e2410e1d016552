/* SPDX-License-Identifier: Apache-2.0 */
/* Registry credentials: containers-auth.json lookup as GC image-rs/src/auth/
 * auth_config.rs (upstream.md §6.7), the Basic header, and the parsing of the
 * WWW-Authenticate challenges (RFC 7235 §2.1, Docker's token auth spec) that start
 * the Bearer token flow in registry.c. Passwords live in struct secret and are never
 * logged. */
#pragma once

#include <stddef.h>

#include "common/buf.h"
#include "common/secret.h"
#include "image-rs/reference.h"

#define AUTH_FILE_MAX (1u << 20)
#define AUTH_HEADER_MAX 8192

struct auth_cred {
	char *username;
	struct secret *password; /* NUL-terminated: p[n] == 0 */
};

/* user and password are copied. -ENOMEM. */
int auth_cred_new(const char *user, const char *password, struct auth_cred **ret);
/* Wipes the password; accepts NULL, returns NULL. */
struct auth_cred *auth_cred_free(struct auth_cred *c);
DEFINE_POINTER_CLEANUP(struct auth_cred *, auth_cred_free)
struct auth_cred *auth_cred_dup(const struct auth_cred *c);

/* A parsed {"auths": {"<key>": {"auth": "<base64 user:password>"}, ...}}. */
struct auth_file;

/* -EBADMSG when the text is not JSON of that shape (an entry without "auth", a
 * non-string value; other members are ignored, as serde does), -E2BIG past
 * AUTH_FILE_MAX, -ENOMEM. The buffer holding the text is the caller's to wipe. */
int auth_file_parse(const char *data, size_t len, struct auth_file **ret);
/* Wipes the entries; accepts NULL, returns NULL. */
struct auth_file *auth_file_free(struct auth_file *f);
DEFINE_POINTER_CLEANUP(struct auth_file *, auth_file_free)

/* Credentials for ref: the keys "registry/repo/path", then each parent down to
 * "registry" (exact match); then the first entry, in file order, whose key normalises
 * to reference_resolve_registry(ref) (a scheme-qualified key "https://host/v1/" gives
 * "host"; docker.io and registry-1.docker.io count as index.docker.io). The matched
 * entry is base64 "user:password" split at the first ':', '\n' trimmed from both ends of
 * the password (upstream's trim_matches). Returns 0 with *ret set, -ENOENT when nothing
 * matches (anonymous), -EBADMSG when the matched entry is not base64 "user:password"
 * (upstream fails the pull then), -ENOMEM. */
int auth_file_lookup(const struct auth_file *f, const struct reference *ref,
		     struct auth_cred **ret);

/* Appends "Basic <base64(user:password)>" (value only) to out; the caller wipes out. */
int auth_basic_value(const struct auth_cred *c, struct buf *out);

enum auth_scheme {
	AUTH_SCHEME_OTHER,
	AUTH_SCHEME_BASIC,
	AUTH_SCHEME_BEARER,
};

struct auth_challenge {
	enum auth_scheme scheme;
	char *realm, *service, *scope; /* NULL when absent */
};

/* Parses the WWW-Authenticate value(s) joined by ',' and keeps the most useful
 * challenge: Bearer if offered, else Basic, else the first. Parameter names are
 * case-insensitive, values are tokens or quoted strings (backslash escapes; commas
 * inside quotes stay, as in scope="repository:a:pull,push"). -EBADMSG for malformed text
 * or a header past AUTH_HEADER_MAX, -ENOMEM. */
int auth_challenge_parse(const char *value, struct auth_challenge *ret);
void auth_challenge_done(struct auth_challenge *c);
