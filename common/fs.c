/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic writes, bounded reads, mkdir -p, root-confined opens (openat2), one-file-system
 * rm -rf and daemon socket paths (contracts in fs.h). The confinement follows
 * openat2(2): RESOLVE_IN_ROOT does the "..", absolute path and symlink clamping in the
 * kernel, race-free, which userspace path walking cannot. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "fs.h"

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture (asm-generic table) */
#endif

/* musl 1.2.3 has no openat2() wrapper, glibc only from 2.40. */
static int openat2_fd(int dirfd, const char *path, const struct open_how *how)
{
	long fd = syscall(SYS_openat2, dirfd, path, how, sizeof(*how));

	return fd < 0 ? -errno : (int) fd;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* A name nobody else picks: ".#<prefix of name>.<16 hex>". Not secret, only unique,
 * so a clock fallback is good enough when getrandom() is unavailable. */
static void tmp_name(char *out, size_t n, const char *name)
{
	static unsigned counter;
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
		struct timespec ts;

		(void) clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = (uint64_t) ts.tv_nsec ^ (uint64_t) ts.tv_sec << 32 ^
		      (uint64_t) getpid() << 16 ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	}
	/* Keep the result under NAME_MAX (255) however long name is. */
	(void) snprintf(out, n, ".#%.200s.%016llx", name, (unsigned long long) rnd);
}

static int fill_and_sync(int fd, const void *data, size_t len, mode_t mode)
{
	int r = write_all(fd, data, len);

	if (r < 0)
		return r;
	/* Exact bits whatever the umask: these files carry credentials. */
	if (fchmod(fd, mode) < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

/* O_TMPFILE: the data is complete and on disk before the file gets any name at all. */
static int tmp_write_unnamed(int dfd, const char *name, const void *data, size_t len, mode_t mode,
			     char *tmp, size_t tmp_size)
{
	_cleanup_close_ int fd = -EBADF;
	char proc[64];
	int r, i;

	fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 07777);
	if (fd < 0)
		return -EOPNOTSUPP;
	r = fill_and_sync(fd, data, len, mode);
	if (r < 0)
		return r;
	(void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (i = 0; i < 16; i++) {
		tmp_name(tmp, tmp_size, name);
		if (linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		/* No /proc: AT_EMPTY_PATH does the same but needs CAP_DAC_READ_SEARCH. */
		if (linkat(fd, "", dfd, tmp, AT_EMPTY_PATH) == 0)
			return 0;
		return -EOPNOTSUPP;
	}
	return -EEXIST;
}

static int tmp_write_named(int dfd, const char *name, const void *data, size_t len, mode_t mode,
			   char *tmp, size_t tmp_size)
{
	int i, r;

	for (i = 0; i < 16; i++) {
		_cleanup_close_ int fd = -EBADF;

		tmp_name(tmp, tmp_size, name);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode & 07777);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		r = fill_and_sync(fd, data, len, mode);
		if (r < 0) {
			(void) unlinkat(dfd, tmp, 0);
			return r;
		}
		return 0;
	}
	return -EEXIST;
}

/* Splits name at its last '/' and opens the directory part relative to dirfd.
 * *ret_dfd is the descriptor to work in: dirfd itself (maybe AT_FDCWD) when name has no
 * '/', else a new one, also stored in *owned for the caller to close. *ret_base points
 * into name. */
static int open_parent(int dirfd, const char *name, int *owned, int *ret_dfd, const char **ret_base)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash = strrchr(name, '/');

	if (!slash) {
		*ret_dfd = dirfd;
		*ret_base = name;
		return 0;
	}
	dir = slash == name ? strdup("/") : strndup(name, (size_t) (slash - name));
	if (!dir)
		return -ENOMEM;
	*owned = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*owned < 0)
		return -errno;
	*ret_dfd = *owned;
	*ret_base = slash + 1;
	return 0;
}

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int owned = -EBADF;
	const char *base;
	char tmp[256];
	int dfd, r;

	if (isempty(name) || endswith(name, "/"))
		return -EINVAL;
	r = open_parent(dirfd, name, &owned, &dfd, &base);
	if (r < 0)
		return r;

	r = tmp_write_unnamed(dfd, base, data, len, mode, tmp, sizeof(tmp));
	if (r == -EOPNOTSUPP)
		r = tmp_write_named(dfd, base, data, len, mode, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = -errno;
		(void) unlinkat(dfd, tmp, 0);
		return r;
	}
	/* The rename itself is durable only once the directory is. */
	if (dfd == AT_FDCWD) {
		_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (cwd < 0 || fsync(cwd) < 0)
			return -errno;
	} else if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

int fs_read_file(int dirfd, const char *path, struct buf *b)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return buf_read_fd(b, fd);
}

