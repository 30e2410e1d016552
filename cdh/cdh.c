/* SPDX-License-Identifier: Apache-2.0 */
/* confidential-data-hub: the applet front end. Upstream's ttrpc-cdh takes only -c
 * (guest-components confidential-data-hub/hub/src/bin/ttrpc-cdh.rs; upstream.md §2.2). */
#include <getopt.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "cdh/cdh.h"
#include "cdh/credentials.h"
#include "cdh/image.h"
#include "cdh/kbs/kbs-client.h"
#include "cdh/kms/offline-fs.h"
#include "cdh/secret.h"
#include "common/applet.h"
#include "common/log.h"

struct cdh_args {
	const char *config;
};

static void help(void)
{
	printf("Usage: confidential-data-hub [OPTIONS]\n\n"
	       "Options:\n"
	       "  -c <PATH>      configuration file (TOML); without it the defaults, env vars\n"
	       "                 and the kernel command line are used\n"
	       "  -h, --help     print this help\n"
	       "  -V, --version  print the version\n");
}

static int parse_argv(int argc, char **argv, struct cdh_args *a)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	*a = (struct cdh_args){};
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("confidential-data-hub (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind < argc)
		return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
	return 1;
}

/* upstream's set_configuration_envs(): what other components of the process read */
static int set_envs(const struct cdh_config *cfg)
{
	_cleanup_free_ char *kbc = NULL;

	if (!getenv("AA_KBC_PARAMS")) {
		if (asprintf(&kbc, "%s::%s", cfg->kbc_name, cfg->kbc_url) < 0)
			return -ENOMEM;
		(void) setenv("AA_KBC_PARAMS", kbc, 0);
	}
	(void) setenv("AA_SOCKET", cfg->aa_socket, 0);
	if (cfg->kbs_cert)
		(void) setenv("KBS_CERT", cfg->kbs_cert, 1);
	if (cfg->skip_sealed_secret_verification)
		(void) setenv("SKIP_SEALED_SECRET_VERIFICATION", "true", 1);
	return 0;
}

/* ocicrypt reads $OCICRYPT_KEYPROVIDER_CONFIG; without one, point it at a file naming
 * our socket. The directory follows $CDH_RUN_DIR for tests (default as upstream). */
static int ocicrypt_config(const struct cdh_config *cfg)
{
	const char *dir = getenv("CDH_RUN_DIR") ?: "/run/confidential-containers/cdh";
	_cleanup_free_ char *path = NULL;
	int r;

	if (getenv("OCICRYPT_KEYPROVIDER_CONFIG"))
		return 0;
	r = cdh_config_write_ocicrypt_config(cfg, dir);
	if (r < 0)
		return log_error_errno(r, "Failed to write %s/ocicrypt_config.json: %m", dir);
	if (asprintf(&path, "%s/ocicrypt_config.json", dir) < 0)
		return log_oom();
	return setenv("OCICRYPT_KEYPROVIDER_CONFIG", path, 1) < 0 ? -errno : 0;
}

static int run(int argc, char **argv)
{
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *server = NULL;
	_cleanup_(cdh_config_freep) struct cdh_config *cfg = NULL;
	_cleanup_(kbs_client_freep) struct kbs_client *kbs = NULL;
	_cleanup_(offline_fs_freep) struct offline_fs *offline = NULL;
	_cleanup_(buf_done) struct buf why = BUF_INIT(4096);
	struct cdh_error err = {};
	struct cdh cdh = {};
	struct cdh_args args;
	enum log_level l;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	r = cdh_config_load(args.config, NULL, &cfg, &why);
	if (r < 0)
		return log_error_errno(r, "Failed to load the configuration: %s",
				       why.len ? buf_str(&why) : strerror(-r));
	if (log_level_from_string(cfg->log_level, &l) >= 0) {
		log_set_level(l);
		log_open("confidential-data-hub"); /* RUST_LOG still wins */
	}
	cdh.cfg = cfg;
	cdh.skip_verification = cfg->skip_sealed_secret_verification || cdh_secret_skip_from_env();
	r = set_envs(cfg);
	if (r >= 0)
		r = ocicrypt_config(cfg);
	if (r < 0)
		return r;

	if (streq(cfg->kbc_name, "cc_kbc")) {
		r = kbs_client_new(cfg->kbc_url, cfg->kbs_cert, cfg->aa_socket, &kbs);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the KBS client for '%s': %m",
					       cfg->kbc_url);
		cdh.kms = (struct cdh_kms){ .get_resource = kbs_client_get_resource, .ud = kbs };
	} else if (streq(cfg->kbc_name, "offline_fs_kbc")) {
		r = offline_fs_new(NULL, NULL, NULL, &offline);
		if (r < 0)
			return log_error_errno(r, "Failed to load the offline_fs_kbc files: %m");
		cdh.kms = offline_fs_kms(offline);
	} else
		return log_error_errno(-EINVAL, "Unknown KBC '%s'.", cfg->kbc_name);

	/* Before the socket appears: Kata's launch wait covers this attestation. */
	r = cdh_credentials_provision(cfg, &cdh.kms, getenv("CDH_CREDENTIALS_ROOT"), &err);
	if (r < 0)
		return log_error_errno(r, "Failed to provision credentials: %s", err.message);
#if CDH_WITH_IMAGE /* from cdh/meson.build: cdh/config.h shadows the build's config.h */
	r = cdh_image_new(cfg, &cdh.kms, &cdh.image);
	if (r < 0)
		return log_oom();
#endif

	server = ttrpc_server_new();
	if (!server)
		return log_oom();
	r = ttrpc_server_add_service(server, &cdh_sealed_secret_service, &cdh);
	if (r >= 0)
		r = ttrpc_server_add_service(server, &cdh_get_resource_service, &cdh);
	if (r >= 0)
		r = ttrpc_server_add_service(server, &cdh_secure_mount_service, &cdh);
	if (r >= 0)
		r = ttrpc_server_add_service(server, &cdh_image_pull_service, &cdh);
	if (r >= 0)
		r = ttrpc_server_add_service(server, &cdh_keyprovider_service, &cdh);
	if (r < 0)
		return log_error_errno(r, "Failed to register the CDH services: %m");
	r = ttrpc_server_listen(server, cfg->socket);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on '%s': %m", cfg->socket);
	log_info("Confidential data hub listening on %s (kbc %s).", cfg->socket, cfg->kbc_name);
	r = ttrpc_server_run(server);
	if (r < 0)
		return log_error_errno(r, "The ttrpc server failed: %m");
	/* Handlers may still run after a drain timeout; the process exits without freeing
	 * what they use. */
	(void) steal_ptr(server);
	(void) steal_ptr(kbs);
	(void) steal_ptr(offline);
	(void) steal_ptr(cfg);
	return 0;
}

int cdh_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
