/* SPDX-License-Identifier: Apache-2.0 */
/* aa/eventlog: upstream's digest vectors, the record layout, a replay checker that parses
 * the produced log and recomputes the register, WAL recovery from every crash point (a
 * fake attester with in-memory registers kills a forked child at the point, or fails on
 * purpose), concurrent extends, and the cc_eventlog value with and without a CCEL (the
 * trustee CCEL_data vector). */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aa/eventlog.h"
#include "common/b64.h"
#include "common/digest.h"
#include "common/fs.h"
#include "tests/unit/tests.h"

/* ---- a fake TDX-like attester: 4 registers in memory shared with forked children ---- */

enum fault {
	FAULT_NONE,
	FAIL_BEFORE_EXTEND, /* returns -EIO, register untouched */
	FAIL_AFTER_EXTEND,  /* extends, then returns -EIO anyway */
	EXIT_BEFORE_EXTEND, /* the process dies once the WAL is written */
	EXIT_AFTER_EXTEND,  /* the process dies once the register is extended */
	FSIZE_AFTER_EXTEND, /* extends, then the log cannot grow (RLIMIT_FSIZE) */
};

struct fake_state {
	uint8_t reg[5][DIGEST_MAX_SIZE];
	unsigned extends;
};

/* MAP_SHARED, so what a crashing child did to the registers outlives it. */
static struct fake_state *shared;
#define fake_reg (shared->reg)
#define fake_extends (shared->extends)
static enum fault fake_fault;
static char fake_wal_path[PATH_MAX], fake_log_path[PATH_MAX];
static struct buf fake_wal_seen = BUF_INIT(1 << 20); /* the WAL as the extension saw it */

static unsigned fake_pcr_to_mr(unsigned pcr)
{
	/* TDX's pcr_to_ccmr. */
	if (pcr == 1 || pcr == 7)
		return 1;
	if (pcr >= 2 && pcr <= 6)
		return 2;
	if (pcr >= 8 && pcr <= 15)
		return 3;
	return 4;
}

static struct attester_ops fake;

static int fake_mr_read(unsigned mr, uint8_t *out)
{
	if (mr < 1 || mr > 4)
		return -EINVAL;
	memcpy(out, fake_reg[mr], digest_size(fake.mr_alg));
	return 0;
}

static void limit_log_size(void)
{
	struct stat st;
	struct rlimit rl;

	ASSERT_OK(stat(fake_log_path, &st));
	ASSERT_OK(getrlimit(RLIMIT_FSIZE, &rl));
	rl.rlim_cur = (rlim_t) st.st_size;
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &rl));
}

static int fake_mr_extend(unsigned mr, const uint8_t *d, size_t n)
{
	size_t dn = digest_size(fake.mr_alg);
	uint8_t pad[DIGEST_MAX_SIZE] = {};
	struct digest_ctx c;

	if (mr < 1 || mr > 4)
		return -EINVAL;
	buf_reset(&fake_wal_seen);
	if (fake_wal_path[0])
		ASSERT_OK(fs_read_file(AT_FDCWD, fake_wal_path, &fake_wal_seen));
	if (fake_fault == FAIL_BEFORE_EXTEND)
		return -EIO;
	if (fake_fault == EXIT_BEFORE_EXTEND)
		_exit(0);
	memcpy(pad, d, MIN(n, dn));
	digest_init(&c, fake.mr_alg);
	digest_update(&c, fake_reg[mr], dn);
	digest_update(&c, pad, dn);
	digest_final(&c, fake_reg[mr]);
	fake_extends++;
	if (fake_fault == EXIT_AFTER_EXTEND)
		_exit(0);
	if (fake_fault == FSIZE_AFTER_EXTEND)
		limit_log_size();
	/* Widen the window in which an unlocked caller would interleave. */
	sched_yield();
	return fake_fault == FAIL_AFTER_EXTEND ? -EIO : 0;
}

static struct attester_ops fake = {
	.name = "fake",
	.mr_alg = DIGEST_SHA384,
	.pcr_to_mr = fake_pcr_to_mr,
	.mr_read = fake_mr_read,
	.mr_extend = fake_mr_extend,
};

/* ---- a scratch directory per case ---- */

