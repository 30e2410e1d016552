/* SPDX-License-Identifier: Apache-2.0 */
/* The block-device volume type done in-process (upstream.md §5.6; guest-components
 * confidential-data-hub/hub/src/storage/drivers/luks2.rs): LUKS2 through libcryptsetup
 * with a detached header, optional dm-integrity, mkfs.ext4 from PATH, mount or symlink. */
#pragma once

#include "cdh/error.h"
#include "cdh/storage/storage.h"
#include "common/secret.h"

/* Fetches the key an option names (sealed., kbs://, file://); not called for RANDOM. */
typedef int (*cdh_storage_key_fn)(void *ud, const struct cdh_storage_opts *o, struct secret **ret,
				  struct cdh_error *err);

struct cdh_storage_env {
	const char *run_dir;    /* header directory parent; NULL: $CDH_RUN_DIR or upstream's */
	const char *sysfs_root; /* NULL: /sys */
	cdh_storage_key_fn get_key;
	void *key_ud;
};

/* Secure-mounts o at mount_point. On failure nothing it made is left: the header file is
 * removed, the mapper device closed, the mount undone. Errors with err set: -ENOENT device
 * unknown; -EEXIST header or mapper name already in use; libcryptsetup's -errno (-EPERM
 * wrong key); mkfs.ext4 failing -EIO; key getter errors pass through. */
int cdh_storage_block_device_mount(const struct cdh_storage_env *env,
				   const struct cdh_storage_opts *o, const char *mount_point,
				   struct cdh_error *err);
