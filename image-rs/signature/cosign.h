/* SPDX-License-Identifier: Apache-2.0 */
/* Cosign signatures (upstream.md §6.5; GC image-rs policy/cosign/mod.rs with sigstore-rs
 * triangulate / trusted_signature_layers, testbed §2e): the "<repo>:sha256-<hex>.sig"
 * manifest's simple-signing layers, each payload blob signed in the layer annotation
 * "dev.cosignproject.cosign/signature" with the key of a sigstoreSigned rule. */
#pragma once

#include "policy.h"

#define COSIGN_PAYLOAD_MEDIA_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"
#define COSIGN_SIGNATURE_TYPE "cosign container image signature"
#define COSIGN_MAX_MANIFEST (4u << 20)
#define COSIGN_MAX_PAYLOAD (1u << 20)
#define COSIGN_MAX_LAYERS 64

/* Fetches the blob of digest into out (the caller checks nothing: cosign_verify()
 * checks the digest itself). -ENOENT if absent. */
typedef int (*cosign_blob_fn)(void *ud, const char *digest, struct buf *out);

/* Verifies a signature manifest (OCI image manifest JSON) for img with a PEM public key
 * (ECDSA P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512; RSA as PKCS#1 v1.5 or
 * PSS with SHA-256). Layers of COSIGN_PAYLOAD_MEDIA_TYPE are fetched; at least one must
 * carry a signature that verifies, and every one's payload must
 * name img's manifest or index digest and pass id (POLICY_ID_NONE: identity unchecked);
 * their type is not checked, as upstream does not.
 * -ENOENT no simple-signing layer, -EKEYREJECTED none verifies or a payload mismatches,
 * -EBADMSG a malformed manifest or payload, -EINVAL an unusable key. */
int cosign_verify(const struct sig_image *img, const void *key_pem, size_t key_len,
		  const struct policy_identity *id, const void *manifest, size_t n,
		  cosign_blob_fn blob, void *ud, struct buf *why);

/* A sigstoreSigned requirement: refuses identity rules other than matchRepository and
 * exactRepository (-EINVAL), fetches the signature manifest through env and calls
 * cosign_verify(). */
int cosign_check(const struct sig_image *img, const void *key_pem, size_t key_len,
		 const struct policy_identity *id, const struct sig_env *env, struct buf *why);
