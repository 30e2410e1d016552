/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/ocicrypt.c and the encrypted path of layer.c: AES-256-CTR known answer (NIST
 * SP 800-38A F.5.5), HMAC and plaintext-digest refusals, pubopts/private options parsing,
 * key recovery through JWE (RSA-OAEP as skopeo's jwe: RSA keys, ECDH-ES+A256KW as its EC
 * keys) and a keyprovider callback, and an encrypted gzip layer through the pipeline. */
#include <dirent.h>
#include <fcntl.h>
#include <isa-l.h>
#include <json.h>

#include "common/b64.h"
#include "common/fs.h"
#include "common/jose.h"
#include "image-rs/layer.h"
#include "image-rs/ocicrypt.h"
#include "tar-build.h"
#include "tests/unit/tests.h"

static const uint8_t nist_key[32] = { 0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe,
				      0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
				      0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7,
				      0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4 };
static const uint8_t nist_ctr[16] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
				      0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff };
static const uint8_t nist_pt[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				     0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };
static const uint8_t nist_ct[16] = { 0x60, 0x1e, 0xc3, 0x13, 0x77, 0x57, 0x89, 0xa5,
				     0xb7, 0xa7, 0xf5, 0x04, 0xbb, 0xf3, 0xd2, 0x28 };

static void b64(const void *p, size_t n, struct buf *out)
{
	ASSERT_OK(b64_encode(B64_STD, p, n, out));
}

static void b64s(const char *s, struct buf *out)
{
	b64(s, strlen(s), out);
}

/* pubopts annotation value for the HMAC of ct */
static void make_pubopts(const char *cipher, const uint8_t *key, const void *ct, size_t n,
			 struct buf *out)
{
	_cleanup_(buf_done) struct buf j = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf h64 = BUF_INIT(BUF_UNLIMITED);
	uint8_t h[DIGEST_MAX_SIZE];

	digest_hmac(DIGEST_SHA256, key, 32, ct, n, h);
	b64(h, 32, &h64);
	ASSERT_OK(buf_appendf(&j, "{\"cipher\":\"%s\",\"hmac\":\"%s\",\"cipheroptions\":{}}",
			      cipher, buf_str(&h64)));
	b64(j.data, j.len, out);
}

/* private options JSON; digest of pt unless dig given */
static void make_priv(const uint8_t *key, size_t klen, const uint8_t *nonce, size_t nlen,
		      const void *pt, size_t n, const char *dig, struct buf *out)
{
	_cleanup_(buf_done) struct buf k64 = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf n64 = BUF_INIT(BUF_UNLIMITED);
	char s[DIGEST_OCI_STRING_MAX];
	uint8_t d[DIGEST_MAX_SIZE];

	b64(key, klen, &k64);
	b64(nonce, nlen, &n64);
	digest_buf(DIGEST_SHA256, pt, n, d);
	ASSERT_OK(buf_appendf(out,
			      "{\"symkey\":\"%s\",\"digest\":\"%s\",\"cipheroptions\":{"
			      "\"nonce\":\"%s\"}}",
			      buf_str(&k64), dig ? dig : digest_oci_format(DIGEST_SHA256, d, s),
			      buf_str(&n64)));
}

