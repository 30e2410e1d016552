/* SPDX-License-Identifier: Apache-2.0 */
/* aa-tool: a debugging client for the attestation agent's ttrpc socket, one command per
 * AttestationAgentService method, so a pod can be probed with what the Kata agent and
 * the CDH would send. Exit 0 on success, 1 on any failure (the peer's status printed). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/applet.h"
#include "common/digest.h"
#include "common/log.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-client.h"

#define AA_DEFAULT_SOCK                                                                            \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"
#define AA_SERVICE "attestation_agent.AttestationAgentService"

struct aa_tool_args {
	const char *sock;
	uint64_t timeout_usec;
	bool hex;            /* evidence: RUNTIME_DATA is hex */
	long register_index; /* extend: -1 = not sent */
};

static void help(void)
{
	printf("Usage: aa-tool [OPTIONS] <COMMAND>\n\n"
	       "Commands:\n"
	       "  evidence [RUNTIME_DATA]            GetEvidence; prints the evidence JSON\n"
	       "  additional-evidence [RUNTIME_DATA] GetAdditionalEvidence\n"
	       "  token <TYPE>                       GetToken (kbs, coco_as); prints the token\n"
	       "  tee                                GetTeeType, then GetAdditionalTees\n"
	       "  extend <DOMAIN> <OPERATION> <CONTENT>\n"
	       "                                     ExtendRuntimeMeasurement; prints the result\n"
	       "  bind-initdata <HEX_DIGEST>         BindInitData\n\n"
	       "Options:\n"
	       "  -s, --socket <ADDR>   AA address [default: %s]\n"
	       "  -t, --timeout <SECS>  request timeout [default: 50]\n"
	       "  -x, --hex             RUNTIME_DATA is hex, not text\n"
	       "  -r, --register <N>    extend: RegisterIndex to send\n"
	       "  -h, --help            print this help\n"
	       "  -V, --version         print the version\n",
	       AA_DEFAULT_SOCK);
}

