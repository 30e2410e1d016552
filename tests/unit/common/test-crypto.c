/* SPDX-License-Identifier: Apache-2.0 */
/* common/crypto: RFC 3394 key-wrap vectors, McGrew-Viega GCM vectors, SP 800-38A CTR,
 * RFC 6979 deterministic ECDSA, keys in every PEM/DER form we read or write, and RSA
 * ciphertexts/signatures from a second implementation (test-keys.h). */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/b64.h"
#include "common/crypto.h"
#include "tests/unit/common/test-keys.h"
#include "tests/unit/tests.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;

	ASSERT_OK(digest_unhex(s, 2 * n, out, n));
	return n;
}

#define ASSERT_HEX(p, n, want)                                                                     \
	do {                                                                                       \
		char _h[2 * (n) + 1];                                                              \
		ASSERT_STREQ(digest_hex((p), (n), _h), (want));                                    \
	} while (0)

static void test_random(void)
{
	uint8_t a[2000], b[2000], zero[2000] = {};

	ASSERT_OK(crypto_random(a, sizeof(a)));
	ASSERT_OK(crypto_random(b, sizeof(b)));
	ASSERT_TRUE(memcmp(a, zero, sizeof(a)) != 0);
	ASSERT_TRUE(memcmp(a, b, sizeof(a)) != 0);
	ASSERT_OK(crypto_random(a, 0));
}

