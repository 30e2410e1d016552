/* SPDX-License-Identifier: Apache-2.0 */
/* The AAEL: TCG2 records of runtime events, a write-ahead record around each register
 * extension, crash recovery at open, and the cc_eventlog evidence value. Follows
 * guest-components attestation-agent/src/eventlog/{mod.rs,tcg2.rs} and
 * attester/src/utils.rs (upstream.md §3.3); the byte layouts are upstream's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aa/eventlog.h"
#include "common/b64.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"

#define CCEL_PATH "/sys/firmware/acpi/tables/data/CCEL"
/* Bounds on what we read back: the firmware log (tens of KiB in practice), the AAEL
 * and a WAL (one event text, itself bounded by the 4 MiB ttrpc frame). */
#define EVENTLOG_FILE_MAX (16u << 20)
#define WAL_MAX (8u << 20)

struct aa_eventlog {
	pthread_mutex_t lock;
	const struct attester_ops *ops;
	unsigned init_pcr;
	bool supported;
	int fd;
	uint64_t pos; /* where the next record goes (upstream's FileWriter.pos) */
	int broken;   /* <0: a failure left register and log apart; refuse until restart */
	char *log_path, *wal_path;
};

const uint8_t aa_eventlog_el_header[69] = {
	/* TCG_PCR_EVENT: PCR 0, EV_NO_ACTION, 20-byte zero SHA-1 digest, event size 0x25 */
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00,
	0x00, 0x00,
	/* TCG_EfiSpecIDEvent with signature, platform class, versions and uintn size zeroed
	 * (upstream's choice), 2 algorithms: SHA-384/48 and SM3/32, no vendor info */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0C, 0x00,
	0x30, 0x00, 0x12, 0x00, 0x20, 0x00, 0x00
};

uint16_t aa_eventlog_tcg_alg(enum digest_alg a)
{
	switch (a) {
	case DIGEST_SHA256:
		return 0x000B;
	case DIGEST_SHA384:
		return 0x000C;
	case DIGEST_SHA512:
		return 0x000D;
	case DIGEST_SM3:
		return 0x0012;
	default:
		return 0;
	}
}

int aa_eventlog_record(enum digest_alg alg, uint32_t mr_index, const char *text, size_t len,
		       struct buf *out, uint8_t *ret_digest)
{
	uint8_t head[14], tag[8], d[DIGEST_MAX_SIZE], sz[4];
	struct digest_ctx c;
	size_t dn = digest_size(alg);
	int r;

	if (dn == 0)
		return -EINVAL;
	if (len > UINT32_MAX - sizeof(tag))
		return -E2BIG;

	put_le32(tag, AA_EVENTLOG_AAEL_ID);
	put_le32(tag + 4, (uint32_t) len);
	digest_init(&c, alg);
	digest_update(&c, tag, sizeof(tag));
	digest_update(&c, text, len);
	digest_final(&c, d);

	put_le32(head, mr_index);
	put_le32(head + 4, AA_EVENTLOG_EV_EVENT_TAG);
	put_le32(head + 8, 1);
	put_le16(head + 12, aa_eventlog_tcg_alg(alg));
	put_le32(sz, (uint32_t) (sizeof(tag) + len));

	r = buf_append(out, head, sizeof(head));
	if (r >= 0)
		r = buf_append(out, d, dn);
	if (r >= 0)
		r = buf_append(out, sz, sizeof(sz));
	if (r >= 0)
		r = buf_append(out, tag, sizeof(tag));
	if (r >= 0)
		r = buf_append(out, text, len);
	if (r < 0)
		return r;
	if (ret_digest)
		memcpy(ret_digest, d, dn);
	return 0;
}

/* Upstream re-parses the WAL text into an Event (two spaces needed, no newline in the
 * content) and prints it back, which gives the same text; we only check. */