static void test_kat(void)
{
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	struct ocicrypt_layer *l = NULL;
	uint8_t out[16], ct[16];

	make_pubopts(OCICRYPT_CIPHER, nist_key, nist_ct, 16, &pub);
	make_priv(nist_key, 32, nist_ctr, 16, nist_pt, 16, NULL, &priv);
	ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l));
	/* in two pieces: the counter carries over */
	ocicrypt_layer_update(l, nist_ct, 5, out);
	ocicrypt_layer_update(l, nist_ct + 5, 11, out + 5);
	ASSERT_EQ(memcmp(out, nist_pt, 16), 0);
	ASSERT_OK(ocicrypt_layer_finish(l, &why));
	ASSERT_EQ(ocicrypt_layer_digest_ok(l), true);
	ASSERT_ERR(ocicrypt_layer_finish(l, &why), -EINVAL);
	l = ocicrypt_layer_free(l);

	/* a flipped byte: HMAC */
	memcpy(ct, nist_ct, 16);
	ct[7] ^= 0x01;
	ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l));
	ocicrypt_layer_update(l, ct, 16, ct); /* in place */
	ASSERT_ERR(ocicrypt_layer_finish(l, &why), -EKEYREJECTED);
	ASSERT_TRUE(strstr(buf_str(&why), "HMAC"));
	l = ocicrypt_layer_free(l);

	/* truncated: HMAC */
	ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l));
	ocicrypt_layer_update(l, nist_ct, 15, out);
	ASSERT_ERR(ocicrypt_layer_finish(l, NULL), -EKEYREJECTED);
	l = ocicrypt_layer_free(l);

	/* HMAC right, plaintext digest wrong */
	buf_reset(&priv);
	buf_reset(&why);
	make_priv(nist_key, 32, nist_ctr, 16, "other", 5, NULL, &priv);
	ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l));
	ocicrypt_layer_update(l, nist_ct, 16, out);
	ASSERT_OK(ocicrypt_layer_finish(l, &why)); /* reported, not enforced (see header) */
	ASSERT_EQ(ocicrypt_layer_digest_ok(l), false);
	l = ocicrypt_layer_free(l);

	/* no digest: only the HMAC */
	buf_reset(&priv);
	make_priv(nist_key, 32, nist_ctr, 16, "", 0, "", &priv);
	ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l));
	ocicrypt_layer_update(l, nist_ct, 16, out);
	ASSERT_OK(ocicrypt_layer_finish(l, NULL));
	ASSERT_EQ(ocicrypt_layer_digest_ok(l), false);
	ocicrypt_layer_free(l);
}

static void test_bad_opts(void)
{
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct ocicrypt_layer *l = NULL;

	make_priv(nist_key, 32, nist_ctr, 16, "", 0, NULL, &priv);
	make_pubopts("AES_256_GCM", nist_key, "", 0, &pub);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l), -EOPNOTSUPP);
	buf_reset(&pub);
	make_pubopts(OCICRYPT_CIPHER, nist_key, "", 0, &pub);
	ASSERT_ERR(ocicrypt_layer_from_opts(NULL, priv.data, priv.len, &l), -EBADMSG);
	ASSERT_ERR(ocicrypt_layer_from_opts("!!!", priv.data, priv.len, &l), -EBADMSG);
	b64("[1]", 3, &t);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&t), priv.data, priv.len, &l), -EBADMSG);
	buf_reset(&t);
	b64s("{\"cipher\":\"" OCICRYPT_CIPHER "\",\"hmac\":\"AAAA\"}", &t);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&t), priv.data, priv.len, &l), -EBADMSG);
	buf_reset(&t);
	b64s("{\"cipher\":\"" OCICRYPT_CIPHER "\"}", &t);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&t), priv.data, priv.len, &l), -EBADMSG);
	/* private side */
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), "{", 1, &l), -EBADMSG);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), "{}", 2, &l), -EBADMSG);
	buf_reset(&priv);
	make_priv(nist_key, 16, nist_ctr, 16, "", 0, NULL, &priv);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l), -EBADMSG);
	buf_reset(&priv);
	make_priv(nist_key, 32, nist_ctr, 12, "", 0, NULL, &priv);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l), -EBADMSG);
	buf_reset(&priv);
	make_priv(nist_key, 32, nist_ctr, 16, "", 0, "sha256:zz", &priv);
	ASSERT_ERR(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &l), -EBADMSG);
	ASSERT_TRUE(l == NULL);
}

