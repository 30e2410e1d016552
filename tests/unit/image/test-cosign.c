/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/signature/cosign.c: signature manifests built here in the layout of testbed
 * appendix A5 (one simple-signing layer, base64 DER ECDSA or RSA signature annotation),
 * signed with keys made by common/crypto, verified through an in-memory blob store. */
#include <errno.h>

#include "common/b64.h"
#include "common/crypto.h"
#include "common/digest.h"
#include "image-rs/reference.h"
#include "image-rs/signature/cosign.h"
#include "tests/unit/tests.h"

#define MDIG "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define IDIG "sha256:2222222222222222222222222222222222222222222222222222222222222222"

struct blobs {
	char digest[4][DIGEST_OCI_STRING_MAX];
	struct buf data[4];
	size_t n;
};

static int get_blob(void *ud, const char *digest, struct buf *out)
{
	struct blobs *b = ud;

	for (size_t i = 0; i < b->n; i++)
		if (streq(b->digest[i], digest))
			return buf_append(out, b->data[i].data, b->data[i].len);
	return -ENOENT;
}

static void blobs_done(struct blobs *b)
{
	for (size_t i = 0; i < b->n; i++)
		buf_done(&b->data[i]);
}

static const char *payload_for(const char *ref, const char *digest)
{
	static char p[512];

	snprintf(p, sizeof(p),
		 "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":{\"docker-"
		 "manifest-digest\":\"%s\"},\"type\":\"cosign container image signature\"},"
		 "\"optional\":null}",
		 ref, digest);
	return p;
}

/* Adds a layer for payload to manifest m (a JSON array body) and its blob; signed with
 * key (NULL: no annotation). */
static void add_layer(struct buf *m, struct blobs *b, const char *payload,
		      const struct crypto_pk *key, enum crypto_sig scheme, enum digest_alg md,
		      bool wrap)
{
	_cleanup_(buf_done) struct buf sig = BUF_INIT(4096), s64 = BUF_INIT(8192);
	uint8_t h[DIGEST_MAX_SIZE], d[32];
	size_t n = strlen(payload);

	digest_buf(DIGEST_SHA256, payload, n, d);
	digest_oci_format(DIGEST_SHA256, d, b->digest[b->n]);
	b->data[b->n] = BUF_INIT(1 << 20);
	ASSERT_OK(buf_append(&b->data[b->n], payload, n));
	ASSERT_OK(buf_appendf(m, "%s{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"",
			      m->len ? "," : "", COSIGN_PAYLOAD_MEDIA_TYPE, n, b->digest[b->n]));
	b->n++;
	if (key) {
		size_t hl = digest_buf(md, payload, n, h);

		ASSERT_OK(crypto_pk_sign(key, scheme, md, h, hl, &sig));
		ASSERT_OK(b64_encode(B64_STD, sig.data, sig.len, &s64));
		if (wrap) /* a line break inside, as some signers leave */
			ASSERT_OK(buf_appendf(m, ",\"annotations\":{\"%s\":\"%.10s\\r\\n%s\"}",
					      COSIGN_SIGNATURE_ANNOTATION, buf_str(&s64),
					      buf_str(&s64) + 10));
		else
			ASSERT_OK(buf_appendf(m, ",\"annotations\":{\"%s\":\"%s\"}",
					      COSIGN_SIGNATURE_ANNOTATION, buf_str(&s64)));
	}
	ASSERT_OK(buf_append_str(m, "}"));
}

static int verify(const struct crypto_pk *key, const struct buf *layers, struct blobs *b,
		  const char *ref, const char *index, const struct policy_identity *id,
		  struct buf *why)
{
	_cleanup_(buf_done) struct buf pem = BUF_INIT(1 << 16), man = BUF_INIT(1 << 20);
	_cleanup_(reference_freep) struct reference *r = NULL;
	struct sig_image img = {};

	ASSERT_OK(crypto_pk_export_public_pem(key, &pem));
	ASSERT_OK(buf_appendf(
	    &man,
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,"
	    "\"digest\":\"sha256:"
	    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\"},"
	    "\"layers\":[%s]}",
	    buf_str(layers)));
	ASSERT_OK(reference_parse(ref, &r, NULL));
	ASSERT_OK(policy_image_from_reference(r, &img));
	img.manifest_digest = MDIG;
	img.index_digest = index;
	return cosign_verify(&img, pem.data, pem.len, id, man.data, man.len, get_blob, b, why);
}

static void test_key_types(void)
{
	static const struct {
		enum crypto_curve curve; /* NONE: RSA */
		enum crypto_sig scheme;
		enum digest_alg md;
	} t[] = {
		{ CRYPTO_CURVE_P256, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA256 },
		{ CRYPTO_CURVE_P384, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA384 },
		{ CRYPTO_CURVE_P521, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA512 },
		{ CRYPTO_CURVE_NONE, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256 },
		{ CRYPTO_CURVE_NONE, CRYPTO_SIG_RSA_PSS, DIGEST_SHA256 },
	};
	_cleanup_pk_ struct crypto_pk *rsa = NULL;

	ASSERT_OK(crypto_pk_generate_rsa(2048, &rsa));
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_pk_ struct crypto_pk *ec = NULL, *other = NULL;
		_cleanup_(buf_done) struct buf l = BUF_INIT(1 << 20), why = BUF_INIT(BUF_UNLIMITED);
		struct blobs b = {};
		const struct crypto_pk *key = rsa;

		if (t[i].curve != CRYPTO_CURVE_NONE) {
			ASSERT_OK(crypto_pk_generate_ec(t[i].curve, &ec));
			key = ec;
		}
		add_layer(&l, &b, payload_for("r.io/a/b", MDIG), key, t[i].scheme, t[i].md, i == 0);
		ASSERT_OK(verify(key, &l, &b, "r.io/a/b:1", NULL, NULL, &why));
		/* The same manifest under another key of the same kind is refused. */
		if (t[i].curve != CRYPTO_CURVE_NONE)
			ASSERT_OK(crypto_pk_generate_ec(t[i].curve, &other));
		else
			ASSERT_OK(crypto_pk_generate_rsa(2048, &other));
		ASSERT_ERR(verify(other, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -EKEYREJECTED);
		blobs_done(&b);
	}
}

static void test_rules(void)
{
	static const struct policy_identity mrepo = { POLICY_ID_MATCH_REPOSITORY };
	static const struct policy_identity erepo = { POLICY_ID_EXACT_REPOSITORY,
						      (char *) "r.io/a/b" };
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &k));
	{
		_cleanup_(buf_done) struct buf l = BUF_INIT(1 << 20);
		struct blobs b = {};

		add_layer(&l, &b, payload_for("r.io/a/b", MDIG), k, CRYPTO_SIG_ECDSA_DER,
			  DIGEST_SHA256, false);
		ASSERT_OK(verify(k, &l, &b, "r.io/a/b:1", NULL, &mrepo, &why));
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/c:1", NULL, &mrepo, &why), -EKEYREJECTED);
		ASSERT_OK(verify(k, &l, &b, "r.io/a/c:1", NULL, &erepo, &why));
		ASSERT_OK(verify(k, &l, &b, "x.io/other:1", NULL, NULL, &why)); /* unchecked */
		blobs_done(&b);
	}
	/* Index digest: accepted only when the image came through that index. */
	{
		_cleanup_(buf_done) struct buf l = BUF_INIT(1 << 20);
		struct blobs b = {};

		add_layer(&l, &b, payload_for("r.io/a/b", IDIG), k, CRYPTO_SIG_ECDSA_DER,
			  DIGEST_SHA256, false);
		ASSERT_OK(verify(k, &l, &b, "r.io/a/b:1", IDIG, NULL, &why));
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -EKEYREJECTED);
		blobs_done(&b);
	}
	/* One signed layer suffices, but every payload must fit (upstream). */
	{
		_cleanup_(buf_done) struct buf l = BUF_INIT(1 << 20);
		struct blobs b = {};

		add_layer(&l, &b, payload_for("r.io/a/b", MDIG), k, CRYPTO_SIG_ECDSA_DER,
			  DIGEST_SHA256, false);
		add_layer(&l, &b, payload_for("r.io/a/b", MDIG), NULL, 0, 0, false);
		ASSERT_OK(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why));
		add_layer(&l, &b, payload_for("r.io/a/b", IDIG), NULL, 0, 0, false);
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -EKEYREJECTED);
		blobs_done(&b);
	}
	/* Unsigned only, a tampered blob, no layers. */
	{
		_cleanup_(buf_done) struct buf l = BUF_INIT(1 << 20);
		struct blobs b = {};

		add_layer(&l, &b, payload_for("r.io/a/b", MDIG), NULL, 0, 0, false);
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -EKEYREJECTED);
		b.data[0].data[10] ^= 1;
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -ENOENT);
		buf_reset(&l);
		ASSERT_ERR(verify(k, &l, &b, "r.io/a/b:1", NULL, NULL, &why), -ENOENT);
		blobs_done(&b);
	}
}

