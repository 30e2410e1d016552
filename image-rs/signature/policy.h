/* SPDX-License-Identifier: Apache-2.0 */
/* Image signature policy (upstream.md §6.5; GC image-rs signature/policy/{mod.rs,
 * policy_requirement.rs,ref_match.rs}, signature/image/mod.rs): the containers-policy.json
 * subset upstream reads, its scope lookup, the signedIdentity rules, and the evaluation of
 * every requirement of the chosen scope against one image. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/macro.h"

/* The image being checked; every string is borrowed. registry and repository are the
 * normalized forms ("docker.io", "library/busybox"); whole is the reference as
 * upstream's Reference::whole() prints it ("docker.io/library/busybox:latest", with
 * "@<digest>" when the reference carries one). manifest_digest is the digest of the
 * manifest that was pulled ("sha256:<hex>"); index_digest that of the index it was
 * resolved from, or NULL. */
struct sig_image {
	const char *registry;
	const char *repository;
	const char *tag;        /* NULL when the reference has none */
	const char *digest_ref; /* the reference's own digest ("sha256:<hex>"), or NULL */
	const char *whole;
	const char *manifest_digest;
	const char *index_digest;
};

struct reference;
/* Points img's reference fields into r (manifest and index digests are left alone);
 * they live as long as r. -ENOMEM. */
int policy_image_from_reference(struct reference *r, struct sig_image *img);

/* The scope names tried for img, most specific first (upstream get_image_namespaces with
 * the whole reference in front): "reg/a/b:tag", "reg/a/b", "reg/a", "reg", then
 * "*.<suffix>" for each dropped leading DNS label of the registry (port stripped). The
 * caller frees the NULL-terminated array with policy_strv_free(). */
int policy_scopes(const struct sig_image *img, char ***ret);
char **policy_strv_free(char **l);
DEFINE_POINTER_CLEANUP(char **, policy_strv_free)

enum policy_identity_type {
	POLICY_ID_NONE, /* signedIdentity absent */
	POLICY_ID_MATCH_EXACT,
	POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT,
	POLICY_ID_MATCH_REPOSITORY,
	POLICY_ID_EXACT_REFERENCE,  /* a = dockerReference */
	POLICY_ID_EXACT_REPOSITORY, /* a = dockerRepository */
	POLICY_ID_REMAP_IDENTITY,   /* a = prefix, b = signedPrefix */
};

struct policy_identity {
	enum policy_identity_type type;
	char *a, *b;
};

/* Whether a signature claiming signed_ref may stand for img under rule id (upstream's
 * matches_docker_reference; POLICY_ID_NONE matches anything). 0 on a match,
 * -EKEYREJECTED on a mismatch (why, if not NULL, gets the reason), -EBADMSG when a
 * reference that must be parsed is not one. */
int policy_identity_match(const struct policy_identity *id, const struct sig_image *img,
			  const char *signed_ref, struct buf *why);

/* Checks a simple-signing payload (containers-signature(5)): critical.type equals
 * want_type, critical.image.docker-manifest-digest equals img's manifest digest (or, if
 * allow_index, its index digest), critical.identity.docker-reference passes id.
 * -EBADMSG for a payload that is not the expected JSON, -EKEYREJECTED for a mismatch. */
int policy_payload_check(const void *p, size_t n, const char *want_type,
			 const struct sig_image *img, const struct policy_identity *id,
			 bool allow_index, struct buf *why);

enum policy_req_type {
	POLICY_REQ_ACCEPT,          /* insecureAcceptAnything */
	POLICY_REQ_REJECT,          /* reject */
	POLICY_REQ_SIGNED_BY,       /* simple signing */
	POLICY_REQ_SIGSTORE_SIGNED, /* cosign */
};

struct policy_req {
	enum policy_req_type type;
	/* As written in the file; checked when the requirement is evaluated, as upstream
	 * does (a bad rule denies the images it covers, it does not void the policy). */
	char *key_type; /* signedBy only */
	char *key_path;
	char *key_data;
	struct policy_identity identity;
};

struct policy_reqs {
	struct policy_req *v;
	size_t n;
};

struct policy;

#define POLICY_MAX_SIZE (1u << 20)

/* Parses a containers-policy.json as upstream's serde types do: "default" (array) and
 * "transports" (object of objects of arrays) are required, unknown members are ignored,
 * an unknown requirement or signedIdentity type, a missing member that type needs, or a
 * wrong JSON type is -EBADMSG. Every transport is parsed; only "docker" is used. */
int policy_parse(const void *p, size_t n, struct policy **ret);
struct policy *policy_free(struct policy *p);
DEFINE_POINTER_CLEANUP(struct policy *, policy_free)

/* The requirement list for img: the docker scope equal to the first of policy_scopes() that
 * the policy has, else the "" scope, else "default". *ret_scope (if not NULL) gets the
 * scope's name, or NULL for "default". Returns NULL only on allocation failure. */
const struct policy_reqs *policy_requirements_for(const struct policy *p,
						  const struct sig_image *img,
						  const char **ret_scope);

struct simple_config;

/* What evaluation needs from outside (the lead plugs in file://, kbs:// and the registry). */
struct sig_env {
	/* Reads a keyPath resource or a lookaside signature into out (a URI, or a bare path
	 * meaning file://). -ENOENT when it does not exist; other errors pass through. */
	int (*fetch)(void *ud, const char *uri, struct buf *out);
	/* cosign: the signature manifest "<repo>:sha256-<hex>.sig" of img (-ENOENT when
	 * the registry has none) and a blob of that repository by digest. */
	int (*cosign_manifest)(void *ud, const struct sig_image *img, struct buf *out);
	int (*cosign_blob)(void *ud, const struct sig_image *img, const char *digest,
			   struct buf *out);
	/* The registry signature extension's JSON for img's manifest digest (-ENOENT when
	 * the registry has none or no extension); NULL: not asked. */
	int (*registry_signatures)(void *ud, const struct sig_image *img, struct buf *out);
	void *ud;
	/* Lookaside configuration for signedBy; NULL: "not set", every signedBy fails. */
	const struct simple_config *sigstore;
	uint64_t now; /* seconds since the epoch, for signature expiry; 0: time(NULL) */
};

/* Evaluates every requirement that applies to img; all must pass, none = accept.
 * 0 accepted; otherwise why (if not NULL) says which rule refused and why, and:
 * -EPERM a "reject" rule; -ENOENT no signature exists; -EKEYREJECTED no signature
 * verifies, or a verified one names another digest or identity; -EKEYEXPIRED,
 * -EKEYREVOKED the only verifying signature or its key expired or was revoked; -EINVAL a rule that
 * cannot be used (keyType not GPGKeys, both or neither of keyPath/keyData, bad keyData,
 * an identity rule sigstoreSigned does not allow, no lookaside configured); errors of
 * env->fetch pass through. */
int policy_check(const struct policy *p, const struct sig_image *img, const struct sig_env *env,
		 struct buf *why);

/* Resets why and writes the formatted reason; returns r. why may be NULL. */
int policy_why(struct buf *why, int r, const char *fmt, ...) _printf_(3, 4);
/* Puts "<prefix>: " in front of the reason already in why (if any); returns r. */
int policy_why_prefix(struct buf *why, int r, const char *fmt, ...) _printf_(3, 4);