static void test_random_after_fork_differs(void)
{
	uint8_t parent[32], child[32];
	int fds[2], status;
	pid_t pid;

	ASSERT_OK(crypto_random(parent, 1)); /* make sure the DRBG is seeded before fork */
	ASSERT_OK(pipe(fds));
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		if (crypto_random(child, sizeof(child)) < 0 ||
		    write(fds[1], child, sizeof(child)) != (ssize_t) sizeof(child))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ASSERT_OK(crypto_random(parent, sizeof(parent)));
	ASSERT_EQ(read(fds[0], child, sizeof(child)), (ssize_t) sizeof(child));
	close(fds[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_TRUE(memcmp(parent, child, sizeof(parent)) != 0);
}

static void test_rfc3394_key_wrap(void)
{
	static const struct {
		size_t kek, data;
		const char *wrapped;
	} v[] = {
		{ 16, 16, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5" },
		{ 24, 16, "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d" },
		{ 32, 16, "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7" },
		{ 24, 24, "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2" },
		{ 32, 24, "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1" },
		{ 32, 32,
		  "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd2"
		  "1" },
	};
	uint8_t kek[32], data[32], out[40], w[40];

	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", kek);
	unhex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f", data);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_secret_ struct secret *plain = NULL;
		size_t wl = unhex(v[i].wrapped, w);

		ASSERT_OK(crypto_aes_kw_wrap(kek, v[i].kek, data, v[i].data, out));
		ASSERT_MEMEQ(out, w, wl);
		ASSERT_OK(crypto_aes_kw_unwrap(kek, v[i].kek, w, wl, &plain));
		ASSERT_EQ(plain->n, v[i].data);
		ASSERT_MEMEQ(plain->p, data, v[i].data);
		/* Any flipped bit fails the integrity check. */
		w[wl / 2] ^= 0x01;
		ASSERT_ERR(crypto_aes_kw_unwrap(kek, v[i].kek, w, wl, &plain), -EKEYREJECTED);
	}
	_cleanup_secret_ struct secret *s = NULL;
	ASSERT_ERR(crypto_aes_kw_unwrap(kek, 32, w, 16, &s), -EBADMSG);
	ASSERT_ERR(crypto_aes_kw_unwrap(kek, 32, w, 25, &s), -EBADMSG);
	ASSERT_ERR(crypto_aes_kw_unwrap(kek, 20, w, 24, &s), -EINVAL);
	ASSERT_ERR(crypto_aes_kw_wrap(kek, 32, data, 8, out), -EINVAL);
	ASSERT_ERR(crypto_aes_kw_wrap(kek, 32, data, 17, out), -EINVAL);
}

static void test_gcm_vectors(void)
{
	static const char *const P_HEX =
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a31"
	    "8a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b"
	    "391aafd255";
	static const struct {
		const char *key, *iv, *aad;
		size_t plen; /* 0, 16 zero bytes (z), or a prefix of P_HEX */
		bool zeros;
		const char *ct, *tag;
	} v[] = {
		/* McGrew-Viega test cases 1, 2, 3, 4, 6, 13, 14, 15, 16 */
		{ "00000000000000000000000000000000", "000000000000000000000000", "", 0, false, "",
		  "58e2fccefa7e3061367f1d57a4e7455a" },
		{ "00000000000000000000000000000000", "000000000000000000000000", "", 16, true,
		  "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "", 64, false,
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c"
		  "7d"
		  "8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		  "4d5c2af327cd64a62cf35abd2ba6fab4" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2", 60, false,
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c"
		  "7d"
		  "8f6a5aac84aa051ba30b396a0aac973d58e091",
		  "5bc94fbc3221a5db94fae95ae7121a47" },
		{ "feffe9928665731c6d6a8f9467308308",
		  "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539"
		  "fc"
		  "f0e2429a6b525416aedbf5a0de6a57a637b39b",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2", 60, false,
		  "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90"
		  "cc"
		  "dcb281d48c7c6fd62875d2aca417034c34aee5",
		  "619cc5aefffe0bfa462af43c1699d050" },
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", 0, false, "",
		  "530f8afbc74536b9a963b4f1c4cb738b" },
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", 16, true, "cea7403d4d606b6e074ec5d3baf39d18",
		  "d0d1c8a799996bf0265b98b5d48ab919" },
		{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "", 64, false,
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3d"
		  "a7"
		  "b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
		  "b094dac5d93471bdec1a502270e3cc6c" },
		{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", 60, false,
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3d"
		  "a7"
		  "b08b1056828838c5f61e6393ba7a0abcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	};
	uint8_t p_all[64];

	unhex(P_HEX, p_all);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		uint8_t key[32], iv[64], aad[32], p[64] = {}, ct[64], out[64], tag[16];
		size_t kl = unhex(v[i].key, key), ivl = unhex(v[i].iv, iv),
		       al = unhex(v[i].aad, aad);

		if (!v[i].zeros)
			memcpy(p, p_all, v[i].plen);
		ASSERT_OK(crypto_aes_gcm_encrypt(key, kl, iv, ivl, aad, al, p, v[i].plen, ct, tag));
		ASSERT_HEX(ct, v[i].plen, v[i].ct);
		ASSERT_HEX(tag, 16, v[i].tag);
		ASSERT_OK(
		    crypto_aes_gcm_decrypt(key, kl, iv, ivl, aad, al, ct, v[i].plen, tag, out));
		ASSERT_MEMEQ(out, p, v[i].plen);
		/* In place. */
		memcpy(out, ct, v[i].plen);
		ASSERT_OK(
		    crypto_aes_gcm_decrypt(key, kl, iv, ivl, aad, al, out, v[i].plen, tag, out));
		ASSERT_MEMEQ(out, p, v[i].plen);
		/* Tag, ciphertext and AAD are all authenticated. */
		tag[15] ^= 1;
		ASSERT_ERR(
		    crypto_aes_gcm_decrypt(key, kl, iv, ivl, aad, al, ct, v[i].plen, tag, out),
		    -EKEYREJECTED);
		tag[15] ^= 1;
		if (v[i].plen) {
			ct[0] ^= 0x80;
			memset(out, 0xee, sizeof(out));
			ASSERT_ERR(crypto_aes_gcm_decrypt(key, kl, iv, ivl, aad, al, ct, v[i].plen,
							  tag, out),
				   -EKEYREJECTED);
			/* Nothing of the forged plaintext is left behind. */
			for (size_t k = 0; k < v[i].plen; k++)
				ASSERT_EQ(out[k], 0);
			ct[0] ^= 0x80;
		}
		if (al)
			ASSERT_ERR(crypto_aes_gcm_decrypt(key, kl, iv, ivl, aad, al - 1, ct,
							  v[i].plen, tag, out),
				   -EKEYREJECTED);
	}
	uint8_t k[32] = {}, iv[12] = {}, tag[16];
	ASSERT_ERR(crypto_aes_gcm_encrypt(k, 20, iv, 12, NULL, 0, "", 0, k, tag), -EINVAL);
	ASSERT_ERR(crypto_aes_gcm_encrypt(k, 32, iv, 0, NULL, 0, "", 0, k, tag), -EINVAL);
}

#define CTR_KEY "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"

static void test_ctr_sp800_38a(void)
{
	/* SP 800-38A F.5.5 CTR-AES256.Encrypt */
	uint8_t key[32], iv[16], p[64], c[64], out[64];

	unhex(CTR_KEY, key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv);
	unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5f"
	      "bc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
	      p);
	unhex("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87"
	      "017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
	      c);
	ASSERT_OK(crypto_aes_ctr(key, 32, iv, p, 64, out));
	ASSERT_MEMEQ(out, c, 64);
	ASSERT_OK(crypto_aes_ctr(key, 32, iv, c, 64, out));
	ASSERT_MEMEQ(out, p, 64);
	ASSERT_ERR(crypto_aes_ctr(key, 31, iv, c, 64, out), -EINVAL);
}

static void test_ctr_128bit_counter(void)
{
	/* Keystreams (AES-256 over zeros) from python3-cryptography's CTR, which like upstream's
	 * Ctr128BE carries across the 64-bit boundary and wraps at 2^128. */
	static const struct {
		const char *iv, *stream;
	} v[] = {
		{ "0000000000000000ffffffffffffffff", "289e23e13ec8c34291f27c4ccf3eaa29579be1a0d892"
						      "238805feb810a4a10aaa51ffb50816f5e9fa954d"
						      "2604f081f8dc" },
		{ "ffffffffffffffffffffffffffffffff", "3b3c2921c85a24de9ac606ce6d1d60cce568f68194cf"
						      "76d6174d4cc04310a85491151e5d0b7a1f1bc0d7"
						      "acd0ae3e51e4" },
	};
	uint8_t key[32], iv[16], zero[48] = {}, out[48];

	unhex(CTR_KEY, key);
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		unhex(v[i].iv, iv);
		ASSERT_OK(crypto_aes_ctr(key, 32, iv, zero, sizeof(zero), out));
		ASSERT_HEX(out, 48, v[i].stream);
	}
}

