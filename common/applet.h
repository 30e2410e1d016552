/* SPDX-License-Identifier: Apache-2.0 */
/* The generic half of the multi-call binary: finding an applet by name and the
 * `cocobox --list/--install/--version/--help` front end. The table itself is built
 * from applets.def in main.c, where every applet's entry point is visible. */
#pragma once

#include <stddef.h>

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

const struct applet *applet_find(const struct applet *applets, size_t n, const char *name);

/* Handles `cocobox [--list|--install DIR|--version|--help]`; returns the exit status. */
int applet_multiplexer(const struct applet *applets, size_t n, int argc, char **argv);

/* Creates DIR/<name> -> target for every applet, replacing older links. */
int applet_install(const struct applet *applets, size_t n, const char *dir, const char *target);

/* The version string every applet prints for --version. */
extern const char cocobox_version[];
