/* SPDX-License-Identifier: Apache-2.0 */
/* cocobox: dispatch on the name we were called by, or on argv[1] when called as
 * `cocobox`. The applet table is generated from applets.def. */
#include <stdio.h>

#include "common/applet.h"
#include "common/log.h"
#include "common/macro.h"
#include "config.h"

#if ENABLE_AA
#define IF_AA(x) x
#else
#define IF_AA(x)
#endif
#if ENABLE_CDH
#define IF_CDH(x) x
#else
#define IF_CDH(x)
#endif
#if ENABLE_API_SERVER_REST
#define IF_ASR(x) x
#else
#define IF_ASR(x)
#endif
#if ENABLE_IMAGE
#define IF_IMAGE(x) x
#else
#define IF_IMAGE(x)
#endif

#define APPLET(name, fn, summary) int fn(int argc, char **argv);
#include "applets.def"
#undef APPLET

/* Non-static so the unit test can check the list's order. */
const struct applet cocobox_applets[] = {
#define APPLET(name, fn, summary) { name, fn, summary },
#include "applets.def"
#undef APPLET
};
const size_t cocobox_n_applets = ELEMENTSOF(cocobox_applets);

#ifndef COCOBOX_NO_MAIN
int main(int argc, char **argv)
{
	const char *name = argc > 0 ? path_basename(argv[0]) : "cocobox";
	const struct applet *a;

	if (streq(name, "cocobox")) {
		if (argc < 2 || argv[1][0] == '-')
			return applet_multiplexer(cocobox_applets, cocobox_n_applets, argc, argv);
		argc--, argv++;
		name = argv[0];
	}
	a = applet_find(cocobox_applets, cocobox_n_applets, name);
	if (!a) {
		fprintf(stderr, "cocobox: unknown applet '%s'\n", name);
		return 127;
	}
	log_open(a->name);
	return a->main(argc, argv);
}
#endif