/* annotations with a JWE of the private options for each recipient */
static json_object *jwe_annotations(struct crypto_pk *const *to, size_t n, const char *alg,
				    const char *pub, const struct buf *priv)
{
	_cleanup_(buf_done) struct buf v = BUF_INIT(BUF_UNLIMITED);
	json_object *a = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		_cleanup_(buf_done) struct buf jwe = BUF_INIT(BUF_UNLIMITED);

		ASSERT_OK(
		    jose_jwe_encrypt(to[i], alg, "A256GCM", NULL, 0, priv->data, priv->len, &jwe));
		if (i)
			ASSERT_OK(buf_append_str(&v, ","));
		b64(jwe.data, jwe.len, &v);
	}
	json_object_object_add(a, OCICRYPT_ANN_JWE, json_object_new_string(buf_str(&v)));
	json_object_object_add(a, OCICRYPT_ANN_PUBOPTS, json_object_new_string(pub));
	return a;
}

static void use(struct ocicrypt_layer *l)
{
	uint8_t out[16];

	ASSERT_TRUE(l);
	ocicrypt_layer_update(l, nist_ct, 16, out);
	ASSERT_EQ(memcmp(out, nist_pt, 16), 0);
	ASSERT_OK(ocicrypt_layer_finish(l, NULL));
	ocicrypt_layer_free(l);
}

static void test_jwe(void)
{
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	struct crypto_pk *rsa = NULL, *ec = NULL, *other = NULL;
	struct ocicrypt_layer *l = NULL;
	json_object *a;

	ASSERT_OK(crypto_pk_generate_rsa(2048, &rsa));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &ec));
	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P384, &other));
	make_pubopts(OCICRYPT_CIPHER, nist_key, nist_ct, 16, &pub);
	make_priv(nist_key, 32, nist_ctr, 16, nist_pt, 16, NULL, &priv);

	/* RSA-OAEP (SHA-1), as skopeo's jwe: with an RSA key */
	a = jwe_annotations(&rsa, 1, "RSA-OAEP", buf_str(&pub), &priv);
	ASSERT_OK(ocicrypt_layer_new(&(struct ocicrypt_config){ .jwe_keys = &rsa, .n_jwe_keys = 1 },
				     a, &l, &why));
	use(l);
	/* the wrong key: -ENOKEY naming the annotation */
	ASSERT_ERR(
	    ocicrypt_layer_new(&(struct ocicrypt_config){ .jwe_keys = &other, .n_jwe_keys = 1 }, a,
			       &l, &why),
	    -ENOKEY);
	ASSERT_TRUE(strstr(buf_str(&why), OCICRYPT_ANN_JWE));
	ASSERT_ERR(ocicrypt_layer_new(NULL, a, &l, NULL), -ENOKEY);
	json_object_put(a);

	/* ECDH-ES+A256KW, as with an EC key; two entries, the second one ours */
	{
		struct crypto_pk *to[2] = { other, ec };
		struct crypto_pk *keys[2] = { rsa, ec };

		a = jwe_annotations(to, 2, "ECDH-ES+A256KW", buf_str(&pub), &priv);
		ASSERT_OK(ocicrypt_layer_new(
		    &(struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = 2 }, a, &l, NULL));
		use(l);
		/* no pubopts: nothing to check the HMAC against */
		json_object_object_del(a, OCICRYPT_ANN_PUBOPTS);
		buf_reset(&why);
		ASSERT_ERR(ocicrypt_layer_new(
			       &(struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = 2 }, a,
			       &l, &why),
			   -EBADMSG);
		ASSERT_TRUE(strstr(buf_str(&why), OCICRYPT_ANN_PUBOPTS));
		/* a malformed key annotation */
		json_object_object_add(a, OCICRYPT_ANN_JWE, json_object_new_string("@@"));
		ASSERT_ERR(ocicrypt_layer_new(
			       &(struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = 2 }, a,
			       &l, NULL),
			   -EBADMSG);
		json_object_object_add(a, OCICRYPT_ANN_JWE, json_object_new_int(1));
		ASSERT_ERR(ocicrypt_layer_new(
			       &(struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = 2 }, a,
			       &l, NULL),
			   -EBADMSG);
		/* no key annotation at all */
		json_object_object_del(a, OCICRYPT_ANN_JWE);
		buf_reset(&why);
		ASSERT_ERR(ocicrypt_layer_new(
			       &(struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = 2 }, a,
			       &l, &why),
			   -ENOKEY);
		ASSERT_TRUE(strstr(buf_str(&why), "no key annotation"));
		json_object_put(a);
	}
	ASSERT_ERR(ocicrypt_layer_new(NULL, NULL, &l, NULL), -ENOKEY);
	crypto_pk_free(rsa);
	crypto_pk_free(ec);
	crypto_pk_free(other);
}

