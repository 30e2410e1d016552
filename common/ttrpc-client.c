/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc client (upstream.md §1; ttrpc-rust src/asynchronous/client.rs semantics): callers
 * write their Request frame whole under a lock and sleep on their own condition; one
 * reader thread reads Response frames and hands each to the caller of its stream id. */
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "ttrpc-client.h"

#define READER_STACK_SIZE (256 * 1024)
#define DISCARD_CHUNK 4096

struct pending {
	struct pending *next;
	uint32_t id;
	bool done;
	int error;
	uint8_t *body; /* the Response frame body */
	size_t len;
	pthread_cond_t cond;
};

struct ttrpc_client {
	int fd;
	pthread_t reader;
	pthread_mutex_t lock; /* next_id, pending, error */
	pthread_mutex_t write_lock;
	uint32_t next_id;
	struct pending *pending;
	int error; /* once set, the connection is gone */
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* 0 on success, -ECONNRESET on EOF or error. */
static int read_full(int fd, void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t k = recv(fd, q, n, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -ECONNRESET;
		q += k;
		n -= (size_t) k;
	}
	return 0;
}

static struct pending *pending_take_locked(struct ttrpc_client *c, uint32_t id)
{
	for (struct pending **p = &c->pending; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			struct pending *f = *p;

			*p = f->next;
			return f;
		}
	return NULL;
}

static void deliver(struct ttrpc_client *c, uint32_t id, uint8_t *body, size_t len, int error)
{
	struct pending *p;

	pthread_mutex_lock(&c->lock);
	p = pending_take_locked(c, id);
	if (p) {
		p->body = body;
		p->len = len;
		p->error = error;
		p->done = true;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&c->lock);
	if (!p)
		free(body); /* a reply after its caller gave up, or for no call at all */
}

static void *reader_main(void *arg)
{
	struct ttrpc_client *c = arg;
	uint8_t hdr[TTRPC_HEADER_SIZE], chunk[DISCARD_CHUNK];

	for (;;) {
		struct ttrpc_header h;
		uint8_t *body;

		if (read_full(c->fd, hdr, sizeof(hdr)) < 0)
			break;
		ttrpc_header_decode(hdr, &h);
		if (h.length > TTRPC_MESSAGE_LENGTH_MAX) {
			/* Skip it and fail only that call, as ttrpc-rust and Go do. */
			size_t left = h.length;

			while (left > 0) {
				size_t k = MIN(left, sizeof(chunk));

				if (read_full(c->fd, chunk, k) < 0)
					goto out;
				left -= k;
			}
			if (h.type == TTRPC_TYPE_RESPONSE)
				deliver(c, h.stream_id, NULL, 0, -E2BIG);
			continue;
		}
		body = malloc(h.length ? h.length : 1);
		if (!body)
			break;
		if (read_full(c->fd, body, h.length) < 0) {
			free(body);
			break;
		}
		if (h.type != TTRPC_TYPE_RESPONSE) {
			free(body); /* no streams are opened by this client */
			continue;
		}
		deliver(c, h.stream_id, body, h.length, 0);
	}
out:
	pthread_mutex_lock(&c->lock);
	c->error = -ECONNRESET;
	while (c->pending) {
		struct pending *p = c->pending;

		c->pending = p->next;
		p->error = -ECONNRESET;
		p->done = true;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int ttrpc_client_connect(const char *address, struct ttrpc_client **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = startswith(address, "unix://");
	struct ttrpc_client *c;
	pthread_attr_t a;
	int fd, r;

	if (!path) {
		if (strstr(address, "://"))
			return -EINVAL;
		path = address;
	}
	if (isempty(path) || path[0] == '@')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		r = -errno;
		(void) close(fd);
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		(void) close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->next_id = 1;
	(void) pthread_mutex_init(&c->lock, NULL);
	(void) pthread_mutex_init(&c->write_lock, NULL);

	r = pthread_attr_init(&a);
	if (r == 0) {
		(void) pthread_attr_setstacksize(&a, READER_STACK_SIZE);
		r = pthread_create(&c->reader, &a, reader_main, c);
		(void) pthread_attr_destroy(&a);
	}
	if (r != 0) {
		pthread_mutex_destroy(&c->lock);
		pthread_mutex_destroy(&c->write_lock);
		(void) close(fd);
		free(c);
		return -r;
	}
	*ret = c;
	return 0;
}

struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c)
{
	if (!c)
		return NULL;
	(void) shutdown(c->fd, SHUT_RDWR); /* the reader sees EOF and leaves */
	(void) pthread_join(c->reader, NULL);
	(void) close(c->fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->write_lock);
	free(c);
	return NULL;
}

/* Writes the whole frame by the deadline. A frame cut in half would desynchronise the
 * stream, so then the connection is shut down. */
static int send_frame(struct ttrpc_client *c, const uint8_t *p, size_t n, uint64_t deadline)
{
	size_t sent = 0;
	int r = 0;

	pthread_mutex_lock(&c->write_lock);
	while (sent < n) {
		ssize_t k = send(c->fd, p + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		uint64_t now;

		if (k >= 0) {
			sent += (size_t) k;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = -ECONNRESET;
			break;
		}
		now = now_usec();
		if (deadline && now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		(void) poll(&pfd, 1,
			    deadline ? (int) MIN((deadline - now + 999) / 1000, 60000ULL) : -1);
	}
	if (r < 0 && sent > 0)
		(void) shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->write_lock);
	return r;
}

/* Sends a request frame and waits for its Response body. */
static int call_frame(struct ttrpc_client *c, const char *service, const char *method,
		      const void *req, size_t n, uint64_t timeout_usec, uint8_t **ret_body,
		      size_t *ret_len)
{
	_cleanup_(buf_done) struct buf frame = BUF_INIT(TTRPC_HEADER_SIZE +
							TTRPC_MESSAGE_LENGTH_MAX);
	uint64_t deadline = timeout_usec ? now_usec() + timeout_usec : 0;
	int64_t timeout_nano = timeout_usec > (uint64_t) INT64_MAX / 1000
				   ? INT64_MAX
				   : (int64_t) timeout_usec * 1000;
	struct pending p = { .error = 0 };
	pthread_condattr_t ca;
	struct timespec ts;
	int r;

	/* Packed first, so a request that can never be sent fails the same way whatever
	 * the connection's state; the stream id is filled in below. */
	r = ttrpc_frame_pack_request(&frame, 1, service, method, req, n, timeout_nano);
	if (r < 0)
		return r;

	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&p.cond, &ca);
	(void) pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&c->lock);
	r = c->error;
	if (r >= 0) {
		p.id = c->next_id;
		/* Odd ids only; after 2^31 calls start again at 1 (ttrpc-rust just wraps). */
		c->next_id = c->next_id >= UINT32_MAX - 1 ? 1 : c->next_id + 2;
		p.next = c->pending;
		c->pending = &p;
	}
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		goto out;

	put_be32(frame.data + 4, p.id);
	r = send_frame(c, frame.data, frame.len, deadline);
	buf_done(&frame);

	pthread_mutex_lock(&c->lock);
	if (r >= 0) {
		if (deadline) {
			ts.tv_sec = (time_t) (deadline / 1000000);
			ts.tv_nsec = (long) (deadline % 1000000) * 1000;
		}
		while (!p.done)
			if (!deadline)
				pthread_cond_wait(&p.cond, &c->lock);
			else if (pthread_cond_timedwait(&p.cond, &c->lock, &ts) == ETIMEDOUT &&
				 !p.done) {
				r = -ETIMEDOUT;
				break;
			}
	}
	if (!p.done)
		(void) pending_take_locked(c, p.id);
	pthread_mutex_unlock(&c->lock);
	if (r >= 0)
		r = p.error;
	if (r >= 0) {
		*ret_body = steal_ptr(p.body);
		*ret_len = p.len;
	}
	free(p.body);
out:
	pthread_cond_destroy(&p.cond);
	return r;
}

int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const void *req, size_t n, uint64_t timeout_usec, struct buf *ret_payload,
			  struct ttrpc_status *ret_status)
{
	_cleanup_free_ uint8_t *body = NULL;
	Ttrpc__Response *resp;
	size_t len = 0;
	int r;

