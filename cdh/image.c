/* SPDX-License-Identifier: Apache-2.0 */
/* PullImage (see image.h). Configuration resources (registry_configuration_uri,
 * authenticated_registry_credentials_uri) are file:// paths or KBS resources, as image-rs's
 * ResourceProvider reads them (upstream.md §6.1). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "cdh/image.h"
#include "cdh/keyprovider.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/ttrpc-client.h"
#include "image-rs/bundle.h"
#include "image-rs/pull.h"
#include "image-rs/registries.h"

#define AA_EXTEND_TIMEOUT_USEC (10ull * 1000000) /* hub.rs */
#define RESOURCE_MAX (1u << 20)

struct cdh_image {
	const struct cdh_config *cfg;
	const struct cdh_kms *kms;
	pthread_mutex_t lock;
	struct store *store;
};

int cdh_image_new(const struct cdh_config *cfg, const struct cdh_kms *kms, struct cdh_image **ret)
{
	struct cdh_image *ci = calloc(1, sizeof(*ci));

	if (!ci)
		return -ENOMEM;
	ci->cfg = cfg;
	ci->kms = kms;
	(void) pthread_mutex_init(&ci->lock, NULL);
	*ret = ci;
	return 0;
}

struct cdh_image *cdh_image_free(struct cdh_image *ci)
{
	if (!ci)
		return NULL;
	store_free(ci->store);
	pthread_mutex_destroy(&ci->lock);
	free(ci);
	return NULL;
}

/* keyPath and lookaside URIs the image client does not read itself (kbs://). */
static int fetch_resource(void *ud, const char *uri, struct buf *out)
{
	struct cdh_image *ci = ud;
	_cleanup_secret_ struct secret *s = NULL;
	int r;

	if (!startswith(uri, "kbs://") && !startswith(uri, "kbs+"))
		return -EOPNOTSUPP;
	r = cdh_kms_get_resource_str(ci->kms, uri, &s);
	return r < 0 ? r : buf_append(out, s->p, s->n);
}

/* A file:// (or plain path) or kbs:// resource as text. */
static int get_resource(struct cdh_image *ci, const char *uri, struct buf *out,
			struct cdh_error *err)
{
	int r;

	if (startswith(uri, "kbs://") || startswith(uri, "kbs+")) {
		r = fetch_resource(ci, uri, out);
		if (r < 0)
			return cdh_error_set(err, r, "failed to get resource %s: %s", uri,
					     strerror(-r));
	} else {
		const char *path = startswith(uri, "file://") ?: uri;

		if (strstr(uri, "://") && !startswith(uri, "file://"))
			return cdh_error_set(err, -EINVAL, "unsupported resource scheme: %s", uri);
		r = fs_read_file(AT_FDCWD, path, out);
		if (r < 0)
			return cdh_error_set(err, r, "failed to read %s: %s", path, strerror(-r));
	}
	if (r >= 0 && memchr(out->data, 0, out->len))
		r = -EBADMSG;
	if (r >= 0)
		r = buf_put_u8(out, 0);
	return r < 0 ? cdh_error_set(err, r, "resource %s is not text", uri) : 0;
}

static int toml_string(struct buf *b, const char *s)
{
	int r = buf_put_u8(b, '"');

	for (; r >= 0 && *s; s++) {
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			r = buf_appendf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			r = buf_appendf(b, "\\u%04x", c);
		else
			r = buf_put_u8(b, c);
	}
	return r < 0 ? r : buf_put_u8(b, '"');
}

