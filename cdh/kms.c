/* SPDX-License-Identifier: Apache-2.0 */
/* Dispatch through the getter seam (cdh/kms.h). */
#include <stdarg.h>
#include <stdio.h>

#include "cdh/kms.h"

#define REASON_MAX 256

static _Thread_local char reason[REASON_MAX];

const char *cdh_kms_reason(void)
{
	return reason;
}

void cdh_kms_set_reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
}

int cdh_kms_get_resource(const struct cdh_kms *kms, const struct resource_uri *uri,
			 struct secret **ret)
{
	reason[0] = 0;
	if (!kms || !kms->get_resource)
		return -EOPNOTSUPP;
	return kms->get_resource(kms->ud, uri, ret);
}

int cdh_kms_get_resource_str(const struct cdh_kms *kms, const char *uri, struct secret **ret)
{
	_cleanup_(resource_uri_freep) struct resource_uri *u = NULL;
	int r;

	r = resource_uri_parse(uri, &u);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	return cdh_kms_get_resource(kms, u, ret);
}