static char dir[64], log_path[PATH_MAX], wal_path[PATH_MAX];

static void scratch(enum digest_alg alg)
{
	strcpy(dir, "/tmp/test-eventlog.XXXXXX");
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(log_path, sizeof(log_path), "%s/run/eventlog", dir);
	snprintf(wal_path, sizeof(wal_path), "%s/run/.wal_event_entry", dir);
	strcpy(fake_wal_path, wal_path);
	strcpy(fake_log_path, log_path);
	if (!shared) {
		shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_TRUE(shared != MAP_FAILED);
	}
	memset(shared, 0, sizeof(*shared));
	buf_done(&fake_wal_seen);
	fake_wal_seen = BUF_INIT(1 << 20);
	fake.mr_alg = alg;
	fake_fault = FAULT_NONE;
}

static void scratch_done(void)
{
	ASSERT_OK(fs_rm_rf_at(AT_FDCWD, dir));
	fake_wal_path[0] = 0;
	buf_done(&fake_wal_seen);
}

static void read_all(const char *path, struct buf *b)
{
	buf_reset(b);
	ASSERT_OK(fs_read_file(AT_FDCWD, path, b));
}

static void write_all(const char *path, const void *p, size_t n)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, p, n), (ssize_t) n);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ---- the replay checker ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
	       (uint32_t) p[3] << 24;
}

/* Parses an AAEL strictly (every record EV_EVENT_TAG, one digest of alg, a well-formed
 * AAEL tagged event whose hash is that digest, registered as mr), replays the digests
 * from a zero register into reg, and returns the number of records. */
static size_t replay(const struct buf *log, enum digest_alg alg, unsigned mr, uint8_t *reg)
{
	size_t dn = digest_size(alg), i = 0, count = 0;

	memset(reg, 0, dn);
	while (i < log->len) {
		const uint8_t *p = log->data + i, *d, *ev;
		uint8_t h[DIGEST_MAX_SIZE];
		uint32_t size, tlen;
		struct digest_ctx c;

		ASSERT_TRUE(log->len - i >= 14 + dn + 4 + 8);
		ASSERT_EQ(le32(p), mr);
		ASSERT_EQ(le32(p + 4), 6);
		ASSERT_EQ(le32(p + 8), 1);
		ASSERT_EQ(p[12] | p[13] << 8, aa_eventlog_tcg_alg(alg));
		d = p + 14;
		size = le32(d + dn);
		ev = d + dn + 4;
		ASSERT_TRUE(size >= 8 && log->len - i - 14 - dn - 4 >= size);
		ASSERT_MEMEQ(ev, "LEAA", 4);
		tlen = le32(ev + 4);
		ASSERT_EQ(tlen + 8, size);
		digest_buf(alg, ev, size, h);
		ASSERT_MEMEQ(h, d, dn);

		digest_init(&c, alg);
		digest_update(&c, reg, dn);
		digest_update(&c, d, dn);
		digest_final(&c, reg);
		i += 14 + dn + 4 + size;
		count++;
	}
	return count;
}

static void assert_consistent(size_t want_records, unsigned mr)
{
	_cleanup_(buf_done) struct buf log = BUF_INIT(1 << 24);
	uint8_t reg[DIGEST_MAX_SIZE];

	read_all(log_path, &log);
	ASSERT_EQ(replay(&log, fake.mr_alg, mr, reg), want_records);
	ASSERT_MEMEQ(reg, fake_reg[mr], digest_size(fake.mr_alg));
	ASSERT_TRUE(!exists(wal_path));
}

/* ---- cases ---- */

static void test_upstream_vectors(void)
{
	static const struct {
		enum digest_alg alg;
		const char *hex;
	} v[] = {
		{ DIGEST_SHA256,
		  "46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351" },
		{ DIGEST_SHA384,
		  "dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f"
		  "3aa0609db7e49cd8d793f670d02" },
		{ DIGEST_SHA512,
		  "b708d222ca8bd44dfe6ba0c4ca2cbb72379276fba8091025217064be45a813e5d6124"
		  "ccf073219edb617d1faf007d55061465bdf34b7437dbdc9a7405bd4e9c0" },
	};
	const char *text = "domain operation content";

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_(buf_done) struct buf rec = BUF_INIT(1024);
		uint8_t d[DIGEST_MAX_SIZE];
		char hex[2 * DIGEST_MAX_SIZE + 1];

		ASSERT_OK(aa_eventlog_record(v[i].alg, 4, text, strlen(text), &rec, d));
		ASSERT_STREQ(digest_hex(d, digest_size(v[i].alg), hex), v[i].hex);
		/* The digest in the record is the same one. */
		ASSERT_MEMEQ(rec.data + 14, d, digest_size(v[i].alg));
	}
}

