/* SPDX-License-Identifier: Apache-2.0 */
/* The ttrpc server in-process: a server thread on a socket in a temp dir, driven by raw
 * frames (exact codes and texts of upstream.md §1.2) and by our client. The .c is
 * included so a test can shorten the stall timeout. */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "common/ttrpc-client.h"
#include "common/ttrpc-server.c"
#include "tests/unit/tests.h"

#define AA "attestation_agent.AttestationAgentService"
#define KP "keyprovider.KeyProviderService"

static atomic_int evidence_runs;

static int get_tee_type(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	AttestationAgent__GetTeeTypeResponse *r = malloc(sizeof(*r));

	(void) u, (void) req;
	if (!r)
		return -ENOMEM;
	attestation_agent__get_tee_type_response__init(r);
	r->tee = strdup("tdx");
	*ret = &r->base;
	return 0;
}

/* RuntimeData drives it: "sleep:<ms>", "fail", "status", "big", else an echo. */
static int get_evidence(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	const AttestationAgent__GetEvidenceRequest *q = (const void *) req;
	AttestationAgent__GetEvidenceResponse *r;
	char cmd[32] = "";
	size_t n = q->runtimedata.len;

	(void) u;
	atomic_fetch_add(&evidence_runs, 1);
	memcpy(cmd, q->runtimedata.data, MIN(n, sizeof(cmd) - 1));
	if (startswith(cmd, "sleep:"))
		usleep((useconds_t) atoi(cmd + 6) * 1000);
	if (streq(cmd, "fail"))
		return -ENOENT;
	if (streq(cmd, "status"))
		return ttrpc_handler_status(TTRPC_CODE_PERMISSION_DENIED, "denied by %s", "policy");
	if (streq(cmd, "big"))
		n = TTRPC_MESSAGE_LENGTH_MAX;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	attestation_agent__get_evidence_response__init(r);
	r->evidence.data = calloc(1, n + 1);
	if (!r->evidence.data) {
		free(r);
		return -ENOMEM;
	}
	r->evidence.len = n;
	if (n && q->runtimedata.len == n)
		memcpy(r->evidence.data, q->runtimedata.data, n);
	*ret = &r->base;
	return 0;
}

static int get_token(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	(void) u, (void) req, (void) ret;
	return -EACCES;
}

/* Returns the wrong message type: the server must not send it. */
static int get_additional_tees(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	AttestationAgent__GetTeeTypeResponse *r = malloc(sizeof(*r));

	(void) u, (void) req;
	attestation_agent__get_tee_type_response__init(r);
	*ret = &r->base;
	return 0;
}

static void aa_fail(const char *method, int error, struct ttrpc_status *st)
{
	(void) error;
	if (streq(method, "GetToken"))
		(void) ttrpc_status_set(st, TTRPC_CODE_INTERNAL,
					"[ERROR:attestation-agent] AA-KBC get token failed");
}

static const struct ttrpc_method aa_methods[] = {
	{ "GetEvidence", get_evidence },
	{ "GetAdditionalEvidence", NULL },
	{ "GetToken", get_token },
	{ "ExtendRuntimeMeasurement", NULL },
	{ "BindInitData", NULL },
	{ "GetTeeType", get_tee_type },
	{ "GetAdditionalTees", get_additional_tees },
};

static const struct ttrpc_service aa_service = {
	.desc = &attestation_agent__attestation_agent_service__descriptor,
	.methods = aa_methods,
	.n_methods = ELEMENTSOF(aa_methods),
	.fail = aa_fail,
};

static const struct ttrpc_method kp_methods[] = {
	{ "UnWrapKey", get_token },
	{ "WrapKey", NULL },
};

static const struct ttrpc_service kp_service = {
	.desc = &keyprovider__key_provider_service__descriptor,
	.methods = kp_methods,
	.n_methods = ELEMENTSOF(kp_methods),
};

struct fixture {
	char dir[64], path[128];
	struct ttrpc_server *s;
	pthread_t thread;
	int rc;
};

