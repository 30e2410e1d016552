/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/unpack.c: the safe writer's rules on archives built header by header:
 * metadata, containment (.., absolute names, symlinked parents, hardlinks, symlink then
 * file), whiteouts and opaque dirs, limits, truncation, replacement, the walk fallback. */
#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "common/fs.h"
#include "image-rs/unpack.h"
#include "tar-build.h"
#include "tests/unit/tests.h"

struct fx {
	char top[64];
	char root[96];
	int rootfd;
	struct unpack_opts o;
	struct buf tar;
	struct buf err;
	struct unpack_stats st;
	bool fed;
};

static void fx_init(struct fx *f)
{
	char p[128];
	int fd;

	memset(f, 0, sizeof(*f));
	strcpy(f->top, "/tmp/cocobox-unpack-XXXXXX");
	ASSERT_TRUE(mkdtemp(f->top));
	(void) snprintf(f->root, sizeof(f->root), "%s/root", f->top);
	ASSERT_OK(mkdir(f->root, 0755));
	(void) snprintf(p, sizeof(p), "%s/outside", f->top);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, "secret", 6), 6);
	close(fd);
	(void) snprintf(p, sizeof(p), "%s/outdir", f->top);
	ASSERT_OK(mkdir(p, 0755));
	f->rootfd = open(f->root, O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(f->rootfd >= 0);
	unpack_opts_default(&f->o);
	f->tar = BUF_INIT(BUF_UNLIMITED);
	f->err = BUF_INIT(4096);
}

static int count_entries(const char *top, const char *sub)
{
	char p[160];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void) snprintf(p, sizeof(p), "%s/%s", top, sub);
	d = opendir(p);
	ASSERT_TRUE(d);
	while ((de = readdir(d)))
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	closedir(d);
	return n;
}

/* Nothing outside the root changed: the top dir holds root, outside, outdir only. */
static void fx_check_outside(struct fx *f)
{
	char p[128], b[16] = {};
	struct stat st;
	int fd;

	(void) snprintf(p, sizeof(p), "%s/outside", f->top);
	fd = open(p, O_RDONLY | O_NOFOLLOW);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(read(fd, b, sizeof(b)), 6);
	ASSERT_STREQ(b, "secret");
	ASSERT_OK(fstat(fd, &st));
	ASSERT_EQ(st.st_nlink, 1);
	close(fd);
	ASSERT_EQ(count_entries(f->top, "outdir"), 0);
	ASSERT_EQ(count_entries(f->top, "."), 3); /* root, outside, outdir */
}

static void fx_done(struct fx *f)
{
	close(f->rootfd);
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, f->top));
	buf_done(&f->tar);
	buf_done(&f->err);
}

static la_ssize_t mem_read(struct archive *a, void *userdata, const void **ret)
{
	struct fx *f = userdata;

	(void) a;
	if (f->fed)
		return 0;
	f->fed = true;
	*ret = f->tar.data;
	return (la_ssize_t) f->tar.len;
}

static int run(struct fx *f)
{
	struct archive *a;
	int r;

	buf_reset(&f->err);
	ASSERT_OK(unpack_archive_new(&a));
	/* opening already reads the first header block (as layer.c sees too) */
	f->fed = false;
	r = unpack_archive_open(a, f, mem_read);
	if (r >= 0)
		r = unpack_archive(a, f->rootfd, &f->o, &f->st, &f->err);
	archive_read_free(a);
	return r;
}

static void add(struct fx *f, struct tar_ent e)
{
	tar_add(&f->tar, &e);
}

static void stat_in(struct fx *f, const char *path, struct stat *st)
{
	ASSERT_OK(fstatat(f->rootfd, path, st, AT_SYMLINK_NOFOLLOW));
}

