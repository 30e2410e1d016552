/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc server (upstream.md §1; behaviour of ttrpc-rust 0.9 src/asynchronous/server.rs).
 * One thread at a time (the leader) runs an epoll loop over the listening socket, every
 * connection, a signalfd and an eventfd: it reads and parses frames, answers protocol
 * errors itself, fires deadlines, and queues calls for a pool of worker threads that
 * grows on demand up to a bound. When a pass queues calls and no worker is awake to take
 * them, the leader wakes a worker to lead and runs the calls itself (leader/follower), so
 * no call waits for a thread to wake up. Workers write replies whole under the
 * connection's lock; what a full socket will not take is kept and flushed by the loop on
 * EPOLLOUT, so no thread blocks on a slow peer. Per connection, calls in flight, their
 * request bytes and unsent replies are capped: past a cap the loop stops reading that
 * socket until calls complete.
 *
 * Small calls cost less than the context switches and syscalls around them, so the hot
 * path avoids them: one lock round per read batch in the loop, one per call in a worker,
 * one allocation per call, one awake worker draining the queue (more are woken only when
 * calls wait behind a slow handler; see worker_will_take_locked()), and replies to calls
 * queued back to back on one connection go out in one send (see worker_reply()). Both
 * shortcuts are bounded by HANDOFF_USEC, which the loop enforces. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"
#include "ttrpc-server.h"

#define WORKERS_MAX_DEFAULT 16
#define CONNS_MAX_DEFAULT 256
/* musl's SOMAXCONN is 128; a full UNIX-socket backlog fails connect() with EAGAIN rather
 * than making it wait, so ask for more (the kernel caps it at net.core.somaxconn). */
#define LISTEN_BACKLOG 4096
/* Handlers run TLS handshakes, decompressors and TPM commands: give them room (musl's
 * default thread stack is 128 KiB). Untouched stack costs no memory. */
#define WORKER_STACK_SIZE (1024 * 1024)
#define CONN_INFLIGHT_MAX 128
#define CONN_INFLIGHT_BYTES_MAX (16u << 20)
#define CONN_OUT_PAUSE (4u << 20) /* stop reading while this much is unsent */
#define CONN_OUT_MAX (64u << 20)  /* a peer this far behind is not reading: drop it */
#define CONN_IN_CHUNK (16u << 10) /* input buffer between large frames */
#define STATUS_MESSAGE_MAX (64u << 10)
#define USEC_PER_SEC 1000000ULL
#define STALL_TIMEOUT_USEC (30 * USEC_PER_SEC) /* a frame started and not finished */
#define DRAIN_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* A queued call waits at most about this long behind a worker busy with a slow handler
 * (PullImage) before another worker is woken; a held reply, before the loop sends it. */
#define HANDOFF_USEC 1000
#define HOLD_MAX (64u << 10) /* replies held for one send, at most */
#define DEADLINE_BATCH 32

struct service_entry {
	const struct ttrpc_service *svc;
	void *userdata;
};

struct conn;

struct call {
	struct call *next; /* run queue */
	struct conn *conn; /* holds a reference */
	const struct service_entry *se;
	const struct ttrpc_method *method;
	const ProtobufCMethodDescriptor *md;
	uint32_t stream_id;
	size_t size;        /* request frame bytes, counted against the connection */
	uint64_t deadline;  /* CLOCK_MONOTONIC usec; 0: none */
	uint64_t queued_at; /* for the hand-off watchdog */
	size_t heap_idx;    /* in s->heap, or SIZE_MAX */
	bool replied;       /* under s->lock: the deadline's reply went out */
	bool has_status;    /* the handler chose a status (ttrpc_handler_status) */
	struct ttrpc_status status;
	size_t payload_len;
	uint8_t payload[]; /* the method's request, still packed */
};

struct conn {
	struct ttrpc_server *s;
	struct conn *prev, *next; /* s->conns, owned by the loop */
	atomic_uint refs;         /* the loop's, plus one per call */
	int fd;

	/* Loop thread only. */
	uint8_t *in;
	size_t in_len, in_cap;
	uint64_t partial_since; /* when the unfinished frame at the front started */
	uint64_t discard;       /* body bytes of an oversized frame still to skip */
	uint32_t discard_len, discard_id;
	bool dropped;

	/* Shared without a lock: the loop adds, workers subtract. */
	atomic_uint inflight;
	atomic_size_t inflight_bytes, out_pending;
	atomic_bool paused; /* the loop stopped reading until calls complete or replies drain */

	/* Under out_lock. */
	pthread_mutex_t out_lock;
	struct buf out; /* unsent reply bytes */
	uint32_t events;
	bool want_in, dead;
};

struct worker {
	struct ttrpc_server *s;
	struct worker *next, *next_idle;
	pthread_cond_t cond;
	uint64_t busy_since; /* when its current call started; 0 between calls */
	bool idle, wanted;
	bool leading; /* runs the loop (see worker_lead()) rather than calls */

	/* Replies held to go out with those of the next calls on the same connection;
	 * the loop sends them if the worker stays in a handler too long. */
	pthread_mutex_t held_lock;
	struct buf held;
	struct conn *held_conn; /* holds a reference while held is not empty */
};

struct ttrpc_server {
	atomic_uint refs; /* the owner's, plus one per worker thread */
	struct service_entry *services;
	size_t n_services;
	unsigned max_workers, max_conns;
	uint64_t stall_usec, drain_usec; /* tests shorten them */

	int listen_fd, epoll_fd, signal_fd;
	char *path, *tmp_path; /* tmp_path: bound there until run() renames it */
	dev_t sock_dev;
	ino_t sock_ino;
	bool placed;
	atomic_bool running, stopping, stop_requested;
	atomic_uint n_calls;
	atomic_uint n_holding;      /* workers with held replies */
	atomic_bool loop_unbounded; /* the loop sleeps with no timeout, or a long one */

	/* The leader's: the thread running the loop, handed over under s->lock. */
	struct conn *conns, *dropped; /* dropped: released at the end of a loop pass */
	uint64_t timers_due;          /* when loop_timers() has work; 0: none */
	uint64_t drain_until, last_stall_check;
	unsigned n_conns, n_partial;
	bool accept_paused;
	bool worker_leads; /* the leader is a pool thread that can hand the loop over */
	bool hand_over;    /* calls were queued with no worker awake to take them */

	pthread_mutex_t lock;
	pthread_cond_t idle_cond;
	int wake_fd; /* written under lock: teardown closes it while late workers finish */
	struct call *queue_head, *queue_tail;
	struct worker *workers, *idle_workers;
	unsigned n_workers;
	bool workers_exit;
	bool loop_done; /* the loop ended (loop_result); run()'s thread tears down */
	int loop_result;
	struct call **heap;
	size_t n_heap, heap_cap;
};

/* The call a worker is running, for ttrpc_handler_status(). */
static __thread struct call *current_call;

