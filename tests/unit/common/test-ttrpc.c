/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc frames against upstream.md §1.2's worked example, and the server's dispatch
 * statuses through ttrpc_server_feed(). */
#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/ttrpc.pb-c.h"
#include "common/ttrpc-server.h"
#include "tests/unit/tests.h"

static const char svc[] = "attestation_agent.AttestationAgentService";

static void test_worked_example_request(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	static const uint8_t head[] = { 0, 0, 0, 0x3e, 0, 0, 0, 1, 1, 0, 0x0a, 0x29 };
	static const uint8_t tail[] = { 0x12, 0x0a, 'G',  'e',  't',  'T',  'e',  'e',  'T', 'y',
					'p',  'e',  0x20, 0x80, 0xe8, 0xed, 0xa1, 0xba, 0x01 };

	ASSERT_OK(ttrpc_frame_request(&b, 1, svc, "GetTeeType", NULL, 0, 50000000000LL));
	ASSERT_EQ(b.len, 10 + 62);
	ASSERT_MEMEQ(b.data, head, sizeof(head));
	ASSERT_MEMEQ(b.data + 12, svc, 41);
	ASSERT_MEMEQ(b.data + 53, tail, sizeof(tail));
}

static void test_worked_example_response(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	static const uint8_t want[] = { 0,    0,    0,    9,    0,    0,    0,   1,   2,  0,
					0x0a, 0x00, 0x12, 0x05, 0x0a, 0x03, 't', 'd', 'x' };
	static const uint8_t payload[] = { 0x0a, 0x03, 't', 'd', 'x' };

	ASSERT_OK(ttrpc_frame_response(&b, 1, NULL, payload, sizeof(payload)));
	ASSERT_EQ(b.len, sizeof(want));
	ASSERT_MEMEQ(b.data, want, sizeof(want));
}

static void test_header_roundtrip_and_limit(void)
{
	struct ttrpc_header h = { 0x00400000, 0x7fffffff, 3, 5 }, g;
	uint8_t raw[TTRPC_HEADER_SIZE];
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	_cleanup_free_ uint8_t *big = calloc(1, TTRPC_MESSAGE_LENGTH_MAX);

	ttrpc_header_encode(&h, raw);
	ttrpc_header_decode(raw, &g);
	ASSERT_EQ(g.length, h.length);
	ASSERT_EQ(g.stream_id, h.stream_id);
	ASSERT_EQ(g.type, h.type);
	ASSERT_EQ(g.flags, h.flags);
	ASSERT_TRUE(big != NULL);
	ASSERT_ERR(ttrpc_frame_request(&b, 1, "s", "m", big, TTRPC_MESSAGE_LENGTH_MAX, 0), -E2BIG);
}

static int get_tee(_unused_ void *u, _unused_ const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	AttestationAgent__GetTeeTypeResponse *r = malloc(sizeof(*r));

	attestation_agent__get_tee_type_response__init(r);
	r->tee = strdup("tdx");
	*ret = &r->base;
	return 0;
}

static int fails(_unused_ void *u, _unused_ const ProtobufCMessage *m,
		 _unused_ ProtobufCMessage **ret)
{
	return -EIO;
}

static const struct ttrpc_method methods[] = {
	{ "GetEvidence", fails },      { "GetAdditionalEvidence", NULL },
	{ "GetToken", NULL },          { "ExtendRuntimeMeasurement", NULL },
	{ "BindInitData", NULL },      { "GetTeeType", get_tee },
	{ "GetAdditionalTees", NULL },
};
static const struct ttrpc_service service = {
	.desc = &attestation_agent__attestation_agent_service__descriptor,
	.methods = methods,
	.n_methods = ELEMENTSOF(methods),
};

/* Sends one request through the inline server and returns the reply's status. */
static void roundtrip(struct ttrpc_server *s, uint32_t id, const char *service_name,
		      const char *method, const uint8_t *payload, size_t n, int want_code,
		      const char *want_msg)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED);
	struct ttrpc_header h;
	Ttrpc__Response *resp;

	ASSERT_OK(ttrpc_frame_request(&in, id, service_name, method, payload, n, 0));
	ASSERT_OK(ttrpc_server_feed(s, in.data, in.len, &out));
	ASSERT_TRUE(out.len >= TTRPC_HEADER_SIZE);
	ttrpc_header_decode(out.data, &h);
	ASSERT_EQ(h.stream_id, id);
	ASSERT_EQ(h.type, TTRPC_TYPE_RESPONSE);
	ASSERT_EQ(h.length + TTRPC_HEADER_SIZE, out.len);
	resp = ttrpc__response__unpack(NULL, h.length, out.data + TTRPC_HEADER_SIZE);
	ASSERT_TRUE(resp && resp->status);
	ASSERT_EQ(resp->status->code, want_code);
	ASSERT_STREQ(resp->status->message, want_msg);
	ttrpc__response__free_unpacked(resp, NULL);
}

static void test_dispatch_statuses(void)
{
	struct ttrpc_server *s;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	static const uint8_t truncated[] = { 0, 0, 0, 9, 0, 0, 0, 1, 1, 0x0a };

	ASSERT_OK(ttrpc_server_new(&s));
	ASSERT_OK(ttrpc_server_add_service(s, &service, NULL));
	ASSERT_ERR(ttrpc_server_add_service(s, &service, NULL), -EEXIST);
	roundtrip(s, 1, svc, "GetTeeType", NULL, 0, TTRPC_OK, "");
	roundtrip(s, 3, "nope.Svc", "X", NULL, 0, TTRPC_INVALID_ARGUMENT,
		  "nope.Svc service does not exist");
	roundtrip(s, 5, svc, "Nope", NULL, 0, TTRPC_UNIMPLEMENTED, "Nope method");
	roundtrip(s, 7, svc, "BindInitData", NULL, 0, TTRPC_NOT_FOUND,
		  "/attestation_agent.AttestationAgentService/BindInitData is not supported");
	roundtrip(s, 9, svc, "GetEvidence", (const uint8_t *) "\xff", 1, TTRPC_INVALID_ARGUMENT,
		  "failed to decode GetEvidence request");
	roundtrip(s, 2, svc, "GetTeeType", NULL, 0, TTRPC_INVALID_ARGUMENT,
		  "stream id must be odd");
	roundtrip(s, 11, svc, "GetEvidence", NULL, 0, TTRPC_UNKNOWN, strerror(EIO));
	ASSERT_ERR(ttrpc_server_feed(s, truncated, sizeof(truncated), &out), -ECONNRESET);
	ttrpc_server_free(s);
}

static void test_service_check(void)
{
	struct ttrpc_service short_table = service;

	ASSERT_OK(ttrpc_service_check(&service));
	short_table.n_methods--;
	ASSERT_ERR(ttrpc_service_check(&short_table), -EINVAL);
}

TESTS(test_worked_example_request, test_worked_example_response, test_header_roundtrip_and_limit,
      test_dispatch_statuses, test_service_check)
