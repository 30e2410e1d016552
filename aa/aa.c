/* SPDX-License-Identifier: Apache-2.0 */
/* attestation-agent: the applet front end. Flags as upstream's ttrpc-aa
 * (guest-components attestation-agent/src/bin/ttrpc-aa.rs; upstream.md §2.2). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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

/* upstream's Config::try_from(): [log], [token_configs], [eventlog_config]; other keys
 * are ignored as serde does, wrong types are refused. */
static int load_config(const char *path, struct aa *aa)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(1 << 20);
	_cleanup_(toml_freep) struct toml_value *t = NULL;
	const struct toml_value *el;
	struct toml_error err = {};
	struct aa_token_error terr = {};
	const char *level;
	enum log_level l;
	int64_t pcr;
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

	r = aa_token_config_from_toml(t, &aa->token, &terr);
	if (r < 0)
		return log_error_errno(r, "%s: %s", path, terr.message);

	el = toml_get_path(t, "eventlog_config");
	r = toml_get_bool(el, "enable_eventlog", &aa->eventlog_enabled);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "%s: eventlog_config.enable_eventlog must be a boolean.",
				       path);
	r = toml_get_int(el, "init_pcr", &pcr);
	if (r >= 0 && (pcr < 0 || pcr > UINT32_MAX))
		r = -ERANGE;
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "%s: eventlog_config.init_pcr must be a u32.", path);
	if (r >= 0)
		aa->init_pcr = (unsigned) pcr;
	return 0;
}

/* --initdata-toml wins over --initdata-digest (upstream main()); a binding the TEE
 * refuses stops the agent before it serves anything. */
static int bind_initdata(const struct aa_args *args, struct aa *aa)
{
	_cleanup_(buf_done) struct buf digest = BUF_INIT(DIGEST_MAX_SIZE);
	struct toml_error err = {};
	int r;

	if (args->initdata_toml) {
		log_info("Initdata TOML file is given by parameter");
		r = aa_initdata_from_toml_file(args->initdata_toml, &aa->initdata, &err);
		if (r < 0 && err.line == 0) /* a field error, not a syntax one */
			return log_error_errno(r, "%s: %s", args->initdata_toml,
					       err.message[0] ? err.message : "cannot be read");
		if (r < 0)
			return log_error_errno(r, "%s:%u:%u: %s", args->initdata_toml, err.line,
					       err.column, err.message);
		r = buf_append(&digest, aa->initdata->digest, aa->initdata->digest_len);
		if (r < 0)
			return log_oom();
	} else if (args->initdata_digest) {
		log_info("Initdata digest is given by parameter");
		r = aa_initdata_digest_decode(args->initdata_digest, &digest);
		if (r < 0)
			return log_error_errno(r, "--initdata-digest is not standard base64: %m");
	} else
		return 0;
	r = aa_initdata_bind(aa->primary, digest.data, digest.len);
	return r < 0 ? r : 0;
}

/* Upstream reads the AAEL for cc_eventlog from $AAEL_PATH but always writes the default
 * path; here both follow $AAEL_PATH (tests), and the write-ahead record sits beside it. */
static int open_eventlog(struct aa *aa)
{
	_cleanup_free_ char *wal = NULL;
	const char *log = getenv("AAEL_PATH");
	const char *slash;
	int r;

	if (log && *log) {
		slash = strrchr(log, '/');
		if (asprintf(&wal, "%.*s.wal_event_entry", slash ? (int) (slash - log + 1) : 0,
			     log) < 0)
			return log_oom();
	} else
		log = NULL;
	r = aa_eventlog_open(aa->primary, aa->init_pcr, log, wal, &aa->eventlog);
	if (r < 0)
		return log_error_errno(r, "Failed to open the event log: %m");
	return 0;
}

static void aa_done(struct aa *aa)
{
	aa_token_config_done(&aa->token);
	aa->eventlog = aa_eventlog_free(aa->eventlog);
	aa->initdata = aa_initdata_free(aa->initdata);
}

static int run(int argc, char **argv)
{
	_cleanup_(ttrpc_server_freep) struct ttrpc_server *server = NULL;
	_cleanup_(aa_done) struct aa aa = { .init_pcr = AA_EVENTLOG_DEFAULT_PCR };
	struct aa_args args;
	int r = parse_argv(argc, argv, &args);

	if (r <= 0)
		return r;
	aa_token_config_init(&aa.token);
	if (args.config) {
		r = load_config(args.config, &aa);
		if (r < 0)
			return r;
	} else {
		log_info("No AA config file specified. Using default configuration and the kbs "
			 "address will be read from kernel cmdline.");
		r = aa_token_config_from_env(&aa.token, NULL);
		if (r < 0)
			return log_oom();
	}
	aa.primary = attester_detect();
	if (streq(aa.primary->name, "sample"))
		log_warning("No TEE platform detected. Sample attester will be used.");

	r = bind_initdata(&args, &aa);
	if (r < 0)
		return r;
	if (aa.eventlog_enabled) {
		r = open_eventlog(&aa);
		if (r < 0)
			return r;
	}

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
	/* Handlers may still hold the server and aa after a drain timeout; the process
	 * exits now, so neither is freed under them. */
	(void) steal_ptr(server);
	aa = (struct aa){};
	return 0;
}

int aa_main(int argc, char **argv)
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
