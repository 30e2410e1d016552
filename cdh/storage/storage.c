/* SPDX-License-Identifier: Apache-2.0 */
/* SecureMount block-device options and the pure steps around them (upstream.md §5.6;
 * guest-components confidential-data-hub/hub/src/storage/volume_type/blockdevice/mod.rs,
 * drivers/luks2.rs, drivers/filesystem.rs). Nothing here touches a device. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdh/storage/storage.h"
#include "common/b64.h"
#include "common/crypto.h"
#include "common/macro.h"

void cdh_storage_opts_done(struct cdh_storage_opts *o)
{
	free(o->mkfs_copy);
	o->mkfs_copy = NULL;
	o->n_mkfs_args = 0;
}

static bool is_uint(const char *s, size_t n)
{
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return true;
}

static bool valid_device_id(const char *s)
{
	const char *c = strchr(s, ':');

	return c && is_uint(s, (size_t) (c - s)) && is_uint(c + 1, strlen(c + 1));
}

static bool valid_mapper_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CDH_STORAGE_MAPPER_NAME_MAX || streq(s, ".") || streq(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char) s[i] < 0x21 || (unsigned char) s[i] > 0x7e)
			return false;
	return true;
}

static int uuid4(char out[37])
{
	uint8_t u[16];
	int r = crypto_random(u, sizeof u);

	if (r < 0)
		return r;
	u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return 0;
}

static int classify_key(struct cdh_storage_opts *o, const char *k, struct cdh_error *err)
{
	if (startswith(k, "sealed.")) {
		o->key_kind = CDH_STORAGE_KEY_SEALED;
		o->key = k;
	} else if (startswith(k, "kbs://")) {
		o->key_kind = CDH_STORAGE_KEY_URI;
		o->key = k;
	} else if (startswith(k, "file://")) {
		o->key_kind = CDH_STORAGE_KEY_FILE;
		o->key = k + strlen("file://");
		if (o->key[0] != '/')
			return cdh_error_set(err, -EINVAL,
					     "secure mount: key file:// path must be absolute");
	} else
		return cdh_error_set(err, -EINVAL,
				     "secure mount: key is neither sealed., kbs:// nor file://");
	return 0;
}

static int split_mkfs(struct cdh_storage_opts *o, const char *s, struct cdh_error *err)
{
	char *p;

	o->mkfs_copy = strdup(s);
	if (!o->mkfs_copy)
		return -ENOMEM;
	p = o->mkfs_copy;
	for (;;) {
		/* ASCII whitespace, as Rust's split_ascii_whitespace. */
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		if (!*p)
			break;
		if (o->n_mkfs_args == CDH_STORAGE_MKFS_ARGS_MAX)
			return cdh_error_set(err, -E2BIG,
					     "secure mount: mkfsOpts has over %u words",
					     CDH_STORAGE_MKFS_ARGS_MAX);
		o->mkfs_args[o->n_mkfs_args++] = p;
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f'))
			p++;
		if (*p)
			*p++ = 0;
	}
	o->mkfs_args[o->n_mkfs_args] = NULL;
	return 0;
}

int cdh_storage_parse(const char *const *keys, const char *const *values, size_t n,
		      struct cdh_storage_opts *o, struct cdh_error *err)
{
	const char *source = NULL, *enc = NULL, *target = NULL, *fs = NULL, *mkfs = NULL,
		   *integrity = NULL, *mapper = NULL, *key = NULL;
	int r;

	*o = (struct cdh_storage_opts){};
	for (size_t i = 0; i < n; i++) {
		static const char *const names[] = { "deviceId",   "devicePath",
						     "sourceType", "encryptionType",
						     "targetType", "filesystemType",
						     "mkfsOpts",   "dataIntegrity",
						     "mapperName", "key" };
		const char **slot[] = { &o->device_id, &o->device_path, &source, &enc, &target, &fs,
					&mkfs,         &integrity,      &mapper, &key };

		if (!keys[i] || !values[i])
			return cdh_error_set(err, -EINVAL, "secure mount: option without value");
		for (size_t j = 0; j < ELEMENTSOF(names); j++) {
			if (!streq(keys[i], names[j]))
				continue;
			if (strlen(values[i]) > CDH_STORAGE_OPTION_MAX)
				return cdh_error_set(err, -EINVAL,
						     "secure mount: option %s too long", names[j]);
			*slot[j] = values[i];
		}
	}

