/* SPDX-License-Identifier: Apache-2.0 */
/* JOSE parsers under fixed keys. The first byte picks the path so one corpus covers all:
 * 'E' JWE decrypt with an EC P-256 key, 'R' JWE decrypt with an RSA-2048 key, 'S' JWS
 * parse + verify (EC and RSA), 'K' JWK import (and export of what imports). Anything may
 * fail, but only with the documented errors, and a success must hold up. */
#include <stdio.h>

#include "common/jose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 7515 A.3 (P-256) and RFC 7520 §4.1 (RSA-2048) keys: the corpus was made for them. */
static const char ec_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			     "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			     "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
			     "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";
static const char rsa_jwk[] =
    "{\"kty\":\"RSA\","
    "\"n\":\""
    "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0"
    "VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBord"
    "aZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzw"
    "OHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwU"
    "kRz5iaiQkqgc5gHdrNP5zw"
    "\","
    "\"e\":\""
    "AQAB"
    "\","
    "\"d\":\""
    "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ"
    "-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqp"
    "aIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h"
    "-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau"
    "7gdsPfHPxxjVOcOpBrQzwQ"
    "\","
    "\"p\":\""
    "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4"
    "Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJls"
    "Pp6Zv8bUq0k"
    "\","
    "\"q\":\""
    "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrU"
    "eq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB"
    "3pVFJ0s7pFc"
    "\"}";

static struct crypto_pk *ec_key, *rsa_key;
static volatile uint8_t sink;

static void load_keys(void)
{
	if (ec_key)
		return;
	if (jose_jwk_import(ec_jwk, strlen(ec_jwk), &ec_key) < 0 ||
	    jose_jwk_import(rsa_jwk, strlen(rsa_jwk), &rsa_key) < 0)
		abort();
}

static bool documented(int r)
{
	return r >= 0 || r == -EBADMSG || r == -EKEYREJECTED || r == -ENOKEY || r == -EOPNOTSUPP ||
	       r == -E2BIG || r == -ENOMEM;
}

static void fuzz_jwe(const char *s, size_t n, const struct crypto_pk *key)
{
	_cleanup_secret_ struct secret *pt = NULL;
	int r = jose_jwe_decrypt(s, n, key, &pt);

	if (!documented(r) || (r < 0) != (pt == NULL))
		abort();
	/* Read every byte so ASan checks the whole plaintext. */
	if (pt)
		for (size_t i = 0; i < pt->n; i++)
			sink ^= pt->p[i];
}

static void fuzz_jws(const char *s, size_t n)
{
	_cleanup_(jose_jws_freep) struct jose_jws *jws = NULL;
	const uint8_t *p;
	size_t len;
	int r;

	r = jose_jws_parse(s, n, &jws);
	if (!documented(r))
		abort();
	if (r < 0)
		return;
	if (!jose_jws_alg(jws) || !jose_jws_header(jws))
		abort();
	p = jose_jws_payload(jws, &len);
	for (size_t i = 0; i <= len; i++) /* NUL-terminated, like buf_str() */
		sink ^= p[i];
	if (!documented(jose_jws_verify(jws, ec_key, NULL)) ||
	    !documented(jose_jws_verify(jws, rsa_key, NULL)) ||
	    !documented(jose_jws_verify(jws, ec_key, "ES256")))
		abort();
}

static void fuzz_jwk(const char *s, size_t n)
{
	_cleanup_pk_ struct crypto_pk *k = NULL, *again = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	int r;

	r = jose_jwk_import(s, n, &k);
	if (!documented(r))
		abort();
	if (r < 0)
		return;
	/* What imports must export and import again. */
	if (jose_jwk_export(k, crypto_pk_is_private(k), &out) < 0 ||
	    jose_jwk_import(buf_str(&out), out.len, &again) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data + 1;

	load_keys();
	if (size < 1 || size > (1 << 20))
		return 0;
	switch (data[0]) {
	case 'E':
		fuzz_jwe(s, size - 1, ec_key);
		break;
	case 'R':
		fuzz_jwe(s, size - 1, rsa_key);
		break;
	case 'S':
		fuzz_jws(s, size - 1);
		break;
	case 'K':
		fuzz_jwk(s, size - 1);
		break;
	default:
		break;
	}
	return 0;
}
