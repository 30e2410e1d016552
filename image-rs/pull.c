/* SPDX-License-Identifier: Apache-2.0 */
/* Registry pulls (see pull.h). The layer pipeline hashes every blob against its digest
 * itself, so the registry client streams without a second hash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"
#include "image-rs/auth.h"
#include "image-rs/pull.h"
#include "image-rs/reference.h"
#include "image-rs/registries.h"
#include "image-rs/registry.h"
#include "image-rs/signature/policy.h"
#include "image-rs/signature/simple.h"

#define PULL_CONNECT_TIMEOUT_MS 30000
/* A blob download that delivers under 1 byte/s for 60 s has stalled. */
#define PULL_STALL_SECONDS 60

struct blob_source {
	struct registry *reg;
	const char *repo;
};

static int fetch_blob(void *userdata, const char *digest, uint64_t size, http_sink_fn sink,
		      void *sink_userdata)
{
	struct blob_source *b = userdata;
	struct digest_oci d;
	int r;

	r = digest_oci_parse(digest, &d);
	if (r < 0)
		return r;
	return registry_blob_fetch(b->reg, b->repo, &d, size ? size : REGISTRY_SIZE_UNKNOWN, 0,
				   sink, sink_userdata);
}

#define SIG_RESOURCE_MAX (4u << 20)

struct sig_source {
	const struct image_pull_config *cfg;
	struct registry *reg;
	const char *repo;
};

static int sig_fetch(void *ud, const char *uri, struct buf *out)
{
	struct sig_source *s = ud;
	const char *path = startswith(uri, "file://") ?: uri;

	if (strstr(uri, "://") && !startswith(uri, "file://"))
		return s->cfg->fetch ? s->cfg->fetch(s->cfg->fetch_userdata, uri, out)
				     : -EOPNOTSUPP;
	return fs_read_file(AT_FDCWD, path, out);
}

/* cosign's "<repo>:sha256-<hex>.sig" tag next to the image. */
static int sig_cosign_manifest(void *ud, const struct sig_image *img, struct buf *out)
{
	struct sig_source *s = ud;
	char tag[DIGEST_OCI_STRING_MAX + 8];
	const char *colon = strchr(img->manifest_digest, ':');

	if (!colon)
		return -EINVAL;
	snprintf(tag, sizeof(tag), "%.*s-%s.sig", (int) (colon - img->manifest_digest),
		 img->manifest_digest, colon + 1);
	return registry_get_manifest(s->reg, s->repo, tag, out, NULL, NULL);
}

static int sig_cosign_blob(void *ud, _unused_ const struct sig_image *img, const char *digest,
			   struct buf *out)
{
	struct sig_source *s = ud;
	struct digest_oci d;
	int r = digest_oci_parse(digest, &d);

	if (r < 0)
		return r;
	return registry_blob_get(s->reg, s->repo, &d, REGISTRY_SIZE_UNKNOWN, SIG_RESOURCE_MAX, out);
}

static int sig_registry_signatures(void *ud, const struct sig_image *img, struct buf *out)
{
	struct sig_source *s = ud;
	struct digest_oci d;
	int r = digest_oci_parse(img->manifest_digest, &d);

	if (r < 0)
		return r;
	return registry_get_signatures(s->reg, s->repo, &d, SIMPLE_EXTENSION_MAX_SIZE, out);
}

/* The policy is evaluated for the image as the caller named it (upstream passes
 * image_url), with the digests of what this task's registry serves. */
static int check_policy(const struct image_pull_config *cfg, struct reference *named,
			struct registry *reg, const struct pull_task *t,
			const struct registry_image *img, struct buf *err)
{
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(simple_config_freep) struct simple_config *sc = NULL;
	struct sig_source src = { .cfg = cfg, .reg = reg, .repo = reference_repository(t->ref) };
	struct sig_env env = { .fetch = sig_fetch,
			       .cosign_manifest = sig_cosign_manifest,
			       .cosign_blob = sig_cosign_blob,
			       .registry_signatures = sig_registry_signatures,
			       .ud = &src };
	struct sig_image si = { .manifest_digest = img->manifest_digest_str,
				.index_digest = img->has_list_digest ? img->list_digest_str
								     : NULL };
	int r;

	r = policy_parse(cfg->policy, strlen(cfg->policy), &p);
	if (r < 0) {
		(void) buf_append_str(err, "the image security policy does not parse");
		return r;
	}
	if (cfg->sigstore_config) {
		r = simple_config_parse(cfg->sigstore_config, strlen(cfg->sigstore_config), &sc);
		if (r < 0) {
			(void) buf_append_str(err, "the sigstore configuration does not parse");
			return r;
		}
		env.sigstore = sc;
	}
	r = policy_image_from_reference(named, &si);
	if (r < 0)
		return r;
	r = policy_check(p, &si, &env, err);
	if (r < 0 && err->len == 0)
		(void) buf_appendf(err, "%s", strerror(-r));
	if (r < 0)
		log_error("Image %s refused by the security policy: %s", si.whole, buf_str(err));
	return r;
}

