/* SPDX-License-Identifier: Apache-2.0 */
/* The ttrpc client against a scripted raw peer: stream ids, deadlines on the wire,
 * replies out of order, statuses, timeouts, malformed and oversized replies, resets. */
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-client.h"
#include "tests/unit/tests.h"

#define AA "attestation_agent.AttestationAgentService"

struct peer {
	char dir[64], path[128];
	int lfd, fd;
	pthread_t thread;
	void (*script)(struct peer *p);
	int failures;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int recv_full(int fd, void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t k = recv(fd, q, n, 0);

		if (k <= 0)
			return -ECONNRESET;
		q += k;
		n -= (size_t) k;
	}
	return 0;
}

/* Something went wrong on the peer's side (an allocation too, under alloc-torture.py):
 * the client must not wait for a reply that never comes. */
static void peer_fail(struct peer *p)
{
	p->failures++;
	(void) shutdown(p->fd, SHUT_RDWR);
}

/* Reads one Request frame from the client; NULL on EOF. Any failure (an allocation
 * under alloc-torture.py too) ends the connection, so the stream never desynchronises. */
static Ttrpc__Request *peer_read(struct peer *p, struct ttrpc_header *h)
{
	uint8_t b[TTRPC_HEADER_SIZE];
	_cleanup_free_ uint8_t *body = NULL;
	Ttrpc__Request *r = NULL;

	if (recv_full(p->fd, b, sizeof(b)) == 0) {
		ttrpc_header_decode(b, h);
		body = malloc(h->length + 1);
		if (body && recv_full(p->fd, body, h->length) == 0)
			r = ttrpc_request_unpack(body, h->length);
	}
	if (!r)
		(void) shutdown(p->fd, SHUT_RDWR);
	return r;
}

static void peer_send(struct peer *p, const void *data, size_t n)
{
	if (send(p->fd, data, n, MSG_NOSIGNAL) != (ssize_t) n)
		peer_fail(p);
}

/* Replies with GetEvidenceResponse{Evidence = the request's RuntimeData}. */
static void peer_echo(struct peer *p, uint32_t id, const Ttrpc__Request *r)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	AttestationAgent__GetEvidenceRequest *q;
	AttestationAgent__GetEvidenceResponse e = ATTESTATION_AGENT__GET_EVIDENCE_RESPONSE__INIT;

	q = attestation_agent__get_evidence_request__unpack(NULL, r->payload.len, r->payload.data);
	if (!q) {
		peer_fail(p);
		return;
	}
	e.evidence = q->runtimedata;
	if (ttrpc_frame_pack_response(&b, id, &e.base) < 0)
		peer_fail(p);
	peer_send(p, b.data, b.len);
	attestation_agent__get_evidence_request__free_unpacked(q, NULL);
}

static void *peer_thread(void *arg)
{
	struct peer *p = arg;

	p->fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (p->fd < 0) {
		peer_fail(p);
		return NULL;
	}
	p->script(p);
	close(p->fd);
	return NULL;
}

static void peer_start(struct peer *p, void (*script)(struct peer *p))
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	*p = (struct peer){ .script = script };
	strcpy(p->dir, "/tmp/test-ttrpc-client.XXXXXX");
	ASSERT_TRUE(mkdtemp(p->dir));
	snprintf(p->path, sizeof(p->path), "%s/s", p->dir);
	strcpy(sa.sun_path, p->path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(bind(p->lfd, (struct sockaddr *) &sa, sizeof(sa)));
	ASSERT_OK(listen(p->lfd, 4));
	ASSERT_EQ(pthread_create(&p->thread, NULL, peer_thread, p), 0);
}

static void peer_stop(struct peer *p)
{
	ASSERT_EQ(pthread_join(p->thread, NULL), 0);
	ASSERT_EQ(p->failures, 0);
	close(p->lfd);
	ASSERT_OK(unlink(p->path));
	ASSERT_OK(rmdir(p->dir));
}

static int evidence(struct ttrpc_client *c, const char *data, uint64_t timeout_usec,
		    struct ttrpc_status *st)
{
	AttestationAgent__GetEvidenceRequest q = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	AttestationAgent__GetEvidenceResponse *e = NULL;
	int r;

	q.runtimedata = (ProtobufCBinaryData){ .len = strlen(data), .data = (uint8_t *) data };
	r = ttrpc_client_call(c, AA, "GetEvidence", &q.base,
			      &attestation_agent__get_evidence_response__descriptor, timeout_usec,
			      (ProtobufCMessage **) &e, st);
	if (r < 0)
		return r;
	if (e->evidence.len != strlen(data) ||
	    (e->evidence.len && memcmp(e->evidence.data, data, e->evidence.len)))
		r = -EBADMSG;
	attestation_agent__get_evidence_response__free_unpacked(e, NULL);
	return r;
}

