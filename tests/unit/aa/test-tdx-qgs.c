/* SPDX-License-Identifier: Apache-2.0 */
/* The QGS GET_QUOTE messages: the request bytes as Intel's qgs_msg_gen_get_quote_req
 * lays them out, and every way a response can be malformed. The exchange over a socket
 * runs against helpers/qgs-test-server.py in tests/integration/test-attester-tdx.sh. */
#include <sys/socket.h>

#include "aa/attesters/tdx-qgs.h"
#include "tests/unit/tests.h"

static void test_request(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	static const uint8_t head[28] = {
		0x00, 0x00, 0x04, 0x18, /* frame length 24 + 1024, big-endian */
		0x01, 0x00, 0x00, 0x00, /* major 1, minor 0 */
		0x00, 0x00, 0x00, 0x00, /* GET_QUOTE_REQ */
		0x18, 0x04, 0x00, 0x00, /* size 1048 */
		0x00, 0x00, 0x00, 0x00, /* error_code */
		0x00, 0x04, 0x00, 0x00, /* report_size 1024 */
		0x00, 0x00, 0x00, 0x00, /* id_list_size */
	};
	uint8_t report[TDX_QGS_REPORT_SIZE];

	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t) i;
	ASSERT_OK(tdx_qgs_encode_request(report, &b));
	ASSERT_EQ(b.len, sizeof(head) + sizeof(report));
	ASSERT_MEMEQ(b.data, head, sizeof(head));
	ASSERT_MEMEQ(b.data + sizeof(head), report, sizeof(report));
}

/* A response: major, type, size (0: computed), error, id and quote sizes, id, quote. */
static size_t resp(uint8_t *m, uint16_t major, uint32_t type, uint32_t size, uint32_t error,
		   uint32_t id_size, uint32_t quote_size)
{
	uint32_t v[6] = { major, type, size, error, id_size, quote_size };
	size_t n = 24 + id_size + quote_size;

	if (!size)
		v[2] = (uint32_t) n;
	m[0] = (uint8_t) major;
	m[1] = (uint8_t) (major >> 8);
	m[2] = m[3] = 0;
	for (int i = 1; i < 6; i++)
		for (int k = 0; k < 4; k++)
			m[4 * i + k] = (uint8_t) (v[i] >> (8 * k));
	for (size_t i = 24; i < n; i++)
		m[i] = (uint8_t) i;
	return n;
}

static void test_response(void)
{
	_cleanup_(buf_done) struct buf q = BUF_INIT(BUF_UNLIMITED), small = BUF_INIT(10);
	uint8_t m[256];
	size_t n;

	n = resp(m, 1, 1, 0, 0, 0, 100);
	ASSERT_OK(tdx_qgs_parse_response(m, n, &q));
	ASSERT_EQ(q.len, 100);
	ASSERT_MEMEQ(q.data, m + 24, 100);

	/* A selected id comes before the quote and is skipped. */
	buf_reset(&q);
	n = resp(m, 1, 1, 0, 0, 16, 50);
	ASSERT_OK(tdx_qgs_parse_response(m, n, &q));
	ASSERT_EQ(q.len, 50);
	ASSERT_MEMEQ(q.data, m + 40, 50);
	/* A minor version bump is compatible. */
	m[2] = 7;
	buf_reset(&q);
	ASSERT_OK(tdx_qgs_parse_response(m, n, &q));

	ASSERT_ERR(tdx_qgs_parse_response(m, 23, &q), -EBADMSG);
	n = resp(m, 2, 1, 0, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EPROTO);
	n = resp(m, 0x101, 1, 0, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EPROTO);
	n = resp(m, 1, 0, 0, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EPROTO);
	n = resp(m, 1, 1, 125, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EPROTO);
	n = resp(m, 1, 1, 0, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n - 1, &q), -EPROTO);
	/* Sizes that would wrap a 32-bit sum. */
	n = resp(m, 1, 1, 0, 0, 0, 100);
	m[16] = m[17] = m[18] = m[19] = 0xff;
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EPROTO);
	n = resp(m, 1, 1, 0, 0x12001, 0, 0);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EREMOTEIO);
	n = resp(m, 1, 1, 0, 0, 0, 0);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &q), -EBADMSG);
	n = resp(m, 1, 1, 0, 0, 0, 100);
	ASSERT_ERR(tdx_qgs_parse_response(m, n, &small), -E2BIG);
	ASSERT_EQ(small.len, 0);
}

static void test_connect_addresses(void)
{
	int fd = -1;

	ASSERT_ERR(tdx_qgs_connect("tcp:1.2.3.4:4050", &fd), -EINVAL);
	ASSERT_ERR(tdx_qgs_connect("vsock:2", &fd), -EINVAL);
	ASSERT_ERR(tdx_qgs_connect("vsock:2:4050x", &fd), -EINVAL);
	ASSERT_ERR(tdx_qgs_connect("unix:", &fd), -EINVAL);
	ASSERT_ERR(tdx_qgs_connect("unix:/nonexistent-cocobox/qgs.sock", &fd), -ENOENT);
	ASSERT_EQ(fd, -1);
}

static void test_exchange_over_socketpair(void)
{
	_cleanup_(buf_done) struct buf q = BUF_INIT(BUF_UNLIMITED), req = BUF_INIT(BUF_UNLIMITED);
	uint8_t report[TDX_QGS_REPORT_SIZE] = { 0 }, m[4 + 256], got[4 + 24 + 1024];
	int sv[2];
	size_t n;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Queue the answer first: the client sends its request, then reads it. */
	n = resp(m + 4, 1, 1, 0, 0, 0, 64);
	put_be32(m, (uint32_t) n);
	ASSERT_EQ(write(sv[1], m, 4 + n), (ssize_t) (4 + n));
	ASSERT_OK(tdx_qgs_get_quote(sv[0], report, &q));
	ASSERT_EQ(q.len, 64);
	ASSERT_MEMEQ(q.data, m + 4 + 24, 64);
	ASSERT_EQ(read(sv[1], got, sizeof(got)), (ssize_t) sizeof(got));
	ASSERT_OK(tdx_qgs_encode_request(report, &req));
	ASSERT_MEMEQ(got, req.data, sizeof(got));

	/* An announced frame beyond the limit is refused before reading it. */
	put_be32(m, TDX_QGS_MSG_MAX + 1);
	ASSERT_EQ(write(sv[1], m, 4), 4);
	ASSERT_ERR(tdx_qgs_get_quote(sv[0], report, &q), -E2BIG);
	ASSERT_EQ(read(sv[1], got, sizeof(got)), (ssize_t) sizeof(got));
	/* The peer goes away mid-frame. */
	put_be32(m, 100);
	ASSERT_EQ(write(sv[1], m, 14), 14);
	ASSERT_OK(shutdown(sv[1], SHUT_WR));
	ASSERT_ERR(tdx_qgs_get_quote(sv[0], report, &q), -ECONNRESET);
	ASSERT_EQ(q.len, 64);
	close(sv[0]);
	close(sv[1]);
}

TESTS(test_request, test_response, test_connect_addresses, test_exchange_over_socketpair)
