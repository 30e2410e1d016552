/* SPDX-License-Identifier: Apache-2.0 */
/* Frame header and envelope codec, against the worked GetTeeType example of upstream.md
 * §1.2 and against protobuf-c's own packing of the envelope. */
#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-frame.h"
#include "tests/unit/tests.h"

#define AA_SERVICE "attestation_agent.AttestationAgentService"

/* upstream.md §1.2: unary GetTeeType on stream 1 with a 50 s deadline. */
static const uint8_t tee_request[] = {
	0x00, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, /* header */
	0x0a, 0x29, 'a',  't',  't',  'e',  's',  't',  'a',  't',  'i', 'o', 'n', '_', 'a',
	'g',  'e',  'n',  't',  '.',  'A',  't',  't',  'e',  's',  't', 'a', 't', 'i', 'o',
	'n',  'A',  'g',  'e',  'n',  't',  'S',  'e',  'r',  'v',  'i', 'c', 'e', /* service */
	0x12, 0x0a, 'G',  'e',  't',  'T',  'e',  'e',  'T',  'y',  'p', 'e',      /* method */
	0x20, 0x80, 0xe8, 0xed, 0xa1, 0xba, 0x01, /* timeout_nano 50e9 */
};

static const uint8_t tee_response[] = {
	0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, /* header */
	0x0a, 0x00,                                                 /* status {} */
	0x12, 0x05, 0x0a, 0x03, 't',  'd',  'x',                    /* payload GetTeeTypeResponse */
};

static void test_header(void)
{
	struct ttrpc_header h = {
		.length = 0x00123456, .stream_id = 0x80000001, .type = 2, .flags = 5
	};
	struct ttrpc_header d;
	uint8_t b[TTRPC_HEADER_SIZE];

	ttrpc_header_encode(&h, b);
	ASSERT_MEMEQ(b, "\x00\x12\x34\x56\x80\x00\x00\x01\x02\x05", 10);
	ttrpc_header_decode(b, &d);
	ASSERT_EQ(d.length, h.length);
	ASSERT_EQ(d.stream_id, h.stream_id);
	ASSERT_EQ(d.type, 2);
	ASSERT_EQ(d.flags, 5);

	ttrpc_header_decode(tee_request, &d);
	ASSERT_EQ(d.length, 62);
	ASSERT_EQ(d.stream_id, 1);
	ASSERT_EQ(d.type, TTRPC_TYPE_REQUEST);
	ASSERT_EQ(d.flags, 0);
	ASSERT_EQ(TTRPC_MESSAGE_LENGTH_MAX, 4194304);
}

static void test_worked_request(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	AttestationAgent__GetTeeTypeRequest req = ATTESTATION_AGENT__GET_TEE_TYPE_REQUEST__INIT;
	Ttrpc__Request *r;

	ASSERT_OK(ttrpc_frame_pack_request_msg(&b, 1, AA_SERVICE, "GetTeeType", &req.base,
					       50000000000LL));
	ASSERT_EQ(b.len, sizeof(tee_request));
	ASSERT_MEMEQ(b.data, tee_request, sizeof(tee_request));

	/* the raw variant gives the same bytes */
	buf_reset(&b);
	ASSERT_OK(
	    ttrpc_frame_pack_request(&b, 1, AA_SERVICE, "GetTeeType", NULL, 0, 50000000000LL));
	ASSERT_MEMEQ(b.data, tee_request, sizeof(tee_request));

	r = ttrpc_request_unpack(tee_request + 10, sizeof(tee_request) - 10);
	ASSERT_TRUE(r);
	ASSERT_STREQ(r->service, AA_SERVICE);
	ASSERT_STREQ(r->method, "GetTeeType");
	ASSERT_EQ(r->payload.len, 0);
	ASSERT_EQ(r->timeout_nano, 50000000000LL);
	ASSERT_EQ(r->n_metadata, 0);
	ttrpc__request__free_unpacked(r, NULL);
}