static int wal_text_valid(const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n), *sp2;

	if (!sp1)
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t) (sp1 + 1 - s));
	if (!sp2)
		return -EBADMSG;
	if (memchr(sp2 + 1, '\n', n - (size_t) (sp2 + 1 - s)))
		return -EBADMSG;
	return 0;
}

static int write_all_at(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t k = pwrite(fd, q, n, (off_t) off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		q += k;
		n -= (size_t) k;
		off += (uint64_t) k;
	}
	return 0;
}

/* Writes a record at off and makes it durable (upstream's FileWriter::write: write_all +
 * sync_data). */
static int log_write(struct aa_eventlog *el, const struct buf *rec, uint64_t off)
{
	int r;

	if (off > (uint64_t) INT64_MAX - rec->len)
		return -EFBIG;
	r = write_all_at(el->fd, rec->data, rec->len, off);
	if (r < 0)
		return r;
	if (fdatasync(el->fd) < 0)
		return -errno;
	el->pos = off + rec->len;
	return 0;
}

static int wal_write(const char *path, uint64_t off, const uint8_t *expected, size_t dn,
		     const char *text, size_t len)
{
	_cleanup_close_ int fd = -EBADF;
	uint8_t be[8];
	int r;

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t) (off >> (56 - 8 * i));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all_at(fd, be, sizeof(be), 0);
	if (r >= 0)
		r = write_all_at(fd, expected, dn, sizeof(be));
	if (r >= 0)
		r = write_all_at(fd, text, len, sizeof(be) + dn);
	if (r < 0)
		return r;
	if (fdatasync(fd) < 0)
		return -errno;
	return 0;
}

