/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc frame header and envelope codec (upstream.md §1.1-1.2). Envelopes are packed
 * straight into the caller's buffer behind the header, so a 4 MiB payload is copied once. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "ttrpc-frame.h"

static const char *const code_names[] = {
	[TTRPC_CODE_OK] = "OK",
	[TTRPC_CODE_CANCELLED] = "CANCELLED",
	[TTRPC_CODE_UNKNOWN] = "UNKNOWN",
	[TTRPC_CODE_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
	[TTRPC_CODE_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
	[TTRPC_CODE_NOT_FOUND] = "NOT_FOUND",
	[TTRPC_CODE_ALREADY_EXISTS] = "ALREADY_EXISTS",
	[TTRPC_CODE_PERMISSION_DENIED] = "PERMISSION_DENIED",
	[TTRPC_CODE_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
	[TTRPC_CODE_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
	[TTRPC_CODE_ABORTED] = "ABORTED",
	[TTRPC_CODE_OUT_OF_RANGE] = "OUT_OF_RANGE",
	[TTRPC_CODE_UNIMPLEMENTED] = "UNIMPLEMENTED",
	[TTRPC_CODE_INTERNAL] = "INTERNAL",
	[TTRPC_CODE_UNAVAILABLE] = "UNAVAILABLE",
	[TTRPC_CODE_DATA_LOSS] = "DATA_LOSS",
	[TTRPC_CODE_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *ttrpc_code_to_string(int code)
{
	if (code < 0 || (size_t) code >= ELEMENTSOF(code_names))
		return NULL;
	return code_names[code];
}

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE])
{
	put_be32(out, h->length);
	put_be32(out + 4, h->stream_id);
	out[8] = h->type;
	out[9] = h->flags;
}

void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *ret)
{
	*ret = (struct ttrpc_header){
		.length = get_be32(in),
		.stream_id = get_be32(in + 4),
		.type = in[8],
		.flags = in[9],
	};
}

int ttrpc_status_set(struct ttrpc_status *st, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(st->message);
	st->message = NULL;
	st->code = code;
	if (!fmt)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&st->message, fmt, ap);
	va_end(ap);
	if (r < 0) {
		st->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

void ttrpc_status_done(struct ttrpc_status *st)
{
	free(st->message);
	*st = TTRPC_STATUS_INIT;
}

/* Reserves header + body in out and writes the header; returns where the body goes. */
static int frame_begin(struct buf *out, uint32_t stream_id, uint8_t type, size_t body,
		       uint8_t **ret)
{
	int r;

	if (stream_id == 0)
		return -EINVAL;
	if (body > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	r = buf_reserve(out, TTRPC_HEADER_SIZE + body);
	if (r < 0)
		return r;
	ttrpc_header_encode(&(struct ttrpc_header){ .length = (uint32_t) body,
						    .stream_id = stream_id,
						    .type = type },
			    out->data + out->len);
	*ret = out->data + out->len + TTRPC_HEADER_SIZE;
	return 0;
}

static void frame_end(struct buf *out, size_t body)
{
	out->len += TTRPC_HEADER_SIZE + body;
	out->data[out->len] = 0;
}

static int frame_pack(struct buf *out, uint32_t stream_id, uint8_t type, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *p;
	int r;

	r = frame_begin(out, stream_id, type, n, &p);
	if (r < 0)
		return r;
	if (protobuf_c_message_pack(m, p) != n)
		return -EIO; /* cannot happen: same message, same size */
	frame_end(out, n);
	return 0;
}

int ttrpc_frame_pack_request(struct buf *out, uint32_t stream_id, const char *service,
			     const char *method, const void *payload, size_t n,
			     int64_t timeout_nano)
{
	Ttrpc__Request req = TTRPC__REQUEST__INIT;

	if (!service || !method || (!payload && n > 0))
		return -EINVAL;
	if (n > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	req.service = (char *) service;
	req.method = (char *) method;
	req.payload = (ProtobufCBinaryData){ .len = n, .data = (uint8_t *) payload };
	req.timeout_nano = timeout_nano;
	return frame_pack(out, stream_id, TTRPC_TYPE_REQUEST, &req.base);
}

int ttrpc_frame_pack_request_msg(struct buf *out, uint32_t stream_id, const char *service,
				 const char *method, const ProtobufCMessage *msg,
				 int64_t timeout_nano)
{
	_cleanup_free_ uint8_t *p = NULL;
	size_t n;

	n = protobuf_c_message_get_packed_size(msg);
	if (n > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	(void) protobuf_c_message_pack(msg, p);
	return ttrpc_frame_pack_request(out, stream_id, service, method, p, n, timeout_nano);
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

size_t ttrpc_frame_response_size(const ProtobufCMessage *msg)
{
	size_t m = msg ? protobuf_c_message_get_packed_size(msg) : 0;

	return 2 + (m ? 1 + varint_size(m) + m : 0);
}

int ttrpc_frame_pack_response(struct buf *out, uint32_t stream_id, const ProtobufCMessage *msg)
{
	size_t m = msg ? protobuf_c_message_get_packed_size(msg) : 0, body;
	uint8_t *p;
	int r;

	/* The Response envelope written by hand so msg is packed in place: field 1 (status)
	 * as an empty sub-message, then field 2 (payload) unless empty, as proto3 omits it.
	 * test-ttrpc-frame checks these bytes against protobuf-c's own packing. */
	if (m > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	body = 2 + (m ? 1 + varint_size(m) + m : 0);
	r = frame_begin(out, stream_id, TTRPC_TYPE_RESPONSE, body, &p);
	if (r < 0)
		return r;
	*p++ = 0x0a; /* field 1, length-delimited */
	*p++ = 0x00;
	if (m) {
		*p++ = 0x12; /* field 2, length-delimited */
		p = varint_put(p, m);
		if (protobuf_c_message_pack(msg, p) != m)
			return -EIO;
	}
	frame_end(out, body);
	return 0;
}

int ttrpc_frame_pack_status(struct buf *out, uint32_t stream_id, int code, const char *message)
{
	Ttrpc__Status st = TTRPC__STATUS__INIT;
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;

	st.code = code;
	if (message)
		st.message = (char *) message;
	resp.status = &st;
	return frame_pack(out, stream_id, TTRPC_TYPE_RESPONSE, &resp.base);
}

/* A protobuf field read the way protobuf-c 1.5's unpack reads it, so that the two
 * decoders agree byte for byte on what is valid: tags of at most 5 bytes and never 0,
 * varints of at most 10 bytes, length prefixes of at most 5 bytes and INT_MAX. */
struct pb_field {
	uint32_t tag;
	uint8_t wire_type;
	const uint8_t *data; /* length-delimited: the content */
	size_t len;
	uint64_t varint;
};

enum {
	PB_VARINT = 0,
	PB_64BIT = 1,
	PB_LEN = 2,
	PB_32BIT = 5,
};

/* Returns the bytes the field takes, or 0 if malformed. */
static size_t pb_field(const uint8_t *p, size_t n, struct pb_field *f)
{
	size_t i, k, hdr;
	unsigned shift;

	if (n == 0 || (p[0] & 0xf8) == 0)
		return 0;
	f->wire_type = p[0] & 7;
	f->tag = (p[0] & 0x7f) >> 3;
	for (i = 1, shift = 4; p[i - 1] & 0x80; i++, shift += 7) {
		if (i >= MIN(n, (size_t) 5))
			return 0;
		f->tag |= (uint32_t) (p[i] & 0x7f) << shift;
	}
	p += i;
	n -= i;

	switch (f->wire_type) {
	case PB_VARINT:
		f->varint = 0;
		for (k = 0; k < MIN(n, (size_t) 10); k++) {
			if (k * 7 < 64)
				f->varint |= (uint64_t) (p[k] & 0x7f) << (k * 7);
			if (!(p[k] & 0x80))
				return i + k + 1;
		}
		return 0;
	case PB_64BIT:
		return n >= 8 ? i + 8 : 0;
	case PB_32BIT:
		return n >= 4 ? i + 4 : 0;
	case PB_LEN:
		f->len = 0;
		for (hdr = 0;; hdr++) {
			if (hdr >= MIN(n, (size_t) 5))
				return 0;
			f->len |= (size_t) (p[hdr] & 0x7f) << (hdr * 7);
			if (!(p[hdr] & 0x80))
				break;
		}
		hdr++;
		if (f->len > INT_MAX || hdr + f->len > n)
			return 0;
		f->data = p + hdr;
		return i + hdr + f->len;
	default:
		return 0; /* groups (3, 4) and 6, 7 */
	}
}

/* KeyValue: fields 1 and 2 must be length-delimited; anything else is skipped. */
static bool pb_valid_keyvalue(const uint8_t *p, size_t n)
{
	struct pb_field f;

	for (size_t k; n > 0; p += k, n -= k) {
		k = pb_field(p, n, &f);
		if (k == 0 || ((f.tag == 1 || f.tag == 2) && f.wire_type != PB_LEN))
			return false;
	}
	return true;
}

int ttrpc_request_parse(const uint8_t *p, size_t n, struct ttrpc_request_view *ret)
{
	struct ttrpc_request_view v = { .service = (const uint8_t *) "",
					.method = (const uint8_t *) "" };
	struct pb_field f;

	for (size_t k; n > 0; p += k, n -= k) {
		k = pb_field(p, n, &f);
		if (k == 0)
			return -EBADMSG;
		switch (f.tag) {
		case 1: /* service */
		case 2: /* method */
		case 3: /* payload */
			if (f.wire_type != PB_LEN)
				return -EBADMSG;
			if (f.tag == 1)
				v.service = f.data, v.service_len = f.len;
			else if (f.tag == 2)
				v.method = f.data, v.method_len = f.len;
			else
				v.payload = f.data, v.payload_len = f.len;
			break;
		case 4: /* timeout_nano */
			if (f.wire_type != PB_VARINT)
				return -EBADMSG;
			v.timeout_nano = (int64_t) f.varint;
			break;
		case 5: /* metadata: checked, not used */
			if (f.wire_type != PB_LEN || !pb_valid_keyvalue(f.data, f.len))
				return -EBADMSG;
			break;
		default: /* unknown fields are skipped */
			break;
		}
	}
	*ret = v;
	return 0;
}

Ttrpc__Request *ttrpc_request_unpack(const uint8_t *p, size_t n)
{
	return ttrpc__request__unpack(NULL, n, p);
}

Ttrpc__Response *ttrpc_response_unpack(const uint8_t *p, size_t n)
{
	return ttrpc__response__unpack(NULL, n, p);
}
