/* SPDX-License-Identifier: Apache-2.0 */
/* cdh-tool: CLI over the CDH socket with upstream's ttrpc-cdh-tool commands and flags
 * (guest-components confidential-data-hub/hub/src/bin/ttrpc-cdh-tool.rs). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <strings.h>

#include "cdh/config.h"
#include "cdh/secret.h"
#include "common/applet.h"
#include "common/b64.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "common/jose.h"
#include "common/json-util.h"
#include "common/log.h"
#include "common/proto/api.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "common/ttrpc-client.h"
#if CDH_WITH_IMAGE
#include "image-rs/store.h"
#endif

#define CDH_DEFAULT_SOCK "unix:///run/confidential-containers/cdh.sock"

struct cdh_tool_args {
	const char *sock;
	long timeout_s;
};

static void help(void)
{
	printf(
	    "Usage: cdh-tool [OPTIONS] <COMMAND> [ARGS]\n\n"
	    "Commands:\n"
	    "  unseal-secret -s, --secret-path <PATH>      unseal the sealed secret in PATH\n"
	    "  unwrap-key -a, --annotation-path <PATH>     unwrap an image key annotation packet\n"
	    "  get-resource -r, --resource-uri <URI>       fetch a KBS resource "
	    "(kbs:///repo/type/tag)\n"
	    "  secure-mount -s, --storage-path <PATH>      mount the Storage object (JSON) in "
	    "PATH\n"
	    "  pull-image -i, --image-url <REF> -b, --bundle-path <DIR>\n"
	    "                                              pull an image into a bundle\n"
	    "  seal vault|envelope ...                     make a sealed secret locally, no CDH\n"
	    "                                              (see 'cdh-tool seal --help')\n"
	    "  image list|prune|remove ...                 the image store itself, no CDH\n"
	    "                                              (see 'cdh-tool image --help')\n\n"
	    "Options:\n"
	    "  -s, --socket <ADDR>   CDH address [default: %s]\n"
	    "  -t, --timeout <SECS>  request timeout [default: 50]\n"
	    "  -h, --help            print this help\n"
	    "  -V, --version         print the version\n",
	    CDH_DEFAULT_SOCK);
}

static int parse_argv(int argc, char **argv, struct cdh_tool_args *a)
{
	static const struct option options[] = { { "socket", required_argument, NULL, 's' },
						 { "timeout", required_argument, NULL, 't' },
						 { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct cdh_tool_args){ .sock = CDH_DEFAULT_SOCK, .timeout_s = 50 };
	optind = 0;
	while ((c = getopt_long(argc, argv, "+s:t:hV", options, NULL)) >= 0)
		switch (c) {
		case 's':
			a->sock = optarg;
			break;
		case 't':
			a->timeout_s = strtol(optarg, NULL, 10);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("cdh-tool (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind >= argc)
		return log_error_errno(-EINVAL, "Missing command (try --help).");
	return 1;
}

/* ---- seal: sealed secrets made offline (upstream's secret_cli "seal", §5.4) ---- */

#define SEAL_FILE_MAX (4u << 20)

struct seal_args {
	const char *kid, *key_file;
	const char *resource_uri, *provider, *provider_settings, *annotations;
	const char *key_id, *encrypted_key_file, *dek_file, *file_path, *wrap_type;
};