static void test_worked_response(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	AttestationAgent__GetTeeTypeResponse resp = ATTESTATION_AGENT__GET_TEE_TYPE_RESPONSE__INIT;
	AttestationAgent__GetTeeTypeResponse *t;
	Ttrpc__Response *r;

	resp.tee = (char *) "tdx";
	ASSERT_OK(ttrpc_frame_pack_response(&b, 1, &resp.base));
	ASSERT_EQ(b.len, sizeof(tee_response));
	ASSERT_MEMEQ(b.data, tee_response, sizeof(tee_response));

	r = ttrpc_response_unpack(tee_response + 10, sizeof(tee_response) - 10);
	ASSERT_TRUE(r);
	ASSERT_TRUE(r->status);
	ASSERT_EQ(r->status->code, 0);
	t = attestation_agent__get_tee_type_response__unpack(NULL, r->payload.len, r->payload.data);
	ASSERT_TRUE(t);
	ASSERT_STREQ(t->tee, "tdx");
	attestation_agent__get_tee_type_response__free_unpacked(t, NULL);
	ttrpc__response__free_unpacked(r, NULL);
}

/* Our hand-written Response envelope must equal protobuf-c's packing of ttrpc.proto. */
static void test_response_matches_protobuf_c(void)
{
	static const size_t sizes[] = { 0,     1,     125,   126,     127,     128,     16381,
					16382, 16383, 16384, 2097149, 2097150, 2097151, 4194290 };

	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
		_cleanup_free_ uint8_t *data = NULL, *payload = NULL, *want = NULL;
		AttestationAgent__GetEvidenceResponse ev =
		    ATTESTATION_AGENT__GET_EVIDENCE_RESPONSE__INIT;
		Ttrpc__Status st = TTRPC__STATUS__INIT;
		Ttrpc__Response env = TTRPC__RESPONSE__INIT;
		size_t n, m;

		data = malloc(sizes[i] + 1);
		ASSERT_TRUE(data);
		memset(data, 'a' + (int) (i % 26), sizes[i]);
		ev.evidence = (ProtobufCBinaryData){ .len = sizes[i], .data = data };

		m = protobuf_c_message_get_packed_size(&ev.base);
		payload = malloc(m + 1);
		ASSERT_TRUE(payload);
		ASSERT_EQ(protobuf_c_message_pack(&ev.base, payload), m);
		env.status = &st;
		env.payload = (ProtobufCBinaryData){ .len = m, .data = payload };
		n = protobuf_c_message_get_packed_size(&env.base);
		want = malloc(n + 1);
		ASSERT_TRUE(want);
		ASSERT_EQ(protobuf_c_message_pack(&env.base, want), n);

		ASSERT_OK(ttrpc_frame_pack_response(&b, 7, &ev.base));
		ASSERT_EQ(b.len, TTRPC_HEADER_SIZE + n);
		ASSERT_EQ(get_be32(b.data), n);
		ASSERT_MEMEQ(b.data + TTRPC_HEADER_SIZE, want, n);
	}
}

static void test_status(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct ttrpc_status st = TTRPC_STATUS_INIT;
	Ttrpc__Response *r;

	ASSERT_OK(ttrpc_frame_pack_status(&b, 3, TTRPC_CODE_INVALID_ARGUMENT, "x"));
	ASSERT_EQ(b.len, 17);
	ASSERT_MEMEQ(b.data, "\0\0\0\x07\0\0\0\x03\x02\0\x0a\x05\x08\x03\x12\x01x", 17);

	buf_reset(&b);
	ASSERT_OK(ttrpc_frame_pack_status(&b, 5, TTRPC_CODE_NOT_FOUND, NULL));
	ASSERT_MEMEQ(b.data, "\0\0\0\x04\0\0\0\x05\x02\0\x0a\x02\x08\x05", 14);
	r = ttrpc_response_unpack(b.data + 10, b.len - 10);
	ASSERT_TRUE(r);
	ASSERT_EQ(r->status->code, 5);
	ASSERT_STREQ(r->status->message, "");
	ttrpc__response__free_unpacked(r, NULL);

	ASSERT_OK(ttrpc_status_set(&st, TTRPC_CODE_UNIMPLEMENTED, "%s method", "Nope"));
	ASSERT_EQ(st.code, 12);
	ASSERT_STREQ(st.message, "Nope method");
	ttrpc_status_done(&st);
	ASSERT_EQ(st.code, 0);
	ASSERT_TRUE(!st.message);

	ASSERT_STREQ(ttrpc_code_to_string(0), "OK");
	ASSERT_STREQ(ttrpc_code_to_string(3), "INVALID_ARGUMENT");
	ASSERT_STREQ(ttrpc_code_to_string(16), "UNAUTHENTICATED");
	ASSERT_TRUE(!ttrpc_code_to_string(17));
	ASSERT_TRUE(!ttrpc_code_to_string(-1));
}

