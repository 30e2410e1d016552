/* SPDX-License-Identifier: Apache-2.0 */
/* cc_kbc: the KBS passport client behind the CDH's "kbs" getter (upstream.md §4.5-4.7,
 * kbs_protocol token_client.rs). The token and TEE key come from the AA's
 * GetToken("kbs"); unlike upstream they are kept and reused until the token's exp (less a
 * margin), so N resources cost one attestation. A 401 drops them and re-attests once. */
#pragma once

#include "cdh/kms.h"

struct kbs_client;

/* url: the KBS base URL ([kbc] url); cert: extra root CA PEM or NULL; aa_addr: the AA's
 * ttrpc address. -EINVAL for an empty URL, -ENOMEM. */
int kbs_client_new(const char *url, const char *cert, const char *aa_addr, struct kbs_client **ret);
struct kbs_client *kbs_client_free(struct kbs_client *c);
DEFINE_POINTER_CLEANUP(struct kbs_client *, kbs_client_free)

/* struct cdh_kms.get_resource (ud: the client). Thread-safe; concurrent callers share one
 * attestation. Errors: -ENOENT resource not found (404), -EACCES refused (401 after a
 * fresh token), -EPROTO/-EBADMSG malformed answers, transport errors, the AA's. */
int kbs_client_get_resource(void *ud, const struct resource_uri *uri, struct secret **ret);

/* How many tokens this client has asked the AA for (tests, benchmarks). */
unsigned kbs_client_attestations(const struct kbs_client *c);
