/* SPDX-License-Identifier: Apache-2.0 */
/* image-pull: pull an image and unpack it in-process, no daemon (debug images,
 * benchmarks). The image comes from its registry (image-rs/pull.c), or from an OCI image
 * layout directory through the same layer pipeline and store. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "common/applet.h"
#include "common/fs.h"
#include "common/log.h"
#include "image-rs/auth.h"
#include "image-rs/bundle.h"
#include "image-rs/pull.h"
#include "image-rs/registries.h"
#include "oci-layout.h"
#include "pull-layers.h"

/* --decryption-key files accepted at most. */
#define IMAGE_PULL_MAX_KEYS 16
#define IMAGE_PULL_KEY_MAX (64u << 10)

struct image_pull_args {
	const char *work_dir;
	const char *registries_conf, *auth, *ca, *policy, *sigstore;
	const char *layout;
	const char *image;
	const char *bundle;
	bool quiet;
	struct pull_opts pull;
	const char *key_paths[IMAGE_PULL_MAX_KEYS];
	size_t n_keys;
};

static void help(void)
{
	printf(
	    "Usage: image-pull [OPTIONS] --layout <DIR>[:<REF>]\n"
	    "       image-pull [OPTIONS] <IMAGE> [<BUNDLE_DIR>]\n\n"
	    "Unpacks an image's layers into the store under the work dir (layers/<N>,\n"
	    "meta_store.json) and prints one summary line.\n\n"
	    "Options:\n"
	    "  -w, --work-dir <DIR>       layer and meta store [default: "
	    "/run/kata-containers/image]\n"
	    "  -l, --layout <DIR>[:<REF>] take the image from a local OCI image layout (e.g.\n"
	    "                             `skopeo copy ... oci:DIR:REF`); REF names one of\n"
	    "                             several images in index.json\n"
	    "  -j, --max-concurrent <N>   layers fetched and unpacked at once [default: 3]\n"
	    "      --max-entries <N>      tar entries per layer [default: %u]\n"
	    "      --max-path <N>         bytes of a name or link target [default: %u]\n"
	    "      --max-bytes <N>        bytes of file content per layer [default: %llu]\n"
	    "      --same-owner <WHEN>    apply owners from the layers: auto (when root),\n"
	    "                             yes, no [default: auto]\n"
	    "      --xattrs <WHEN>        apply xattrs and opaque markers: auto (when the\n"
	    "                             store accepts user.* xattrs, as upstream), yes, no\n"
	    "                             [default: auto]\n"
	    "  -k, --decryption-key <F>   private key (PEM or DER, RSA or EC, unencrypted) for\n"
	    "                             JWE-wrapped encrypted layers; repeatable\n"
	    "  -q, --quiet                no progress bar on a terminal\n"
	    "      --registries-conf <F>  registries.conf (mirrors, blocked, insecure)\n"
	    "      --auth <F>             containers-auth.json with registry credentials\n"
	    "      --ca <F>               extra root CA (PEM) for registry TLS\n"
	    "  -h, --help                 print this help\n"
	    "  -V, --version              print the version\n\n"
	    "IMAGE is pulled from its registry into the store; creating BUNDLE_DIR (the overlay\n"
	    "rootfs and config.json) is not built in yet.\n",
	    UNPACK_DEFAULT_MAX_ENTRIES, UNPACK_DEFAULT_MAX_PATH,
	    (unsigned long long) UNPACK_DEFAULT_MAX_BYTES);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min)
		return log_error_errno(-EINVAL, "Invalid value '%s' for --%s.", s, opt);
	*ret = v;
	return 0;
}

static int parse_when(const char *opt, const char *s, int *ret)
{
	if (streq(s, "auto"))
		*ret = -1;
	else if (streq(s, "yes"))
		*ret = 1;
	else if (streq(s, "no"))
		*ret = 0;
	else
		return log_error_errno(-EINVAL, "Invalid value '%s' for --%s (auto, yes, no).", s,
				       opt);
	return 0;
}

