/* SPDX-License-Identifier: Apache-2.0 */
/* test.Echo on our ttrpc server (the same service as the Go reference server):
 *   ttrpc-test-server SOCKET
 * and a one-shot client of our ttrpc client:
 *   ttrpc-test-server --call SOCKET SERVICE METHOD REQ_HEX TIMEOUT_MS [N]
 * which prints the response as hex, or "status <code> <message>" (exit 1), or
 * "error <errno text>" (exit 2); with N > 1, N identical calls run in flight on one
 * connection and each must return the request ("ok N"). */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "common/log.h"
#include "common/ttrpc-client.h"
#include "common/ttrpc-server.h"
#include "echo.pb-c.h"

static int copy_msg(const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Test__EchoMsg *in = (const void *) m;
	Test__EchoMsg *out = malloc(sizeof(*out));

	if (!out)
		return -ENOMEM;
	test__echo_msg__init(out);
	out->sleep_ms = in->sleep_ms;
	if (in->payload.len) {
		out->payload.data = malloc(in->payload.len);
		if (!out->payload.data) {
			free(out);
			return -ENOMEM;
		}
		memcpy(out->payload.data, in->payload.data, in->payload.len);
		out->payload.len = in->payload.len;
	}
	*ret = &out->base;
	return 0;
}

static int echo(_unused_ void *u, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	return copy_msg(m, ret);
}

static int do_sleep(_unused_ void *u, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Test__EchoMsg *in = (const void *) m;
	struct timespec ts = { in->sleep_ms / 1000, (long) (in->sleep_ms % 1000) * 1000000 };

	(void) nanosleep(&ts, NULL);
	return copy_msg(m, ret);
}

static int do_fail(_unused_ void *u, _unused_ const ProtobufCMessage *m,
		   _unused_ ProtobufCMessage **ret)
{
	return -EPERM;
}

static void echo_fail(_unused_ const char *method, int error, struct ttrpc_status *st)
{
	if (error == -EPERM)
		ttrpc_status_set(st, TTRPC_PERMISSION_DENIED, "denied by policy");
	else
		ttrpc_status_from_errno(st, error);
}

static const struct ttrpc_method echo_methods[] = {
	{ "Echo", echo },
	{ "Sleep", do_sleep },
	{ "Fail", do_fail },
	{ "Unserved", NULL },
};

static const struct ttrpc_service echo_service = {
	.desc = &test__echo__descriptor,
	.methods = echo_methods,
	.n_methods = ELEMENTSOF(echo_methods),
	.fail = echo_fail,
};

struct parallel {
	struct ttrpc_client *c;
	const char *service, *method;
	struct buf *req;
	long timeout_ms;
	int r;
};

static void *parallel_call(void *arg)
{
	struct parallel *p = arg;
	_cleanup_(buf_done) struct buf out = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	struct ttrpc_status st;

	p->r = ttrpc_client_call_raw(p->c, p->service, p->method, p->req->data, p->req->len,
				     p->timeout_ms * 1000000, &out, &st);
	if (p->r >= 0 && (out.len != p->req->len || memcmp(out.data, p->req->data, out.len)))
		p->r = -EBADMSG;
	return NULL;
}

static int client(int argc, char **argv)
{
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	_cleanup_(buf_done) struct buf req = BUF_INIT(1 << 23), out = BUF_INIT(1 << 23);
	struct ttrpc_status st = {};
	long timeout_ms, n = 1;
	const char *hex;
	int r;

	if (argc < 6)
		return 2;
	timeout_ms = strtol(argv[5], NULL, 10);
	if (argc > 6)
		n = strtol(argv[6], NULL, 10);
	for (hex = argv[4]; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			return 2;
		(void) buf_put_u8(&req, (uint8_t) v);
	}
	r = ttrpc_client_connect(argv[1], &c);
	if (r < 0) {
		printf("error %s\n", strerror(-r));
		return 2;
	}
	if (n > 1) {
		struct parallel p[256];
		pthread_t t[256];

		if (n > 256)
			return 2;
		for (long i = 0; i < n; i++) {
			p[i] = (struct parallel){ c, argv[2], argv[3], &req, timeout_ms, 0 };
			if (pthread_create(&t[i], NULL, parallel_call, &p[i]) != 0)
				return 2;
		}
		for (long i = 0; i < n; i++) {
			(void) pthread_join(t[i], NULL);
			if (p[i].r < 0) {
				printf("error %s\n", strerror(-p[i].r));
				return 1;
			}
		}
		printf("ok %ld\n", n);
		return 0;
	}
	r = ttrpc_client_call_raw(c, argv[2], argv[3], req.data, req.len, timeout_ms * 1000000,
				  &out, &st);
	if (r == -EREMOTEIO) {
		printf("status %d %s\n", st.code, st.message);
		return 1;
	}
	if (r < 0) {
		printf("error %s\n", strerror(-r));
		return 2;
	}
	for (size_t i = 0; i < out.len; i++)
		printf("%02x", out.data[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *s = NULL;
	int r;

	log_open("ttrpc-test-server");
	if (argc > 1 && streq(argv[1], "--call"))
		return client(argc - 1, argv + 1);
	if (argc != 2) {
		fprintf(stderr, "usage: ttrpc-test-server SOCKET | --call ...\n");
		return 2;
	}
	r = ttrpc_server_new(&s);
	if (r >= 0)
		r = ttrpc_server_add_service(s, &echo_service, NULL);
	if (r >= 0)
		r = ttrpc_server_listen(s, argv[1]);
	if (r >= 0)
		r = ttrpc_server_run(s);
	if (r < 0) {
		log_error_errno(r, "ttrpc-test-server: %m");
		return 1;
	}
	(void) steal_ptr(s);
	return 0;
}
