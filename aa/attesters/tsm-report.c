/* SPDX-License-Identifier: Apache-2.0 */
/* configfs-tsm report requests (contract in tsm-report.h). Follows upstream's
 * attester/src/tsm_report/mod.rs: mkdir, provider check, inblob, outblob, generation
 * check, rmdir; the attribute semantics are the kernel's drivers/virt/coco/tsm.c
 * (Documentation/ABI/testing/configfs-tsm). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "aa/attester.h"
#include "aa/attesters/tsm-report.h"
#include "common/fs.h"
#include "common/log.h"

/* The kernel prints "%u\n" for generation and "%s\n" for provider; a little slack. */
#define TSM_ATTR_TEXT_MAX 64
#define TSM_PRIVLEVEL_MAX 3

struct tsm_dir {
	int parent; /* the report directory */
	int fd;     /* our entry in it */
	char name[64];
};

#define TSM_DIR_INIT ((struct tsm_dir){ .parent = -EBADF, .fd = -EBADF })

static void tsm_dir_done(struct tsm_dir *d)
{
	if (d->fd >= 0)
		(void) close(d->fd);
	/* configfs removes the attribute files with the directory: rmdir, never rm -r.
	 * Leaving the entry behind would leak a kernel report object, so say so. */
	if (d->name[0] && unlinkat(d->parent, d->name, AT_REMOVEDIR) < 0)
		log_debug("Failed to remove TSM report directory '%s', ignoring: %m", d->name);
	if (d->parent >= 0)
		(void) close(d->parent);
	*d = TSM_DIR_INIT;
}

static void tsm_unique_name(char *out, size_t n)
{
	uint64_t r;

	/* Unique among concurrent callers, so two requests never share a directory (the
	 * generation check catches it if they ever do). Fall back to the clock when the
	 * entropy pool is not ready yet: uniqueness, not secrecy, is what counts here. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t) sizeof(r)) {
		struct timespec ts;

		(void) clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
	}
	(void) snprintf(out, n, "cocobox.%ld.%016" PRIx64, (long) getpid(), r);
}

static int tsm_dir_create(struct tsm_dir *d)
{
	char p[PATH_MAX];

	if (!attester_path(TSM_REPORT_PATH, p))
		return -ENAMETOOLONG;
	d->parent = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->parent < 0)
		return errno == ENOENT ? -EOPNOTSUPP : -errno;

	for (unsigned attempt = 0;; attempt++) {
		tsm_unique_name(d->name, sizeof(d->name));
		if (mkdirat(d->parent, d->name, 0700) == 0)
			break;
		if (errno != EEXIST || attempt >= 8) {
			int r = -errno;

			d->name[0] = 0;
			return r;
		}
	}
	d->fd = openat(d->parent, d->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	return 0;
}

static int tsm_check_provider(int dirfd, const char *provider)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(TSM_ATTR_TEXT_MAX);
	size_t n = strlen(provider);
	int r;

	r = fs_read_file(dirfd, "provider", &b);
	if (r == -E2BIG)
		return -ENODEV;
	if (r < 0)
		return r;
	/* Exactly "<name>\n", as upstream's EnumString match. */
	if (b.len != n + 1 || memcmp(b.data, provider, n) != 0 || b.data[n] != '\n') {
		log_debug("TSM report provider is '%.*s', not '%s'",
			  (int) strcspn(buf_str(&b), "\n"), buf_str(&b), provider);
		return -ENODEV;
	}
	return 0;
}

/* Upstream trims '\n' at both ends and parses a u32. */
static int tsm_parse_u32(const struct buf *b, uint32_t *ret)
{
	const char *s = buf_str(b);
	size_t i = 0, end = b->len;
	uint64_t v = 0;

	if (strlen(s) != b->len)
		return -EBADMSG;
	while (i < end && s[i] == '\n')
		i++;
	while (end > i && s[end - 1] == '\n')
		end--;
	if (i == end)
		return -EBADMSG;
	for (; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint64_t) (s[i] - '0');
		if (v > UINT32_MAX)
			return -EBADMSG;
	}
	*ret = (uint32_t) v;
	return 0;
}

static int tsm_check_generation(int dirfd, uint32_t expected)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(TSM_ATTR_TEXT_MAX);
	uint32_t g;
	int r;

	r = fs_read_file(dirfd, "generation", &b);
	if (r == -E2BIG)
		return -EBADMSG;
	if (r < 0)
		return r;
	r = tsm_parse_u32(&b, &g);
	if (r < 0)
		return r;
	/* Every write to the directory advances the generation. More writes than ours
	 * means another process used the directory between our inblob write and the
	 * outblob read: outblob may carry their report data, not ours. */
	if (g > expected) {
		log_debug("TSM report generation is %" PRIu32 ", expected %" PRIu32
			  ": concurrent inblob write",
			  g, expected);
		return -EBUSY;
	}
	return 0;
}

