/* SPDX-License-Identifier: Apache-2.0 */
/* The ocicrypt keyprovider protocol as the CDH serves it (upstream.md §5.5; guest-components
 * confidential-data-hub/hub/src/bin/message/mod.rs, image/annotation_packet/{v1,v2}.rs):
 * UnWrapKey takes the KeyProviderKeyWrapProtocolInput JSON, unwraps the layer key held in
 * the base64 AnnotationPacket and answers {"keyunwrapresults":{"optsdata":[bytes...]}}.
 * WrapKey is not served, as upstream (its service table entry is NULL, so the server
 * answers NOT_FOUND "/keyprovider.KeyProviderService/WrapKey is not supported"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cdh/error.h"
#include "cdh/kms.h"
#include "common/buf.h"
#include "common/secret.h"

/* Largest request we parse (one ttrpc frame). */
#define CDH_KEYPROVIDER_MAX (4u << 20)
#define CDH_ANNOTATION_VERSION "0.1.0"
/* The layer annotation holding the packet. */
#define CDH_ANNOTATION_KEY "org.opencontainers.image.enc.keys.provider.attestation-agent"

/* The UnWrapKey handler's work. in[0..n) is the request JSON. On success *ret holds the
 * response JSON (it carries the layer key: a secret).
 * Errors, err->message naming the cause:
 *   -EBADMSG  request is not the protocol's JSON (bad JSON, missing op/keywrapparams/
 *             keyunwrapparams, mistyped members), no annotation, annotation not base64
 *             std, packet not JSON or missing kid/wrapped_data, kbs packet without iv or
 *             wrap_type, bad base64 in the packet, wrong IV length
 *   -EPROTONOSUPPORT  packet version other than "0.1.0" (provider kbs)
 *   -EOPNOTSUPP  unknown wrap_type, or a provider other than kbs (no KMS decryptor)
 *   -EINVAL   kid is not a resource URI
 *   -EKEYREJECTED  A256GCM tag mismatch (wrong KEK or tampered data)
 *   -ENOKEY   KEK is not 32 bytes
 *   -E2BIG over CDH_KEYPROVIDER_MAX, -ENOMEM; getter errors (e.g. -ENOENT) pass through.
 * cdh-service.c turns a failure before the unwrap itself (-EBADMSG from the request
 * layer) into upstream's "[ERROR] UnwrapKey Parse request failed"; *ret_parse_failed says
 * which side failed (NULL allowed). */
int cdh_keyprovider_unwrap_key(const struct cdh_kms *kms, const void *in, size_t n,
			       struct secret **ret, bool *ret_parse_failed, struct cdh_error *err);

/* Unwraps one AnnotationPacket JSON text (already base64-decoded) into the layer key
 * options (optsdata). Same errors as above. */
int cdh_keyprovider_unwrap_packet(const struct cdh_kms *kms, const void *packet, size_t n,
				  struct secret **ret, struct cdh_error *err);

/* The request ocicrypt sends for UnWrapKey with the given base64 annotation, in Go
 * ocicrypt's member order; appended to out (tests, the in-process image client). */
int cdh_keyprovider_unwrap_request(const char *annotation_b64, struct buf *out);

/* Reads a response's keyunwrapresults.optsdata, given either as a JSON array of numbers
 * 0..255 (Rust serde, what we send) or as a base64 std string (Go's []byte), into *ret.
 * -EBADMSG for anything else. */
int cdh_keyprovider_parse_unwrap_response(const void *in, size_t n, struct secret **ret);