/* [image.registry_config] as registries.conf text for image-rs's parser. */
static int registry_config_text(const struct cdh_image_config *im, struct buf *b)
{
	int r = buf_append_str(b, "unqualified-search-registries = [");

	for (size_t i = 0; r >= 0 && i < im->n_unqualified_search_registries; i++) {
		if (i)
			r = buf_append_str(b, ", ");
		if (r >= 0)
			r = toml_string(b, im->unqualified_search_registries[i]);
	}
	if (r >= 0)
		r = buf_append_str(b, "]\n");
	for (size_t i = 0; r >= 0 && i < im->n_registries; i++) {
		const struct cdh_registry *g = &im->registries[i];

		r = buf_append_str(b, "[[registry]]\n");
		if (r >= 0 && *g->prefix)
			r = buf_append_str(b, "prefix = ") ?: toml_string(b, g->prefix) ?:
			    buf_put_u8(b, '\n');
		if (r >= 0 && *g->location)
			r = buf_append_str(b, "location = ") ?: toml_string(b, g->location) ?:
			    buf_put_u8(b, '\n');
		if (r >= 0)
			r = buf_appendf(b, "insecure = %s\nblocked = %s\n",
					g->insecure ? "true" : "false",
					g->blocked ? "true" : "false");
		for (size_t k = 0; r >= 0 && k < g->n_mirrors; k++)
			r = buf_append_str(b, "[[registry.mirror]]\nlocation = ") ?:
			    toml_string(b, g->mirrors[k].location) ?:
			    buf_appendf(b, "\ninsecure = %s\n",
					g->mirrors[k].insecure ? "true" : "false");
	}
	return r < 0 ? r : buf_put_u8(b, 0);
}

static int open_store(struct cdh_image *ci, struct cdh_error *err)
{
	int r = 0;

	pthread_mutex_lock(&ci->lock);
	if (!ci->store)
		r = store_open(ci->cfg->image.work_dir, &ci->store);
	pthread_mutex_unlock(&ci->lock);
	if (r < 0)
		return cdh_error_set(err, r, "failed to open the image store in %s: %s",
				     ci->cfg->image.work_dir, strerror(-r));
	return 0;
}

/* hub.rs: after a pull, if the AA socket exists, ExtendRuntimeMeasurement with content
 * built by string formatting (a space after the comma, no escaping), no RegisterIndex. */
static int extend_aa(struct cdh_image *ci, const char *image, const char *digest,
		     struct cdh_error *err)
{
	AttestationAgent__ExtendRuntimeMeasurementRequest req =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__INIT;
	AttestationAgent__ExtendRuntimeMeasurementResponse *resp = NULL;
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	_cleanup_(ttrpc_status_done) struct ttrpc_status st = TTRPC_STATUS_INIT;
	_cleanup_free_ char *content = NULL;
	const char *sock = ci->cfg->aa_socket;
	const char *path = startswith(sock, "unix://") ?: sock;
	struct stat s;
	int r;

	if (stat(path, &s) < 0 || !S_ISSOCK(s.st_mode))
		return 0;
	if (asprintf(&content, "{\"image\":\"%s\", \"digest\":\"%s\"}", image, digest) < 0)
		return -ENOMEM;
	req.domain = (char *) "github.com/confidential-containers";
	req.operation = (char *) "PullImage";
	req.content = content;
	r = ttrpc_client_connect(sock, &c);
	if (r >= 0)
		r = ttrpc_client_call(
		    c, "attestation_agent.AttestationAgentService", "ExtendRuntimeMeasurement",
		    &req.base, &attestation_agent__extend_runtime_measurement_response__descriptor,
		    AA_EXTEND_TIMEOUT_USEC, (ProtobufCMessage **) &resp, &st);
	if (r < 0)
		return cdh_error_set(err, r, "failed to extend the runtime measurement: %s",
				     r == -EREMOTEIO && st.message ? st.message : strerror(-r));
	if (resp->result != ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK)
		log_info("Runtime measurement of the pull was not recorded (result %d).",
			 resp->result);
	attestation_agent__extend_runtime_measurement_response__free_unpacked(resp, NULL);
	return 0;
}

/* ocicrypt's keyprovider callback, in process: the attestation-agent packet is unwrapped
 * with the KEK from the KMS/KBS as UnWrapKey would, without the socket round trip. */
static int unwrap_layer_key(void *ud, const char *provider, const uint8_t *packet, size_t n,
			    struct secret **ret)
{
	struct cdh_image *ci = ud;
	struct cdh_error e = {};
	int r;