static bool exists_in(struct fx *f, const char *path)
{
	struct stat st;
	return fstatat(f->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void read_in(struct fx *f, const char *path, const char *want)
{
	char b[256] = {};
	int fd = openat(f->rootfd, path, O_RDONLY | O_NOFOLLOW);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(read(fd, b, sizeof(b) - 1), (ssize_t) strlen(want));
	ASSERT_STREQ(b, want);
	close(fd);
}

static void test_basic(void)
{
	struct fx f;
	struct stat st, st2;
	char l[64] = {};
	bool root = geteuid() == 0;

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "a/", .type = '5', .mode = 0750, .mtime = 1000 });
	add(&f, (struct tar_ent){ .name = "a/f",
				  .type = '0',
				  .mode = 0640,
				  .data = "hello",
				  .uid = 1234,
				  .gid = 5678,
				  .mtime = 2000 });
	add(&f, (struct tar_ent){ .name = "a/s", .type = '2', .link = "../x/y", .mtime = 3000 });
	add(&f, (struct tar_ent){ .name = "a/h",
				  .type = '1',
				  .link = "a/f",
				  .uid = 1234,
				  .gid = 5678,
				  .mtime = 2000 });
	add(&f, (struct tar_ent){ .name = "p", .type = '6', .mode = 0600 });
	add(&f,
	    (struct tar_ent){ .name = "suid", .type = '0', .mode = 04755, .data = "x", .uid = 1 });
	add(&f, (struct tar_ent){ .name = "b/c/deep", .type = '0', .data = "deep" });
	if (root)
		add(&f, (struct tar_ent){
			    .name = "null", .type = '3', .mode = 0666, .major = 1, .minor = 3 });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	ASSERT_EQ(f.st.entries, root ? 8 : 7);

	stat_in(&f, "a", &st);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0750);
	ASSERT_EQ(st.st_mtim.tv_sec, 1000); /* applied after its children were made */
	stat_in(&f, "a/f", &st);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	ASSERT_EQ(st.st_mtim.tv_sec, 2000);
	ASSERT_EQ(st.st_nlink, 2);
	if (root) {
		ASSERT_EQ(st.st_uid, 1234);
		ASSERT_EQ(st.st_gid, 5678);
	}
	read_in(&f, "a/f", "hello");
	stat_in(&f, "a/h", &st2);
	ASSERT_EQ(st.st_ino, st2.st_ino);
	ASSERT_EQ(readlinkat(f.rootfd, "a/s", l, sizeof(l)), 6);
	ASSERT_STREQ(l, "../x/y");
	stat_in(&f, "a/s", &st);
	ASSERT_EQ(st.st_mtim.tv_sec, 3000);
	stat_in(&f, "p", &st);
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0600);
	stat_in(&f, "suid", &st);
	ASSERT_EQ(st.st_mode & 07777, 04755);
	stat_in(&f, "b/c", &st);
	ASSERT_EQ(st.st_mode & 07777, 0755);
	read_in(&f, "b/c/deep", "deep");
	if (root) {
		stat_in(&f, "null", &st);
		ASSERT_TRUE(S_ISCHR(st.st_mode));
		ASSERT_EQ(st.st_rdev, makedev(1, 3));
		ASSERT_EQ(st.st_mode & 07777, 0666);
	}
	fx_check_outside(&f);
	fx_done(&f);
}

static void test_root_entry(void)
{
	struct fx f;
	struct stat st;

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "./", .type = '5', .mode = 0711, .mtime = 3000 });
	add(&f, (struct tar_ent){ .name = "./x", .type = '0', .data = "x" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	ASSERT_OK(fstat(f.rootfd, &st));
	ASSERT_EQ(st.st_mode & 07777, 0711);
	ASSERT_EQ(st.st_mtim.tv_sec, 3000);
	fx_done(&f);
}

static void test_dotdot(void)
{
	static const char *const names[] = { "../escape", "a/../../escape", "a/b/../../../escape",
					     ".." };
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		struct fx f;

		fx_init(&f);
		add(&f, (struct tar_ent){ .name = names[i], .type = '0', .data = "x" });
		tar_end(&f.tar);
		ASSERT_ERR(run(&f), -EPERM);
		ASSERT_TRUE(strstr(buf_str(&f.err), "'..'"));
		ASSERT_TRUE(strstr(buf_str(&f.err), "entry 1"));
		fx_check_outside(&f);
		fx_done(&f);
	}
}