static char *mfree(char *p)
{
	free(p);
	return NULL;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : MIN(a, b);
}

int ttrpc_handler_status(int code, const char *fmt, ...)
{
	struct call *c = current_call;
	va_list ap;

	if (!c)
		return -EREMOTEIO;
	ttrpc_status_done(&c->status);
	c->status.code = code;
	c->has_status = true;
	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&c->status.message, fmt, ap) < 0)
			c->status.message = NULL;
		va_end(ap);
	}
	return -EREMOTEIO;
}

int ttrpc_service_check(const struct ttrpc_service *svc)
{
	if (!svc || !svc->desc || svc->n_methods != svc->desc->n_methods ||
	    (svc->n_methods && !svc->methods))
		return -EINVAL;
	for (size_t i = 0; i < svc->n_methods; i++) {
		if (!svc->methods[i].name || !protobuf_c_service_descriptor_get_method_by_name(
						 svc->desc, svc->methods[i].name))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (streq(svc->methods[i].name, svc->methods[j].name))
				return -EINVAL;
	}
	return 0;
}

/* ---- lifetime ---- */

struct ttrpc_server *ttrpc_server_new(void)
{
	struct ttrpc_server *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->max_workers = WORKERS_MAX_DEFAULT;
	s->max_conns = CONNS_MAX_DEFAULT;
	s->stall_usec = STALL_TIMEOUT_USEC;
	s->drain_usec = DRAIN_TIMEOUT_USEC;
	s->listen_fd = s->epoll_fd = s->signal_fd = s->wake_fd = -EBADF;
	(void) pthread_mutex_init(&s->lock, NULL);
	(void) pthread_condattr_init(&ca);
	(void) pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	(void) pthread_cond_init(&s->idle_cond, &ca);
	(void) pthread_condattr_destroy(&ca);
	return s;
}

static void server_unref(struct ttrpc_server *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle_cond);
	free(s->services);
	free(s->heap);
	free(s->path);
	free(s->tmp_path);
	free(s);
}

static void close_listener(struct ttrpc_server *s)
{
	struct stat st;

	if (s->listen_fd >= 0)
		(void) close(s->listen_fd);
	s->listen_fd = -EBADF;
	if (s->tmp_path) {
		(void) unlink(s->tmp_path);
		s->tmp_path = mfree(s->tmp_path);
	}
	/* Remove the socket only if it is still ours: a successor may have bound the path. */
	if (s->placed && lstat(s->path, &st) == 0 && st.st_dev == s->sock_dev &&
	    st.st_ino == s->sock_ino)
		(void) unlink(s->path);
	s->placed = false;
}

struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s)
{
	if (!s)
		return NULL;
	close_listener(s);
	server_unref(s);
	return NULL;
}

int ttrpc_server_add_service(struct ttrpc_server *s, const struct ttrpc_service *svc,
			     void *userdata)
{
	struct service_entry *n;

	if (s->running)
		return -EBUSY;
	if (ttrpc_service_check(svc) < 0)
		return -EINVAL;
	for (size_t i = 0; i < s->n_services; i++)
		if (streq(s->services[i].svc->desc->name, svc->desc->name))
			return -EEXIST;
	n = reallocarray(s->services, s->n_services + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->services = n;
	s->services[s->n_services++] = (struct service_entry){ .svc = svc, .userdata = userdata };
	return 0;
}

void ttrpc_server_set_max_workers(struct ttrpc_server *s, unsigned max_workers)
{
	s->max_workers = max_workers;
}

/* Wakes the loop from another thread. */
static void wake_loop(struct ttrpc_server *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->wake_fd >= 0)
		(void) eventfd_write(s->wake_fd, 1);
	pthread_mutex_unlock(&s->lock);
}

void ttrpc_server_stop(struct ttrpc_server *s)
{
	atomic_store(&s->stop_requested, true);
	wake_loop(s);
}

/* ---- connections: output ---- */