static void seal_help(void)
{
	printf("Usage: cdh-tool seal vault --kid <KID> --key-file <JWK> --resource-uri <URI>\n"
	       "                          [--provider kbs] [--provider-settings <JSON>]\n"
	       "                          [--annotations <JSON>]\n"
	       "       cdh-tool seal envelope --kid <KID> --key-file <JWK> --provider <NAME>\n"
	       "                          --key-id <ID> --encrypted-key-file <FILE>\n"
	       "                          --dek-file <FILE> --file-path <FILE>\n"
	       "                          [--wrap-type A256GCM|A256CTR]\n"
	       "                          [--provider-settings <JSON>] [--annotations <JSON>]\n\n"
	       "Prints 'sealed.<JWS>' signed with ES256. The CDH finds the verification key by\n"
	       "the kid: a KBS resource URI (the JWK is fetched) or a file name under\n"
	       "%s.\n\n"
	       "  --kid <KID>                 key id written into the JWS header\n"
	       "  --key-file <FILE>           EC P-256 private key (JWK or PEM) to sign with\n"
	       "  --resource-uri <URI>        vault: the secret's name (kbs:///repo/type/tag)\n"
	       "  --provider <NAME>           vault: default kbs; envelope: the KMS (aliyun, aws,\n"
	       "                              ehsm, ...)\n"
	       "  --key-id <ID>               envelope: the KMS key that wrapped the DEK\n"
	       "  --encrypted-key-file <FILE> envelope: the DEK as the KMS encrypted it (raw)\n"
	       "  --dek-file <FILE>           envelope: the 32-byte DEK itself (raw)\n"
	       "  --file-path <FILE>          envelope: the plaintext to seal\n"
	       "  --wrap-type <TYPE>          envelope: A256GCM (default, 12-byte IV) or A256CTR\n"
	       "  --provider-settings <JSON>  JSON object (default {})\n"
	       "  --annotations <JSON>        JSON object (default {})\n"
	       "  -h, --help                  print this help\n",
	       CDH_SEALED_SECRET_DIR);
}

static int seal_parse_argv(int argc, char **argv, struct seal_args *a)
{
	enum {
		ARG_KID = 0x100,
		ARG_KEY_FILE,
		ARG_RESOURCE_URI,
		ARG_PROVIDER,
		ARG_PROVIDER_SETTINGS,
		ARG_ANNOTATIONS,
		ARG_KEY_ID,
		ARG_ENCRYPTED_KEY_FILE,
		ARG_DEK_FILE,
		ARG_FILE_PATH,
		ARG_WRAP_TYPE,
	};
	static const struct option options[] = {
		{ "kid", required_argument, NULL, ARG_KID },
		{ "key-file", required_argument, NULL, ARG_KEY_FILE },
		{ "resource-uri", required_argument, NULL, ARG_RESOURCE_URI },
		{ "provider", required_argument, NULL, ARG_PROVIDER },
		{ "provider-settings", required_argument, NULL, ARG_PROVIDER_SETTINGS },
		{ "annotations", required_argument, NULL, ARG_ANNOTATIONS },
		{ "key-id", required_argument, NULL, ARG_KEY_ID },
		{ "encrypted-key-file", required_argument, NULL, ARG_ENCRYPTED_KEY_FILE },
		{ "dek-file", required_argument, NULL, ARG_DEK_FILE },
		{ "file-path", required_argument, NULL, ARG_FILE_PATH },
		{ "wrap-type", required_argument, NULL, ARG_WRAP_TYPE },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char **dst[] = {
		[ARG_KID - ARG_KID] = &a->kid,
		[ARG_KEY_FILE - ARG_KID] = &a->key_file,
		[ARG_RESOURCE_URI - ARG_KID] = &a->resource_uri,
		[ARG_PROVIDER - ARG_KID] = &a->provider,
		[ARG_PROVIDER_SETTINGS - ARG_KID] = &a->provider_settings,
		[ARG_ANNOTATIONS - ARG_KID] = &a->annotations,
		[ARG_KEY_ID - ARG_KID] = &a->key_id,
		[ARG_ENCRYPTED_KEY_FILE - ARG_KID] = &a->encrypted_key_file,
		[ARG_DEK_FILE - ARG_KID] = &a->dek_file,
		[ARG_FILE_PATH - ARG_KID] = &a->file_path,
		[ARG_WRAP_TYPE - ARG_KID] = &a->wrap_type,
	};
	int c;

	*a = (struct seal_args){};
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		if (c == 'h') {
			seal_help();
			return 0;
		}
		if (c < ARG_KID || c > ARG_WRAP_TYPE)
			return -EINVAL;
		*dst[c - ARG_KID] = optarg;
	}
	if (optind < argc)
		return log_error_errno(-EINVAL, "seal: unexpected argument '%s'.", argv[optind]);
	if (!a->kid || !a->key_file)
		return log_error_errno(-EINVAL, "seal: --kid and --key-file are required.");
	return 1;
}