	if (!c || !service || !method || (!req && n > 0))
		return -EINVAL;
	r = call_frame(c, service, method, req, n, timeout_usec, &body, &len);
	if (r < 0)
		return r;
	resp = ttrpc_response_unpack(body, len);
	if (!resp)
		return -EPROTO;
	/* An absent status means OK too: ttrpc-rust's client only checks code != OK. */
	if (resp->status && resp->status->code != TTRPC_CODE_OK) {
		if (ret_status) {
			ttrpc_status_done(ret_status);
			ret_status->code = resp->status->code;
			ret_status->message = strdup(resp->status->message);
		}
		r = -EREMOTEIO;
	} else if (ret_payload)
		r = buf_append(ret_payload, resp->payload.data, resp->payload.len);
	ttrpc__response__free_unpacked(resp, NULL);
	return r;
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		      uint64_t timeout_usec, ProtobufCMessage **ret_resp,
		      struct ttrpc_status *ret_status)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	_cleanup_free_ uint8_t *p = NULL;
	ProtobufCMessage *m;
	size_t n;
	int r;

	if (!req || !resp_desc || !ret_resp)
		return -EINVAL;
	n = protobuf_c_message_get_packed_size(req);
	if (n > TTRPC_MESSAGE_LENGTH_MAX)
		return -E2BIG;
	p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	(void) protobuf_c_message_pack(req, p);
	r = ttrpc_client_call_raw(c, service, method, p, n, timeout_usec, &in, ret_status);
	if (r < 0)
		return r;
	m = protobuf_c_message_unpack(resp_desc, NULL, in.len, in.data ? in.data : p);
	if (!m)
		return -EPROTO;
	*ret_resp = m;
	return 0;
}
