/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc client: unary calls over one UNIX connection, thread-safe, several in flight
 * (odd stream ids from 1, step 2, as ttrpc-rust's client). */
#pragma once

#include <protobuf-c/protobuf-c.h>

#include "ttrpc-frame.h"

struct ttrpc_client;

int ttrpc_client_connect(const char *address, struct ttrpc_client **ret);
/* Closes the connection; calls still waiting get -ECONNRESET. Accepts NULL. */
struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c);

/* Calls service/method with req. timeout_ns > 0 is sent as timeout_nano and also bounds
 * the wait here (-ETIMEDOUT). Returns:
 *   0          success, *ret_resp unpacked with resp_desc (free with
 *              protobuf_c_message_free_unpacked);
 *   -EREMOTEIO the peer answered a status other than OK, given in *ret_status;
 *   -ECONNRESET, -ETIMEDOUT, -EPROTO (malformed reply), -E2BIG, -ENOMEM. */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		      int64_t timeout_ns, ProtobufCMessage **ret_resp,
		      struct ttrpc_status *ret_status);

/* The same with raw payload bytes in and out (tests, generic tools). */
int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t n, int64_t timeout_ns,
			  struct buf *ret_payload, struct ttrpc_status *ret_status);

DEFINE_POINTER_CLEANUP(struct ttrpc_client *, ttrpc_client_free)