static int read_whole(const char *path, struct buf *b)
{
	int r = fs_read_file(AT_FDCWD, path, b);

	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", path);
	return 0;
}

static int parse_object_arg(const char *flag, const char *s, json_object **ret)
{
	json_object *j = NULL;

	if (!s)
		return 0;
	if (json_parse(s, strlen(s), SEAL_FILE_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL) < 0 || !j ||
	    !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return log_error_errno(-EINVAL, "seal: %s must be a JSON object.", flag);
	}
	*ret = j;
	return 0;
}

static int load_signing_key(const char *path, struct crypto_pk **ret)
{
	_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(SEAL_FILE_MAX);
	int r;

	r = read_whole(path, &b);
	if (r < 0)
		return r;
	r = jose_jwk_import(buf_str(&b), b.len, ret);
	if (r < 0)
		r = crypto_pk_import(b.data, b.len, ret);
	if (r < 0)
		return log_error_errno(r, "seal: '%s' is neither a JWK nor a PEM/DER key: %m",
				       path);
	return 0;
}

static int seal_envelope_payload(const struct seal_args *a, json_object *settings,
				 json_object *annotations, struct buf *payload)
{
	_cleanup_(buf_done_wipe) struct buf dek = BUF_INIT(64), data = BUF_INIT(SEAL_FILE_MAX);
	_cleanup_(buf_done) struct buf ek = BUF_INIT(SEAL_FILE_MAX),
				       enc = BUF_INIT(SEAL_FILE_MAX + 64);
	enum wrap_type wt = WRAP_A256GCM;
	uint8_t iv[16];
	int r;

	if (!a->provider || !a->key_id || !a->encrypted_key_file || !a->dek_file || !a->file_path)
		return log_error_errno(-EINVAL, "seal envelope: --provider, --key-id, "
						"--encrypted-key-file, --dek-file and --file-path "
						"are required.");
	if (a->wrap_type && wrap_type_from_string(a->wrap_type, &wt) < 0)
		return log_error_errno(-EINVAL, "seal envelope: unknown --wrap-type '%s'.",
				       a->wrap_type);
	if ((r = read_whole(a->dek_file, &dek)) < 0 ||
	    (r = read_whole(a->encrypted_key_file, &ek)) < 0 ||
	    (r = read_whole(a->file_path, &data)) < 0)
		return r;
	if (dek.len != WRAP_KEY_SIZE)
		return log_error_errno(-EINVAL, "seal envelope: the DEK must be %d bytes, not %zu.",
				       WRAP_KEY_SIZE, dek.len);
	r = crypto_random(iv, wrap_type_iv_size(wt));
	if (r < 0)
		return log_error_errno(r, "seal envelope: no random IV: %m");
	r = wrap_encrypt(wt, dek.data, dek.len, iv, wrap_type_iv_size(wt), data.data, data.len,
			 &enc);
	if (r < 0)
		return log_error_errno(r, "seal envelope: encryption failed: %m");
	r = cdh_secret_envelope_json(
	    &(struct cdh_secret_envelope){
		.key_id = a->key_id,
		.encrypted_key = ek.data,
		.encrypted_key_len = ek.len,
		.encrypted_data = enc.data,
		.encrypted_data_len = enc.len,
		.wrap_type = wt,
		.iv = iv,
		.iv_len = wrap_type_iv_size(wt),
		.provider = a->provider,
		.provider_settings = settings,
		.annotations = annotations,
	    },
	    payload);
	if (r < 0)
		return log_error_errno(r, "seal envelope: %m");
	return 0;
}