static void test_absolute(void)
{
	struct fx f;
	char name[128];

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "/etc/x", .type = '0', .data = "abs" });
	(void) snprintf(name, sizeof(name), "%s/outside", f.top);
	add(&f, (struct tar_ent){ .name = name, .type = '0', .data = "pwned" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	read_in(&f, "etc/x", "abs");
	read_in(&f, name + 1, "pwned"); /* the absolute path, re-rooted */
	fx_check_outside(&f);
	fx_done(&f);
}

static void symlink_parent(bool walk)
{
	static const char *const targets[] = { "/", "../../..", "../../outdir" };

	for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
		struct fx f;
		int r;

		fx_init(&f);
		f.o.force_walk = walk;
		add(&f, (struct tar_ent){ .name = "l", .type = '2', .link = targets[i] });
		add(&f, (struct tar_ent){ .name = "l/escaped", .type = '0', .data = "x" });
		tar_end(&f.tar);
		r = run(&f);
		if (walk) {
			/* without openat2 a symlinked parent is refused */
			ASSERT_TRUE(r == -ENOTDIR || r == -ELOOP);
			ASSERT_TRUE(strstr(buf_str(&f.err), "entry 2 'l/escaped'"));
		} else if (i < 2) {
			/* resolved as if the root were "/": contained */
			ASSERT_OK(r);
			read_in(&f, "escaped", "x");
		} else {
			/* the symlink points at "/outdir" inside the root, which is not there */
			ASSERT_ERR(r, -ENOENT);
			ASSERT_TRUE(strstr(buf_str(&f.err), "entry 2 'l/escaped'"));
		}
		fx_check_outside(&f);
		fx_done(&f);
	}
}

static void test_symlink_parent(void)
{
	symlink_parent(false);
}

static void test_symlink_parent_walk(void)
{
	symlink_parent(true);
}

static void test_symlink_then_file(void)
{
	struct fx f;
	char target[128];
	struct stat st;

	fx_init(&f);
	(void) snprintf(target, sizeof(target), "%s/outside", f.top);
	add(&f, (struct tar_ent){ .name = "s", .type = '2', .link = target });
	add(&f, (struct tar_ent){ .name = "s", .type = '0', .data = "pwned" });
	add(&f, (struct tar_ent){ .name = "d", .type = '2', .link = "/" });
	add(&f, (struct tar_ent){ .name = "d", .type = '5' });
	add(&f, (struct tar_ent){ .name = "d/in", .type = '0', .data = "in" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	stat_in(&f, "s", &st);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	read_in(&f, "s", "pwned");
	stat_in(&f, "d", &st);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	read_in(&f, "d/in", "in");
	fx_check_outside(&f);
	fx_done(&f);
}

static void test_hardlink_escape(void)
{
	struct {
		const char *link;
		int err;
	} cases[] = {
		{ "../outside", -EPERM },
		{ "a/../../outside", -EPERM },
		{ "/etc/passwd", -ENOENT }, /* re-rooted: not in this layer */
		{ "l/outside", -ENOENT },   /* l -> ".." resolves to the root itself */
		{ "", -EPERM },             /* the root */
		{ "dir", -EPERM },          /* a directory */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct fx f;

		fx_init(&f);
		add(&f, (struct tar_ent){ .name = "l", .type = '2', .link = ".." });
		add(&f, (struct tar_ent){ .name = "dir", .type = '5' });
		add(&f, (struct tar_ent){ .name = "h", .type = '1', .link = cases[i].link });
		tar_end(&f.tar);
		ASSERT_ERR(run(&f), cases[i].err);
		ASSERT_TRUE(strstr(buf_str(&f.err), "entry 3 'h'"));
		fx_check_outside(&f);
		fx_done(&f);
	}

	/* a hardlink to a symlink that points outside links the symlink, not its target */
	struct fx f;
	char target[128];
	struct stat st;

	fx_init(&f);
	(void) snprintf(target, sizeof(target), "%s/outside", f.top);
	add(&f, (struct tar_ent){ .name = "s", .type = '2', .link = target });
	add(&f, (struct tar_ent){ .name = "h", .type = '1', .link = "s" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	stat_in(&f, "h", &st);
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	fx_check_outside(&f);
	fx_done(&f);
}

static bool xattrs_work(struct fx *f, const char *name)
{
	return fsetxattr(f->rootfd, name, "y", 1, 0) == 0 && fremovexattr(f->rootfd, name) == 0;
}

static void test_whiteouts(void)
{
	struct fx f;
	struct stat st;
	char v[8] = {};

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "d/", .type = '5' });
	add(&f, (struct tar_ent){ .name = "d/keep", .type = '0', .data = "k" });
	add(&f, (struct tar_ent){ .name = "d/gone", .type = '0', .data = "g" });
	add(&f, (struct tar_ent){ .name = "d/.wh.gone", .type = '0' });
	add(&f, (struct tar_ent){ .name = "new/.wh.x", .type = '0' });
	add(&f, (struct tar_ent){ .name = "o/.wh..wh..opq", .type = '0' });
	tar_end(&f.tar);
	f.o.xattrs = 0;
	ASSERT_OK(run(&f));
	stat_in(&f, "d/gone", &st);
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(st.st_rdev, makedev(0, 0));
	ASSERT_EQ(st.st_mode & 07777, 0);
	stat_in(&f, "new/x", &st);
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	stat_in(&f, "new", &st);
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_TRUE(!exists_in(&f, "d/.wh.gone"));
	ASSERT_TRUE(!exists_in(&f, "o/.wh..wh..opq"));
	ASSERT_EQ(f.st.whiteouts, 2);
	ASSERT_EQ(f.st.opaque_skipped, 1);
	read_in(&f, "d/keep", "k");
	fx_done(&f);

	fx_init(&f);
	if (!xattrs_work(&f, "trusted.overlay.test")) {
		fx_done(&f);
		SKIP("no trusted.* xattrs here");
	}
	add(&f, (struct tar_ent){ .name = "o/", .type = '5' });
	add(&f, (struct tar_ent){ .name = "o/.wh..wh..opq", .type = '0' });
	add(&f, (struct tar_ent){ .name = "p/q/.wh..wh..opq", .type = '0' });
	tar_end(&f.tar);
	f.o.xattrs = 1;
	ASSERT_OK(run(&f));
	ASSERT_EQ(f.st.opaque, 2);
	{
		int fd = openat(f.rootfd, "o", O_RDONLY | O_DIRECTORY);
		ASSERT_EQ(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), 1);
		ASSERT_EQ(v[0], 'y');
		close(fd);
		fd = openat(f.rootfd, "p/q", O_RDONLY | O_DIRECTORY);
		ASSERT_EQ(fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)), 1);
		close(fd);
	}
	fx_done(&f);
}

