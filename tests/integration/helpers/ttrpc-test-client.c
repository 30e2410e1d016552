/* SPDX-License-Identifier: Apache-2.0 */
/* Our ttrpc client against any test.Echo server (test.proto), for the interop tests.
 * Usage: ttrpc-test-client [-t TIMEOUT_MS] SOCKET COMMAND...
 *   echo DATA | fail CODE MESSAGE | sleep MS | call SERVICE METHOD
 *   concurrent N SLOW_MS   N echo calls from N threads on one connection while a Sleep
 *                          of SLOW_MS runs on it too; all echoes must finish first.
 * Prints the outcome; exit 0 success, 1 an RPC status or wrong reply, 2 other errors. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "common/ttrpc-client.h"
#include "test.pb-c.h"

static uint64_t timeout_usec;

static int report(int r, const struct ttrpc_status *st)
{
	if (r == -EREMOTEIO) {
		printf("status %d %s\n", st->code, st->message ? st->message : "");
		return 1;
	}
	/* errno names, not strerror(): glibc and musl word them differently */
	switch (r) {
	case -ETIMEDOUT:
		printf("error: ETIMEDOUT\n");
		break;
	case -ECONNRESET:
		printf("error: ECONNRESET\n");
		break;
	case -EPROTO:
		printf("error: EPROTO\n");
		break;
	default:
		printf("error: %s\n", strerror(-r));
	}
	return 2;
}

static int echo(struct ttrpc_client *c, const char *data, struct ttrpc_status *st)
{
	Test__EchoRequest q = TEST__ECHO_REQUEST__INIT;
	Test__EchoResponse *e = NULL;
	int r;

	q.data = (ProtobufCBinaryData){ .len = strlen(data), .data = (uint8_t *) data };
	r = ttrpc_client_call(c, "test.Echo", "Echo", &q.base, &test__echo_response__descriptor,
			      timeout_usec, (ProtobufCMessage **) &e, st);
	if (r < 0)
		return r;
	if (e->data.len != strlen(data) ||
	    (e->data.len && memcmp(e->data.data, data, e->data.len) != 0))
		r = -EBADMSG;
	test__echo_response__free_unpacked(e, NULL);
	return r;
}

static int sleep_call(struct ttrpc_client *c, uint64_t ms, struct ttrpc_status *st)
{
	Test__SleepRequest q = TEST__SLEEP_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	int r;

	q.msec = ms;
	r = ttrpc_client_call(c, "test.Echo", "Sleep", &q.base, &test__sleep_response__descriptor,
			      timeout_usec, &m, st);
	protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

struct job {
	struct ttrpc_client *c;
	char data[32];
	uint64_t slow_ms;
	int r;
	struct timespec done;
};

static void *echo_thread(void *arg)
{
	struct job *j = arg;
	struct ttrpc_status st = TTRPC_STATUS_INIT;

	j->r = j->slow_ms ? sleep_call(j->c, j->slow_ms, &st) : echo(j->c, j->data, &st);
	clock_gettime(CLOCK_MONOTONIC, &j->done);
	ttrpc_status_done(&st);
	return NULL;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int concurrent(struct ttrpc_client *c, int n, uint64_t slow_ms)
{
	_cleanup_free_ struct job *jobs = calloc((size_t) n + 1, sizeof(*jobs));
	_cleanup_free_ pthread_t *t = calloc((size_t) n + 1, sizeof(*t));

	if (!jobs || !t)
		return 2;
	jobs[0] = (struct job){ .c = c, .slow_ms = slow_ms };
	if (pthread_create(&t[0], NULL, echo_thread, &jobs[0]) != 0)
		return 2;
	usleep(20000);
	for (int i = 1; i <= n; i++) {
		jobs[i].c = c;
		snprintf(jobs[i].data, sizeof(jobs[i].data), "concurrent-%d", i);
		if (pthread_create(&t[i], NULL, echo_thread, &jobs[i]) != 0)
			return 2;
	}
	for (int i = 0; i <= n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i <= n; i++)
		if (jobs[i].r < 0) {
			printf("error: call %d: %s\n", i, strerror(-jobs[i].r));
			return 1;
		}
	for (int i = 1; i <= n; i++)
		if (!before(&jobs[i].done, &jobs[0].done)) {
			printf("error: call %d waited for the slow call\n", i);
			return 1;
		}
	printf("%d calls ok\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	struct ttrpc_status st = TTRPC_STATUS_INIT;
	_cleanup_(buf_done) struct buf out = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	const char *cmd;
	int o, r;

	while ((o = getopt(argc, argv, "+t:")) >= 0)
		if (o == 't')
			timeout_usec = strtoull(optarg, NULL, 10) * 1000;
		else
			return 2;
	if (argc - optind < 2) {
		fprintf(stderr, "Usage: ttrpc-test-client [-t TIMEOUT_MS] SOCKET COMMAND...\n");
		return 2;
	}
	r = ttrpc_client_connect(argv[optind], &c);
	if (r < 0)
		return report(r, &st);
	cmd = argv[optind + 1];
	argv += optind + 2;
	argc -= optind + 2;

	if (streq(cmd, "echo") && argc == 1)
		r = echo(c, argv[0], &st);
	else if (streq(cmd, "fail") && argc == 2) {
		Test__FailRequest q = TEST__FAIL_REQUEST__INIT;
		ProtobufCMessage *m = NULL;

		q.code = atoi(argv[0]);
		q.message = argv[1];
		r = ttrpc_client_call(c, "test.Echo", "Fail", &q.base,
				      &test__fail_response__descriptor, timeout_usec, &m, &st);
		protobuf_c_message_free_unpacked(m, NULL);
	} else if (streq(cmd, "sleep") && argc == 1)
		r = sleep_call(c, strtoull(argv[0], NULL, 10), &st);
	else if (streq(cmd, "call") && argc == 2)
		r = ttrpc_client_call_raw(c, argv[0], argv[1], NULL, 0, timeout_usec, &out, &st);
	else if (streq(cmd, "concurrent") && argc == 2)
		return concurrent(c, atoi(argv[0]), strtoull(argv[1], NULL, 10));
	else {
		fprintf(stderr, "ttrpc-test-client: bad command\n");
		return 2;
	}
	if (r < 0) {
		r = report(r, &st);
		ttrpc_status_done(&st);
		return r;
	}
	printf("ok\n");
	return 0;
}
