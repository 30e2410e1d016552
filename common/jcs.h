/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 JSON Canonicalization Scheme: the exact bytes upstream hashes for the KBS
 * runtime-data binding (upstream.md §4.4, serde_json_canonicalizer on the Rust side). */
#pragma once

#include "json-util.h"

/* Appends the canonical form of v (NULL: "null") to out: no whitespace, object members
 * sorted by their names as UTF-16 code-unit arrays, strings escaped as RFC 8785
 * §3.2.2.2, numbers as ECMAScript's Number.prototype.toString of their IEEE-754 double
 * (integers beyond 2^53 become the double they round to, as in JavaScript).
 * -EBADMSG if a string or member name is not valid UTF-8; -EINVAL for a NaN or infinite
 * double; -E2BIG past JSON_DEPTH_LIMIT levels or out's maximum; -ENOMEM. Nothing is
 * appended on error. */
int jcs_append(json_object *v, struct buf *out);

/* json_parse() with JSON_DEFAULT_MAX_DEPTH (its errors; the size limit is out's) followed
 * by jcs_append(). */
int jcs_canonicalize_text(const char *json, size_t len, struct buf *out);

/* Appends ECMAScript's Number::toString(d) (ECMA-262 §6.1.6.1.20), which RFC 8785
 * §3.2.2.3 prescribes: shortest round-trip digits, "-0" written "0", exponent form below
 * 1e-6 and from 1e21 on. -EINVAL for NaN and infinities. */
int jcs_append_number(double d, struct buf *out);