struct kp {
	const struct buf *priv;
	unsigned calls;
};

static int provider(void *ud, const char *name, const uint8_t *packet, size_t n,
		    struct secret **ret)
{
	struct kp *k = ud;

	k->calls++;
	if (!streq(name, "attestation-agent"))
		return -ENOKEY;
	if (n != 6 || memcmp(packet, "packet", 6))
		return -EKEYREJECTED;
	*ret = secret_new_copy(k->priv->data, k->priv->len);
	return *ret ? 0 : -ENOMEM;
}

static void test_provider(void)
{
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf v = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	struct kp k = { .priv = &priv };
	struct ocicrypt_config c = { .provider = provider, .provider_userdata = &k };
	struct ocicrypt_layer *l = NULL;
	json_object *a = json_object_new_object();

	make_pubopts(OCICRYPT_CIPHER, nist_key, nist_ct, 16, &pub);
	make_priv(nist_key, 32, nist_ctr, 16, nist_pt, 16, NULL, &priv);
	json_object_object_add(a, OCICRYPT_ANN_PUBOPTS, json_object_new_string(buf_str(&pub)));
	b64("packet", 6, &v);
	json_object_object_add(a, OCICRYPT_ANN_PROVIDER_PREFIX "other",
			       json_object_new_string(buf_str(&v)));
	ASSERT_ERR(ocicrypt_layer_new(&c, a, &l, &why), -ENOKEY);
	json_object_object_add(a, OCICRYPT_ANN_PROVIDER_PREFIX "attestation-agent",
			       json_object_new_string(buf_str(&v)));
	ASSERT_OK(ocicrypt_layer_new(&c, a, &l, NULL));
	ASSERT_EQ(k.calls, 3u); /* "other" in both calls */
	use(l);
	/* no callback: not ours */
	ASSERT_ERR(ocicrypt_layer_new(&(struct ocicrypt_config){}, a, &l, NULL), -ENOKEY);
	/* the provider's refusal passes through */
	buf_reset(&v);
	b64("packex", 6, &v);
	json_object_object_add(a, OCICRYPT_ANN_PROVIDER_PREFIX "attestation-agent",
			       json_object_new_string(buf_str(&v)));
	buf_reset(&why);
	ASSERT_ERR(ocicrypt_layer_new(&c, a, &l, &why), -EKEYREJECTED);
	ASSERT_TRUE(strstr(buf_str(&why), "attestation-agent"));
	json_object_put(a);
}

/* ---- through the layer pipeline ---- */

