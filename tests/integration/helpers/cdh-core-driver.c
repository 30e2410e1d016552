/* SPDX-License-Identifier: Apache-2.0 */
/* Drives the CDH's network-free core for test-cdh-core.sh, with offline_fs_kbc as the
 * getter and a "test" envelope provider (DEK = encrypted_key XOR 0x5a, as
 * tests/unit/cdh/data/make-fixtures.py):
 *   cdh-core-driver unseal KEYDIR RESOURCES.json SEALED_FILE [skip]  plaintext to stdout
 *   cdh-core-driver unwrap RESOURCES.json REQUEST_FILE               reply JSON to stdout
 *   cdh-core-driver optsdata REPLY_FILE                              the optsdata bytes
 * Exit 0 on success; on failure the -errno and reason go to stderr, exit 1. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cdh/keyprovider.h"
#include "cdh/kms/offline-fs.h"
#include "cdh/secret.h"
#include "common/fs.h"

static int test_decrypt(void *ud, const char *provider, const char *key_id,
			struct json_object *annotations, const uint8_t *enc, size_t n,
			struct secret **ret)
{
	struct secret *s;

	(void) ud, (void) key_id, (void) annotations;
	if (!streq(provider, "test"))
		return -EOPNOTSUPP;
	s = secret_alloc(n);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s->p[i] = enc[i] ^ 0x5a;
	*ret = s;
	return 0;
}

static int kms_get(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	return offline_fs_get(ud, uri, ret);
}

static int emit(const uint8_t *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : -EIO;
}

static int run(int argc, char **argv)
{
	_cleanup_(offline_fs_freep) struct offline_fs *ofs = NULL;
	_cleanup_(buf_done) struct buf in = BUF_INIT(8u << 20);
	_cleanup_secret_ struct secret *out = NULL;
	struct cdh_error err = {};
	struct cdh_kms kms;
	int r;

	if (argc == 3 && streq(argv[1], "optsdata")) {
		r = fs_read_file(AT_FDCWD, argv[2], &in);
		if (r >= 0)
			r = cdh_keyprovider_parse_unwrap_response(in.data, in.len, &out);
		return r < 0 ? r : emit(out->p, out->n);
	}
	if (argc >= 5 && streq(argv[1], "unseal")) {
		struct cdh_secret_opts o = { .kms = &kms,
					     .key_dir = argv[2],
					     .skip_verification = argc > 5 &&
								  streq(argv[5], "skip") };

		r = offline_fs_new("/nonexistent", "/nonexistent", argv[3], &ofs);
		if (r < 0)
			return r;
		kms = (struct cdh_kms){ .get_resource = kms_get,
					.decrypt = test_decrypt,
					.ud = ofs };
		r = fs_read_file(AT_FDCWD, argv[4], &in);
		if (r < 0)
			return r;
		while (in.len && in.data[in.len - 1] == '\n')
			buf_truncate(&in, in.len - 1);
		r = cdh_secret_unseal(&o, in.data, in.len, &out, &err);
	} else if (argc == 4 && streq(argv[1], "unwrap")) {
		r = offline_fs_new("/nonexistent", "/nonexistent", argv[2], &ofs);
		if (r < 0)
			return r;
		kms = offline_fs_kms(ofs);
		r = fs_read_file(AT_FDCWD, argv[3], &in);
		if (r < 0)
			return r;
		r = cdh_keyprovider_unwrap_key(&kms, in.data, in.len, &out, NULL, &err);
	} else {
		fprintf(stderr, "usage: see the header of cdh-core-driver.c\n");
		return -EINVAL;
	}
	if (r < 0) {
		fprintf(stderr, "error %d: %s\n", r, err.message);
		return r;
	}
	return emit(out->p, out->n);
}

int main(int argc, char **argv)
{
	int r = run(argc, argv);

	if (r < 0)
		fprintf(stderr, "cdh-core-driver: %s\n", strerror(-r));
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
