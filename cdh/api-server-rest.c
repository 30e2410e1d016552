/* SPDX-License-Identifier: Apache-2.0 */
/* api-server-rest: HTTP front end to AA and CDH. Flags and defaults as upstream
 * (guest-components api-server-rest/src/main.rs; upstream.md §2.3). */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

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

static int run(int argc, char **argv)
{
	struct asr_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "api-server-rest: not built yet.");
}

int asr_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