static void conn_ref(struct conn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void conn_unref(struct conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	/* Closed only now, so a late reply can never reach a reused descriptor. */
	(void) close(c->fd);
	pthread_mutex_destroy(&c->out_lock);
	buf_done(&c->out);
	free(c->in);
	free(c);
}

static void conn_update_events_locked(struct conn *c)
{
	uint32_t ev = (c->want_in ? EPOLLIN : 0) | (c->out.len ? EPOLLOUT : 0);
	struct epoll_event e = { .events = ev, .data.ptr = c };

	atomic_store(&c->out_pending, c->out.len);
	if (c->dead || ev == c->events)
		return;
	if (epoll_ctl(c->s->epoll_fd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

/* The peer misbehaved or went away: nothing more is sent; the loop sees the hangup. */
static void conn_kill_locked(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	(void) shutdown(c->fd, SHUT_RDWR);
	buf_done(&c->out);
	atomic_store(&c->out_pending, 0);
}

static void conn_flush_locked(struct conn *c)
{
	ssize_t k;

	if (c->dead || c->out.len == 0)
		return;
	k = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (k < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_kill_locked(c);
		return;
	}
	memmove(c->out.data, c->out.data + k, c->out.len - (size_t) k);
	buf_truncate(&c->out, c->out.len - (size_t) k);
	if (c->out.len == 0 && c->out.cap > CONN_IN_CHUNK)
		buf_done(&c->out);
	conn_update_events_locked(c);
}

/* A reply that could not be built (no memory) must not leave its caller waiting
 * forever: the connection goes, and the client sees it reset. */
static void conn_kill(struct conn *c)
{
	pthread_mutex_lock(&c->out_lock);
	conn_kill_locked(c);
	pthread_mutex_unlock(&c->out_lock);
}

/* Sends one whole frame, or keeps what the socket does not take now. */
static void conn_send(struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t k;

	pthread_mutex_lock(&c->out_lock);
	if (c->dead)
		goto out;
	if (c->out.len == 0) {
		k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			conn_kill_locked(c);
			goto out;
		}
		if (k > 0) {
			p += k;
			n -= (size_t) k;
		}
	}
	if (n > 0) {
		if (buf_append(&c->out, p, n) < 0)
			conn_kill_locked(c);
		else
			conn_update_events_locked(c);
	}
out:
	pthread_mutex_unlock(&c->out_lock);
}

/* Puts a Response carrying only a status into out (replacing its contents). */
static void pack_status(struct buf *out, uint32_t id, int code, const char *message)
{
	_cleanup_free_ char *cut = NULL;

	if (message && strlen(message) > STATUS_MESSAGE_MAX) {
		cut = strndup(message, STATUS_MESSAGE_MAX);
		message = cut;
	}
	buf_reset(out);
	if (ttrpc_frame_pack_status(out, id, code, message) < 0)
		buf_reset(out); /* no memory: nothing is sent */
}

static void send_statusf(struct conn *c, struct buf *scratch, uint32_t id, int code,
			 const char *fmt, ...) _printf_(5, 6);
static void send_statusf(struct conn *c, struct buf *scratch, uint32_t id, int code,
			 const char *fmt, ...)
{
	_cleanup_free_ char *m = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	pack_status(scratch, id, code, r < 0 ? NULL : m);
	if (scratch->len)
		conn_send(c, scratch->data, scratch->len);
	else
		conn_kill(c);
}

/* ---- deadlines: a min-heap of calls, under s->lock ---- */

static void heap_set(struct ttrpc_server *s, size_t i, struct call *c)
{
	s->heap[i] = c;
	c->heap_idx = i;
}

static void heap_sift(struct ttrpc_server *s, size_t i)
{
	struct call *c = s->heap[i];

	while (i > 0 && s->heap[(i - 1) / 2]->deadline > c->deadline) {
		heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint64_t best = c->deadline;

		if (l < s->n_heap && s->heap[l]->deadline < best)
			m = l, best = s->heap[l]->deadline;
		if (l + 1 < s->n_heap && s->heap[l + 1]->deadline < best)
			m = l + 1;
		if (m == i)
			break;
		heap_set(s, i, s->heap[m]);
		i = m;
	}
	heap_set(s, i, c);
}

static int heap_push(struct ttrpc_server *s, struct call *c)
{
	if (s->n_heap == s->heap_cap) {
		size_t cap = s->heap_cap ? s->heap_cap * 2 : 16;
		struct call **h = reallocarray(s->heap, cap, sizeof(*h));

		if (!h)
			return -ENOMEM;
		s->heap = h;
		s->heap_cap = cap;
	}
	heap_set(s, s->n_heap++, c);
	heap_sift(s, s->n_heap - 1);
	return 0;
}

static void heap_remove(struct ttrpc_server *s, struct call *c)
{
	size_t i = c->heap_idx;

	if (i == SIZE_MAX)
		return;
	c->heap_idx = SIZE_MAX;
	if (i != --s->n_heap) {
		heap_set(s, i, s->heap[s->n_heap]);
		heap_sift(s, i);
	}
}

/* ---- calls ---- */

/* A call is over: give back its share of the connection, wake the loop if it waits for
 * that, and free it. */
static void call_done(struct call *c)
{
	struct conn *conn = c->conn;
	struct ttrpc_server *s = conn->s;
	bool wake;

	atomic_fetch_sub(&conn->inflight_bytes, c->size);
	atomic_fetch_sub(&conn->inflight, 1);
	/* Paired with conn_admit(): it sets paused, then re-reads inflight. */
	wake = atomic_load(&conn->paused);
	if (atomic_fetch_sub(&s->n_calls, 1) == 1 && atomic_load(&s->stopping))
		wake = true;
	if (wake)
		wake_loop(s);
	ttrpc_status_done(&c->status);
	free(c);
	conn_unref(conn);
}

/* The status for a failed handler: its own choice, else the service's fail(). */
static void call_fail_status(struct call *c, int r, struct ttrpc_status *st)
{
	const struct ttrpc_service *svc = c->se->svc;

	if (c->has_status) {
		*st = c->status;
		c->status = TTRPC_STATUS_INIT;
		return;
	}
	*st = (struct ttrpc_status){ .code = TTRPC_CODE_INTERNAL };
	if (svc->fail)
		svc->fail(c->method->name, r, st);
	else
		(void) ttrpc_status_set(st, TTRPC_CODE_INTERNAL, "%s", strerror(r < 0 ? -r : EIO));
}

/* Runs the handler and leaves the whole reply frame in out. */
static void call_run(struct call *c, struct buf *out)
{
	ProtobufCMessage *req, *resp = NULL;
	struct ttrpc_status st = TTRPC_STATUS_INIT;
	const char *service = c->se->svc->desc->name, *method = c->method->name;
	int r;

	req = protobuf_c_message_unpack(c->md->input, NULL, c->payload_len, c->payload);
	if (!req) {
		log_debug("/%s/%s: request does not decode", service, method);
		pack_status(out, c->stream_id, TTRPC_CODE_INVALID_ARGUMENT,
			    "failed to decode request payload");
		return;
	}

	current_call = c;
	r = c->method->call(c->se->userdata, req, &resp);
	current_call = NULL;
	protobuf_c_message_free_unpacked(req, NULL);
	if (r >= 0 && resp && resp->descriptor != c->md->output)
		r = -EINVAL; /* a handler bug: never put the wrong type on the wire */

	buf_reset(out);
	if (r >= 0) {
		r = ttrpc_frame_pack_response(out, c->stream_id, resp);
		if (r == -E2BIG) /* ttrpc-rust: check_oversize() on the reply */
			(void) ttrpc_status_set(
			    &st, TTRPC_CODE_INVALID_ARGUMENT,
			    "message length %zu exceed maximum message size of %u",
			    ttrpc_frame_response_size(resp), TTRPC_MESSAGE_LENGTH_MAX);
		else if (r < 0)
			(void) ttrpc_status_set(&st, TTRPC_CODE_INTERNAL, "%s", strerror(-r));
		protobuf_c_message_free_unpacked(resp, NULL);
	} else {
		protobuf_c_message_free_unpacked(resp, NULL);
		/* The one place a failed call is logged. */
		if (c->has_status)
			log_error("/%s/%s failed: %s: %s", service, method,
				  ttrpc_code_to_string(c->status.code) ?: "UNKNOWN",
				  c->status.message ?: "");
		else
			log_error_errno(r, "/%s/%s failed: %m", service, method);
		call_fail_status(c, r, &st);
	}
	if (r < 0)
		pack_status(out, c->stream_id, st.code, st.message);
	ttrpc_status_done(&st);
}

/* ---- workers ---- */

/* Is some awake worker about to take the next queued call? One between calls, or in a
 * call started less than HANDOFF_USEC ago (most likely a quick one), will; a worker long
 * inside a handler (PullImage) will not, so another must be woken. Under s->lock. */
static bool worker_will_take_locked(struct ttrpc_server *s, uint64_t now)
{
	for (struct worker *w = s->workers; w; w = w->next)
		if (!w->idle && !w->leading &&
		    (w->busy_since == 0 || now - w->busy_since < HANDOFF_USEC))
			return true;
	return false;
}

/* Once the loop has ended, what is queued is run()'s to drop, not to start. */
static struct call *queue_pop_locked(struct ttrpc_server *s)
{
	struct call *c = s->loop_done ? NULL : s->queue_head;

	if (c) {
		s->queue_head = c->next;
		if (!s->queue_head)
			s->queue_tail = NULL;
	}
	return c;
}

/* Takes the next call, sleeping while there is none. NULL: the pool is shutting down, or
the loop was handed to this worker (w->leading). */
static struct call *worker_take_locked(struct ttrpc_server *s, struct worker *w)
{
	struct call *c;

	if (w->leading)
		return NULL;
	while (!(c = queue_pop_locked(s))) {
		if (s->workers_exit)
			return NULL;
		w->busy_since = 0;
		w->idle = true;
		w->next_idle = s->idle_workers;
		s->idle_workers = w;
		while (!w->wanted && !s->workers_exit)
			pthread_cond_wait(&w->cond, &s->lock);
		if (w->leading) {
			w->idle = false;
			w->wanted = false;
			return NULL;
		}
		if (w->idle) { /* woken by shutdown, still listed */
			for (struct worker **p = &s->idle_workers; *p; p = &(*p)->next_idle)
				if (*p == w) {
					*p = w->next_idle;
					break;
				}
			w->idle = false;
		}
		w->wanted = false;
	}
	w->busy_since = now_usec();
	return c;
}

/* Sends what w holds. Lock order: s->lock (the loop), held_lock, out_lock. */
static void worker_flush_locked(struct worker *w)
{
	if (!w->held_conn)
		return;
	conn_send(w->held_conn, w->held.data, w->held.len);
	buf_reset(&w->held);
	if (w->held.cap > HOLD_MAX * 2)
		buf_done(&w->held);
	conn_unref(steal_ptr(w->held_conn));
	atomic_fetch_sub(&w->s->n_holding, 1);
}

/* Sends a reply (n may be 0: none), or, when the worker's next call is queued on the
 * same connection already (more), holds it to go out with the next ones in one send:
 * most calls are short. If the next one is not, the loop sends what is held once it has
 * run for HANDOFF_USEC (loop_timers()). */
static void worker_reply(struct worker *w, struct conn *c, const uint8_t *p, size_t n, bool more)
{
	struct ttrpc_server *s = w->s;
	bool wake = false;

	pthread_mutex_lock(&w->held_lock);
	if (w->held_conn && w->held_conn != c)
		worker_flush_locked(w);
	if (!more && !w->held_conn) {
		pthread_mutex_unlock(&w->held_lock);
		if (n)
			conn_send(c, p, n);
		return;
	}
	if (n && buf_append(&w->held, p, n) < 0) {
		worker_flush_locked(w);
		conn_send(c, p, n);
	} else if (n && !w->held_conn) {
		conn_ref(c);
		w->held_conn = c;
		atomic_fetch_add(&s->n_holding, 1);
		/* Paired with the loop, which sets loop_unbounded, then reads n_holding. */
		wake = atomic_load(&s->loop_unbounded);
	}
	if (!more || w->held.len >= HOLD_MAX)
		worker_flush_locked(w);
	pthread_mutex_unlock(&w->held_lock);
	if (wake)
		wake_loop(s);
}

static void worker_flush(struct worker *w)
{
	pthread_mutex_lock(&w->held_lock);
	worker_flush_locked(w);
	pthread_mutex_unlock(&w->held_lock);
}

static void worker_lead(struct worker *w, struct buf *scratch);

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ttrpc_server *s = w->s;
	struct buf out = BUF_INIT(TTRPC_HEADER_SIZE + TTRPC_MESSAGE_LENGTH_MAX);
	struct call *c = NULL, *next;
	bool skip = false, next_skip = false, mine;

	for (;;) {
		if (!c) {
			pthread_mutex_lock(&s->lock);
			c = worker_take_locked(s, w);
			skip = c && c->replied;
			pthread_mutex_unlock(&s->lock);
		}
		if (!c) {
			if (!w->leading)
				break;
			worker_lead(w, &out);
			continue;
		}
		/* skip: its deadline passed while it was queued, it never runs */
		if (!skip)
			call_run(c, &out);

		/* One lock round per call: claim the reply, take the next call. */
		pthread_mutex_lock(&s->lock);
		mine = !skip && !c->replied;
		c->replied = true;
		heap_remove(s, c);
		next = queue_pop_locked(s);
		if (next) {
			next_skip = next->replied;
			w->busy_since = now_usec();
		}
		pthread_mutex_unlock(&s->lock);

		if (!mine && !skip)
			log_debug("/%s/%s finished after its deadline, reply dropped",
				  c->se->svc->desc->name, c->method->name);
		worker_reply(w, c->conn, out.data, mine ? out.len : 0,
			     next && next->conn == c->conn);
		if (mine && out.len == 0)
			conn_kill(c->conn);
		call_done(c);
		if (out.cap > CONN_IN_CHUNK)
			buf_done(&out);

		c = next;
		skip = next_skip;
	}

	pthread_mutex_lock(&s->lock);
	for (struct worker **p = &s->workers; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	s->n_workers--;
	pthread_cond_broadcast(&s->idle_cond);
	pthread_mutex_unlock(&s->lock);
	worker_flush(w);
	buf_done(&w->held);
	pthread_mutex_destroy(&w->held_lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	buf_done(&out);
	server_unref(s);
	return NULL;
}

static struct worker *worker_spawn_locked(struct ttrpc_server *s, bool leading)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_attr_t a;
	pthread_t t;
	int r;

	if (!w)
		return NULL;
	if (pthread_attr_init(&a) != 0) {
		free(w);
		return NULL;
	}
	w->s = s;
	w->leading = leading;
	w->held = BUF_INIT(BUF_UNLIMITED);
	(void) pthread_mutex_init(&w->held_lock, NULL);
	(void) pthread_cond_init(&w->cond, NULL);
	(void) pthread_attr_setstacksize(&a, WORKER_STACK_SIZE);
	(void) pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&s->refs, 1);
	r = pthread_create(&t, &a, worker_main, w);
	(void) pthread_attr_destroy(&a);
	if (r != 0) {
		atomic_fetch_sub(&s->refs, 1);
		pthread_mutex_destroy(&w->held_lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	/* The new thread takes s->lock before it looks at anything, so linking it now is
	 * safe; until it runs it counts as awake and about to take a call. */
	w->next = s->workers;
	s->workers = w;
	s->n_workers++;
	return w;
}

/* The pool is max_workers threads for calls plus the one leading the loop. */
static bool worker_can_spawn_locked(struct ttrpc_server *s)
{
	return s->n_workers < s->max_workers + (s->worker_leads ? 1 : 0);
}

/* Gets one more worker going: an idle one, else a new one within the bound. With
 * leading, it is to take over the loop. Returns false if there is none. */
static bool worker_wake_locked(struct ttrpc_server *s, bool leading)
{
	struct worker *w = s->idle_workers;

	if (!w)
		return worker_can_spawn_locked(s) && worker_spawn_locked(s, leading);
	s->idle_workers = w->next_idle;
	w->idle = false;
	w->wanted = true;
	w->leading = leading;
	pthread_cond_signal(&w->cond);
	return true;
}

/* Hands a batch of calls (linked by next) to the pool in one lock round. Without a pool
 * (max_workers 0), or if not even one thread can be started, runs them here. */
static void calls_dispatch(struct ttrpc_server *s, struct call *batch, struct buf *scratch)
{
	uint64_t now = now_usec();
	struct call *tail = batch;

	if (s->max_workers > 0) {
		while (tail->next)
			tail = tail->next;
		pthread_mutex_lock(&s->lock);
		for (struct call *c = batch; c; c = c->next) {
			c->queued_at = now;
			if (c->deadline && heap_push(s, c) < 0)
				c->deadline = 0; /* no memory for the deadline: serve it anyway */
		}
		if (s->queue_tail)
			s->queue_tail->next = batch;
		else
			s->queue_head = batch;
		s->queue_tail = tail;
		/* A pool thread leading the loop hands it over at the end of this pass and
		 * takes the calls itself: the wake-up is then off their path. */
		if (!worker_will_take_locked(s, now)) {
			if (s->worker_leads)
				s->hand_over = true;
			else
				(void) worker_wake_locked(s, false);
		}
		/* The hand-off check, and the earliest new deadline. */
		s->timers_due = min_nonzero(s->timers_due, now + HANDOFF_USEC);
		for (struct call *c = batch; c; c = c->next)
			s->timers_due = min_nonzero(s->timers_due, c->deadline);
		if (s->n_workers > 0)
			batch = NULL;
		else { /* nobody to run them: below, without deadlines */
			s->queue_head = s->queue_tail = NULL;
			for (struct call *c = batch; c; c = c->next)
				heap_remove(s, c);
		}
		pthread_mutex_unlock(&s->lock);
	}
	while (batch) {
		struct call *c = batch;

		batch = c->next;
		call_run(c, scratch);
		if (scratch->len)
			conn_send(c->conn, scratch->data, scratch->len);
		else
			conn_kill(c->conn);
		call_done(c);
	}
}

/* ---- connections: input ---- */

static const struct service_entry *find_service(struct ttrpc_server *s, const uint8_t *name,
						size_t n)
{
	for (size_t i = 0; i < s->n_services; i++) {
		const char *m = s->services[i].svc->desc->name;

		if (strlen(m) == n && memcmp(m, name, n) == 0)
			return &s->services[i];
	}
	return NULL;
}

/* Decodes a Request and, if it names a method we serve, returns it as a call; protocol
 * errors are answered here, as ttrpc-rust words them (upstream.md §1.2). */
static struct call *request_to_call(struct conn *c, uint32_t id, const uint8_t *p, size_t n,
				    struct buf *scratch)
{
	struct ttrpc_request_view v;
	const struct service_entry *se;
	const struct ttrpc_method *m = NULL;
	struct call *call;
	int sl, ml;

	if (ttrpc_request_parse(p, n, &v) < 0) {
		log_debug("stream %" PRIu32 ": malformed Request", id);
		send_statusf(c, scratch, id, TTRPC_CODE_INVALID_ARGUMENT,
			     "failed to decode ttrpc Request");
		return NULL;
	}
	/* Names are at most 4 MiB, so they fit an int for "%.*s". */
	sl = (int) v.service_len;
	ml = (int) v.method_len;
	se = find_service(c->s, v.service, v.service_len);
	if (!se) {
		send_statusf(c, scratch, id, TTRPC_CODE_INVALID_ARGUMENT,
			     "%.*s service does not exist", sl, (const char *) v.service);
		return NULL;
	}
	for (size_t i = 0; i < se->svc->n_methods; i++) {
		const char *name = se->svc->methods[i].name;

		if (strlen(name) == v.method_len && memcmp(name, v.method, v.method_len) == 0)
			m = &se->svc->methods[i];
	}
	if (!m) {
		send_statusf(c, scratch, id, TTRPC_CODE_UNIMPLEMENTED, "%.*s method", ml,
			     (const char *) v.method);
		return NULL;
	}
	if (!m->call) {
		send_statusf(c, scratch, id, TTRPC_CODE_NOT_FOUND, "/%s/%s is not supported",
			     se->svc->desc->name, m->name);
		return NULL;
	}

	call = malloc(sizeof(*call) + v.payload_len);
	if (!call) {
		send_statusf(c, scratch, id, TTRPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	*call = (struct call){
		.conn = c,
		.se = se,
		.method = m,
		.md = protobuf_c_service_descriptor_get_method_by_name(se->svc->desc, m->name),
		.stream_id = id,
		.size = TTRPC_HEADER_SIZE + n,
		.heap_idx = SIZE_MAX,
		.status = TTRPC_STATUS_INIT,
		.payload_len = v.payload_len,
	};
	if (v.payload_len)
		memcpy(call->payload, v.payload, v.payload_len);
	/* ttrpc-rust: tokio::time::timeout(Duration::from_nanos(timeout_nano as u64)); a
	 * negative value becomes a huge one, i.e. no deadline. Calls run inline (no pool)
	 * cannot be cut short. */
	if (v.timeout_nano > 0 && c->s->max_workers > 0)
		call->deadline = now_usec() + ((uint64_t) v.timeout_nano + 999) / 1000;
	conn_ref(c);
	atomic_fetch_add(&c->inflight, 1);
	atomic_fetch_add(&c->inflight_bytes, call->size);
	atomic_fetch_add(&c->s->n_calls, 1);
	return call;
}

/* Handles one whole frame. A call to run is appended to *batch. */
static void handle_frame(struct conn *c, const struct ttrpc_header *h, const uint8_t *body,
			 struct call ***batch, struct buf *scratch)
{
	struct call *call;

	/* ttrpc-rust checks the stream id before the type. */
	if (h->stream_id % 2 != 1) {
		send_statusf(c, scratch, h->stream_id, TTRPC_CODE_INVALID_ARGUMENT,
			     "stream id must be odd");
		return;
	}
	switch (h->type) {
	case TTRPC_TYPE_REQUEST:
		/* Flags are not looked at: every method we serve is unary, and ttrpc-rust
		 * picks unary or streaming by method, not by flags. */
		call = request_to_call(c, h->stream_id, body, h->length, scratch);
		if (call) {
			**batch = call;
			*batch = &call->next;
		}
		break;
	case TTRPC_TYPE_DATA:
		/* Data for a stream we never opened, answered as ttrpc-rust does. */
		send_statusf(c, scratch, h->stream_id, TTRPC_CODE_INVALID_ARGUMENT,
			     "Stream is no longer active");
		break;
	default:
		/* Responses and unknown types are ignored, for future compatibility. */
		log_debug("stream %" PRIu32 ": ignoring frame of type %u", h->stream_id, h->type);
	}
}

static bool conn_under_caps(struct conn *c)
{
	return atomic_load(&c->inflight) < CONN_INFLIGHT_MAX &&
	       atomic_load(&c->inflight_bytes) < CONN_INFLIGHT_BYTES_MAX &&
	       atomic_load(&c->out_pending) < CONN_OUT_PAUSE;
}

static void conn_want_in(struct conn *c, bool on)
{
	pthread_mutex_lock(&c->out_lock);
	c->want_in = on;
	conn_update_events_locked(c);
	pthread_mutex_unlock(&c->out_lock);
}

/* May the loop start one more call on c? Otherwise reading c stops until call_done()
 * (which sees paused) wakes the loop. Setting paused before re-reading the counters, as
 * call_done() changes them before reading paused, means one of the two notices. */
static bool conn_admit(struct conn *c)
{
	if (conn_under_caps(c))
		return true;
	atomic_store(&c->paused, true);
	if (conn_under_caps(c)) {
		atomic_store(&c->paused, false);
		return true;
	}
	conn_want_in(c, false);
	return false;
}

static void conn_set_partial(struct conn *c, bool partial)
{
	if (partial && !c->partial_since) {
		c->partial_since = now_usec();
		c->s->n_partial++;
	} else if (!partial && c->partial_since) {
		c->partial_since = 0;
		c->s->n_partial--;
	}
}

/* Parses every whole frame in c->in and dispatches the calls among them in one batch.
 * Returns -ENOMEM when the connection must be dropped. */
static int conn_process(struct conn *c, struct buf *scratch)
{
	struct call *batch = NULL, **tail = &batch;
	size_t pos = 0;

	while (!atomic_load(&c->s->stopping)) {
		struct ttrpc_header h;
		size_t avail = c->in_len - pos;

		if (c->discard > 0) {
			size_t k = MIN((uint64_t) avail, c->discard);

			pos += k;
			c->discard -= k;
			if (c->discard > 0)
				break;
			/* Like ttrpc-rust: the body is skipped, then the error is sent on the
			 * frame's stream, and the connection goes on. */
			send_statusf(c, scratch, c->discard_id, TTRPC_CODE_INVALID_ARGUMENT,
				     "message length %" PRIu32 " exceed maximum message size of %u",
				     c->discard_len, TTRPC_MESSAGE_LENGTH_MAX);
			continue;
		}
		if (avail < TTRPC_HEADER_SIZE)
			break;
		ttrpc_header_decode(c->in + pos, &h);
		if (h.length > TTRPC_MESSAGE_LENGTH_MAX) {
			pos += TTRPC_HEADER_SIZE;
			c->discard = h.length;
			c->discard_len = h.length;
			c->discard_id = h.stream_id;
			continue;
		}
		if (avail < TTRPC_HEADER_SIZE + h.length)
			break;
		if (h.type == TTRPC_TYPE_REQUEST && !conn_admit(c))
			break;
		handle_frame(c, &h, c->in + pos + TTRPC_HEADER_SIZE, &tail, scratch);
		pos += TTRPC_HEADER_SIZE + h.length;
	}
	if (batch)
		calls_dispatch(c->s, batch, scratch);

	memmove(c->in, c->in + pos, c->in_len - pos);
	c->in_len -= pos;
	conn_set_partial(c, c->in_len > 0 || c->discard > 0);

	/* Make room for the frame at the front, or give back a large buffer. */
	if (c->discard == 0 && c->in_len >= TTRPC_HEADER_SIZE) {
		size_t need = TTRPC_HEADER_SIZE + get_be32(c->in);

		if (need > c->in_cap) {
			uint8_t *p = realloc(c->in, need);

			if (!p)
				return -ENOMEM;
			c->in = p;
			c->in_cap = need;
		}
	} else if (c->in_cap > CONN_IN_CHUNK && c->in_len <= CONN_IN_CHUNK) {
		uint8_t *p = realloc(c->in, CONN_IN_CHUNK);

		if (p) {
			c->in = p;
			c->in_cap = CONN_IN_CHUNK;
		}
	}
	return 0;
}

/* ---- the loop ---- */

static void resume_accept(struct ttrpc_server *s)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &s->listen_fd };

	if (!s->accept_paused || s->n_conns >= s->max_conns || s->listen_fd < 0)
		return;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &e) == 0)
		s->accept_paused = false;
}

static void conn_drop(struct conn *c)
{
	struct ttrpc_server *s = c->s;

	if (c->dropped)
		return;
	c->dropped = true;
	conn_set_partial(c, false);
	pthread_mutex_lock(&c->out_lock);
	(void) epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	conn_kill_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* Later events of the current epoll batch may still name c. */
	c->prev = NULL;
	c->next = s->dropped;
	s->dropped = c;
	s->n_conns--;
}

static void release_dropped(struct ttrpc_server *s)
{
	while (s->dropped) {
		struct conn *c = s->dropped;

		s->dropped = c->next;
		conn_unref(c);
	}
	resume_accept(s);
}

static void conn_on_readable(struct conn *c, struct buf *scratch)
{
	ssize_t k;

	if (!c->in) {
		c->in = malloc(CONN_IN_CHUNK);
		if (!c->in) {
			conn_drop(c);
			return;
		}
		c->in_cap = CONN_IN_CHUNK;
	}
	k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k <= 0) {
		/* EOF or reset. Any unfinished frame dies with it; replies still owed are
		 * dropped, as ttrpc-rust does when its reader fails. */
		if (c->in_len > 0 || c->discard > 0)
			log_debug("connection closed in the middle of a frame");
		conn_drop(c);
		return;
	}
	c->in_len += (size_t) k;
	if (conn_process(c, scratch) < 0)
		conn_drop(c);
}

/* Reading resumes once the connection is under its caps again. */
static void conn_maybe_resume(struct conn *c, struct buf *scratch)
{
	if (!atomic_load(&c->paused) || c->dropped || atomic_load(&c->s->stopping) ||
	    !conn_under_caps(c))
		return;
	atomic_store(&c->paused, false);
	conn_want_in(c, true);
	/* Frames already buffered get no EPOLLIN: parse them now (this may pause again). */
	if (conn_process(c, scratch) < 0)
		conn_drop(c);
}

static void conn_on_writable(struct conn *c, struct buf *scratch)
{
	pthread_mutex_lock(&c->out_lock);
	conn_flush_locked(c);
	pthread_mutex_unlock(&c->out_lock);
	conn_maybe_resume(c, scratch);
}

static void accept_conns(struct ttrpc_server *s)
{
	for (;;) {
		struct epoll_event e;
		struct conn *c;
		int fd;

		if (s->n_conns >= s->max_conns) {
			/* Leave the rest in the backlog until a connection goes away. */
			e = (struct epoll_event){ .events = 0, .data.ptr = &s->listen_fd };
			(void) epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->listen_fd, &e);
			s->accept_paused = true;
			return;
		}
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_debug("accept() failed: %m");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			(void) close(fd);
			continue;
		}
		atomic_init(&c->refs, 1);
		c->s = s;
		c->fd = fd;
		c->out = BUF_INIT(CONN_OUT_MAX);
		c->want_in = true;
		c->events = EPOLLIN;
		(void) pthread_mutex_init(&c->out_lock, NULL);
		e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
			conn_unref(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
	}
}

