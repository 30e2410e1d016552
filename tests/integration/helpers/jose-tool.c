/* SPDX-License-Identifier: Apache-2.0 */
/* Test driver for common/crypto and common/jose, so real peers (python3-jwcrypto, the
 * openssl CLI) can be pointed at our keys, JWEs, JWSs and signatures. Not installed.
 * Keys are read as JWK (text starting with '{') or PEM/DER. Exit 0 on success, 1 on a
 * failed operation (message on stderr), 2 on usage errors. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/jose.h"

static int read_file(const char *path, struct buf *b)
{
	_cleanup_close_ int fd = -EBADF;

	*b = BUF_INIT(64 << 20);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return buf_read_fd(b, fd);
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

static int write_out(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : -EIO;
}

static int load_key(const char *path, struct crypto_pk **ret)
{
	_cleanup_(buf_done) struct buf b = {};
	size_t i = 0;
	int r;

	r = read_file(path, &b);
	if (r < 0)
		return r;
	while (i < b.len && (b.data[i] == ' ' || b.data[i] == '\n'))
		i++;
	if (i < b.len && b.data[i] == '{')
		return jose_jwk_import(buf_str(&b), b.len, ret);
	return crypto_pk_import(b.data, b.len, ret);
}

static int parse_md(const char *s, enum digest_alg *ret)
{
	return digest_alg_from_string(s, ret);
}

static int cmd_keygen(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_secret_ struct secret *pem = NULL, *der = NULL;
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED), jwk = BUF_INIT(BUF_UNLIMITED),
				       jwk_pub = BUF_INIT(BUF_UNLIMITED),
				       tee = BUF_INIT(BUF_UNLIMITED),
				       pubder = BUF_INIT(BUF_UNLIMITED);
	const char *type, *dir;
	int r;

	if (argc != 3)
		return -EINVAL;
	type = argv[1];
	dir = argv[2];
	if (streq(type, "ec-p256"))
		r = crypto_pk_generate_ec(CRYPTO_CURVE_P256, &k);
	else if (streq(type, "ec-p384"))
		r = crypto_pk_generate_ec(CRYPTO_CURVE_P384, &k);
	else if (streq(type, "ec-p521"))
		r = crypto_pk_generate_ec(CRYPTO_CURVE_P521, &k);
	else if (startswith(type, "rsa"))
		r = crypto_pk_generate_rsa((unsigned) atoi(type + 3), &k);
	else
		return -EINVAL;
	if (r < 0)
		return r;
	if ((r = crypto_pk_export_private_pem(k, &pem)) < 0 ||
	    (r = crypto_pk_export_private_der(k, &der)) < 0 ||
	    (r = crypto_pk_export_public_pem(k, &pub)) < 0 ||
	    (r = crypto_pk_export_public_der(k, &pubder)) < 0 ||
	    (r = jose_jwk_export(k, true, &jwk)) < 0 ||
	    (r = jose_jwk_export(k, false, &jwk_pub)) < 0 ||
	    (r = jose_tee_pubkey_jwk_string(k, NULL, &tee)) < 0)
		return r;
	if ((r = write_file(dir, "priv.pem", pem->p, pem->n)) < 0 ||
	    (r = write_file(dir, "priv.der", der->p, der->n)) < 0 ||
	    (r = write_file(dir, "pub.pem", pub.data, pub.len)) < 0 ||
	    (r = write_file(dir, "pub.der", pubder.data, pubder.len)) < 0 ||
	    (r = write_file(dir, "priv.jwk", jwk.data, jwk.len)) < 0 ||
	    (r = write_file(dir, "pub.jwk", jwk_pub.data, jwk_pub.len)) < 0 ||
	    (r = write_file(dir, "tee.jwk", tee.data, tee.len)) < 0)
		return r;
	return 0;
}

/* decrypt KEY JWE-FILE */
static int cmd_decrypt(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {};
	_cleanup_secret_ struct secret *pt = NULL;
	int r;

	if (argc != 3)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = read_file(argv[2], &in)) < 0 ||
	    (r = jose_jwe_decrypt(buf_str(&in), in.len, k, &pt)) < 0)
		return r;
	return write_out(pt->p, pt->n);
}

