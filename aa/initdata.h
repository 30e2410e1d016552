/* SPDX-License-Identifier: Apache-2.0 */
/* Init-data for the attestation agent: the TOML document (version, algorithm, [data]),
 * its digest over the raw bytes, the --initdata-digest value, and the start-up binding
 * check against the TEE. Mirrors guest-components attestation-agent/src/initdata.rs and
 * the initdata part of src/bin/ttrpc-aa.rs main() (upstream.md §3.4). */
#pragma once

#include <stdint.h>

#include "aa/attester.h"
#include "common/buf.h"
#include "common/digest.h"
#include "common/toml.h"

/* Largest init-data document or --initdata-digest argument we read. */
#define AA_INITDATA_MAX (4u << 20)
#define AA_INITDATA_DIGEST_ARG_MAX 4096

struct aa_initdata {
	char *toml; /* the document exactly as read, NUL-terminated (KBS init-data) */
	size_t toml_len;
	/* Any string: upstream's struct takes whatever `version` says (spec: "0.1.0"). */
	const char *version;
	enum digest_alg alg;
	uint8_t digest[DIGEST_MAX_SIZE]; /* alg over toml[0..toml_len) */
	size_t digest_len;
	struct toml_value *tree;       /* owns version and data */
	const struct toml_value *data; /* the [data] table: string values only */
};

/* Parses an init-data document as upstream's serde struct does: `version` (string),
 * `algorithm` ("sha256", "sha384", "sha512" or "sm3", exactly) and the `[data]` table
 * of strings are required; other top-level keys are ignored. The digest is taken over
 * s[0..len) as given (a BOM included): no canonicalisation.
 * Errors, with err (if not NULL) saying where (line 0 for a field error) and why:
 * -EBADMSG invalid TOML, not UTF-8, a missing field or a field of the wrong type;
 * -EOPNOTSUPP an unknown algorithm; -E2BIG past AA_INITDATA_MAX or nested too deep;
 * -ENOMEM. On success *ret is owned by the caller (aa_initdata_free()). */
int aa_initdata_parse(const char *s, size_t len, struct aa_initdata **ret, struct toml_error *err);
/* Reads path (-errno, -E2BIG past AA_INITDATA_MAX) and parses it as above. */
int aa_initdata_from_toml_file(const char *path, struct aa_initdata **ret, struct toml_error *err);
/* NULL is fine; returns NULL. */
struct aa_initdata *aa_initdata_free(struct aa_initdata *d);
DEFINE_POINTER_CLEANUP(struct aa_initdata *, aa_initdata_free)

/* data[key] ("aa.toml", "cdh.toml", "policy.rego"), owned by d; NULL when absent or
 * holding a NUL character. */
const char *aa_initdata_get(const struct aa_initdata *d, const char *key);

/* Decodes the --initdata-digest argument: standard base64 with padding, as upstream's
 * clap help and main() say (not hex). Appends the bytes to out. -EBADMSG for anything
 * else, -E2BIG past AA_INITDATA_DIGEST_ARG_MAX characters. */
int aa_initdata_digest_decode(const char *arg, struct buf *out);

/* The start-up check (upstream main(): bind_init_data before the service starts).
 * Returns 1 after the TEE accepted digest ("Check initdata passed." at info), 0 when the
 * attester has no binding (upstream's Unsupported: "Platform does not support initdata
 * checking. Jumping." at info, and the agent goes on), or the attester's -errno (-EPERM
 * on mismatch) after logging upstream's "The initdata supplied by the parameter is
 * inconsistent with that of the current platform." at error: the agent then exits. */
int aa_initdata_bind(const struct attester_ops *ops, const uint8_t *digest, size_t n);
