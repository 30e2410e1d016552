/* SPDX-License-Identifier: Apache-2.0 */
/* confidential-data-hub: the applet front end. Upstream's ttrpc-cdh takes only -c
 * (guest-components confidential-data-hub/hub/src/bin/ttrpc-cdh.rs; upstream.md §2.2). */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

struct cdh_args {
	const char *config;
};

static void help(void)
{
	printf("Usage: confidential-data-hub [OPTIONS]\n\n"
	       "Options:\n"
	       "  -c <PATH>      configuration file (TOML); without it the defaults, env vars\n"
	       "                 and the kernel command line are used\n"
	       "  -h, --help     print this help\n"
	       "  -V, --version  print the version\n");
}

static int parse_argv(int argc, char **argv, struct cdh_args *a)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct cdh_args){};
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("confidential-data-hub (cocobox) %s\n", cocobox_version);
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
	struct cdh_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "confidential-data-hub: not built yet.");
}

int cdh_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