static void test_ctr_streaming_chunks(void)
{
	static uint8_t in[10007], one[10007], out[10007];
	static const size_t steps[] = { 1, 5, 15, 16, 17, 33, 1000 };
	uint8_t key[32], iv[16];

	unhex(CTR_KEY, key);
	memset(iv, 0xa5, sizeof(iv));
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t) (i * 7);
	ASSERT_OK(crypto_aes_ctr(key, 32, iv, in, sizeof(in), one));
	for (size_t k = 0; k < ELEMENTSOF(steps); k++) {
		_cleanup_(crypto_aes_ctr_freep) struct crypto_aes_ctr *c = NULL;

		ASSERT_OK(crypto_aes_ctr_new(key, 32, iv, &c));
		memcpy(out, in, sizeof(in));
		for (size_t off = 0, n; off < sizeof(in); off += n) {
			n = MIN(steps[k] + off % 3, sizeof(in) - off);
			crypto_aes_ctr_update(c, out + off, n, out + off); /* in place */
		}
		ASSERT_MEMEQ(out, one, sizeof(out));
	}
}

static void test_ec_keys_roundtrip(void)
{
	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++) {
		_cleanup_pk_ struct crypto_pk *k = NULL, *k2 = NULL, *pub = NULL, *pub2 = NULL,
					      *raw = NULL;
		_cleanup_secret_ struct secret *pem = NULL, *der = NULL, *d = NULL;
		_cleanup_(buf_done) struct buf ppem = BUF_INIT(BUF_UNLIMITED),
					       pder = BUF_INIT(BUF_UNLIMITED);
		uint8_t x[66], y[66], x2[66], y2[66];
		size_t n = crypto_curve_size(c);

		ASSERT_OK(crypto_pk_generate_ec(c, &k));
		ASSERT_EQ(crypto_pk_type(k), CRYPTO_PK_EC);
		ASSERT_EQ(crypto_pk_curve(k), c);
		ASSERT_TRUE(crypto_pk_is_private(k));
		ASSERT_EQ(crypto_pk_bits(k), c == CRYPTO_CURVE_P521 ? 521 : 8 * n);

		/* Upstream's tee_keypair form for EC: PKCS#8. */
		ASSERT_OK(crypto_pk_export_private_pem(k, &pem));
		ASSERT_TRUE(startswith((const char *) pem->p, "-----BEGIN PRIVATE KEY-----\n"));
		ASSERT_TRUE(endswith((const char *) pem->p, "-----END PRIVATE KEY-----\n"));
		ASSERT_EQ(strlen((const char *) pem->p), pem->n);
		ASSERT_OK(crypto_pk_import(pem->p, pem->n, &k2));
		ASSERT_TRUE(crypto_pk_is_private(k2));
		ASSERT_OK(crypto_pk_ec_get_public(k, x, y));
		ASSERT_OK(crypto_pk_ec_get_public(k2, x2, y2));
		ASSERT_MEMEQ(x, x2, n);
		ASSERT_MEMEQ(y, y2, n);
		k2 = crypto_pk_free(k2);

		ASSERT_OK(crypto_pk_export_private_der(k, &der));
		ASSERT_EQ(der->p[0], 0x30);
		ASSERT_OK(crypto_pk_import(der->p, der->n, &k2));
		ASSERT_TRUE(crypto_pk_is_private(k2));

		ASSERT_OK(crypto_pk_export_public_pem(k, &ppem));
		ASSERT_TRUE(startswith(buf_str(&ppem), "-----BEGIN PUBLIC KEY-----\n"));
		ASSERT_OK(crypto_pk_import(ppem.data, ppem.len, &pub));
		ASSERT_TRUE(!crypto_pk_is_private(pub));
		ASSERT_OK(crypto_pk_export_public_der(k, &pder));
		ASSERT_OK(crypto_pk_import(pder.data, pder.len, &pub2));
		ASSERT_TRUE(!crypto_pk_is_private(pub2));
		ASSERT_OK(crypto_pk_ec_get_public(pub2, x2, y2));
		ASSERT_MEMEQ(x, x2, n);
		_cleanup_secret_ struct secret *nope = NULL;
		ASSERT_ERR(crypto_pk_export_private_pem(pub, &nope), -EINVAL);
		ASSERT_ERR(crypto_pk_ec_get_private(pub, &nope), -EINVAL);

		/* Raw parts round-trip; a mismatched d is refused. */
		ASSERT_OK(crypto_pk_ec_get_private(k, &d));
		ASSERT_EQ(d->n, n);
		ASSERT_OK(crypto_pk_ec_from_raw(c, x, y, d->p, &raw));
		ASSERT_TRUE(crypto_pk_is_private(raw));
		raw = crypto_pk_free(raw);
		ASSERT_OK(crypto_pk_ec_from_raw(c, x, y, NULL, &raw));
		ASSERT_TRUE(!crypto_pk_is_private(raw));
		raw = crypto_pk_free(raw);
		d->p[n - 1] ^= 1;
		ASSERT_ERR(crypto_pk_ec_from_raw(c, x, y, d->p, &raw), -EBADMSG);
		y[n - 1] ^= 1; /* off the curve */
		ASSERT_ERR(crypto_pk_ec_from_raw(c, x, y, NULL, &raw), -EBADMSG);
		memset(x, 0xff, n); /* x >= p */
		ASSERT_ERR(crypto_pk_ec_from_raw(c, x, y, NULL, &raw), -EBADMSG);
	}
}

