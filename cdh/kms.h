/* SPDX-License-Identifier: Apache-2.0 */
/* The resource-getter seam between the CDH's consumers (sealed secrets, UnWrapKey,
 * [[credentials]], GetResource) and whatever fetches KBS resources: offline_fs_kbc now,
 * the KBS passport client (cc_kbc) later (upstream.md §5.2: the "kbs" getter). Envelope
 * secrets also need a KMS "decryptor" (upstream: aliyun, aws, ehsm); the slot is here so a
 * backend can plug in, and nothing fills it in this build. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cdh/resource-uri.h"
#include "common/secret.h"

struct json_object;

struct cdh_kms {
	/* Fetches the resource named by uri. On success *ret owns the plaintext bytes.
	 * Errors: -ENOENT no such resource, -EACCES refused by the KBS, -EOPNOTSUPP plugin
	 * not served, others as the backend's transport. Must be safe to call from several
	 * threads at once. */
	int (*get_resource)(void *ud, const struct resource_uri *uri, struct secret **ret);
	/* Envelope-secret DEK decryption by KMS provider (lowercased name), or NULL. Returns
	 * -EOPNOTSUPP for a provider it does not serve. annotations is the secret's object. */
	int (*decrypt)(void *ud, const char *provider, const char *key_id,
		       struct json_object *annotations, const uint8_t *enc, size_t n,
		       struct secret **ret);
	void *ud;
};

/* Calls kms->get_resource, -EOPNOTSUPP when there is none. */
int cdh_kms_get_resource(const struct cdh_kms *kms, const struct resource_uri *uri,
			 struct secret **ret);
/* Parses uri first: -EINVAL when it is not a resource URI. */
int cdh_kms_get_resource_str(const struct cdh_kms *kms, const char *uri, struct secret **ret);

/* Why the last get_resource on this thread failed, in the backend's words (the KBS's 401
 * ErrorInformation, an HTTP status and body, a transport error), for the caller's error
 * message; "" when the backend gave none. Per thread because getters run on the calling
 * ttrpc worker; cdh_kms_get_resource() clears it first. Never holds key material. */
const char *cdh_kms_reason(void);
/* Backends: set the reason (printf-style; a peer's text must be made printable first). */
void cdh_kms_set_reason(const char *fmt, ...) _printf_(1, 2);