	if (!streq(provider, "attestation-agent"))
		return -ENOKEY;
	r = cdh_keyprovider_unwrap_packet(ci->kms, packet, n, ret, &e);
	if (r < 0)
		log_debug("image: layer key unwrap failed: %s", e.message);
	return r;
}

int cdh_image_pull(struct cdh_image *ci, const char *image_url, const char *bundle_path,
		   char **ret_digest, struct cdh_error *err)
{
	const struct cdh_image_config *im = &ci->cfg->image;
	_cleanup_(buf_done) struct buf conf = BUF_INIT(REGISTRIES_CONF_MAX + 1);
	_cleanup_(buf_done_wipe) struct buf auth = BUF_INIT(RESOURCE_MAX + 1);
	_cleanup_(buf_done) struct buf why = BUF_INIT(16384);
	_cleanup_(buf_done) struct buf policy = BUF_INIT(RESOURCE_MAX * 4 + 1);
	_cleanup_(buf_done) struct buf sigstore = BUF_INIT(RESOURCE_MAX + 1);
	struct image_pull_config pc = {};
	struct image_pull_result res;
	struct ocicrypt_config keys = { .provider = unwrap_layer_key, .provider_userdata = ci };
	int r;

	pull_opts_default(&pc.pull);
	pc.pull.decrypt = &keys;
	if (im->max_concurrent_layer_downloads_per_image > 0)
		pc.pull.concurrency = (unsigned) MIN(im->max_concurrent_layer_downloads_per_image,
						     64u);
	if (im->has_registry_config)
		r = registry_config_text(im, &conf);
	else if (im->registry_configuration_uri)
		r = get_resource(ci, im->registry_configuration_uri, &conf, err);
	else
		r = 0;
	if (r < 0)
		return err->message[0]
			   ? r
			   : cdh_error_set(err, r, "registry configuration: %s", strerror(-r));
	if (conf.len)
		pc.registries_conf = buf_str(&conf);
	if (im->authenticated_registry_credentials_uri) {
		r = get_resource(ci, im->authenticated_registry_credentials_uri, &auth, err);
		if (r < 0)
			return r;
		pc.auth_file = buf_str(&auth);
	}
	/* image_security_policy_uri wins over the inline text, as upstream */
	if (im->image_security_policy_uri) {
		r = get_resource(ci, im->image_security_policy_uri, &policy, err);
		if (r < 0)
			return r;
		pc.policy = buf_str(&policy);
	} else if (im->image_security_policy)
		pc.policy = im->image_security_policy;
	if (im->sigstore_config_uri) {
		r = get_resource(ci, im->sigstore_config_uri, &sigstore, err);
		if (r < 0)
			return r;
		pc.sigstore_config = buf_str(&sigstore);
	} else if (im->sigstore_config)
		pc.sigstore_config = im->sigstore_config;
	pc.fetch = fetch_resource;
	pc.fetch_userdata = ci;
	pc.extra_root_certs = (const char *const *) im->extra_root_certificates;
	pc.http_proxy = im->http_proxy;
	pc.https_proxy = im->https_proxy;
	pc.no_proxy = im->no_proxy;

	r = open_store(ci, err);
	if (r < 0)
		return r;
	r = image_pull(ci->store, &pc, image_url, &res, &why);
	if (r < 0)
		return cdh_error_set(err, r, "Failed to pull image %s: %s", image_url,
				     buf_str(&why));
	r = bundle_create(ci->store, res.config_digest, bundle_path, &why);
	if (r < 0)
		return cdh_error_set(err, r, "Failed to create the bundle at %s: %s", bundle_path,
				     buf_str(&why));
	log_info("Pulled %s (%s) into %s.", image_url, res.manifest_digest, bundle_path);
	r = extend_aa(ci, image_url, res.manifest_digest, err);
	if (r < 0)
		return r;
	*ret_digest = strdup(res.manifest_digest);
	return *ret_digest ? 0 : -ENOMEM;
}