/* encrypt KEY ALG ENC PLAINTEXT-FILE [AAD] */
static int cmd_encrypt(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {}, out = BUF_INIT(BUF_UNLIMITED);
	const char *aad = argc > 5 ? argv[5] : NULL;
	int r;

	if (argc != 5 && argc != 6)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = read_file(argv[4], &in)) < 0 ||
	    (r = jose_jwe_encrypt(k, argv[2], argv[3], aad, aad ? strlen(aad) : 0, in.data, in.len,
				  &out)) < 0)
		return r;
	return write_out(out.data, out.len);
}

/* sign KEY ALG KID PAYLOAD-FILE ("-" for no kid) */
static int cmd_sign(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {}, out = BUF_INIT(BUF_UNLIMITED);
	int r;

	if (argc != 5)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = read_file(argv[4], &in)) < 0 ||
	    (r = jose_jws_sign(k, argv[2], streq(argv[3], "-") ? NULL : argv[3], in.data, in.len,
			       &out)) < 0)
		return r;
	return write_out(out.data, out.len);
}

/* verify KEY ALG JWS-FILE: prints the payload */
static int cmd_verify(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {};
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
	const uint8_t *p;
	size_t n;
	int r;

	if (argc != 4)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = read_file(argv[3], &in)) < 0)
		return r;
	/* Peers may end the file with a newline; the compact form has none. */
	while (in.len && (in.data[in.len - 1] == '\n' || in.data[in.len - 1] == '\r'))
		buf_truncate(&in, in.len - 1);
	if ((r = jose_jws_parse(buf_str(&in), in.len, &jws)) < 0 ||
	    (r = jose_jws_verify(jws, k, argv[2])) < 0)
		return r;
	p = jose_jws_payload(jws, &n);
	return write_out(p, n);
}

static int sig_scheme(const char *s, enum crypto_sig *ret)
{
	if (streq(s, "ecdsa-der"))
		*ret = CRYPTO_SIG_ECDSA_DER;
	else if (streq(s, "ecdsa-raw"))
		*ret = CRYPTO_SIG_ECDSA_RAW;
	else if (streq(s, "pkcs1"))
		*ret = CRYPTO_SIG_RSA_PKCS1;
	else if (streq(s, "pss"))
		*ret = CRYPTO_SIG_RSA_PSS;
	else
		return -EINVAL;
	return 0;
}

/* sig-sign KEY SCHEME MD FILE: raw signature on stdout */
static int cmd_sig_sign(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {}, sig = BUF_INIT(BUF_UNLIMITED);
	enum crypto_sig scheme;
	enum digest_alg md;
	uint8_t h[DIGEST_MAX_SIZE];
	int r;

	if (argc != 5)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = sig_scheme(argv[2], &scheme)) < 0 ||
	    (r = parse_md(argv[3], &md)) < 0 || (r = read_file(argv[4], &in)) < 0)
		return r;
	digest_buf(md, in.data, in.len, h);
	r = crypto_pk_sign(k, scheme, md, h, digest_size(md), &sig);
	if (r < 0)
		return r;
	return write_out(sig.data, sig.len);
}

/* sig-verify KEY SCHEME MD FILE SIG-FILE */
static int cmd_sig_verify(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {}, sig = {};
	enum crypto_sig scheme;
	enum digest_alg md;
	uint8_t h[DIGEST_MAX_SIZE];
	int r;

	if (argc != 6)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = sig_scheme(argv[2], &scheme)) < 0 ||
	    (r = parse_md(argv[3], &md)) < 0 || (r = read_file(argv[4], &in)) < 0 ||
	    (r = read_file(argv[5], &sig)) < 0)
		return r;
	digest_buf(md, in.data, in.len, h);
	return crypto_pk_verify(k, scheme, md, h, digest_size(md), sig.data, sig.len);
}

