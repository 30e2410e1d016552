/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle the Kata agent runs a container from (upstream.md §6.6; image-rs
 * bundle.rs, snapshots/overlay.rs): <bundle>/rootfs as an overlay of the image's layers
 * with a fresh upper dir, and <bundle>/config.json from the image config on top of
 * oci-spec's default Spec. Beyond upstream, the config's User is resolved to uid/gid
 * through the image's own /etc/passwd and /etc/group. */
#pragma once

#include <json.h>
#include <stdint.h>

#include "common/buf.h"
#include "image-rs/store.h"

/* Resolves an image config User ("", "name", "uid", "name:group", "uid:gid", ...) inside
 * rootfd (openat2-confined reads of etc/passwd and etc/group). A numeric user without a
 * group takes its primary group from passwd, else 0. -ENOENT (with a reason in err) for a
 * name that is not there, -EINVAL for a malformed value. */
int bundle_resolve_user(int rootfd, const char *user, uint32_t *ret_uid, uint32_t *ret_gid,
			struct buf *err);

/* Builds config.json's JSON for image_config (the image's config blob as stored in
 * ImageMeta) with process.user uid/gid. */
int bundle_runtime_config(json_object *image_config, uint32_t uid, uint32_t gid, json_object **ret);

/* Mounts the image recorded under config_digest at <bundle_dir>/rootfs (created) and
 * writes <bundle_dir>/config.json (which must not exist). On failure nothing is left
 * mounted or written. Errors: -ENOENT (no such image), -EEXIST (config.json exists),
 * -errno from mount(2) and the file system, with a reason in err. */
int bundle_create(struct store *st, const char *config_digest, const char *bundle_dir,
		  struct buf *err);
