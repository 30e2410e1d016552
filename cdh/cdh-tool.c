/* SPDX-License-Identifier: Apache-2.0 */
/* cdh-tool: CLI over the CDH socket with upstream's ttrpc-cdh-tool commands and flags
 * (guest-components confidential-data-hub/hub/src/bin/ttrpc-cdh-tool.rs). */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

#define CDH_DEFAULT_SOCK "unix:///run/confidential-containers/cdh.sock"

struct cdh_tool_args {
	const char *sock;
	long timeout_s;
};

static void help(void)
{
	printf(
	    "Usage: cdh-tool [OPTIONS] <COMMAND> [ARGS]\n\n"
	    "Commands:\n"
	    "  unseal-secret -s, --secret-path <PATH>      unseal the sealed secret in PATH\n"
	    "  unwrap-key -a, --annotation-path <PATH>     unwrap an image key annotation packet\n"
	    "  get-resource -r, --resource-uri <URI>       fetch a KBS resource "
	    "(kbs:///repo/type/tag)\n"
	    "  secure-mount -s, --storage-path <PATH>      mount the Storage object (JSON) in "
	    "PATH\n"
	    "  pull-image -i, --image-url <REF> -b, --bundle-path <DIR>\n"
	    "                                              pull an image into a bundle\n\n"
	    "Options:\n"
	    "  -s, --socket <ADDR>   CDH address [default: %s]\n"
	    "  -t, --timeout <SECS>  request timeout [default: 50]\n"
	    "  -h, --help            print this help\n"
	    "  -V, --version         print the version\n",
	    CDH_DEFAULT_SOCK);
}

static int parse_argv(int argc, char **argv, struct cdh_tool_args *a)
{
	static const struct option options[] = { { "socket", required_argument, NULL, 's' },
						 { "timeout", required_argument, NULL, 't' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct cdh_tool_args){ .sock = CDH_DEFAULT_SOCK, .timeout_s = 50 };
	optind = 0;
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
			printf("cdh-tool (cocobox) %s\n", cocobox_version);
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
	struct cdh_tool_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "cdh-tool: not built yet.");
}

int cdh_tool_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