static void test_bad_whiteout(void)
{
	struct fx f;

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "d/.wh.", .type = '0' });
	tar_end(&f.tar);
	ASSERT_ERR(run(&f), -EBADMSG);
	ASSERT_TRUE(strstr(buf_str(&f.err), "whiteout"));
	fx_done(&f);
}

static void test_xattrs(void)
{
	struct fx f;
	char v[16] = {};
	int fd;

	fx_init(&f);
	if (!xattrs_work(&f, "user.cocobox")) {
		fx_done(&f);
		SKIP("no user.* xattrs here");
	}
	add(&f, (struct tar_ent){
		    .name = "f", .type = '0', .data = "x", .pax = "SCHILY.xattr.user.test=value" });
	add(&f, (struct tar_ent){ .name = "d", .type = '5', .pax = "SCHILY.xattr.user.dir=1" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	ASSERT_TRUE(f.st.xattrs);
	fd = openat(f.rootfd, "f", O_RDONLY);
	ASSERT_EQ(fgetxattr(fd, "user.test", v, sizeof(v)), 5);
	ASSERT_STREQ(v, "value");
	close(fd);
	fd = openat(f.rootfd, "d", O_RDONLY);
	ASSERT_EQ(fgetxattr(fd, "user.dir", v, sizeof(v)), 1);
	close(fd);
	/* probing: xattrs off means none are written */
	fx_done(&f);
	fx_init(&f);
	f.o.xattrs = 0;
	add(&f, (struct tar_ent){
		    .name = "f", .type = '0', .data = "x", .pax = "SCHILY.xattr.user.test=value" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	fd = openat(f.rootfd, "f", O_RDONLY);
	ASSERT_TRUE(fgetxattr(fd, "user.test", v, sizeof(v)) < 0);
	close(fd);
	fx_done(&f);
}

static void test_limits(void)
{
	struct fx f;
	char longname[300];

	fx_init(&f);
	for (int i = 0; i < 4; i++) {
		char n[8];
		(void) snprintf(n, sizeof(n), "f%d", i);
		add(&f, (struct tar_ent){ .name = n, .type = '0', .data = "x" });
	}
	tar_end(&f.tar);
	f.o.limits.max_entries = 3;
	ASSERT_ERR(run(&f), -E2BIG);
	ASSERT_TRUE(strstr(buf_str(&f.err), "more than 3 entries"));
	f.o.limits.max_entries = 4;
	ASSERT_OK(run(&f));
	fx_done(&f);

	fx_init(&f);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	add(&f, (struct tar_ent){ .name = longname, .type = '0', .data = "x" });
	tar_end(&f.tar);
	f.o.limits.max_path = 200;
	ASSERT_ERR(run(&f), -ENAMETOOLONG);
	fx_done(&f);

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "s", .type = '2', .link = longname });
	tar_end(&f.tar);
	f.o.limits.max_path = 200;
	ASSERT_ERR(run(&f), -ENAMETOOLONG);
	fx_done(&f);

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "a", .type = '0', .data = "1234" });
	add(&f, (struct tar_ent){ .name = "b", .type = '0', .data = "5" });
	tar_end(&f.tar);
	f.o.limits.max_bytes = 4;
	ASSERT_ERR(run(&f), -E2BIG);
	ASSERT_TRUE(strstr(buf_str(&f.err), "entry 2 'b'"));
	f.o.limits.max_bytes = 5;
	ASSERT_OK(run(&f));
	fx_done(&f);
}

