/* SPDX-License-Identifier: Apache-2.0 */
/* Image references ("busybox", "quay.io/a/b:tag", "host:5000/x@sha256:..."), parsed and
 * normalised as upstream's Reference (oci-spec-rs src/distribution/reference.rs, which the
 * pinned OCI-CLIENT re-exports; OCI-CLIENT's older src/reference.rs has the same rules;
 * upstream.md §6.2): default registry docker.io, "library/" for single-component Docker
 * Hub names, default tag "latest", index.docker.io folded into docker.io, repository at
 * most 255 characters. */
#pragma once

#include <stdbool.h>

#include "common/macro.h"

#define REFERENCE_NAME_MAX 255 /* repository, after normalisation (upstream's check) */
#define REFERENCE_TAG_MAX 128
#define REFERENCE_INPUT_MAX 4096 /* bounds the work on a hostile string */
#define REFERENCE_DOCKER_HUB "docker.io"

struct reference {
	char *registry;   /* "docker.io", "quay.io", "127.0.0.1:5000"; never NULL */
	char *repository; /* "library/busybox"; never NULL */
	char *tag;        /* NULL or the tag ("latest" when neither tag nor digest given) */
	char *digest;     /* NULL or "<alg>:<lowercase hex>" */
	char *whole_;     /* private: cached reference_whole() */
};

/* Parses s. On success *ret is a new reference (free with reference_free()).
 * Errors, with *ret_reason (if non-NULL) set to upstream's message:
 *   -EINVAL      empty string, invalid format (bad domain, path component, tag or digest
 *                syntax, upper case in the repository), digest of the wrong length
 *   -EOPNOTSUPP  digest algorithm other than sha256/sha384/sha512
 *   -E2BIG       repository longer than REFERENCE_NAME_MAX, input past REFERENCE_INPUT_MAX
 *   -ENOMEM
 * Deliberate differences from upstream's regex (each closes a hole, none refuses a name a
 * registry would serve): tags are ASCII word characters only (Rust's \w is Unicode), a
 * digest's hex must be lowercase (our digest verifier only takes that form), and
 * "Upper/lower" is refused instead of becoming docker.io/Upper/lower. */
int reference_parse(const char *s, struct reference **ret, const char **ret_reason);

/* Builds a reference from parts, validating each as reference_parse() would (no
 * normalisation: registry and repository are taken as given). tag and digest may be
 * NULL (not both). -EINVAL, -EOPNOTSUPP, -E2BIG, -ENOMEM. */
int reference_new(const char *registry, const char *repository, const char *tag, const char *digest,
		  struct reference **ret);

/* Deep copy; NULL on OOM. */
struct reference *reference_dup(const struct reference *r);

/* Accepts NULL, returns NULL. */
struct reference *reference_free(struct reference *r);
DEFINE_POINTER_CLEANUP(struct reference *, reference_free)

/* "registry/repository[:tag][@digest]", as upstream's Reference::whole(). Owned by r;
 * NULL only on OOM. */
const char *reference_whole(struct reference *r);
/* Accessors for the signature-policy code; owned by r. */
static inline const char *reference_registry(const struct reference *r)
{
	return r->registry;
}
static inline const char *reference_repository(const struct reference *r)
{
	return r->repository;
}
/* The host to contact: "index.docker.io" for docker.io (upstream's resolve_registry()). */
const char *reference_resolve_registry(const struct reference *r);
/* The manifest to ask for: the digest when present (it pins the content), else the tag. */
const char *reference_manifest_ref(const struct reference *r);

/* Syntax checks used by the parser and by registries.c. */
bool reference_is_valid_domain(const char *s, size_t n);
bool reference_is_valid_path(const char *s, size_t n);
bool reference_is_valid_tag(const char *s, size_t n);