static void test_limits(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf small = BUF_INIT(16);
	_cleanup_free_ uint8_t *big = calloc(1, TTRPC_MESSAGE_LENGTH_MAX + 1);
	size_t overhead = 3 + 3 + 1 + 4; /* "0a 01 s", "12 01 m", "1a", 4-byte varint */

	ASSERT_TRUE(big);
	/* a body of exactly 4 MiB is allowed, one byte more is not */
	ASSERT_OK(
	    ttrpc_frame_pack_request(&b, 1, "s", "m", big, TTRPC_MESSAGE_LENGTH_MAX - overhead, 0));
	ASSERT_EQ(get_be32(b.data), TTRPC_MESSAGE_LENGTH_MAX);
	ASSERT_EQ(b.len, TTRPC_HEADER_SIZE + TTRPC_MESSAGE_LENGTH_MAX);
	buf_reset(&b);
	ASSERT_ERR(ttrpc_frame_pack_request(&b, 1, "s", "m", big,
					    TTRPC_MESSAGE_LENGTH_MAX - overhead + 1, 0),
		   -E2BIG);
	ASSERT_ERR(ttrpc_frame_pack_request(&b, 1, "s", "m", big, TTRPC_MESSAGE_LENGTH_MAX + 1, 0),
		   -E2BIG);
	ASSERT_EQ(b.len, 0);

	ASSERT_ERR(ttrpc_frame_pack_request(&b, 0, "s", "m", NULL, 0, 0), -EINVAL);
	ASSERT_ERR(ttrpc_frame_pack_request(&b, 1, NULL, "m", NULL, 0, 0), -EINVAL);
	ASSERT_ERR(ttrpc_frame_pack_request(&b, 1, "s", "m", NULL, 3, 0), -EINVAL);
	/* the buffer's own limit holds too, and nothing is half-written */
	ASSERT_ERR(ttrpc_frame_pack_request(&small, 1, "service", "method", NULL, 0, 0), -E2BIG);
	ASSERT_EQ(small.len, 0);
}

static void test_garbage(void)
{
	static const uint8_t bad[][4] = {
		{ 0x0a, 0x05, 'a', 'b' },   /* length past the end */
		{ 0x0b, 0x00, 0x00, 0x00 }, /* wire type 3 (start group) */
		{ 0x22, 0xff, 0xff, 0xff }, /* unterminated varint length */
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ASSERT_TRUE(!ttrpc_request_unpack(bad[i], sizeof(bad[i])));
		ASSERT_TRUE(!ttrpc_response_unpack(bad[i], sizeof(bad[i])));
	}
}

/* The in-place Request decoder agrees with protobuf-c's on what is valid and what it means. */
static void check_parse_agrees(const uint8_t *p, size_t n)
{
	struct ttrpc_request_view v;
	Ttrpc__Request *r = ttrpc_request_unpack(p, n);
	int k = ttrpc_request_parse(p, n, &v);

	if (!r) {
		ASSERT_ERR(k, -EBADMSG);
		return;
	}
	ASSERT_OK(k);
	/* protobuf-c's C strings end at an embedded NUL */
	ASSERT_EQ(strlen(r->service), strnlen((const char *) v.service, v.service_len));
	ASSERT_MEMEQ(r->service, v.service, strlen(r->service));
	ASSERT_EQ(strlen(r->method), strnlen((const char *) v.method, v.method_len));
	ASSERT_MEMEQ(r->method, v.method, strlen(r->method));
	ASSERT_EQ(r->payload.len, v.payload_len);
	if (v.payload_len)
		ASSERT_MEMEQ(r->payload.data, v.payload, v.payload_len);
	ASSERT_EQ(r->timeout_nano, v.timeout_nano);
	ttrpc__request__free_unpacked(r, NULL);
}

