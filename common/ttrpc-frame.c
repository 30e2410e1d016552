/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc frame and envelope coding, shared by server and client. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/proto/ttrpc.pb-c.h"
#include "ttrpc-frame.h"

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE])
{
	put_be32(out, h->length);
	put_be32(out + 4, h->stream_id);
	out[8] = h->type;
	out[9] = h->flags;
}

void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *h)
{
	h->length = get_be32(in);
	h->stream_id = get_be32(in + 4);
	h->type = in[8];
	h->flags = in[9];
}

static int frame_pack(struct buf *out, uint32_t stream_id, uint8_t type, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m), start = out->len;
	struct ttrpc_header h = { .length = (uint32_t) n, .stream_id = stream_id, .type = type };
	int r;

	if (n > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	r = buf_reserve(out, TTRPC_HEADER_SIZE + n);
	if (r < 0)
		return r;
	ttrpc_header_encode(&h, out->data + start);
	(void) protobuf_c_message_pack(m, out->data + start + TTRPC_HEADER_SIZE);
	out->len = start + TTRPC_HEADER_SIZE + n;
	out->data[out->len] = 0;
	return 0;
}

int ttrpc_frame_response(struct buf *out, uint32_t stream_id, const struct ttrpc_status *st,
			 const uint8_t *payload, size_t n)
{
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
	Ttrpc__Status status = TTRPC__STATUS__INIT;

	resp.status = &status;
	if (st && st->code != TTRPC_OK) {
		status.code = st->code;
		status.message = (char *) st->message;
	} else {
		resp.payload.data = (uint8_t *) payload;
		resp.payload.len = n;
	}
	return frame_pack(out, stream_id, TTRPC_TYPE_RESPONSE, &resp.base);
}

int ttrpc_frame_request(struct buf *out, uint32_t stream_id, const char *service,
			const char *method, const uint8_t *payload, size_t n, int64_t timeout_nano)
{
	Ttrpc__Request req = TTRPC__REQUEST__INIT;

	req.service = (char *) service;
	req.method = (char *) method;
	req.payload.data = (uint8_t *) payload;
	req.payload.len = n;
	req.timeout_nano = timeout_nano;
	return frame_pack(out, stream_id, TTRPC_TYPE_REQUEST, &req.base);
}

void ttrpc_status_set(struct ttrpc_status *st, enum ttrpc_code code, const char *fmt, ...)
{
	va_list ap;

	st->code = code;
	va_start(ap, fmt);
	(void) vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
}

void ttrpc_status_from_errno(struct ttrpc_status *st, int error)
{
	ttrpc_status_set(st, TTRPC_UNKNOWN, "%s", strerror(error < 0 ? -error : error));
}

int ttrpc_read_full(int fd, void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t k = read(fd, q, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -ECONNRESET;
		q += k;
		n -= (size_t) k;
	}
	return 0;
}

int ttrpc_write_full(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t k = send(fd, q, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		q += k;
		n -= (size_t) k;
	}
	return 0;
}

const char *ttrpc_address_path(const char *address)
{
	const char *p = startswith(address, "unix://");

	if (p)
		return p;
	return strstr(address, "://") ? NULL : address;
}

int ttrpc_connect(const char *address, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ttrpc_address_path(address);
	_cleanup_close_ int fd = -EBADF;

	if (!path)
		return -EAFNOSUPPORT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* "unix://@name" is the abstract namespace, as ttrpc-rust reads it. */
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return -errno;
	*ret_fd = steal_fd(fd);
	return 0;
}