enum {
	ARG_MAX_ENTRIES = 0x100,
	ARG_MAX_PATH,
	ARG_MAX_BYTES,
	ARG_SAME_OWNER,
	ARG_XATTRS,
	ARG_REGISTRIES_CONF,
	ARG_AUTH,
	ARG_CA,
	ARG_POLICY,
	ARG_SIGSTORE,
};

static int parse_argv(int argc, char **argv, struct image_pull_args *a)
{
	static const struct option options[] = {
		{ "work-dir", required_argument, NULL, 'w' },
		{ "registries-conf", required_argument, NULL, ARG_REGISTRIES_CONF },
		{ "auth", required_argument, NULL, ARG_AUTH },
		{ "ca", required_argument, NULL, ARG_CA },
		{ "policy", required_argument, NULL, ARG_POLICY },
		{ "sigstore-config", required_argument, NULL, ARG_SIGSTORE },
		{ "layout", required_argument, NULL, 'l' },
		{ "max-concurrent", required_argument, NULL, 'j' },
		{ "max-entries", required_argument, NULL, ARG_MAX_ENTRIES },
		{ "max-path", required_argument, NULL, ARG_MAX_PATH },
		{ "max-bytes", required_argument, NULL, ARG_MAX_BYTES },
		{ "same-owner", required_argument, NULL, ARG_SAME_OWNER },
		{ "xattrs", required_argument, NULL, ARG_XATTRS },
		{ "decryption-key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	uint64_t v;
	int c, r;

	*a = (struct image_pull_args){ .work_dir = "/run/kata-containers/image" };
	pull_opts_default(&a->pull);
	optind = 0;
	while ((c = getopt_long(argc, argv, "w:c:l:j:k:qhV", options, NULL)) >= 0) {
		r = 0;
		switch (c) {
		case 'w':
			a->work_dir = optarg;
			break;
		case ARG_REGISTRIES_CONF:
			a->registries_conf = optarg;
			break;
		case ARG_AUTH:
			a->auth = optarg;
			break;
		case ARG_CA:
			a->ca = optarg;
			break;
		case ARG_POLICY:
			a->policy = optarg;
			break;
		case ARG_SIGSTORE:
			a->sigstore = optarg;
			break;
		case 'l':
			a->layout = optarg;
			break;
		case 'j':
			r = parse_u64("max-concurrent", optarg, 1, &v);
			if (r >= 0 && v > 64)
				r = log_error_errno(-EINVAL, "--max-concurrent is at most 64.");
			a->pull.concurrency = (unsigned) v;
			break;
		case ARG_MAX_ENTRIES:
			r = parse_u64("max-entries", optarg, 1, &a->pull.unpack.limits.max_entries);
			break;
		case ARG_MAX_PATH:
			r = parse_u64("max-path", optarg, 1, &a->pull.unpack.limits.max_path);
			break;
		case ARG_MAX_BYTES:
			r = parse_u64("max-bytes", optarg, 0, &a->pull.unpack.limits.max_bytes);
			break;
		case ARG_SAME_OWNER:
			r = parse_when("same-owner", optarg, &a->pull.unpack.same_owner);
			break;
		case ARG_XATTRS:
			r = parse_when("xattrs", optarg, &a->pull.unpack.xattrs);
			break;
		case 'k':
			if (a->n_keys == IMAGE_PULL_MAX_KEYS)
				r = log_error_errno(-E2BIG, "At most %d --decryption-key options.",
						    IMAGE_PULL_MAX_KEYS);
			else
				a->key_paths[a->n_keys++] = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("image-pull (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (a->layout) {
		if (argc != optind)
			return log_error_errno(-EINVAL, "--layout takes no IMAGE or BUNDLE_DIR.");
		return 1;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return log_error_errno(-EINVAL, "Expected IMAGE [BUNDLE_DIR] (try --help).");
	a->image = argv[optind];
	a->bundle = argv[optind + 1];
	return 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct progress {
	double last;
	bool shown;
};

static void progress_bar(void *userdata, uint64_t done, uint64_t total)
{
	struct progress *p = userdata;
	double t = now_s();
	unsigned pct, i;
	char bar[31];

	if (t - p->last < 0.1 && done < total)
		return;
	p->last = t;
	p->shown = true;
	pct = total ? (unsigned) MIN(done * 100 / total, (uint64_t) 100) : 0;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : ' ';
	bar[30] = 0;
	fprintf(stderr, "\r[%s] %3u%% %.1f/%.1f MiB", bar, pct, (double) done / 1048576.0,
		(double) total / 1048576.0);
	fflush(stderr);
}

static int run_layout(struct image_pull_args *a)
{
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	_cleanup_(store_freep) struct store *st = NULL;
	_cleanup_free_ char *dir = strdup(a->layout);
	_cleanup_(buf_done) struct buf err = BUF_INIT(4096);
	struct oci_layout_image img;
	struct pull_result res;
	struct progress prog = {};
	const char *ref = NULL;
	char *colon;
	double t0 = now_s();
	int r;

	if (!dir)
		return log_oom();
	/* DIR:REF, as skopeo's oci: transport; a ':' inside the directory part stays. */
	colon = strrchr(dir, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = 0;
		ref = colon[1] ? colon + 1 : NULL;
	}
	r = oci_layout_open(dir, &l);
	if (r < 0)
		return log_error_errno(r, "Cannot open OCI layout '%s': %m", dir);
	r = oci_layout_image(l, ref, &img, &err);
	if (r < 0)
		return log_error_errno(r, "OCI layout '%s': %s: %m", dir, buf_str(&err));
	r = store_open(a->work_dir, &st);
	if (r < 0)
		return log_error_errno(r, "Cannot open the store in '%s': %m", a->work_dir);

	if (!a->quiet && isatty(STDERR_FILENO)) {
		a->pull.progress = progress_bar;
		a->pull.progress_userdata = &prog;
	}
	r = pull_layers(st,
			&(struct pull_image){ .reference = a->layout,
					      .manifest_digest = img.manifest_digest,
					      .config_digest = img.config_digest,
					      .manifest = img.manifest,
					      .config = img.config },
			oci_layout_fetch_blob, l, &a->pull, &res, &err);
	if (prog.shown)
		fputc('\n', stderr);
	if (r < 0) {
		/* The reason often ends in the errno text already. */
		if (endswith(buf_str(&err), strerror(-r)))
			return log_error_errno(r, "Pull of '%s' failed: %s", a->layout,
					       buf_str(&err));
		return log_error_errno(r, "Pull of '%s' failed: %s: %m", a->layout, buf_str(&err));
	}
	if (res.cached)
		printf("%s %s: already in the store\n", a->layout, img.config_digest);
	else
		printf("%s %s: %zu layers (%zu unpacked, %zu reused), %.1f MiB in %.2f s\n",
		       a->layout, img.config_digest, res.layers, res.unpacked, res.reused,
		       (double) res.bytes / 1048576.0, now_s() - t0);
	return 0;
}

static int read_text(const char *path, size_t max, struct buf *b)
{
	int r = fs_read_file(AT_FDCWD, path, b);

	if (r >= 0 && memchr(b->data, 0, b->len))
		r = -EBADMSG;
	if (r >= 0)
		r = buf_put_u8(b, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot read '%s' (at most %zu bytes of text): %m", path,
				       max);
	return 0;
}

static int run_registry(struct image_pull_args *a)
{
	_cleanup_(store_freep) struct store *st = NULL;
	_cleanup_(buf_done) struct buf err = BUF_INIT(16384);
	_cleanup_(buf_done) struct buf conf = BUF_INIT(REGISTRIES_CONF_MAX + 1);
	_cleanup_(buf_done_wipe) struct buf auth = BUF_INIT(AUTH_FILE_MAX + 1);
	_cleanup_(buf_done) struct buf ca = BUF_INIT(HTTP_CA_MAX + 1);
	_cleanup_(buf_done) struct buf policy = BUF_INIT((4u << 20) + 1);
	_cleanup_(buf_done) struct buf sigstore = BUF_INIT((1u << 20) + 1);
	struct image_pull_config cfg = { .pull = a->pull };
	const char *roots[2] = {};
	struct image_pull_result res;
	struct progress prog = {};
	double t0 = now_s();
	int r;

	if (a->registries_conf) {
		r = read_text(a->registries_conf, REGISTRIES_CONF_MAX, &conf);
		if (r < 0)
			return r;
		cfg.registries_conf = buf_str(&conf);
	}
	if (a->auth) {
		r = read_text(a->auth, AUTH_FILE_MAX, &auth);
		if (r < 0)
			return r;
		cfg.auth_file = buf_str(&auth);
	}
	if (a->ca) {
		r = read_text(a->ca, HTTP_CA_MAX, &ca);
		if (r < 0)
			return r;
		roots[0] = buf_str(&ca);
		cfg.extra_root_certs = roots;
	}
	if (a->policy) {
		r = read_text(a->policy, 4u << 20, &policy);
		if (r < 0)
			return r;
		cfg.policy = buf_str(&policy);
	}
	if (a->sigstore) {
		r = read_text(a->sigstore, 1u << 20, &sigstore);
		if (r < 0)
			return r;
		cfg.sigstore_config = buf_str(&sigstore);
	}
	/* Proxies as the CDH's image_pull_proxy would set them. */
	cfg.http_proxy = getenv("http_proxy");
	cfg.https_proxy = getenv("https_proxy");
	cfg.no_proxy = getenv("no_proxy");
	r = store_open(a->work_dir, &st);
	if (r < 0)
		return log_error_errno(r, "Cannot open the store in '%s': %m", a->work_dir);
	if (!a->quiet && isatty(STDERR_FILENO)) {
		cfg.pull.progress = progress_bar;
		cfg.pull.progress_userdata = &prog;
	}
	r = image_pull(st, &cfg, a->image, &res, &err);
	if (prog.shown)
		fputc('\n', stderr);
	if (r < 0)
		return log_error_errno(r, "Pull of '%s' failed: %s", a->image, buf_str(&err));
	if (a->bundle) {
		r = bundle_create(st, res.config_digest, a->bundle, &err);
		if (r < 0)
			return log_error_errno(r, "Bundle for '%s' in '%s' failed: %s", a->image,
					       a->bundle, buf_str(&err));
	}
	if (res.layers.cached)
		printf("%s %s: already in the store\n", res.reference, res.manifest_digest);
	else
		printf("%s %s: %zu layers (%zu unpacked, %zu reused), %.1f MiB in %.2f s\n",
		       res.reference, res.manifest_digest, res.layers.layers, res.layers.unpacked,
		       res.layers.reused, (double) res.layers.bytes / 1048576.0, now_s() - t0);
	return 0;
}

static int load_keys(struct image_pull_args *a, struct crypto_pk **keys)
{
	for (size_t i = 0; i < a->n_keys; i++) {
		_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(IMAGE_PULL_KEY_MAX);
		int r;

		r = fs_read_file(AT_FDCWD, a->key_paths[i], &b);
		if (r < 0)
			return log_error_errno(r, "Cannot read the decryption key '%s': %m",
					       a->key_paths[i]);
		r = crypto_pk_import(b.data, b.len, &keys[i]);
		if (r >= 0 && !crypto_pk_is_private(keys[i]))
			r = -EINVAL;
		if (r < 0)
			return log_error_errno(
			    r, "'%s' is not an unencrypted RSA or EC private key: %m",
			    a->key_paths[i]);
	}
	return 0;
}

static int run(int argc, char **argv)
{
	struct image_pull_args args;
	struct crypto_pk *keys[IMAGE_PULL_MAX_KEYS] = {};
	struct ocicrypt_config dc = {};
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	r = load_keys(&args, keys);
	if (r >= 0) {
		dc = (struct ocicrypt_config){ .jwe_keys = keys, .n_jwe_keys = args.n_keys };
		args.pull.decrypt = &dc;
		r = args.layout ? run_layout(&args) : run_registry(&args);
	}
	for (size_t i = 0; i < args.n_keys; i++)
		crypto_pk_free(keys[i]);
	return r;
}

int image_pull_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