static int rsa_pad(const char *s, enum crypto_rsa_pad *ret)
{
	if (streq(s, "oaep256"))
		*ret = CRYPTO_RSA_OAEP_SHA256;
	else if (streq(s, "oaep1"))
		*ret = CRYPTO_RSA_OAEP_SHA1;
	else if (streq(s, "pkcs1"))
		*ret = CRYPTO_RSA_PKCS1_V15;
	else
		return -EINVAL;
	return 0;
}

/* rsa-encrypt KEY PAD FILE / rsa-decrypt KEY PAD FILE */
static int cmd_rsa(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf in = {}, out = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *pt = NULL;
	enum crypto_rsa_pad pad;
	int r;

	if (argc != 4)
		return -EINVAL;
	if ((r = load_key(argv[1], &k)) < 0 || (r = rsa_pad(argv[2], &pad)) < 0 ||
	    (r = read_file(argv[3], &in)) < 0)
		return r;
	if (streq(argv[0], "rsa-encrypt")) {
		r = crypto_rsa_encrypt(k, pad, in.data, in.len, &out);
		return r < 0 ? r : write_out(out.data, out.len);
	}
	r = crypto_rsa_decrypt(k, pad, in.data, in.len, &pt);
	return r < 0 ? r : write_out(pt->p, pt->n);
}

/* ecdh PRIVATE-KEY PEER-KEY: the shared secret on stdout */
static int cmd_ecdh(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *a = NULL, *b = NULL;
	_cleanup_secret_ struct secret *z = NULL;
	int r;

	if (argc != 3)
		return -EINVAL;
	if ((r = load_key(argv[1], &a)) < 0 || (r = load_key(argv[2], &b)) < 0 ||
	    (r = crypto_ecdh(a, b, &z)) < 0)
		return r;
	return write_out(z->p, z->n);
}

/* export KEY FORM: re-export a loaded key (priv-pem, pub-pem, jwk, pub-jwk, tee-jwk) */
static int cmd_export(int argc, char **argv)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_secret_ struct secret *pem = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	int r;

	if (argc != 3)
		return -EINVAL;
	r = load_key(argv[1], &k);
	if (r < 0)
		return r;
	if (streq(argv[2], "priv-pem")) {
		r = crypto_pk_export_private_pem(k, &pem);
		return r < 0 ? r : write_out(pem->p, pem->n);
	}
	if (streq(argv[2], "pub-pem"))
		r = crypto_pk_export_public_pem(k, &out);
	else if (streq(argv[2], "jwk"))
		r = jose_jwk_export(k, true, &out);
	else if (streq(argv[2], "pub-jwk"))
		r = jose_jwk_export(k, false, &out);
	else if (streq(argv[2], "tee-jwk"))
		r = jose_tee_pubkey_jwk_string(k, NULL, &out);
	else
		return -EINVAL;
	return r < 0 ? r : write_out(out.data, out.len);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "keygen", cmd_keygen },         { "decrypt", cmd_decrypt },
	{ "encrypt", cmd_encrypt },       { "sign", cmd_sign },
	{ "verify", cmd_verify },         { "sig-sign", cmd_sig_sign },
	{ "sig-verify", cmd_sig_verify }, { "rsa-encrypt", cmd_rsa },
	{ "rsa-decrypt", cmd_rsa },       { "ecdh", cmd_ecdh },
	{ "export", cmd_export },
};

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		if (!streq(argv[1], cmds[i].name))
			continue;
		int r = cmds[i].fn(argc - 1, argv + 1);
		if (r == -EINVAL)
			goto usage;
		if (r < 0) {
			fprintf(stderr, "jose-tool %s: %s\n", argv[1], strerror(-r));
			return 1;
		}
		return 0;
	}
usage:
	fprintf(stderr, "usage: jose-tool keygen|decrypt|encrypt|sign|verify|sig-sign|"
			"sig-verify|rsa-encrypt|rsa-decrypt|ecdh|export ARGS...\n");
	return 2;
}
