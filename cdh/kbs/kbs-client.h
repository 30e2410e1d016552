/* SPDX-License-Identifier: Apache-2.0 */
/* cc_kbc: the KBS passport client behind the CDH's "kbs" getter (upstream.md §4.5-4.7,
 * kbs_protocol token_client.rs). The token and TEE key come from the AA's
 * GetToken("kbs"); unlike upstream they are kept and reused until the token's exp (less a
 * margin), so N resources cost one attestation. A 401 drops them and re-attests once. */
#pragma once

#include "cdh/kms.h"
#include "common/crypto.h"

struct kbs_client;

/* url: the KBS base URL ([kbc] url); cert: extra root CA PEM or NULL; aa_addr: the AA's
 * ttrpc address. Requests time out after upstream's 60 s (tests shorten it with
 * COCOBOX_TEST_TIMEOUT_MS, as token-cli does). -EINVAL for an empty URL, -ENOMEM. */
int kbs_client_new(const char *url, const char *cert, const char *aa_addr, struct kbs_client **ret);
struct kbs_client *kbs_client_free(struct kbs_client *c);
DEFINE_POINTER_CLEANUP(struct kbs_client *, kbs_client_free)

/* struct cdh_kms.get_resource (ud: the client). Thread-safe; concurrent callers share one
 * attestation. Errors: -ENOENT resource not found (404), -EACCES refused (401 after a
 * fresh token), -EPROTO/-EBADMSG malformed answers, transport errors, the AA's; the
 * KBS's own words (401 body, status and body text, libcurl's error) in cdh_kms_reason(). */
int kbs_client_get_resource(void *ud, const struct resource_uri *uri, struct secret **ret);

/* One GET /kbs/v0/resource answer: status and body as received, key the TEE key of the
 * token the request carried. 0 with *ret the plaintext (caller frees); -EACCES for 401,
 * -ENOENT for 404, -EPROTO for any other status (each with cdh_kms_reason() set from the
 * body, made printable); for a 200 whose body is not a flattened JWE that key opens,
 * jose_jwe_decrypt()'s codes (-EBADMSG, -EOPNOTSUPP, ...). Never reads past n. */
int kbs_client_parse_resource(long status, const void *body, size_t n, const struct crypto_pk *key,
			      struct secret **ret);

/* How many tokens this client has asked the AA for (tests, benchmarks). */
unsigned kbs_client_attestations(const struct kbs_client *c);
