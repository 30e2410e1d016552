/* SPDX-License-Identifier: Apache-2.0 */
/* registry-cli: drives the image client's network half for tests/integration/
 * test-registry.sh. Resolves IMAGE through registries.conf and auth.json, pulls the
 * manifest (platform-selected from an index) and config, then streams every layer blob
 * into OUT/<hex>, verified. Prints one "key value..." line per fact on stdout; the
 * reason of a failure (registry_last_error()) on stderr. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/http.h"
#include "image-rs/auth.h"
#include "image-rs/registries.h"
#include "image-rs/registry.h"

struct args {
	const char *conf, *auth, *ca, *out, *os, *arch, *variant, *image;
	const char *user; /* "user:password" as upstream's explicit auth argument */
	struct registry_options o;
	bool manifest_only;
	unsigned parallel; /* layers fetched at once */
};

static int read_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = buf_read_fd(b, fd);
	close(fd);
	return r;
}

static int fd_sink(void *ud, const void *p, size_t n)
{
	int fd = *(int *) ud;
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t) w;
	}
	return 0;
}

struct layer_job {
	const struct args *a;
	struct registry *reg;
	const char *repo;
	const struct manifest *m;
	size_t first, step;
	int result; /* first failure of this worker */
	char error[256];
};

static int fetch_layer(const struct layer_job *j, const struct manifest_descriptor *l)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&path, "%s/%s", j->a->out, strchr(l->digest_str, ':') + 1) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = registry_blob_fetch(j->reg, j->repo, &l->digest, l->size, REGISTRY_BLOB_VERIFY, fd_sink,
				&fd);
	if (r < 0)
		(void) unlink(path);
	return r;
}

/* Worker k fetches layers k, k+step, ... (several layers at once share the registry's
 * connection pool and token cache, as the layer pipeline does). */
static void *layer_worker(void *userdata)
{
	struct layer_job *j = userdata;

	for (size_t i = j->first; i < j->m->n_layers && j->result >= 0; i += j->step) {
		j->result = fetch_layer(j, &j->m->layers[i]);
		if (j->result < 0)
			snprintf(j->error, sizeof(j->error), "%s", registry_last_error());
	}
	return NULL;
}

static int fetch_layers(const struct args *a, struct registry *reg, const struct reference *ref,
			const struct manifest *m)
{
	size_t n = MAX(a->parallel, 1u);
	struct layer_job jobs[16];
	pthread_t threads[16];
	int r = 0;

	n = MIN(n, ELEMENTSOF(jobs));
	for (size_t k = 0; k < n; k++) {
		jobs[k] = (struct layer_job){ .a = a,
					      .reg = reg,
					      .repo = reference_repository(ref),
					      .m = m,
					      .first = k,
					      .step = n };
		if (n == 1)
			layer_worker(&jobs[k]);
		else if (pthread_create(&threads[k], NULL, layer_worker, &jobs[k]) != 0)
			return -EAGAIN; /* the threads started so far are joined by exit */
	}
	for (size_t k = 0; n > 1 && k < n; k++)
		(void) pthread_join(threads[k], NULL);
	for (size_t k = 0; k < n; k++)
		if (jobs[k].result < 0 && r >= 0) {
			r = jobs[k].result;
			fprintf(stderr, "layer fetch failed: %s\n", jobs[k].error);
		}
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n_layers; i++)
		printf("blob %s ok\n", m->layers[i].digest_str);
	return 0;
}

static int pull_task(const struct args *a, struct http_client *http, const struct auth_file *af,
		     struct pull_task *t)
{
	_cleanup_(auth_cred_freep) struct auth_cred *cred = NULL;
	_cleanup_(registry_freep) struct registry *reg = NULL;
	_cleanup_(registry_image_freep) struct registry_image *img = NULL;
	int r;

	if (a->user) {
		_cleanup_free_ char *u = strdup(a->user);
		char *colon = u ? strchr(u, ':') : NULL;

		if (!colon)
			return -EINVAL;
		*colon = 0;
		r = auth_cred_new(u, colon + 1, &cred);
		if (r < 0)
			return r;
	} else if (af) {
		r = auth_file_lookup(af, t->ref, &cred);
		if (r < 0 && r != -ENOENT) {
			fprintf(stderr, "auth file entry for '%s' is malformed\n",
				reference_whole(t->ref));
			return r;
		}
	}
	r = registry_new(http, reference_resolve_registry(t->ref), t->use_http, cred, &a->o, &reg);
	if (r < 0)
		return r;
	r = registry_pull_image(reg, t->ref, a->os, a->arch, a->variant, &img);
	if (r < 0)
		return r;
	printf("task %s %s\n", reference_whole(t->ref), t->use_http ? "http" : "https");
	if (img->has_list_digest)
		printf("list %s\n", img->list_digest_str);
	printf("manifest %s %s\n", img->manifest_digest_str, img->manifest->media_type);
	printf("config %s %s %s\n", img->manifest->config.digest_str, img->config->os,
	       img->config->architecture);
	for (size_t i = 0; i < img->manifest->n_layers; i++) {
		const struct manifest_descriptor *l = &img->manifest->layers[i];

		printf("layer %zu %s %" PRIu64 " %s %s\n", i, l->digest_str, l->size, l->media_type,
		       img->config->diff_ids[i]);
	}
	fflush(stdout);
	if (a->manifest_only || !a->out)
		return 0;
	return fetch_layers(a, reg, t->ref, img->manifest);
}