static void test_import_forms(void)
{
	_cleanup_pk_ struct crypto_pk *a = NULL, *b = NULL, *e = NULL, *x = NULL;
	_cleanup_(buf_done) struct buf na = BUF_INIT(BUF_UNLIMITED), nb = BUF_INIT(BUF_UNLIMITED),
				       ea = BUF_INIT(BUF_UNLIMITED), eb = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *pem = NULL;

	/* RSA: PKCS#1 and PKCS#8 of one key. */
	ASSERT_OK(crypto_pk_import(rsa_pkcs1_pem, strlen(rsa_pkcs1_pem), &a));
	ASSERT_OK(crypto_pk_import(rsa_pkcs8_pem, strlen(rsa_pkcs8_pem), &b));
	ASSERT_EQ(crypto_pk_type(a), CRYPTO_PK_RSA);
	ASSERT_EQ(crypto_pk_curve(a), CRYPTO_CURVE_NONE);
	ASSERT_EQ(crypto_pk_bits(a), 2048);
	ASSERT_OK(crypto_pk_rsa_get_public(a, &na, &ea));
	ASSERT_OK(crypto_pk_rsa_get_public(b, &nb, &eb));
	ASSERT_EQ(na.len, 256);
	ASSERT_EQ(ea.len, 3);
	ASSERT_MEMEQ(ea.data, "\x01\x00\x01", 3);
	ASSERT_TRUE(na.len == nb.len && memcmp(na.data, nb.data, na.len) == 0);
	/* Upstream's tee_keypair form for RSA: PKCS#1, as OpenSSL's -traditional wrote it. */
	ASSERT_OK(crypto_pk_export_private_pem(b, &pem));
	ASSERT_STREQ((const char *) pem->p, rsa_pkcs1_pem);

	/* EC: SEC1 in. */
	ASSERT_OK(crypto_pk_import(ec_sec1_pem, strlen(ec_sec1_pem), &e));
	ASSERT_EQ(crypto_pk_curve(e), CRYPTO_CURVE_P256);
	ASSERT_TRUE(crypto_pk_is_private(e));

	/* Refused. */
	ASSERT_ERR(crypto_pk_import(secp256k1_pem, strlen(secp256k1_pem), &x), -EOPNOTSUPP);
	ASSERT_ERR(crypto_pk_import(ed25519_pem, strlen(ed25519_pem), &x), -EOPNOTSUPP);
	/* The same key as DER (the PEM's one base64 line): mbedTLS tries every DER form in
	 * turn and reports the last failure, so without the label it is just malformed. */
	const char *line = strchr(ed25519_pem, '\n') + 1;
	_cleanup_(buf_done) struct buf der = BUF_INIT(BUF_UNLIMITED);
	ASSERT_OK(b64_decode(B64_STD, line, strcspn(line, "\n"), &der));
	ASSERT_ERR(crypto_pk_import(der.data, der.len, &x), -EBADMSG);
	ASSERT_ERR(crypto_pk_import(ec_encrypted_pem, strlen(ec_encrypted_pem), &x), -EBADMSG);
	ASSERT_ERR(crypto_pk_import(rsa_pkcs1_pem, 200, &x), -EBADMSG);
	ASSERT_ERR(crypto_pk_import("hello", 5, &x), -EBADMSG);
	ASSERT_ERR(crypto_pk_import("", 0, &x), -EBADMSG);
	ASSERT_ERR(crypto_pk_import("-----BEGIN PRIVATE KEY-----\n\0x", 31, &x), -EBADMSG);
	ASSERT_TRUE(x == NULL);
}

