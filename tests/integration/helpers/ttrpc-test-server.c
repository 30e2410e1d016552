/* SPDX-License-Identifier: Apache-2.0 */
/* test.Echo (test.proto) served by our ttrpc server, the C side of the interop tests and
 * of bench/ttrpc.sh. Usage: ttrpc-test-server [-w WORKERS] SOCKET */
#include <getopt.h>
#include <stdio.h>

#include "common/log.h"
#include "common/ttrpc-server.h"
#include "test.pb-c.h"

static int echo(void *userdata, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
	const Test__EchoRequest *q = (const Test__EchoRequest *) req;
	Test__EchoResponse *r = malloc(sizeof(*r));

	(void) userdata;
	if (!r)
		return -ENOMEM;
	test__echo_response__init(r);
	if (q->data.len > 0) {
		r->data.data = malloc(q->data.len);
		if (!r->data.data) {
			free(r);
			return -ENOMEM;
		}
		memcpy(r->data.data, q->data.data, q->data.len);
		r->data.len = q->data.len;
	}
	*ret_resp = &r->base;
	return 0;
}

static int fail(void *userdata, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
	const Test__FailRequest *q = (const Test__FailRequest *) req;

	(void) userdata, (void) ret_resp;
	return ttrpc_handler_status(q->code, "%s", q->message);
}

static int sleep_ms(void *userdata, const ProtobufCMessage *req, ProtobufCMessage **ret_resp)
{
	const Test__SleepRequest *q = (const Test__SleepRequest *) req;

	(void) userdata;
	usleep((useconds_t) MIN(q->msec, 60000ULL) * 1000);
	*ret_resp = NULL; /* an empty SleepResponse */
	return 0;
}

static const struct ttrpc_method methods[] = {
	{ "Echo", echo },
	{ "Fail", fail },
	{ "Sleep", sleep_ms },
	{ "Unserved", NULL },
};

static const struct ttrpc_service service = {
	.desc = &test__echo__descriptor,
	.methods = methods,
	.n_methods = ELEMENTSOF(methods),
};

int main(int argc, char **argv)
{
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *s = NULL;
	int workers = -1, c, r;

	log_open("ttrpc-test-server");
	while ((c = getopt(argc, argv, "w:")) >= 0)
		if (c == 'w')
			workers = atoi(optarg);
		else
			return EXIT_FAILURE;
	if (optind != argc - 1) {
		fprintf(stderr, "Usage: ttrpc-test-server [-w WORKERS] SOCKET\n");
		return EXIT_FAILURE;
	}
	s = ttrpc_server_new();
	if (!s)
		return log_oom(), EXIT_FAILURE;
	if (workers >= 0)
		ttrpc_server_set_max_workers(s, (unsigned) workers);
	r = ttrpc_server_add_service(s, &service, NULL);
	if (r >= 0)
		r = ttrpc_server_listen(s, argv[optind]);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on '%s': %m", argv[optind]),
		       EXIT_FAILURE;
	r = ttrpc_server_run(s);
	if (r < 0)
		return log_error_errno(r, "Server failed: %m"), EXIT_FAILURE;
	return EXIT_SUCCESS;
}
