/* SPDX-License-Identifier: Apache-2.0 */
/* cdh/error.h */
#include <stdarg.h>
#include <stdio.h>

#include "cdh/error.h"

int cdh_error_set(struct cdh_error *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return r;
	va_start(ap, fmt);
	(void) vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return r;
}