static void test_request_parse(void)
{
	static const struct {
		const char *name;
		const char *bytes;
		size_t n;
		bool ok;
	} cases[] = {
		{ "empty", "", 0, true },
		{ "worked example", (const char *) tee_request + 10, sizeof(tee_request) - 10,
		  true },
		{ "last value wins",
		  "\x0a\x01"
		  "a"
		  "\x0a\x02"
		  "bc"
		  "\x20\x05\x20\x07",
		  11, true },
		{ "payload", "\x1a\x03xyz", 5, true },
		{ "empty payload", "\x1a\x00", 2, true },
		{ "metadata", "\x2a\x06\x0a\x01k\x12\x01v", 8, true },
		{ "metadata with unknown field", "\x2a\x02\x18\x01", 4, true },
		{ "unknown varint field", "\x30\x01\x0a\x01s", 5, true },
		{ "unknown 64-bit field", "\x39\x01\x02\x03\x04\x05\x06\x07\x08", 9, true },
		{ "unknown 32-bit field", "\x3d\x01\x02\x03\x04", 5, true },
		{ "unknown long tag", "\xf8\xff\xff\xff\x0f\x00", 6, true },
		{ "negative timeout", "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, true },
		{ "10-byte varint, high bits", "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11,
		  true },
		{ "embedded NUL",
		  "\x0a\x03"
		  "a"
		  "\x00"
		  "b",
		  5, true },
		{ "tag 0", "\x00\x00", 2, false },
		{ "tag too long", "\xf8\xff\xff\xff\xff\x01\x00", 7, false },
		{ "varint too long", "\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
		  false },
		{ "varint cut", "\x20\xff", 2, false },
		{ "length past end",
		  "\x0a\x05"
		  "ab",
		  4, false },
		{ "length prefix too long", "\x0a\xff\xff\xff\xff\xff\x01", 7, false },
		{ "length over INT_MAX", "\x0a\xff\xff\xff\xff\x0f", 6, false },
		{ "service as varint", "\x08\x01", 2, false },
		{ "timeout as bytes", "\x22\x01\x01", 3, false },
		{ "metadata as varint", "\x28\x01", 2, false },
		{ "metadata key as varint", "\x2a\x02\x08\x01", 4, false },
		{ "metadata cut", "\x2a\x02\x0a\x05", 4, false },
		{ "start group", "\x0b\x0c", 2, false },
		{ "wire type 7", "\x0f", 1, false },
		{ "64-bit cut", "\x39\x01\x02", 3, false },
		{ "32-bit cut", "\x3d\x01", 2, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct ttrpc_request_view v;
		int r = ttrpc_request_parse((const uint8_t *) cases[i].bytes, cases[i].n, &v);

		if ((r == 0) != cases[i].ok)
			FAIL_("case '%s': parse returned %d", cases[i].name, r);
		check_parse_agrees((const uint8_t *) cases[i].bytes, cases[i].n);
	}
	{
		struct ttrpc_request_view v;

		ASSERT_OK(ttrpc_request_parse(tee_request + 10, sizeof(tee_request) - 10, &v));
		ASSERT_EQ(v.service_len, strlen(AA_SERVICE));
		ASSERT_MEMEQ(v.service, AA_SERVICE, v.service_len);
		ASSERT_EQ(v.method_len, 10);
		ASSERT_MEMEQ(v.method, "GetTeeType", 10);
		ASSERT_EQ(v.timeout_nano, 50000000000LL);
		ASSERT_OK(ttrpc_request_parse((const uint8_t *) "\x0a\x01"
								"a"
								"\x0a\x02"
								"bc",
					      7, &v));
		ASSERT_EQ(v.service_len, 2);
		ASSERT_MEMEQ(v.service, "bc", 2);
	}
}

TESTS(test_header, test_worked_request, test_worked_response, test_response_matches_protobuf_c,
      test_status, test_limits, test_garbage, test_request_parse)
