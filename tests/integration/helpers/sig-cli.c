/* SPDX-License-Identifier: Apache-2.0 */
/* Test driver for image-rs/signature, so real gpg, skopeo and openssl output can be fed
 * to our verifier. Not installed. Exit 0 accepted, 1 refused (stderr: "error: <ERRNO>:
 * <reason>"), 2 usage.
 *   sig-cli pgp-verify KEYRING SIGNATURE        prints the signed payload
 *   sig-cli yaml FILE                           parses a lookaside config, prints the base
 *                                               URL for IMAGE if given as a 2nd argument
 *   sig-cli check POLICY IMAGE MANIFEST-DIGEST [--index DIGEST] [--sigstore YAML]...
 *                 [--cosign DIR] [--now SECONDS] [--repeat N]
 *       Evaluates POLICY for IMAGE. keyPath and lookaside URIs are file:// or plain paths;
 *       --cosign DIR holds the signature manifest DIR/manifest.json and its blobs as
 *       DIR/blobs/<alg>/<hex> (an OCI layout's blob store). --repeat N evaluates N times
 *       and prints the mean time per evaluation in microseconds on stdout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image-rs/signature/cosign.h"
#include "image-rs/signature/openpgp.h"
#include "image-rs/reference.h"
#include "image-rs/signature/policy.h"
#include "image-rs/signature/simple.h"

static int read_file(const char *path, struct buf *b)
{
	_cleanup_close_ int fd = -EBADF;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return buf_read_fd(b, fd);
}

static const char *errname(int r)
{
	static const struct {
		int e;
		const char *name;
	} t[] = {
		{ EKEYREJECTED, "EKEYREJECTED" },
		{ EBADMSG, "EBADMSG" },
		{ ENOENT, "ENOENT" },
		{ EPERM, "EPERM" },
		{ EINVAL, "EINVAL" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
		{ EKEYEXPIRED, "EKEYEXPIRED" },
		{ EKEYREVOKED, "EKEYREVOKED" },
		{ E2BIG, "E2BIG" },
		{ ENOKEY, "ENOKEY" },
		{ ENOMEM, "ENOMEM" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (-r == t[i].e)
			return t[i].name;
	return "EOTHER";
}

static int fail(int r, const struct buf *why)
{
	fprintf(stderr, "error: %s: %s\n", errname(r),
		why && why->len ? buf_str(why) : strerror(-r));
	return 1;
}

static int fetch(void *ud, const char *uri, struct buf *out)
{
	const char *path = startswith(uri, "file://");

	(void) ud;
	if (!path) {
		if (strstr(uri, "://"))
			return -EOPNOTSUPP;
		path = uri;
	}
	return read_file(path, out);
}

struct cosign_dir {
	const char *dir;
};

static int cosign_manifest(void *ud, const struct sig_image *img, struct buf *out)
{
	const struct cosign_dir *c = ud;
	char path[4096];

	(void) img;
	if (!c->dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/manifest.json", c->dir);
	return read_file(path, out);
}

static int cosign_blob(void *ud, const struct sig_image *img, const char *digest, struct buf *out)
{
	const struct cosign_dir *c = ud;
	const char *colon = strchr(digest, ':');
	char path[4096];

	(void) img;
	if (!colon || strchr(digest, '/'))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/blobs/%.*s/%s", c->dir, (int) (colon - digest), digest,
		 colon + 1);
	return read_file(path, out);
}

static int cmd_pgp_verify(int argc, char **argv)
{
	_cleanup_(buf_done) struct buf k = BUF_INIT(OPENPGP_MAX_INPUT);
	_cleanup_(buf_done) struct buf s = BUF_INIT(OPENPGP_MAX_INPUT);
	_cleanup_(buf_done) struct buf payload = BUF_INIT(OPENPGP_MAX_LITERAL);
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = NULL;
	const struct openpgp_key *key = NULL;
	char hex[2 * OPENPGP_FPR_SIZE + 1];
	int r;

	if (argc != 4)
		return 2;
	r = read_file(argv[2], &k);
	if (r == 0)
		r = read_file(argv[3], &s);
	if (r < 0)
		return fail(r, NULL);
	r = openpgp_keyring_parse(k.data, k.len, &kr);
	if (r < 0)
		return fail(r, NULL);
	r = openpgp_verify(kr, s.data, s.len, (uint64_t) time(NULL), &key, &payload);
	if (r < 0)
		return fail(r, NULL);
	fprintf(stderr, "key %s\n", digest_hex(key->fpr, OPENPGP_FPR_SIZE, hex));
	fwrite(payload.data, 1, payload.len, stdout);
	return 0;
}

static int cmd_yaml(int argc, char **argv)
{
	_cleanup_(buf_done) struct buf y = BUF_INIT(SIMPLE_CONFIG_MAX_SIZE + 1);
	_cleanup_(simple_config_freep) struct simple_config *c = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	struct sig_image img = {};
	const char *url;
	int r;

	if (argc != 3 && argc != 4)
		return 2;
	r = read_file(argv[2], &y);
	if (r == 0)
		r = simple_config_parse(y.data, y.len, &c);
	if (r < 0)
		return fail(r, NULL);
	if (argc == 4) {
		r = reference_parse(argv[3], &ref, NULL);
		if (r < 0)
			return fail(r, NULL);
		if (policy_image_from_reference(ref, &img) < 0)
			return 0;
		url = simple_config_base_url(c, &img);
		printf("%s\n", url ? url : "(none)");
	}
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	_cleanup_(buf_done) struct buf pj = BUF_INIT(POLICY_MAX_SIZE + 1);
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(simple_config_freep) struct simple_config *cfg = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	struct cosign_dir cd = {};
	struct sig_image img = {};
	unsigned long repeat = 0;
	struct timespec t0, t1;
	struct sig_env env = { .fetch = fetch,
			       .cosign_manifest = cosign_manifest,
			       .cosign_blob = cosign_blob,
			       .ud = &cd };
	int r;

	if (argc < 5)
		return 2;
	r = read_file(argv[2], &pj);
	if (r < 0)
		return fail(r, NULL);
	r = policy_parse(pj.data, pj.len, &pol);
	if (r < 0)
		return fail(r, NULL);
	r = reference_parse(argv[3], &ref, NULL);
	if (r < 0)
		return fail(r, NULL);
	if (policy_image_from_reference(ref, &img) < 0)
		return 0;
	img.manifest_digest = argv[4];
	for (int i = 5; i < argc; i++) {
		if (i + 1 >= argc)
			return 2;
		if (streq(argv[i], "--index"))
			img.index_digest = argv[++i];
		else if (streq(argv[i], "--cosign"))
			cd.dir = argv[++i];
		else if (streq(argv[i], "--repeat"))
			repeat = strtoul(argv[++i], NULL, 10);
		else if (streq(argv[i], "--now"))
			env.now = strtoull(argv[++i], NULL, 10);
		else if (streq(argv[i], "--sigstore")) {
			_cleanup_(buf_done) struct buf y = BUF_INIT(SIMPLE_CONFIG_MAX_SIZE + 1);
			_cleanup_(simple_config_freep) struct simple_config *one = NULL;

			r = read_file(argv[++i], &y);
			if (r == 0)
				r = simple_config_parse(y.data, y.len, &one);
			if (r < 0)
				return fail(r, NULL);
			if (!cfg)
				cfg = steal_ptr(one);
			else if ((r = simple_config_merge(cfg, one)) < 0)
				return fail(r, NULL);
		} else
			return 2;
	}
	env.sigstore = cfg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < MAX(repeat, 1ul); i++) {
		r = policy_check(pol, &img, &env, &why);
		if (r < 0)
			return fail(r, &why);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (repeat)
		printf("%.0f\n", ((double) (t1.tv_sec - t0.tv_sec) * 1e9 +
				  (double) (t1.tv_nsec - t0.tv_nsec)) /
				     1e3 / (double) repeat);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;

	if (argc >= 2 && streq(argv[1], "pgp-verify"))
		r = cmd_pgp_verify(argc, argv);
	else if (argc >= 2 && streq(argv[1], "yaml"))
		r = cmd_yaml(argc, argv);
	else if (argc >= 2 && streq(argv[1], "check"))
		r = cmd_check(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: sig-cli pgp-verify|yaml|check ... (see the source)\n");
	return r;
}
