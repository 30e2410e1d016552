/* SPDX-License-Identifier: Apache-2.0 */
/* Safe tar writer (image-rs stream/unpack.rs, upstream.md §6.6). Each entry's parent is
 * resolved inside the layer root with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)
 * through fs_open_in_root(); the entry itself is then made relative to that parent
 * descriptor with *at() calls that never follow its last component. Without openat2 a
 * component walk with O_NOFOLLOW does the resolution and refuses symlinked parents. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "common/fs.h"
#include "common/log.h"
#include "unpack.h"

DEFINE_POINTER_CLEANUP(struct archive *, archive_read_free)

struct dir_time {
	char *path; /* normalised, "" for the root */
	struct timespec mtime;
};

struct unpack {
	int rootfd;
	struct unpack_opts o;
	bool chown, xattrs, walk;
	struct unpack_stats st;
	struct buf *err;
	uint64_t index; /* 1-based number of the current entry, for messages */
	const char *name;
	/* Last parent directory resolved: consecutive entries mostly share one. The path
	 * is forgotten whenever something is removed or a symlink is made, since either can
	 * change what a path resolves to; the descriptor stays open until the next
	 * open_parent(), so the entry being written keeps a valid parent. */
	char *cache_path;
	int cache_fd;
	struct dir_time *dirs;
	size_t n_dirs, cap_dirs;
};

void unpack_opts_default(struct unpack_opts *o)
{
	*o = (struct unpack_opts){
		.limits = { .max_entries = UNPACK_DEFAULT_MAX_ENTRIES,
			    .max_path = UNPACK_DEFAULT_MAX_PATH,
			    .max_bytes = UNPACK_DEFAULT_MAX_BYTES },
		.same_owner = -1,
		.xattrs = -1,
	};
}

DEFINE_POINTER_CLEANUP(struct archive_entry *, archive_entry_free)

int unpack_archive_open(struct archive *a, void *userdata, unpack_read_fn read)
{
	/* archive_read_open() ignores a failed allocation in its set_callback_data() step
	 * and then dereferences NULL (libarchive 3.7.4): do its steps one by one. */
	if (archive_read_set_read_callback(a, read) != ARCHIVE_OK ||
	    archive_read_set_callback_data(a, userdata) != ARCHIVE_OK)
		return -ENOMEM;
	if (archive_read_open1(a) != ARCHIVE_OK)
		return archive_errno(a) == ENOMEM ? -ENOMEM : -EBADMSG;
	return 0;
}

int unpack_archive_new(struct archive **ret)
{
	_cleanup_(archive_read_freep) struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_none(a) != ARCHIVE_OK)
		return -ENOMEM;
	/* tokio-tar's ignore_zeros: zero blocks do not end the archive. */
	if (archive_read_set_format_option(a, "tar", "read_concatenated_archives", "1") !=
	    ARCHIVE_OK)
		return -EIO;
	*ret = steal_ptr(a);
	return 0;
}

static int fail(struct unpack *u, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct unpack *u, int r, const char *fmt, ...)
{
	va_list ap;

	if (u->err && u->err->len == 0) {
		int saved = errno;

		if (u->name)
			(void) buf_appendf(u->err, "entry %" PRIu64 " '%s': ", u->index, u->name);
		errno = -r;
		va_start(ap, fmt);
		(void) buf_vappendf(u->err, fmt, ap);
		va_end(ap);
		errno = saved;
	}
	return r;
}

static int archive_err(struct archive *a)
{
	int e = archive_errno(a);

	/* ARCHIVE_ERRNO_FILE_FORMAT and ARCHIVE_ERRNO_MISC are not file system errors. */
	if (e <= 0 || e == EILSEQ)
		return -EBADMSG;
	return -e;
}

/* Normalises a tar name: leading '/' dropped, "" and "." components skipped, ".."
 * refused. Returns the new string ("" for the root). */
