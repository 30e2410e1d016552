/* SPDX-License-Identifier: Apache-2.0 */
/* The one strict way to read and write JSON over json-c: RFC 8259 text only, with size
 * and depth limits, typed getters that never coerce, compact serialisation. Every
 * JSON-speaking module (KBS protocol, OCI manifests, JOSE, evidence) goes through it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json.h>

#include "buf.h"
#include "macro.h"

/* serde_json's default recursion limit, so we nest as deep as upstream does. */
#define JSON_DEFAULT_MAX_DEPTH 128u
/* Same bound as a ttrpc frame. */
#define JSON_DEFAULT_MAX_SIZE (4u << 20)
/* Largest max_depth json_parse() takes. */
#define JSON_DEPTH_LIMIT 1024u

DEFINE_POINTER_CLEANUP(json_object *, json_object_put)

/* Parses exactly one RFC 8259 JSON text from s[0..n) (surrounding whitespace allowed).
 * Refused with -EBADMSG, and *ret_reason (if non-NULL) set to a short static string:
 * NUL bytes, trailing data, comments, single quotes, trailing commas, leading zeros,
 * NaN/Infinity, numbers that overflow a double, unescaped control characters, invalid
 * escapes, unpaired surrogates, invalid UTF-8 (overlong, surrogates, > U+10FFFF),
 * "\u0000" in an object key (json-c would cut the key there), duplicate keys in an
 * object (I-JSON, RFC 7493 §2.3), and nesting deeper than max_depth containers
 * (1 ≤ max_depth ≤ JSON_DEPTH_LIMIT, else -EINVAL). An integer outside [-2^63, 2^64) is
 * read as a double, as JavaScript and serde_json do (json-c alone would saturate it).
 * n > max_size gives -E2BIG; -ENOMEM on allocation failure. On success *ret holds a new
 * reference (release with json_object_put()), which is NULL for the text "null". */
int json_parse(const char *s, size_t n, size_t max_size, unsigned max_depth, json_object **ret,
	       const char **ret_reason);

/* Typed access. A wrong type (including JSON null where a value is required, a double or
 * a string where an integer is expected, a non-object container) gives -EBADMSG, as the
 * input is malformed; an integer outside the target type's range gives -ERANGE; a string
 * with an embedded NUL ("\u0000") gives -EBADMSG, since callers take it as a C string.
 * Results are borrowed from v/obj and live as long as it does; *ret is written only on
 * success. */
int json_as_string(json_object *v, const char **ret);
int json_as_int64(json_object *v, int64_t *ret);
int json_as_uint64(json_object *v, uint64_t *ret);
int json_as_bool(json_object *v, bool *ret);
/* -EBADMSG unless v is an object (array); *ret is v itself. */
int json_as_object(json_object *v, json_object **ret);
int json_as_array(json_object *v, json_object **ret);

/* obj[key] with the json_as_*() rules. -ENOENT if obj has no member key; -EBADMSG if obj
 * itself is not an object (also when it is NULL, i.e. JSON null). */
int json_get_string(json_object *obj, const char *key, const char **ret);
int json_get_int64(json_object *obj, const char *key, int64_t *ret);
int json_get_uint64(json_object *obj, const char *key, uint64_t *ret);
int json_get_bool(json_object *obj, const char *key, bool *ret);
int json_get_object(json_object *obj, const char *key, json_object **ret);
int json_get_array(json_object *obj, const char *key, json_object **ret);

/* Optional members, as serde's Option<T>: returns 1 and sets *ret when present; returns 0
 * and leaves *ret untouched when the member is absent or null; errors as above. */
int json_get_string_opt(json_object *obj, const char *key, const char **ret);
int json_get_int64_opt(json_object *obj, const char *key, int64_t *ret);
int json_get_uint64_opt(json_object *obj, const char *key, uint64_t *ret);
int json_get_bool_opt(json_object *obj, const char *key, bool *ret);
int json_get_object_opt(json_object *obj, const char *key, json_object **ret);
int json_get_array_opt(json_object *obj, const char *key, json_object **ret);

/* Appends v (NULL: "null") as compact JSON: no whitespace, '/' not escaped, members in
 * insertion order. -EINVAL if the tree cannot be written as valid JSON (a NaN or infinite
 * double, a string or key that is not valid UTF-8) or nests deeper than JSON_DEPTH_LIMIT;
 * -ENOMEM, -E2BIG from out. Nothing is appended on error. */
int json_append(json_object *v, struct buf *out);

/* Decodes one UTF-8 sequence from s[0..n) (n ≥ 1) strictly (no overlongs, surrogates or
 * values above U+10FFFF). Returns its length (1-4) and stores the code point, or -EBADMSG. */
int json_utf8_decode(const char *s, size_t n, uint32_t *ret_cp);
/* True when s[0..n) is well-formed UTF-8 (as json_utf8_decode() reads it). */
bool json_utf8_valid(const char *s, size_t n);
