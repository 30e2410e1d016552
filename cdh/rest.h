/* SPDX-License-Identifier: Apache-2.0 */
/* api-server-rest's HTTP side without sockets: a strict HTTP/1.1 request parser and the
 * router of upstream's api-server-rest (guest-components api-server-rest/src/router.rs;
 * upstream.md §2.3): /info, /aa/{token,evidence,additional-evidence,aael},
 * /cdh/resource/<path>, with upstream's status codes and bodies. The AA and CDH calls go
 * through struct rest_backend, so the router is tested without daemons. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define REST_HEADER_MAX (16u << 10)
#define REST_BODY_MAX (64u << 10)

struct rest_request {
	char method[16];
	char *path;  /* percent-decoding is the router's business, per component */
	char *query; /* after '?', or NULL */
	uint8_t *body;
	size_t body_len;
};

/* Parses one request from the start of p (n bytes). Returns the number of bytes it used
 * (> 0) and fills *req (free with rest_request_done()), 0 when more bytes are needed, or
 * -EBADMSG (400), -E2BIG (413: headers past REST_HEADER_MAX or body past
 * REST_BODY_MAX), -ENOSYS (501: Transfer-Encoding), -ENOMEM. */
int rest_request_parse(const uint8_t *p, size_t n, struct rest_request *req);
void rest_request_done(struct rest_request *req);

/* What the router calls; each returns 0 and appends to out, or -errno with a one-line
 * reason in err (the 500 body). NULL function: that side is not enabled. */
struct rest_backend {
	int (*aa_token)(void *ud, const char *type, struct buf *out, struct buf *err);
	int (*aa_evidence)(void *ud, bool additional, const uint8_t *rd, size_t n, struct buf *out,
			   struct buf *err);
	/* *result is RuntimeMeasurementResult (0 OK, 1 NOT_SUPPORTED, 2 NOT_ENABLED). */
	int (*aa_extend)(void *ud, const char *domain, const char *operation, const char *content,
			 int *result, struct buf *err);
	int (*aa_tee)(void *ud, struct buf *tee, struct buf *additional_json, struct buf *err);
	int (*cdh_resource)(void *ud, const char *uri, struct buf *out, struct buf *err);
	void *ud;
	bool aa, cdh;        /* which features are on */
	const char *feature; /* "resource", "attestation" or "all", for /info */
};

struct rest_response {
	int status;
	const char *content_type; /* NULL: none */
	struct buf body;
	bool secret; /* the body holds key material: wiped when done */
};

void rest_response_init(struct rest_response *resp);
void rest_response_done(struct rest_response *resp);

/* Routes req (peer_loopback false: 403 as upstream) and fills resp. Never fails: errors
 * become 4xx/5xx responses. */
void rest_route(const struct rest_backend *be, const struct rest_request *req, bool peer_loopback,
		struct rest_response *resp);

/* Appends the HTTP/1.1 response (status line, Content-Type, Content-Length,
 * Connection: close) to out. */
int rest_response_format(const struct rest_response *resp, struct buf *out);
