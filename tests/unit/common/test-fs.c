/* SPDX-License-Identifier: Apache-2.0 */
/* common/fs.c on real files in a temporary directory: atomic replacement (also when the
 * write fails half-way), read limits, mkdir -p, openat2 confinement against the escapes
 * a hostile image layer would try, rm -rf across symlinks and mount points, sockets. */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/fs.h"
#include "tests/unit/tests.h"

static char tmpdir[64];
static int tfd = -1;

static void setup(void)
{
	strcpy(tmpdir, "/tmp/test-fs.XXXXXX");
	ASSERT_TRUE(mkdtemp(tmpdir));
	tfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(tfd >= 0);
}

static void teardown(void)
{
	(void) close(tfd);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, tmpdir));
	ASSERT_TRUE(access(tmpdir, F_OK) < 0 && errno == ENOENT);
}

static void put(const char *name, const char *s)
{
	int fd = openat(tfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, s, strlen(s)), (ssize_t) strlen(s));
	(void) close(fd);
}

/* Reads a whole small file into a static buffer, "" with errno set if missing. */
static const char *get(int dirfd, const char *name)
{
	static struct buf b = BUF_INIT(4096);

	buf_reset(&b);
	if (fs_read_file(dirfd, name, &b) < 0)
		return "<missing>";
	return buf_str(&b);
}

static int count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	DIR *d = fdopendir(fd);
	struct dirent *de;

	ASSERT_TRUE(d);
	while ((de = readdir(d)))
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	(void) closedir(d);
	return n;
}

static void test_write_atomic_basic(void)
{
	struct stat st;
	mode_t old;

	setup();
	old = umask(0077);
	ASSERT_OK(fs_write_atomic(tfd, "meta.json", "{\"a\":1}", 7, 0644));
	umask(old);
	ASSERT_STREQ(get(tfd, "meta.json"), "{\"a\":1}");
	ASSERT_OK(fstatat(tfd, "meta.json", &st, 0));
	ASSERT_EQ(st.st_mode & 07777, 0644); /* exact bits despite the umask */

	ASSERT_OK(fs_write_atomic(tfd, "meta.json", "new", 3, 0600));
	ASSERT_STREQ(get(tfd, "meta.json"), "new");
	ASSERT_OK(fstatat(tfd, "meta.json", &st, 0));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	ASSERT_EQ(count_entries(tfd), 1); /* no temporary file left behind */

	/* Empty content and a directory part in the name. */
	ASSERT_OK(mkdirat(tfd, "sub", 0755));
	ASSERT_OK(fs_write_atomic(tfd, "sub/empty", "", 0, 0600));
	ASSERT_OK(fstatat(tfd, "sub/empty", &st, 0));
	ASSERT_EQ(st.st_size, 0);
	ASSERT_ERR(fs_write_atomic(tfd, "nodir/x", "a", 1, 0600), -ENOENT);
	ASSERT_ERR(fs_write_atomic(tfd, "", "a", 1, 0600), -EINVAL);
	ASSERT_ERR(fs_write_atomic(tfd, "sub/", "a", 1, 0600), -EINVAL);
	teardown();
}

static void test_write_atomic_absolute(void)
{
	char path[128];

	setup();
	snprintf(path, sizeof(path), "%s/abs", tmpdir);
	ASSERT_OK(fs_write_atomic(AT_FDCWD, path, "x", 1, 0600));
	ASSERT_STREQ(get(tfd, "abs"), "x");
	ASSERT_OK(chdir(tmpdir));
	ASSERT_OK(fs_write_atomic(AT_FDCWD, "rel", "y", 1, 0600));
	ASSERT_OK(chdir("/"));
	ASSERT_STREQ(get(tfd, "rel"), "y");
	ASSERT_EQ(count_entries(tfd), 2);
	teardown();
}

/* A write that fails half-way (RLIMIT_FSIZE makes write() fail with EFBIG after 4 KiB)
 * must leave the old content in place and no temporary file. */