static void test_record_layout(void)
{
	_cleanup_(buf_done) struct buf rec = BUF_INIT(1024);
	static const uint8_t head[] = { 0x04, 0, 0, 0, 0x06, 0, 0, 0, 0x01, 0, 0, 0, 0x0C, 0x00 };
	static const uint8_t tail[] = { 0x20, 0, 0, 0, 0x4C, 0x45, 0x41, 0x41, 0x18, 0, 0, 0 };
	const char *text = "domain operation content";
	uint8_t d[48];

	ASSERT_OK(aa_eventlog_record(DIGEST_SHA384, 4, text, strlen(text), &rec, d));
	ASSERT_EQ(rec.len, 14 + 48 + 4 + 8 + 24);
	ASSERT_MEMEQ(rec.data, head, sizeof(head));
	ASSERT_MEMEQ(rec.data + 14 + 48, tail, sizeof(tail));
	ASSERT_MEMEQ(rec.data + 14 + 48 + sizeof(tail), text, 24);

	buf_reset(&rec);
	ASSERT_OK(aa_eventlog_record(DIGEST_SM3, 0x01020304, "a b c", 5, &rec, NULL));
	ASSERT_EQ(rec.len, 14 + 32 + 4 + 8 + 5);
	ASSERT_EQ(rec.data[0], 0x04);
	ASSERT_EQ(rec.data[3], 0x01);
	ASSERT_EQ(rec.data[12], 0x12);
	ASSERT_EQ(rec.data[13], 0x00);
	ASSERT_EQ(aa_eventlog_tcg_alg(DIGEST_SHA256), 0x000B);
	ASSERT_EQ(aa_eventlog_tcg_alg(DIGEST_SHA512), 0x000D);
	ASSERT_ERR(aa_eventlog_record(_DIGEST_ALG_MAX, 4, "a b c", 5, &rec, NULL), -EINVAL);
}

static void test_extend_and_replay(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	enum digest_alg algs[] = { DIGEST_SHA384, DIGEST_SHA256, DIGEST_SM3 };

	for (size_t a = 0; a < ELEMENTSOF(algs); a++) {
		scratch(algs[a]);
		ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
		ASSERT_OK(aa_eventlog_extend(el, "github.com/confidential-containers", "pull_image",
					     "docker.io/library/busybox@sha256:0123", -1));
		ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "content", 17));
		/* Spaces inside any part are kept as they are, as upstream does. */
		ASSERT_OK(aa_eventlog_extend(el, "d o", "", "c  with spaces ", -1));
		assert_consistent(3, 4);
		ASSERT_EQ(fake_extends, 3);

		/* Reopening appends after what is there. */
		el = aa_eventlog_free(el);
		ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
		ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "content", -1));
		assert_consistent(4, 4);
		el = aa_eventlog_free(el);
		scratch_done();
	}
}

static void test_register_index_override(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_(buf_done) struct buf log = BUF_INIT(1 << 20);
	uint8_t zero[48] = {}, reg[48];

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	/* PCR 8 is RTMR index 3 on TDX; the record still names init_pcr's register (4). */
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "content", 8));
	ASSERT_MEMEQ(fake_reg[4], zero, 48);
	read_all(log_path, &log);
	ASSERT_EQ(le32(log.data), 4);
	ASSERT_EQ(replay(&log, DIGEST_SHA384, 4, reg), 1);
	ASSERT_MEMEQ(reg, fake_reg[3], 48);
	/* A huge index maps like any large PCR. */
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "content", INT64_MAX));
	ASSERT_TRUE(memcmp(fake_reg[4], zero, 48) != 0);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_newline_rejected(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "hello\nworld", -1), -EINVAL);
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "\n", -1), -EINVAL);
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "\xff\xfe", -1), -EBADMSG);
	ASSERT_EQ(fake_extends, 0);
	assert_consistent(0, 4);
	/* A newline in Domain or Operation is not checked (upstream neither). */
	ASSERT_OK(aa_eventlog_extend(el, "dom\nain", "operation", "content", -1));
	assert_consistent(1, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_unsupported(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&attester_sample, 17, log_path, wal_path, &el));
	/* Answered before the content is looked at, as upstream. */
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "content", -1), -EOPNOTSUPP);
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "a\nb", -1), -EOPNOTSUPP);
	ASSERT_TRUE(!exists(log_path));
	el = aa_eventlog_free(el);
	scratch_done();
}