static void *server_thread(void *arg)
{
	struct fixture *f = arg;

	f->rc = ttrpc_server_run(f->s);
	return NULL;
}

static bool wait_path(const char *p, bool exists)
{
	struct stat st;

	for (int i = 0; i < 500; i++) {
		if ((lstat(p, &st) == 0) == exists)
			return true;
		usleep(2000);
	}
	return false;
}

/* Limits a test shortens, set before the server thread starts. */
struct knobs {
	uint64_t stall_usec, drain_usec;
	unsigned max_conns;
};

static void start_with(struct fixture *f, unsigned workers, const struct knobs *k)
{
	strcpy(f->dir, "/tmp/test-ttrpc-server.XXXXXX");
	ASSERT_TRUE(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/sub/t.sock", f->dir);
	f->s = ttrpc_server_new();
	ASSERT_TRUE(f->s);
	ASSERT_TRUE(f->s);
	ASSERT_OK(ttrpc_server_add_service(f->s, &aa_service, NULL));
	ASSERT_OK(ttrpc_server_add_service(f->s, &kp_service, NULL));
	ttrpc_server_set_max_workers(f->s, workers);
	if (k && k->stall_usec)
		f->s->stall_usec = k->stall_usec;
	if (k && k->drain_usec)
		f->s->drain_usec = k->drain_usec;
	if (k && k->max_conns)
		f->s->max_conns = k->max_conns;
	ASSERT_OK(ttrpc_server_listen(f->s, f->path));
	ASSERT_EQ(pthread_create(&f->thread, NULL, server_thread, f), 0);
	ASSERT_TRUE(wait_path(f->path, true));
}

static void start(struct fixture *f, unsigned workers)
{
	start_with(f, workers, NULL);
}

static void stop(struct fixture *f)
{
	char p[160];

	ttrpc_server_stop(f->s);
	ASSERT_EQ(pthread_join(f->thread, NULL), 0);
	ASSERT_EQ(f->rc, 0);
	ASSERT_TRUE(access(f->path, F_OK) < 0); /* the socket is gone */
	f->s = ttrpc_server_free(f->s);
	snprintf(p, sizeof(p), "%s/run/sub", f->dir);
	(void) rmdir(p);
	snprintf(p, sizeof(p), "%s/run", f->dir);
	(void) rmdir(p);
	ASSERT_OK(rmdir(f->dir));
}

/* ---- raw frames ---- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	strcpy(sa.sun_path, path);
	ASSERT_OK(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
	return fd;
}

static void raw_write(int fd, const void *p, size_t n)
{
	ASSERT_EQ(send(fd, p, n, MSG_NOSIGNAL), (ssize_t) n);
}

static void raw_request(int fd, uint32_t id, const char *service, const char *method,
			const void *payload, size_t n, int64_t timeout_nano)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_OK(ttrpc_frame_pack_request(&b, id, service, method, payload, n, timeout_nano));
	raw_write(fd, b.data, b.len);
}

static void raw_evidence(int fd, uint32_t id, const char *data, int64_t timeout_nano)
{
	AttestationAgent__GetEvidenceRequest q = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	uint8_t p[256];

	q.runtimedata = (ProtobufCBinaryData){ .len = strlen(data), .data = (uint8_t *) data };
	raw_request(fd, id, AA, "GetEvidence", p, protobuf_c_message_pack(&q.base, p),
		    timeout_nano);
}

static int recv_full(int fd, void *p, size_t n, int timeout_ms)
{
	uint8_t *q = p;

	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		k = recv(fd, q, n, 0);
		if (k <= 0)
			return -ECONNRESET;
		q += k;
		n -= (size_t) k;
	}
	return 0;
}

/* Reads one Response frame; returns it unpacked. */
static Ttrpc__Response *raw_response(int fd, uint32_t *ret_id)
{
	uint8_t h[TTRPC_HEADER_SIZE];
	struct ttrpc_header hdr;
	_cleanup_free_ uint8_t *body = NULL;
	Ttrpc__Response *r;

	ASSERT_OK(recv_full(fd, h, sizeof(h), 5000));
	ttrpc_header_decode(h, &hdr);
	ASSERT_EQ(hdr.type, TTRPC_TYPE_RESPONSE);
	ASSERT_EQ(hdr.flags, 0);
	ASSERT_TRUE(hdr.length <= TTRPC_MESSAGE_LENGTH_MAX);
	body = malloc(hdr.length + 1);
	ASSERT_OK(recv_full(fd, body, hdr.length, 5000));
	r = ttrpc_response_unpack(body, hdr.length);
	ASSERT_TRUE(r);
	*ret_id = hdr.stream_id;
	return r;
}

static void expect_status(int fd, uint32_t id, int code, const char *message)
{
	uint32_t got;
	Ttrpc__Response *r = raw_response(fd, &got);

	ASSERT_EQ(got, id);
	ASSERT_TRUE(r->status);
	ASSERT_EQ(r->status->code, code);
	if (message)
		ASSERT_STREQ(r->status->message, message);
	ASSERT_EQ(r->payload.len, 0);
	ttrpc__response__free_unpacked(r, NULL);
}

static void expect_evidence(int fd, uint32_t id, const char *data)
{
	uint32_t got;
	Ttrpc__Response *r = raw_response(fd, &got);
	AttestationAgent__GetEvidenceResponse *e;

	ASSERT_EQ(got, id);
	/* success carries a present, empty status, as ttrpc-rust's handlers send it */
	ASSERT_TRUE(r->status);
	ASSERT_EQ(r->status->code, 0);
	e = attestation_agent__get_evidence_response__unpack(NULL, r->payload.len, r->payload.data);
	ASSERT_TRUE(e);
	ASSERT_EQ(e->evidence.len, strlen(data));
	if (e->evidence.len)
		ASSERT_MEMEQ(e->evidence.data, data, strlen(data));
	attestation_agent__get_evidence_response__free_unpacked(e, NULL);
	ttrpc__response__free_unpacked(r, NULL);
}

static bool peer_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, timeout_ms) == 1 && recv(fd, &c, 1, 0) == 0;
}