static void test_write_atomic_failure(void)
{
	static char big[64 * 1024];
	struct rlimit old, lim = { 4096, 4096 };
	void (*oldsig)(int);

	setup();
	memset(big, 'x', sizeof(big));
	put("state", "old content");
	oldsig = signal(SIGXFSZ, SIG_IGN);
	ASSERT_OK(getrlimit(RLIMIT_FSIZE, &old));
	lim.rlim_max = old.rlim_max;
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &lim));
	ASSERT_ERR(fs_write_atomic(tfd, "state", big, sizeof(big), 0600), -EFBIG);
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &old));
	signal(SIGXFSZ, oldsig);
	ASSERT_STREQ(get(tfd, "state"), "old content");
	ASSERT_EQ(count_entries(tfd), 1);

	/* rename() onto a directory fails too: the temporary file must go. */
	ASSERT_OK(mkdirat(tfd, "adir", 0755));
	ASSERT_ERR(fs_write_atomic(tfd, "adir", "z", 1, 0600), -EISDIR);
	ASSERT_EQ(count_entries(tfd), 2);
	teardown();
}

/* A symlink at the target name is replaced, never written through. */
static void test_write_atomic_symlink(void)
{
	struct stat st;

	setup();
	put("victim", "keep");
	ASSERT_OK(symlinkat("victim", tfd, "link"));
	ASSERT_OK(fs_write_atomic(tfd, "link", "new", 3, 0600));
	ASSERT_STREQ(get(tfd, "victim"), "keep");
	ASSERT_OK(fstatat(tfd, "link", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_STREQ(get(tfd, "link"), "new");
	teardown();
}

static void test_read_file_limits(void)
{
	struct buf b = BUF_INIT(100);
	char data[101];

	setup();
	memset(data, 'a', 100);
	data[100] = 0;
	put("hundred", data);
	ASSERT_OK(fs_read_file(tfd, "hundred", &b));
	ASSERT_EQ(b.len, 100);
	buf_done(&b);

	b = BUF_INIT(99);
	ASSERT_ERR(fs_read_file(tfd, "hundred", &b), -E2BIG);
	ASSERT_TRUE(b.len <= 99);
	buf_done(&b);

	/* max counts what is already in the buffer. */
	b = BUF_INIT(150);
	ASSERT_OK(buf_append_str(&b, "0123456789012345678901234567890123456789012345678901"));
	ASSERT_ERR(fs_read_file(tfd, "hundred", &b), -E2BIG);
	buf_done(&b);

	b = BUF_INIT(0);
	put("empty", "");
	ASSERT_OK(fs_read_file(tfd, "empty", &b));
	ASSERT_EQ(b.len, 0);
	ASSERT_STREQ(buf_str(&b), "");
	ASSERT_ERR(fs_read_file(tfd, "missing", &b), -ENOENT);
	ASSERT_ERR(fs_read_file(tfd, ".", &b), -EISDIR);
	buf_done(&b);
	teardown();
}

static void test_mkdir_p(void)
{
	char path[192];
	struct stat st;

	setup();
	snprintf(path, sizeof(path), "%s/a/b//c/", tmpdir);
	ASSERT_OK(fs_mkdir_p(path, 0700));
	ASSERT_OK(fstatat(tfd, "a/b/c", &st, 0));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_OK(fs_mkdir_p(path, 0700)); /* again: nothing to do */
	ASSERT_OK(fs_mkdir_p("/", 0755));

	put("file", "x");
	snprintf(path, sizeof(path), "%s/file/sub", tmpdir);
	ASSERT_ERR(fs_mkdir_p(path, 0700), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	ASSERT_ERR(fs_mkdir_p(path, 0700), -EEXIST);
	ASSERT_ERR(fs_mkdir_p("", 0700), -EINVAL);

	/* A symlink to a directory counts as a directory, as with mkdir -p. */
	ASSERT_OK(symlinkat("a", tfd, "alink"));
	snprintf(path, sizeof(path), "%s/alink/new", tmpdir);
	ASSERT_OK(fs_mkdir_p(path, 0700));
	ASSERT_OK(fstatat(tfd, "a/new", &st, 0));
	teardown();
}

/* The layout a hostile layer could build: every trick must land inside root/. */
static int make_jail(void)
{
	int rfd;

	ASSERT_OK(mkdirat(tfd, "root", 0755));
	ASSERT_OK(mkdirat(tfd, "root/etc", 0755));
	ASSERT_OK(mkdirat(tfd, "root/a", 0755));
	ASSERT_OK(mkdirat(tfd, "root/a/b", 0755));
	put("root/etc/passwd", "inside");
	ASSERT_OK(mkdirat(tfd, "etc", 0755));
	put("etc/passwd", "OUTSIDE");
	put("secret", "OUTSIDE");
	ASSERT_OK(symlinkat("../../../../../..", tfd, "root/a/up"));
	ASSERT_OK(symlinkat("/etc", tfd, "root/abs"));
	ASSERT_OK(symlinkat("../secret", tfd, "root/rel-out"));
	ASSERT_OK(symlinkat("../newfile", tfd, "root/dangling"));
	ASSERT_OK(symlinkat(tmpdir, tfd, "root/tmpdir"));
	rfd = openat(tfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(rfd >= 0);
	return rfd;
}

static const char *get_in_root(int rfd, const char *path, unsigned fs_flags, int *ret_err)
{
	static struct buf b = BUF_INIT(4096);
	int fd = -1, r;

	buf_reset(&b);
	r = fs_open_in_root(rfd, path, O_RDONLY, 0, fs_flags, &fd);
	*ret_err = r;
	if (r < 0)
		return "";
	r = buf_read_fd(&b, fd);
	(void) close(fd);
	ASSERT_OK(r);
	return buf_str(&b);
}

/* openat2 is what confines the walk; without it (valgrind 3.19 does not know the
 * syscall) fs_open_in_root() refuses, and there is nothing to test. */
static bool have_openat2(int dfd)
{
	int fd = -1, r = fs_open_in_root(dfd, ".", O_RDONLY | O_DIRECTORY, 0, 0, &fd);

	if (r == -EOPNOTSUPP)
		return false;
	ASSERT_OK(r);
	(void) close(fd);
	return true;
}

static void test_open_in_root(void)
{
	static const char *const inside[] = {
		"etc/passwd",        "/etc/passwd",          "../../../etc/passwd",
		"/../../etc/passwd", "a/b/../../etc/passwd", "a/b/../../../../etc/passwd",
		"a/up/etc/passwd",   "abs/passwd",           "a/up/abs/passwd",
	};
	int rfd, fd = -1, r;
	size_t i;
	struct stat st;

	setup();
	rfd = make_jail();
	if (!have_openat2(rfd)) {
		(void) close(rfd);
		SKIP("openat2() is not available here");
	}
	for (i = 0; i < ELEMENTSOF(inside); i++) {
		const char *s = get_in_root(rfd, inside[i], 0, &r);

		if (r < 0 || !streq(s, "inside"))
			FAIL_("'%s' -> r=%d '%s'", inside[i], r, s);
	}
	/* "../secret" from root/ is root/secret, which does not exist. */
	(void) get_in_root(rfd, "rel-out", 0, &r);
	ASSERT_ERR(r, -ENOENT);
	(void) get_in_root(rfd, "a/up/secret", 0, &r);
	ASSERT_ERR(r, -ENOENT);
	/* An absolute symlink naming the real tmpdir means root/<tmpdir>: absent. */
	(void) get_in_root(rfd, "tmpdir/secret", 0, &r);
	ASSERT_ERR(r, -ENOENT);

	/* Creating through a dangling symlink creates inside root. */
	ASSERT_OK(fs_open_in_root(rfd, "dangling", O_WRONLY | O_CREAT, 0600, 0, &fd));
	ASSERT_EQ(write(fd, "n", 1), 1);
	(void) close(fd);
	ASSERT_OK(fstatat(tfd, "root/newfile", &st, 0));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	ASSERT_TRUE(fstatat(tfd, "newfile", &st, 0) < 0 && errno == ENOENT);

	/* FS_NO_SYMLINKS refuses any symlink on the way; plain paths still work. */
	(void) get_in_root(rfd, "abs/passwd", FS_NO_SYMLINKS, &r);
	ASSERT_ERR(r, -ELOOP);
	(void) get_in_root(rfd, "a/up/etc/passwd", FS_NO_SYMLINKS, &r);
	ASSERT_ERR(r, -ELOOP);
	ASSERT_STREQ(get_in_root(rfd, "/a/../etc/passwd", FS_NO_SYMLINKS, &r), "inside");
	ASSERT_OK(r);

	/* O_NOFOLLOW on a final symlink. */
	ASSERT_ERR(fs_open_in_root(rfd, "rel-out", O_RDONLY | O_NOFOLLOW, 0, 0, &fd), -ELOOP);
	(void) close(rfd);
	teardown();
}

/* Magic links (/proc/self/fd/N, /proc/self/root) jump anywhere: refused. */
static void test_open_in_root_magic(void)
{
	int rootfd, fd = -1, probe;
	char path[64];

	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(rootfd >= 0);
	if (!have_openat2(rootfd)) {
		(void) close(rootfd);
		SKIP("openat2() is not available here");
	}
	probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(probe >= 0);
	if (access("/proc/self/fd", F_OK) < 0) {
		printf("# /proc not mounted, magic link case skipped\n");
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", probe);
		ASSERT_ERR(fs_open_in_root(rootfd, path, O_RDONLY, 0, 0, &fd), -ELOOP);
		ASSERT_ERR(fs_open_in_root(rootfd, "/proc/self/root/etc", O_RDONLY, 0, 0, &fd),
			   -ELOOP);
		/* /proc is its own mount: FS_NO_XDEV stops there. */
		ASSERT_ERR(fs_open_in_root(rootfd, "/proc/self", O_RDONLY, 0, FS_NO_XDEV, &fd),
			   -EXDEV);
	}
	(void) close(probe);
	(void) close(rootfd);
}

static void test_rm_rf(void)
{
	struct stat st;

	setup();
	ASSERT_OK(mkdirat(tfd, "keep", 0755));
	put("keep/file", "precious");
	put("keepfile", "precious");
	ASSERT_OK(mkdirat(tfd, "t", 0755));
	ASSERT_OK(mkdirat(tfd, "t/d1", 0755));
	ASSERT_OK(mkdirat(tfd, "t/d1/d2", 0755));
	ASSERT_OK(mkdirat(tfd, "t/d1/d3", 0755));
	put("t/d1/d3/f", "x");
	put("t/f", "x");
	ASSERT_OK(symlinkat("../keep", tfd, "t/dirlink"));
	ASSERT_OK(symlinkat("../../keepfile", tfd, "t/d1/filelink"));
	ASSERT_OK(symlinkat("/nonexistent", tfd, "t/dangling"));
	ASSERT_OK(mkfifoat(tfd, "t/fifo", 0600));

	ASSERT_OK(fs_rm_rf_at(tfd, "t"));
	ASSERT_TRUE(fstatat(tfd, "t", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	ASSERT_STREQ(get(tfd, "keep/file"), "precious");
	ASSERT_STREQ(get(tfd, "keepfile"), "precious");
	ASSERT_ERR(fs_rm_rf_at(tfd, "t"), -ENOENT);

	/* A symlink given as the top name is removed, its target kept. */
	ASSERT_OK(symlinkat("keep", tfd, "toplink"));
	ASSERT_OK(fs_rm_rf_at(tfd, "toplink"));
	ASSERT_STREQ(get(tfd, "keep/file"), "precious");
	/* A plain file, and a name with a directory part. */
	ASSERT_OK(fs_rm_rf_at(tfd, "keep/file"));
	ASSERT_ERR(fs_rm_rf_at(tfd, "keep/."), -EINVAL);
	ASSERT_ERR(fs_rm_rf_at(tfd, ""), -EINVAL);
	teardown();
}

/* A mount inside the tree is neither entered nor removed. Needs CAP_SYS_ADMIN in a
 * private mount namespace; elsewhere the case is skipped. */
static void test_rm_rf_mount(void)
{
	char path[128];
	struct stat st;
	int r;

	setup();
	ASSERT_OK(mkdirat(tfd, "t", 0755));
	ASSERT_OK(mkdirat(tfd, "t/mnt", 0755));
	put("t/other", "x");
	snprintf(path, sizeof(path), "%s/t/mnt", tmpdir);
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", path, "tmpfs", 0, "size=64k") < 0) {
		printf("# no mount namespace here (%s), mount case skipped\n", strerror(errno));
		teardown();
		return;
	}
	/* tfd still points into the old namespace, where the mount is not visible. */
	(void) close(tfd);
	tfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(tfd >= 0);
	put("t/mnt/on-tmpfs", "keep");
	r = fs_rm_rf_at(tfd, "t");
	ASSERT_TRUE(r == -EBUSY || r == -ENOTEMPTY);
	ASSERT_STREQ(get(tfd, "t/mnt/on-tmpfs"), "keep");
	ASSERT_TRUE(fstatat(tfd, "t/other", &st, 0) < 0 && errno == ENOENT);
	/* The mount point itself as the top name. */
	ASSERT_ERR(fs_rm_rf_at(tfd, "t/mnt"), -EBUSY);

	/* A bind mount of the same file system has the same st_dev: openat2 still sees it
	 * (without openat2 fs.c falls back to st_dev, which cannot). */
	ASSERT_OK(umount(path));
	if (!have_openat2(tfd)) {
		printf("# openat2() is not available here, bind mount case skipped\n");
		teardown();
		return;
	}
	ASSERT_OK(mkdirat(tfd, "t/src", 0755));
	put("t/src/bound", "keep");
	snprintf(path, sizeof(path), "%s/t/src", tmpdir);
	{
		char dst[128];

		snprintf(dst, sizeof(dst), "%s/t/mnt", tmpdir);
		ASSERT_OK(mount(path, dst, NULL, MS_BIND, NULL));
		ASSERT_ERR(fs_rm_rf_at(tfd, "t/mnt"), -EBUSY);
		ASSERT_STREQ(get(tfd, "t/mnt/bound"), "keep");
		ASSERT_OK(umount(dst));
	}
	teardown();
}

static void test_socket_dir(void)
{
	char path[256];
	struct stat st;
	mode_t old;

	setup();
	old = umask(0);
	snprintf(path, sizeof(path), "%s/run/cc/aa/aa.sock", tmpdir);
	ASSERT_OK(fs_prepare_socket_dir(path, 0700));
	umask(old);
	ASSERT_OK(fstatat(tfd, "run/cc/aa", &st, 0));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	ASSERT_OK(fstatat(tfd, "run/cc", &st, 0));
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_OK(fs_prepare_socket_dir(path, 0700)); /* exists: fine */

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[200] = 0;
	ASSERT_ERR(fs_prepare_socket_dir(path, 0700), -ENAMETOOLONG);
	ASSERT_ERR(fs_prepare_socket_dir("nodir.sock", 0700), -EINVAL);
	ASSERT_OK(fs_prepare_socket_dir("/x.sock", 0700));
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	put("file", "x");
	snprintf(path, sizeof(path), "%s/file/s.sock", tmpdir);
	ASSERT_ERR(fs_prepare_socket_dir(path, 0700), -EEXIST);
	teardown();
}

static int bind_socket(const char *path, bool do_listen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	strcpy(sa.sun_path, path);
	ASSERT_OK(bind(fd, (struct sockaddr *) &sa, sizeof(sa)));
	if (do_listen)
		ASSERT_OK(listen(fd, 4));
	return fd;
}

static void test_stale_socket(void)
{
	char path[128];
	struct stat st;
	int fd;

	setup();
	snprintf(path, sizeof(path), "%s/s.sock", tmpdir);
	ASSERT_OK(fs_remove_stale_socket(path)); /* nothing there */

	put("s.sock", "not a socket");
	ASSERT_ERR(fs_remove_stale_socket(path), -EEXIST);
	ASSERT_STREQ(get(tfd, "s.sock"), "not a socket");
	ASSERT_OK(unlinkat(tfd, "s.sock", 0));

	/* A live server keeps its socket. */
	fd = bind_socket(path, true);
	ASSERT_ERR(fs_remove_stale_socket(path), -EADDRINUSE);
	ASSERT_OK(lstat(path, &st));
	(void) close(fd);

	/* Its server is gone: stale, removed, and bind() works again. */
	ASSERT_OK(fs_remove_stale_socket(path));
	ASSERT_TRUE(lstat(path, &st) < 0 && errno == ENOENT);
	fd = bind_socket(path, false);
	(void) close(fd);
	ASSERT_OK(fs_remove_stale_socket(path));
	ASSERT_TRUE(lstat(path, &st) < 0 && errno == ENOENT);
	teardown();
}

TESTS(test_write_atomic_basic, test_write_atomic_absolute, test_write_atomic_failure,
      test_write_atomic_symlink, test_read_file_limits, test_mkdir_p, test_open_in_root,
      test_open_in_root_magic, test_rm_rf, test_rm_rf_mount, test_socket_dir, test_stale_socket)
