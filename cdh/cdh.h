/* SPDX-License-Identifier: Apache-2.0 */
/* The confidential data hub's state, shared by the applet and its ttrpc services. */
#pragma once

#include "cdh/config.h"
#include "cdh/kms.h"
#include "common/ttrpc-server.h"

struct cdh_image;

struct cdh {
	struct cdh_config *cfg;
	struct cdh_kms kms; /* [kbc]: cc_kbc (KBS passport client) or offline_fs_kbc */
	bool skip_verification;
	struct cdh_image *image; /* NULL when the image client is not built in */
};

/* api.SealedSecretService, api.GetResourceService, api.SecureMountService,
 * api.ImagePullService, keyprovider.KeyProviderService (userdata: struct cdh). */
extern const struct ttrpc_service cdh_sealed_secret_service, cdh_get_resource_service,
    cdh_secure_mount_service, cdh_image_pull_service, cdh_keyprovider_service;