static int seal(int argc, char **argv)
{
	_cleanup_(json_object_putp) json_object *settings = NULL, *annotations = NULL;
	_cleanup_(buf_done) struct buf payload = BUF_INIT(2 * SEAL_FILE_MAX),
				       out = BUF_INIT(4 * SEAL_FILE_MAX);
	_cleanup_pk_ struct crypto_pk *key = NULL;
	struct seal_args a;
	const char *type;
	int r;

	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		seal_help();
		return argc < 2 ? -EINVAL : 0;
	}
	type = argv[1];
	if (!streq(type, "vault") && !streq(type, "envelope"))
		return log_error_errno(-EINVAL, "seal: unknown type '%s' (vault or envelope).",
				       type);
	r = seal_parse_argv(argc - 1, argv + 1, &a);
	if (r <= 0)
		return r;
	if ((r = parse_object_arg("--provider-settings", a.provider_settings, &settings)) < 0 ||
	    (r = parse_object_arg("--annotations", a.annotations, &annotations)) < 0)
		return r;
	r = load_signing_key(a.key_file, &key);
	if (r < 0)
		return r;

	if (streq(type, "vault")) {
		if (!a.resource_uri)
			return log_error_errno(-EINVAL, "seal vault: --resource-uri is required.");
		/* The kbs getter takes the name as a resource URI: catch a typo here. */
		if ((!a.provider || strcasecmp(a.provider, "kbs") == 0) &&
		    !resource_uri_is_valid(a.resource_uri))
			return log_error_errno(
			    -EINVAL, "seal vault: '%s' is not a KBS resource URI.", a.resource_uri);
		r = cdh_secret_vault_json(&(struct cdh_secret_vault){ .name = a.resource_uri,
								      .provider = a.provider,
								      .provider_settings = settings,
								      .annotations = annotations },
					  &payload);
		if (r < 0)
			return log_error_errno(r, "seal vault: %m");
	} else {
		r = seal_envelope_payload(&a, settings, annotations, &payload);
		if (r < 0)
			return r;
	}

	r = cdh_secret_seal(key, a.kid, payload.data, payload.len, &out);
	if (r == -ENOKEY)
		return log_error_errno(r, "seal: '%s' must be an EC P-256 private key.",
				       a.key_file);
	if (r < 0)
		return log_error_errno(r, "seal: signing failed: %m");
	if (printf("%s\n", buf_str(&out)) < 0 || fflush(stdout) != 0)
		return log_error_errno(-EIO, "seal: cannot write the result: %m");
	return 0;
}

/* ---- the CDH clients: upstream prints results base64 (standard) and exits 1 on an
 * error (a panic there), with the CDH's status text here ---- */

#define FILE_MAX (4u << 20)

/* One option of a subcommand ("-x/--name VALUE"); -EINVAL when missing. */
static int sub_arg(int argc, char **argv, char sname, const char *lname, const char **ret)
{
	const struct option options[] = { { lname, required_argument, NULL, sname }, {} };
	char shortopts[3] = { sname, ':', 0 };
	int c;

	*ret = NULL;
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0) {
		if (c != sname)
			return -EINVAL;
		*ret = optarg;
	}
	if (!*ret)
		return log_error_errno(-EINVAL, "%s needs --%s.", argv[0], lname);
	return 0;
}

static int cdh_call(const struct cdh_tool_args *a, const char *service, const char *method,
		    const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		    ProtobufCMessage **ret)
{
	_cleanup_(ttrpc_client_freep) struct ttrpc_client *c = NULL;
	_cleanup_(ttrpc_status_done) struct ttrpc_status st = TTRPC_STATUS_INIT;
	int r;

	r = ttrpc_client_connect(a->sock, &c);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the CDH at %s: %m", a->sock);
	r = ttrpc_client_call(c, service, method, req, desc,
			      (uint64_t) (a->timeout_s > 0 ? a->timeout_s : 50) * 1000000u, ret,
			      &st);
	if (r == -EREMOTEIO)
		return log_error_errno(r, "%s: %s", method, st.message ?: "failed");
	if (r < 0)
		return log_error_errno(r, "%s: %m", method);
	return 0;
}

static int print_b64(const ProtobufCBinaryData *d)
{
	_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(BUF_UNLIMITED);
	int r = b64_encode(B64_STD, d->data, d->len, &b);

	if (r < 0)
		return log_oom();
	return printf("%s\n", buf_str(&b)) < 0 ? -EIO : 0;
}

