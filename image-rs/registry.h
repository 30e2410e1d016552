/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI distribution API client (pull side) on common/http: manifests with upstream's
 * Accept header, blobs streamed to a caller's sink, digests verified, Basic auth and the
 * registry Bearer token flow with a per-repository token cache, bounded retries with
 * backoff. One struct registry per pull task (one host, http or https); thread-safe,
 * so layers may be fetched from several threads at once. upstream.md §6.2, §6.7. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/http.h"
#include "image-rs/auth.h"
#include "image-rs/manifest.h"
#include "image-rs/reference.h"

#define REGISTRY_SIZE_UNKNOWN UINT64_MAX
#define REGISTRY_TOKEN_BODY_MAX (1u << 20)

struct registry_options {
	unsigned max_retries; /* retries after the first attempt, on 5xx/429, resets, refused
				 or timed-out connections; default 3 */
	unsigned backoff_ms;  /* first delay, doubled per retry, capped at 8 s; default 250 */
	size_t manifest_max;  /* default MANIFEST_MAX */
	size_t config_max;    /* default IMAGE_CONFIG_MAX */
};

struct registry;

/* An HTTP client set up as upstream's ClientConfig for a pull (upstream.md §6.2 step 4):
 * the system CA bundle when present plus extra_root_certs (PEM texts, NULL-terminated,
 * may be NULL; [image] extra_root_certificates), the [image.image_pull_proxy] proxies
 * when any is set, else the environment's (reqwest's default), a 30 s connect timeout and
 * a stall guard. -EBADMSG for a PEM without a certificate, -ENOMEM, -EIO. */
int registry_http_client_new(const char *const *extra_root_certs, const char *http_proxy,
			     const char *https_proxy, const char *no_proxy,
			     struct http_client **ret);

/* host: "quay.io", "127.0.0.1:5000" (reference_resolve_registry() of the task).
 * use_http: plain HTTP, only for insecure tasks (otherwise http_request refuses it,
 * also on redirects). http is borrowed (CA, proxies and timeouts are set there) and
 * must outlive the registry. cred (may be NULL: anonymous) and opts (NULL: defaults)
 * are copied. -EINVAL, -ENOMEM. */
int registry_new(struct http_client *http, const char *host, bool use_http,
		 const struct auth_cred *cred, const struct registry_options *opts,
		 struct registry **ret);
/* Wipes cached tokens. Accepts NULL, returns NULL. */
struct registry *registry_free(struct registry *r);
DEFINE_POINTER_CLEANUP(struct registry *, registry_free)

/* The calling thread's message for its last failed registry_*() call (never holds a
 * credential or token): "" when none. */
const char *registry_last_error(void);

/* GET /v2/<repo>/manifests/<ref> (a tag or a digest) with upstream's Accept header. The
 * body (at most manifest_max, else -E2BIG) goes to *body, the Content-Type to
 * *ret_content_type (malloc()ed, may be NULL). The body must match ref when ref is a
 * digest and the Docker-Content-Digest header when the registry sends one (both are
 * checked when both exist, as upstream does); *ret_digest is the header's digest, else
 * the reference's, else the sha256 of the body. Errors: -EKEYREJECTED digest mismatch,
 * -EOPNOTSUPP / -EPROTO a header digest we cannot use, -ENOENT 404, -EACCES 401/403
 * (after the auth flow), -EPROTO other HTTP errors, transport errors as http_request()
 * after retries; -EINVAL for a repo or tag that is not valid reference syntax. */
int registry_get_manifest(struct registry *r, const char *repo, const char *ref, struct buf *body,
			  char **ret_content_type, struct digest_oci *ret_digest);

/* GET /extensions/v2/<repo>/signatures/<digest>, the signature API extension of
 * OpenShift's and Quay's registries that c/image reads: the JSON body (at most max
 * bytes, else -E2BIG) into out. -ENOENT when the registry has no such endpoint or no
 * signatures (404); other errors as registry_get_manifest(). */
int registry_get_signatures(struct registry *r, const char *repo, const struct digest_oci *d,
			    size_t max, struct buf *out);

/* HEAD /v2/<repo>/blobs/<digest>: 0 with the size (REGISTRY_SIZE_UNKNOWN without
 * Content-Length), or the errors above. */
int registry_blob_head(struct registry *r, const char *repo, const struct digest_oci *d,
		       uint64_t *ret_size);

enum {
	REGISTRY_BLOB_VERIFY = 1 << 0, /* hash the stream and check it against d at the end */
};

/* GET /v2/<repo>/blobs/<digest>, pushing the bytes to sink as they arrive (redirects to
 * blob storage are followed without the Authorization header). A sink's negative return
 * aborts and is returned unchanged. After a broken connection the blob is requested
 * again and the bytes the sink already got are skipped, so the sink sees one continuous
 * stream. expected_size (REGISTRY_SIZE_UNKNOWN: not checked) must equal the bytes
 * received: more gives -E2BIG as soon as they arrive, fewer -EBADMSG. With
 * REGISTRY_BLOB_VERIFY a digest mismatch gives -EKEYREJECTED after the last byte was
 * pushed (the consumer must not commit before this returns 0). */
int registry_blob_fetch(struct registry *r, const char *repo, const struct digest_oci *d,
			uint64_t expected_size, unsigned flags, http_sink_fn sink, void *ud);

/* The whole blob into out (at most max bytes, else -E2BIG), always verified. For image
 * configs and signatures. */
int registry_blob_get(struct registry *r, const char *repo, const struct digest_oci *d,
		      uint64_t expected_size, size_t max, struct buf *out);

/* upstream's pull_manifest_and_config: the manifest of ref; for an index the entry for
 * os/arch (variant as manifest_select_platform()), fetched by digest and checked against
 * the entry's digest and size; then the config blob, verified and parsed, with its
 * diff_ids count checked against the layers. */
struct registry_image {
	struct manifest *manifest;
	struct digest_oci manifest_digest;
	char manifest_digest_str[DIGEST_OCI_STRING_MAX];
	bool has_list_digest;
	char list_digest_str[DIGEST_OCI_STRING_MAX];
	struct buf manifest_raw, config_raw;
	struct image_config *config;
};
int registry_pull_image(struct registry *r, const struct reference *ref, const char *os,
			const char *arch, const char *variant, struct registry_image **ret);
struct registry_image *registry_image_free(struct registry_image *img);
DEFINE_POINTER_CLEANUP(struct registry_image *, registry_image_free)
