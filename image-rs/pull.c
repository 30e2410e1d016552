/* SPDX-License-Identifier: Apache-2.0 */
/* Registry pulls (see pull.h). The layer pipeline hashes every blob against its digest
 * itself, so the registry client streams without a second hash. */
#include <errno.h>
#include <string.h>

#include "common/json-util.h"
#include "common/log.h"
#include "image-rs/auth.h"
#include "image-rs/pull.h"
#include "image-rs/reference.h"
#include "image-rs/registries.h"
#include "image-rs/registry.h"

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

static int pull_task(struct store *st, const struct image_pull_config *cfg,
		     struct http_client *http, const struct auth_file *af,
		     const struct pull_task *t, struct image_pull_result *ret, struct buf *err)
{
	_cleanup_(auth_cred_freep) struct auth_cred *cred = NULL;
	_cleanup_(registry_freep) struct registry *reg = NULL;
	_cleanup_(registry_image_freep) struct registry_image *img = NULL;
	_cleanup_(json_object_putp) json_object *manifest = NULL, *config = NULL;
	struct blob_source src;
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
	return pull_layers(st,
			   &(struct pull_image){ .reference = ret->reference,
						 .manifest_digest = ret->manifest_digest,
						 .config_digest = ret->config_digest,
						 .manifest = manifest,
						 .config = config },
			   fetch_blob, &src, &cfg->pull, &ret->layers, err);
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

		r = pull_task(st, cfg, http, af, &tasks[i], ret, &why);
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