static uint64_t ms_since(uint64_t t0)
{
	return (now_usec() - t0) / 1000;
}

/* Upper time bounds stretch by $TEST_TIME_FACTOR (the valgrind setup sets it: valgrind
 * runs one thread at a time, so which call finishes first is not checked either). */
static uint64_t time_factor(void)
{
	const char *f = getenv("TEST_TIME_FACTOR");

	return f && atoi(f) > 1 ? (uint64_t) atoi(f) : 1;
}

static uint64_t ms_bound(uint64_t ms)
{
	return ms * time_factor();
}

/* ---- tests ---- */

static void test_listen(void)
{
	struct fixture f;
	struct stat st;
	char p[160];
	int fd;

	strcpy(f.dir, "/tmp/test-ttrpc-server.XXXXXX");
	ASSERT_TRUE(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/run/sub/t.sock", f.dir);
	f.s = ttrpc_server_new();
	ASSERT_TRUE(f.s);
	ASSERT_OK(ttrpc_server_add_service(f.s, &aa_service, NULL));
	ASSERT_ERR(ttrpc_server_listen(f.s, "vsock://3:1024"), -EINVAL);
	ASSERT_ERR(ttrpc_server_listen(f.s, "unix://@abstract"), -EINVAL);
	ASSERT_ERR(ttrpc_server_listen(f.s, ""), -EINVAL);
	memset(p, 'x', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = 0;
	ASSERT_ERR(ttrpc_server_listen(f.s, p), -ENAMETOOLONG);

	/* a stale socket is replaced; the new one is not visible until run() */
	snprintf(p, sizeof(p), "unix://%s", f.path);
	ASSERT_OK(mkdir_parents(f.path, 0700));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, f.path);
		ASSERT_OK(bind(fd, (struct sockaddr *) &sa, sizeof(sa)));
		close(fd);
	}
	ASSERT_OK(ttrpc_server_listen(f.s, p));
	ASSERT_ERR(ttrpc_server_listen(f.s, p), -EBUSY);
	ASSERT_TRUE(access(f.path, F_OK) < 0);
	snprintf(p, sizeof(p), "%s/run", f.dir);
	ASSERT_OK(stat(p, &st));
	ASSERT_EQ(st.st_mode & 07777, 0700);

	ASSERT_EQ(pthread_create(&f.thread, NULL, server_thread, &f), 0);
	ASSERT_TRUE(wait_path(f.path, true));
	ASSERT_OK(lstat(f.path, &st));
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_ERR(ttrpc_server_add_service(f.s, &kp_service, NULL), -EBUSY);
	/* only the socket is there, no temporary name left behind */
	snprintf(p, sizeof(p), "%s/run/sub", f.dir);
	{
		DIR *d = opendir(p);
		struct dirent *de;
		int n = 0;

		ASSERT_TRUE(d);
		while ((de = readdir(d)))
			n += de->d_name[0] != '.';
		closedir(d);
		ASSERT_EQ(n, 1);
	}
	stop(&f);

	/* something that is not a socket is never removed */
	strcpy(f.dir, "/tmp/test-ttrpc-server.XXXXXX");
	ASSERT_TRUE(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/file", f.dir);
	fd = open(f.path, O_CREAT | O_WRONLY, 0600);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	f.s = ttrpc_server_new();
	ASSERT_TRUE(f.s);
	ASSERT_ERR(ttrpc_server_listen(f.s, f.path), -EEXIST);
	ASSERT_OK(access(f.path, F_OK));
	ttrpc_server_free(f.s);
	ASSERT_OK(unlink(f.path));
	ASSERT_OK(rmdir(f.dir));
}

static void test_service_check(void)
{
	static const struct ttrpc_method missing[] = {
		{ "UnWrapKey", get_token },
		{ "Nope", NULL },
	};
	static const struct ttrpc_method dup[] = {
		{ "UnWrapKey", get_token },
		{ "UnWrapKey", NULL },
	};
	struct ttrpc_service svc = kp_service;
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *s = ttrpc_server_new();

	ASSERT_TRUE(s);

	ASSERT_OK(ttrpc_service_check(&aa_service));
	ASSERT_OK(ttrpc_service_check(&kp_service));
	svc.n_methods = 1;
	ASSERT_ERR(ttrpc_service_check(&svc), -EINVAL);
	svc.n_methods = 2;
	svc.methods = missing;
	ASSERT_ERR(ttrpc_service_check(&svc), -EINVAL);
	svc.methods = dup;
	ASSERT_ERR(ttrpc_service_check(&svc), -EINVAL);
	ASSERT_ERR(ttrpc_server_add_service(s, &svc, NULL), -EINVAL);
	ASSERT_OK(ttrpc_server_add_service(s, &kp_service, NULL));
	ASSERT_ERR(ttrpc_server_add_service(s, &kp_service, NULL), -EEXIST);
	ASSERT_ERR(ttrpc_server_run(s), -EBADF); /* not listening */
}

static void test_calls(void)
{
	struct fixture f;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	AttestationAgent__GetTeeTypeRequest tq = ATTESTATION_AGENT__GET_TEE_TYPE_REQUEST__INIT;
	AttestationAgent__GetTokenRequest kq = ATTESTATION_AGENT__GET_TOKEN_REQUEST__INIT;
	struct ttrpc_status st = TTRPC_STATUS_INIT;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	ProtobufCMessage *m = NULL;
	char addr[160];
	int fd;

	start(&f, 4);
	snprintf(addr, sizeof(addr), "unix://%s", f.path);
	ASSERT_OK(ttrpc_client_connect(addr, &c));

	ASSERT_OK(ttrpc_client_call(c, AA, "GetTeeType", &tq.base,
				    &attestation_agent__get_tee_type_response__descriptor, 0, &m,
				    &st));
	ASSERT_STREQ(((AttestationAgent__GetTeeTypeResponse *) m)->tee, "tdx");
	protobuf_c_message_free_unpacked(m, NULL);

	/* service fail(): upstream's fixed message */
	ASSERT_ERR(ttrpc_client_call(c, AA, "GetToken", &kq.base,
				     &attestation_agent__get_token_response__descriptor, 0, &m,
				     &st),
		   -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_INTERNAL);
	ASSERT_STREQ(st.message, "[ERROR:attestation-agent] AA-KBC get token failed");
	/* no fail(): INTERNAL with the error text */
	ASSERT_ERR(ttrpc_client_call_raw(c, KP, "UnWrapKey", NULL, 0, 0, &out, &st), -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_INTERNAL);
	ASSERT_STREQ(st.message, strerror(EACCES));
	/* NULL entry: NOT_FOUND as upstream's generated stubs */
	ASSERT_ERR(ttrpc_client_call_raw(c, KP, "WrapKey", NULL, 0, 0, &out, &st), -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_NOT_FOUND);
	ASSERT_STREQ(st.message, "/keyprovider.KeyProviderService/WrapKey is not supported");
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "BindInitData", NULL, 0, 0, &out, &st), -EREMOTEIO);
	ASSERT_STREQ(st.message,
		     "/attestation_agent.AttestationAgentService/BindInitData is not supported");
	ASSERT_ERR(ttrpc_client_call_raw(c, "api.Nope", "X", NULL, 0, 0, &out, &st), -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_INVALID_ARGUMENT);
	ASSERT_STREQ(st.message, "api.Nope service does not exist");
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "Frobnicate", NULL, 0, 0, &out, &st), -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_UNIMPLEMENTED);
	ASSERT_STREQ(st.message, "Frobnicate method");
	/* a payload that is not the method's input type */
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetEvidence", "\xff", 1, 0, &out, &st),
		   -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_INVALID_ARGUMENT);
	/* a handler's wrong response type is not sent */
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetAdditionalTees", NULL, 0, 0, &out, &st),
		   -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_INTERNAL);
	ttrpc_status_done(&st);

	fd = raw_connect(f.path);
	raw_evidence(fd, 1, "hello", 0);
	expect_evidence(fd, 1, "hello");
	raw_evidence(fd, 3, "status", 0);
	expect_status(fd, 3, TTRPC_CODE_PERMISSION_DENIED, "denied by policy");
	raw_evidence(fd, 5, "fail", 0);
	expect_status(fd, 5, TTRPC_CODE_INTERNAL, "");
	/* a reply over 4 MiB becomes ttrpc-rust's check_oversize() status */
	raw_evidence(fd, 7, "big", 0);
	expect_status(fd, 7, TTRPC_CODE_INVALID_ARGUMENT,
		      "message length 4194316 exceed maximum message size of 4194304");
	close(fd);
	stop(&f);
}