static void test_rsa_raw_parts(void)
{
	_cleanup_pk_ struct crypto_pk *a = NULL, *b = NULL, *pub = NULL, *x = NULL;
	_cleanup_(buf_done) struct buf n = BUF_INIT(BUF_UNLIMITED), e = BUF_INIT(BUF_UNLIMITED),
				       sig = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(crypto_rsa_private_done) struct crypto_rsa_private k = {};
	struct crypto_bytes none = {};
	uint8_t h[32];

	ASSERT_OK(crypto_pk_import(rsa_pkcs1_pem, strlen(rsa_pkcs1_pem), &a));
	ASSERT_OK(crypto_pk_rsa_get_public(a, &n, &e));
	ASSERT_OK(crypto_pk_rsa_get_private(a, &k));
	ASSERT_EQ(k.p->n, 128);
	ASSERT_EQ(k.q->n, 128);
	ASSERT_OK(crypto_pk_rsa_from_raw(
	    (struct crypto_bytes){ n.data, n.len }, (struct crypto_bytes){ e.data, e.len },
	    (struct crypto_bytes){ k.d->p, k.d->n }, (struct crypto_bytes){ k.p->p, k.p->n },
	    (struct crypto_bytes){ k.q->p, k.q->n }, &b));
	ASSERT_TRUE(crypto_pk_is_private(b));
	ASSERT_OK(crypto_pk_rsa_from_raw((struct crypto_bytes){ n.data, n.len },
					 (struct crypto_bytes){ e.data, e.len }, none, none, none,
					 &pub));
	ASSERT_TRUE(!crypto_pk_is_private(pub));
	/* The rebuilt private key signs, the rebuilt public key verifies. */
	digest_buf(DIGEST_SHA256, "x", 1, h);
	ASSERT_OK(crypto_pk_sign(b, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h, 32, &sig));
	ASSERT_OK(
	    crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h, 32, sig.data, sig.len));
	/* d alone: p and q are recovered. */
	x = NULL;
	ASSERT_OK(crypto_pk_rsa_from_raw((struct crypto_bytes){ n.data, n.len },
					 (struct crypto_bytes){ e.data, e.len },
					 (struct crypto_bytes){ k.d->p, k.d->n }, none, none, &x));
	x = crypto_pk_free(x);
	/* Inconsistent or short keys. */
	k.d->p[10] ^= 1;
	ASSERT_ERR(crypto_pk_rsa_from_raw((struct crypto_bytes){ n.data, n.len },
					  (struct crypto_bytes){ e.data, e.len },
					  (struct crypto_bytes){ k.d->p, k.d->n },
					  (struct crypto_bytes){ k.p->p, k.p->n },
					  (struct crypto_bytes){ k.q->p, k.q->n }, &x),
		   -EBADMSG);
	ASSERT_ERR(crypto_pk_rsa_from_raw((struct crypto_bytes){ n.data, 128 },
					  (struct crypto_bytes){ e.data, e.len }, none, none, none,
					  &x),
		   -EOPNOTSUPP);
	ASSERT_ERR(crypto_pk_rsa_from_raw(none, (struct crypto_bytes){ e.data, e.len }, none, none,
					  none, &x),
		   -EBADMSG);
}

static void test_rsa_generate(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL, *k2 = NULL;
	_cleanup_secret_ struct secret *pem = NULL, *pt = NULL;
	_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED);

	ASSERT_ERR(crypto_pk_generate_rsa(1024, &k), -EINVAL);
	ASSERT_OK(crypto_pk_generate_rsa(2048, &k));
	ASSERT_EQ(crypto_pk_bits(k), 2048);
	ASSERT_OK(crypto_pk_export_private_pem(k, &pem));
	ASSERT_TRUE(startswith((const char *) pem->p, "-----BEGIN RSA PRIVATE KEY-----\n"));
	ASSERT_OK(crypto_pk_import(pem->p, pem->n, &k2));
	ASSERT_OK(crypto_rsa_encrypt(k2, CRYPTO_RSA_OAEP_SHA256, "hi", 2, &ct));
	ASSERT_OK(crypto_rsa_decrypt(k, CRYPTO_RSA_OAEP_SHA256, ct.data, ct.len, &pt));
	ASSERT_EQ(pt->n, 2);
	ASSERT_MEMEQ(pt->p, "hi", 2);
}

static void test_rsa_decrypt_peer(void)
{
	static const struct {
		enum crypto_rsa_pad pad;
		const char *ct;
	} v[] = {
		{ CRYPTO_RSA_OAEP_SHA256, peer_oaep256 },
		{ CRYPTO_RSA_OAEP_SHA1, peer_oaep1 },
		{ CRYPTO_RSA_PKCS1_V15, peer_pkcs1 },
	};
	_cleanup_pk_ struct crypto_pk *k = NULL, *pub = NULL;
	const size_t plen = strlen(PEER_PLAINTEXT);

	ASSERT_OK(crypto_pk_import(rsa_pkcs8_pem, strlen(rsa_pkcs8_pem), &k));
	ASSERT_OK(crypto_pk_public(k, &pub));
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_secret_ struct secret *pt = NULL;
		_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED);
		uint8_t bad[256];

		ASSERT_OK(crypto_rsa_decrypt(k, v[i].pad, v[i].ct, 256, &pt));
		ASSERT_EQ(pt->n, plen);
		ASSERT_MEMEQ(pt->p, PEER_PLAINTEXT, plen);
		pt = secret_free(pt);
		/* A different padding or a tampered ciphertext does not decrypt. */
		ASSERT_ERR(crypto_rsa_decrypt(k, (v[i].pad + 1) % 3, v[i].ct, 256, &pt),
			   -EKEYREJECTED);
		memcpy(bad, v[i].ct, 256);
		bad[200] ^= 4;
		ASSERT_ERR(crypto_rsa_decrypt(k, v[i].pad, bad, 256, &pt), -EKEYREJECTED);
		ASSERT_ERR(crypto_rsa_decrypt(k, v[i].pad, bad, 255, &pt), -EBADMSG);
		ASSERT_ERR(crypto_rsa_decrypt(pub, v[i].pad, v[i].ct, 256, &pt), -EINVAL);
		/* And our own encryption round-trips. */
		ASSERT_OK(crypto_rsa_encrypt(pub, v[i].pad, "abc", 3, &ct));
		ASSERT_EQ(ct.len, 256);
		ASSERT_OK(crypto_rsa_decrypt(k, v[i].pad, ct.data, ct.len, &pt));
		ASSERT_EQ(pt->n, 3);
	}
	_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED);
	uint8_t big[256] = {};
	ASSERT_ERR(crypto_rsa_encrypt(pub, CRYPTO_RSA_OAEP_SHA256, big, 256 - 65, &ct), -E2BIG);
	ASSERT_OK(crypto_rsa_encrypt(pub, CRYPTO_RSA_OAEP_SHA256, big, 256 - 66, &ct));
}