static int normalize(struct unpack *u, const char *in, const char *what, char **ret)
{
	_cleanup_free_ char *out = NULL;
	size_t n = strlen(in), k = 0;
	const char *p = in;

	if (n > u->o.limits.max_path)
		return fail(u, -ENAMETOOLONG, "%s of %zu bytes exceeds the limit of %" PRIu64, what,
			    n, u->o.limits.max_path);
	out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return fail(u, -EPERM, "%s '%s' has a '..' component", what, in);
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (k > 0)
				out[k++] = '/';
			memcpy(out + k, p, len);
			k += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[k] = 0;
	*ret = steal_ptr(out);
	return 0;
}

/* Resolution without openat2: each parent component must be a real directory. path
 * is normalised (no "..", no leading '/'). */
static int walk(int rootfd, const char *path, int flags, int *ret)
{
	_cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *p = path;

	if (cur < 0)
		return -errno;
	for (;;) {
		size_t len = strcspn(p, "/");
		_cleanup_free_ char *comp = strndup(p, len);
		int fd;

		if (!comp)
			return -ENOMEM;
		if (p[len] == 0) {
			/* a symlink here too is refused, followed or not */
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			*ret = fd;
			return 0;
		}
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		closep(&cur);
		cur = fd;
		p += len + 1;
	}
}

/* Opens a normalised path inside the root; the last component is followed (inside the
 * root) only when flags lack O_NOFOLLOW. */
static int resolve(struct unpack *u, const char *path, int flags, int *ret)
{
	int r, fd;

	if (!*path) {
		fd = openat(u->rootfd, ".", flags | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret = fd;
		return 0;
	}
	if (!u->walk) {
		r = fs_open_in_root(u->rootfd, path, flags, 0, 0, ret);
		if (r != -EOPNOTSUPP)
			return r;
		log_debug("unpack: no openat2, walking components instead");
		u->walk = true;
	}
	return walk(u->rootfd, path, flags, ret);
}

static void cache_drop(struct unpack *u)
{
	free(u->cache_path);
	u->cache_path = NULL;
}

/* Opens (as O_PATH) the directory dir inside the root, making missing components 0755.
 * The returned descriptor is borrowed from the cache and valid until the next call. */
static int open_parent(struct unpack *u, const char *dir, int *ret)
{
	_cleanup_close_ int cur = -EBADF;
	_cleanup_free_ char *prefix = NULL;
	const char *p;
	int r;

	if (u->cache_path && streq(u->cache_path, dir)) {
		*ret = u->cache_fd;
		return 0;
	}
	cache_drop(u);
	closep(&u->cache_fd);
	u->cache_fd = -EBADF;
	r = resolve(u, dir, O_PATH | O_DIRECTORY, &cur);
	if (r == -ENOENT) {
		/* Make the missing part one component at a time, each resolved in the root. */
		prefix = strdup(dir);
		if (!prefix)
			return -ENOMEM;
		r = resolve(u, "", O_PATH | O_DIRECTORY, &cur);
		p = dir;
		while (r >= 0 && *p) {
			size_t len = strcspn(p, "/");
			_cleanup_close_ int next = -EBADF;
			char saved = prefix[p - dir + len];

			prefix[p - dir + len] = 0;
			r = resolve(u, prefix, O_PATH | O_DIRECTORY, &next);
			if (r == -ENOENT) {
				const char *comp = prefix + (p - dir);

				if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
					r = -errno;
				else
					r = resolve(u, prefix, O_PATH | O_DIRECTORY, &next);
			}
			prefix[p - dir + len] = saved;
			if (r < 0)
				break;
			closep(&cur);
			cur = steal_fd(next);
			p += len;
			if (*p == '/')
				p++;
		}
	}
	if (r < 0)
		return fail(u, r, "cannot open or create its parent directory '%s': %m", dir);
	u->cache_path = strdup(dir);
	if (!u->cache_path)
		return -ENOMEM;
	u->cache_fd = steal_fd(cur);
	*ret = u->cache_fd;
	return 0;
}

/* Clears the way for a new entry after its creation met EEXIST (creating first saves a
 * stat per entry): an existing directory stays when keep_dir (a directory entry over a
 * directory merges); anything else is removed. Returns 1 when a directory was kept. */
static int clear_target(struct unpack *u, int pfd, const char *base, bool keep_dir)
{
	struct stat st;
	int r;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(u, -errno, "cannot stat the existing entry: %m");
	if (S_ISDIR(st.st_mode) && keep_dir)
		return 1;
	/* The cached parent might live below what goes away. */
	cache_drop(u);
	if (S_ISDIR(st.st_mode))
		r = fs_rm_rf_at(pfd, base);
	else
		r = unlinkat(pfd, base, 0) < 0 ? -errno : 0;
	if (r < 0 && r != -ENOENT)
		return fail(u, r, "cannot replace the existing entry: %m");
	return 0;
}

static int set_owner(struct unpack *u, int fd, struct archive_entry *e)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	if (!u->chown)
		return 0;
	if (uid < 0 || gid < 0 || uid >= UINT32_MAX || gid >= UINT32_MAX)
		return fail(u, -EBADMSG, "owner %lld:%lld out of range", (long long) uid,
			    (long long) gid);
	/* fd may be O_PATH (symlinks, devices): AT_EMPTY_PATH changes that very inode. */
	if (fchownat(fd, "", (uid_t) uid, (gid_t) gid, AT_EMPTY_PATH) < 0)
		return fail(u, -errno, "cannot set owner %lld:%lld: %m", (long long) uid,
			    (long long) gid);
	return 0;
}

