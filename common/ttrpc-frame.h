/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc wire format: the 10-byte frame header, message types and flags, the 4 MiB frame
 * limit, status codes, and the Request/Response envelopes (common/proto/ttrpc.proto).
 * Follows containerd/ttrpc PROTOCOL.md and ttrpc-rust src/proto.rs (upstream.md §1).
 * No I/O here: the server and client own their sockets. */
#pragma once

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "buf.h"
#include "common/proto/ttrpc.pb-c.h"

#define TTRPC_HEADER_SIZE 10
/* Largest frame body either side accepts or sends (Go messageLengthMax, Rust
 * MESSAGE_LENGTH_MAX). */
#define TTRPC_MESSAGE_LENGTH_MAX (4u << 20)

enum ttrpc_type {
	TTRPC_TYPE_REQUEST = 0x01,
	TTRPC_TYPE_RESPONSE = 0x02,
	TTRPC_TYPE_DATA = 0x03, /* streaming (protocol 1.2); we serve unary calls only */
};

enum ttrpc_flag {
	TTRPC_FLAG_REMOTE_CLOSED = 0x01,
	TTRPC_FLAG_REMOTE_OPEN = 0x02,
	TTRPC_FLAG_NO_DATA = 0x04,
};

/* google.rpc.Code, the values ttrpc puts in Status.code. */
enum ttrpc_code {
	TTRPC_CODE_OK = 0,
	TTRPC_CODE_CANCELLED = 1,
	TTRPC_CODE_UNKNOWN = 2,
	TTRPC_CODE_INVALID_ARGUMENT = 3,
	TTRPC_CODE_DEADLINE_EXCEEDED = 4,
	TTRPC_CODE_NOT_FOUND = 5,
	TTRPC_CODE_ALREADY_EXISTS = 6,
	TTRPC_CODE_PERMISSION_DENIED = 7,
	TTRPC_CODE_RESOURCE_EXHAUSTED = 8,
	TTRPC_CODE_FAILED_PRECONDITION = 9,
	TTRPC_CODE_ABORTED = 10,
	TTRPC_CODE_OUT_OF_RANGE = 11,
	TTRPC_CODE_UNIMPLEMENTED = 12,
	TTRPC_CODE_INTERNAL = 13,
	TTRPC_CODE_UNAVAILABLE = 14,
	TTRPC_CODE_DATA_LOSS = 15,
	TTRPC_CODE_UNAUTHENTICATED = 16,
};

/* "INVALID_ARGUMENT" etc., or NULL for a value outside the enum. */
const char *ttrpc_code_to_string(int code);

struct ttrpc_header {
	uint32_t length; /* body bytes, header excluded */
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
};

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE]);
void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *ret);

/* A call's outcome as the peer sees it. message is malloc()ed or NULL (empty). */
struct ttrpc_status {
	int code;
	char *message;
};

#define TTRPC_STATUS_INIT ((struct ttrpc_status){ .code = TTRPC_CODE_OK, .message = NULL })

/* Replaces st's contents. Returns 0 or -ENOMEM (then code is set, message NULL). */
int ttrpc_status_set(struct ttrpc_status *st, int code, const char *fmt, ...) _printf_(3, 4);
void ttrpc_status_done(struct ttrpc_status *st);

/* Frame builders. Each appends one whole frame (header + envelope) to out, or nothing:
 * -E2BIG when the body would pass TTRPC_MESSAGE_LENGTH_MAX (or out's own max), -ENOMEM,
 * -EINVAL for a NULL string or a stream id of 0. */

/* A unary Request; payload may be NULL when n is 0. timeout_nano 0 means no deadline. */
int ttrpc_frame_pack_request(struct buf *out, uint32_t stream_id, const char *service,
			     const char *method, const void *payload, size_t n,
			     int64_t timeout_nano);
/* The same with the payload packed from msg. */
int ttrpc_frame_pack_request_msg(struct buf *out, uint32_t stream_id, const char *service,
				 const char *method, const ProtobufCMessage *msg,
				 int64_t timeout_nano);
/* A successful Response: status present with code OK (encodes as "0a 00", as ttrpc-rust's
 * generated handlers send it) and msg packed as the payload; msg NULL gives no payload. */
int ttrpc_frame_pack_response(struct buf *out, uint32_t stream_id, const ProtobufCMessage *msg);
/* The body length of the frame ttrpc_frame_pack_response() builds for msg. */
size_t ttrpc_frame_response_size(const ProtobufCMessage *msg);
/* A failed Response carrying only a Status. message may be NULL. */
int ttrpc_frame_pack_status(struct buf *out, uint32_t stream_id, int code, const char *message);

/* A Request envelope decoded in place: pointers into the frame body, no allocation
 * (the server's hot path). Strings are not NUL-terminated. metadata is checked for
 * well-formedness and otherwise ignored. */
struct ttrpc_request_view {
	const uint8_t *service, *method, *payload;
	size_t service_len, method_len, payload_len;
	int64_t timeout_nano;
};

/* Accepts and rejects exactly what ttrpc_request_unpack() does (fuzz-protobuf compares
 * them): proto3 rules, last value wins, unknown fields skipped, groups refused.
 * Returns 0 or -EBADMSG. */
int ttrpc_request_parse(const uint8_t *p, size_t n, struct ttrpc_request_view *ret);

/* Envelope decoders: unpack a frame body (header excluded). Return NULL when the bytes
 * are not a valid message (callers map that to -EBADMSG or INVALID_ARGUMENT). Free with
 * ttrpc__request__free_unpacked(r, NULL) / ttrpc__response__free_unpacked(r, NULL). */
Ttrpc__Request *ttrpc_request_unpack(const uint8_t *p, size_t n);
Ttrpc__Response *ttrpc_response_unpack(const uint8_t *p, size_t n);