static void test_protocol_errors(void)
{
	static const uint8_t data_frame[] = { 0, 0, 0, 1, 0, 0, 0, 9, 3, 0, 0 };
	static const uint8_t resp_frame[] = { 0, 0, 0, 2, 0, 0, 0, 11, 2, 0, 0x0a, 0 };
	static const uint8_t unknown_type[] = { 0, 0, 0, 0, 0, 0, 0, 13, 7, 0 };
	static const uint8_t garbage[] = { 0, 0, 0, 3, 0, 0, 0, 15, 1, 0, 0x0a, 0x7f, 0x00 };
	_cleanup_free_ uint8_t *big = calloc(1, TTRPC_MESSAGE_LENGTH_MAX + 64);
	uint8_t h[TTRPC_HEADER_SIZE];
	struct fixture f;
	int fd;

	ASSERT_TRUE(big);
	start(&f, 2);
	fd = raw_connect(f.path);

	raw_request(fd, 2, AA, "GetTeeType", NULL, 0, 0);
	expect_status(fd, 2, TTRPC_CODE_INVALID_ARGUMENT, "stream id must be odd");
	raw_write(fd, data_frame, sizeof(data_frame));
	expect_status(fd, 9, TTRPC_CODE_INVALID_ARGUMENT, "Stream is no longer active");
	/* Responses and unknown types are ignored: the next answer is for stream 17 */
	raw_write(fd, resp_frame, sizeof(resp_frame));
	raw_write(fd, unknown_type, sizeof(unknown_type));
	raw_write(fd, garbage, sizeof(garbage));
	expect_status(fd, 15, TTRPC_CODE_INVALID_ARGUMENT, NULL);
	raw_evidence(fd, 17, "after", 0);
	expect_evidence(fd, 17, "after");

	/* oversized: the body is skipped, the status goes to its stream, the connection
	 * goes on (ttrpc-rust's wording) */
	ttrpc_header_encode(&(struct ttrpc_header){ .length = TTRPC_MESSAGE_LENGTH_MAX + 1,
						    .stream_id = 19,
						    .type = TTRPC_TYPE_REQUEST },
			    h);
	raw_write(fd, h, sizeof(h));
	raw_write(fd, big, TTRPC_MESSAGE_LENGTH_MAX + 1);
	expect_status(fd, 19, TTRPC_CODE_INVALID_ARGUMENT,
		      "message length 4194305 exceed maximum message size of 4194304");
	raw_evidence(fd, 21, "still here", 0);
	expect_evidence(fd, 21, "still here");

	/* a frame of exactly 4 MiB is served */
	{
		_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
		AttestationAgent__GetEvidenceRequest q =
		    ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
		size_t n = TTRPC_MESSAGE_LENGTH_MAX - 80;
		uint32_t id;
		Ttrpc__Response *r;

		for (;;) {
			buf_reset(&b);
			q.runtimedata = (ProtobufCBinaryData){ .len = n, .data = big };
			ASSERT_OK(
			    ttrpc_frame_pack_request_msg(&b, 23, AA, "GetEvidence", &q.base, 0));
			if (get_be32(b.data) == TTRPC_MESSAGE_LENGTH_MAX)
				break;
			n++;
		}
		raw_write(fd, b.data, b.len);
		r = raw_response(fd, &id);
		ASSERT_EQ(id, 23);
		ASSERT_EQ(r->status->code, 0);
		ASSERT_TRUE(r->payload.len > n);
		ttrpc__response__free_unpacked(r, NULL);
	}
	close(fd);
	stop(&f);
}