/* ---- stream ids and deadlines on the wire ---- */

static void script_ids(struct peer *p)
{
	for (uint32_t want = 1; want <= 7; want += 2) {
		struct ttrpc_header h;
		Ttrpc__Request *r = peer_read(p, &h);

		if (!r || h.stream_id != want || h.type != TTRPC_TYPE_REQUEST || h.flags != 0 ||
		    !streq(r->service, AA) || !streq(r->method, "GetEvidence"))
			peer_fail(p);
		/* the call's timeout travels as timeout_nano (ttrpc-rust's ctx.timeout_nano) */
		if (r && r->timeout_nano != (want == 3 ? 2500000000LL : 0))
			peer_fail(p);
		if (r)
			peer_echo(p, h.stream_id, r);
		ttrpc__request__free_unpacked(r, NULL);
	}
}

static void test_ids_and_timeout_nano(void)
{
	struct peer p;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	char addr[160];

	peer_start(&p, script_ids);
	snprintf(addr, sizeof(addr), "unix://%s", p.path);
	ASSERT_OK(ttrpc_client_connect(addr, &c));
	ASSERT_OK(evidence(c, "one", 0, NULL));
	ASSERT_OK(evidence(c, "two", 2500000, NULL));
	ASSERT_OK(evidence(c, "", 0, NULL));
	ASSERT_OK(evidence(c, "four", 0, NULL));
	c = ttrpc_client_free(c);
	peer_stop(&p);
}

/* ---- replies out of order, from several threads ---- */

enum {
	N_CONC = 16
};

static void script_reverse(struct peer *p)
{
	Ttrpc__Request *r[N_CONC];
	uint32_t id[N_CONC];

	for (int i = 0; i < N_CONC; i++) {
		struct ttrpc_header h;

		r[i] = peer_read(p, &h);
		id[i] = h.stream_id;
		if (!r[i]) {
			peer_fail(p);
			return;
		}
	}
	for (int i = N_CONC - 1; i >= 0; i--) {
		peer_echo(p, id[i], r[i]);
		ttrpc__request__free_unpacked(r[i], NULL);
	}
}

struct conc_arg {
	struct ttrpc_client *c;
	char data[16];
	int r;
};

static void *conc_thread(void *arg)
{
	struct conc_arg *a = arg;

	a->r = evidence(a->c, a->data, 5000000, NULL);
	return NULL;
}

static void test_concurrent_out_of_order(void)
{
	struct peer p;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	struct conc_arg a[N_CONC];
	pthread_t t[N_CONC];

	peer_start(&p, script_reverse);
	ASSERT_OK(ttrpc_client_connect(p.path, &c));
	for (int i = 0; i < N_CONC; i++) {
		a[i].c = c;
		snprintf(a[i].data, sizeof(a[i].data), "call-%d", i);
		ASSERT_EQ(pthread_create(&t[i], NULL, conc_thread, &a[i]), 0);
	}
	for (int i = 0; i < N_CONC; i++) {
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
		ASSERT_OK(a[i].r);
	}
	c = ttrpc_client_free(c);
	peer_stop(&p);
}

/* ---- statuses, timeouts, bad replies ---- */

