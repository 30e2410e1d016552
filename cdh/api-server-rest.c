/* SPDX-License-Identifier: Apache-2.0 */
/* api-server-rest: HTTP front end to AA and CDH. Flags and defaults as upstream
 * (guest-components api-server-rest/src/main.rs; upstream.md §2.3): one thread per
 * connection (at most ASR_MAX_CONNS), one request per connection, a read timeout, and
 * upstream's loopback-only check on the peer. Routing is cdh/rest.c. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cdh/rest.h"
#include "common/applet.h"
#include "common/json-util.h"
#include "common/log.h"
#include "common/proto/api.pb-c.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-client.h"

struct asr_args {
	const char *bind;
	const char *features;
	const char *cdh_addr;
	const char *aa_addr;
};

static void help(void)
{
	printf(
	    "Usage: api-server-rest [OPTIONS]\n\n"
	    "Options:\n"
	    "  -b, --bind <ADDR>          bind address [default: 127.0.0.1:8006]\n"
	    "  -f, --features <FEATURES>  resource, attestation or all [default: resource]\n"
	    "  -c, --cdh_addr <ADDR>      CDH ttrpc address\n"
	    "                             [default: unix:///run/confidential-containers/cdh.sock]\n"
	    "  -a, --aa_addr <ADDR>       AA ttrpc address [default: unix:///run/"
	    "confidential-containers/attestation-agent/attestation-agent.sock]\n"
	    "  -h, --help                 print this help\n"
	    "  -V, --version              print the version\n");
}

static int parse_argv(int argc, char **argv, struct asr_args *a)
{
	static const struct option options[] = { { "bind", required_argument, NULL, 'b' },
						 { "features", required_argument, NULL, 'f' },
						 { "cdh_addr", required_argument, NULL, 'c' },
						 { "aa_addr", required_argument, NULL, 'a' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct asr_args){
		.bind = "127.0.0.1:8006",
		.features = "resource",
		.cdh_addr = "unix:///run/confidential-containers/cdh.sock",
		.aa_addr = "unix:///run/confidential-containers/attestation-agent/"
			   "attestation-agent.sock",
	};
	optind = 0;
	while ((c = getopt_long(argc, argv, "b:f:c:a:hV", options, NULL)) >= 0)
		switch (c) {
		case 'b':
			a->bind = optarg;
			break;
		case 'f':
			a->features = optarg;
			break;
		case 'c':
			a->cdh_addr = optarg;
			break;
		case 'a':
			a->aa_addr = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("api-server-rest (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (!streq(a->features, "resource") && !streq(a->features, "attestation") &&
	    !streq(a->features, "all"))
		return log_error_errno(-EINVAL, "Unknown features. Supported features are: "
						"resource, attestation, all.");
	return 1;
}

/* ---- the AA and CDH over ttrpc: one shared client each, (re)connected on demand, as
 * upstream's CachedTtrpcClient reconnects once when the connection is gone ---- */

#define ASR_TTRPC_TIMEOUT_USEC (50ull * 1000000) /* upstream TTRPC_TIMEOUT */
#define ASR_MAX_CONNS 64
#define ASR_READ_TIMEOUT_SEC 10

struct peer {
	const char *name, *addr;
	pthread_mutex_t lock;
	struct ttrpc_client *c;
	unsigned gen; /* bumped when c is replaced */
};

struct asr {
	struct peer aa, cdh;
	struct rest_backend be;
	sem_t slots;
};

static int peer_get(struct peer *p, struct ttrpc_client **ret, unsigned *gen)
{
	int r = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->c) {
		r = ttrpc_client_connect(p->addr, &p->c);
		if (r >= 0)
			p->gen++;
	}
	*ret = p->c;
	*gen = p->gen;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Drops the client that failed (if nobody replaced it already). Calls in flight on it keep
 * their reference: clients are never freed while the server runs, only leaked on
 * reconnect, which happens when a daemon restarts. */
static void peer_reset(struct peer *p, unsigned gen)
{
	pthread_mutex_lock(&p->lock);
	if (p->gen == gen)
		p->c = NULL;
	pthread_mutex_unlock(&p->lock);
}

static int peer_call(struct peer *p, const char *service, const char *method,
		     const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		     ProtobufCMessage **ret, struct buf *err)
{
	_cleanup_(ttrpc_status_done) struct ttrpc_status st = TTRPC_STATUS_INIT;
	struct ttrpc_client *c;
	unsigned gen;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		r = peer_get(p, &c, &gen);
		if (r < 0) {
			(void) buf_appendf(err, "failed to connect to %s at %s: %s", p->name,
					   p->addr, strerror(-r));
			return r;
		}
		r = ttrpc_client_call(c, service, method, req, desc, ASR_TTRPC_TIMEOUT_USEC, ret,
				      &st);
		if (r != -ECONNRESET)
			break;
		peer_reset(p, gen);
	}
	if (r == -EREMOTEIO)
		(void) buf_appendf(err, "ttrpc request error: %s: %s",
				   ttrpc_code_to_string(st.code) ?: "UNKNOWN", st.message ?: "");
	else if (r < 0)
		(void) buf_appendf(err, "ttrpc request error: %s", strerror(-r));
	return r;
}