static int read_input(const char *path, struct buf *b)
{
	int r = fs_read_file(AT_FDCWD, path, b);

	return r < 0 ? log_error_errno(r, "Cannot read '%s': %m", path) : 0;
}

static int cmd_unseal(const struct cdh_tool_args *a, int argc, char **argv)
{
	Api__UnsealSecretInput req = API__UNSEAL_SECRET_INPUT__INIT;
	Api__UnsealSecretOutput *resp = NULL;
	_cleanup_(buf_done) struct buf in = BUF_INIT(FILE_MAX);
	const char *path;
	int r;

	r = sub_arg(argc, argv, 's', "secret-path", &path);
	if (r >= 0)
		r = read_input(path, &in);
	if (r < 0)
		return r;
	req.secret = (ProtobufCBinaryData){ .len = in.len, .data = in.data };
	r = cdh_call(a, "api.SealedSecretService", "UnsealSecret", &req.base,
		     &api__unseal_secret_output__descriptor, (ProtobufCMessage **) &resp);
	if (r < 0)
		return r;
	r = print_b64(&resp->plaintext);
	explicit_bzero(resp->plaintext.data, resp->plaintext.len);
	api__unseal_secret_output__free_unpacked(resp, NULL);
	return r;
}

static int cmd_unwrap(const struct cdh_tool_args *a, int argc, char **argv)
{
	Keyprovider__KeyProviderKeyWrapProtocolInput req =
	    KEYPROVIDER__KEY_PROVIDER_KEY_WRAP_PROTOCOL_INPUT__INIT;
	Keyprovider__KeyProviderKeyWrapProtocolOutput *resp = NULL;
	_cleanup_(buf_done) struct buf in = BUF_INIT(FILE_MAX);
	const char *path;
	int r;

	r = sub_arg(argc, argv, 'a', "annotation-path", &path);
	if (r >= 0)
		r = read_input(path, &in);
	if (r < 0)
		return r;
	req.keyproviderkeywrapprotocolinput = (ProtobufCBinaryData){ .len = in.len,
								     .data = in.data };
	r = cdh_call(a, "keyprovider.KeyProviderService", "UnWrapKey", &req.base,
		     &keyprovider__key_provider_key_wrap_protocol_output__descriptor,
		     (ProtobufCMessage **) &resp);
	if (r < 0)
		return r;
	r = print_b64(&resp->keyproviderkeywrapprotocoloutput);
	explicit_bzero(resp->keyproviderkeywrapprotocoloutput.data,
		       resp->keyproviderkeywrapprotocoloutput.len);
	keyprovider__key_provider_key_wrap_protocol_output__free_unpacked(resp, NULL);
	return r;
}

static int cmd_get_resource(const struct cdh_tool_args *a, int argc, char **argv)
{
	Api__GetResourceRequest req = API__GET_RESOURCE_REQUEST__INIT;
	Api__GetResourceResponse *resp = NULL;
	const char *uri;
	int r;

	r = sub_arg(argc, argv, 'r', "resource-uri", &uri);
	if (r < 0)
		return r;
	req.resourcepath = (char *) uri;
	r = cdh_call(a, "api.GetResourceService", "GetResource", &req.base,
		     &api__get_resource_response__descriptor, (ProtobufCMessage **) &resp);
	if (r < 0)
		return r;
	r = print_b64(&resp->resource);
	explicit_bzero(resp->resource.data, resp->resource.len);
	api__get_resource_response__free_unpacked(resp, NULL);
	return r;
}

