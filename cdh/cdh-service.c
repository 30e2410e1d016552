/* SPDX-License-Identifier: Apache-2.0 */
/* The CDH's ttrpc services (guest-components confidential-data-hub/hub/src/bin/
 * ttrpc_server/mod.rs; upstream.md §2.2): every failure is INTERNAL
 * "[CDH] [ERROR]: <error>", except UnWrapKey's unparsable request, which upstream answers
 * "[ERROR] UnwrapKey Parse request failed". WrapKey is left to the generated stub
 * (NOT_FOUND), as upstream. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/cdh.h"
#include "cdh/image.h"
#include "cdh/keyprovider.h"
#include "cdh/secret.h"
#include "cdh/storage/block-device.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proto/api.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"

/* A reply's bytes from a secret: copied into malloc()ed memory the server frees after
 * packing (the secret itself is wiped by its owner). */
static int bytes_from(const struct secret *s, ProtobufCBinaryData *out)
{
	out->data = malloc(s->n ? s->n : 1);
	if (!out->data)
		return -ENOMEM;
	memcpy(out->data, s->p, s->n);
	out->len = s->n;
	return 0;
}

static int fail(const char *method, int r, const struct cdh_error *err)
{
	log_error("%s failed: %s", method, err && err->message[0] ? err->message : strerror(-r));
	return ttrpc_handler_status(TTRPC_CODE_INTERNAL, "[CDH] [ERROR]: %s",
				    err && err->message[0] ? err->message : strerror(-r));
}

static int unseal_secret(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Api__UnsealSecretInput *req = (const void *) m;
	struct cdh *cdh = userdata;
	_cleanup_secret_ struct secret *plain = NULL;
	struct cdh_error err = {};
	Api__UnsealSecretOutput *resp;
	struct cdh_secret_opts o = { .kms = &cdh->kms,
				     .skip_verification = cdh->skip_verification };
	int r;

	r = cdh_secret_unseal(&o, req->secret.data, req->secret.len, &plain, &err);
	if (r < 0)
		return fail("UnsealSecret", r, &err);
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	api__unseal_secret_output__init(resp);
	*ret = &resp->base;
	return bytes_from(plain, &resp->plaintext);
}

static int get_resource(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Api__GetResourceRequest *req = (const void *) m;
	struct cdh *cdh = userdata;
	_cleanup_secret_ struct secret *res = NULL;
	struct cdh_error err = {};
	Api__GetResourceResponse *resp;
	int r;

	r = cdh_kms_get_resource_str(&cdh->kms, req->resourcepath, &res);
	if (r < 0) {
		if (r == -ENOENT)
			cdh_error_set(&err, r, "get resource failed: resource not found");
		else if (r == -EINVAL)
			cdh_error_set(&err, r, "get resource failed: %s is not a resource URI",
				      req->resourcepath);
		else
			cdh_error_set(&err, r, "get resource failed: %s",
				      cdh_kms_reason()[0] ? cdh_kms_reason() : strerror(-r));
		return fail("GetResource", r, &err);
	}
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	api__get_resource_response__init(resp);
	*ret = &resp->base;
	return bytes_from(res, &resp->resource);
}

/* SecureMount's key getter: a sealed secret, a KBS resource or a local file. */
static int storage_key(void *ud, const struct cdh_storage_opts *o, struct secret **ret,
		       struct cdh_error *err)
{
	struct cdh *cdh = ud;
	struct cdh_secret_opts so = { .kms = &cdh->kms,
				      .skip_verification = cdh->skip_verification };
	_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(1 << 20);
	int r;

	switch (o->key_kind) {
	case CDH_STORAGE_KEY_SEALED:
		return cdh_secret_unseal(&so, o->key, strlen(o->key), ret, err);
	case CDH_STORAGE_KEY_URI:
		r = cdh_kms_get_resource_str(&cdh->kms, o->key, ret);
		return r < 0 ? cdh_error_set(err, r, "secure mount: get key %s: %s", o->key,
					     strerror(-r))
			     : 0;
	case CDH_STORAGE_KEY_FILE:
		r = fs_read_file(AT_FDCWD, o->key, &b);
		if (r < 0)
			return cdh_error_set(err, r, "secure mount: read key %s: %s", o->key,
					     strerror(-r));
		*ret = secret_new_copy(b.data, b.len);
		return *ret ? 0 : -ENOMEM;
	default:
		return -EINVAL;
	}
}