/* Sets xattrs through fd (a real descriptor) or, for O_PATH descriptors of symlinks and
 * devices, through the parent's /proc/self/fd entry and the one component name (the
 * last component is not followed by lsetxattr). */
static int set_xattrs(struct unpack *u, struct archive_entry *e, int fd, int pfd, const char *base)
{
	const char *name;
	const void *value;
	size_t size;

	if (!u->xattrs || archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		char path[64];
		int r;

		if (fd >= 0)
			r = fsetxattr(fd, name, value, size, 0);
		else if (strlen(base) > sizeof(path) - 32) {
			_cleanup_free_ char *p = NULL;
			if (asprintf(&p, "/proc/self/fd/%d/%s", pfd, base) < 0)
				return -ENOMEM;
			r = lsetxattr(p, name, value, size, 0);
		} else {
			(void) snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, base);
			r = lsetxattr(path, name, value, size, 0);
		}
		if (r < 0)
			return fail(u, -errno, "cannot set xattr '%s': %m", name);
	}
	return 0;
}

static struct timespec entry_mtime(struct archive_entry *e)
{
	return (struct timespec){ .tv_sec = archive_entry_mtime(e),
				  .tv_nsec = archive_entry_mtime_nsec(e) };
}

static int defer_dir_time(struct unpack *u, const char *path, struct archive_entry *e)
{
	if (!archive_entry_mtime_is_set(e))
		return 0;
	if (u->n_dirs == u->cap_dirs) {
		size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 64;
		struct dir_time *d = reallocarray(u->dirs, cap, sizeof(*d));

		if (!d)
			return -ENOMEM;
		u->dirs = d;
		u->cap_dirs = cap;
	}
	u->dirs[u->n_dirs].path = strdup(path);
	if (!u->dirs[u->n_dirs].path)
		return -ENOMEM;
	u->dirs[u->n_dirs++].mtime = entry_mtime(e);
	return 0;
}