/* The loop's timed duties, in one lock round: answer calls whose deadline passed (their
 * handler keeps running or never starts, its result is dropped; ttrpc-rust:
 * DEADLINE_EXCEEDED "timeout"), wake another worker when the head of the queue waited
 * HANDOFF_USEC (the awake ones are stuck in slow handlers), and send replies a worker has
 * held for HANDOFF_USEC. Returns when to look again, or 0. */
static uint64_t loop_timers(struct ttrpc_server *s, struct buf *scratch)
{
	struct {
		struct conn *conn;
		uint32_t id;
	} due[DEADLINE_BATCH];
	uint64_t now = now_usec(), next = 0;
	size_t n_due = 0;

	pthread_mutex_lock(&s->lock);
	while (s->n_heap > 0) {
		struct call *c = s->heap[0];

		if (c->deadline > now) {
			next = c->deadline;
			break;
		}
		if (n_due == DEADLINE_BATCH) {
			next = now; /* more next time round */
			break;
		}
		heap_remove(s, c);
		c->replied = true;
		/* c may be freed by its worker once the lock drops; conn stays alive. */
		conn_ref(c->conn);
		due[n_due].conn = c->conn;
		due[n_due++].id = c->stream_id;
	}
	if (s->queue_head) {
		if (now - s->queue_head->queued_at >= HANDOFF_USEC) {
			(void) worker_wake_locked(s, false);
			s->queue_head->queued_at = now;
		}
		next = min_nonzero(next, s->queue_head->queued_at + HANDOFF_USEC);
	}
	if (atomic_load(&s->n_holding) > 0) {
		for (struct worker *w = s->workers; w; w = w->next) {
			if (w->busy_since == 0 || now - w->busy_since < HANDOFF_USEC)
				continue;
			pthread_mutex_lock(&w->held_lock);
			worker_flush_locked(w);
			pthread_mutex_unlock(&w->held_lock);
		}
		next = min_nonzero(next, now + HANDOFF_USEC);
	}
	pthread_mutex_unlock(&s->lock);

	for (size_t i = 0; i < n_due; i++) {
		/* The same frame for every stream: only the id differs. */
		if (i == 0)
			pack_status(scratch, due[0].id, TTRPC_CODE_DEADLINE_EXCEEDED, "timeout");
		if (scratch->len) {
			put_be32(scratch->data + 4, due[i].id);
			conn_send(due[i].conn, scratch->data, scratch->len);
		} else
			conn_kill(due[i].conn);
		conn_unref(due[i].conn);
	}
	return next;
}