static int parse_number(const char *s, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_argv(int argc, char **argv, struct aa_tool_args *a)
{
	static const struct option options[] = { { "socket", required_argument, NULL, 's' },
						 { "timeout", required_argument, NULL, 't' },
						 { "hex", no_argument, NULL, 'x' },
						 { "register", required_argument, NULL, 'r' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	long v;
	int c;

	*a = (struct aa_tool_args){ .sock = AA_DEFAULT_SOCK,
				    .timeout_usec = 50 * 1000000ull,
				    .register_index = -1 };
	optind = 0;
	while ((c = getopt_long(argc, argv, "s:t:xr:hV", options, NULL)) >= 0)
		switch (c) {
		case 's':
			a->sock = optarg;
			break;
		case 't':
			if (parse_number(optarg, 24 * 3600, &v) < 0 || v == 0)
				return log_error_errno(-EINVAL, "Invalid timeout '%s'.", optarg);
			a->timeout_usec = (uint64_t) v * 1000000u;
			break;
		case 'x':
			a->hex = true;
			break;
		case 'r':
			if (parse_number(optarg, LONG_MAX, &a->register_index) < 0)
				return log_error_errno(-EINVAL, "Invalid register index '%s'.",
						       optarg);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("aa-tool (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind >= argc)
		return log_error_errno(-EINVAL, "Missing command (try --help).");
	return 1;
}

/* One call; a failure is reported here, so callers only propagate it. */
static int call(struct ttrpc_client *c, const struct aa_tool_args *a, const char *method,
		const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
		ProtobufCMessage **ret)
{
	_cleanup_(ttrpc_status_done) struct ttrpc_status st = TTRPC_STATUS_INIT;
	int r;

	r = ttrpc_client_call(c, AA_SERVICE, method, req, resp_desc, a->timeout_usec, ret, &st);
	if (r == -EREMOTEIO)
		return log_error_errno(r, "%s: %s: %s", method,
				       ttrpc_code_to_string(st.code) ?: "status", st.message ?: "");
	if (r < 0)
		return log_error_errno(r, "%s: %m", method);
	return 0;
}

static void print_bytes(const ProtobufCBinaryData *d)
{
	fwrite(d->data, 1, d->len, stdout);
	if (d->len == 0 || d->data[d->len - 1] != '\n')
		putchar('\n');
}

static int cmd_evidence(struct ttrpc_client *c, const struct aa_tool_args *a, bool additional,
			int argc, char **argv)
{
	/* Both requests are { bytes RuntimeData = 1; }: one message type serves both. */
	AttestationAgent__GetEvidenceRequest req = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	_cleanup_free_ uint8_t *data = NULL;
	ProtobufCMessage *resp = NULL;
	const char *rd = argc > 1 ? argv[1] : "";
	size_t n = strlen(rd);
	int r;

	if (argc > 2)
		return log_error_errno(-EINVAL, "evidence takes at most one RUNTIME_DATA.");
	if (a->hex) {
		if (n % 2)
			return log_error_errno(-EINVAL, "RUNTIME_DATA is not hex.");
		data = malloc(n / 2 + 1);
		if (!data)
			return log_oom();
		if (digest_unhex(rd, n, data, n / 2) < 0)
			return log_error_errno(-EINVAL, "RUNTIME_DATA is not hex.");
		req.runtimedata = (ProtobufCBinaryData){ .len = n / 2, .data = data };
	} else
		req.runtimedata = (ProtobufCBinaryData){ .len = n, .data = (uint8_t *) rd };
	r = call(c, a, additional ? "GetAdditionalEvidence" : "GetEvidence", &req.base,
		 &attestation_agent__get_evidence_response__descriptor, &resp);
	if (r < 0)
		return r;
	print_bytes(&((AttestationAgent__GetEvidenceResponse *) resp)->evidence);
	protobuf_c_message_free_unpacked(resp, NULL);
	return 0;
}

static int cmd_token(struct ttrpc_client *c, const struct aa_tool_args *a, int argc, char **argv)
{
	AttestationAgent__GetTokenRequest req = ATTESTATION_AGENT__GET_TOKEN_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int r;

	if (argc != 2)
		return log_error_errno(-EINVAL, "token takes one TYPE (kbs, coco_as).");
	req.tokentype = argv[1];
	r = call(c, a, "GetToken", &req.base, &attestation_agent__get_token_response__descriptor,
		 &resp);
	if (r < 0)
		return r;
	/* The kbs token carries the TEE private key: it goes to stdout only, never a log. */
	print_bytes(&((AttestationAgent__GetTokenResponse *) resp)->token);
	protobuf_c_message_free_unpacked(resp, NULL);
	return 0;
}

static int cmd_tee(struct ttrpc_client *c, const struct aa_tool_args *a, int argc,
		   _unused_ char **argv)
{
	AttestationAgent__GetTeeTypeRequest req = ATTESTATION_AGENT__GET_TEE_TYPE_REQUEST__INIT;
	AttestationAgent__GetAdditionalTeesRequest areq =
	    ATTESTATION_AGENT__GET_ADDITIONAL_TEES_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	AttestationAgent__GetAdditionalTeesResponse *add;
	int r;

	if (argc != 1)
		return log_error_errno(-EINVAL, "tee takes no arguments.");
	r = call(c, a, "GetTeeType", &req.base,
		 &attestation_agent__get_tee_type_response__descriptor, &resp);
	if (r < 0)
		return r;
	printf("%s\n", ((AttestationAgent__GetTeeTypeResponse *) resp)->tee);
	protobuf_c_message_free_unpacked(resp, NULL);

	r = call(c, a, "GetAdditionalTees", &areq.base,
		 &attestation_agent__get_additional_tees_response__descriptor, &resp);
	if (r < 0)
		return r;
	add = (AttestationAgent__GetAdditionalTeesResponse *) resp;
	for (size_t i = 0; i < add->n_additional_tees; i++)
		printf("additional: %s\n", add->additional_tees[i]);
	protobuf_c_message_free_unpacked(resp, NULL);
	return 0;
}

static int cmd_extend(struct ttrpc_client *c, const struct aa_tool_args *a, int argc, char **argv)
{
	AttestationAgent__ExtendRuntimeMeasurementRequest req =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	const ProtobufCEnumValue *v;
	int r;

	if (argc != 4)
		return log_error_errno(-EINVAL, "extend takes DOMAIN OPERATION CONTENT.");
	req.domain = argv[1];
	req.operation = argv[2];
	req.content = argv[3];
	if (a->register_index >= 0) {
		req.register_index_presence_case =
		    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__REGISTER_INDEX_PRESENCE_REGISTER_INDEX;
		req.registerindex = (uint64_t) a->register_index;
	}
	r = call(c, a, "ExtendRuntimeMeasurement", &req.base,
		 &attestation_agent__extend_runtime_measurement_response__descriptor, &resp);
	if (r < 0)
		return r;
	v = protobuf_c_enum_descriptor_get_value(
	    &attestation_agent__runtime_measurement_result__descriptor,
	    ((AttestationAgent__ExtendRuntimeMeasurementResponse *) resp)->result);
	printf("%s\n", v ? v->name : "UNKNOWN");
	r = v && v->value == ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK ? 0 : -EREMOTEIO;
	protobuf_c_message_free_unpacked(resp, NULL);
	return r;
}

static int cmd_bind_initdata(struct ttrpc_client *c, const struct aa_tool_args *a, int argc,
			     char **argv)
{
	AttestationAgent__BindInitDataRequest req = ATTESTATION_AGENT__BIND_INIT_DATA_REQUEST__INIT;
	uint8_t digest[DIGEST_MAX_SIZE];
	ProtobufCMessage *resp = NULL;
	size_t n;
	int r;

	if (argc != 2)
		return log_error_errno(-EINVAL, "bind-initdata takes one HEX_DIGEST.");
	n = strlen(argv[1]);
	if (n % 2 || n / 2 > sizeof(digest) || digest_unhex(argv[1], n, digest, n / 2) < 0)
		return log_error_errno(-EINVAL, "HEX_DIGEST must be up to %zu bytes of hex.",
				       sizeof(digest));
	req.digest = (ProtobufCBinaryData){ .len = n / 2, .data = digest };
	r = call(c, a, "BindInitData", &req.base,
		 &attestation_agent__bind_init_data_response__descriptor, &resp);
	if (r < 0)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	/* The reply is empty both when bound and when the TEE has no binding field. */
	printf("ok\n");
	return 0;
}

static int run(int argc, char **argv)
{
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	struct aa_tool_args args;
	const char *cmd;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	argc -= optind;
	argv += optind;
	cmd = argv[0];
	if (!streq(cmd, "evidence") && !streq(cmd, "additional-evidence") && !streq(cmd, "token") &&
	    !streq(cmd, "tee") && !streq(cmd, "extend") && !streq(cmd, "bind-initdata"))
		return log_error_errno(-EINVAL, "Unknown command '%s' (try --help).", cmd);

	r = ttrpc_client_connect(args.sock, &c);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the attestation agent at %s: %m",
				       args.sock);
	if (streq(cmd, "evidence") || streq(cmd, "additional-evidence"))
		return cmd_evidence(c, &args, streq(cmd, "additional-evidence"), argc, argv);
	if (streq(cmd, "token"))
		return cmd_token(c, &args, argc, argv);
	if (streq(cmd, "tee"))
		return cmd_tee(c, &args, argc, argv);
	if (streq(cmd, "extend"))
		return cmd_extend(c, &args, argc, argv);
	return cmd_bind_initdata(c, &args, argc, argv);
}

int aa_tool_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
