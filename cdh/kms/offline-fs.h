/* SPDX-License-Identifier: Apache-2.0 */
/* offline_fs_kbc: KBS resources from local JSON files {"<repo>/<type>/<tag>": "<base64
 * std>"} instead of a KBS (upstream.md §5.2; guest-components confidential-data-hub/kms/
 * src/plugins/kbs/offline_fs.rs). Files are read once, at creation. */
#pragma once

#include "cdh/kms.h"

#define OFFLINE_FS_KEYS_PATH "/etc/aa-offline_fs_kbc-keys.json"
#define OFFLINE_FS_RESOURCES_PATH "/etc/aa-offline_fs_kbc-resources.json"
#define OFFLINE_FS_EXTRA_ENV "OFFLINE_FS_KBC_EXTRA_FILE_PATH"
/* Largest file we read; a larger one gives -E2BIG. */
#define OFFLINE_FS_MAX_FILE (16u << 20)

struct offline_fs;

/* Loads keys_path, then resources_path, then each comma-separated path in extra, in that
 * order; a later file's entry replaces an earlier one with the same name, as upstream.
 * NULL keys_path/resources_path mean the /etc defaults; NULL extra means the value of
 * $OFFLINE_FS_KBC_EXTRA_FILE_PATH (unset: none). A file that cannot be read is skipped;
 * one that is not a JSON object of base64 (standard alphabet, padded) strings gives
 * -EBADMSG, one over OFFLINE_FS_MAX_FILE -E2BIG. *ret owns the table; the values are
 * held as secrets. */
int offline_fs_new(const char *keys_path, const char *resources_path, const char *extra,
		   struct offline_fs **ret);
struct offline_fs *offline_fs_free(struct offline_fs *o);
DEFINE_POINTER_CLEANUP(struct offline_fs *, offline_fs_free)

/* Looks up the URI's joined path ("default/key/1"; the plugin and host are ignored, as
 * upstream does). -ENOENT when absent; *ret is a new copy. Thread-safe (read only). */
int offline_fs_get(struct offline_fs *o, const struct resource_uri *uri, struct secret **ret);

/* The getter seam over o (which must outlive it). No envelope decryptor. */
struct cdh_kms offline_fs_kms(struct offline_fs *o);

/* Number of entries (tests). */
size_t offline_fs_count(const struct offline_fs *o);
