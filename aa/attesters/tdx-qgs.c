/* SPDX-License-Identifier: Apache-2.0 */
/* The QGS GET_QUOTE exchange (contract in tdx-qgs.h). Layout and checks follow Intel
 * DCAP qgs_msg_lib: header { u16 major = 1, u16 minor, u32 type, u32 size of the whole
 * message, u32 error_code }, request += { u32 report_size, u32 id_list_size, report },
 * response += { u32 selected_id_size, u32 quote_size, id, quote }, all little-endian;
 * on vsock and UNIX sockets each message is preceded by its length as a big-endian u32. */
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "aa/attesters/tdx-qgs.h"
#include "common/log.h"

#define QGS_MAJOR 1
#define QGS_MINOR 0
#define QGS_GET_QUOTE_REQ 0
#define QGS_GET_QUOTE_RESP 1
#define QGS_HEADER_SIZE 16
#define QGS_QUOTE_MSG_SIZE (QGS_HEADER_SIZE + 8) /* header + two u32 sizes */
#define QGS_TIMEOUT_MS 30000

int tdx_qgs_encode_request(const uint8_t *report, struct buf *out)
{
	uint8_t h[4 + QGS_QUOTE_MSG_SIZE];
	const uint32_t size = QGS_QUOTE_MSG_SIZE + TDX_QGS_REPORT_SIZE;
	int r;

	put_be32(h, size);
	put_le16(h + 4, QGS_MAJOR);
	put_le16(h + 6, QGS_MINOR);
	put_le32(h + 8, QGS_GET_QUOTE_REQ);
	put_le32(h + 12, size);
	put_le32(h + 16, 0); /* error_code: responses only */
	put_le32(h + 20, TDX_QGS_REPORT_SIZE);
	put_le32(h + 24, 0); /* no id list: QGS picks its default quoting enclave */
	r = buf_append(out, h, sizeof(h));
	if (r < 0)
		return r;
	return buf_append(out, report, TDX_QGS_REPORT_SIZE);
}

int tdx_qgs_parse_response(const uint8_t *msg, size_t n, struct buf *out)
{
	uint32_t type, size, error, id_size, quote_size;

	if (n < QGS_QUOTE_MSG_SIZE)
		return -EBADMSG;
	/* Only the major version is checked; a minor change is compatible (qgs_msg_lib). */
	if (msg[0] != QGS_MAJOR || msg[1] != 0)
		return log_debug_errno(-EPROTO, "QGS message version %u is not %u",
				       (unsigned) msg[0] | (unsigned) msg[1] << 8, QGS_MAJOR);
	type = get_le32(msg + 4);
	size = get_le32(msg + 8);
	error = get_le32(msg + 12);
	id_size = get_le32(msg + 16);
	quote_size = get_le32(msg + 20);
	if (type != QGS_GET_QUOTE_RESP)
		return log_debug_errno(-EPROTO, "QGS answered message type %" PRIu32, type);
	/* 64-bit sums: the two u32 sizes cannot wrap around. */
	if (size != n || (uint64_t) QGS_QUOTE_MSG_SIZE + id_size + quote_size != n)
		return log_debug_errno(-EPROTO, "QGS response sizes are inconsistent");
	if (error != 0)
		return log_debug_errno(-EREMOTEIO, "QGS refused the quote: error 0x%" PRIx32,
				       error);
	if (quote_size == 0)
		return -EBADMSG;
	return buf_append(out, msg + QGS_QUOTE_MSG_SIZE + id_size, quote_size);
}

int tdx_qgs_connect(const char *addr, int *ret_fd)
{
	_cleanup_close_ int fd = -EBADF;
	const char *rest;

	if (streq(addr, "vsock") || (rest = startswith(addr, "vsock:"))) {
		struct sockaddr_vm sa = {
			.svm_family = AF_VSOCK,
			.svm_cid = TDX_QGS_VSOCK_CID,
			.svm_port = TDX_QGS_VSOCK_PORT,
		};

		if (!streq(addr, "vsock")) {
			unsigned cid, port;
			int end = 0;

			if (sscanf(rest, "%u:%u%n", &cid, &port, &end) != 2 || rest[end] != 0)
				return -EINVAL;
			sa.svm_cid = cid;
			sa.svm_port = port;
		}
		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
			return -errno;
	} else if ((rest = startswith(addr, "unix:"))) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (isempty(rest) || strlen(rest) >= sizeof(sa.sun_path))
			return -EINVAL;
		memcpy(sa.sun_path, rest, strlen(rest));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
			return -errno;
	} else
		return -EINVAL;

	*ret_fd = steal_fd(fd);
	return 0;
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, QGS_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k;
		int r = wait_fd(fd, POLLOUT);

		if (r < 0)
			return r;
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k;
		int r = wait_fd(fd, POLLIN);

		if (r < 0)
			return r;
		k = recv(fd, p, n, 0);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (k == 0)
			return -ECONNRESET;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

int tdx_qgs_get_quote(int fd, const uint8_t *report, struct buf *out)
{
	_cleanup_(buf_done) struct buf req = BUF_INIT(4096), resp = BUF_INIT(TDX_QGS_MSG_MAX);
	uint8_t len[4];
	uint32_t n;
	int r;

	r = tdx_qgs_encode_request(report, &req);
	if (r < 0)
		return r;
	r = send_all(fd, req.data, req.len);
	if (r < 0)
		return log_debug_errno(r, "Failed to send the QGS request: %m");

	r = recv_all(fd, len, sizeof(len));
	if (r < 0)
		return log_debug_errno(r, "Failed to read the QGS response: %m");
	n = get_be32(len);
	if (n > TDX_QGS_MSG_MAX)
		return log_debug_errno(-E2BIG, "QGS response of %" PRIu32 " bytes is too large", n);
	if (n < QGS_QUOTE_MSG_SIZE)
		return log_debug_errno(-EBADMSG, "QGS response of %" PRIu32 " bytes is too short",
				       n);
	r = buf_reserve(&resp, n);
	if (r < 0)
		return r;
	r = recv_all(fd, resp.data, n);
	if (r < 0)
		return log_debug_errno(r, "Failed to read the QGS response: %m");
	resp.len = n;
	resp.data[n] = 0;
	return tdx_qgs_parse_response(resp.data, resp.len, out);
}
