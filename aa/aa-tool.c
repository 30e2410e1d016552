/* SPDX-License-Identifier: Apache-2.0 */
/* aa-tool: a debugging client for the attestation agent's ttrpc socket. */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

#define AA_DEFAULT_SOCK                                                                            \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"

struct aa_tool_args {
	const char *sock;
	long timeout_s;
};

static void help(void)
{
	printf("Usage: aa-tool [OPTIONS] <COMMAND>\n\n"
	       "Commands:\n"
	       "  evidence [RUNTIME_DATA]            GetEvidence; prints the evidence JSON\n"
	       "  token <TYPE>                       GetToken (kbs, coco_as)\n"
	       "  tee                                GetTeeType and GetAdditionalTees\n"
	       "  extend <DOMAIN> <OPERATION> <CONTENT> [--pcr N]\n"
	       "                                     ExtendRuntimeMeasurement\n\n"
	       "Options:\n"
	       "  -s, --socket <ADDR>   AA address [default: %s]\n"
	       "  -t, --timeout <SECS>  request timeout [default: 50]\n"
	       "  -h, --help            print this help\n"
	       "  -V, --version         print the version\n",
	       AA_DEFAULT_SOCK);
}

static int parse_argv(int argc, char **argv, struct aa_tool_args *a)
{
	static const struct option options[] = { { "socket", required_argument, NULL, 's' },
						 { "timeout", required_argument, NULL, 't' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct aa_tool_args){ .sock = AA_DEFAULT_SOCK, .timeout_s = 50 };
	optind = 0;
	/* "+" stops at the command so its own options stay for it. */
	while ((c = getopt_long(argc, argv, "+s:t:hV", options, NULL)) >= 0)
		switch (c) {
		case 's':
			a->sock = optarg;
			break;
		case 't':
			a->timeout_s = strtol(optarg, NULL, 10);
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

static int run(int argc, char **argv)
{
	struct aa_tool_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "aa-tool: not built yet.");
}

int aa_tool_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