static int tsm_write_attr(int dirfd, const char *attr, const void *p, size_t n)
{
	_cleanup_close_ int fd = -EBADF;
	const uint8_t *q = p;

	fd = openat(dirfd, attr, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* inblob is a configfs binary attribute: the writes accumulate in the kernel and
	 * reach the provider when the file is closed, so close before reading outblob. */
	while (n > 0) {
		ssize_t k = write(fd, q, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		q += k;
		n -= (size_t) k;
	}
	if (close(steal_fd(fd)) < 0)
		return -errno;
	return 0;
}

/* The lowest privilege level the provider allows (SEV-SNP: the VMPL this guest runs at,
 * non-zero under an SVSM); 0 when the attribute is absent. */
static int tsm_read_privlevel_floor(int dirfd, int *ret)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(TSM_ATTR_TEXT_MAX);
	uint32_t v;
	int r;

	r = fs_read_file(dirfd, "privlevel_floor", &b);
	if (r == -ENOENT) {
		*ret = 0;
		return 0;
	}
	if (r < 0)
		return r == -E2BIG ? -EBADMSG : r;
	r = tsm_parse_u32(&b, &v);
	if (r < 0)
		return r;
	if (v > TSM_PRIVLEVEL_MAX)
		return -EBADMSG;
	*ret = (int) v;
	return 0;
}

int tsm_report(const char *provider, int privlevel, const uint8_t *inblob, size_t n,
	       struct buf *out, struct buf *aux)
{
	_cleanup_(tsm_dir_done) struct tsm_dir d = TSM_DIR_INIT;
	_cleanup_(buf_done) struct buf blob = BUF_INIT(TSM_OUTBLOB_READ_MAX),
				       auxblob = BUF_INIT(TSM_OUTBLOB_READ_MAX);
	uint32_t writes = 0;
	int r;

	if (n == 0 || privlevel > TSM_PRIVLEVEL_MAX || privlevel < TSM_PRIVLEVEL_FLOOR)
		return -EINVAL;
	if (n > TSM_INBLOB_MAX)
		return -E2BIG;

	r = tsm_dir_create(&d);
	if (r < 0)
		return log_debug_errno(r, "Failed to create a TSM report directory: %m");
	r = tsm_check_provider(d.fd, provider);
	if (r < 0)
		return r;

	if (privlevel == TSM_PRIVLEVEL_FLOOR) {
		r = tsm_read_privlevel_floor(d.fd, &privlevel);
		if (r < 0)
			return log_debug_errno(r, "Failed to read TSM report privlevel_floor: %m");
	}
	if (privlevel >= 0) {
		char text[16];
		int k = snprintf(text, sizeof(text), "%d\n", privlevel);

		r = tsm_write_attr(d.fd, "privlevel", text, (size_t) k);
		if (r < 0)
			return log_debug_errno(r, "Failed to write TSM report privlevel: %m");
		writes++;
	}
	r = tsm_write_attr(d.fd, "inblob", inblob, n);
	if (r < 0)
		return log_debug_errno(r, "Failed to write TSM report inblob: %m");
	writes++;

	r = fs_read_file(d.fd, "outblob", &blob);
	if (r < 0)
		return log_debug_errno(r, "Failed to read TSM report outblob: %m");
	if (blob.len == 0)
		return log_debug_errno(-EBADMSG, "TSM report outblob is empty");
	/* The same report's auxiliary blob; providers without one lack the file. */
	if (aux) {
		r = fs_read_file(d.fd, "auxblob", &auxblob);
		if (r < 0 && r != -ENOENT)
			return log_debug_errno(r, "Failed to read TSM report auxblob: %m");
	}

	r = tsm_check_generation(d.fd, writes);
	if (r < 0)
		return r;

	/* Room in both first, so neither changes on failure. */
	r = buf_reserve(out, blob.len);
	if (r >= 0 && aux)
		r = buf_reserve(aux, auxblob.len);
	if (r < 0)
		return r;
	if (aux)
		(void) buf_append(aux, auxblob.data, auxblob.len);
	return buf_append(out, blob.data, blob.len);
}

bool tsm_report_available(const char *provider)
{
	_cleanup_(tsm_dir_done) struct tsm_dir d = TSM_DIR_INIT;

	return tsm_dir_create(&d) >= 0 && tsm_check_provider(d.fd, provider) >= 0;
}
