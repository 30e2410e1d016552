/* SPDX-License-Identifier: Apache-2.0 */
/* KBS resource URIs, kbs[+<plugin>]://[<host>[:<port>]]/<seg>[/<seg>...][?<query>]
 * (upstream.md §4.6; guest-components attestation-agent/deps/resource_uri). Stricter than
 * upstream's url-crate parser: no empty, "." or ".." segments, no userinfo, fragment or
 * control characters, since a segment ends up in a KBS URL path and an offline-fs key. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/macro.h"

/* Bounds on what a peer can hand us. */
#define RESOURCE_URI_MAX 4096
#define RESOURCE_URI_MAX_SEGMENTS 32

/* The plugin of a plain kbs:// URI. */
#define RESOURCE_URI_DEFAULT_PLUGIN "resource"

struct resource_uri {
	char *plugin;    /* "resource" for kbs://, else the name after "kbs+", lowercased */
	char *address;   /* "host[:port]" as written, "" when absent (CDH ignores it) */
	char **segments; /* n_segments non-empty path segments, NULL-terminated */
	size_t n_segments;
	char *query; /* the text after '?', NULL when there is none */
};

/* Parses s. The scheme is "kbs" or "kbs+<plugin>" (ASCII letters, digits, '-', '_';
 * compared case-insensitively). Segments are RFC 3986 pchars (percent escapes kept as
 * written, must be %XX hex). Errors: -EINVAL for anything else (bad scheme, no path,
 * empty/"."/".." segment, '#', bad characters or escapes, empty query), -E2BIG past
 * RESOURCE_URI_MAX bytes or RESOURCE_URI_MAX_SEGMENTS segments, -ENOMEM. *ret is written
 * only on success; free it with resource_uri_free(). */
int resource_uri_parse(const char *s, struct resource_uri **ret);
/* Accepts NULL; returns NULL. */
struct resource_uri *resource_uri_free(struct resource_uri *u);
DEFINE_POINTER_CLEANUP(struct resource_uri *, resource_uri_free)

/* True when s parses (what upstream uses to tell a resource URI from a local kid). */
bool resource_uri_is_valid(const char *s);

/* "repo/type/tag": the segments joined by '/', no leading slash (offline_fs_kbc's key).
 * Appended to out; -ENOMEM/-E2BIG from out. */
int resource_uri_path(const struct resource_uri *u, struct buf *out);
/* The path part of the KBS URL: "/kbs/v0/<plugin>/<seg>/...[?<query>]", appended to out
 * (the caller prefixes the configured KBS base URL). */
int resource_uri_kbs_path(const struct resource_uri *u, struct buf *out);
/* The whole URI again, normalised: "kbs[+plugin]://<address>/<segs>[?query]". */
int resource_uri_to_string(const struct resource_uri *u, struct buf *out);

/* When the URI names a resource-plugin resource (plugin "resource", exactly three
 * segments), returns 0; -EINVAL otherwise (KBS's ResourcePluginPath rule). */
int resource_uri_check_resource_path(const struct resource_uri *u);
