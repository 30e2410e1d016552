/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc framing (containerd/ttrpc PROTOCOL.md, ttrpc-rust src/proto.rs; upstream.md §1):
 * a 10-byte big-endian header (data length, stream id, type, flags) and a protobuf
 * Request/Response envelope. Shared by the server, the client and the fuzz target. */
#pragma once

#include <stdint.h>

#include "buf.h"

#define TTRPC_HEADER_SIZE 10
#define TTRPC_MESSAGE_LENGTH_MAX (4u << 20)

enum {
	TTRPC_TYPE_REQUEST = 1,
	TTRPC_TYPE_RESPONSE = 2,
	TTRPC_TYPE_DATA = 3,
};

enum {
	TTRPC_FLAG_REMOTE_CLOSED = 1,
	TTRPC_FLAG_REMOTE_OPEN = 2,
	TTRPC_FLAG_NO_DATA = 4,
};

/* google.rpc.Code, as ttrpc carries it. */
enum ttrpc_code {
	TTRPC_OK = 0,
	TTRPC_CANCELLED = 1,
	TTRPC_UNKNOWN = 2,
	TTRPC_INVALID_ARGUMENT = 3,
	TTRPC_DEADLINE_EXCEEDED = 4,
	TTRPC_NOT_FOUND = 5,
	TTRPC_ALREADY_EXISTS = 6,
	TTRPC_PERMISSION_DENIED = 7,
	TTRPC_RESOURCE_EXHAUSTED = 8,
	TTRPC_FAILED_PRECONDITION = 9,
	TTRPC_ABORTED = 10,
	TTRPC_OUT_OF_RANGE = 11,
	TTRPC_UNIMPLEMENTED = 12,
	TTRPC_INTERNAL = 13,
	TTRPC_UNAVAILABLE = 14,
	TTRPC_DATA_LOSS = 15,
	TTRPC_UNAUTHENTICATED = 16,
};

struct ttrpc_header {
	uint32_t length;
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
};

/* A status a handler or the server sends instead of a payload. */
struct ttrpc_status {
	enum ttrpc_code code;
	char message[512];
};

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE]);
void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *h);

/* Appends a whole frame (header + envelope) to out. A Response with st == NULL or
 * st->code == OK carries the payload and an empty OK status, as ttrpc-rust sends.
 * -E2BIG when the envelope would pass TTRPC_MESSAGE_LENGTH_MAX. */
int ttrpc_frame_response(struct buf *out, uint32_t stream_id, const struct ttrpc_status *st,
			 const uint8_t *payload, size_t n);
int ttrpc_frame_request(struct buf *out, uint32_t stream_id, const char *service,
			const char *method, const uint8_t *payload, size_t n, int64_t timeout_nano);

/* Formats a status. */
void ttrpc_status_set(struct ttrpc_status *st, enum ttrpc_code code, const char *fmt, ...)
    _printf_(3, 4);

/* Converts a handler's -errno into the status upstream's generic path sends (UNKNOWN
 * with the error text), for services without their own fail(). */
void ttrpc_status_from_errno(struct ttrpc_status *st, int error);

/* Reads exactly n bytes; 0 on success, -ECONNRESET on EOF (also mid-way), -errno. */
int ttrpc_read_full(int fd, void *p, size_t n);
/* Writes all of p, retrying on EINTR and short writes; MSG_NOSIGNAL. */
int ttrpc_write_full(int fd, const void *p, size_t n);
/* Connects to "unix:///path" or a plain path. */
int ttrpc_connect(const char *address, int *ret_fd);
/* Strips "unix://" from an address; NULL for other schemes. */
const char *ttrpc_address_path(const char *address);