static int try_tasks(const struct args *a, const struct auth_file *af, struct pull_task *tasks,
		     size_t n)
{
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	int r;

	_cleanup_(buf_done) struct buf ca = BUF_INIT(HTTP_CA_MAX);
	const char *roots[2] = {};

	/* --ca is one of upstream's extra_root_certificates (PEM text) */
	if (a->ca) {
		r = read_file(a->ca, &ca);
		if (r < 0) {
			fprintf(stderr, "error: CA file '%s': %s\n", a->ca, strerror(-r));
			return r;
		}
		roots[0] = buf_str(&ca);
	}
	r = registry_http_client_new(roots, NULL, NULL, NULL, &http);
	if (r < 0) {
		fprintf(stderr, "error: HTTP client: %s\n", strerror(-r));
		return r;
	}
	http_client_set_timeouts(http, 5000, 0, 1, 20);
	for (size_t i = 0; i < n; i++) {
		r = pull_task(a, http, af, &tasks[i]);
		if (r >= 0)
			return 0;
		fprintf(stderr, "failed to pull image %s from %s: %s\n", a->image,
			reference_whole(tasks[i].ref),
			*registry_last_error() ? registry_last_error() : strerror(-r));
	}
	fprintf(stderr, "error: all %zu pull tasks of '%s' failed (%s)\n", n, a->image,
		strerror(-r));
	return r;
}

static int run(const struct args *a)
{
	_cleanup_(registries_freep) struct registries *conf = NULL;
	_cleanup_(auth_file_freep) struct auth_file *af = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	struct pull_task *tasks = NULL;
	const char *reason = NULL;
	size_t n = 0;
	int r;

	r = reference_parse(a->image, &ref, &reason);
	if (r < 0) {
		fprintf(stderr, "error: '%s': %s\n", a->image, reason);
		return r;
	}
	if (a->conf) {
		_cleanup_(buf_done) struct buf b = BUF_INIT(REGISTRIES_CONF_MAX);
		struct toml_error e = {};

		r = read_file(a->conf, &b);
		if (r >= 0)
			r = registries_parse(buf_str(&b), b.len, &conf, &e);
		if (r < 0) {
			fprintf(stderr, "error: registry config '%s': %s (%u:%u)\n", a->conf,
				*e.message ? e.message : strerror(-r), e.line, e.column);
			return r;
		}
	}
	if (a->auth) {
		_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(AUTH_FILE_MAX);

		r = read_file(a->auth, &b);
		if (r >= 0)
			r = auth_file_parse(buf_str(&b), b.len, &af);
		if (r < 0) {
			fprintf(stderr, "error: auth file '%s': %s\n", a->auth, strerror(-r));
			return r;
		}
	}
	r = registries_expand(conf, ref, &tasks, &n);
	if (r == -EPERM) {
		fprintf(stderr, "error: Image %s is blocked by registry rule.\n",
			reference_whole(ref));
		return r;
	}
	if (r < 0) {
		fprintf(stderr, "error: registry config cannot expand '%s': %s\n", a->image,
			strerror(-r));
		return r;
	}

	r = try_tasks(a, af, tasks, n);
	pull_tasks_free(tasks, n);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "registries-conf", required_argument, NULL, 'c' },
		{ "auth", required_argument, NULL, 'a' },
		{ "user", required_argument, NULL, 'u' },
		{ "ca", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ "os", required_argument, NULL, 'O' },
		{ "arch", required_argument, NULL, 'A' },
		{ "variant", required_argument, NULL, 'V' },
		{ "retries", required_argument, NULL, 'r' },
		{ "backoff-ms", required_argument, NULL, 'b' },
		{ "manifest-only", no_argument, NULL, 'm' },
		{ "parallel", required_argument, NULL, 'p' },
		{},
	};
	struct args a = {
		.os = "linux",
		.arch = manifest_go_arch(),
		.o = { .max_retries = 3, .backoff_ms = 100 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			a.conf = optarg;
			break;
		case 'a':
			a.auth = optarg;
			break;
		case 'u':
			a.user = optarg;
			break;
		case 'C':
			a.ca = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'O':
			a.os = optarg;
			break;
		case 'A':
			a.arch = optarg;
			break;
		case 'V':
			a.variant = optarg;
			break;
		case 'r':
			a.o.max_retries = (unsigned) strtoul(optarg, NULL, 10);
			break;
		case 'b':
			a.o.backoff_ms = (unsigned) strtoul(optarg, NULL, 10);
			break;
		case 'm':
			a.manifest_only = true;
			break;
		case 'p':
			a.parallel = (unsigned) strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	if (optind + 1 != argc) {
		fprintf(stderr,
			"usage: registry-cli [--registries-conf F] [--auth F] [--user U:P] "
			"[--ca F] [--out DIR] [--os OS] [--arch ARCH] [--variant V] "
			"[--retries N] [--backoff-ms N] [--manifest-only] [--parallel N] IMAGE\n");
		return 2;
	}
	a.image = argv[optind];
	return run(&a) < 0 ? 1 : 0;
}
