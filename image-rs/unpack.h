/* SPDX-License-Identifier: Apache-2.0 */
/* The safe tar writer: unpacks a tar stream read by libarchive into a layer directory
 * so that nothing lands outside it, whatever the archive says (ARCHITECTURE §4), with
 * overlayfs whiteouts and opaque markers and the metadata rules of image-rs
 * stream/unpack.rs (upstream.md §6.6). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <archive.h>

#include "common/buf.h"

/* Defaults of struct unpack_limits. */
#define UNPACK_DEFAULT_MAX_ENTRIES (1024u * 1024u) /* entries per layer */
#define UNPACK_DEFAULT_MAX_PATH 4096u              /* bytes of a name or link target */
#define UNPACK_DEFAULT_MAX_BYTES (64ull << 30)     /* file content per layer: 64 GiB */

struct unpack_limits {
	uint64_t max_entries;
	uint64_t max_path;
	uint64_t max_bytes;
};

struct unpack_opts {
	struct unpack_limits limits;
	/* Apply uid/gid from the headers: -1 only when running as root (default), 0 never,
	 * 1 always (failure is an error). */
	int same_owner;
	/* xattrs (and the opaque marker): -1 only when the layer dir accepts
	 * user.overlay.origin, as upstream probes (default); 0 never; 1 always. */
	int xattrs;
	/* Resolve paths by walking components with O_NOFOLLOW (the fallback for kernels
	 * without openat2, which then refuses symlinked parents) even when openat2 works:
	 * for tests. */
	bool force_walk;
};

struct unpack_stats {
	uint64_t entries;
	uint64_t bytes;          /* file content written */
	uint64_t whiteouts;      /* .wh.<name> turned into 0:0 character devices */
	uint64_t opaque;         /* .wh..wh..opq markers applied */
	uint64_t opaque_skipped; /* ... and ignored because xattrs are off (as upstream) */
	bool xattrs;             /* whether xattrs were applied */
};

void unpack_opts_default(struct unpack_opts *o);

/* A libarchive reader for the decompressed layer: tar formats only (ustar, pax, GNU), no
 * filters, concatenated archives read through (tokio-tar's ignore_zeros, as upstream).
 * The caller opens it on its data. -ENOMEM. */
int unpack_archive_new(struct archive **ret);

/* libarchive's read callback type (archive_read_callback). */
typedef la_ssize_t (*unpack_read_fn)(struct archive *a, void *userdata, const void **ret);

/* Opens a on a read callback (archive_read_open() without its unchecked allocation).
 * Opening reads the first block to recognise the format: -EBADMSG when it is not a tar
 * (archive_error_string() says why), -ENOMEM. */
int unpack_archive_open(struct archive *a, void *userdata, unpack_read_fn read);

/* Reads every entry of a (opened by the caller) and writes it below rootfd, a directory
 * opened O_RDONLY|O_DIRECTORY (the layer root, normally an empty staging dir). Rules:
 * - names: a leading '/' is dropped (absolute names land inside the root), "." and empty
 *   components are ignored, a ".." component is refused (-EPERM); every parent is
 *   resolved inside the root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so a
 *   symlink met on the way is followed as if the root were "/"; the last component is
 *   never followed; missing parents are made 0755;
 * - hardlink targets follow the same rules and must exist in this layer (not a dir);
 * - symlink targets are stored verbatim;
 * - ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory; ".wh.<name>" makes
 *   <name> a 0:0 character device with mode 0 (overlayfs whiteouts); neither is unpacked;
 * - the root entry ("", ".", "./") only gives the root its owner, mode and mtime;
 * - owner (see opts), permission bits (after chown, so set-id bits survive), xattrs,
 *   mtime (= atime; directories last, after every entry is written);
 * - an existing entry is replaced, except that a directory over a directory merges.
 * Errors: -EPERM (escape, ".."), -E2BIG (entry count or size cap), -ENAMETOOLONG
 * (path cap), -EBADMSG (malformed or truncated tar, unsupported entry type), -errno
 * from the file system; *err (if non-NULL) then gets a one-line reason naming the
 * entry. stats may be NULL. Whatever was written stays: the caller removes the dir. */
int unpack_archive(struct archive *a, int rootfd, const struct unpack_opts *o,
		   struct unpack_stats *ret_stats, struct buf *err);
