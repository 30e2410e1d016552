/* SPDX-License-Identifier: Apache-2.0 */
/* A strict TOML 1.0.0 parser (https://toml.io/en/v1.0.0, toml.abnf) into a small
 * read-only tree: upstream's AA/CDH configs, init-data and registries.conf are read
 * with it. Anything the spec calls invalid is refused with a line:column message;
 * the caller bounds the document size (its struct buf maximum). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Containers (arrays, tables, and every key part of a dotted key or table header)
 * nested deeper than this give -E2BIG, so neither the parser nor a recursive walker
 * of the tree can run out of stack. */
#define TOML_MAX_DEPTH 64

enum toml_type {
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOLEAN,
	TOML_DATETIME,
	TOML_ARRAY,
	TOML_TABLE,
};

enum toml_datetime_kind {
	TOML_DATETIME_OFFSET, /* 1979-05-27T07:32:00-07:00 */
	TOML_DATETIME_LOCAL,  /* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,      /* 1979-05-27 */
	TOML_TIME_LOCAL,      /* 07:32:00.5 */
};

struct toml_datetime {
	enum toml_datetime_kind kind;
	int year, month, day;     /* 0 in a local time */
	int hour, minute, second; /* 0 in a local date; second may be 60 (leap second) */
	uint32_t nanosecond;      /* the fraction, truncated (not rounded) to nanoseconds */
	int offset_minutes;       /* east of UTC, offset date-time only ('Z' is 0) */
	const char *text;         /* as written in the document, NUL-terminated */
};

/* line and column are 1-based; column counts code points. */
struct toml_error {
	unsigned line, column;
	char message[128];
};

struct toml_value;

/* Parses data[0..len) (no NUL terminator needed; an embedded NUL is an error) into a
 * tree whose root is a TOML_TABLE, returned in *ret; free it with toml_free(). A UTF-8
 * byte order mark at the very start is skipped, as the Rust toml crate does.
 * Errors: -EBADMSG (invalid TOML), -E2BIG (nesting past TOML_MAX_DEPTH), -ENOMEM.
 * On error *ret is untouched and, if err is not NULL, it says where and why. */
int toml_parse(const char *data, size_t len, struct toml_value **ret, struct toml_error *err);

/* Frees a tree returned by toml_parse(); NULL is fine. Returns NULL. */
struct toml_value *toml_free(struct toml_value *v);
DEFINE_POINTER_CLEANUP(struct toml_value *, toml_free)

/* v must not be NULL. */
enum toml_type toml_value_type(const struct toml_value *v);
/* "string", "integer", "float", "boolean", "datetime", "array", "table". */
const char *toml_type_name(enum toml_type t);

/* The number of elements of an array or keys of a table; 0 for anything else and NULL. */
size_t toml_count(const struct toml_value *v);
/* Element i of an array; NULL if v is not an array or i is out of range. */
const struct toml_value *toml_array_at(const struct toml_value *array, size_t i);
/* Entry i of a table in document order: returns its value and stores its key (owned by
 * the tree, NUL-terminated; a key written with "\u0000" holds NULs, so ret_key_len says
 * the real length) in the non-NULL out-parameters. NULL if not a table or out of range. */
const struct toml_value *toml_table_at(const struct toml_value *table, size_t i,
				       const char **ret_key, size_t *ret_key_len);
/* The value under one key (compared whole: "aa.toml" is one key here). NULL when
 * table is NULL or not a table, or the key is absent. */
const struct toml_value *toml_table_get(const struct toml_value *table, const char *key);
/* Follows a dotted path of keys that contain no '.' ("token_configs.kbs") through
 * tables; "" is the table itself. NULL when any step is missing or not a table. */
const struct toml_value *toml_get_path(const struct toml_value *table, const char *path);

/* Typed access to one value: -EINVAL when v has another type (or is NULL), 0 otherwise.
 * toml_value_string() gives the string owned by the tree (NUL-terminated); with
 * ret_len NULL it refuses a string holding a NUL ("\u0000") with -EBADMSG, since a C
 * string would silently cut it; with ret_len it returns the whole string. */
int toml_value_string(const struct toml_value *v, const char **ret, size_t *ret_len);
int toml_value_int(const struct toml_value *v, int64_t *ret);
/* Accepts an integer too (converted), as serde does for an f64 field. */
int toml_value_float(const struct toml_value *v, double *ret);
int toml_value_bool(const struct toml_value *v, bool *ret);
int toml_value_datetime(const struct toml_value *v, const struct toml_datetime **ret);

/* The same for table[key] (one key, as toml_table_get()): -ENOENT when table is NULL or
 * the key is absent, -EINVAL when table is not a table or the value has another type,
 * -EBADMSG from toml_get_string() for a string holding a NUL. *ret is written only on
 * success. toml_get_table()/toml_get_array() return the sub-table or array itself. */
int toml_get_string(const struct toml_value *table, const char *key, const char **ret);
int toml_get_int(const struct toml_value *table, const char *key, int64_t *ret);
int toml_get_float(const struct toml_value *table, const char *key, double *ret);
int toml_get_bool(const struct toml_value *table, const char *key, bool *ret);
int toml_get_datetime(const struct toml_value *table, const char *key,
		      const struct toml_datetime **ret);
int toml_get_table(const struct toml_value *table, const char *key, const struct toml_value **ret);
int toml_get_array(const struct toml_value *table, const char *key, const struct toml_value **ret);
