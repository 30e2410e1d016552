/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc server (upstream.md §1; ttrpc-rust 0.9 asynchronous/server.rs behaviour).
 * Threads: the caller's thread accepts and takes signals; one reader per connection
 * parses frames and queues calls; a fixed pool runs handlers; a deadline thread answers
 * DEADLINE_EXCEEDED at the deadline even while a handler still runs (its late result is
 * dropped), as ttrpc-rust's timeout wrapper does. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "common/proto/ttrpc.pb-c.h"
#include "ttrpc-server.h"

#define MAX_SERVICES 8
#define MAX_CONNECTIONS 256
#define N_WORKERS 16
#define MAX_QUEUED 1024
#define STALL_TIMEOUT_MS 30000
#define SEND_TIMEOUT_S 30
#define DRAIN_TIMEOUT_MS 10000
#define DISCARD_PAGE 4096

struct bound_service {
	const struct ttrpc_service *svc;
	void *userdata;
};

struct conn {
	struct ttrpc_server *server;
	int fd;
	/* ttrpc_server_feed(): replies go here and calls run inline. */
	struct buf *sink;
	pthread_mutex_t write_lock;
	atomic_int refs;
	struct conn *next; /* server's list, under server->lock */
};

struct call {
	struct conn *conn;
	uint32_t stream_id;
	const struct bound_service *bs;
	const struct ttrpc_method *m;
	const ProtobufCMethodDescriptor *md;
	ProtobufCMessage *req;
	uint64_t deadline_ns; /* 0: none */
	atomic_flag answered;
	bool in_deadlines;
	struct call *next, *dl_next;
};

struct ttrpc_server {
	struct bound_service services[MAX_SERVICES];
	size_t n_services;
	int listen_fd;
	char *socket_path;
	sigset_t sigmask;