static void test_rsa_signatures_peer(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL, *pub = NULL;
	uint8_t h256[32], h384[48], bad[256];

	ASSERT_OK(crypto_pk_import(rsa_pkcs1_pem, strlen(rsa_pkcs1_pem), &k));
	ASSERT_OK(crypto_pk_public(k, &pub));
	digest_buf(DIGEST_SHA256, PEER_PLAINTEXT, strlen(PEER_PLAINTEXT), h256);
	digest_buf(DIGEST_SHA384, PEER_PLAINTEXT, strlen(PEER_PLAINTEXT), h384);
	ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PSS, DIGEST_SHA256, h256, 32,
				   peer_pss_sha256, 256));
	ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PSS, DIGEST_SHA384, h384, 48,
				   peer_pss_sha384_maxsalt, 256));
	ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 32,
				   peer_pkcs1_sha256, 256));
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PSS, DIGEST_SHA256, h256, 32,
				    peer_pkcs1_sha256, 256),
		   -EKEYREJECTED);
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 32,
				    peer_pss_sha256, 256),
		   -EKEYREJECTED);
	memcpy(bad, peer_pkcs1_sha256, 256);
	bad[0] ^= 0x40;
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 32, bad, 256),
		   -EKEYREJECTED);
	memset(bad, 0xff, sizeof(bad)); /* >= n */
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 32, bad, 256),
		   -EKEYREJECTED);
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 32, bad, 255),
		   -EBADMSG);
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h256, 32, bad, 64),
		   -EINVAL);
	ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PKCS1, DIGEST_SHA256, h256, 31, bad, 256),
		   -EINVAL);

	/* Ours, both schemes and all hashes, verify. */
	for (enum digest_alg md = DIGEST_SHA256; md <= DIGEST_SHA512; md++)
		for (int pss = 0; pss < 2; pss++) {
			_cleanup_(buf_done) struct buf sig = BUF_INIT(BUF_UNLIMITED);
			enum crypto_sig s = pss ? CRYPTO_SIG_RSA_PSS : CRYPTO_SIG_RSA_PKCS1;
			uint8_t h[64];

			digest_buf(md, "m", 1, h);
			ASSERT_ERR(crypto_pk_sign(pub, s, md, h, digest_size(md), &sig), -EINVAL);
			ASSERT_OK(crypto_pk_sign(k, s, md, h, digest_size(md), &sig));
			ASSERT_EQ(sig.len, 256);
			ASSERT_OK(
			    crypto_pk_verify(pub, s, md, h, digest_size(md), sig.data, sig.len));
			h[0] ^= 1;
			ASSERT_ERR(
			    crypto_pk_verify(pub, s, md, h, digest_size(md), sig.data, sig.len),
			    -EKEYREJECTED);
		}
}

/* RFC 8032 §7.1, TEST 1 (empty message), TEST 2 (one byte) and TEST 3 (two bytes). */
/* r or s of zero, or at least the group order, never verify (SEC 1 §4.1.4 step 1). */
static void test_ecdsa_out_of_range(void)
{
	static const enum crypto_curve cv[] = { CRYPTO_CURVE_P256, CRYPTO_CURVE_P384,
						CRYPTO_CURVE_P521 };

	for (size_t i = 0; i < ELEMENTSOF(cv); i++) {
		_cleanup_pk_ struct crypto_pk *k = NULL;
		_cleanup_(buf_done) struct buf sig = BUF_INIT(BUF_UNLIMITED);
		uint8_t h[32] = { 1, 2, 3 }, bad[2 * 66];
		size_t n = crypto_curve_size(cv[i]);

		ASSERT_OK(crypto_pk_generate_ec(cv[i], &k));
		ASSERT_OK(crypto_pk_sign(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, &sig));
		ASSERT_OK(crypto_pk_verify(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, sig.data,
					   sig.len));
		memcpy(bad, sig.data, 2 * n);
		memset(bad, 0, n); /* r = 0 */
		ASSERT_ERR(
		    crypto_pk_verify(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, bad, 2 * n),
		    -EKEYREJECTED);
		memcpy(bad, sig.data, 2 * n);
		memset(bad + n, 0, n); /* s = 0 */
		ASSERT_ERR(
		    crypto_pk_verify(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, bad, 2 * n),
		    -EKEYREJECTED);
		memcpy(bad, sig.data, 2 * n);
		memset(bad, 0xff, n); /* r above the order (P-521's top byte holds 1 bit) */
		if (n == 66)
			bad[0] = 0x01;
		ASSERT_ERR(
		    crypto_pk_verify(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, bad, 2 * n),
		    -EKEYREJECTED);
	}
}