static void test_deadline(void)
{
	struct fixture f;
	uint64_t t0;
	int fd;

	start(&f, 1);
	fd = raw_connect(f.path);

	/* answered at the deadline while the handler still runs */
	t0 = now_usec();
	raw_evidence(fd, 1, "sleep:400", 100 * 1000 * 1000);
	expect_status(fd, 1, TTRPC_CODE_DEADLINE_EXCEEDED, "timeout");
	ASSERT_TRUE(ms_since(t0) >= 100);
	ASSERT_TRUE(ms_since(t0) < ms_bound(300));

	/* the only worker is busy: a queued call times out without ever running */
	atomic_store(&evidence_runs, 0);
	raw_evidence(fd, 3, "queued", 50 * 1000 * 1000);
	expect_status(fd, 3, TTRPC_CODE_DEADLINE_EXCEEDED, "timeout");
	/* the late results are dropped: the next reply on the wire is stream 5's */
	raw_evidence(fd, 5, "next", 0);
	expect_evidence(fd, 5, "next");
	ASSERT_EQ(atomic_load(&evidence_runs), 1);
	ASSERT_TRUE(ms_since(t0) >= 400);

	/* a negative timeout is no deadline (ttrpc-rust casts it to u64) */
	raw_evidence(fd, 7, "sleep:50", -1);
	expect_evidence(fd, 7, "sleep:50");
	close(fd);
	stop(&f);
}

