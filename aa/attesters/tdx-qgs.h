/* SPDX-License-Identifier: Apache-2.0 */
/* A TD quote straight from the host's Quote Generation Service, for guests without
 * configfs-tsm: the TDREPORT goes to QGS over vsock (host CID 2, port 4050 by default,
 * as Intel's libtdx_attest with "port=" in /etc/tdx-attest.conf) or a UNIX socket. The
 * wire format is Intel DCAP's qgs_msg_lib (QuoteGeneration/quote_wrapper/qgs_msg_lib):
 * a 4-byte big-endian length, then a little-endian qgs_msg GET_QUOTE_REQ/RESP. */
#pragma once

#include <stdint.h>

#include "common/buf.h"

#define TDX_QGS_VSOCK_CID 2 /* VMADDR_CID_HOST */
#define TDX_QGS_VSOCK_PORT 4050
#define TDX_QGS_REPORT_SIZE 1024
/* A quote with its PCK certificate chain is about 5 KiB; Intel's client reads at most
 * a few pages. Anything above this is a broken or hostile peer. */
#define TDX_QGS_MSG_MAX (64 * 1024)

/* Appends the framed GET_QUOTE_REQ for report (TDX_QGS_REPORT_SIZE bytes) to out. */
int tdx_qgs_encode_request(const uint8_t *report, struct buf *out);

/* Parses one GET_QUOTE_RESP message (without the 4-byte length) and appends the quote
 * to out. Errors: -EPROTO wrong major version, type or inconsistent sizes; -EREMOTEIO
 * QGS answered with an error code (logged at debug); -EBADMSG too short or an empty
 * quote; -E2BIG past out->max. */
int tdx_qgs_parse_response(const uint8_t *msg, size_t n, struct buf *out);

/* Connects to addr: "vsock" (CID 2, port 4050), "vsock:<cid>:<port>" or "unix:<path>".
 * -EINVAL for anything else; -errno from socket()/connect(). */
int tdx_qgs_connect(const char *addr, int *ret_fd);

/* One request on a connected stream socket: sends the request for report, reads the
 * framed response (at most TDX_QGS_MSG_MAX, 30 s per read or write) and appends the
 * quote to out. Errors as tdx_qgs_parse_response(), plus -ETIMEDOUT, -ECONNRESET when
 * the peer closes early, -E2BIG for an oversized frame, -errno from the socket. */
int tdx_qgs_get_quote(int fd, const uint8_t *report, struct buf *out);