	if (o->device_id) {
		if (!valid_device_id(o->device_id))
			return cdh_error_set(err, -EINVAL,
					     "secure mount: deviceId must be MAJOR:MINOR");
	} else if (o->device_path) {
		if (o->device_path[0] != '/')
			return cdh_error_set(err, -EINVAL,
					     "secure mount: devicePath must be absolute");
	} else
		return cdh_error_set(err, -EINVAL,
				     "secure mount: neither deviceId nor devicePath given");

	if (!source || streq(source, "empty"))
		o->source = CDH_STORAGE_SOURCE_EMPTY;
	else if (streq(source, "encrypted"))
		o->source = CDH_STORAGE_SOURCE_ENCRYPTED;
	else
		return cdh_error_set(err, -EINVAL, "secure mount: unknown sourceType %s", source);

	if (!enc)
		return cdh_error_set(err, -EINVAL, "secure mount: encryptionType missing");
	if (streq(enc, "zfs"))
		return cdh_error_set(
		    err, -EOPNOTSUPP,
		    "secure mount: encryptionType zfs is not supported in cocobox");
	if (!streq(enc, "luks2"))
		return cdh_error_set(err, -EINVAL, "secure mount: unknown encryptionType %s", enc);

	if (!target || streq(target, "fileSystem"))
		o->target = CDH_STORAGE_TARGET_FILESYSTEM;
	else if (streq(target, "device"))
		o->target = CDH_STORAGE_TARGET_DEVICE;
	else
		return cdh_error_set(err, -EINVAL, "secure mount: unknown targetType %s", target);

	if (fs && !streq(fs, "ext4"))
		return cdh_error_set(
		    err, -EINVAL, "secure mount: filesystemType %s (only ext4 is supported)", fs);

	o->integrity = integrity && streq(integrity, "true");

	if (key) {
		r = classify_key(o, key, err);
		if (r < 0)
			return r;
	} else {
		o->key_kind = CDH_STORAGE_KEY_RANDOM;
		if (o->source == CDH_STORAGE_SOURCE_ENCRYPTED)
			return cdh_error_set(err, -EINVAL,
					     "secure mount: an encrypted source needs a key");
	}

	if (mapper) {
		if (!valid_mapper_name(mapper))
			return cdh_error_set(err, -EINVAL, "secure mount: bad mapperName");
		memcpy(o->mapper_name, mapper, strlen(mapper) + 1);
	} else {
		r = uuid4(o->mapper_name);
		if (r < 0)
			return r;
	}

	if (mkfs) {
		r = split_mkfs(o, mkfs, err);
		if (r < 0) {
			cdh_storage_opts_done(o);
			return r == -ENOMEM ? cdh_error_set(err, r, "out of memory") : r;
		}
	}
	return 0;
}

