/* SPDX-License-Identifier: Apache-2.0 */
/* [[credentials]]: KBS resources (KMS credentials and the like) fetched once at start
 * and written under /run/confidential-containers/cdh/kbs before the socket is bound
 * (upstream.md §5.1; guest-components confidential-data-hub/hub/src/auth/kbs.rs). */
#pragma once

#include "cdh/config.h"
#include "cdh/error.h"
#include "cdh/kms.h"

/* For each credential of c, in order: checks its path (cdh_config_check_credential_path),
 * fetches resource_uri through kms and writes it atomically (mode 0600, parents created
 * 0700) at root + path; root NULL means "/" (tests pass a scratch directory). Every path
 * is checked before anything is fetched. A later credential with the same path wins, as
 * upstream's map. Errors: -EPERM bad path, -EINVAL bad URI, getter and file system
 * errors; err names the credential. */
int cdh_credentials_provision(const struct cdh_config *c, const struct cdh_kms *kms,
			      const char *root, struct cdh_error *err);