/* Storage: {"volume_type","options":{string:string},"flags":[string],"mount_point"} */
static int cmd_secure_mount(const struct cdh_tool_args *a, int argc, char **argv)
{
	Api__SecureMountRequest req = API__SECURE_MOUNT_REQUEST__INIT;
	_cleanup_(buf_done) struct buf in = BUF_INIT(FILE_MAX);
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_free_ Api__SecureMountRequest__OptionsEntry *entries = NULL;
	_cleanup_free_ Api__SecureMountRequest__OptionsEntry **eptrs = NULL;
	_cleanup_free_ char **flags = NULL;
	json_object *opts = NULL, *fl = NULL;
	ProtobufCMessage *resp = NULL;
	const char *path, *why = NULL;
	size_t n = 0;
	int r;

	r = sub_arg(argc, argv, 's', "storage-path", &path);
	if (r >= 0)
		r = read_input(path, &in);
	if (r < 0)
		return r;
	r = json_parse((const char *) in.data, in.len, FILE_MAX, 8, &o, &why);
	if (r >= 0 &&
	    (!o || json_get_string(o, "volume_type", (const char **) &req.volume_type) < 0 ||
	     json_get_string(o, "mount_point", (const char **) &req.mount_point) < 0 ||
	     json_get_object(o, "options", &opts) < 0 || json_get_array(o, "flags", &fl) < 0))
		r = -EBADMSG, why = "volume_type, options, flags and mount_point are required";
	if (r < 0)
		return log_error_errno(r, "'%s' is not a Storage: %s", path, why ?: strerror(-r));
	entries = calloc(json_object_object_length(opts) + 1, sizeof(*entries));
	eptrs = calloc(json_object_object_length(opts) + 1, sizeof(*eptrs));
	flags = calloc(json_object_array_length(fl) + 1, sizeof(*flags));
	if (!entries || !eptrs || !flags)
		return log_oom();
	json_object_object_foreach (opts, k, v) {
		api__secure_mount_request__options_entry__init(&entries[n]);
		entries[n].key = k;
		if (json_as_string(v, (const char **) &entries[n].value) < 0)
			return log_error_errno(-EBADMSG, "'%s': option %s is not a string.", path,
					       k);
		eptrs[n] = &entries[n];
		n++;
	}
	req.options = eptrs;
	req.n_options = n;
	for (size_t i = 0; i < json_object_array_length(fl); i++)
		if (json_as_string(json_object_array_get_idx(fl, i), (const char **) &flags[i]) < 0)
			return log_error_errno(-EBADMSG, "'%s': flags must be strings.", path);
	req.flags = flags;
	req.n_flags = json_object_array_length(fl);
	r = cdh_call(a, "api.SecureMountService", "SecureMount", &req.base,
		     &api__secure_mount_response__descriptor, &resp);
	if (r < 0)
		return r;
	protobuf_c_message_free_unpacked(resp, NULL);
	printf("mount succeeded!\n");
	return 0;
}

static int cmd_pull_image(const struct cdh_tool_args *a, int argc, char **argv)
{
	static const struct option options[] = { { "image-url", required_argument, NULL, 'i' },
						 { "bundle-path", required_argument, NULL, 'b' },
						 {} };
	Api__ImagePullRequest req = API__IMAGE_PULL_REQUEST__INIT;
	Api__ImagePullResponse *resp = NULL;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "i:b:", options, NULL)) >= 0)
		if (c == 'i')
			req.image_url = optarg;
		else if (c == 'b')
			req.bundle_path = optarg;
		else
			return -EINVAL;
	if (!req.image_url || !req.bundle_path)
		return log_error_errno(-EINVAL, "pull-image needs --image-url and --bundle-path.");
	r = cdh_call(a, "api.ImagePullService", "PullImage", &req.base,
		     &api__image_pull_response__descriptor, (ProtobufCMessage **) &resp);
	if (r < 0)
		return r;
	printf("Image pulled: %s\n", resp->manifest_digest);
	api__image_pull_response__free_unpacked(resp, NULL);
	return 0;
}

#if CDH_WITH_IMAGE
/* ---- image: the store under CDH's [image] work_dir, opened directly (ours, not
 * upstream's; the store's file locks make it safe while the CDH pulls) ---- */