#define AA_SVC "attestation_agent.AttestationAgentService"

static int be_aa_token(void *ud, const char *type, struct buf *out, struct buf *err)
{
	struct asr *a = ud;
	AttestationAgent__GetTokenRequest req = ATTESTATION_AGENT__GET_TOKEN_REQUEST__INIT;
	AttestationAgent__GetTokenResponse *resp = NULL;
	int r;

	req.tokentype = (char *) type;
	r = peer_call(&a->aa, AA_SVC, "GetToken", &req.base,
		      &attestation_agent__get_token_response__descriptor,
		      (ProtobufCMessage **) &resp, err);
	if (r < 0)
		return r;
	r = buf_append(out, resp->token.data, resp->token.len);
	explicit_bzero(resp->token.data, resp->token.len);
	attestation_agent__get_token_response__free_unpacked(resp, NULL);
	return r;
}

static int be_aa_evidence(void *ud, bool additional, const uint8_t *rd, size_t n, struct buf *out,
			  struct buf *err)
{
	struct asr *a = ud;
	/* Both requests are { bytes RuntimeData = 1; }. */
	AttestationAgent__GetEvidenceRequest req = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	AttestationAgent__GetEvidenceResponse *resp = NULL;
	int r;

	req.runtimedata = (ProtobufCBinaryData){ .len = n, .data = (uint8_t *) rd };
	r = peer_call(&a->aa, AA_SVC, additional ? "GetAdditionalEvidence" : "GetEvidence",
		      &req.base, &attestation_agent__get_evidence_response__descriptor,
		      (ProtobufCMessage **) &resp, err);
	if (r < 0)
		return r;
	r = buf_append(out, resp->evidence.data, resp->evidence.len);
	attestation_agent__get_evidence_response__free_unpacked(resp, NULL);
	return r;
}

static int be_aa_extend(void *ud, const char *domain, const char *operation, const char *content,
			int *result, struct buf *err)
{
	struct asr *a = ud;
	AttestationAgent__ExtendRuntimeMeasurementRequest req =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__INIT;
	AttestationAgent__ExtendRuntimeMeasurementResponse *resp = NULL;
	int r;

	req.domain = (char *) domain;
	req.operation = (char *) operation;
	req.content = (char *) content;
	r = peer_call(&a->aa, AA_SVC, "ExtendRuntimeMeasurement", &req.base,
		      &attestation_agent__extend_runtime_measurement_response__descriptor,
		      (ProtobufCMessage **) &resp, err);
	if (r < 0)
		return r;
	*result = resp->result;
	attestation_agent__extend_runtime_measurement_response__free_unpacked(resp, NULL);
	return 0;
}

static int be_aa_tee(void *ud, struct buf *tee, struct buf *additional, struct buf *err)
{
	struct asr *a = ud;
	AttestationAgent__GetTeeTypeRequest req = ATTESTATION_AGENT__GET_TEE_TYPE_REQUEST__INIT;
	AttestationAgent__GetAdditionalTeesRequest areq =
	    ATTESTATION_AGENT__GET_ADDITIONAL_TEES_REQUEST__INIT;
	AttestationAgent__GetTeeTypeResponse *resp = NULL;
	AttestationAgent__GetAdditionalTeesResponse *aresp = NULL;
	json_object *arr;
	int r;

	r = peer_call(&a->aa, AA_SVC, "GetTeeType", &req.base,
		      &attestation_agent__get_tee_type_response__descriptor,
		      (ProtobufCMessage **) &resp, err);
	if (r < 0)
		return r;
	r = buf_append_str(tee, resp->tee);
	attestation_agent__get_tee_type_response__free_unpacked(resp, NULL);
	if (r < 0)
		return r;
	r = peer_call(&a->aa, AA_SVC, "GetAdditionalTees", &areq.base,
		      &attestation_agent__get_additional_tees_response__descriptor,
		      (ProtobufCMessage **) &aresp, err);
	if (r < 0)
		return r;
	arr = json_object_new_array();
	for (size_t i = 0; arr && i < aresp->n_additional_tees; i++)
		json_object_array_add(arr, json_object_new_string(aresp->additional_tees[i]));
	r = arr ? json_append(arr, additional) : -ENOMEM;
	json_object_put(arr);
	attestation_agent__get_additional_tees_response__free_unpacked(aresp, NULL);
	return r;
}

static int be_cdh_resource(void *ud, const char *uri, struct buf *out, struct buf *err)
{
	struct asr *a = ud;
	Api__GetResourceRequest req = API__GET_RESOURCE_REQUEST__INIT;
	Api__GetResourceResponse *resp = NULL;
	int r;

	req.resourcepath = (char *) uri;
	r = peer_call(&a->cdh, "api.GetResourceService", "GetResource", &req.base,
		      &api__get_resource_response__descriptor, (ProtobufCMessage **) &resp, err);
	if (r < 0)
		return r;
	r = buf_append(out, resp->resource.data, resp->resource.len);
	explicit_bzero(resp->resource.data, resp->resource.len);
	api__get_resource_response__free_unpacked(resp, NULL);
	return r;
}