static void script_mixed(struct peer *p)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct ttrpc_header h;
	Ttrpc__Request *r;
	uint32_t late;
	uint8_t hdr[TTRPC_HEADER_SIZE];

	/* 1: a status */
	r = peer_read(p, &h);
	ttrpc__request__free_unpacked(r, NULL);
	(void) ttrpc_frame_pack_status(&b, h.stream_id, TTRPC_CODE_PERMISSION_DENIED,
				       "denied by policy");
	peer_send(p, b.data, b.len);

	/* 2: no answer in time; answered late, which the client must drop */
	r = peer_read(p, &h);
	late = h.stream_id;
	ttrpc__request__free_unpacked(r, NULL);

	/* 3: status absent altogether (Go and Rust treat that as OK) */
	r = peer_read(p, &h);
	buf_reset(&b);
	ttrpc_header_encode(&(struct ttrpc_header){ .length = 0,
						    .stream_id = h.stream_id,
						    .type = TTRPC_TYPE_RESPONSE },
			    hdr);
	(void) ttrpc_frame_pack_status(&b, late, TTRPC_CODE_OK, NULL);
	peer_send(p, b.data, b.len); /* the late one first */
	peer_send(p, hdr, sizeof(hdr));
	ttrpc__request__free_unpacked(r, NULL);

	/* 4: garbage instead of a Response */
	r = peer_read(p, &h);
	ttrpc__request__free_unpacked(r, NULL);
	ttrpc_header_encode(&(struct ttrpc_header){ .length = 2,
						    .stream_id = h.stream_id,
						    .type = TTRPC_TYPE_RESPONSE },
			    hdr);
	peer_send(p, hdr, sizeof(hdr));
	peer_send(p, "\x0a\x7f", 2);

	/* 5: an oversized reply, skipped; 6: a data frame for the call, ignored, then the
	 * reply */
	r = peer_read(p, &h);
	ttrpc__request__free_unpacked(r, NULL);
	{
		_cleanup_free_ uint8_t *big = calloc(1, TTRPC_MESSAGE_LENGTH_MAX + 1);

		ttrpc_header_encode(&(struct ttrpc_header){ .length = TTRPC_MESSAGE_LENGTH_MAX + 1,
							    .stream_id = h.stream_id,
							    .type = TTRPC_TYPE_RESPONSE },
				    hdr);
		peer_send(p, hdr, sizeof(hdr));
		peer_send(p, big, TTRPC_MESSAGE_LENGTH_MAX + 1);
	}
	r = peer_read(p, &h);
	ttrpc_header_encode(&(struct ttrpc_header){ .length = 0,
						    .stream_id = h.stream_id,
						    .type = TTRPC_TYPE_DATA },
			    hdr);
	peer_send(p, hdr, sizeof(hdr));
	peer_echo(p, h.stream_id, r);
	ttrpc__request__free_unpacked(r, NULL);

	/* 7: hang up while a call waits */
	r = peer_read(p, &h);
	ttrpc__request__free_unpacked(r, NULL);
}

static void test_status_timeout_errors(void)
{
	struct peer p;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	struct ttrpc_status st = TTRPC_STATUS_INIT;
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);
	uint64_t t0;

	peer_start(&p, script_mixed);
	ASSERT_OK(ttrpc_client_connect(p.path, &c));
	ASSERT_ERR(evidence(c, "a", 0, &st), -EREMOTEIO);
	ASSERT_EQ(st.code, TTRPC_CODE_PERMISSION_DENIED);
	ASSERT_STREQ(st.message, "denied by policy");
	ttrpc_status_done(&st);

	t0 = now_ms();
	ASSERT_ERR(evidence(c, "b", 150000, &st), -ETIMEDOUT);
	ASSERT_TRUE(now_ms() - t0 >= 150);
	ASSERT_TRUE(now_ms() - t0 < 1000);

	ASSERT_OK(ttrpc_client_call_raw(c, AA, "GetTeeType", NULL, 0, 0, &out, &st));
	ASSERT_EQ(out.len, 0);
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetTeeType", NULL, 0, 0, &out, &st), -EPROTO);
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetTeeType", NULL, 0, 0, &out, &st), -E2BIG);
	ASSERT_OK(evidence(c, "after", 0, &st));
	ASSERT_ERR(evidence(c, "c", 0, &st), -ECONNRESET);
	ASSERT_ERR(evidence(c, "d", 0, &st), -ECONNRESET);
	c = ttrpc_client_free(c);
	peer_stop(&p);
}

static void script_nothing(struct peer *p)
{
	(void) p;
}

static void test_connect_and_limits(void)
{
	struct peer p;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	_cleanup_free_ uint8_t *big = calloc(1, TTRPC_MESSAGE_LENGTH_MAX + 1);
	_cleanup_(buf_done) struct buf out = BUF_INIT(BUF_UNLIMITED);

	ASSERT_ERR(ttrpc_client_connect("/nonexistent/dir/sock", &c), -ENOENT);
	ASSERT_ERR(ttrpc_client_connect("vsock://3:1024", &c), -EINVAL);
	ASSERT_ERR(ttrpc_client_connect("unix://", &c), -EINVAL);

	peer_start(&p, script_nothing);
	ASSERT_OK(ttrpc_client_connect(p.path, &c));
	/* refused before anything is sent */
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetEvidence", big, TTRPC_MESSAGE_LENGTH_MAX + 1, 0,
					 &out, NULL),
		   -E2BIG);
	ASSERT_ERR(ttrpc_client_call_raw(c, AA, "GetEvidence", NULL, 1, 0, &out, NULL), -EINVAL);
	c = ttrpc_client_free(c);
	peer_stop(&p);
}

TESTS(test_ids_and_timeout_nano, test_concurrent_out_of_order, test_status_timeout_errors,
      test_connect_and_limits)