	pthread_mutex_t lock;
	pthread_cond_t work_cond, idle_cond, dl_cond;
	struct call *queue_head, *queue_tail, *deadlines;
	size_t queued, running;
	size_t n_conns;
	struct conn *conns;
	bool stopping;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void conn_unref(struct conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	if (c->fd >= 0)
		(void) close(c->fd);
	pthread_mutex_destroy(&c->write_lock);
	free(c);
}

static void conn_unlist(struct ttrpc_server *s, struct conn *c)
{
	pthread_mutex_lock(&s->lock);
	for (struct conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->n_conns--;
	pthread_mutex_unlock(&s->lock);
}

static void conn_send(struct conn *c, uint32_t stream_id, const struct ttrpc_status *st,
		      const uint8_t *payload, size_t n)
{
	_cleanup_(buf_done) struct buf frame = BUF_INIT(TTRPC_HEADER_SIZE +
							TTRPC_MESSAGE_LENGTH_MAX);
	struct ttrpc_status big;
	int r;

	r = ttrpc_frame_response(&frame, stream_id, st, payload, n);
	if (r == -E2BIG) {
		/* Never send what the peer must refuse. */
		ttrpc_status_set(&big, TTRPC_RESOURCE_EXHAUSTED,
				 "message length %zu exceed maximum message size of %u", n,
				 TTRPC_MESSAGE_LENGTH_MAX);
		buf_reset(&frame);
		r = ttrpc_frame_response(&frame, stream_id, &big, NULL, 0);
	}
	if (r < 0) {
		log_debug_errno(r, "Failed to encode a ttrpc response: %m");
		return;
	}
	if (c->sink) {
		(void) buf_append(c->sink, frame.data, frame.len);
		return;
	}
	pthread_mutex_lock(&c->write_lock);
	r = ttrpc_write_full(c->fd, frame.data, frame.len);
	if (r < 0) {
		/* A peer that stopped reading or went away: end the connection; its reader
		 * sees EOF and cleans up. */
		log_debug_errno(r, "Failed to write a ttrpc response, closing: %m");
		(void) shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&c->write_lock);
}

static void send_status(struct conn *c, uint32_t stream_id, enum ttrpc_code code, const char *fmt,
			...) _printf_(4, 5);
static void send_status(struct conn *c, uint32_t stream_id, enum ttrpc_code code, const char *fmt,
			...)
{
	struct ttrpc_status st = { .code = code };
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(st.message, sizeof(st.message), fmt, ap);
	va_end(ap);
	conn_send(c, stream_id, &st, NULL, 0);
}

static struct call *call_free(struct call *call)
{
	if (!call)
		return NULL;
	if (call->req)
		protobuf_c_message_free_unpacked(call->req, NULL);
	conn_unref(call->conn);
	free(call);
	return NULL;
}

static void call_run(struct call *call)
{
	const struct bound_service *bs = call->bs;
	ProtobufCMessage *resp = NULL;
	struct ttrpc_status st = { .code = TTRPC_OK };
	uint8_t *payload = NULL;
	size_t n = 0;
	int r;

	r = call->m->call(bs->userdata, call->req, &resp);
	if (r < 0) {
		if (bs->svc->fail)
			bs->svc->fail(call->m->name, r, &st);
		else
			ttrpc_status_from_errno(&st, r);
		if (st.code == TTRPC_OK)
			ttrpc_status_from_errno(&st, r);
		log_error_errno(r, "%s/%s failed: %m", bs->svc->desc->name, call->m->name);
	} else if (resp) {
		n = protobuf_c_message_get_packed_size(resp);
		payload = malloc(n ? n : 1);
		if (payload)
			(void) protobuf_c_message_pack(resp, payload);
		else
			ttrpc_status_set(&st, TTRPC_INTERNAL, "out of memory");
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	/* Whoever answers first wins: the handler here, or the deadline thread. */
	if (!atomic_flag_test_and_set(&call->answered))
		conn_send(call->conn, call->stream_id, &st, payload, n);
	free(payload);
}

static void deadline_remove(struct ttrpc_server *s, struct call *call)
{
	for (struct call **p = &s->deadlines; *p; p = &(*p)->dl_next)
		if (*p == call) {
			*p = call->dl_next;
			break;
		}
	call->in_deadlines = false;
}

static void *worker_main(void *arg)
{
	struct ttrpc_server *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct call *call;

		while (!s->queue_head)
			pthread_cond_wait(&s->work_cond, &s->lock);
		call = s->queue_head;
		s->queue_head = call->next;
		if (!s->queue_head)
			s->queue_tail = NULL;
		s->queued--;
		s->running++;
		pthread_mutex_unlock(&s->lock);

		call_run(call);

		pthread_mutex_lock(&s->lock);
		if (call->in_deadlines)
			deadline_remove(s, call);
		s->running--;
		if (s->queued == 0 && s->running == 0)
			pthread_cond_broadcast(&s->idle_cond);
		pthread_mutex_unlock(&s->lock);
		call_free(call);
		pthread_mutex_lock(&s->lock);
	}
	return NULL;
}

static void *deadline_main(void *arg)
{
	struct ttrpc_server *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		uint64_t now = now_ns(), next = 0;
		struct call **p = &s->deadlines;

		while (*p) {
			struct call *call = *p;

			if (call->deadline_ns <= now) {
				*p = call->dl_next;
				call->in_deadlines = false;
				if (!atomic_flag_test_and_set(&call->answered)) {
					struct conn *c = call->conn;
					uint32_t id = call->stream_id;

					/* The call may be freed once the lock is dropped; the
					 * connection is kept by our own reference. */
					atomic_fetch_add(&c->refs, 1);
					pthread_mutex_unlock(&s->lock);
					send_status(c, id, TTRPC_DEADLINE_EXCEEDED, "timeout");
					conn_unref(c);
					pthread_mutex_lock(&s->lock);
				}
				p = &s->deadlines; /* the list may have changed */
				now = now_ns();
				continue;
			}
			if (!next || call->deadline_ns < next)
				next = call->deadline_ns;
			p = &call->dl_next;
		}
		if (next) {
			struct timespec ts;
			uint64_t wait = next - now;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t) (wait / 1000000000u);
			ts.tv_nsec += (long) (wait % 1000000000u);
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			(void) pthread_cond_timedwait(&s->dl_cond, &s->lock, &ts);
		} else
			pthread_cond_wait(&s->dl_cond, &s->lock);
	}
	return NULL;
}

static const struct bound_service *find_service(struct ttrpc_server *s, const char *name)
{
	for (size_t i = 0; i < s->n_services; i++)
		if (streq(s->services[i].svc->desc->name, name))
			return &s->services[i];
	return NULL;
}

static const struct ttrpc_method *find_method(const struct ttrpc_service *svc, const char *name)
{
	for (size_t i = 0; i < svc->n_methods; i++)
		if (streq(svc->methods[i].name, name))
			return &svc->methods[i];
	return NULL;
}

