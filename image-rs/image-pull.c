/* SPDX-License-Identifier: Apache-2.0 */
/* image-pull: pull an image and unpack it into a bundle in-process, no daemon. */
#include <getopt.h>
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"

struct image_pull_args {
	const char *work_dir;
	const char *config;
	const char *image;
	const char *bundle;
};

static void help(void)
{
	printf(
	    "Usage: image-pull [OPTIONS] <IMAGE> <BUNDLE_DIR>\n\n"
	    "Options:\n"
	    "  -w, --work-dir <DIR>   layer and meta store [default: /run/kata-containers/image]\n"
	    "  -c, --config <PATH>    CDH configuration file whose [image] section applies\n"
	    "  -h, --help             print this help\n"
	    "  -V, --version          print the version\n");
}

static int parse_argv(int argc, char **argv, struct image_pull_args *a)
{
	static const struct option options[] = { { "work-dir", required_argument, NULL, 'w' },
						 { "config", required_argument, NULL, 'c' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct image_pull_args){ .work_dir = "/run/kata-containers/image" };
	optind = 0;
	while ((c = getopt_long(argc, argv, "w:c:hV", options, NULL)) >= 0)
		switch (c) {
		case 'w':
			a->work_dir = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("image-pull (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (argc - optind != 2)
		return log_error_errno(-EINVAL, "Expected IMAGE and BUNDLE_DIR (try --help).");
	a->image = argv[optind];
	a->bundle = argv[optind + 1];
	return 1;
}

static int run(int argc, char **argv)
{
	struct image_pull_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	return log_error_errno(-EOPNOTSUPP, "image-pull: not built yet.");
}

int image_pull_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