static void test_ed25519_rfc8032(void)
{
	static const struct {
		const char *pub, *msg, *sig;
	} v[] = {
		{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
		{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
		  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	};
	uint8_t pub[32], sig[64], msg[4];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		size_t n = unhex(v[i].msg, msg);

		unhex(v[i].pub, pub);
		unhex(v[i].sig, sig);
		ASSERT_OK(crypto_ed25519_verify(pub, msg, n, sig));
		/* Any flipped bit of the signature, the message or the key is refused. */
		sig[63] ^= 0x01;
		ASSERT_ERR(crypto_ed25519_verify(pub, msg, n, sig), -EKEYREJECTED);
		sig[63] ^= 0x01;
		sig[0] ^= 0x80;
		ASSERT_ERR(crypto_ed25519_verify(pub, msg, n, sig), -EKEYREJECTED);
		sig[0] ^= 0x80;
		msg[n] = 0;
		ASSERT_ERR(crypto_ed25519_verify(pub, msg, n + 1, sig), -EKEYREJECTED);
		pub[5] ^= 0x10;
		ASSERT_ERR(crypto_ed25519_verify(pub, msg, n, sig), -EKEYREJECTED);
	}
}

static void test_ecdsa_rfc6979(void)
{
	/* RFC 6979 A.2.5: P-256, SHA-256. */
	static const struct {
		const char *msg, *sig;
	} v[] = {
		{ "sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
			    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
		{ "test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
			  "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
	};
	uint8_t d[32], x[32], y[32], h[32];
	_cleanup_pk_ struct crypto_pk *k = NULL, *pub = NULL;

	unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", d);
	unhex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6", x);
	unhex("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299", y);
	ASSERT_OK(crypto_pk_ec_from_raw(CRYPTO_CURVE_P256, x, y, d, &k));
	ASSERT_OK(crypto_pk_ec_from_raw(CRYPTO_CURVE_P256, x, y, NULL, &pub));
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(buf_done) struct buf sig = BUF_INIT(BUF_UNLIMITED),
					       der = BUF_INIT(BUF_UNLIMITED);
		char hex[129];

		digest_buf(DIGEST_SHA256, v[i].msg, strlen(v[i].msg), h);
		ASSERT_OK(crypto_pk_sign(k, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32, &sig));
		ASSERT_EQ(sig.len, 64);
		ASSERT_STREQ(digest_hex(sig.data, 64, hex), v[i].sig);
		ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, DIGEST_SHA256, h, 32,
					   sig.data, 64));
		/* DER carries the same r and s. */
		ASSERT_OK(crypto_pk_sign(k, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA256, h, 32, &der));
		ASSERT_EQ(der.data[0], 0x30);
		ASSERT_TRUE(memmem(der.data, der.len, sig.data, 32) != NULL);
		ASSERT_TRUE(memmem(der.data, der.len, sig.data + 32, 32) != NULL);
		ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA256, h, 32,
					   der.data, der.len));
	}
}

static void test_ecdsa_all_curves(void)
{
	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++)
		for (enum digest_alg md = DIGEST_SHA256; md <= DIGEST_SHA512; md++) {
			_cleanup_pk_ struct crypto_pk *k = NULL, *pub = NULL;
			_cleanup_(buf_done) struct buf sig = BUF_INIT(BUF_UNLIMITED),
						       der = BUF_INIT(BUF_UNLIMITED);
			size_t n = crypto_curve_size(c), hl = digest_size(md);
			uint8_t h[64], bad[200];

			ASSERT_OK(crypto_pk_generate_ec(c, &k));
			ASSERT_OK(crypto_pk_public(k, &pub));
			digest_buf(md, "msg", 3, h);
			ASSERT_OK(crypto_pk_sign(k, CRYPTO_SIG_ECDSA_RAW, md, h, hl, &sig));
			ASSERT_EQ(sig.len, 2 * n);
			ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, md, h, hl, sig.data,
						   sig.len));
			ASSERT_OK(crypto_pk_sign(k, CRYPTO_SIG_ECDSA_DER, md, h, hl, &der));
			ASSERT_OK(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_DER, md, h, hl, der.data,
						   der.len));
			ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, md, h, hl, sig.data,
						    sig.len - 1),
				   -EBADMSG);
			memcpy(bad, sig.data, sig.len);
			bad[n + 3] ^= 0x10;
			ASSERT_ERR(
			    crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, md, h, hl, bad, sig.len),
			    -EKEYREJECTED);
			memset(bad, 0, sig.len); /* r = s = 0 */
			ASSERT_ERR(
			    crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_RAW, md, h, hl, bad, sig.len),
			    -EKEYREJECTED);
			memcpy(bad, der.data, der.len);
			bad[der.len] = 0; /* trailing byte */
			ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_DER, md, h, hl, bad,
						    der.len + 1),
				   -EBADMSG);
			ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_ECDSA_DER, md, h, hl, bad, 5),
				   -EBADMSG);
			ASSERT_ERR(crypto_pk_verify(pub, CRYPTO_SIG_RSA_PSS, md, h, hl, bad, 5),
				   -EINVAL);
		}
}

