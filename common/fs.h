/* SPDX-License-Identifier: Apache-2.0 */
/* File system helpers every component needs to get right once: atomic replacement of a
 * file (the image meta store, KBS credentials), bounded reads, mkdir -p, opening a path
 * confined to a root directory with openat2(2) (the layer unpacker, ARCHITECTURE §4),
 * rm -rf that stays on one file system and never follows symlinks, and the socket
 * directory of the daemons (ARCHITECTURE §3: socket 0600, parent 0700).
 * All functions return 0 (or a count) on success and -errno on failure; none logs. */
#pragma once

#include <dirent.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Replaces dirfd/name with exactly len bytes of data, with permission bits mode
 * (applied as given, umask ignored). The bytes go to a temporary file in the same
 * directory (O_TMPFILE, linked under a random name only once complete, or a random
 * O_EXCL name where the file system has no O_TMPFILE), which is fsync()ed, renamed over
 * name, and then the directory is fsync()ed. Readers see the old file or the new one,
 * never a part; on failure the temporary file is removed and name is untouched.
 * name may contain '/': the directory part is resolved relative to dirfd (AT_FDCWD
 * allowed). A final symlink at name is replaced, not followed.
 * Errors: -EINVAL (empty name or a name ending in '/'), -errno from the file system. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* Appends the contents of dirfd/path to b, honouring b->max: -E2BIG when the file is
 * larger than the room left (b then holds a prefix; callers discard it).
 * -EISDIR for a directory, other -errno from open/read. */
int fs_read_file(int dirfd, const char *path, struct buf *b);

/* mkdir -p: creates path and every missing parent with mode (subject to umask, as
 * mkdir(2)). An existing directory is fine; an existing non-directory component gives
 * -ENOTDIR (or -EEXIST for the last one). Symlinks to directories are followed, as
 * mkdir -p does. -EINVAL for an empty path. */
int fs_mkdir_p(const char *path, mode_t mode);

/* Extra resolution flags for fs_open_in_root(). */
enum {
	FS_NO_SYMLINKS = 1 << 0, /* refuse any symlink in the path (RESOLVE_NO_SYMLINKS) */
	FS_NO_XDEV = 1 << 1,     /* refuse to cross a mount point (RESOLVE_NO_XDEV) */
};

/* Opens path as if rootfd were "/": "..", absolute paths and absolute or relative
 * symlinks are all resolved inside the root and can never leave it (openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so /proc/self/fd tricks fail too). flags are
 * open(2) flags (O_CLOEXEC is always added); mode is used only with O_CREAT or
 * O_TMPFILE. fs_flags is 0 or FS_NO_SYMLINKS / FS_NO_XDEV. On success *ret_fd is a new
 * descriptor owned by the caller.
 * Errors: -EOPNOTSUPP when the kernel has no openat2 (before Linux 5.6, or a seccomp
 * filter that returns ENOSYS), -ELOOP for a symlink under FS_NO_SYMLINKS or a magic
 * link, -EXDEV under FS_NO_XDEV, -EAGAIN if a concurrent rename kept racing the lookup,
 * other -errno from the lookup. */
int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned fs_flags,
		    int *ret_fd);

/* A directory stream over a duplicate of dirfd, from the start: the caller keeps dirfd
 * and closes the stream with closedir(). -errno. */
int fs_opendir_dup(int dirfd, DIR **ret);

/* Removes dirfd/name and, if it is a directory, everything below it. Symlinks are
 * removed, never followed; a directory that is a mount point (or a different file
 * system) is left alone together with its contents, so its parent cannot be removed
 * and the result is -EBUSY or -ENOTEMPTY. Keeps going after an error and returns the
 * first one. -ENOENT when name does not exist. Needs one descriptor per directory
 * level. */
int fs_rm_rf_at(int dirfd, const char *name);

/* Makes sure the directory that will hold the UNIX socket path exists: missing parents
 * are created 0755, the socket's own directory with mode (0700 for the daemons).
 * An existing directory is kept as it is. -ENAMETOOLONG when path does not fit
 * sockaddr_un.sun_path, -EINVAL when it has no directory part or ends in '/'. */
int fs_prepare_socket_dir(const char *path, mode_t mode);

/* Removes a leftover socket file at path so that bind() can succeed. Returns 0 when
 * nothing is there or a stale socket was removed; -EADDRINUSE when a live server still
 * accepts connections on it; -EEXIST when path is something other than a socket (never
 * removed). */
int fs_remove_stale_socket(const char *path);
