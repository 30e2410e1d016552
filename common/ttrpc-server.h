/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc server: one listening UNIX socket, many connections, many unary calls in flight
 * per connection, handlers on a bounded worker pool, replies written whole under a
 * per-connection lock. Statuses and texts follow ttrpc-rust 0.9 (upstream.md §1.2). */
#pragma once

#include <protobuf-c/protobuf-c.h>

#include "ttrpc-frame.h"

/* Returns 0 and sets *ret_resp (freed by the server with protobuf_c_message_free_unpacked
 * semantics: allocate it with the system allocator), or -errno; the service's fail()
 * then picks the status. */
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
	/* The status upstream sends when a method fails with error; NULL: UNKNOWN + text. */
	void (*fail)(const char *method, int error, struct ttrpc_status *st);
};

struct ttrpc_server;

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started later inherit
 * that) so ttrpc_server_run() can take them synchronously. */
int ttrpc_server_new(struct ttrpc_server **ret);
struct ttrpc_server *ttrpc_server_free(struct ttrpc_server *s);
int ttrpc_server_add_service(struct ttrpc_server *s, const struct ttrpc_service *svc,
			     void *userdata);
/* Creates the parent directory (0700) when missing, removes a stale socket file (only a
 * socket), binds and listens; the socket is 0600. */
int ttrpc_server_listen(struct ttrpc_server *s, const char *address);
/* Serves until SIGTERM/SIGINT/SIGHUP, then stops accepting, drains in-flight calls (at most
 * 10 s), removes the socket and returns 0. */
int ttrpc_server_run(struct ttrpc_server *s);

/* Checks a service table against its descriptor: same count, every name present. */
int ttrpc_service_check(const struct ttrpc_service *svc);

/* Parses a byte stream of frames as one connection would and runs every call inline,
 * appending the reply frames to replies. For the fuzz target and unit tests. Returns
 * -ECONNRESET when the stream ends mid-frame, as a connection would be closed. */
int ttrpc_server_feed(struct ttrpc_server *s, const uint8_t *p, size_t n, struct buf *replies);

DEFINE_POINTER_CLEANUP(struct ttrpc_server *, ttrpc_server_free)
