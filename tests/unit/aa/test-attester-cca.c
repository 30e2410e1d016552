/* SPDX-License-Identifier: Apache-2.0 */
/* The CCA attester: the {"token":[...]} text for the published example token, the
 * challenge limit, and detection only on aarch64. The configfs-tsm round trip runs in
 * tests/integration/test-attester-tdx.sh. */
#include <fcntl.h>
#include <stdlib.h>

#include "aa/attesters/attester-cca.c"
#include "common/fs.h"
#include "tests/unit/tests.h"

static void test_token_json(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED), tok = BUF_INIT(65536),
				       want = BUF_INIT(BUF_UNLIMITED);
	const char *v = getenv("COCOBOX_VECTORS_DIR");
	char p[PATH_MAX];

	ASSERT_OK(cca_evidence_json((const uint8_t *) "\x00\x01\xff", 3, &out));
	ASSERT_STREQ(buf_str(&out), "{\"token\":[0,1,255]}");
	buf_reset(&out);
	ASSERT_OK(cca_evidence_json(NULL, 0, &out));
	ASSERT_STREQ(buf_str(&out), "{\"token\":[]}");

	(void) snprintf(p, sizeof(p), "%s/cca/cca-example-token.cbor", v ? v : VECTORS_DIR);
	if (fs_read_file(AT_FDCWD, p, &tok) < 0)
		SKIP("../shared/vectors is absent");
	buf_reset(&out);
	ASSERT_OK(cca_evidence_json(tok.data, tok.len, &out));
	/* Tag 399 (CCA collection) opens the token: d9 01 8f. */
	ASSERT_TRUE(startswith(buf_str(&out), "{\"token\":[217,1,143,") != NULL);
	ASSERT_OK(buf_append_str(&want, "{\"token\":["));
	for (size_t i = 0; i < tok.len; i++)
		ASSERT_OK(buf_appendf(&want, "%s%u", i ? "," : "", tok.data[i]));
	ASSERT_OK(buf_append_str(&want, "]}"));
	ASSERT_STREQ(buf_str(&out), buf_str(&want));
}

static void test_limits_and_detect(void)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	uint8_t c[65] = { 0 };

	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", "/nonexistent-cocobox-root", 1));
	ASSERT_ERR(attester_cca.evidence(c, sizeof(c), &out), -EINVAL);
	ASSERT_ERR(attester_cca.evidence(c, 64, &out), -EOPNOTSUPP);
	ASSERT_EQ(out.len, 0);
	ASSERT_TRUE(!attester_cca.detect());
	ASSERT_TRUE(attester_cca.mr_extend == NULL && attester_cca.bind_initdata == NULL);
	ASSERT_STREQ(attester_cca.name, "cca");
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
}

TESTS(test_token_json, test_limits_and_detect)
