/* SPDX-License-Identifier: Apache-2.0 */
/* api.ImagePullService/PullImage behind the CDH (upstream.md §5.7, §6): the [image]
 * configuration turned into an image-rs pull (registries, credentials, root
 * certificates, proxies, concurrency), the bundle at bundle_path, then the runtime
 * measurement upstream's hub.rs asks the AA for. Unlike upstream, pulls run
 * concurrently (the layer store shares layers between them). */
#pragma once

#include "cdh/config.h"
#include "cdh/error.h"
#include "cdh/kms.h"

struct cdh_image;

/* cfg and kms must outlive the returned object. The store under [image] work_dir is
 * opened on the first pull. */
int cdh_image_new(const struct cdh_config *cfg, const struct cdh_kms *kms, struct cdh_image **ret);
struct cdh_image *cdh_image_free(struct cdh_image *ci);
DEFINE_POINTER_CLEANUP(struct cdh_image *, cdh_image_free)

/* Pulls image_url into the store, mounts the bundle at bundle_path and writes its
 * config.json, then (if the AA socket exists) extends the AA's runtime measurement with
 * {"image":"<url>", "digest":"<manifest digest>"} as upstream formats it; an RPC
 * failure there fails the pull, a NOT_ENABLED/NOT_SUPPORTED result is only logged.
 * *ret_digest is the manifest digest (malloc()ed). Errors carry upstream-style text in
 * err. */
int cdh_image_pull(struct cdh_image *ci, const char *image_url, const char *bundle_path,
		   char **ret_digest, struct cdh_error *err);
