/* SPDX-License-Identifier: Apache-2.0 */
/* Simple signing (upstream.md §6.5; GC image-rs policy/simple/{mod.rs,sigstore.rs},
 * containers-registries.d(5), containers-signature(5)): the lookaside ("sigstore")
 * configuration YAML, locating "<base>/<repository>@<alg>=<hex>/signature-N", and checking
 * each signature with the trusted keyring and the payload rules. */
#pragma once

#include "openpgp.h"
#include "policy.h"

#define SIMPLE_CONFIG_MAX_SIZE (256u << 10)
/* signature-1 .. signature-SIMPLE_MAX_SIGNATURES are tried; the first missing one ends
 * the list (c/image's lookaside reader does the same). */
#define SIMPLE_MAX_SIGNATURES 64
#define SIMPLE_SIGNATURE_TYPE "atomic container signature"
/* Largest answer of the registry signature extension we read. */
#define SIMPLE_EXTENSION_MAX_SIZE (4u << 20)

/* The merged lookaside configuration: an optional default-docker base and per-scope
 * bases under "docker". */
struct simple_config;

/* Parses one registries.d document, a strict YAML subset: block mappings by indentation
 * (spaces only), "# comments", plain, 'single' and "double" quoted scalars, flow mappings
 * of scalars ("{sigstore: URL}"), an optional leading "---". Each entry is
 * {sigstore|lookaside: URL}; "sigstore-staging", "lookaside-staging" (write side) and
 * "use-sigstore-attachments" are accepted and ignored, other keys are ignored as
 * upstream's serde types do, but must still be in the subset. Anything else (sequences,
 * anchors, tags, block scalars, tabs, duplicate keys, an entry without a URL or with both
 * sigstore and lookaside) is -EBADMSG; -E2BIG past SIMPLE_CONFIG_MAX_SIZE. An empty
 * document is an empty configuration. */
int simple_config_parse(const void *p, size_t n, struct simple_config **ret);
struct simple_config *simple_config_free(struct simple_config *c);
DEFINE_POINTER_CLEANUP(struct simple_config *, simple_config_free)

/* Merges from into into as upstream's update_self(): default-docker may be given twice
 * only with the same URL, a scope twice only with the same URL (-EBADMSG otherwise, and
 * into is left unchanged). */
int simple_config_merge(struct simple_config *into, const struct simple_config *from);

/* The base URL for img: the first of policy_scopes() configured under "docker", else
 * default-docker, else NULL. Borrowed from c. */
const char *simple_config_base_url(const struct simple_config *c, const struct sig_image *img);

/* A signedBy requirement: keyring holds the trusted keys (binary or armored), id the
 * rule (POLICY_ID_NONE means matchRepoDigestOrExact). Signatures are fetched through
 * env->fetch from the lookaside base; when no lookaside is configured for img and
 * env->registry_signatures is set, the registry's signature extension lists them
 * instead (beyond upstream, as c/image does). Any one that verifies with a primary key of
 * the keyring, whose one-pass key id matches that key, and whose payload passes
 * policy_payload_check(), accepts. Errors as policy_check(). */
int simple_check(const struct sig_image *img, const void *keyring, size_t n,
		 const struct policy_identity *id, const struct sig_env *env, struct buf *why);

/* Parses the registry signature extension's answer (GET
 * /extensions/v2/<repository>/signatures/<digest>, c/image docker_image_src.go):
 * {"signatures":[{"version":2,"type":"atomic","name":...,"content":"<base64>"}]}.
 * Entries of another version or type are skipped, as c/image does; at most
 * SIMPLE_MAX_SIGNATURES are kept. *ret (free with simple_signatures_free()) holds the
 * decoded signatures. -EBADMSG for anything else (bad JSON, a malformed entry, bad
 * base64), -E2BIG past SIMPLE_EXTENSION_MAX_SIZE, -ENOMEM. */
int simple_extension_parse(const void *p, size_t n, struct buf **ret, size_t *ret_n);
void simple_signatures_free(struct buf *list, size_t n);