static void check_stalled(struct ttrpc_server *s, uint64_t now)
{
	for (struct conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		if (c->partial_since && now - c->partial_since >= s->stall_usec) {
			log_debug("dropping a connection stalled in the middle of a frame");
			conn_drop(c);
		}
	}
}

static bool drained(struct ttrpc_server *s)
{
	bool idle = atomic_load(&s->n_calls) == 0;

	for (struct conn *c = s->conns; idle && c; c = c->next)
		idle = atomic_load(&c->out_pending) == 0;
	return idle;
}

static void begin_stop(struct ttrpc_server *s)
{
	log_debug("stopping: no new calls, draining those in flight");
	close_listener(s);
	atomic_store(&s->stopping, true);
	for (struct conn *c = s->conns; c; c = c->next) {
		conn_want_in(c, false);
		conn_set_partial(c, false);
	}
}

/* One pass of the loop: wait for events, handle them. Returns 1 to go on, 0 when a stop
 * has drained, -errno on failure. */
static int loop_pass(struct ttrpc_server *s, struct buf *scratch)
{
	struct epoll_event ev[64];

	{
		uint64_t now, next;
		int timeout = -1, n;

		/* The timers take s->lock, which workers want for every call: only when due. */
		now = now_usec();
		if (s->timers_due && now >= s->timers_due)
			s->timers_due = loop_timers(s, scratch);
		if (atomic_load(&s->n_holding) > 0)
			s->timers_due = min_nonzero(s->timers_due, now + HANDOFF_USEC);
		next = s->timers_due;
		if (atomic_load(&s->stopping)) {
			if (drained(s) || now >= s->drain_until)
				return 0;
			next = min_nonzero(next, s->drain_until);
		}
		if (s->n_partial > 0) {
			uint64_t every = MIN(USEC_PER_SEC, s->stall_usec);

			if (now - s->last_stall_check >= every) {
				check_stalled(s, now);
				s->last_stall_check = now;
				release_dropped(s);
			}
			next = min_nonzero(next, now + every);
		}
		if (next)
			timeout = next > now ? (int) MIN((next - now + 999) / 1000, 60000ULL) : 0;

		/* A worker that starts holding replies while we sleep longer than that wakes
		 * us (worker_reply()); set the flag, then look, as it adds, then looks. */
		atomic_store(&s->loop_unbounded, timeout < 0 || timeout > HANDOFF_USEC / 1000);
		if (atomic_load(&s->n_holding) > 0 &&
		    (timeout < 0 || timeout > HANDOFF_USEC / 1000))
			timeout = HANDOFF_USEC / 1000;
		n = epoll_wait(s->epoll_fd, ev, ELEMENTSOF(ev), timeout);
		atomic_store(&s->loop_unbounded, false);
		if (n < 0)
			return errno == EINTR ? 1 : -errno;
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			struct conn *c;

			if (p == &s->listen_fd) {
				if (!atomic_load(&s->stopping))
					accept_conns(s);
			} else if (p == &s->signal_fd || p == &s->wake_fd) {
				struct signalfd_siginfo si;
				eventfd_t v;

				if (p == &s->wake_fd)
					(void) eventfd_read(s->wake_fd, &v);
				else if (read(s->signal_fd, &si, sizeof(si)) == sizeof(si))
					log_debug("received signal %u", si.ssi_signo);
				if (!atomic_load(&s->stopping) &&
				    (p == &s->signal_fd || atomic_load(&s->stop_requested))) {
					begin_stop(s);
					s->drain_until = now_usec() + s->drain_usec;
				}
				for (struct conn *k = s->conns, *kn; k; k = kn) {
					kn = k->next; /* k may be dropped */
					conn_maybe_resume(k, scratch);
				}
			} else {
				c = p;
				if (c->dropped)
					continue;
				if (ev[i].events & EPOLLOUT)
					conn_on_writable(c, scratch);
				if (!c->dropped && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					conn_on_readable(c, scratch);
			}
		}
		release_dropped(s);
	}
	return 1;
}