static int count_dir(const char *path)
{
	int n = 0;
	DIR *d = opendir(path);

	ASSERT_TRUE(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_pipeline(void)
{
	_cleanup_(buf_done) struct buf tar = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf pub = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf priv = BUF_INIT(BUF_UNLIMITED);
	char top[] = "/tmp/cocobox-ocicrypt-XXXXXX", work[96], sub[128];
	char digest[DIGEST_OCI_STRING_MAX], diff_id[DIGEST_OCI_STRING_MAX];
	uint8_t key[32], nonce[16], d[DIGEST_MAX_SIZE], *gz, *ct;
	struct isal_zstream z;
	struct store *st = NULL;
	size_t n;

	ASSERT_TRUE(mkdtemp(top));
	(void) snprintf(work, sizeof(work), "%s/work", top);
	ASSERT_OK(store_open(work, &st));
	tar_add(&tar, &(struct tar_ent){ .name = "etc/", .type = '5' });
	for (int i = 0; i < 64; i++) {
		char name[32], data[600];

		(void) snprintf(name, sizeof(name), "etc/f%d", i);
		memset(data, 'a' + i % 26, sizeof(data) - 1);
		data[sizeof(data) - 1] = 0;
		tar_add(&tar, &(struct tar_ent){ .name = name, .type = '0', .data = data });
	}
	tar_end(&tar);
	gz = malloc(tar.len * 2 + 1024);
	ct = malloc(tar.len * 2 + 1024);
	ASSERT_TRUE(gz && ct);
	isal_deflate_stateless_init(&z);
	z.gzip_flag = IGZIP_GZIP;
	z.end_of_stream = 1;
	z.next_in = tar.data;
	z.avail_in = (uint32_t) tar.len;
	z.next_out = gz;
	z.avail_out = (uint32_t) (tar.len * 2 + 1024);
	ASSERT_EQ(isal_deflate_stateless(&z), COMP_OK);
	n = z.total_out;
	ASSERT_OK(crypto_random(key, sizeof(key)));
	ASSERT_OK(crypto_random(nonce, sizeof(nonce)));
	ASSERT_OK(crypto_aes_ctr(key, 32, nonce, gz, n, ct));
	make_pubopts(OCICRYPT_CIPHER, key, ct, n, &pub);
	make_priv(key, 32, nonce, 16, gz, n, NULL, &priv);
	digest_buf(DIGEST_SHA256, ct, n, d);
	digest_oci_format(DIGEST_SHA256, d, digest);
	digest_buf(DIGEST_SHA256, tar.data, tar.len, d);
	digest_oci_format(DIGEST_SHA256, d, diff_id);
	(void) snprintf(sub, sizeof(sub), "%s/layers", work);

	for (int pass = 0; pass < 3; pass++) {
		struct layer_desc ld = { "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
					 digest, diff_id, n };
		struct layer_job *j = NULL;
		int r;

		/* 0: a flipped byte (the blob digest is for the flipped blob, as when an
		 * attacker also rewrites the manifest), 1: truncated, 2: intact */
		if (pass == 0)
			ct[n / 2] ^= 0x40;
		if (pass == 1)
			ld.size = n - 100;
		digest_buf(DIGEST_SHA256, ct, ld.size, d);
		digest_oci_format(DIGEST_SHA256, d, digest);
		ASSERT_OK(ocicrypt_layer_from_opts(buf_str(&pub), priv.data, priv.len, &ld.enc));
		ASSERT_EQ(store_layer_begin(st, digest, NULL), 0);
		ASSERT_OK(layer_job_new(st, &ld, NULL, &j));
		ASSERT_OK(layer_feed(j, ct, 1000));
		ASSERT_OK(layer_feed(j, ct + 1000, ld.size - 1000));
		r = layer_finish(j, NULL);
		if (pass < 2) {
			ASSERT_ERR(r, -EKEYREJECTED);
			ASSERT_TRUE(strstr(layer_job_error(j), "HMAC"));
		} else
			ASSERT_OK(r);
		layer_job_free(j);
		ASSERT_EQ(count_dir(sub), pass < 2 ? 0 : 1);
		if (pass == 0)
			ct[n / 2] ^= 0x40;
	}
	store_free(st);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, top));
	free(gz);
	free(ct);
}

TESTS(test_kat, test_bad_opts, test_jwe, test_provider, test_pipeline);
