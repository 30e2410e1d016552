/* SPDX-License-Identifier: Apache-2.0 */
/* SecureMount block-device (upstream.md §5.6; guest-components confidential-data-hub/hub/
 * src/storage/drivers/{luks2.rs,filesystem.rs}): the steps upstream drives through the
 * cryptsetup and dd CLIs, done through libcryptsetup and pwrite(O_DIRECT). Each step that
 * makes something records it in struct mount_state; undo() takes them back in reverse. */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdh/storage/block-device.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/macro.h"

struct mount_state {
	char header[4096];
	bool header_made, active, mounted, linked;
	const char *name, *mount_point;
};

static void undo(struct mount_state *s)
{
	if (s->linked)
		(void) unlink(s->mount_point);
	if (s->mounted)
		(void) umount2(s->mount_point, MNT_DETACH);
	if (s->active) {
		struct crypt_device *cd = NULL;

		if (crypt_init_by_name(&cd, s->name) == 0) {
			(void) crypt_deactivate(cd, s->name);
			crypt_free(cd);
		}
	}
	if (s->header_made)
		(void) unlink(s->header);
}

/* Runs argv (argv[0] searched in PATH); stdout into out (if not NULL, at most 64 KiB). */
static int run(const char *const *argv, struct buf *out)
{
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *) argv);
		_exit(127);
	}
	close(p[1]);
	if (out)
		(void) buf_read_fd(out, p[0]);
	else {
		char sink[512];

		while (read(p[0], sink, sizeof sink) > 0)
			;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Zeroes the 4 KiB blocks mkfs.ext4 will read before writing (superblock and backups):
 * under dm-integrity without wipe they were never written and would read as I/O errors. */
static int zero_superblocks(const char *dev, struct cdh_error *err)
{
	const char *argv[] = { "mkfs.ext4", "-F", "-n", dev, NULL };
	_cleanup_(buf_done) struct buf out = BUF_INIT(64 << 10);
	uint64_t blocks[CDH_STORAGE_BACKUPS_MAX];
	_cleanup_close_ int fd = -1;
	void *zero = NULL;
	size_t n;
	int r;

	r = run(argv, &out);
	if (r < 0)
		return cdh_error_set(err, r, "secure mount: mkfs.ext4 -n %s failed", dev);
	r = cdh_storage_parse_backups((const char *) out.data, out.len, blocks, ELEMENTSOF(blocks),
				      &n);
	if (r < 0)
		return cdh_error_set(err, r, "secure mount: cannot parse mkfs.ext4 -n output");
	fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return cdh_error_set(err, -errno, "secure mount: open %s: %m", dev);
	if (posix_memalign(&zero, 4096, 4096) != 0)
		return -ENOMEM;
	memset(zero, 0, 4096);
	for (size_t i = 0; i < n; i++)
		if (pwrite(fd, zero, 4096, (off_t) (blocks[i] * 4096)) != 4096) {
			r = cdh_error_set(err, -EIO, "secure mount: zeroing block %llu failed",
					  (unsigned long long) blocks[i]);
			break;
		}
	free(zero);
	return r < 0 ? r : 0;
}

static int format_header(struct mount_state *s, const char *dev, const struct cdh_storage_opts *o,
			 const struct secret *key, struct cdh_error *err)
{
	struct crypt_params_luks2 p = { .sector_size = 4096 };
	/* A random 4096-byte key has no entropy to stretch: one PBKDF2 pass set (the library
	 * minimum, no benchmark) instead of the CLI's benchmarked argon2id, which costs
	 * seconds and up to 1 GiB under TCG. Keys from a caller may be passphrases, so they
	 * keep libcryptsetup's default, as upstream's CLI gets. */
	struct crypt_pbkdf_type cheap = { .type = CRYPT_KDF_PBKDF2,
					  .hash = "sha256",
					  .iterations = 1000,
					  .flags = CRYPT_PBKDF_NO_BENCHMARK };
	struct crypt_device *cd = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	fd = open(s->header, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return cdh_error_set(err, -errno, "secure mount: create header %s: %m", s->header);
	s->header_made = true;
	if (ftruncate(fd, CDH_STORAGE_HEADER_SIZE) < 0)
		return cdh_error_set(err, -errno, "secure mount: size header: %m");
	if (o->integrity)
		p.integrity = "hmac(sha256)";
	r = crypt_init_data_device(&cd, s->header, dev);
	if (r < 0)
		return cdh_error_set(err, r, "secure mount: cannot open %s", dev);
	if (o->key_kind == CDH_STORAGE_KEY_RANDOM)
		r = crypt_set_pbkdf_type(cd, &cheap);
	if (r >= 0)
		/* aes-xts-plain64 with a 512-bit key, as the CLI's default for LUKS2. */
		r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL, 64, &p);
	if (r >= 0)
		r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0,
						    (const char *) key->p, key->n);
	crypt_free(cd);
	if (r < 0)
		return cdh_error_set(err, r, "secure mount: luksFormat %s failed", dev);
	return 0;
}