/* Handles one complete Request frame: answers protocol errors at once, queues the call
 * (or runs it inline for a sink connection). */
static void handle_request(struct conn *c, uint32_t stream_id, const uint8_t *data, size_t n)
{
	struct ttrpc_server *s = c->server;
	const ProtobufCMethodDescriptor *md;
	const struct bound_service *bs;
	const struct ttrpc_method *m;
	Ttrpc__Request *req;
	struct call *call;

	if ((stream_id & 1) == 0) {
		send_status(c, stream_id, TTRPC_INVALID_ARGUMENT, "stream id must be odd");
		return;
	}
	req = ttrpc__request__unpack(NULL, n, data);
	if (!req) {
		send_status(c, stream_id, TTRPC_INVALID_ARGUMENT, "failed to decode request");
		return;
	}
	bs = find_service(s, req->service);
	if (!bs) {
		send_status(c, stream_id, TTRPC_INVALID_ARGUMENT, "%s service does not exist",
			    req->service);
		goto out;
	}
	md = protobuf_c_service_descriptor_get_method_by_name(bs->svc->desc, req->method);
	m = find_method(bs->svc, req->method);
	if (!md || !m) {
		send_status(c, stream_id, TTRPC_UNIMPLEMENTED, "%s method", req->method);
		goto out;
	}
	if (!m->call) {
		send_status(c, stream_id, TTRPC_NOT_FOUND, "/%s/%s is not supported",
			    bs->svc->desc->name, m->name);
		goto out;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		send_status(c, stream_id, TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	call->req = protobuf_c_message_unpack(md->input, NULL, req->payload.len, req->payload.data);
	if (!call->req) {
		free(call);
		send_status(c, stream_id, TTRPC_INVALID_ARGUMENT, "failed to decode %s request",
			    m->name);
		goto out;
	}
	atomic_fetch_add(&c->refs, 1);
	call->conn = c;
	call->stream_id = stream_id;
	call->bs = bs;
	call->m = m;
	call->md = md;
	atomic_flag_clear(&call->answered);
	if (req->timeout_nano > 0)
		call->deadline_ns = now_ns() + (uint64_t) req->timeout_nano;

	if (c->sink) {
		call_run(call);
		call_free(call);
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	if (s->queued >= MAX_QUEUED) {
		pthread_mutex_unlock(&s->lock);
		call_free(call);
		send_status(c, stream_id, TTRPC_RESOURCE_EXHAUSTED, "server busy");
		goto out;
	}
	if (call->deadline_ns) {
		call->dl_next = s->deadlines;
		s->deadlines = call;
		call->in_deadlines = true;
		pthread_cond_signal(&s->dl_cond);
	}
	if (s->queue_tail)
		s->queue_tail->next = call;
	else
		s->queue_head = call;
	s->queue_tail = call;
	s->queued++;
	pthread_cond_signal(&s->work_cond);
	pthread_mutex_unlock(&s->lock);
out:
	ttrpc__request__free_unpacked(req, NULL);
}

/* Oversized frames are answered and skipped without buffering them (ttrpc-rust discards
 * in 4 KiB pages); the connection goes on. */
static void handle_oversized(struct conn *c, const struct ttrpc_header *h)
{
	send_status(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
		    "message length %u exceed maximum message size of %u", h->length,
		    TTRPC_MESSAGE_LENGTH_MAX);
}

static void handle_frame(struct conn *c, const struct ttrpc_header *h, const uint8_t *data)
{
	if (h->type == TTRPC_TYPE_REQUEST)
		handle_request(c, h->stream_id, data, h->length);
	else
		/* Data frames belong to streaming calls, which no AA/CDH method has. */
		log_debug("Ignoring ttrpc frame of type %u on stream %u", h->type, h->stream_id);
}

/* Waits for more input: indefinitely between frames (Kata keeps one connection for the
 * pod's life), at most STALL_TIMEOUT_MS once a frame has started. */
static int read_more(int fd, uint8_t *p, size_t n, bool mid_frame)
{
	for (;;) {
		ssize_t k;

		if (mid_frame) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int r = poll(&pfd, 1, STALL_TIMEOUT_MS);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ECONNRESET;
		return (int) k;
	}
}

static void *reader_main(void *arg)
{
	struct conn *c = arg;
	struct ttrpc_server *s = c->server;
	/* One read usually brings whole frames (often several): parse them all from this
	 * buffer instead of a read per header and body. */
	_cleanup_(buf_done) struct buf in = BUF_INIT(TTRPC_HEADER_SIZE + TTRPC_MESSAGE_LENGTH_MAX);
	size_t pos = 0, discard = 0, need;
	struct ttrpc_header h = {};
	bool have_header = false;
	int r;

	for (;;) {
		size_t avail = in.len - pos;

		if (discard > 0) {
			size_t k = MIN(discard, avail);

			pos += k;
			discard -= k;
			if (discard == 0)
				handle_oversized(c, &h);
			else
				goto need_more;
			continue;
		}
		if (!have_header && avail >= TTRPC_HEADER_SIZE) {
			ttrpc_header_decode(in.data + pos, &h);
			pos += TTRPC_HEADER_SIZE;
			have_header = true;
			if (h.length > TTRPC_MESSAGE_LENGTH_MAX) {
				/* Skipped without buffering (ttrpc-rust discards in pages). */
				discard = h.length;
				have_header = false;
				continue;
			}
			continue;
		}
		if (have_header && avail >= h.length) {
			have_header = false;
			pos += h.length;
			handle_frame(c, &h, in.data + pos - h.length);
			continue;
		}
	need_more:
		/* Compact, then make room for the rest of the current frame. */
		if (pos > 0) {
			memmove(in.data, in.data + pos, in.len - pos);
			buf_truncate(&in, in.len - pos);
			pos = 0;
		}
		if (in.len == 0 && in.cap > 262144)
			buf_done(&in); /* no 4 MiB buffer per idle connection */
		need = have_header ? h.length - in.len : TTRPC_HEADER_SIZE;
		r = buf_reserve(&in, MAX(need, in.len < 65536 ? 65536 - in.len : 0));
		if (r < 0)
			break;
		r = read_more(c->fd, in.data + in.len, in.cap - in.len - 1,
			      in.len > 0 || have_header || discard > 0);
		if (r < 0)
			break;
		in.len += (size_t) r;
		in.data[in.len] = 0;
	}

	(void) shutdown(c->fd, SHUT_RDWR);
	conn_unlist(s, c);
	conn_unref(c);
	return NULL;
}

int ttrpc_server_feed(struct ttrpc_server *s, const uint8_t *p, size_t n, struct buf *replies)
{
	struct conn c = { .server = s, .fd = -EBADF, .sink = replies, .refs = 1 };

	pthread_mutex_init(&c.write_lock, NULL);
	/* Calls hold a reference, so the stack connection never reaches zero. */
	atomic_fetch_add(&c.refs, 1);
	while (n > 0) {
		struct ttrpc_header h;

		if (n < TTRPC_HEADER_SIZE)
			return -ECONNRESET;
		ttrpc_header_decode(p, &h);
		p += TTRPC_HEADER_SIZE;
		n -= TTRPC_HEADER_SIZE;
		if (h.length > n)
			return -ECONNRESET;
		if (h.length > TTRPC_MESSAGE_LENGTH_MAX)
			handle_oversized(&c, &h);
		else
			handle_frame(&c, &h, p);
		p += h.length;
		n -= h.length;
	}
	pthread_mutex_destroy(&c.write_lock);
	return 0;
}

int ttrpc_server_new(struct ttrpc_server **ret)
{
	struct ttrpc_server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->listen_fd = -EBADF;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work_cond, NULL);
	pthread_cond_init(&s->idle_cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->dl_cond, &ca);
	pthread_condattr_destroy(&ca);
	sigemptyset(&s->sigmask);
	sigaddset(&s->sigmask, SIGTERM);
	sigaddset(&s->sigmask, SIGINT);
	sigaddset(&s->sigmask, SIGHUP);
	(void) pthread_sigmask(SIG_BLOCK, &s->sigmask, NULL);
	(void) signal(SIGPIPE, SIG_IGN);
	*ret = s;
	return 0;
}

struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s)
{
	if (!s)
		return NULL;
	/* Only a server that never ran is freed: running threads keep pointers to it. */
	if (s->listen_fd >= 0)
		(void) close(s->listen_fd);
	free(s->socket_path);
	free(s);
	return NULL;
}

int ttrpc_service_check(const struct ttrpc_service *svc)
{
	if (svc->n_methods != svc->desc->n_methods)
		return -EINVAL;
	for (size_t i = 0; i < svc->n_methods; i++)
		if (!protobuf_c_service_descriptor_get_method_by_name(svc->desc,
								      svc->methods[i].name))
			return -EINVAL;
	return 0;
}

int ttrpc_server_add_service(struct ttrpc_server *s, const struct ttrpc_service *svc,
			     void *userdata)
{
	int r = ttrpc_service_check(svc);

	if (r < 0)
		return r;
	if (s->n_services >= MAX_SERVICES || find_service(s, svc->desc->name))
		return -EEXIST;
	s->services[s->n_services++] = (struct bound_service){ svc, userdata };
	return 0;
}

int ttrpc_server_listen(struct ttrpc_server *s, const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ttrpc_address_path(address);
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!path || path[0] == '@')
		return -EAFNOSUPPORT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	r = fs_prepare_socket_dir(path, 0700);
	if (r < 0)
		return r;
	r = fs_remove_stale_socket(path);
	if (r < 0)
		return r;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Bind under a private name and rename into place: the path appears only once the
	 * socket accepts, with its final mode (Kata polls for it). */
	{
		struct sockaddr_un tmp = sa;
		int n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d.tmp", path,
				 (int) getpid());
		if (n < 0 || (size_t) n >= sizeof(tmp.sun_path))
			return -ENAMETOOLONG;
		(void) unlink(tmp.sun_path);
		if (bind(fd, (struct sockaddr *) &tmp, sizeof(tmp)) < 0)
			return -errno;
		if (chmod(tmp.sun_path, 0600) < 0 || listen(fd, 128) < 0 ||
		    rename(tmp.sun_path, path) < 0) {
			r = -errno;
			(void) unlink(tmp.sun_path);
			return r;
		}
	}
	s->socket_path = strdup(path);
	if (!s->socket_path) {
		(void) unlink(path);
		return -ENOMEM;
	}
	s->listen_fd = steal_fd(fd);
	return 0;
}

