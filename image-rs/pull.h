/* SPDX-License-Identifier: Apache-2.0 */
/* A registry pull into the store, the way upstream's pull_image() goes (upstream.md §6.2):
 * the reference expanded by registries.conf into tasks tried in order, credentials from
 * the auth file, manifest and config through the registry client, then the layers
 * through the one-pass pipeline (pull_layers()) with the registry as the blob source.
 * Used by the image-pull applet and the CDH's PullImage. */
#pragma once

#include "common/buf.h"
#include "common/digest.h"
#include "image-rs/pull-layers.h"
#include "image-rs/store.h"

struct image_pull_config {
	const char *registries_conf;         /* registries.conf text, or NULL */
	const char *auth_file;               /* containers-auth.json text, or NULL */
	const char *const *extra_root_certs; /* PEM texts, NULL-terminated, or NULL */
	const char *http_proxy, *https_proxy, *no_proxy;
	struct pull_opts pull;
	/* Signature policy (containers-policy.json text) checked for the image as named,
	 * on every pull, cache hits included; NULL: no policy. sigstore_config is the
	 * lookaside YAML signedBy needs. fetch reads keyPath and lookaside URIs other than
	 * file:// and bare paths (kbs://, http(s)://); NULL: only local files. */
	const char *policy;
	const char *sigstore_config;
	int (*fetch)(void *ud, const char *uri, struct buf *out);
	void *fetch_userdata;
};

struct image_pull_result {
	char reference[512]; /* the task that succeeded, reference_whole() */
	char manifest_digest[DIGEST_OCI_STRING_MAX];
	char config_digest[DIGEST_OCI_STRING_MAX];
	struct pull_result layers;
};

/* Pulls image (a reference as the Kata agent passes it) into st. On failure err says why,
 * naming every task tried; nothing of a failed layer stays in the store. -EINVAL for a
 * reference or config that does not parse, -EPERM when every task is blocked, the
 * policy's error when it refuses the image (nothing is fetched then but the manifest and
 * signatures), else the last task's error (registry, digest, layer pipeline). */
int image_pull(struct store *st, const struct image_pull_config *cfg, const char *image,
	       struct image_pull_result *ret, struct buf *err);
