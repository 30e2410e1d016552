/* SPDX-License-Identifier: Apache-2.0 */
/* Init-data: parse the TOML into upstream's Initdata shape, hash the raw bytes, decode
 * the digest argument, and run the start-up binding check (guest-components
 * attestation-agent/src/initdata.rs, src/bin/ttrpc-aa.rs; upstream.md §3.4). Field
 * errors are worded as serde's so an operator sees the same complaint. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa/initdata.h"
#include "common/b64.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"

static int field_error(struct toml_error *err, int r, const char *fmt, ...) _printf_(3, 4);

static int field_error(struct toml_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = 0;
		err->column = 0;
		va_start(ap, fmt);
		(void) vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return r;
}

static int want_string(const struct toml_value *root, const char *key, const char **ret,
		       struct toml_error *err)
{
	const struct toml_value *v = toml_table_get(root, key);

	if (!v)
		return field_error(err, -EBADMSG, "missing field `%s`", key);
	if (toml_value_type(v) != TOML_STRING)
		return field_error(err, -EBADMSG,
				   "invalid type: %s, expected a string for key `%s`",
				   toml_type_name(toml_value_type(v)), key);
	if (toml_value_string(v, ret, NULL) < 0)
		return field_error(err, -EBADMSG, "key `%s` holds a NUL character", key);
	return 0;
}

int aa_initdata_parse(const char *s, size_t len, struct aa_initdata **ret, struct toml_error *err)
{
	_cleanup_(aa_initdata_freep) struct aa_initdata *d = NULL;
	const struct toml_value *data;
	const char *alg;
	int r;

	if (len > AA_INITDATA_MAX)
		return field_error(err, -E2BIG, "init-data larger than %u bytes", AA_INITDATA_MAX);
	/* Upstream reads the file with read_to_string. */
	if (!json_utf8_valid(s, len))
		return field_error(err, -EBADMSG, "stream did not contain valid UTF-8");

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->toml = malloc(len + 1);
	if (!d->toml)
		return -ENOMEM;
	memcpy(d->toml, s, len);
	d->toml[len] = 0;
	d->toml_len = len;

	r = toml_parse(d->toml, len, &d->tree, err);
	if (r < 0)
		return r;

	r = want_string(d->tree, "version", &d->version, err);
	if (r < 0)
		return r;
	r = want_string(d->tree, "algorithm", &alg, err);
	if (r < 0)
		return r;
	/* serde's lowercase names: exact, no case folding, no IANA "sha-256". */
	if (digest_alg_from_string(alg, &d->alg) < 0)
		return field_error(err, -EOPNOTSUPP,
				   "unknown variant `%.40s`, expected one of `sha256`, `sha384`, "
				   "`sha512`, `sm3`",
				   alg);

	data = toml_table_get(d->tree, "data");
	if (!data)
		return field_error(err, -EBADMSG, "missing field `data`");
	if (toml_value_type(data) != TOML_TABLE)
		return field_error(err, -EBADMSG, "invalid type: %s, expected a map for key `data`",
				   toml_type_name(toml_value_type(data)));
	for (size_t i = 0; i < toml_count(data); i++) {
		const char *key;
		const struct toml_value *v = toml_table_at(data, i, &key, NULL);

		if (toml_value_type(v) != TOML_STRING)
			return field_error(
			    err, -EBADMSG,
			    "invalid type: %s, expected a string for key `data.%.40s`",
			    toml_type_name(toml_value_type(v)), key);
	}
	d->data = data;

	d->digest_len = digest_buf(d->alg, d->toml, d->toml_len, d->digest);
	*ret = steal_ptr(d);
	return 0;
}

int aa_initdata_from_toml_file(const char *path, struct aa_initdata **ret, struct toml_error *err)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(AA_INITDATA_MAX);
	int r;

	r = fs_read_file(AT_FDCWD, path, &b);
	if (r < 0)
		return field_error(err, r, "read initdata toml file: %s", strerror(-r));
	return aa_initdata_parse(buf_str(&b), b.len, ret, err);
}

struct aa_initdata *aa_initdata_free(struct aa_initdata *d)
{
	if (!d)
		return NULL;
	toml_free(d->tree);
	free(d->toml);
	free(d);
	return NULL;
}

const char *aa_initdata_get(const struct aa_initdata *d, const char *key)
{
	const char *s;

	if (!d || !d->data || toml_get_string(d->data, key, &s) < 0)
		return NULL;
	return s;
}

int aa_initdata_digest_decode(const char *arg, struct buf *out)
{
	size_t n = strlen(arg);

	if (n > AA_INITDATA_DIGEST_ARG_MAX)
		return -E2BIG;
	return b64_decode(B64_STD, arg, n, out);
}

int aa_initdata_bind(const struct attester_ops *ops, const uint8_t *digest, size_t n)
{
	int r;

	if (!ops->bind_initdata) {
		log_info("Platform does not support initdata checking. Jumping.");
		return 0;
	}
	r = ops->bind_initdata(digest, n);
	if (r < 0)
		return log_error_errno(r, "The initdata supplied by the parameter is inconsistent "
					  "with that of the current platform.");
	log_info("Check initdata passed.");
	return 1;
}
