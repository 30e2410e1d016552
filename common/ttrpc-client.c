/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc client. A reader thread demultiplexes Response frames to the waiting callers
 * by stream id; writers share one lock so frames never interleave. */
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/proto/ttrpc.pb-c.h"
#include "ttrpc-client.h"

struct waiter {
	uint32_t stream_id;
	bool done;
	int error;
	struct buf payload;
	struct ttrpc_status status;
	struct waiter *next;
};

struct ttrpc_client {
	int fd;
	pthread_t reader;
	pthread_mutex_t lock, write_lock;
	pthread_cond_t cond;
	uint32_t next_id;
	struct waiter *waiters;
	bool dead;
};

static void fail_all(struct ttrpc_client *c, int error)
{
	c->dead = true;
	for (struct waiter *w = c->waiters; w; w = w->next)
		if (!w->done) {
			w->done = true;
			w->error = error;
		}
	pthread_cond_broadcast(&c->cond);
}

static void deliver(struct ttrpc_client *c, uint32_t id, const uint8_t *data, size_t n)
{
	Ttrpc__Response *resp = ttrpc__response__unpack(NULL, n, data);
	struct waiter *w;

	for (w = c->waiters; w; w = w->next)
		if (w->stream_id == id && !w->done)
			break;
	if (!w) {
		/* A reply after our caller gave up on its deadline: nothing waits. */
		if (resp)
			ttrpc__response__free_unpacked(resp, NULL);
		return;
	}
	w->done = true;
	if (!resp)
		w->error = -EPROTO;
	else if (resp->status && resp->status->code != TTRPC_OK) {
		w->status.code = resp->status->code;
		(void) snprintf(w->status.message, sizeof(w->status.message), "%s",
				resp->status->message ? resp->status->message : "");
		w->error = -EREMOTEIO;
	} else {
		w->status.code = TTRPC_OK;
		w->error = buf_append(&w->payload, resp->payload.data, resp->payload.len);
	}
	if (resp)
		ttrpc__response__free_unpacked(resp, NULL);
	pthread_cond_broadcast(&c->cond);
}

static void *reader_main(void *arg)
{
	struct ttrpc_client *c = arg;
	_cleanup_(buf_done) struct buf data = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	uint8_t hdr[TTRPC_HEADER_SIZE];
	int r;

	for (;;) {
		struct ttrpc_header h;

		r = ttrpc_read_full(c->fd, hdr, sizeof(hdr));
		if (r < 0)
			break;
		ttrpc_header_decode(hdr, &h);
		if (h.length > TTRPC_MESSAGE_LENGTH_MAX) {
			r = -EPROTO;
			break;
		}
		buf_reset(&data);
		r = buf_reserve(&data, h.length);
		if (r < 0)
			break;
		r = ttrpc_read_full(c->fd, data.data, h.length);
		if (r < 0)
			break;
		if (h.type != TTRPC_TYPE_RESPONSE)
			continue;
		pthread_mutex_lock(&c->lock);
		deliver(c, h.stream_id, data.data, h.length);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	fail_all(c, r == -EPROTO ? -EPROTO : -ECONNRESET);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ttrpc_client_connect(const char *address, struct ttrpc_client **ret)
{
	struct ttrpc_client *c;
	int fd, r;

	r = ttrpc_connect(address, &fd);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c) {
		(void) close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->next_id = 1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->write_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	r = -pthread_create(&c->reader, NULL, reader_main, c);
	if (r < 0) {
		(void) close(fd);
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c)
{
	if (!c)
		return NULL;
	(void) shutdown(c->fd, SHUT_RDWR);
	(void) pthread_join(c->reader, NULL);
	(void) close(c->fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->write_lock);
	pthread_cond_destroy(&c->cond);
	free(c);
	return NULL;
}

int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t n, int64_t timeout_ns,
			  struct buf *ret_payload, struct ttrpc_status *ret_status)
{
	_cleanup_(buf_done) struct buf frame = BUF_INIT(TTRPC_HEADER_SIZE +
							TTRPC_MESSAGE_LENGTH_MAX);
	struct waiter w = { .payload = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX) };
	struct timespec until;
	int r;

	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return -ECONNRESET;
	}
	w.stream_id = c->next_id;
	c->next_id += 2;
	w.next = c->waiters;
	c->waiters = &w;
	pthread_mutex_unlock(&c->lock);

	r = ttrpc_frame_request(&frame, w.stream_id, service, method, payload, n,
				timeout_ns > 0 ? timeout_ns : 0);
	if (r >= 0) {
		pthread_mutex_lock(&c->write_lock);
		r = ttrpc_write_full(c->fd, frame.data, frame.len);
		pthread_mutex_unlock(&c->write_lock);
	}

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ns > 0) {
		until.tv_sec += (time_t) (timeout_ns / 1000000000);
		until.tv_nsec += (long) (timeout_ns % 1000000000);
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&c->lock);
	while (r >= 0 && !w.done) {
		if (timeout_ns > 0) {
			if (pthread_cond_timedwait(&c->cond, &c->lock, &until) == ETIMEDOUT &&
			    !w.done)
				r = -ETIMEDOUT;
		} else
			pthread_cond_wait(&c->cond, &c->lock);
	}
	if (r >= 0)
		r = w.error;
	for (struct waiter **p = &c->waiters; *p; p = &(*p)->next)
		if (*p == &w) {
			*p = w.next;
			break;
		}
	pthread_mutex_unlock(&c->lock);

	if (ret_status)
		*ret_status = w.status;
	if (r >= 0 && ret_payload) {
		buf_done(ret_payload);
		*ret_payload = w.payload;
		return 0;
	}
	buf_done(&w.payload);
	return r;
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		      int64_t timeout_ns, ProtobufCMessage **ret_resp,
		      struct ttrpc_status *ret_status)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	_cleanup_free_ uint8_t *payload = NULL;
	size_t n = protobuf_c_message_get_packed_size(req);
	ProtobufCMessage *resp;
	int r;

	if (n > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	payload = malloc(n ? n : 1);
	if (!payload)
		return -ENOMEM;
	(void) protobuf_c_message_pack(req, payload);
	r = ttrpc_client_call_raw(c, service, method, payload, n, timeout_ns, &out, ret_status);
	if (r < 0)
		return r;
	resp = protobuf_c_message_unpack(resp_desc, NULL, out.len, out.data);
	if (!resp)
		return -EPROTO;
	*ret_resp = resp;
	return 0;
}