/* The loop in run()'s own thread: no pool (calls run inline), or none could start. */
static int loop(struct ttrpc_server *s, struct buf *scratch)
{
	int r;

	while ((r = loop_pass(s, scratch)) > 0)
		;
	return r;
}

/* Leader/follower: a pool thread runs the loop until a pass queues calls that no awake
 * worker will take. It then wakes an idle worker (or starts one) to lead and runs the
 * calls itself, so a call waits for no thread to wake up: the hand-over happens while it
 * runs. Leadership, and with it the loop's state, passes under s->lock. */
static void worker_lead(struct worker *w, struct buf *scratch)
{
	struct ttrpc_server *s = w->s;
	int r;

	w->busy_since = 0;
	for (;;) {
		r = loop_pass(s, scratch);
		if (r <= 0) {
			pthread_mutex_lock(&s->lock);
			s->loop_done = true;
			s->loop_result = r;
			w->leading = false;
			pthread_cond_broadcast(&s->idle_cond);
			pthread_mutex_unlock(&s->lock);
			return;
		}
		if (!s->hand_over)
			continue;
		s->hand_over = false;
		pthread_mutex_lock(&s->lock);
		if (s->queue_head && !worker_will_take_locked(s, now_usec()) &&
		    worker_wake_locked(s, true)) {
			w->leading = false;
			pthread_mutex_unlock(&s->lock);
			return;
		}
		pthread_mutex_unlock(&s->lock);
	}
}