static void image_help(void)
{
	printf("Usage: cdh-tool image [--work-dir <DIR> | --config <FILE>] <COMMAND>\n\n"
	       "Works on the image store directly (no CDH needed; safe while the CDH pulls).\n\n"
	       "Commands:\n"
	       "  list                  images (reference, manifest digest, layers, sizes)\n"
	       "  remove <REF>          forget the images whose reference, manifest digest or\n"
	       "                        config digest is REF (layers stay until prune)\n"
	       "  prune                 remove layers no image uses, except those a pull in\n"
	       "                        progress holds or a mounted container stacks\n"
	       "  remove-unused-layers  the same as prune\n\n"
	       "Options:\n"
	       "  -w, --work-dir <DIR>  the store [default: %s]\n"
	       "  -c, --config <FILE>   take the store from this CDH config's [image] work_dir\n"
	       "  -h, --help            print this help\n",
	       CDH_DEFAULT_IMAGE_WORK_DIR);
}

static void human(uint64_t n, char out[static 32])
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double) n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(unit)) {
		v /= 1024;
		u++;
	}
	(void) snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static uint64_t layer_size(json_object *meta)
{
	const char *path;
	uint64_t n = 0;

	if (json_get_string(meta, "store_path", &path) >= 0)
		(void) store_disk_usage(path, &n);
	return n;
}

static int image_list(struct store *st)
{
	_cleanup_(json_object_putp) json_object *images = NULL, *layers = NULL, *used = NULL;
	uint64_t total = 0, unused_bytes = 0;
	size_t n_images = 0, n_unused = 0;
	char h[32];
	int r;

	r = store_image_list(st, &images);
	if (r >= 0)
		r = store_layer_list(st, &layers);
	if (r < 0)
		return log_error_errno(r, "image list: cannot read the store: %m");
	used = json_object_new_object();
	if (!used)
		return log_oom();
	json_object_object_foreach (images, id, img) {
		const char *ref = "", *digest = "";
		json_object *metas = NULL;
		uint64_t sum = 0;
		size_t n;

		(void) json_get_string(img, "reference", &ref);
		(void) json_get_string(img, "digest", &digest);
		(void) json_get_array(img, "layer_metas", &metas);
		n = metas ? json_object_array_length(metas) : 0;
		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(metas, i);
			const char *d = NULL;
			uint64_t sz = layer_size(m);

			sum += sz;
			if (json_get_string(m, "compressed_digest", &d) >= 0 &&
			    !json_object_object_get_ex(used, d, NULL)) {
				total += sz; /* shared layers count once in the total */
				(void) json_object_object_add(used, d, NULL);
			}
		}
		human(sum, h);
		printf("%s\n  manifest %s\n  config   %s\n  %zu layer%s, %s\n", ref, digest, id, n,
		       n == 1 ? "" : "s", h);
		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(metas, i);
			const char *d = "?", *path = "?";

			(void) json_get_string(m, "compressed_digest", &d);
			(void) json_get_string(m, "store_path", &path);
			human(layer_size(m), h);
			printf("    %s  %s  %s\n", d, h, path);
		}
		n_images++;
	}
	json_object_object_foreach (layers, digest, meta) {
		if (json_object_object_get_ex(used, digest, NULL))
			continue;
		n_unused++;
		unused_bytes += layer_size(meta);
	}
	human(total + unused_bytes, h);
	printf("%zu image%s, %d layer%s, %s", n_images, n_images == 1 ? "" : "s",
	       json_object_object_length(layers), json_object_object_length(layers) == 1 ? "" : "s",
	       h);
	human(unused_bytes, h);
	if (n_unused)
		printf(" (%zu unused, %s: cdh-tool image prune)", n_unused, h);
	printf("\n");
	return 0;
}

