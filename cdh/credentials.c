/* SPDX-License-Identifier: Apache-2.0 */
/* Credential prefetch (cdh/credentials.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/credentials.h"
#include "common/fs.h"

int cdh_credentials_provision(const struct cdh_config *c, const struct cdh_kms *kms,
			      const char *root, struct cdh_error *err)
{
	int r;

	for (size_t i = 0; i < c->n_credentials; i++)
		if (cdh_config_check_credential_path(c->credentials[i].path) < 0)
			return cdh_error_set(err, -EPERM, "illegal path to put credential: '%s'",
					     c->credentials[i].path);

	for (size_t i = 0; i < c->n_credentials; i++) {
		const struct cdh_credential *cr = &c->credentials[i];
		_cleanup_secret_ struct secret *data = NULL;
		_cleanup_free_ char *full = NULL;
		char *slash;

		r = cdh_kms_get_resource_str(kms, cr->resource_uri, &data);
		if (r < 0)
			return cdh_error_set(err, r, "cannot get credential '%s' for '%s': %s",
					     cr->resource_uri, cr->path, strerror(-r));
		if (asprintf(&full, "%s%s", root ? root : "", cr->path) < 0)
			return -ENOMEM;
		/* The path was checked: absolute, below the kbs dir, no dot segments. */
		slash = strrchr(full, '/');
		*slash = 0;
		r = fs_mkdir_p(full, 0700);
		*slash = '/';
		if (r < 0)
			return cdh_error_set(err, r, "cannot create the directory of '%s': %s",
					     cr->path, strerror(-r));
		r = fs_write_atomic(AT_FDCWD, full, data->p, data->n, 0600);
		if (r < 0)
			return cdh_error_set(err, r, "cannot write credential '%s': %s", cr->path,
					     strerror(-r));
	}
	return 0;
}
