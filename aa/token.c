/* SPDX-License-Identifier: Apache-2.0 */
/* GetToken dispatch and the token configuration: [token_configs.*] of the AA config
 * (attestation-agent/src/config/{mod,kbs,coco_as}.rs) and the aa_kbc_params fallback
 * (config/aa_kbc_params.rs; upstream.md §3.5). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa/token.h"
#include "common/log.h"
#include "common/toml.h"

#define CMDLINE_MAX (64u << 10)
#define KBC_PARAMS_KEY "agent.aa_kbc_params="

void aa_token_config_init(struct aa_token_config *cfg)
{
	*cfg = (struct aa_token_config){
		.tee_key_alg = AA_TEE_KEY_EC_P256,
		.retry_delay_ms = AA_TOKEN_RCAR_RETRY_DELAY_MS,
		.timeout_ms = AA_TOKEN_KBS_TIMEOUT_MS,
	};
}

void aa_token_config_done(struct aa_token_config *cfg)
{
	free(cfg->kbs_url);
	free(cfg->kbs_cert);
	free(cfg->coco_as_url);
	aa_token_config_init(cfg);
}

int aa_token_fail(struct aa_token_error *err, int error, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		(void) vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return error;
}

void aa_token_error_append_peer(struct aa_token_error *err, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t len;

	if (!err)
		return;
	len = strnlen(err->message, sizeof(err->message) - 1);
	/* A peer's text lands in a log line: no control characters, no terminal escapes. */
	for (size_t i = 0; i < n && len + 1 < sizeof(err->message); i++)
		err->message[len++] = p[i] >= 0x20 && p[i] < 0x7f ? (char) p[i] : '?';
	err->message[len] = 0;
}

static int tee_key_alg_from_string(const char *s, enum aa_tee_key_alg *ret)
{
	if (streq(s, "ECDH-ES+A256KW-P256"))
		*ret = AA_TEE_KEY_EC_P256;
	else if (streq(s, "ECDH-ES+A256KW-P521"))
		*ret = AA_TEE_KEY_EC_P521;
	else if (streq(s, "RSA-OAEP-256"))
		*ret = AA_TEE_KEY_RSA;
	else
		return -EINVAL;
	return 0;
}

static int replace_str(char **dst, const char *s)
{
	char *t = NULL;

	if (s) {
		t = strdup(s);
		if (!t)
			return -ENOMEM;
	}
	free(*dst);
	*dst = t;
	return 0;
}

/* A present section must be a table with a string url; serde fails the whole config
 * otherwise, and so do we. */
static int section_url(const struct toml_value *section, const char *name, const char **ret,
		       struct aa_token_error *err)
{
	int r;

	if (toml_value_type(section) != TOML_TABLE)
		return aa_token_fail(err, -EINVAL, "token_configs.%s: not a table", name);
	r = toml_get_string(section, "url", ret);
	if (r == -ENOENT)
		return aa_token_fail(err, -EINVAL, "token_configs.%s: missing field `url`", name);
	if (r < 0)
		return aa_token_fail(err, -EINVAL, "token_configs.%s.url: not a string", name);
	return 0;
}

int aa_token_config_from_toml(const struct toml_value *root, struct aa_token_config *cfg,
			      struct aa_token_error *err)
{
	const struct toml_value *tc, *kbs, *coco;
	const char *url, *cert = NULL, *alg_name = NULL;
	enum aa_tee_key_alg alg = AA_TEE_KEY_EC_P256;
	int r;

	tc = toml_table_get(root, "token_configs");
	if (!tc)
		return 0;
	if (toml_value_type(tc) != TOML_TABLE)
		return aa_token_fail(err, -EINVAL, "token_configs: not a table");

	kbs = toml_table_get(tc, "kbs");
	if (kbs) {
		r = section_url(kbs, "kbs", &url, err);
		if (r < 0)
			return r;
		r = toml_get_string(kbs, "cert", &cert);
		if (r < 0 && r != -ENOENT)
			return aa_token_fail(err, -EINVAL, "token_configs.kbs.cert: not a string");
		r = toml_get_string(kbs, "tee_key_algorithm", &alg_name);
		if (r < 0 && r != -ENOENT)
			return aa_token_fail(err, -EINVAL,
					     "token_configs.kbs.tee_key_algorithm: not a string");
		if (alg_name && tee_key_alg_from_string(alg_name, &alg) < 0)
			return aa_token_fail(err, -EINVAL,
					     "token_configs.kbs.tee_key_algorithm: unknown variant "
					     "'%.64s', expected one of 'ECDH-ES+A256KW-P256', "
					     "'ECDH-ES+A256KW-P521', 'RSA-OAEP-256'",
					     alg_name);
		r = replace_str(&cfg->kbs_url, url);
		if (r < 0)
			return r;
		r = replace_str(&cfg->kbs_cert, cert);
		if (r < 0)
			return r;
		cfg->tee_key_alg = alg;
	}

