/* SPDX-License-Identifier: Apache-2.0 */
/* SecureMount's request side (upstream.md §5.6; guest-components confidential-data-hub/hub/
 * src/storage/volume_type/{mod.rs,blockdevice/mod.rs}, drivers/{luks2.rs,filesystem.rs}):
 * the block-device options parsed and checked, the device found from a uevent, the detached
 * header's path, and the mkfs.ext4 steps (dry-run parsing, -E lazy_itable_init=0). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdh/error.h"
#include "common/buf.h"

#define CDH_STORAGE_VOLUME_BLOCK_DEVICE "block-device"
/* Upstream's LUKS2_HEADER_MIN_SIZE_BYTES. */
#define CDH_STORAGE_HEADER_SIZE (16u << 20)
/* A random (ephemeral) key is this long, as upstream. */
#define CDH_STORAGE_RANDOM_KEY_SIZE 4096
/* device-mapper names are at most DM_NAME_LEN (128) bytes with the NUL. */
#define CDH_STORAGE_MAPPER_NAME_MAX 127
#define CDH_STORAGE_MKFS_ARGS_MAX 64
#define CDH_STORAGE_OPTION_MAX 4096
#define CDH_STORAGE_BACKUPS_MAX 64

enum cdh_storage_source {
	CDH_STORAGE_SOURCE_EMPTY,
	CDH_STORAGE_SOURCE_ENCRYPTED
};
enum cdh_storage_key {
	CDH_STORAGE_KEY_RANDOM, /* no key option: 4096 random bytes, never stored */
	CDH_STORAGE_KEY_SEALED, /* "sealed." + JWS: unsealed by cdh/secret */
	CDH_STORAGE_KEY_URI,    /* a kbs:// resource URI: the kbs getter */
	CDH_STORAGE_KEY_FILE,   /* file://<absolute path> */
};
enum cdh_storage_target {
	CDH_STORAGE_TARGET_DEVICE,
	CDH_STORAGE_TARGET_FILESYSTEM
};

/* One request's block-device options. Strings point into the caller's request (which must
 * outlive this) except the owned fields noted; release with cdh_storage_opts_done(). */
struct cdh_storage_opts {
	const char *device_id;   /* "MAJ:MIN" or NULL */
	const char *device_path; /* devicePath option, or NULL */
	enum cdh_storage_source source;
	enum cdh_storage_key key_kind;
	const char *key; /* the key option verbatim (NULL for RANDOM); file path for FILE */
	enum cdh_storage_target target;
	bool integrity;
	char *mkfs_copy;                                /* owned: mkfsOpts split in place */
	char *mkfs_args[CDH_STORAGE_MKFS_ARGS_MAX + 1]; /* into mkfs_copy, NULL-terminated */
	size_t n_mkfs_args;
	char mapper_name[CDH_STORAGE_MAPPER_NAME_MAX + 1]; /* given, or a fresh UUIDv4 */
};

void cdh_storage_opts_done(struct cdh_storage_opts *o);

/* Parses a block-device request's options (keys[i] = values[i], i < n; all values are
 * strings as upstream's JSON round trip makes them). Unknown keys are ignored, as serde
 * does upstream. Errors, with err saying which option:
 *   -EINVAL  neither deviceId nor devicePath; deviceId not "MAJ:MIN"; devicePath not
 *            absolute; unknown sourceType/targetType; filesystemType other than ext4;
 *            encryptionType missing or unknown; a key that is none of sealed./kbs URI/
 *            file://; bad mapperName (empty, '/', "." / "..", too long); a value over
 *            CDH_STORAGE_OPTION_MAX
 *   -EOPNOTSUPP  encryptionType zfs (no zpool/zfs in cocobox)
 *   -E2BIG   more than CDH_STORAGE_MKFS_ARGS_MAX mkfsOpts words
 *   -ENOMEM; random source failure passes through. o is usable only on success. */
int cdh_storage_parse(const char *const *keys, const char *const *values, size_t n,
		      struct cdh_storage_opts *o, struct cdh_error *err);

/* Finds DEVNAME= in a /sys/dev/block/MAJ:MIN/uevent text [0..n) and writes "/dev/<name>"
 * to out. -ENOENT: no DEVNAME line; -EBADMSG: empty name, a ".." component or a NUL;
 * -ENAMETOOLONG: does not fit outsz. */
int cdh_storage_uevent_devname(const char *text, size_t n, char *out, size_t outsz);

/* Reads /sys/dev/block/<device_id>/uevent under sysfs_root (NULL: "/sys") and resolves it
 * with cdh_storage_uevent_devname(). -ENOENT when the device is unknown. */
int cdh_storage_device_from_id(const char *sysfs_root, const char *device_id, char *out,
			       size_t outsz);

/* The detached header's path: <run_dir>/luks-headers/<base64url-nopad(device_path)>.header,
 * run_dir NULL meaning $CDH_RUN_DIR or /run/confidential-containers/cdh. Appends to out. */
int cdh_storage_header_path(const char *run_dir, const char *device_path, struct buf *out);

/* Parses `mkfs.ext4 -n` output: block 0 then every number after "Superblock backups
 * stored on blocks:" (commas, blanks and newlines between them). blocks[] holds max.
 * -E2BIG over max; -EBADMSG a number over 2^48 or nothing parseable after the label
 * (no label at all is fine: a small file system has only block 0). */
int cdh_storage_parse_backups(const char *text, size_t n, uint64_t *blocks, size_t max,
			      size_t *ret_n);

/* Builds mkfs.ext4's argv for the real run into argv (argv_max slots incl. the NULL):
 * "mkfs.ext4", "-F", the caller's words, [-E ...,] device last (musl's getopt does not
 * permute, so upstream's "<dev> -F <opts>" order would fail there); with integrity, "lazy_itable_init=0" is
 * appended to the last -E value (written to ext_buf) or "-E lazy_itable_init=0" added,
 * unless some -E already names lazy_itable_init. -E2BIG when argv is too small. */
int cdh_storage_mkfs_argv(const struct cdh_storage_opts *o, const char *device, struct buf *ext_buf,
			  const char **argv, size_t argv_max);