static int copy_data(struct unpack *u, struct archive *a, struct archive_entry *e, int fd)
{
	la_int64_t size = archive_entry_size(e);
	uint64_t end = 0;

	if (size < 0)
		return fail(u, -EBADMSG, "negative size");
	if ((uint64_t) size > u->o.limits.max_bytes - MIN(u->st.bytes, u->o.limits.max_bytes))
		return fail(u, -E2BIG, "layer content exceeds the limit of %" PRIu64 " bytes",
			    u->o.limits.max_bytes);
	for (;;) {
		const void *p;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &p, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return fail(u, archive_err(a), "cannot read its data: %s",
				    archive_error_string(a) ?: "unknown error");
		if (off < 0 || (uint64_t) off + n > (uint64_t) size)
			return fail(u, -EBADMSG, "data block beyond the entry's size");
		while (n > 0) {
			ssize_t k = pwrite(fd, p, n, off);

			if (k < 0) {
				if (errno == EINTR)
					continue;
				return fail(u, -errno, "cannot write: %m");
			}
			p = (const uint8_t *) p + k;
			n -= (size_t) k;
			off += k;
		}
		end = MAX(end, (uint64_t) off);
	}
	/* Sparse files end in a hole that no data block covers. */
	if (end < (uint64_t) size && ftruncate(fd, size) < 0)
		return fail(u, -errno, "cannot set its size: %m");
	u->st.bytes += (uint64_t) size;
	return 0;
}

static int whiteout(struct unpack *u, const char *dir, const char *base)
{
	const char *name = base + strlen(".wh.");
	int pfd, r;

	if (streq(base, ".wh..wh..opq")) {
		_cleanup_close_ int fd = -EBADF;

		if (!u->xattrs) {
			log_debug("unpack: xattrs off, opaque marker for '%s' ignored", dir);
			u->st.opaque_skipped++;
			return 0;
		}
		r = open_parent(u, dir, &pfd);
		if (r < 0)
			return r;
		fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return fail(u, -errno, "cannot open its directory: %m");
		if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return fail(u, -errno, "cannot mark '%s' opaque: %m", dir);
		u->st.opaque++;
		return 0;
	}
	if (!*name || streq(name, ".") || streq(name, ".."))
		return fail(u, -EBADMSG, "whiteout without a name");
	r = open_parent(u, dir, &pfd);
	if (r < 0)
		return r;
	r = mknodat(pfd, name, S_IFCHR | 0000, makedev(0, 0)) < 0 ? -errno : 0;
	if (r == -EEXIST) {
		r = clear_target(u, pfd, name, false);
		if (r < 0)
			return r;
		r = mknodat(pfd, name, S_IFCHR | 0000, makedev(0, 0)) < 0 ? -errno : 0;
	}
	if (r < 0)
		return fail(u, r, "cannot create the whiteout device: %m");
	u->st.whiteouts++;
	return 0;
}

static int root_entry(struct unpack *u, struct archive_entry *e)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (archive_entry_filetype(e) != AE_IFDIR)
		return fail(u, -EBADMSG, "the root entry is not a directory");
	fd = openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = set_owner(u, fd, e);
	if (r < 0)
		return r;
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return fail(u, -errno, "cannot set mode: %m");
	r = set_xattrs(u, e, fd, -1, NULL);
	if (r < 0)
		return r;
	return defer_dir_time(u, "", e);
}