	coco = toml_table_get(tc, "coco_as");
	if (coco) {
		r = section_url(coco, "coco_as", &url, err);
		if (r < 0)
			return r;
		r = replace_str(&cfg->coco_as_url, url);
		if (r < 0)
			return r;
	}
	return 0;
}

int aa_token_config_from_kbc_params(struct aa_token_config *cfg, const char *params)
{
	const char *sep = strstr(params, "::");
	_cleanup_free_ char *kbc = NULL;
	int r;

	/* upstream: value.split("::") must give exactly two segments. */
	if (!sep || strstr(sep + 2, "::"))
		return -EINVAL;
	kbc = strndup(params, (size_t) (sep - params));
	if (!kbc)
		return -ENOMEM;
	if (!streq(kbc, "cc_kbc"))
		return 0;

	r = replace_str(&cfg->kbs_url, sep + 2);
	if (r < 0)
		return r;
	r = replace_str(&cfg->kbs_cert, NULL);
	if (r < 0)
		return r;
	cfg->tee_key_alg = AA_TEE_KEY_EC_P256;
	return 1;
}

int aa_token_kbc_params_from_cmdline(const char *cmdline_path, char **ret)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(CMDLINE_MAX);
	_cleanup_close_ int fd = -EBADF;
	const char *p;
	int r;

	fd = open(cmdline_path ?: "/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = buf_read_fd(&b, fd);
	if (r < 0)
		return r;

	/* split_ascii_whitespace(): words between runs of ASCII blanks. */
	p = buf_str(&b);
	for (;;) {
		size_t n;

		p += strspn(p, " \t\n\r\f\v");
		if (!*p)
			return -ENOENT;
		n = strcspn(p, " \t\n\r\f\v");
		if (n >= strlen(KBC_PARAMS_KEY) && startswith(p, KBC_PARAMS_KEY)) {
			char *v = strndup(p + strlen(KBC_PARAMS_KEY), n - strlen(KBC_PARAMS_KEY));

			if (!v)
				return -ENOMEM;
			*ret = v;
			return 0;
		}
		p += n;
	}
}

int aa_token_config_from_env(struct aa_token_config *cfg, const char *cmdline_path)
{
	_cleanup_free_ char *from_cmdline = NULL;
	const char *params = getenv("AA_KBC_PARAMS");
	int r;

	if (!params) {
		r = aa_token_kbc_params_from_cmdline(cmdline_path, &from_cmdline);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			log_debug("No aa_kbc_params on the kernel command line (%s), no KBS config",
				  strerror(-r));
			return 0;
		}
		params = from_cmdline;
	}

	r = aa_token_config_from_kbc_params(cfg, params);
	if (r == -EINVAL) {
		log_debug("Illegal aa_kbc_params format, no KBS config");
		return 0;
	}
	return r;
}

int aa_token_get(const struct aa_token_config *cfg, const char *type,
		 const struct attester_ops *primary, const char *initdata_toml, struct buf *out,
		 struct aa_token_error *err)
{
	if (!cfg || !type || !primary || !out)
		return aa_token_fail(err, -EINVAL, "invalid argument");

	if (streq(type, "kbs")) {
		if (!cfg->kbs_url)
			return aa_token_fail(err, -EINVAL,
					     "kbs token config not configured in config file");
		return aa_token_kbs(cfg, primary, initdata_toml, out, err);
	}
	if (streq(type, "coco_as")) {
		if (!cfg->coco_as_url)
			return aa_token_fail(err, -EINVAL,
					     "coco_as token config not configured in config file");
		return aa_token_coco_as(cfg, primary, out, err);
	}
	/* upstream: TokenType::from_str(..).context("Unsupported token type") */
	return aa_token_fail(err, -EINVAL, "Unsupported token type");
}