/* ---- HTTP ---- */

struct conn_arg {
	struct asr *a;
	int fd;
	bool loopback;
};

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *) ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *) ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a6) ||
		       (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
	}
	return false;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		n -= (size_t) k;
	}
}

static void *conn_main(void *arg)
{
	struct conn_arg *ca = arg;
	_cleanup_(buf_done) struct buf in = BUF_INIT(REST_HEADER_MAX + REST_BODY_MAX);
	_cleanup_(buf_done_wipe) struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct rest_response resp;
	struct rest_request req;
	int r = 0;

	rest_response_init(&resp);
	for (;;) {
		ssize_t k;

		r = buf_reserve(&in, 4096);
		if (r < 0) {
			r = -E2BIG;
			break;
		}
		k = recv(ca->fd, in.data + in.len, in.cap - in.len, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k == 0 ? -ECONNRESET : -errno;
			break;
		}
		in.len += (size_t) k;
		r = rest_request_parse(in.data, in.len, &req);
		if (r != 0)
			break;
	}
	if (r > 0) {
		log_debug("%s %s", req.method, req.path);
		rest_route(&ca->a->be, &req, ca->loopback, &resp);
		rest_request_done(&req);
	} else if (r == -EBADMSG)
		resp.status = 400;
	else if (r == -E2BIG)
		resp.status = 413;
	else if (r == -ENOSYS)
		resp.status = 501;
	else if (r == -EAGAIN || r == -EWOULDBLOCK)
		resp.status = 408;
	else
		goto done; /* the peer went away */
	if (rest_response_format(&resp, &out) >= 0)
		send_all(ca->fd, out.data, out.len);
done:
	rest_response_done(&resp);
	(void) close(ca->fd);
	sem_post(&ca->a->slots);
	free(ca);
	return NULL;
}

static int parse_bind(const char *bind, struct sockaddr_storage *ss, socklen_t *len)
{
	_cleanup_free_ char *host = NULL;
	const char *colon = strrchr(bind, ':');
	char *end;
	long port;

	if (!colon)
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return -EINVAL;
	if (bind[0] == '[' && colon > bind && colon[-1] == ']')
		host = strndup(bind + 1, (size_t) (colon - bind - 2));
	else
		host = strndup(bind, (size_t) (colon - bind));
	if (!host)
		return -ENOMEM;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *) ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *) ss)->sin_port = htons((uint16_t) port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *) ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *) ss)->sin6_port = htons((uint16_t) port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -EINVAL;
}

static int serve(struct asr *a, const char *bind_addr)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = ASR_READ_TIMEOUT_SEC };
	pthread_attr_t attr;
	socklen_t len;
	int fd, one = 1, r;

	r = parse_bind(bind_addr, &ss, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to parse the address '%s'.", bind_addr);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket(): %m");
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 128) < 0) {
		r = -errno;
		(void) close(fd);
		return log_error_errno(r, "Failed to listen on %s: %m", bind_addr);
	}
	log_info("API Server listening on http://%s", bind_addr);
	(void) pthread_attr_init(&attr);
	(void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void) pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		struct conn_arg *ca;
		pthread_t t;
		int c;

		while (sem_wait(&a->slots) < 0 && errno == EINTR)
			;
		c = accept4(fd, (struct sockaddr *) &peer, &plen, SOCK_CLOEXEC);
		if (c < 0) {
			sem_post(&a->slots);
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			r = -errno;
			break;
		}
		(void) setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void) setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		ca = malloc(sizeof(*ca));
		if (ca)
			*ca = (struct conn_arg){ .a = a, .fd = c, .loopback = is_loopback(&peer) };
		if (!ca || pthread_create(&t, &attr, conn_main, ca) != 0) {
			free(ca);
			(void) close(c);
			sem_post(&a->slots);
		}
	}
	(void) close(fd);
	return log_error_errno(r, "accept(): %m");
}

static int run(int argc, char **argv)
{
	static struct asr a = {
		.aa = { .name = "Attestation Agent", .lock = PTHREAD_MUTEX_INITIALIZER },
		.cdh = { .name = "CDH", .lock = PTHREAD_MUTEX_INITIALIZER },
	};
	struct asr_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	log_info("Starting API server on %s with features %s", args.bind, args.features);
	a.aa.addr = args.aa_addr;
	a.cdh.addr = args.cdh_addr;
	a.be = (struct rest_backend){
		.aa_token = be_aa_token,
		.aa_evidence = be_aa_evidence,
		.aa_extend = be_aa_extend,
		.aa_tee = be_aa_tee,
		.cdh_resource = be_cdh_resource,
		.ud = &a,
		.aa = !streq(args.features, "resource"),
		.cdh = !streq(args.features, "attestation"),
		.feature = args.features,
	};
	if (sem_init(&a.slots, 0, ASR_MAX_CONNS) < 0)
		return log_error_errno(-errno, "sem_init(): %m");
	return serve(&a, args.bind);
}

int asr_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