/* ---- setup ---- */

static const char *address_path(const char *address)
{
	const char *p = startswith(address, "unix://");

	if (p)
		return p;
	if (strstr(address, "://"))
		return NULL; /* vsock://, tcp://: not served here */
	return address;
}

static int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

int ttrpc_server_listen(struct ttrpc_server *s, const char *address)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = address_path(address);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (s->listen_fd >= 0 || s->running)
		return -EBUSY;
	if (isempty(path) || path[0] == '@')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	r = mkdir_parents(path, 0700);
	if (r < 0)
		return r;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	} else if (errno != ENOENT)
		return -errno;

	/* Bind under a temporary name in the same directory; run() renames it into place. */
	if (asprintf(&tmp, "%s.%d.tmp", path, (int) getpid()) < 0)
		return -ENOMEM;
	if (strlen(tmp) >= sizeof(sa.sun_path))
		tmp = mfree(tmp); /* no room: bind the final name directly */
	strcpy(sa.sun_path, tmp ? tmp : path);
	if (tmp && lstat(tmp, &st) == 0 && S_ISSOCK(st.st_mode))
		(void) unlink(tmp); /* left by a crashed instance with our pid */

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(sa.sun_path, 0600) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
	    lstat(sa.sun_path, &st) < 0) {
		r = -errno;
		(void) unlink(sa.sun_path);
		return r;
	}
	s->path = strdup(path);
	if (!s->path) {
		(void) unlink(sa.sun_path);
		return -ENOMEM;
	}
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	s->tmp_path = steal_ptr(tmp);
	s->placed = !s->tmp_path;
	s->listen_fd = steal_fd(fd);
	return 0;
}