static int image_main(int argc, char **argv)
{
	static const struct option options[] = { { "work-dir", required_argument, NULL, 'w' },
						 { "config", required_argument, NULL, 'c' },
						 { "help", no_argument, NULL, 'h' },
						 {} };
	_cleanup_(cdh_config_freep) struct cdh_config *cfg = NULL;
	_cleanup_(store_freep) struct store *st = NULL;
	const char *work_dir = CDH_DEFAULT_IMAGE_WORK_DIR, *config = NULL, *cmd;
	bool have_dir = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+w:c:h", options, NULL)) >= 0)
		switch (c) {
		case 'w':
			work_dir = optarg;
			have_dir = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			image_help();
			return 0;
		default:
			return -EINVAL;
		}
	if (optind >= argc)
		return log_error_errno(-EINVAL,
				       "image: missing command (try 'cdh-tool image --help').");
	cmd = argv[optind];
	if (have_dir && config)
		return log_error_errno(-EINVAL,
				       "image: --work-dir and --config exclude each other.");
	if (config) {
		_cleanup_(buf_done) struct buf why = BUF_INIT(1024);

		r = cdh_config_load(config, NULL, &cfg, &why);
		if (r < 0 && why.len)
			return log_error_errno(r, "image: %s", buf_str(&why));
		if (r < 0)
			return log_error_errno(r, "image: cannot load '%s': %m", config);
		work_dir = cfg->image.work_dir;
	}
	if (!streq(cmd, "list") && !streq(cmd, "prune") && !streq(cmd, "remove-unused-layers") &&
	    !streq(cmd, "remove"))
		return log_error_errno(-EINVAL, "image: unknown command '%s' (try --help).", cmd);
	if (streq(cmd, "remove") ? optind + 2 != argc : optind + 1 != argc)
		return log_error_errno(-EINVAL, "image %s: wrong number of arguments (try --help).",
				       cmd);
	/* list must not create a store where there is none */
	if (streq(cmd, "list") && access(work_dir, F_OK) < 0) {
		if (errno != ENOENT)
			return log_error_errno(-errno, "image: cannot access '%s': %m", work_dir);
		printf("0 images, 0 layers, 0 B (no store at %s)\n", work_dir);
		return 0;
	}
	r = store_open(work_dir, &st);
	if (r < 0)
		return log_error_errno(r, "image: cannot open the store at '%s': %m", work_dir);
	if (streq(cmd, "list"))
		return image_list(st);
	if (streq(cmd, "remove")) {
		r = store_image_remove(st, argv[optind + 1]);
		if (r == -ENOENT)
			return log_error_errno(r, "image remove: no image '%s' in the store.",
					       argv[optind + 1]);
		if (r < 0)
			return log_error_errno(r, "image remove: %m");
		printf("Removed %d image%s; 'cdh-tool image prune' frees unused layers.\n", r,
		       r == 1 ? "" : "s");
		return 0;
	}
	{
		struct store_prune_stats ps;

		r = store_prune(st, &ps);
		if (r < 0)
			return log_error_errno(r, "image prune: %m (removed %zu layers so far)",
					       ps.removed + ps.orphans);
		printf(
		    "Removed %zu unused layer%s and %zu unrecorded layer dir%s; kept %zu held by "
		    "a pull in progress, %zu stacked by a mounted container.\n",
		    ps.removed, ps.removed == 1 ? "" : "s", ps.orphans, ps.orphans == 1 ? "" : "s",
		    ps.kept_held, ps.kept_mounted);
	}
	return 0;
}
#endif

static int run(int argc, char **argv)
{
	struct cdh_tool_args args;
	const char *cmd;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	argc -= optind;
	argv += optind;
	cmd = argv[0];
	if (streq(cmd, "seal"))
		return seal(argc, argv);
#if CDH_WITH_IMAGE
	if (streq(cmd, "image"))
		return image_main(argc, argv);
#endif
	if (streq(cmd, "unseal-secret"))
		return cmd_unseal(&args, argc, argv);
	if (streq(cmd, "unwrap-key"))
		return cmd_unwrap(&args, argc, argv);
	if (streq(cmd, "get-resource"))
		return cmd_get_resource(&args, argc, argv);
	if (streq(cmd, "secure-mount"))
		return cmd_secure_mount(&args, argc, argv);
	if (streq(cmd, "pull-image"))
		return cmd_pull_image(&args, argc, argv);
	return log_error_errno(-EINVAL, "Unknown command '%s' (try --help).", cmd);
}

int cdh_tool_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
