/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/unpack.c, the safe tar writer: any input is unpacked into a
 * fresh root inside a private directory; whatever the archive says, nothing may appear
 * beside the root and the sentinel file next to it must stay as it was. */
#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "image-rs/unpack.h"

struct mem {
	const uint8_t *p;
	size_t n;
	bool fed;
};

static la_ssize_t mem_read(struct archive *a, void *userdata, const void **ret)
{
	struct mem *m = userdata;

	(void) a;
	if (m->fed)
		return 0;
	m->fed = true;
	*ret = m->p;
	return (la_ssize_t) m->n;
}

static char top[64];
static int topfd = -1;

static void setup(void)
{
	int fd;

	strcpy(top, "/tmp/cocobox-fuzz-unpack-XXXXXX");
	if (!mkdtemp(top))
		abort();
	topfd = open(top, O_RDONLY | O_DIRECTORY);
	fd = openat(topfd, "sentinel", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (topfd < 0 || fd < 0 || write(fd, "sentinel", 8) != 8)
		abort();
	close(fd);
}

/* Only "root" (if still there) and the untouched sentinel beside it. */
static void check_top(void)
{
	DIR *d = fdopendir(fcntl(topfd, F_DUPFD_CLOEXEC, 3));
	struct dirent *de;
	struct stat st;
	char b[16] = {};
	int fd;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "root") && strcmp(de->d_name, "sentinel")) {
			fprintf(stderr, "escaped: %s/%s\n", top, de->d_name);
			abort();
		}
	closedir(d);
	fd = openat(topfd, "sentinel", O_RDONLY | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_nlink != 1 || st.st_size != 8 ||
	    read(fd, b, sizeof(b)) != 8 || memcmp(b, "sentinel", 8) != 0) {
		fprintf(stderr, "sentinel changed\n");
		abort();
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { .p = data, .n = size };
	struct unpack_opts o;
	struct archive *a = NULL;
	struct buf err = BUF_INIT(4096);
	int rootfd;

	if (topfd < 0)
		setup();
	unpack_opts_default(&o);
	o.limits.max_entries = 256;
	o.limits.max_bytes = 1 << 20;
	o.same_owner = 0;
	if (mkdirat(topfd, "root", 0755) < 0)
		abort();
	rootfd = openat(topfd, "root", O_RDONLY | O_DIRECTORY);
	if (rootfd < 0)
		abort();
	if (unpack_archive_new(&a) >= 0 && unpack_archive_open(a, &m, mem_read) >= 0)
		(void) unpack_archive(a, rootfd, &o, NULL, &err);
	if (a)
		archive_read_free(a);
	close(rootfd);
	buf_done(&err);
	check_top();
	if (fs_rm_rf_at(topfd, "root") < 0)
		abort();
	return 0;
}