static void test_truncated(void)
{
	struct fx f;
	size_t full;

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "a", .type = '0', .data = "some file content" });
	add(&f, (struct tar_ent){ .name = "b", .type = '0', .data = "more" });
	full = f.tar.len;
	/* inside b's data, inside b's header */
	buf_truncate(&f.tar, full - 512 + 2);
	ASSERT_ERR(run(&f), -EBADMSG);
	buf_truncate(&f.tar, full - 1024 + 100);
	ASSERT_ERR(run(&f), -EBADMSG);
	ASSERT_TRUE(strstr(buf_str(&f.err), "cannot read the header of entry 2"));
	/* a bad checksum */
	buf_truncate(&f.tar, 0);
	add(&f, (struct tar_ent){ .name = "a", .type = '0', .data = "x" });
	f.tar.data[148] = '9';
	ASSERT_ERR(run(&f), -EBADMSG);
	fx_done(&f);
}

static void test_replace(void)
{
	struct fx f;
	struct stat st;

	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "a", .type = '0', .data = "file" });
	add(&f, (struct tar_ent){ .name = "a", .type = '5' });
	add(&f, (struct tar_ent){ .name = "a/x", .type = '0', .data = "x" });
	add(&f, (struct tar_ent){ .name = "b/", .type = '5' });
	add(&f, (struct tar_ent){ .name = "b/child", .type = '0', .data = "c" });
	add(&f, (struct tar_ent){ .name = "b", .type = '0', .data = "now a file" });
	add(&f, (struct tar_ent){ .name = "c", .type = '0', .data = "first" });
	add(&f, (struct tar_ent){ .name = "c", .type = '0', .data = "second" });
	add(&f, (struct tar_ent){ .name = "a/", .type = '5', .mode = 0700 });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	stat_in(&f, "a", &st);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	read_in(&f, "a/x", "x"); /* a directory over a directory merges */
	read_in(&f, "b", "now a file");
	read_in(&f, "c", "second");
	fx_done(&f);
}

static void test_walk_basic(void)
{
	struct fx f;

	fx_init(&f);
	f.o.force_walk = true;
	add(&f, (struct tar_ent){ .name = "x/y/z", .type = '0', .data = "z" });
	add(&f, (struct tar_ent){ .name = "x/h", .type = '1', .link = "x/y/z" });
	add(&f, (struct tar_ent){ .name = "x/y/.wh.w", .type = '0' });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	read_in(&f, "x/h", "z");
	fx_done(&f);
}

static void test_concatenated(void)
{
	struct fx f;
	static const char zeros[1024];

	/* tokio-tar's ignore_zeros (upstream): end blocks inside the stream do not end it */
	fx_init(&f);
	add(&f, (struct tar_ent){ .name = "first", .type = '0', .data = "1" });
	ASSERT_OK(buf_append(&f.tar, zeros, sizeof(zeros)));
	add(&f, (struct tar_ent){ .name = "second", .type = '0', .data = "2" });
	tar_end(&f.tar);
	ASSERT_OK(run(&f));
	read_in(&f, "first", "1");
	read_in(&f, "second", "2");
	fx_done(&f);
}

TESTS(test_concatenated, test_basic, test_root_entry, test_dotdot, test_absolute,
      test_symlink_parent, test_symlink_parent_walk, test_symlink_then_file, test_hardlink_escape,
      test_whiteouts, test_bad_whiteout, test_xattrs, test_limits, test_truncated, test_replace,
      test_walk_basic)
