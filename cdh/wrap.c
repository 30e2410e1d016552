/* SPDX-License-Identifier: Apache-2.0 */
/* A256GCM / A256CTR over common/crypto (cdh/wrap.h). */
#include <string.h>

#include "cdh/wrap.h"
#include "common/crypto.h"

int wrap_type_from_string(const char *s, enum wrap_type *ret)
{
	if (streq(s, "A256GCM"))
		*ret = WRAP_A256GCM;
	else if (streq(s, "A256CTR"))
		*ret = WRAP_A256CTR;
	else
		return -EOPNOTSUPP;
	return 0;
}

const char *wrap_type_to_string(enum wrap_type t)
{
	return t == WRAP_A256GCM ? "A256GCM" : "A256CTR";
}

size_t wrap_type_iv_size(enum wrap_type t)
{
	return t == WRAP_A256GCM ? CRYPTO_GCM_IV_SIZE : CRYPTO_AES_BLOCK_SIZE;
}

int wrap_decrypt(enum wrap_type t, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const uint8_t *in, size_t n, struct secret **ret)
{
	_cleanup_secret_ struct secret *out = NULL;
	int r;

	if (klen != WRAP_KEY_SIZE)
		return -ENOKEY;
	if (ivlen != wrap_type_iv_size(t))
		return -EBADMSG;
	if (t == WRAP_A256GCM) {
		if (n < CRYPTO_GCM_TAG_SIZE)
			return -EBADMSG;
		n -= CRYPTO_GCM_TAG_SIZE;
	}
	out = secret_alloc(n);
	if (!out)
		return -ENOMEM;
	if (t == WRAP_A256GCM)
		r = crypto_aes_gcm_decrypt(key, klen, iv, ivlen, NULL, 0, in, n, in + n, out->p);
	else
		r = crypto_aes_ctr(key, klen, iv, in, n, out->p);
	if (r < 0)
		return r;
	*ret = steal_ptr(out);
	return 0;
}

int wrap_encrypt(enum wrap_type t, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const void *in, size_t n, struct buf *out)
{
	size_t extra = t == WRAP_A256GCM ? CRYPTO_GCM_TAG_SIZE : 0;
	uint8_t *p;
	int r;

	if (klen != WRAP_KEY_SIZE)
		return -ENOKEY;
	if (ivlen != wrap_type_iv_size(t))
		return -EBADMSG;
	r = buf_reserve(out, n + extra);
	if (r < 0)
		return r;
	p = out->data + out->len;
	if (t == WRAP_A256GCM)
		r = crypto_aes_gcm_encrypt(key, klen, iv, ivlen, NULL, 0, in, n, p, p + n);
	else
		r = crypto_aes_ctr(key, klen, iv, in, n, p);
	if (r < 0)
		return r;
	out->len += n + extra;
	out->data[out->len] = 0;
	return 0;
}
