/* SPDX-License-Identifier: Apache-2.0 */
/* A byte stream from a ttrpc client fed to the server's per-connection parser and
 * dispatcher (common/ttrpc-server.c, included), cut into reads of varying size, with the
 * handlers run inline. Everything the server writes back must be well-formed Response
 * frames. Input: one byte choosing the read size, then the stream. */
#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "common/ttrpc-server.c"

static int echo_evidence(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	const AttestationAgent__GetEvidenceRequest *q = (const void *) req;
	AttestationAgent__GetEvidenceResponse *r = malloc(sizeof(*r));

	(void) u;
	if (!r)
		return -ENOMEM;
	attestation_agent__get_evidence_response__init(r);
	if (q->runtimedata.len) {
		r->evidence.data = malloc(q->runtimedata.len);
		if (!r->evidence.data) {
			free(r);
			return -ENOMEM;
		}
		memcpy(r->evidence.data, q->runtimedata.data, q->runtimedata.len);
		r->evidence.len = q->runtimedata.len;
	}
	*ret = &r->base;
	return 0;
}

static int tee_type(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
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

static int refuse(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	(void) u, (void) req, (void) ret;
	return ttrpc_handler_status(TTRPC_CODE_PERMISSION_DENIED, "denied by policy");
}

static int broken(void *u, const ProtobufCMessage *req, ProtobufCMessage **ret)
{
	(void) u, (void) req, (void) ret;
	return -EIO;
}

static const struct ttrpc_method aa_methods[] = {
	{ "GetEvidence", echo_evidence }, { "GetAdditionalEvidence", echo_evidence },
	{ "GetToken", refuse },           { "ExtendRuntimeMeasurement", broken },
	{ "BindInitData", NULL },         { "GetTeeType", tee_type },
	{ "GetAdditionalTees", NULL },
};

static const struct ttrpc_service aa = {
	.desc = &attestation_agent__attestation_agent_service__descriptor,
	.methods = aa_methods,
	.n_methods = ELEMENTSOF(aa_methods),
};

static const struct ttrpc_method kp_methods[] = {
	{ "WrapKey", NULL },
	{ "UnWrapKey", broken },
};

static const struct ttrpc_service kp = {
	.desc = &keyprovider__key_provider_service__descriptor,
	.methods = kp_methods,
	.n_methods = ELEMENTSOF(kp_methods),
};

/* Reads what the server sent and checks every complete frame. */
static void drain_and_check(int fd, struct buf *acc)
{
	uint8_t tmp[65536];
	ssize_t k;
	size_t pos = 0;

	while ((k = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
		if (buf_append(acc, tmp, (size_t) k) < 0)
			abort();
	while (acc->len - pos >= TTRPC_HEADER_SIZE) {
		struct ttrpc_header h;
		Ttrpc__Response *r;

		ttrpc_header_decode(acc->data + pos, &h);
		if (h.type != TTRPC_TYPE_RESPONSE || h.flags != 0 ||
		    h.length > TTRPC_MESSAGE_LENGTH_MAX)
			abort();
		if (acc->len - pos < TTRPC_HEADER_SIZE + h.length)
			break;
		r = ttrpc_response_unpack(acc->data + pos + TTRPC_HEADER_SIZE, h.length);
		if (!r || !r->status)
			abort();
		ttrpc__response__free_unpacked(r, NULL);
		pos += TTRPC_HEADER_SIZE + h.length;
	}
	if (pos > 0) {
		memmove(acc->data, acc->data + pos, acc->len - pos);
		buf_truncate(acc, acc->len - pos);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf scratch = BUF_INIT(TTRPC_HEADER_SIZE +
							  TTRPC_MESSAGE_LENGTH_MAX);
	_cleanup_(buf_done) struct buf acc = BUF_INIT(BUF_UNLIMITED);
	struct ttrpc_server *s;
	struct conn *c;
	size_t chunk;
	int sv[2];

	if (size < 1)
		return 0;
	chunk = 1 + (size_t) data[0] * 97; /* 1 byte up to about 24 KiB per read */
	data++, size--;

	log_set_level(LOG_LEVEL_OFF);
	s = ttrpc_server_new();
	if (!s)
		abort();
	ttrpc_server_set_max_workers(s, 0); /* handlers inline: no threads */
	if (ttrpc_server_add_service(s, &aa, NULL) < 0 ||
	    ttrpc_server_add_service(s, &kp, NULL) < 0)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	atomic_init(&c->refs, 1);
	c->s = s;
	c->fd = sv[0];
	c->out = BUF_INIT(CONN_OUT_MAX);
	c->want_in = true;
	(void) pthread_mutex_init(&c->out_lock, NULL);

	/* What conn_on_readable() does with each recv(), minus the socket. */
	while (size > 0 && !c->dead) {
		size_t k;

		if (!c->in) {
			c->in = malloc(CONN_IN_CHUNK);
			if (!c->in)
				abort();
			c->in_cap = CONN_IN_CHUNK;
		}
		k = MIN(chunk, size);
		k = MIN(k, c->in_cap - c->in_len);
		if (k == 0)
			abort(); /* the parser must always leave room for the next read */
		memcpy(c->in + c->in_len, data, k);
		c->in_len += k;
		data += k;
		size -= k;
		if (conn_process(c, &scratch) < 0)
			break;
		drain_and_check(sv[1], &acc);
		pthread_mutex_lock(&c->out_lock);
		conn_flush_locked(c);
		pthread_mutex_unlock(&c->out_lock);
		drain_and_check(sv[1], &acc);
		if (atomic_load(&c->paused))
			abort(); /* inline calls finish at once: nothing to wait for */
	}
	if (atomic_load(&c->inflight) != 0 || atomic_load(&s->n_calls) != 0)
		abort();
	conn_unref(c);
	(void) close(sv[1]);
	ttrpc_server_free(s);
	return 0;
}
