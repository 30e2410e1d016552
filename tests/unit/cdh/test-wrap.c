/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/wrap: A256GCM (McGrew-Viega GCM test case 14) and A256CTR (NIST SP 800-38A F.5.5)
 * known answers in upstream's layouts, round trips, and the refusals. */
#include <stdio.h>

#include "cdh/wrap.h"
#include "tests/unit/tests.h"

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;

		ASSERT_EQ(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t) v;
	}
}

static void test_names(void)
{
	enum wrap_type t;

	ASSERT_OK(wrap_type_from_string("A256GCM", &t));
	ASSERT_EQ(t, WRAP_A256GCM);
	ASSERT_OK(wrap_type_from_string("A256CTR", &t));
	ASSERT_EQ(t, WRAP_A256CTR);
	ASSERT_ERR(wrap_type_from_string("a256gcm", &t), -EOPNOTSUPP);
	ASSERT_ERR(wrap_type_from_string("A128GCM", &t), -EOPNOTSUPP);
	ASSERT_STREQ(wrap_type_to_string(WRAP_A256CTR), "A256CTR");
	ASSERT_EQ(wrap_type_iv_size(WRAP_A256GCM), 12);
	ASSERT_EQ(wrap_type_iv_size(WRAP_A256CTR), 16);
}

static void test_gcm_known_answer(void)
{
	uint8_t key[32] = {}, iv[12] = {}, pt[16] = {}, want[32];
	_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *back = NULL;

	unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919", want);
	ASSERT_OK(wrap_encrypt(WRAP_A256GCM, key, 32, iv, 12, pt, 16, &ct));
	ASSERT_EQ(ct.len, 32);
	ASSERT_MEMEQ(ct.data, want, 32);
	ASSERT_OK(wrap_decrypt(WRAP_A256GCM, key, 32, iv, 12, want, 32, &back));
	ASSERT_EQ(back->n, 16);
	ASSERT_MEMEQ(back->p, pt, 16);
	want[31] ^= 1;
	ASSERT_ERR(wrap_decrypt(WRAP_A256GCM, key, 32, iv, 12, want, 32, &back), -EKEYREJECTED);
	ASSERT_ERR(wrap_decrypt(WRAP_A256GCM, key, 32, iv, 12, want, 15, &back), -EBADMSG);
	ASSERT_ERR(wrap_decrypt(WRAP_A256GCM, key, 32, iv, 16, want, 32, &back), -EBADMSG);
	ASSERT_ERR(wrap_decrypt(WRAP_A256GCM, key, 16, iv, 12, want, 32, &back), -ENOKEY);
}

static void test_ctr_known_answer(void)
{
	uint8_t key[32], iv[16], pt[16], want[16];
	_cleanup_(buf_done) struct buf ct = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *back = NULL;

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv);
	unhex("6bc1bee22e409f96e93d7e117393172a", pt);
	unhex("601ec313775789a5b7a7f504bbf3d228", want);
	ASSERT_OK(wrap_encrypt(WRAP_A256CTR, key, 32, iv, 16, pt, 16, &ct));
	ASSERT_EQ(ct.len, 16);
	ASSERT_MEMEQ(ct.data, want, 16);
	ASSERT_OK(wrap_decrypt(WRAP_A256CTR, key, 32, iv, 16, want, 16, &back));
	ASSERT_MEMEQ(back->p, pt, 16);
	ASSERT_ERR(wrap_decrypt(WRAP_A256CTR, key, 32, iv, 12, want, 16, &back), -EBADMSG);
	ASSERT_ERR(wrap_encrypt(WRAP_A256CTR, key, 31, iv, 16, pt, 16, &ct), -ENOKEY);
}

TESTS(test_names, test_gcm_known_answer, test_ctr_known_answer)