struct slow_arg {
	struct ttrpc_client *c;
	const char *data;
	uint64_t done_at;
	int r;
};

static void *evidence_thread(void *arg)
{
	struct slow_arg *a = arg;
	AttestationAgent__GetEvidenceRequest q = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	AttestationAgent__GetEvidenceResponse *e = NULL;

	q.runtimedata = (ProtobufCBinaryData){ .len = strlen(a->data),
					       .data = (uint8_t *) a->data };
	a->r = ttrpc_client_call(a->c, AA, "GetEvidence", &q.base,
				 &attestation_agent__get_evidence_response__descriptor,
				 5 * USEC_PER_SEC, (ProtobufCMessage **) &e, NULL);
	if (a->r >= 0 &&
	    (e->evidence.len != strlen(a->data) ||
	     (e->evidence.len && memcmp(e->evidence.data, a->data, e->evidence.len) != 0)))
		a->r = -EBADMSG;
	protobuf_c_message_free_unpacked((ProtobufCMessage *) e, NULL);
	a->done_at = now_usec();
	return NULL;
}

/* A long call (PullImage) must not hold up short ones on the same connection. */
static void test_concurrency(void)
{
	enum {
		N = 40
	};
	struct fixture f;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	struct slow_arg slow, fast[N];
	char data[N][16];
	pthread_t ts, tf[N];
	uint64_t t0;

	start(&f, 16);
	ASSERT_OK(ttrpc_client_connect(f.path, &c));
	slow = (struct slow_arg){ .c = c, .data = "sleep:500" };
	ASSERT_EQ(pthread_create(&ts, NULL, evidence_thread, &slow), 0);
	usleep(20000);
	t0 = now_usec();
	for (int i = 0; i < N; i++) {
		snprintf(data[i], sizeof(data[i]), i % 4 ? "fast-%d" : "sleep:100", i);
		fast[i] = (struct slow_arg){ .c = c, .data = data[i] };
		ASSERT_EQ(pthread_create(&tf[i], NULL, evidence_thread, &fast[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(pthread_join(tf[i], NULL), 0);
		ASSERT_OK(fast[i].r);
	}
	/* 10 calls of 100 ms ran side by side */
	ASSERT_TRUE(ms_since(t0) < ms_bound(600));
	ASSERT_EQ(pthread_join(ts, NULL), 0);
	ASSERT_OK(slow.r);
	for (int i = 0; i < N && time_factor() == 1; i++)
		ASSERT_TRUE(fast[i].done_at < slow.done_at);
	c = ttrpc_client_free(c);
	stop(&f);
}

/* Replies held to share a send must not wait for a slow call behind them: with one
 * worker, a quick call and a slow one sent together, the quick reply comes at once. */
static void test_held_reply_bound(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	AttestationAgent__GetEvidenceRequest q = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	struct fixture f;
	uint64_t t0;
	int fd;

	start(&f, 1);
	fd = raw_connect(f.path);
	for (uint32_t id = 1; id <= 7; id += 2) {
		const char *d = id < 7 ? "quick" : "sleep:400";

		q.runtimedata = (ProtobufCBinaryData){ .len = strlen(d), .data = (uint8_t *) d };
		ASSERT_OK(ttrpc_frame_pack_request_msg(&b, id, AA, "GetEvidence", &q.base, 0));
	}
	t0 = now_usec();
	raw_write(fd, b.data, b.len);
	for (uint32_t id = 1; id < 7; id += 2)
		expect_evidence(fd, id, "quick");
	ASSERT_TRUE(ms_since(t0) < ms_bound(250));
	expect_evidence(fd, 7, "sleep:400");
	ASSERT_TRUE(ms_since(t0) >= 400);
	close(fd);
	stop(&f);
}

static void test_broken_connections(void)
{
	static const uint8_t part_header[] = { 0, 0, 0 };
	struct fixture f;
	int a, b, d, idle, ok;

	start_with(&f, 2, &(struct knobs){ .stall_usec = 300 * 1000 });
	idle = raw_connect(f.path);
	a = raw_connect(f.path);
	raw_write(a, part_header, sizeof(part_header));
	close(a); /* EOF inside a header */
	b = raw_connect(f.path);
	{
		_cleanup_(buf_done) struct buf fr = BUF_INIT(BUF_UNLIMITED);

		ASSERT_OK(ttrpc_frame_pack_request(&fr, 1, AA, "GetTeeType", NULL, 0, 0));
		raw_write(b, fr.data, fr.len - 4);
		close(b); /* EOF inside a body */
	}
	d = raw_connect(f.path);
	raw_write(d, part_header, sizeof(part_header)); /* stalls */

	ok = raw_connect(f.path);
	raw_evidence(ok, 1, "served", 0);
	expect_evidence(ok, 1, "served");

	/* the stalled one is cut off, the idle one is not */
	ASSERT_TRUE(peer_closed(d, 3000));
	raw_evidence(idle, 1, "idle", 0);
	expect_evidence(idle, 1, "idle");
	close(d);
	close(idle);
	close(ok);
	stop(&f);
}

static void test_many_connections(void)
{
	enum {
		N = 100
	};
	struct fixture f;
	int fd[N];

	start(&f, 4);
	for (int i = 0; i < N; i++)
		fd[i] = raw_connect(f.path);
	for (int i = 0; i < N; i++)
		raw_evidence(fd[i], 1, "x", 0);
	for (int i = 0; i < N; i++) {
		expect_evidence(fd[i], 1, "x");
		close(fd[i]);
	}
	stop(&f);
}

/* Past the connection cap the rest wait in the backlog, and are served later. */
static void test_connection_cap(void)
{
	struct fixture f;
	int a, b;

	start_with(&f, 2, &(struct knobs){ .max_conns = 1 });
	a = raw_connect(f.path);
	raw_evidence(a, 1, "first", 0);
	expect_evidence(a, 1, "first");
	b = raw_connect(f.path);
	raw_evidence(b, 1, "second", 0);
	{
		struct pollfd pfd = { .fd = b, .events = POLLIN };

		ASSERT_EQ(poll(&pfd, 1, 100), 0);
	}
	close(a);
	expect_evidence(b, 1, "second");
	close(b);
	stop(&f);
}

/* Stop drains calls in flight: the reply still arrives, then the socket goes. */
static void test_drain(void)
{
	struct fixture f;
	int fd;

	start(&f, 2);
	fd = raw_connect(f.path);
	raw_evidence(fd, 1, "sleep:150", 0);
	usleep(50000);
	ttrpc_server_stop(f.s);
	expect_evidence(fd, 1, "sleep:150");
	ASSERT_TRUE(peer_closed(fd, 3000));
	close(fd);
	stop(&f);
}

/* A handler stuck past the drain timeout: run() returns anyway, the queued call never
 * runs, and the late worker finishes safely after the server is gone. */
static void test_drain_timeout(void)
{
	struct fixture f;
	uint64_t t0;
	int fd;

	start_with(&f, 1, &(struct knobs){ .drain_usec = 100 * 1000 });
	atomic_store(&evidence_runs, 0);
	fd = raw_connect(f.path);
	raw_evidence(fd, 1, "sleep:600", 0);
	raw_evidence(fd, 3, "never", 0);
	usleep(50000);
	t0 = now_usec();
	stop(&f);
	ASSERT_TRUE(ms_since(t0) < ms_bound(450));
	ASSERT_TRUE(peer_closed(fd, 1000));
	close(fd);
	usleep(650 * 1000); /* the worker returns from its handler into a freed-up server */
	ASSERT_EQ(atomic_load(&evidence_runs), 1);
}

static void test_inline(void)
{
	struct fixture f;
	int fd;

	start(&f, 0);
	fd = raw_connect(f.path);
	for (uint32_t id = 1; id < 40; id += 2) {
		raw_evidence(fd, id, "inline", 0);
		expect_evidence(fd, id, "inline");
	}
	close(fd);
	stop(&f);
}

TESTS(test_listen, test_service_check, test_calls, test_protocol_errors, test_deadline,
      test_concurrency, test_held_reply_bound, test_broken_connections, test_many_connections,
      test_connection_cap, test_drain, test_drain_timeout, test_inline)
