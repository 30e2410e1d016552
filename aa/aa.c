/* SPDX-License-Identifier: Apache-2.0 */
/* attestation-agent: the applet front end. Flags as upstream's ttrpc-aa
 * (guest-components attestation-agent/src/bin/ttrpc-aa.rs; upstream.md §2.2). */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

#define AA_DEFAULT_SOCK                                                                            \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"

struct aa_args {
	const char *sock;
	const char *config;
	const char *initdata_digest;
	const char *initdata_toml;
};

static void help(void)
{
	printf(
	    "Usage: attestation-agent [OPTIONS]\n\n"
	    "Options:\n"
	    "  -a, --attestation_sock <ADDR>    ttrpc listen address [default: %s]\n"
	    "  -c, --config-file <PATH>         configuration file (TOML)\n"
	    "  -i, --initdata-digest <BASE64>   init-data digest to bind at start-up\n"
	    "  -t, --initdata-toml <PATH>       init-data TOML to digest and bind (wins over -i)\n"
	    "  -h, --help                       print this help\n"
	    "  -V, --version                    print the version\n",
	    AA_DEFAULT_SOCK);
}

static int parse_argv(int argc, char **argv, struct aa_args *a)
{
	static const struct option options[] = {
		{ "attestation_sock", required_argument, NULL, 'a' },
		{ "config-file", required_argument, NULL, 'c' },
		{ "initdata-digest", required_argument, NULL, 'i' },
		{ "initdata-toml", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	*a = (struct aa_args){ .sock = AA_DEFAULT_SOCK };
	optind = 0;
	while ((c = getopt_long(argc, argv, "a:c:i:t:hV", options, NULL)) >= 0)
		switch (c) {
		case 'a':
			a->sock = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'i':
			a->initdata_digest = optarg;
			break;
		case 't':
			a->initdata_toml = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("attestation-agent (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind < argc)
		return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
	return 1;
}

static int run(int argc, char **argv)
{
	struct aa_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "attestation-agent: not built yet.");
}

int aa_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