static int hardlink(struct unpack *u, struct archive_entry *e, const char *target, int pfd,
		    const char *base)
{
	_cleanup_free_ char *t = NULL;
	_cleanup_close_ int tfd = -EBADF;
	struct stat st;
	char proc[64];
	int r;

	r = normalize(u, target, "hardlink target", &t);
	if (r < 0)
		return r;
	if (!*t)
		return fail(u, -EPERM, "hardlink to the layer root");
	r = resolve(u, t, O_PATH | O_NOFOLLOW, &tfd);
	if (r < 0)
		return fail(u, r, "hardlink target '%s' not in this layer: %m", t);
	if (fstat(tfd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return fail(u, -EPERM, "hardlink to directory '%s'", t);
	(void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
	for (int attempt = 0;; attempt++) {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link does not. */
		r = linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0 ? -errno : 0;
		if (r < 0 && r != -EEXIST)
			r = linkat(AT_FDCWD, proc, pfd, base, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
		if (r != -EEXIST || attempt > 0)
			break;
		r = clear_target(u, pfd, base, false);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return fail(u, r, "cannot link to '%s': %m", t);
	/* Owner and mtime from the header, as upstream; the mode is the target's. */
	r = set_owner(u, tfd, e);
	if (r < 0)
		return r;
	if (archive_entry_mtime_is_set(e)) {
		struct timespec ts[2] = { entry_mtime(e), entry_mtime(e) };
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return fail(u, -errno, "cannot set times: %m");
	}
	return 0;
}

static int make_node(int pfd, const char *base, mode_t type, dev_t rdev)
{
	return mknodat(pfd, base, type | 0600, type == AE_IFIFO ? 0 : rdev) < 0 ? -errno : 0;
}

static int unpack_one(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *raw, *target, *base;
	mode_t type = archive_entry_filetype(e), perm = archive_entry_perm(e) & 07777;
	char *slash;
	int pfd, r;

	raw = archive_entry_pathname(e);
	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	if (!raw)
		return fail(u, -EBADMSG, "entry without a usable name");
	u->name = raw;
	r = normalize(u, raw, "name", &path);
	if (r < 0)
		return r;
	if (!*path)
		return root_entry(u, e);

	slash = strrchr(path, '/');
	if (slash) {
		*slash = 0;
		base = slash + 1;
	} else
		base = path;
	const char *dir = slash ? path : "";

	if (startswith(base, ".wh."))
		return whiteout(u, dir, base);

	r = open_parent(u, dir, &pfd);
	if (r < 0)
		return r;

	target = archive_entry_hardlink(e);
	if (!target)
		target = archive_entry_hardlink_utf8(e);
	if (target)
		return hardlink(u, e, target, pfd, base);

	switch (type) {
	case AE_IFREG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			r = clear_target(u, pfd, base, false);
			if (r < 0)
				return r;
			fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    0600);
		}
		if (fd < 0)
			return fail(u, -errno, "cannot create: %m");
		r = copy_data(u, a, e, fd);
		break;
	case AE_IFDIR:
		r = mkdirat(pfd, base, 0700) < 0 ? -errno : 0;
		if (r == -EEXIST) {
			r = clear_target(u, pfd, base, true);
			if (r == 0)
				r = mkdirat(pfd, base, 0700) < 0 ? -errno : 0;
			else if (r > 0)
				r = 0;
		}
		if (r < 0)
			return fail(u, r, "cannot create directory: %m");
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return fail(u, -errno, "cannot open directory: %m");
		break;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		if (!target)
			target = archive_entry_symlink_utf8(e);
		if (!target || !*target)
			return fail(u, -EBADMSG, "symlink without a target");
		if (strlen(target) > u->o.limits.max_path)
			return fail(u, -ENAMETOOLONG, "symlink target exceeds %" PRIu64 " bytes",
				    u->o.limits.max_path);
		cache_drop(u);
		r = symlinkat(target, pfd, base) < 0 ? -errno : 0;
		if (r == -EEXIST) {
			r = clear_target(u, pfd, base, false);
			if (r < 0)
				return r;
			r = symlinkat(target, pfd, base) < 0 ? -errno : 0;
		}
		if (r < 0)
			return fail(u, r, "cannot create symlink: %m");
		fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		r = make_node(pfd, base, type, archive_entry_rdev(e));
		if (r == -EEXIST) {
			r = clear_target(u, pfd, base, false);
			if (r < 0)
				return r;
			r = make_node(pfd, base, type, archive_entry_rdev(e));
		}
		if (r < 0)
			return fail(u, r, "cannot create %s: %m",
				    type == AE_IFIFO ? "fifo" : "device node");
		fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		break;
	default:
		return fail(u, -EBADMSG, "unsupported entry type 0%o", (unsigned) type);
	}
	if (r < 0)
		return r;
	if (fd < 0)
		return fail(u, -errno, "cannot reopen: %m");

	r = set_owner(u, fd, e);
	if (r < 0)
		return r;
	if (type == AE_IFREG || type == AE_IFDIR) {
		if (fchmod(fd, perm) < 0)
			return fail(u, -errno, "cannot set mode: %m");
		r = set_xattrs(u, e, fd, -1, NULL);
	} else {
		/* O_PATH descriptor: chmod by name in the parent (not a symlink: we made it). */
		if (type != AE_IFLNK && fchmodat(pfd, base, perm, 0) < 0)
			return fail(u, -errno, "cannot set mode: %m");
		r = set_xattrs(u, e, -1, pfd, base);
	}
	if (r < 0)
		return r;
	if (type == AE_IFDIR) {
		if (*dir) {
			_cleanup_free_ char *full = NULL;
			if (asprintf(&full, "%s/%s", dir, base) < 0)
				return -ENOMEM;
			return defer_dir_time(u, full, e);
		}
		return defer_dir_time(u, base, e);
	}
	if (archive_entry_mtime_is_set(e)) {
		struct timespec ts[2] = { entry_mtime(e), entry_mtime(e) };
		if (type == AE_IFREG ? futimens(fd, ts) < 0
				     : utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return fail(u, -errno, "cannot set times: %m");
	}
	return 0;
}

static bool probe_xattrs(int rootfd)
{
	_cleanup_close_ int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsetxattr(fd, "user.overlay.origin", "", 0, 0) < 0)
		return false;
	(void) fremovexattr(fd, "user.overlay.origin");
	return true;
}

static int apply_dir_times(struct unpack *u)
{
	u->name = NULL;
	for (size_t i = u->n_dirs; i > 0; i--) {
		struct dir_time *d = &u->dirs[i - 1];
		_cleanup_close_ int fd = -EBADF;
		struct timespec ts[2] = { d->mtime, d->mtime };
		int r = resolve(u, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, &fd);

		/* A later entry may have replaced or whited out the directory. */
		if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
			continue;
		if (r < 0)
			return fail(u, r, "cannot reopen directory '%s': %m", d->path);
		if (futimens(fd, ts) < 0)
			return fail(u, -errno, "cannot set times of '%s': %m", d->path);
	}
	return 0;
}

static void unpack_done(struct unpack *u)
{
	cache_drop(u);
	closep(&u->cache_fd);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
}

int unpack_archive(struct archive *a, int rootfd, const struct unpack_opts *o,
		   struct unpack_stats *ret_stats, struct buf *err)
{
	_cleanup_(unpack_done) struct unpack u = {
		.rootfd = rootfd,
		.o = *o,
		.err = err,
		.cache_fd = -EBADF,
		.walk = o->force_walk,
	};
	int r;

	/* Our own entry: archive_read_new() does not check the one it allocates. */
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();

	if (!e)
		return -ENOMEM;
	u.chown = o->same_owner > 0 || (o->same_owner < 0 && geteuid() == 0);
	u.xattrs = o->xattrs > 0 || (o->xattrs < 0 && probe_xattrs(rootfd));
	u.st.xattrs = u.xattrs;
	for (;;) {
		u.name = NULL;
		r = archive_read_next_header2(a, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return fail(&u, archive_err(a),
				    "cannot read the header of entry %" PRIu64 ": %s", u.index + 1,
				    archive_error_string(a) ?: "unknown error");
		if (r == ARCHIVE_WARN)
			log_debug("unpack: libarchive: %s", archive_error_string(a) ?: "warning");
		u.index++;
		if (u.index > u.o.limits.max_entries)
			return fail(&u, -E2BIG, "more than %" PRIu64 " entries",
				    u.o.limits.max_entries);
		r = unpack_one(&u, a, e);
		if (r < 0)
			return r;
		u.st.entries++;
	}
	r = apply_dir_times(&u);
	if (r < 0)
		return r;
	if (ret_stats)
		*ret_stats = u.st;
	return 0;
}