static int start_thread(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	/* musl's 128 KiB default is small for handlers that parse and hash. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -r;
}

static void accept_one(struct ttrpc_server *s)
{
	struct timeval tv = { .tv_sec = SEND_TIMEOUT_S };
	struct conn *c;
	int fd, r;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->n_conns >= MAX_CONNECTIONS) {
		pthread_mutex_unlock(&s->lock);
		log_warning("Too many ttrpc connections, refusing one.");
		(void) close(fd);
		return;
	}
	pthread_mutex_unlock(&s->lock);
	/* A peer that stops reading must not hold a worker forever. */
	(void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = calloc(1, sizeof(*c));
	if (!c) {
		(void) close(fd);
		return;
	}
	c->server = s;
	c->fd = fd;
	c->refs = 1;
	pthread_mutex_init(&c->write_lock, NULL);
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	pthread_mutex_unlock(&s->lock);
	r = start_thread(reader_main, c);
	if (r < 0) {
		log_warning_errno(r, "Failed to start a connection thread: %m");
		(void) shutdown(fd, SHUT_RDWR);
		conn_unlist(s, c);
		conn_unref(c);
	}
}

int ttrpc_server_run(struct ttrpc_server *s)
{
	_cleanup_close_ int sfd = signalfd(-1, &s->sigmask, SFD_CLOEXEC);
	struct signalfd_siginfo si;
	struct timespec until;
	int r;

	if (sfd < 0)
		return -errno;
	if (s->listen_fd < 0)
		return -EBADF;
	for (int i = 0; i < N_WORKERS; i++) {
		r = start_thread(worker_main, s);
		if (r < 0)
			return r;
	}
	r = start_thread(deadline_main, s);
	if (r < 0)
		return r;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = s->listen_fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (pfd[0].revents & POLLIN)
			accept_one(s);
	}
	if (read(sfd, &si, sizeof(si)) == sizeof(si))
		log_info("Received signal %u, draining.", si.ssi_signo);

	/* Stop accepting first, so a restarted daemon can bind at once. */
	(void) close(steal_fd(s->listen_fd));
	(void) unlink(s->socket_path);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DRAIN_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	while (s->queued + s->running > 0)
		if (pthread_cond_timedwait(&s->idle_cond, &s->lock, &until) == ETIMEDOUT) {
			log_warning("Calls still running after the drain timeout, exiting anyway.");
			break;
		}
	for (struct conn *c = s->conns; c; c = c->next)
		(void) shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