static int mkdir_one(const char *p, mode_t mode, bool last)
{
	struct stat st;

	if (mkdir(p, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(p, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return last ? -EEXIST : -ENOTDIR;
	return 0;
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = NULL;
	size_t n;
	char *s;
	int r;

	if (isempty(path))
		return -EINVAL;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	if (streq(p, "/"))
		return 0;

	for (s = p + 1; (s = strchr(s, '/')); s++) {
		if (s[-1] == '/')
			continue; /* "a//b" */
		*s = 0;
		r = mkdir_one(p, mode, false);
		*s = '/';
		if (r < 0)
			return r;
	}
	return mkdir_one(p, mode, true);
}

int fs_open_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned fs_flags,
		    int *ret_fd)
{
	struct open_how how = {
		.flags = (uint64_t) (unsigned) (flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -EAGAIN, i;

	/* openat2 refuses a mode without O_CREAT/O_TMPFILE, unlike openat. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode & 07777;
	if (fs_flags & FS_NO_SYMLINKS)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	if (fs_flags & FS_NO_XDEV)
		how.resolve |= RESOLVE_NO_XDEV;

	/* RESOLVE_IN_ROOT gives EAGAIN when a rename elsewhere might have let ".." slip out
	 * of the root during the walk; retrying is what the man page asks for. */
	for (i = 0; i < 32 && fd == -EAGAIN; i++)
		fd = openat2_fd(rootfd, path, &how);
	if (fd == -ENOSYS || fd == -E2BIG)
		return -EOPNOTSUPP;
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

/* Opens directory dirfd/name for removal, refusing symlinks and anything on another
 * mount. RESOLVE_NO_XDEV also catches a bind mount of the same file system, which
 * comparing st_dev cannot; st_dev is the fallback for kernels without openat2. */
static int open_dir_same_mount(int dirfd, const char *name, dev_t parent_dev)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH,
	};
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = openat2_fd(dirfd, name, &how);
	if (fd == -ENOSYS) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	if (fd == -EXDEV)
		return -EBUSY;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_dev != parent_dev)
		return -EBUSY;
	return steal_fd(fd);
}

int fs_opendir_dup(int dirfd, DIR **ret)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		(void) close(fd);
		return r;
	}
	/* a duplicate shares the offset of dirfd, wherever an earlier reader left it */
	rewinddir(d);
	*ret = d;
	return 0;
}

static int rm_children(int fd, dev_t dev)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		(void) close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		int child, k;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		child = open_dir_same_mount(dirfd(d), de->d_name, dev);
		if (child < 0) {
			if (child != -ENOENT && r == 0)
				r = child;
			continue;
		}
		k = rm_children(child, dev);
		if (k < 0 && r == 0)
			r = k;
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	if (errno != 0 && r == 0)
		r = -errno;
	(void) closedir(d);
	return r;
}

int fs_rm_rf_at(int dirfd, const char *name)
{
	_cleanup_close_ int owned = -EBADF;
	struct stat parent, st;
	const char *base;
	int pfd, fd, r;

	if (isempty(name))
		return -EINVAL;
	r = open_parent(dirfd, name, &owned, &pfd, &base);
	if (r < 0)
		return r;
	if (isempty(base) || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(pfd, base, 0) < 0 ? -errno : 0;
	if (fstatat(pfd, ".", &parent, 0) < 0)
		return -errno;

	fd = open_dir_same_mount(pfd, base, parent.st_dev);
	if (fd < 0)
		return fd;
	r = rm_children(fd, st.st_dev);
	if (unlinkat(pfd, base, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

int fs_prepare_socket_dir(const char *path, mode_t mode)
{
	_cleanup_free_ char *dir = NULL;
	struct sockaddr_un sa;
	const char *slash;
	char *up;
	int r;

	if (isempty(path) || endswith(path, "/"))
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	slash = strrchr(path, '/');
	if (!slash)
		return -EINVAL;
	if (slash == path)
		return 0; /* "/x.sock": the root exists */
	dir = strndup(path, (size_t) (slash - path));
	if (!dir)
		return -ENOMEM;

	up = strrchr(dir, '/');
	if (up && up != dir) {
		*up = 0;
		r = fs_mkdir_p(dir, 0755);
		*up = '/';
		if (r < 0)
			return r;
	}
	if (mkdir(dir, mode & 07777) == 0) {
		/* Exact bits whatever the umask. */
		if (chmod(dir, mode & 07777) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	return mkdir_one(dir, mode, true);
}

int fs_remove_stale_socket(const char *path)
{
	_cleanup_close_ int fd = -EBADF;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (isempty(path))
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;

	/* A socket file outlives its server. Only one that refuses connections is stale:
	 * removing a live one would silently take a running daemon off the path. */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	switch (errno) {
	case ECONNREFUSED:
		break;
	case ENOENT:
		return 0; /* gone meanwhile */
	case EAGAIN:      /* backlog full: very much alive */
	case EPROTOTYPE:  /* someone listens with another socket type */
		return -EADDRINUSE;
	default:
		return -errno;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