static int open_device(struct mount_state *s, const char *dev, const struct cdh_storage_opts *o,
		       const struct secret *key, bool detached, struct cdh_error *err)
{
	struct crypt_device *cd = NULL;
	int r;

	r = detached ? crypt_init_data_device(&cd, s->header, dev) : crypt_init(&cd, dev);
	if (r >= 0)
		r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (r >= 0)
		r = crypt_activate_by_passphrase(cd, o->mapper_name, CRYPT_ANY_SLOT,
						 (const char *) key->p, key->n,
						 o->integrity ? CRYPT_ACTIVATE_NO_JOURNAL : 0);
	crypt_free(cd);
	if (r < 0)
		return cdh_error_set(err, r, "secure mount: luksOpen %s failed", dev);
	s->active = true;
	return 0;
}

int cdh_storage_block_device_mount(const struct cdh_storage_env *env,
				   const struct cdh_storage_opts *o, const char *mount_point,
				   struct cdh_error *err)
{
	struct mount_state s = { .name = o->mapper_name, .mount_point = mount_point };
	_cleanup_(buf_done) struct buf hdr = BUF_INIT(sizeof s.header - 1), ext = BUF_INIT(4096);
	_cleanup_secret_ struct secret *key = NULL;
	char dev[4096], mapper[256];
	const char *argv[CDH_STORAGE_MKFS_ARGS_MAX + 8];
	struct stat st;
	int r;

	if (o->device_id) {
		r = cdh_storage_device_from_id(env->sysfs_root, o->device_id, dev, sizeof dev);
		if (r < 0)
			return cdh_error_set(err, r, "secure mount: device %s not found: %s",
					     o->device_id, strerror(-r));
	} else
		snprintf(dev, sizeof dev, "%s", o->device_path);
	if (stat(dev, &st) < 0)
		return cdh_error_set(err, -errno, "secure mount: %s: %m", dev);
	if (!S_ISBLK(st.st_mode))
		return cdh_error_set(err, -ENOTBLK, "secure mount: %s is not a block device", dev);

	if (o->key_kind == CDH_STORAGE_KEY_RANDOM) {
		key = secret_alloc(CDH_STORAGE_RANDOM_KEY_SIZE);
		if (!key)
			return -ENOMEM;
		r = crypto_random(key->p, key->n);
	} else
		r = env->get_key(env->key_ud, o, &key, err);
	if (r < 0)
		return err->message[0]
			   ? r
			   : cdh_error_set(err, r, "secure mount: key: %s", strerror(-r));

	snprintf(mapper, sizeof mapper, "/dev/mapper/%s", o->mapper_name);
	if (o->source == CDH_STORAGE_SOURCE_EMPTY) {
		r = cdh_storage_header_path(env->run_dir, dev, &hdr);
		if (r < 0)
			return cdh_error_set(err, r, "secure mount: header path too long");
		memcpy(s.header, buf_str(&hdr), hdr.len + 1);
		*strrchr(buf_str(&hdr), '/') = 0;
		r = fs_mkdir_p(buf_str(&hdr), 0700);
		if (r < 0)
			return cdh_error_set(err, r, "secure mount: header directory: %s",
					     strerror(-r));
		r = format_header(&s, dev, o, key, err);
		if (r >= 0)
			r = open_device(&s, dev, o, key, true, err);
	} else
		r = open_device(&s, dev, o, key, false, err);
	key = secret_free(key);
	if (r < 0)
		goto fail;

	if (o->target == CDH_STORAGE_TARGET_DEVICE) {
		/* Kata made mount_point as a directory; the device takes its place. */
		(void) rmdir(mount_point);
		if (symlink(mapper, mount_point) < 0) {
			r = cdh_error_set(err, -errno, "secure mount: symlink %s: %m", mount_point);
			goto fail;
		}
		s.linked = true;
		return 0;
	}
	if (o->source == CDH_STORAGE_SOURCE_EMPTY) {
		if (o->integrity) {
			r = zero_superblocks(mapper, err);
			if (r < 0)
				goto fail;
		}
		r = cdh_storage_mkfs_argv(o, mapper, &ext, argv, ELEMENTSOF(argv));
		if (r >= 0)
			r = run(argv, NULL);
		if (r < 0) {
			cdh_error_set(err, r, "secure mount: mkfs.ext4 %s failed", mapper);
			goto fail;
		}
	}
	if (mount(mapper, mount_point, "ext4", MS_NOATIME, "") < 0) {
		r = cdh_error_set(err, -errno, "secure mount: mount %s on %s: %m", mapper,
				  mount_point);
		goto fail;
	}
	s.mounted = true;
	log_info("secure mount: %s (%s) on %s", dev, o->mapper_name, mount_point);
	return 0;
fail:
	undo(&s);
	return r;
}
