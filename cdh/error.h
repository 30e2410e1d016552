/* SPDX-License-Identifier: Apache-2.0 */
/* A short reason to go with a -errno, for the CDH's ttrpc replies ("[CDH] [ERROR]: <why>",
 * upstream.md §2.2) and cdh-tool's messages. Never holds key material. */
#pragma once

#include "common/macro.h"

struct cdh_error {
	char message[256];
};

/* Formats the reason into e (NULL is fine: nothing is written) and returns r, so callers
 * can `return cdh_error_set(err, -EBADMSG, "...")`. */
int cdh_error_set(struct cdh_error *e, int r, const char *fmt, ...) _printf_(3, 4);