static int wal_remove(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

static unsigned clamp_pcr(int64_t idx, unsigned dflt)
{
	if (idx < 0)
		return dflt;
	return idx > (int64_t) UINT_MAX ? UINT_MAX : (unsigned) idx;
}

/* H(current || digest), the value a register holds after extending it with digest. */
static void extended_value(enum digest_alg alg, const uint8_t *cur, const uint8_t *d, uint8_t *out)
{
	struct digest_ctx c;
	size_t dn = digest_size(alg);

	digest_init(&c, alg);
	digest_update(&c, cur, dn);
	digest_update(&c, d, dn);
	digest_final(&c, out);
}

static int recover(struct aa_eventlog *el)
{
	const struct attester_ops *ops = el->ops;
	enum digest_alg alg = ops->mr_alg;
	size_t dn = digest_size(alg);
	_cleanup_(buf_done) struct buf wal = BUF_INIT(WAL_MAX);
	_cleanup_(buf_done) struct buf rec = BUF_INIT(BUF_UNLIMITED);
	uint8_t cur[DIGEST_MAX_SIZE], d[DIGEST_MAX_SIZE], want[DIGEST_MAX_SIZE];
	unsigned mr = ops->pcr_to_mr(el->init_pcr);
	struct stat st;
	const char *text;
	uint64_t off = 0;
	size_t tlen;
	int r;

	/* Path::exists(): anything stat() can see; a dangling symlink counts as absent. */
	if (stat(el->wal_path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

	r = fs_read_file(AT_FDCWD, el->wal_path, &wal);
	if (r >= 0 && wal.len < 8 + dn)
		r = -EBADMSG;
	if (r >= 0 && !json_utf8_valid((const char *) wal.data + 8 + dn, wal.len - 8 - dn))
		r = -EBADMSG;
	if (r < 0) {
		log_error(
		    "Failed to read wal cache. This is a significant error caused by a "
		    "previous crash. Please try delete `%s` and restart the attestation agent.",
		    el->wal_path);
		return r;
	}
	for (int i = 0; i < 8; i++)
		off = off << 8 | wal.data[i];
	text = (const char *) wal.data + 8 + dn;
	tlen = wal.len - 8 - dn;

	log_warning("Recover from a previous crash.");
	r = ops->mr_read(mr, cur);
	if (r < 0)
		return log_error_errno(r, "get runtime measurement: %m");
	r = wal_text_valid(text, tlen);
	if (r < 0)
		return log_error_errno(r, "The write-ahead record '%s' holds no valid event.",
				       el->wal_path);
	r = aa_eventlog_record(alg, mr, text, tlen, &rec, d);
	if (r < 0)
		return r;

	/* The register may already hold the event (crash after the extension): then only
	 * the record is missing. Otherwise it must be exactly one extension behind. */
	if (!digest_equal(cur, wal.data + 8, dn)) {
		extended_value(alg, cur, d, want);
		if (!digest_equal(want, wal.data + 8, dn)) {
			log_error("fatal error when recovering. The eventlog file %s is probably "
				  "corrupted, or other process has extend the target PCR %u.",
				  el->log_path, el->init_pcr);
			return -EKEYREJECTED;
		}
		r = ops->mr_extend(mr, d, dn);
		if (r < 0)
			return log_error_errno(r, "Failed to extend the register: %m");
	}

	r = log_write(el, &rec, off);
	if (r < 0)
		return log_error_errno(r, "Failed to write log: %m");
	r = wal_remove(el->wal_path);
	if (r < 0)
		return log_error_errno(r, "Failed to remove '%s': %m", el->wal_path);
	return 0;
}

static int dir_of(const char *path, char **ret)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return 0;
	d = strndup(path, slash == path ? 1 : (size_t) (slash - path));
	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

int aa_eventlog_open(const struct attester_ops *ops, unsigned init_pcr, const char *log_path,
		     const char *wal_path, struct aa_eventlog **ret)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_free_ char *dir = NULL;
	off_t end;
	int r;

	el = calloc(1, sizeof(*el));
	if (!el)
		return -ENOMEM;
	el->fd = -EBADF;
	pthread_mutex_init(&el->lock, NULL);
	el->ops = ops;
	el->init_pcr = init_pcr;
	el->supported = ops->mr_extend && ops->mr_read && ops->pcr_to_mr &&
			digest_size(ops->mr_alg) > 0;
	if (!el->supported) {
		*ret = steal_ptr(el);
		return 0;
	}

	el->log_path = strdup(log_path ?: AA_EVENTLOG_PATH);
	el->wal_path = strdup(wal_path ?: AA_EVENTLOG_WAL_PATH);
	if (!el->log_path || !el->wal_path)
		return -ENOMEM;
	log_path = el->log_path;

	/* Upstream creates /run/attestation-agent; we create whatever holds the log. */
	r = dir_of(log_path, &dir);
	if (r < 0)
		return r;
	if (dir) {
		r = fs_mkdir_p(dir, 0755);
		if (r < 0)
			return log_debug_errno(r, "create eventlog parent dir '%s': %m", dir);
	}
	/* No O_APPEND: recovery rewrites a record at its recorded offset. */
	el->fd = open(log_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (el->fd < 0)
		return log_debug_errno(-errno, "open AAEL file '%s': %m", log_path);
	end = lseek(el->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	el->pos = (uint64_t) end;

	r = recover(el);
	if (r < 0)
		return r;
	*ret = steal_ptr(el);
	return 0;
}

struct aa_eventlog *aa_eventlog_free(struct aa_eventlog *el)
{
	if (!el)
		return NULL;
	if (el->fd >= 0)
		(void) close(el->fd);
	pthread_mutex_destroy(&el->lock);
	free(el->log_path);
	free(el->wal_path);
	free(el);
	return NULL;
}

/* The attester reported failure (error): find out what the register did. Untouched:
 * drop the WAL, so the next start does not measure an event the client was told failed,
 * and pass the error on. Extended all the same (a sysfs write that errs after the fact):
 * go on and record it (0). Anything else, or no way to tell: keep the WAL for the next
 * start and refuse further events. */
static int extend_failed(struct aa_eventlog *el, int error, unsigned mr, const uint8_t *cur,
			 const uint8_t *want)
{
	size_t dn = digest_size(el->ops->mr_alg);
	uint8_t now[DIGEST_MAX_SIZE];
	int r;

	log_debug_errno(error, "extend runtime measurement: %m");
	r = el->ops->mr_read(mr, now);
	if (r >= 0 && digest_equal(now, cur, dn)) {
		r = wal_remove(el->wal_path);
		if (r >= 0)
			return error;
	} else if (r >= 0 && digest_equal(now, want, dn))
		return 0;
	el->broken = error;
	return error;
}

static int extend_locked(struct aa_eventlog *el, const char *text, size_t len, unsigned pcr)
{
	const struct attester_ops *ops = el->ops;
	enum digest_alg alg = ops->mr_alg;
	size_t dn = digest_size(alg);
	_cleanup_(buf_done) struct buf rec = BUF_INIT(BUF_UNLIMITED);
	uint8_t cur[DIGEST_MAX_SIZE], d[DIGEST_MAX_SIZE], want[DIGEST_MAX_SIZE];
	uint64_t off = el->pos;
	unsigned mr;
	int r;

	if (el->broken < 0)
		return -EIO;
	/* Upstream names the configured register in the record, whichever one it extends. */
	r = aa_eventlog_record(alg, ops->pcr_to_mr(el->init_pcr), text, len, &rec, d);
	if (r < 0)
		return r;
	mr = ops->pcr_to_mr(pcr);
	r = ops->mr_read(mr, cur);
	if (r < 0)
		return log_debug_errno(r, "get runtime measurement: %m");
	extended_value(alg, cur, d, want);

	r = wal_write(el->wal_path, off, want, dn, text, len);
	if (r < 0)
		return log_debug_errno(r, "write wal cache file failed: %m");
	r = ops->mr_extend(mr, d, dn);
	if (r < 0) {
		r = extend_failed(el, r, mr, cur, want);
		if (r < 0)
			return r;
	}
	/* The register holds the event now. If the record cannot be written, the WAL is
	 * the only trace of it: upstream carries on and the next event overwrites the WAL,
	 * losing the record for good; we refuse further events until a restart replays
	 * it, which keeps log and register in step. */
	r = log_write(el, &rec, off);
	if (r < 0) {
		el->broken = r;
		return log_debug_errno(r, "write log entry: %m");
	}
	/* Log and register agree; a WAL left behind would only rewrite the same bytes at the
	 * next start, and the next event truncates it anyway. */
	r = wal_remove(el->wal_path);
	if (r < 0)
		return log_debug_errno(r, "remove wal cache file failed: %m");
	return 0;
}

int aa_eventlog_extend(struct aa_eventlog *el, const char *domain, const char *operation,
		       const char *content, int64_t register_index)
{
	_cleanup_(buf_done) struct buf text = BUF_INIT(UINT32_MAX - 8);
	int r;

	if (!el->supported)
		return -EOPNOTSUPP;
	if (strchr(content, '\n'))
		return log_debug_errno(-EINVAL, "content contains newline");
	r = buf_appendf(&text, "%s %s %s", domain, operation, content);
	if (r < 0)
		return r;
	/* The WAL is read back as a Rust String: keep it valid UTF-8 (a protobuf string
	 * upstream could not be anything else). */
	if (!json_utf8_valid(buf_str(&text), text.len))
		return -EBADMSG;

	pthread_mutex_lock(&el->lock);
	r = extend_locked(el, buf_str(&text), text.len, clamp_pcr(register_index, el->init_pcr));
	pthread_mutex_unlock(&el->lock);
	return r;
}

/* Walks the firmware log as upstream's trim_ccel does. Sizes are added in 64 bits and
 * checked against n before any read, so no input can overflow or read past the end. */
int aa_eventlog_ccel_trim(const uint8_t *p, size_t n, size_t *ret_len)
{
	uint64_t i = 4, len = n;

	if (len < i + 4)
		return -EBADMSG;
	/* TCG_PCR_EVENT: pcr, type, SHA-1 digest, size, data (skipped for EV_NO_ACTION). */
	if (get_le32(p + i) == 0x3) {
		i += 4 + 20;
		if (len < i + 4)
			return -EBADMSG;
		i += 4 + (uint64_t) get_le32(p + i);
	} else
		i += 4 + 20;

	for (;;) {
		uint32_t count;
		bool all_ff = true, all_00 = true;

		if (len < i + 8)
			return -EBADMSG; /* no end marker */
		for (int k = 0; k < 8; k++) {
			all_ff &= p[i + k] == 0xFF;
			all_00 &= p[i + k] == 0x00;
		}
		if (all_ff || all_00) {
			*ret_len = (size_t) i;
			return 0;
		}
		i += 8; /* register, event type */
		if (len < i + 4)
			return -EBADMSG;
		count = get_le32(p + i);
		i += 4;
		for (uint32_t k = 0; k < count; k++) {
			uint16_t alg;

			if (len < i + 2)
				return -EBADMSG;
			alg = (uint16_t) (p[i] | p[i + 1] << 8);
			i += 2;
			switch (alg) {
			case 0x000B:
			case 0x0012:
				i += 32;
				break;
			case 0x000C:
				i += 48;
				break;
			case 0x000D:
				i += 64;
				break;
			default:
				return -EBADMSG;
			}
		}
		if (len < i + 4)
			return -EBADMSG;
		i += 4 + (uint64_t) get_le32(p + i);
	}
}

/* Reads path into b; 0 when it does not exist (Path::exists() false), 1 when read. */
static int read_if_exists(const char *path, struct buf *b)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	r = fs_read_file(AT_FDCWD, path, b);
	return r < 0 ? r : 1;
}

int aa_cc_eventlog(struct buf *out)
{
	static const uint8_t end_flag[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	_cleanup_(buf_done) struct buf el = BUF_INIT(2 * EVENTLOG_FILE_MAX + 128);
	_cleanup_(buf_done) struct buf aael = BUF_INIT(EVENTLOG_FILE_MAX);
	const char *aael_path = getenv("AAEL_PATH");
	char ccel_path[PATH_MAX];
	size_t trimmed;
	int r;

	if (!attester_path(CCEL_PATH, ccel_path))
		return -errno;
	{
		_cleanup_(buf_done) struct buf ccel = BUF_INIT(EVENTLOG_FILE_MAX);

		r = read_if_exists(ccel_path, &ccel);
		if (r < 0)
			return log_debug_errno(r, "read '%s': %m", ccel_path);
		if (r > 0) {
			r = aa_eventlog_ccel_trim(ccel.data, ccel.len, &trimmed);
			if (r < 0)
				return log_debug_errno(r, "invalid ccel in '%s'", ccel_path);
			r = buf_append(&el, ccel.data, trimmed);
			if (r < 0)
				return r;
		}
	}

	/* Set but empty is a path too (env::var), so only unset gives the default. */
	if (!aael_path)
		aael_path = AA_EVENTLOG_PATH;
	r = read_if_exists(aael_path, &aael);
	if (r < 0)
		return log_debug_errno(r, "read '%s': %m", aael_path);
	if (r > 0) {
		if (el.len == 0) {
			r = buf_append(&el, aa_eventlog_el_header, sizeof(aa_eventlog_el_header));
			if (r < 0)
				return r;
		}
		r = buf_append(&el, aael.data, aael.len);
		if (r < 0)
			return r;
	}

	if (el.len == 0)
		return 0;
	r = buf_append(&el, end_flag, sizeof(end_flag));
	if (r < 0)
		return r;
	return buf_append(out, el.data, el.len);
}
