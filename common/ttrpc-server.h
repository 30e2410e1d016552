/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc server on a UNIX socket, behaving as ttrpc-rust 0.9's async server does towards
 * the Kata agent (upstream.md §1; ARCHITECTURE.md §3): many connections, many unary calls
 * in flight on one connection, handlers on a bounded worker pool, deadlines, upstream's
 * status codes and texts. Services are bound by name to protoc-c descriptors through a
 * hand-written method table (STYLE.md §3.3). */
#pragma once

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ttrpc-frame.h"

/* A method implementation. req is the decoded request (the method's input type, owned
 * by the server). On success return >= 0 and set *ret_resp to a message of the method's
 * output type that protobuf_c_message_free_unpacked(resp, NULL) can free (every field
 * malloc()ed or left at its INIT default); the server takes it. Leaving *ret_resp NULL
 * answers an empty message (all fields default), e.g. SecureMountResponse {}. On
 * failure return -errno: the service's fail() turns it into a status, unless the handler
 * chose one with ttrpc_handler_status(). Runs on a worker thread; several calls of the
 * same method may run at once. */
typedef int (*ttrpc_handler_fn)(void *userdata, const ProtobufCMessage *req,
				ProtobufCMessage **ret_resp);

struct ttrpc_method {
	const char *name;      /* as in the .proto */
	ttrpc_handler_fn call; /* NULL: declared upstream but not served (NOT_FOUND) */
};

struct ttrpc_service {
	const ProtobufCServiceDescriptor *desc;
	const struct ttrpc_method *methods;
	size_t n_methods;
	/* Status for a handler failure: st arrives as INTERNAL with no message; set both.
	 * NULL: INTERNAL with strerror(-error). */
	void (*fail)(const char *method, int error, struct ttrpc_status *st);
};

/* Lets a handler answer with a status of its choice: records it for the call running on
 * this thread and returns -EREMOTEIO, so `return ttrpc_handler_status(...)`. Outside a
 * handler it records nothing. */
int ttrpc_handler_status(int code, const char *fmt, ...) _printf_(2, 3);

/* Checks a method table against its descriptor: same count, every name present once.
 * Returns 0 or -EINVAL. */
int ttrpc_service_check(const struct ttrpc_service *svc);

struct ttrpc_server;

/* Defaults: up to 16 worker threads plus the one leading the I/O loop (created on
 * demand, 1 MiB stacks), 256 connections (more wait in the listen backlog), per
 * connection 128 calls in flight. NULL on OOM. */
struct ttrpc_server *ttrpc_server_new(void);
/* Frees the server; handlers still running after a drain timeout keep the shared state
 * alive until they return. Accepts NULL, returns NULL. */
struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s);
DEFINE_POINTER_CLEANUP(struct ttrpc_server *, ttrpc_server_free)

/* Registers svc (which must outlive the server) with userdata passed to its handlers.
 * -EINVAL if the table does not match its descriptor, -EEXIST for a second service of
 * the same name, -EBUSY once running. */
int ttrpc_server_add_service(struct ttrpc_server *s, const struct ttrpc_service *svc,
			     void *userdata);

/* max_workers 0 runs every handler inline on run()'s thread (tests, fuzzing). Call before
 * ttrpc_server_run(). */
void ttrpc_server_set_max_workers(struct ttrpc_server *s, unsigned max_workers);

/* Binds "unix:///path" or "/path": creates missing parent directories (0700), removes a
 * stale socket (only a socket: anything else gives -EEXIST), binds under a temporary name,
 * sets mode 0600 and listens. ttrpc_server_run() renames it into place, so the path
 * appears only once calls are served (Kata polls for it). -EINVAL for other schemes,
 * -ENAMETOOLONG, or -errno from the socket calls. */
int ttrpc_server_listen(struct ttrpc_server *s, const char *address);

/* Serves until SIGTERM, SIGINT or SIGHUP (upstream AA exits on SIGHUP too) or
 * ttrpc_server_stop(). Blocks those signals in the calling thread and takes them through a
 * signalfd, so call it before creating other threads or with them blocked. On stop: closes
 * and unlinks the listening socket, answers no new calls, waits up to 10 s for calls in
 * flight and their replies, closes the connections and returns 0 (-errno on setup
 * failure). */
int ttrpc_server_run(struct ttrpc_server *s);

/* Asks a running server to stop, from any thread or a handler. */
void ttrpc_server_stop(struct ttrpc_server *s);