int cdh_storage_uevent_devname(const char *text, size_t n, char *out, size_t outsz)
{
	const char *p = text, *end = text + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t) (end - p)) ?: end;
		size_t len = (size_t) (eol - p);

		if (len > 8 && memcmp(p, "DEVNAME=", 8) == 0) {
			const char *name = p + 8;
			size_t nl = len - 8;

			if (nl == 0 || memchr(name, 0, nl))
				return -EBADMSG;
			/* "..": no component may climb out of /dev. */
			for (size_t i = 0; i + 1 < nl; i++)
				if (name[i] == '.' && name[i + 1] == '.' &&
				    (i == 0 || name[i - 1] == '/') &&
				    (i + 2 == nl || name[i + 2] == '/'))
					return -EBADMSG;
			if (5 + nl + 1 > outsz)
				return -ENAMETOOLONG;
			memcpy(out, "/dev/", 5);
			memcpy(out + 5, name, nl);
			out[5 + nl] = 0;
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int cdh_storage_device_from_id(const char *sysfs_root, const char *device_id, char *out,
			       size_t outsz)
{
	_cleanup_(buf_done) struct buf path = BUF_INIT(4096), text = BUF_INIT(64 << 10);
	_cleanup_close_ int fd = -1;
	int r;

	if (!valid_device_id(device_id))
		return -EINVAL;
	r = buf_appendf(&path, "%s/dev/block/%s/uevent", sysfs_root ?: "/sys", device_id);
	if (r < 0)
		return r;
	fd = open(buf_str(&path), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = buf_read_fd(&text, fd);
	if (r < 0)
		return r;
	return cdh_storage_uevent_devname((const char *) text.data, text.len, out, outsz);
}

int cdh_storage_header_path(const char *run_dir, const char *device_path, struct buf *out)
{
	int r;

	if (!run_dir)
		run_dir = getenv("CDH_RUN_DIR") ?: "/run/confidential-containers/cdh";
	r = buf_appendf(out, "%s/luks-headers/", run_dir);
	if (r < 0)
		return r;
	r = b64_encode(B64_URL_NOPAD, device_path, strlen(device_path), out);
	if (r < 0)
		return r;
	return buf_append_str(out, ".header");
}

int cdh_storage_parse_backups(const char *text, size_t n, uint64_t *blocks, size_t max,
			      size_t *ret_n)
{
	static const char label[] = "Superblock backups stored on blocks:";
	const char *end = text + n, *p;
	size_t k = 0, got = 0;

	if (max == 0)
		return -E2BIG;
	blocks[k++] = 0;
	p = memmem(text, n, label, sizeof label - 1);
	if (p) {
		p += sizeof label - 1;
		for (;;) {
			uint64_t v = 0;
			size_t digits = 0;

			while (p < end &&
			       (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n' || *p == '\r'))
				p++;
			while (p < end && isdigit((unsigned char) *p)) {
				v = v * 10 + (uint64_t) (*p++ - '0');
				if (v > (UINT64_C(1) << 48))
					return -EBADMSG;
				digits++;
			}
			if (digits == 0)
				break;
			if (k == max)
				return -E2BIG;
			blocks[k++] = v;
			got++;
		}
		if (got == 0)
			return -EBADMSG;
	}
	*ret_n = k;
	return 0;
}

int cdh_storage_mkfs_argv(const struct cdh_storage_opts *o, const char *device, struct buf *ext_buf,
			  const char **argv, size_t argv_max)
{
	size_t k = 0, last_e = SIZE_MAX;
	bool has_lazy = false;
	int r;

	if (argv_max < 4 + o->n_mkfs_args + 2 + 1)
		return -E2BIG;
	argv[k++] = "mkfs.ext4";
	argv[k++] = "-F";
	for (size_t i = 0; i < o->n_mkfs_args; i++) {
		const char *a = o->mkfs_args[i];

		argv[k] = a;
		if (streq(a, "-E") && i + 1 < o->n_mkfs_args) {
			last_e = k + 1;
			has_lazy |= strstr(o->mkfs_args[i + 1], "lazy_itable_init") != NULL;
		} else if (startswith(a, "-E") && a[2]) {
			last_e = k;
			has_lazy |= strstr(a, "lazy_itable_init") != NULL;
		}
		k++;
	}
	if (o->integrity && !has_lazy) {
		/* Every block must be written once under dm-integrity (no wipe), so the inode
		 * tables cannot be left for lazy init to read back as integrity errors. */
		if (last_e == SIZE_MAX) {
			argv[k++] = "-E";
			argv[k++] = "lazy_itable_init=0";
		} else {
			r = buf_appendf(ext_buf, "%s,lazy_itable_init=0", argv[last_e]);
			if (r < 0)
				return r;
			argv[last_e] = buf_str(ext_buf);
		}
	}
	/* Device last: a static mke2fs on musl does not permute options after operands. */
	argv[k++] = device;
	argv[k] = NULL;
	return (int) k;
}
