/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc client over a UNIX socket: unary calls with deadlines, safe to share between
 * threads with several calls in flight on one connection (as ttrpc-rust's client: odd
 * stream ids from 1 in steps of 2, one reader thread matching replies to callers).
 * Used by CDH (to AA), cdh-tool, aa-tool and api-server-rest. */
#pragma once

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ttrpc-frame.h"

struct ttrpc_client;

/* Connects to "unix:///path" or "/path". Returns 0, -EINVAL (other schemes),
 * -ENAMETOOLONG, -ENOMEM, or -errno from socket()/connect() (-ENOENT, -ECONNREFUSED). */
int ttrpc_client_connect(const char *address, struct ttrpc_client **ret);

/* Closes the connection and frees c; no call may be in progress. Accepts NULL. */
struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c);
DEFINE_POINTER_CLEANUP(struct ttrpc_client *, ttrpc_client_free)

/* One unary call with raw payload bytes. timeout_usec 0 waits without a deadline;
 * otherwise it is sent as timeout_nano and the call gives up locally at the same time.
 * On 0 the response payload is appended to ret_payload (bounded by its max; NULL drops
 * it).
 * Errors:
 *   -EREMOTEIO  the server answered a non-OK status, stored in *ret_status (if not NULL;
 *               free with ttrpc_status_done());
 *   -ETIMEDOUT  no reply in time (a late reply is discarded);
 *   -ECONNRESET the connection is gone (every later call fails the same way);
 *   -EPROTO     the reply was not a valid Response;
 *   -E2BIG      the request exceeds the 4 MiB frame limit, or the reply ret_payload's max;
 *   -EINVAL, -ENOMEM. */
int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const void *req, size_t n, uint64_t timeout_usec, struct buf *ret_payload,
			  struct ttrpc_status *ret_status);

/* The same with messages: packs req, and on 0 sets *ret_resp to the reply unpacked as
 * resp_desc (free with protobuf_c_message_free_unpacked(resp, NULL)). A payload that does
 * not decode as resp_desc gives -EPROTO. */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		      uint64_t timeout_usec, ProtobufCMessage **ret_resp,
		      struct ttrpc_status *ret_status);