static void test_malformed(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	_cleanup_(buf_done) struct buf pem = BUF_INIT(1 << 16), why = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(reference_freep) struct reference *r = NULL;
	struct sig_image img = {};
	struct blobs b = {};
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"layers\":{}}",
		"{\"layers\":[1]}",
		"{\"layers\":[{\"mediaType\":\"x\"}]}",
		"{\"layers\":[{\"mediaType\":\"x\",\"digest\":\"d\",\"annotations\":[]}]}",
		"{\"layers\":[{\"mediaType\":\"x\",\"digest\":\"d\",\"annotations\":{"
		"\"" COSIGN_SIGNATURE_ANNOTATION "\":5}}]}",
	};

	ASSERT_OK(crypto_pk_generate_ec(CRYPTO_CURVE_P256, &k));
	ASSERT_OK(crypto_pk_export_public_pem(k, &pem));
	ASSERT_OK(reference_parse("r.io/a:b", &r, NULL));
	ASSERT_OK(policy_image_from_reference(r, &img));
	img.manifest_digest = MDIG;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cosign_verify(&img, pem.data, pem.len, NULL, bad[i], strlen(bad[i]), get_blob,
				  &b, &why) != -EBADMSG)
			FAIL_("manifest %zu accepted", i);
	ASSERT_ERR(cosign_verify(&img, "not a key", 9, NULL, "{}", 2, get_blob, &b, &why), -EINVAL);
}

TESTS(test_key_types, test_rules, test_malformed)