/* Three good events first, so the WAL offset is past 255 and its byte order matters. */
static void three_events(struct aa_eventlog *el)
{
	for (int i = 0; i < 3; i++)
		ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "before the crash", -1));
}

/* Runs one extend in a child that dies at the fault point, as a crash would. */
static void crash_in_child(struct aa_eventlog *el, enum fault f, int64_t register_index)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		fake_fault = f;
		(void) aa_eventlog_extend(el, "domain", "operation", "crash", register_index);
		_exit(3); /* the fault point was not reached */
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

static void test_crash_after_wal_write(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	crash_in_child(el, EXIT_BEFORE_EXTEND, -1);
	ASSERT_TRUE(exists(wal_path));
	ASSERT_EQ(fake_extends, 3);
	el = aa_eventlog_free(el);

	/* The restart extends the register and writes the record. */
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	ASSERT_EQ(fake_extends, 4);
	assert_consistent(4, 4);
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "after", -1));
	assert_consistent(5, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_crash_after_extend(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	crash_in_child(el, EXIT_AFTER_EXTEND, -1);
	ASSERT_TRUE(exists(wal_path));
	ASSERT_EQ(fake_extends, 4);
	el = aa_eventlog_free(el);

	/* The register already holds it: only the record is written, no second extension. */
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	ASSERT_EQ(fake_extends, 4);
	assert_consistent(4, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_crash_with_register_override(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	/* The WAL does not say which register was extended and upstream's recovery checks
	 * init_pcr's: a crash during an event sent to another register stops the next start
	 * ("fatal error when recovering") until the WAL is deleted. Mirrored as it is. */
	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	crash_in_child(el, EXIT_AFTER_EXTEND, 8);
	el = aa_eventlog_free(el);
	ASSERT_ERR(aa_eventlog_open(&fake, 17, log_path, wal_path, &el), -EKEYREJECTED);
	ASSERT_OK(unlink(wal_path));
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	assert_consistent(3, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_attester_fails(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	/* Nothing measured: the error comes back and no WAL is left to replay it. */
	fake_fault = FAIL_BEFORE_EXTEND;
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "not measured", -1), -EIO);
	ASSERT_TRUE(!exists(wal_path));
	assert_consistent(3, 4);
	/* Measured despite the error: recorded, and the call succeeds. */
	fake_fault = FAIL_AFTER_EXTEND;
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "measured", -1));
	assert_consistent(4, 4);
	fake_fault = FAULT_NONE;
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "next", -1));
	assert_consistent(5, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_record_write_fails(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	struct rlimit saved;

	scratch(DIGEST_SHA384);
	ASSERT_OK(getrlimit(RLIMIT_FSIZE, &saved));
	ASSERT_TRUE(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	fake_fault = FSIZE_AFTER_EXTEND;
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "unrecorded", -1), -EFBIG);
	ASSERT_OK(setrlimit(RLIMIT_FSIZE, &saved));
	fake_fault = FAULT_NONE;
	/* The register holds an event the log lacks: nothing more until the restart. */
	ASSERT_TRUE(exists(wal_path));
	ASSERT_ERR(aa_eventlog_extend(el, "domain", "operation", "refused", -1), -EIO);
	ASSERT_EQ(fake_extends, 4);
	el = aa_eventlog_free(el);

	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	ASSERT_EQ(fake_extends, 4);
	assert_consistent(4, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_crash_after_append(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_(buf_done) struct buf before = BUF_INIT(1 << 20), after = BUF_INIT(1 << 20);
	uint8_t reg[48];

	/* Appended but the WAL not yet removed: the restart rewrites the same bytes. */
	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "complete", -1));
	el = aa_eventlog_free(el);
	read_all(log_path, &before);
	memcpy(reg, fake_reg[4], 48);
	/* The WAL is big-endian offset | expected | text, written before the extension. */
	ASSERT_EQ(fake_wal_seen.len, 8 + 48 + strlen("domain operation complete"));
	ASSERT_EQ(fake_wal_seen.data[6] << 8 | fake_wal_seen.data[7],
		  3 * (14 + 48 + 4 + 8 + strlen("domain operation before the crash")));
	ASSERT_MEMEQ(fake_wal_seen.data + 8, reg, 48);
	write_all(wal_path, fake_wal_seen.data, fake_wal_seen.len);

	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	read_all(log_path, &after);
	ASSERT_EQ(after.len, before.len);
	ASSERT_MEMEQ(after.data, before.data, before.len);
	ASSERT_MEMEQ(fake_reg[4], reg, 48);
	assert_consistent(4, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_crash_mid_append(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_(buf_done) struct buf before = BUF_INIT(1 << 20), after = BUF_INIT(1 << 20);

	/* A torn record at the end: the restart writes it whole at its offset. */
	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	ASSERT_OK(aa_eventlog_extend(el, "domain", "operation", "torn", -1));
	el = aa_eventlog_free(el);
	read_all(log_path, &before);
	ASSERT_OK(truncate(log_path, (off_t) (before.len - 20)));
	write_all(wal_path, fake_wal_seen.data, fake_wal_seen.len);

	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	read_all(log_path, &after);
	ASSERT_EQ(after.len, before.len);
	ASSERT_MEMEQ(after.data, before.data, before.len);
	assert_consistent(4, 4);
	ASSERT_EQ(fake_extends, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

static void test_recovery_refuses_bad_wal(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_(buf_done) struct buf wal = BUF_INIT(1 << 20);
	uint8_t bad[8 + 48 + 32] = {};

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	three_events(el);
	crash_in_child(el, EXIT_BEFORE_EXTEND, -1);
	el = aa_eventlog_free(el);
	read_all(wal_path, &wal);

	/* Someone else extended the register meanwhile: matches neither state. */
	fake_reg[4][0] ^= 1;
	ASSERT_ERR(aa_eventlog_open(&fake, 17, log_path, wal_path, &el), -EKEYREJECTED);
	fake_reg[4][0] ^= 1;
	/* Shorter than offset + expected value. */
	write_all(wal_path, wal.data, 8 + 47);
	ASSERT_ERR(aa_eventlog_open(&fake, 17, log_path, wal_path, &el), -EBADMSG);
	/* Text that is not an event (one space) or not UTF-8. */
	memcpy(bad, wal.data, 8 + 48);
	memcpy(bad + 56, "only-one space", 14);
	write_all(wal_path, bad, 56 + 14);
	ASSERT_ERR(aa_eventlog_open(&fake, 17, log_path, wal_path, &el), -EBADMSG);
	memcpy(bad + 56, "a b \xc0\x80", 6);
	write_all(wal_path, bad, 56 + 6);
	ASSERT_ERR(aa_eventlog_open(&fake, 17, log_path, wal_path, &el), -EBADMSG);
	ASSERT_EQ(fake_extends, 3);

	/* The real one still recovers. */
	write_all(wal_path, wal.data, wal.len);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	assert_consistent(4, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

#define THREADS 6
#define PER_THREAD 25

static atomic_int extend_failures;

static void *extender(void *arg)
{
	struct aa_eventlog *el = arg;
	char content[64];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(content, sizeof(content), "thread %p event %d", (void *) &content, i);
		if (aa_eventlog_extend(el, "domain", "operation", content, -1) < 0)
			atomic_fetch_add(&extend_failures, 1);
	}
	return NULL;
}

static void test_concurrent_extends(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	pthread_t t[THREADS];

	scratch(DIGEST_SHA384);
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	for (int i = 0; i < THREADS; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, extender, el), 0);
	for (int i = 0; i < THREADS; i++)
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
	ASSERT_EQ(atomic_load(&extend_failures), 0);
	assert_consistent(THREADS * PER_THREAD, 4);
	el = aa_eventlog_free(el);
	scratch_done();
}

/* upstream attester/src/utils.rs EL_HEADER, typed from the source. */
static const uint8_t el_header[69] = {
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x0C, 0x00, 0x30, 0x00, 0x12, 0x00, 0x20, 0x00, 0x00,
};

static void cc_eventlog_decoded(struct buf *raw)
{
	buf_reset(raw);
	ASSERT_OK(aa_cc_eventlog(raw));
}

static void test_cc_eventlog_without_ccel(void)
{
	_cleanup_(aa_eventlog_freep) struct aa_eventlog *el = NULL;
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20), log = BUF_INIT(1 << 20);
	static const uint8_t ff[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	size_t trimmed;

	ASSERT_MEMEQ(aa_eventlog_el_header, el_header, sizeof(el_header));
	scratch(DIGEST_SHA384);
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", dir, 1));
	ASSERT_OK(setenv("AAEL_PATH", log_path, 1));

	/* Neither file: nothing at all (the evidence says null). */
	ASSERT_OK(buf_append_str(&out, "keep"));
	ASSERT_OK(aa_cc_eventlog(&out));
	ASSERT_STREQ(buf_str(&out), "keep");

	/* An empty AAEL still gives the header and the end mark. */
	ASSERT_OK(aa_eventlog_open(&fake, 17, log_path, wal_path, &el));
	cc_eventlog_decoded(&out);
	ASSERT_EQ(out.len, 69 + 8);
	ASSERT_MEMEQ(out.data, el_header, 69);
	ASSERT_MEMEQ(out.data + 69, ff, 8);

	three_events(el);
	read_all(log_path, &log);
	cc_eventlog_decoded(&out);
	ASSERT_EQ(out.len, 69 + log.len + 8);
	ASSERT_MEMEQ(out.data, el_header, 69);
	ASSERT_MEMEQ(out.data + 69, log.data, log.len);
	ASSERT_MEMEQ(out.data + 69 + log.len, ff, 8);
	/* The whole thing is a log the CCEL walker accepts, ending where the mark is. */
	ASSERT_OK(aa_eventlog_ccel_trim(out.data, out.len, &trimmed));
	ASSERT_EQ(trimmed, 69 + log.len);

	ASSERT_OK(unsetenv("AAEL_PATH"));
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
	el = aa_eventlog_free(el);
	scratch_done();
}

#define CCEL_END 9822

static void test_cc_eventlog_with_ccel(void)
{
	_cleanup_(buf_done) struct buf ccel = BUF_INIT(1 << 24), out = BUF_INIT(1 << 24);
	static const uint8_t ff[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	char acpi[PATH_MAX - 64], path[PATH_MAX], vec[PATH_MAX];
	const char *vdir = getenv("COCOBOX_VECTORS_DIR") ?: VECTORS_DIR;
	static const char aael[] = "not parsed here";
	size_t trimmed;

	/* COCOBOX_VECTORS_DIR points a build outside the usual layout at the vectors. */
	snprintf(vec, sizeof(vec), "%s/eventlog/CCEL_data", vdir);
	if (fs_read_file(AT_FDCWD, vec, &ccel) < 0)
		SKIP("no eventlog/CCEL_data in the vectors directory");
	ASSERT_OK(aa_eventlog_ccel_trim(ccel.data, ccel.len, &trimmed));
	/* The vectors README says the events are the first 5756 bytes: that is where the
	 * non-zero bytes end. The fifth event (EV_PLATFORM_CONFIG_FLAGS "td_payload_info" at
	 * 5640) declares 4116 bytes of data, a 4 KiB command-line buffer mostly zero, so the
	 * walk upstream does (and ours) stops at the all-zero header at 9822. */
	ASSERT_EQ(trimmed, CCEL_END);
	for (size_t i = 5756; i < CCEL_END + 8; i++)
		ASSERT_EQ(ccel.data[i], 0);
	ASSERT_TRUE(ccel.data[5755] != 0);

	scratch(DIGEST_SHA384);
	snprintf(acpi, sizeof(acpi), "%s/sys/firmware/acpi/tables/data", dir);
	ASSERT_OK(fs_mkdir_p(acpi, 0755));
	snprintf(path, sizeof(path), "%s/CCEL", acpi);
	write_all(path, ccel.data, ccel.len);
	ASSERT_OK(setenv("COCOBOX_ATTESTER_ROOT", dir, 1));
	ASSERT_OK(setenv("AAEL_PATH", log_path, 1));

	/* CCEL alone: trimmed, no header, end mark. */
	cc_eventlog_decoded(&out);
	ASSERT_EQ(out.len, CCEL_END + 8);
	ASSERT_MEMEQ(out.data, ccel.data, CCEL_END);
	ASSERT_MEMEQ(out.data + CCEL_END, ff, 8);

	/* With an AAEL: appended as it is, still no header. */
	snprintf(path, sizeof(path), "%s/aael", dir);
	write_all(path, aael, strlen(aael));
	ASSERT_OK(setenv("AAEL_PATH", path, 1));
	cc_eventlog_decoded(&out);
	ASSERT_EQ(out.len, CCEL_END + strlen(aael) + 8);
	ASSERT_MEMEQ(out.data, ccel.data, CCEL_END);
	ASSERT_MEMEQ(out.data + CCEL_END, aael, strlen(aael));
	ASSERT_MEMEQ(out.data + CCEL_END + strlen(aael), ff, 8);

	/* A CCEL cut short of its end fails the evidence, as upstream. */
	snprintf(path, sizeof(path), "%s/CCEL", acpi);
	write_all(path, ccel.data, 5000);
	buf_reset(&out);
	ASSERT_ERR(aa_cc_eventlog(&out), -EBADMSG);
	ASSERT_EQ(out.len, 0);

	ASSERT_OK(unsetenv("AAEL_PATH"));
	ASSERT_OK(unsetenv("COCOBOX_ATTESTER_ROOT"));
	scratch_done();
}

static void test_ccel_trim_edges(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	size_t n;
	uint8_t rec0[14 + 48] = {};

	/* Too short for the first header. */
	ASSERT_ERR(aa_eventlog_ccel_trim(el_header, 7, &n), -EBADMSG);
	/* Header, then the end of the buffer instead of a mark. */
	ASSERT_ERR(aa_eventlog_ccel_trim(el_header, 69, &n), -EBADMSG);
	/* Header and an all-zero mark. */
	ASSERT_OK(buf_append(&b, el_header, 69));
	ASSERT_OK(buf_append(&b, rec0, 8));
	ASSERT_OK(aa_eventlog_ccel_trim(b.data, b.len, &n));
	ASSERT_EQ(n, 69);

	/* A record with an unknown digest algorithm. */
	buf_truncate(&b, 69);
	rec0[0] = 1;
	rec0[8] = 1;  /* one digest */
	rec0[12] = 4; /* SHA-1: not walked by upstream */
	ASSERT_OK(buf_append(&b, rec0, sizeof(rec0)));
	ASSERT_ERR(aa_eventlog_ccel_trim(b.data, b.len, &n), -EBADMSG);

	/* A first event that is not EV_NO_ACTION: its event data is not skipped. */
	buf_reset(&b);
	ASSERT_OK(buf_append(&b, el_header, 28));
	b.data[4] = 0x0D;
	ASSERT_OK(buf_append(&b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8));
	ASSERT_OK(aa_eventlog_ccel_trim(b.data, b.len, &n));
	ASSERT_EQ(n, 28);

	/* A size that points far past the end (and past 4 GiB on 32-bit sums). */
	buf_reset(&b);
	ASSERT_OK(buf_append(&b, el_header, 28));
	ASSERT_OK(buf_append(&b, "\xff\xff\xff\xff", 4));
	ASSERT_ERR(aa_eventlog_ccel_trim(b.data, b.len, &n), -EBADMSG);
}

TESTS(test_upstream_vectors, test_record_layout, test_extend_and_replay,
      test_register_index_override, test_newline_rejected, test_unsupported,
      test_crash_after_wal_write, test_crash_after_extend, test_crash_with_register_override,
      test_attester_fails, test_record_write_fails, test_crash_after_append, test_crash_mid_append,
      test_recovery_refuses_bad_wal, test_concurrent_extends, test_cc_eventlog_without_ccel,
      test_cc_eventlog_with_ccel, test_ccel_trim_edges)