static int epoll_add(int epfd, int fd, void *tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static int run_setup(struct ttrpc_server *s, const sigset_t *mask)
{
	int r;

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return -errno;
	s->signal_fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->signal_fd < 0)
		return -errno;
	r = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r < 0)
		return -errno;
	pthread_mutex_lock(&s->lock);
	s->wake_fd = r;
	pthread_mutex_unlock(&s->lock);
	r = epoll_add(s->epoll_fd, s->listen_fd, &s->listen_fd);
	if (r >= 0)
		r = epoll_add(s->epoll_fd, s->signal_fd, &s->signal_fd);
	if (r >= 0)
		r = epoll_add(s->epoll_fd, s->wake_fd, &s->wake_fd);
	if (r < 0)
		return r;
	/* A stop asked for before run() is honoured at once. */
	if (atomic_load(&s->stop_requested))
		(void) eventfd_write(s->wake_fd, 1);
	s->last_stall_check = now_usec();
	if (s->tmp_path) {
		if (rename(s->tmp_path, s->path) < 0)
			return -errno;
		s->tmp_path = mfree(s->tmp_path);
		s->placed = true;
	}
	return 0;
}

static bool any_worker_between_calls_locked(struct ttrpc_server *s)
{
	for (struct worker *w = s->workers; w; w = w->next)
		if (w->busy_since == 0)
			return true;
	return false;
}

static void run_teardown(struct ttrpc_server *s)
{
	struct call *queued;
	struct timespec ts;
	int wfd;

	close_listener(s);
	/* Calls still queued after the drain timeout never run. */
	pthread_mutex_lock(&s->lock);
	queued = s->queue_head;
	s->queue_head = s->queue_tail = NULL;
	for (struct call *c = queued; c; c = c->next)
		heap_remove(s, c);
	pthread_mutex_unlock(&s->lock);
	while (queued) {
		struct call *c = queued;

		queued = c->next;
		call_done(c);
	}
	while (s->conns)
		conn_drop(s->conns);
	release_dropped(s);

	/* Idle workers leave now: wait for them. One still inside a handler keeps s alive
	 * until it returns (its reply goes nowhere); the drain already waited for those. */
	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&s->lock);
	s->workers_exit = true;
	for (struct worker *w = s->workers; w; w = w->next)
		pthread_cond_signal(&w->cond);
	while (any_worker_between_calls_locked(s))
		if (pthread_cond_timedwait(&s->idle_cond, &s->lock, &ts) == ETIMEDOUT)
			break;
	wfd = s->wake_fd;
	s->wake_fd = -EBADF;
	pthread_mutex_unlock(&s->lock);

	if (wfd >= 0)
		(void) close(wfd);
	if (s->signal_fd >= 0)
		(void) close(s->signal_fd);
	if (s->epoll_fd >= 0)
		(void) close(s->epoll_fd);
	s->signal_fd = s->epoll_fd = -EBADF;
}

int ttrpc_server_run(struct ttrpc_server *s)
{
	struct buf scratch = BUF_INIT(TTRPC_HEADER_SIZE + TTRPC_MESSAGE_LENGTH_MAX);
	sigset_t mask, old;
	int r;

	if (s->listen_fd < 0)
		return -EBADF;
	if (s->running)
		return -EBUSY;
	(void) sigemptyset(&mask);
	(void) sigaddset(&mask, SIGTERM);
	(void) sigaddset(&mask, SIGINT);
	(void) sigaddset(&mask, SIGHUP);
	/* Pool threads are created by this thread or by each other: all inherit the set. */
	if (pthread_sigmask(SIG_BLOCK, &mask, &old) != 0)
		return -EINVAL;
	s->running = true;

	r = run_setup(s, &mask);
	if (r >= 0) {
		log_debug("serving on '%s'", s->path);
		/* A pool thread leads; this one only waits for the loop to end. */
		pthread_mutex_lock(&s->lock);
		s->worker_leads = s->max_workers > 0 && worker_spawn_locked(s, true);
		while (s->worker_leads && !s->loop_done)
			pthread_cond_wait(&s->idle_cond, &s->lock);
		pthread_mutex_unlock(&s->lock);
		r = s->worker_leads ? s->loop_result : loop(s, &scratch);
	}
	run_teardown(s);
	buf_done(&scratch);
	s->running = false;
	(void) pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? r : 0;
}
