/* SPDX-License-Identifier: Apache-2.0 */
/* attestation-agent: the applet front end. Flags as upstream's ttrpc-aa
 * (guest-components attestation-agent/src/bin/ttrpc-aa.rs; upstream.md §2.2). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>

#include "aa/aa.h"
#include "common/applet.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/toml.h"

#define AA_DEFAULT_SOCK                                                                            \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"

struct aa_args {
	const char *sock;
	const char *config;
	const char *initdata_digest;
	const char *initdata_toml;
};

static void help(void)
{
	printf(
	    "Usage: attestation-agent [OPTIONS]\n\n"
	    "Options:\n"
	    "  -a, --attestation_sock <ADDR>    ttrpc listen address [default: %s]\n"
	    "  -c, --config-file <PATH>         configuration file (TOML)\n"
	    "  -i, --initdata-digest <BASE64>   init-data digest to bind at start-up\n"
	    "  -t, --initdata-toml <PATH>       init-data TOML to digest and bind (wins over -i)\n"
	    "  -h, --help                       print this help\n"
	    "  -V, --version                    print the version\n",
	    AA_DEFAULT_SOCK);
}

static int parse_argv(int argc, char **argv, struct aa_args *a)
{
	static const struct option options[] = {
		{ "attestation_sock", required_argument, NULL, 'a' },
		{ "config-file", required_argument, NULL, 'c' },
		{ "initdata-digest", required_argument, NULL, 'i' },
		{ "initdata-toml", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	*a = (struct aa_args){ .sock = AA_DEFAULT_SOCK };
	optind = 0;
	while ((c = getopt_long(argc, argv, "a:c:i:t:hV", options, NULL)) >= 0)
		switch (c) {
		case 'a':
			a->sock = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'i':
			a->initdata_digest = optarg;
			break;
		case 't':
			a->initdata_toml = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("attestation-agent (cocobox) %s\n", cocobox_version);
			return 0;
		default:
			return -EINVAL;
		}
	if (optind < argc)
		return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
	return 1;
}

/* Reads the keys this build acts on; the rest of upstream's schema (token_configs)
 * arrives with the token issuers. */
static int load_config(const char *path, struct aa *aa)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	struct toml_error err = {};
	const char *level;
	enum log_level l;
	int r;

	r = fs_read_file(AT_FDCWD, path, &b);
	if (r < 0)
		return log_error_errno(r, "Failed to read config file '%s': %m", path);
	r = toml_parse(buf_str(&b), b.len, &t, &err);
	if (r < 0)
		return log_error_errno(r, "%s:%u:%u: %s", path, err.line, err.column, err.message);
	r = toml_get_string(toml_get_path(t, "log"), "level", &level);
	if (r >= 0) {
		if (log_level_from_string(level, &l) < 0)
			return log_error_errno(-EINVAL, "%s: unknown log level '%s'.", path, level);
		log_set_level(l);
		/* RUST_LOG overrides the file, as upstream's tracing filter does. */
		log_open("attestation-agent");
	} else if (r != -ENOENT)
		return log_error_errno(r, "%s: [log] level must be a string.", path);
	r = toml_get_bool(toml_get_path(t, "eventlog_config"), "enable_eventlog",
			  &aa->eventlog_enabled);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "%s: enable_eventlog must be a boolean.", path);
	return 0;
}

static int run(int argc, char **argv)
{
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *server = NULL;
	struct aa_args args;
	struct aa aa = {};
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	if (args.config) {
		r = load_config(args.config, &aa);
		if (r < 0)
			return r;
	}
	aa.primary = attester_detect();
	if (streq(aa.primary->name, "sample"))
		log_warning("No TEE platform detected. Sample attester will be used.");
	if (args.initdata_toml || args.initdata_digest)
		/* Starting without the binding check would hide a mismatch: refuse. */
		return log_error_errno(-EOPNOTSUPP, "Init-data binding is not built into this "
						    "binary yet, refusing to start without it.");

	server = ttrpc_server_new();
	if (!server)
		return log_oom();
	r = ttrpc_server_add_service(server, &aa_service, &aa);
	if (r < 0)
		return log_error_errno(r, "Failed to register the AA service: %m");
	r = ttrpc_server_listen(server, args.sock);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on '%s': %m", args.sock);
	log_info("Attestation agent listening on %s (tee %s).", args.sock, aa.primary->name);
	r = ttrpc_server_run(server);
	if (r < 0)
		return log_error_errno(r, "The ttrpc server failed: %m");
	/* Handlers may still hold the server after a drain timeout; the process exits. */
	(void) steal_ptr(server);
	return 0;
}

int aa_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
