/* SPDX-License-Identifier: Apache-2.0 */
/* Drives aa/token.c for tests/integration/test-aa-token.sh with the sample attester.
 *   token-cli token   [--type T] [--kbs URL] [--cert PEMFILE] [--alg NAME] [--coco-as URL]
 *                     [--config AA.toml] [--kbc-params S] [--initdata FILE] [--out FILE]
 *       prints the GetToken answer ({"token","tee_keypair"} for kbs) on stdout (or to FILE)
 *   token-cli resource --token FILE --url URL [--cert PEMFILE]
 *       GETs URL with "Authorization: Bearer <token>", decrypts the JWE with tee_keypair
 *       and writes the plaintext to stdout
 * Failures print "error ENAME: message" on stderr and exit 1 (2: bad usage). Only this
 * driver honours COCOBOX_TEST_RETRY_MS and COCOBOX_TEST_TIMEOUT_MS (retry delay and
 * request timeout), so fault tests run in seconds; the AA keeps upstream's values. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa/token.h"
#include "common/fs.h"
#include "common/http.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"
#include "common/toml.h"

static const char *errname(int r)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" },
		{ EKEYREJECTED, "EKEYREJECTED" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENOENT, "ENOENT" },
		{ ENOMEM, "ENOMEM" },
		{ EIO, "EIO" },
		{ EPERM, "EPERM" },
		{ EPROTO, "EPROTO" },
		{ ECONNRESET, "ECONNRESET" },
		{ EACCES, "EACCES" },
		{ EBADMSG, "EBADMSG" },
		{ EINVAL, "EINVAL" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ E2BIG, "E2BIG" },
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (names[i].e == -r)
			return names[i].name;
	return "E?";
}

static int read_file(const char *path, struct buf *b)
{
	return fs_read_file(AT_FDCWD, path, b);
}

static int fail(int r, const char *msg)
{
	fprintf(stderr, "error %s: %s\n", errname(r), msg && *msg ? msg : strerror(-r));
	return 1;
}

static unsigned env_ms(const char *name, unsigned def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned) strtoul(v, NULL, 10) : def;
}

static int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "kbs", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "alg", required_argument, NULL, 'a' },
		{ "coco-as", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'f' },
		{ "kbc-params", required_argument, NULL, 'p' },
		{ "initdata", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{},
	};
	_cleanup_(aa_token_config_done) struct aa_token_config cfg = {};
	_cleanup_(buf_done_wipe) struct buf out = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf initdata = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf text = BUF_INIT(1 << 20);
	struct aa_token_error err = {};
	const char *type = "kbs", *outfile = NULL;
	bool have_initdata = false;
	int c, r;

	aa_token_config_init(&cfg);
	cfg.retry_delay_ms = env_ms("COCOBOX_TEST_RETRY_MS", cfg.retry_delay_ms);
	cfg.timeout_ms = env_ms("COCOBOX_TEST_TIMEOUT_MS", cfg.timeout_ms);

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'k':
			free(cfg.kbs_url);
			cfg.kbs_url = strdup(optarg);
			break;
		case 'c':
			buf_reset(&text);
			r = read_file(optarg, &text);
			if (r < 0)
				return fail(r, "cannot read --cert");
			free(cfg.kbs_cert);
			cfg.kbs_cert = strdup(buf_str(&text));
			break;
		case 'a':
			cfg.tee_key_alg = streq(optarg, "p521")  ? AA_TEE_KEY_EC_P521
					  : streq(optarg, "rsa") ? AA_TEE_KEY_RSA
								 : AA_TEE_KEY_EC_P256;
			break;
		case 's':
			free(cfg.coco_as_url);
			cfg.coco_as_url = strdup(optarg);
			break;
		case 'f': {
			_cleanup_(toml_freep) struct toml_value *root = NULL;
			struct toml_error terr = {};

			buf_reset(&text);
			r = read_file(optarg, &text);
			if (r < 0)
				return fail(r, "cannot read --config");
			r = toml_parse((const char *) text.data, text.len, &root, &terr);
			if (r < 0)
				return fail(r, terr.message);
			r = aa_token_config_from_toml(root, &cfg, &err);
			if (r < 0)
				return fail(r, err.message);
			break;
		}
		case 'p':
			r = aa_token_config_from_kbc_params(&cfg, optarg);
			if (r < 0)
				return fail(r, "illegal aa_kbc_params format");
			break;
		case 'i':
			r = read_file(optarg, &initdata);
			if (r < 0)
				return fail(r, "cannot read --initdata");
			have_initdata = true;
			break;
		case 'o':
			outfile = optarg;
			break;
		default:
			return 2;
		}
	}

	r = aa_token_get(&cfg, type, &attester_sample, have_initdata ? buf_str(&initdata) : NULL,
			 &out, &err);
	if (r < 0)
		return fail(r, err.message);
	if (outfile) {
		r = fs_write_atomic(AT_FDCWD, outfile, out.data, out.len, 0600);
		if (r < 0)
			return fail(r, "cannot write --out");
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len)
		return 1;
	return 0;
}

static int cmd_resource(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "cert", required_argument, NULL, 'c' },
		{},
	};
	_cleanup_(buf_done_wipe) struct buf msg = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf ca = BUF_INIT(1 << 20);
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(crypto_pk_freep) struct crypto_pk *key = NULL;
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(8 << 20);
	_cleanup_secret_ struct secret *plain = NULL;
	_cleanup_free_ char *authz = NULL;
	const char *token, *pem, *url = NULL, *tokfile = NULL, *cafile = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 't':
			tokfile = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'c':
			cafile = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!tokfile || !url)
		return 2;

	r = read_file(tokfile, &msg);
	if (r < 0)
		return fail(r, "cannot read --token");
	r = json_parse((const char *) msg.data, msg.len, msg.max, 8, &j, NULL);
	if (r < 0 || json_get_string(j, "token", &token) < 0 ||
	    json_get_string(j, "tee_keypair", &pem) < 0)
		return fail(-EBADMSG, "not a GetToken(kbs) answer");
	r = crypto_pk_import(pem, strlen(pem), &key);
	if (r < 0)
		return fail(r, "tee_keypair is not a private key");

	r = http_global_init();
	if (r < 0)
		return fail(r, NULL);
	http = http_client_new();
	if (!http)
		return fail(-ENOMEM, NULL);
	if (cafile) {
		r = read_file(cafile, &ca);
		if (r >= 0)
			r = http_client_add_ca_pem(http, buf_str(&ca));
		if (r < 0)
			return fail(r, "cannot use --cert");
	}
	if (asprintf(&authz, "Authorization: Bearer %s", token) < 0)
		return fail(-ENOMEM, NULL);
	r = http_request(http,
			 &(struct http_req){ .method = HTTP_GET,
					     .url = url,
					     .headers = (char *const[]){ authz, NULL },
					     .allow_http = true },
			 &resp);
	if (r < 0)
		return fail(r, resp.error);
	if (resp.status != 200) {
		fprintf(stderr, "status %ld\n%s\n", resp.status, buf_str(&resp.body));
		return fail(http_status_to_errno(resp.status), "KBS refused the resource");
	}
	r = jose_jwe_decrypt((const char *) resp.body.data, resp.body.len, key, &plain);
	if (r < 0)
		return fail(r, "cannot decrypt the JWE with tee_keypair");
	if (fwrite(plain->p, 1, plain->n, stdout) != plain->n)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	log_open("token-cli");
	if (argc < 2)
		return 2;
	if (streq(argv[1], "token"))
		return cmd_token(argc - 1, argv + 1);
	if (streq(argv[1], "resource"))
		return cmd_resource(argc - 1, argv + 1);
	return 2;
}