static void test_ecdsa_peer_der(void)
{
	_cleanup_pk_ struct crypto_pk *k = NULL;
	uint8_t h[32];

	ASSERT_OK(crypto_pk_import(ec_sec1_pem, strlen(ec_sec1_pem), &k));
	digest_buf(DIGEST_SHA256, PEER_PLAINTEXT, strlen(PEER_PLAINTEXT), h);
	ASSERT_OK(crypto_pk_verify(k, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA256, h, 32,
				   peer_ecdsa_der_sha256, sizeof(peer_ecdsa_der_sha256) - 1));
	h[5] ^= 1;
	ASSERT_ERR(crypto_pk_verify(k, CRYPTO_SIG_ECDSA_DER, DIGEST_SHA256, h, 32,
				    peer_ecdsa_der_sha256, sizeof(peer_ecdsa_der_sha256) - 1),
		   -EKEYREJECTED);
}

static void test_ecdh(void)
{
	for (enum crypto_curve c = CRYPTO_CURVE_P256; c <= CRYPTO_CURVE_P521; c++) {
		_cleanup_pk_ struct crypto_pk *a = NULL, *b = NULL, *apub = NULL, *bpub = NULL,
					      *other = NULL;
		_cleanup_secret_ struct secret *z1 = NULL, *z2 = NULL, *z3 = NULL;

		ASSERT_OK(crypto_pk_generate_ec(c, &a));
		ASSERT_OK(crypto_pk_generate_ec(c, &b));
		ASSERT_OK(crypto_pk_public(a, &apub));
		ASSERT_OK(crypto_pk_public(b, &bpub));
		ASSERT_OK(crypto_ecdh(a, bpub, &z1));
		ASSERT_OK(crypto_ecdh(b, apub, &z2));
		ASSERT_EQ(z1->n, crypto_curve_size(c));
		ASSERT_EQ(z2->n, z1->n);
		ASSERT_MEMEQ(z1->p, z2->p, z1->n);
		ASSERT_ERR(crypto_ecdh(apub, b, &z3), -EINVAL);
		ASSERT_OK(crypto_pk_generate_ec(
		    c == CRYPTO_CURVE_P256 ? CRYPTO_CURVE_P384 : CRYPTO_CURVE_P256, &other));
		ASSERT_ERR(crypto_ecdh(a, other, &z3), -EINVAL);
		ASSERT_TRUE(z3 == NULL);
	}
}

static void test_curve_names(void)
{
	enum crypto_curve c;

	ASSERT_OK(crypto_curve_from_string("P-521", &c));
	ASSERT_EQ(c, CRYPTO_CURVE_P521);
	ASSERT_ERR(crypto_curve_from_string("P-192", &c), -EOPNOTSUPP);
	ASSERT_ERR(crypto_curve_from_string("p-256", &c), -EOPNOTSUPP);
	ASSERT_STREQ(crypto_curve_to_string(CRYPTO_CURVE_P384), "P-384");
	ASSERT_TRUE(crypto_curve_to_string(CRYPTO_CURVE_NONE) == NULL);
	ASSERT_EQ(crypto_curve_size(CRYPTO_CURVE_P521), 66);
	ASSERT_EQ(crypto_curve_size(CRYPTO_CURVE_NONE), 0);
}

/* Two threads use one RSA key with different paddings at once: each operation must see
 * its own padding mode. */
static struct crypto_pk *shared_key;

static void *decrypt_loop(void *arg)
{
	enum crypto_rsa_pad pad = (enum crypto_rsa_pad)(intptr_t) arg;
	const char *ct = pad == CRYPTO_RSA_OAEP_SHA256 ? peer_oaep256 : peer_pkcs1;

	for (int i = 0; i < 40; i++) {
		_cleanup_secret_ struct secret *pt = NULL;

		if (crypto_rsa_decrypt(shared_key, pad, ct, 256, &pt) < 0)
			return (void *) 1;
	}
	return NULL;
}

static void test_threads_share_key(void)
{
	pthread_t t[2];
	void *ret;

	ASSERT_OK(crypto_pk_import(rsa_pkcs8_pem, strlen(rsa_pkcs8_pem), &shared_key));
	ASSERT_OK(
	    pthread_create(&t[0], NULL, decrypt_loop, (void *) (intptr_t) CRYPTO_RSA_OAEP_SHA256));
	ASSERT_OK(
	    pthread_create(&t[1], NULL, decrypt_loop, (void *) (intptr_t) CRYPTO_RSA_PKCS1_V15));
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(pthread_join(t[i], &ret));
		ASSERT_TRUE(ret == NULL);
	}
	shared_key = crypto_pk_free(shared_key);
}

TESTS(test_random, test_random_after_fork_differs, test_rfc3394_key_wrap, test_gcm_vectors,
      test_ctr_sp800_38a, test_ctr_128bit_counter, test_ctr_streaming_chunks,
      test_ec_keys_roundtrip, test_import_forms, test_rsa_raw_parts, test_rsa_generate,
      test_rsa_decrypt_peer, test_rsa_signatures_peer, test_ecdsa_out_of_range,
      test_ed25519_rfc8032, test_ecdsa_rfc6979, test_ecdsa_all_curves, test_ecdsa_peer_der,
      test_ecdh, test_curve_names, test_threads_share_key)