static int pull_task(struct store *st, const struct image_pull_config *cfg,
		     struct http_client *http, const struct auth_file *af, struct reference *named,
		     const struct pull_task *t, struct image_pull_result *ret, struct buf *err)
{
	_cleanup_(auth_cred_freep) struct auth_cred *cred = NULL;
	_cleanup_(registry_freep) struct registry *reg = NULL;
	_cleanup_(registry_image_freep) struct registry_image *img = NULL;
	_cleanup_(json_object_putp) json_object *manifest = NULL, *config = NULL;
	struct blob_source src;
	struct pull_opts opts;
	int r;

	if (af) {
		r = auth_file_lookup(af, t->ref, &cred);
		if (r < 0 && r != -ENOENT) {
			(void) buf_appendf(err, "auth file entry for %s is malformed",
					   reference_whole(t->ref));
			return r;
		}
	}
	r = registry_new(http, reference_resolve_registry(t->ref), t->use_http, cred, NULL, &reg);
	if (r < 0)
		return r;
	r = registry_pull_image(reg, t->ref, NULL, NULL, NULL, &img);
	if (r < 0) {
		(void) buf_appendf(err, "%s",
				   *registry_last_error() ? registry_last_error() : strerror(-r));
		return r;
	}
	if (cfg->policy) {
		r = check_policy(cfg, named, reg, t, img, err);
		if (r < 0)
			return r;
	}
	if (json_parse(buf_str(&img->manifest_raw), img->manifest_raw.len, img->manifest_raw.len,
		       JSON_DEPTH_LIMIT, &manifest, NULL) < 0 ||
	    json_parse(buf_str(&img->config_raw), img->config_raw.len, img->config_raw.len,
		       JSON_DEPTH_LIMIT, &config, NULL) < 0 ||
	    !manifest || !config) {
		(void) buf_append_str(err, "manifest or config is not JSON");
		return -EBADMSG;
	}

	snprintf(ret->reference, sizeof(ret->reference), "%s", reference_whole(t->ref));
	snprintf(ret->manifest_digest, sizeof(ret->manifest_digest), "%s",
		 img->manifest_digest_str);
	snprintf(ret->config_digest, sizeof(ret->config_digest), "%s",
		 img->manifest->config.digest_str);
	src = (struct blob_source){ .reg = reg, .repo = reference_repository(t->ref) };
	opts = cfg->pull;
	opts.fetch_error = registry_last_error;
	return pull_layers(st,
			   &(struct pull_image){ .reference = ret->reference,
						 .manifest_digest = ret->manifest_digest,
						 .config_digest = ret->config_digest,
						 .manifest = manifest,
						 .config = config },
			   fetch_blob, &src, &opts, &ret->layers, err);
}

int image_pull(struct store *st, const struct image_pull_config *cfg, const char *image,
	       struct image_pull_result *ret, struct buf *err)
{
	_cleanup_(registries_freep) struct registries *conf = NULL;
	_cleanup_(auth_file_freep) struct auth_file *af = NULL;
	_cleanup_(reference_freep) struct reference *ref = NULL;
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	struct pull_task *tasks = NULL;
	const char *reason = NULL;
	struct toml_error te = {};
	size_t n = 0;
	int r;

	*ret = (struct image_pull_result){};
	r = reference_parse(image, &ref, &reason);
	if (r < 0) {
		(void) buf_appendf(err, "invalid image reference '%s': %s", image,
				   reason ?: strerror(-r));
		return -EINVAL;
	}
	if (cfg->registries_conf) {
		r = registries_parse(cfg->registries_conf, strlen(cfg->registries_conf), &conf,
				     &te);
		if (r < 0) {
			(void) buf_appendf(err, "registry configuration: %u:%u: %s", te.line,
					   te.column, te.message);
			return -EINVAL;
		}
	}
	if (cfg->auth_file) {
		r = auth_file_parse(cfg->auth_file, strlen(cfg->auth_file), &af);
		if (r < 0) {
			(void) buf_append_str(err, "registry auth file does not parse");
			return -EINVAL;
		}
	}
	r = registries_expand(conf, ref, &tasks, &n);
	if (r == -EPERM) {
		(void) buf_appendf(err, "Image %s is blocked by registry rule.",
				   reference_whole(ref));
		return r;
	}
	if (r < 0) {
		(void) buf_appendf(err, "registry configuration cannot expand %s",
				   reference_whole(ref));
		return r;
	}
	r = registry_http_client_new(cfg->extra_root_certs, cfg->http_proxy, cfg->https_proxy,
				     cfg->no_proxy, &http);
	if (r < 0) {
		pull_tasks_free(tasks, n);
		{
			(void) buf_append_str(err, "cannot set up the HTTP client");
			return r;
		}
	}
	http_client_set_timeouts(http, PULL_CONNECT_TIMEOUT_MS, 0, 1, PULL_STALL_SECONDS);
	for (size_t i = 0; i < n; i++) {
		_cleanup_(buf_done) struct buf why = BUF_INIT(4096);

		r = pull_task(st, cfg, http, af, ref, &tasks[i], ret, &why);
		if (r >= 0)
			break;
		/* upstream: "failed to pull image <task>: <error>", one per task */
		if (i + 1 < n)
			log_warning("Failed to pull image from %s: %s; trying the next source.",
				    reference_whole(tasks[i].ref),
				    why.len ? buf_str(&why) : strerror(-r));
		(void) buf_appendf(err, "%sfailed to pull image from %s: %s", i ? "; " : "",
				   reference_whole(tasks[i].ref),
				   why.len ? buf_str(&why) : strerror(-r));
	}
	pull_tasks_free(tasks, n);
	if (r >= 0)
		buf_reset(err);
	return r;
}
