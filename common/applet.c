/* SPDX-License-Identifier: Apache-2.0 */
/* Applet lookup and the multiplexer front end (BusyBox's --list/--install). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applet.h"
#include "config.h"
#include "log.h"
#include "macro.h"

const char cocobox_version[] = COCOBOX_VERSION;

const struct applet *applet_find(const struct applet *applets, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(applets[i].name, name))
			return &applets[i];
	return NULL;
}

int applet_install(const struct applet *applets, size_t n, const char *dir, const char *target)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		char tmp[NAME_MAX + 1];

		/* Link under a temporary name and rename over the old entry: atomic
		 * replace, so a running agent never sees the applet missing. */
		if (snprintf(tmp, sizeof(tmp), ".%s.cocobox-new", applets[i].name) >=
		    (int) sizeof(tmp))
			return -ENAMETOOLONG;
		(void) unlinkat(dfd, tmp, 0);
		if (symlinkat(target, dfd, tmp) < 0)
			return -errno;
		if (renameat(dfd, tmp, dfd, applets[i].name) < 0) {
			int r = -errno;
			(void) unlinkat(dfd, tmp, 0);
			return r;
		}
	}
	return 0;
}

static void help(const struct applet *applets, size_t n)
{
	printf("cocobox %s: Confidential Containers guest components in one binary.\n\n"
	       "Usage: cocobox APPLET [ARGS...]   or run through a link named after the applet\n"
	       "       cocobox --list             list the applets\n"
	       "       cocobox --install DIR      create a symlink in DIR for every applet\n"
	       "       cocobox --version          print the version\n\n"
	       "Applets:\n",
	       cocobox_version);
	for (size_t i = 0; i < n; i++)
		printf("  %-24s %s\n", applets[i].name, applets[i].summary);
}

int applet_multiplexer(const struct applet *applets, size_t n, int argc, char **argv)
{
	const char *opt = argc > 1 ? argv[1] : "--help";

	if (streq(opt, "--list")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", applets[i].name);
		return EXIT_SUCCESS;
	}
	if (streq(opt, "--version")) {
		printf("cocobox %s\n", cocobox_version);
		return EXIT_SUCCESS;
	}
	if (streq(opt, "--install")) {
		char self[PATH_MAX];
		ssize_t len;
		int r;

		if (argc != 3) {
			fprintf(stderr, "Usage: cocobox --install DIR\n");
			return EXIT_FAILURE;
		}
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len < 0) {
			log_error_errno(-errno, "Failed to find this binary's path: %m");
			return EXIT_FAILURE;
		}
		self[len] = 0;
		r = applet_install(applets, n, argv[2], self);
		if (r < 0) {
			log_error_errno(r, "Failed to install applet links in '%s': %m", argv[2]);
			return EXIT_FAILURE;
		}
		return EXIT_SUCCESS;
	}
	if (streq(opt, "--help") || streq(opt, "-h")) {
		help(applets, n);
		return EXIT_SUCCESS;
	}
	fprintf(stderr, "cocobox: unknown option '%s' (try --help)\n", opt);
	return EXIT_FAILURE;
}