static int secure_mount(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Api__SecureMountRequest *req = (const void *) m;
	struct cdh_storage_env env = { .get_key = storage_key, .key_ud = userdata };
	struct cdh_storage_opts o;
	struct cdh_error err = {};
	const char **keys, **values;
	Api__SecureMountResponse *resp;
	int r;

	if (!streq(req->volume_type, CDH_STORAGE_VOLUME_BLOCK_DEVICE)) {
		cdh_error_set(&err, -EOPNOTSUPP,
			      "secure mount failed: volume type %s is not supported",
			      req->volume_type);
		return fail("SecureMount", -EOPNOTSUPP, &err);
	}
	keys = calloc(req->n_options + 1, sizeof(*keys));
	values = calloc(req->n_options + 1, sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return -ENOMEM;
	}
	for (size_t i = 0; i < req->n_options; i++) {
		keys[i] = req->options[i]->key;
		values[i] = req->options[i]->value;
	}
	r = cdh_storage_parse(keys, values, req->n_options, &o, &err);
	free(keys);
	free(values);
	if (r < 0)
		return fail("SecureMount", r, &err);
	r = cdh_storage_block_device_mount(&env, &o, req->mount_point, &err);
	cdh_storage_opts_done(&o);
	if (r < 0)
		return fail("SecureMount", r, &err);
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	api__secure_mount_response__init(resp);
	*ret = &resp->base;
	return 0;
}

static int pull_image(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Api__ImagePullRequest *req = (const void *) m;
	struct cdh *cdh = userdata;
	struct cdh_error err = {};
	Api__ImagePullResponse *resp;
	char *digest = NULL;
	int r;

	if (!cdh->image) {
		cdh_error_set(&err, -EOPNOTSUPP, "image pull is not built in");
		return fail("PullImage", -EOPNOTSUPP, &err);
	}
	r = cdh_image_pull(cdh->image, req->image_url, req->bundle_path, &digest, &err);
	if (r < 0)
		return fail("PullImage", r, &err);
	resp = malloc(sizeof(*resp));
	if (!resp) {
		free(digest);
		return -ENOMEM;
	}
	api__image_pull_response__init(resp);
	resp->manifest_digest = digest;
	*ret = &resp->base;
	return 0;
}

static int unwrap_key(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const Keyprovider__KeyProviderKeyWrapProtocolInput *req = (const void *) m;
	struct cdh *cdh = userdata;
	_cleanup_secret_ struct secret *out = NULL;
	struct cdh_error err = {};
	Keyprovider__KeyProviderKeyWrapProtocolOutput *resp;
	bool parse_failed = false;
	int r;

	r = cdh_keyprovider_unwrap_key(&cdh->kms, req->keyproviderkeywrapprotocolinput.data,
				       req->keyproviderkeywrapprotocolinput.len, &out,
				       &parse_failed, &err);
	if (r < 0 && parse_failed) {
		log_error("UnWrapKey: %s", err.message);
		return ttrpc_handler_status(TTRPC_CODE_INTERNAL,
					    "[ERROR] UnwrapKey Parse request failed");
	}
	if (r < 0)
		return fail("UnWrapKey", r, &err);
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	keyprovider__key_provider_key_wrap_protocol_output__init(resp);
	*ret = &resp->base;
	return bytes_from(out, &resp->keyproviderkeywrapprotocoloutput);
}

static const struct ttrpc_method sealed_secret_methods[] = { { "UnsealSecret", unseal_secret } };
static const struct ttrpc_method get_resource_methods[] = { { "GetResource", get_resource } };
static const struct ttrpc_method secure_mount_methods[] = { { "SecureMount", secure_mount } };
static const struct ttrpc_method image_pull_methods[] = { { "PullImage", pull_image } };
static const struct ttrpc_method keyprovider_methods[] = { { "WrapKey", NULL },
							   { "UnWrapKey", unwrap_key } };

const struct ttrpc_service cdh_sealed_secret_service = {
	.desc = &api__sealed_secret_service__descriptor,
	.methods = sealed_secret_methods,
	.n_methods = ELEMENTSOF(sealed_secret_methods),
};
const struct ttrpc_service cdh_get_resource_service = {
	.desc = &api__get_resource_service__descriptor,
	.methods = get_resource_methods,
	.n_methods = ELEMENTSOF(get_resource_methods),
};
const struct ttrpc_service cdh_secure_mount_service = {
	.desc = &api__secure_mount_service__descriptor,
	.methods = secure_mount_methods,
	.n_methods = ELEMENTSOF(secure_mount_methods),
};
const struct ttrpc_service cdh_image_pull_service = {
	.desc = &api__image_pull_service__descriptor,
	.methods = image_pull_methods,
	.n_methods = ELEMENTSOF(image_pull_methods),
};
const struct ttrpc_service cdh_keyprovider_service = {
	.desc = &keyprovider__key_provider_service__descriptor,
	.methods = keyprovider_methods,
	.n_methods = ELEMENTSOF(keyprovider_methods),
};
