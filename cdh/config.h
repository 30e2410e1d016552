/* SPDX-License-Identifier: Apache-2.0 */
/* The CDH configuration (upstream.md §5.1; guest-components confidential-data-hub/hub/src/
 * config/{mod.rs,ocicrypt_config.rs}, hub/src/bin/config/mod.rs, auth/kbs.rs, image-rs
 * src/config.rs and registry/mod.rs): the TOML file given with -c, or without it the
 * AA_KBC_PARAMS env / kernel command line, then the env and cmdline overrides every start
 * applies. Types are strict (serde's): a mistyped value is an error, never coerced. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/macro.h"

#define CDH_DEFAULT_SOCKET "unix:///run/confidential-containers/cdh.sock"
#define CDH_DEFAULT_AA_SOCKET                                                                      \
	"unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"
#define CDH_DEFAULT_LOG_LEVEL "info"
#define CDH_DEFAULT_KBC "offline_fs_kbc"
#define CDH_DEFAULT_IMAGE_WORK_DIR "/run/kata-containers/image/"
#define CDH_DEFAULT_MAX_CONCURRENT_LAYER_DOWNLOADS 3
#define CDH_BASE_DIR "/run/confidential-containers/cdh"
/* Credentials must be written below this directory. */
#define CDH_KBS_RESOURCE_DIR "/run/confidential-containers/cdh/kbs"
#define CDH_PROC_CMDLINE "/proc/cmdline"
#define CDH_OCICRYPT_CONFIG_NAME "ocicrypt_config.json"
#define CDH_OCICRYPT_KEYPROVIDER_CONFIG_ENV "OCICRYPT_KEYPROVIDER_CONFIG"
#define CDH_IMAGE_CREDENTIALS_ENV "CDH_DEFAULT_IMAGE_AUTHENTICATED_REGISTRY_CREDENTIALS"
/* Largest config file and kernel command line we read. */
#define CDH_CONFIG_MAX (1u << 20)
#define CDH_CMDLINE_MAX (64u << 10)

struct cdh_credential {
	char *resource_uri;
	char *path;
};

struct cdh_registry_mirror {
	char *location;
	bool insecure;
};

/* One [[image.registry_config.registry]] (containers-registries.conf semantics). */
struct cdh_registry {
	char *prefix, *location; /* "" when absent */
	bool insecure, blocked;
	struct cdh_registry_mirror *mirrors;
	size_t n_mirrors;
};

/* image-rs ImageConfig. Optional strings are NULL when absent. */
struct cdh_image_config {
	char *work_dir;
	uint64_t max_concurrent_layer_downloads_per_image;
	char *image_security_policy_uri;
	char *image_security_policy;
	char *sigstore_config_uri;
	char *sigstore_config;
	char *authenticated_registry_credentials_uri;
	char *registry_configuration_uri;

	bool has_registry_config;             /* [image.registry_config] present */
	char **unqualified_search_registries; /* NULL-terminated; default {"docker.io"} */
	size_t n_unqualified_search_registries;
	struct cdh_registry *registries;
	size_t n_registries;

	bool has_image_pull_proxy; /* [image.image_pull_proxy] present (or cmdline set one) */
	char *https_proxy, *http_proxy, *no_proxy;

	char **extra_root_certificates; /* NULL-terminated, PEM texts */
	size_t n_extra_root_certificates;
};

struct cdh_config {
	char *socket;
	bool skip_sealed_secret_verification;
	char *aa_socket;
	char *kbc_name; /* "cc_kbc" | "offline_fs_kbc" */
	char *kbc_url;  /* "" by default */
	char *kbs_cert; /* NULL when absent */
	struct cdh_credential *credentials;
	size_t n_credentials;
	char *log_level;
	struct cdh_image_config image;
};

/* Where the fallbacks look; NULL members mean the real thing (getenv, /proc/cmdline).
 * Tests point them elsewhere. */
struct cdh_config_env {
	const char *proc_cmdline;                /* path; NULL: CDH_PROC_CMDLINE */
	const char *(*getenv)(const char *name); /* NULL: getenv(3) */
};

/* Reads the configuration as upstream's ttrpc-cdh does at start:
 *   path != NULL: the TOML file (missing [kbc] or a bad value is an error; unknown keys
 *   are ignored everywhere, as serde does; [image] absent -> image from the cmdline);
 *   path == NULL: kbc from $AA_KBC_PARAMS or agent.aa_kbc_params=<kbc>::<url> on the
 *   kernel command line (neither: offline_fs_kbc, ""), image from the cmdline;
 * then $CDH_DEFAULT_IMAGE_AUTHENTICATED_REGISTRY_CREDENTIALS replaces
 * authenticated_registry_credentials_uri, cdh.kbs_resources=<uri>::<path>,... on the
 * cmdline is appended to credentials (the cmdline must be readable, as upstream), and
 * every credential path is checked (cdh_config_check_credential_path()).
 * Errors: -ENOENT/-errno file unreadable, -EBADMSG TOML syntax or a wrong type, -EINVAL a
 * bad value (aa_kbc_params not "<kbc>::<url>", credential path outside the kbs dir, a
 * missing required key), -E2BIG file over CDH_CONFIG_MAX. The reason, as
 * "<path>:<line>:<column>: <what>" when the place is known, goes to err (may be NULL). */
int cdh_config_load(const char *path, const struct cdh_config_env *env, struct cdh_config **ret,
		    struct buf *err);
/* The file part alone, from text (for fuzzing and tests): defaults, the TOML, and for an
 * absent [image] the kernel cmdline's image settings; none of the overrides
 * cdh_config_load() then applies, and no credential check. name is used in messages. */
int cdh_config_parse(const char *name, const char *text, size_t len,
		     const struct cdh_config_env *env, struct cdh_config **ret, struct buf *err);
struct cdh_config *cdh_config_free(struct cdh_config *c);
DEFINE_POINTER_CLEANUP(struct cdh_config *, cdh_config_free)

/* 0 when path is below CDH_KBS_RESOURCE_DIR ("<dir>/<something>") and has no "." or ".."
 * segment; -EPERM otherwise (upstream auth/kbs.rs is_path_valid, with the prefix checked
 * on a segment boundary). */
int cdh_config_check_credential_path(const char *path);

/* Parses "<kbc>::<url>" (exactly one "::"). -EINVAL otherwise. */
int cdh_config_parse_aa_kbc_params(const char *s, char **ret_kbc, char **ret_url);

/* The ocicrypt keyprovider config pointing at our socket,
 * {"key-providers":{"attestation-agent":{"ttrpc":"<socket>"}}}, appended to out. */
int cdh_config_ocicrypt_json(const struct cdh_config *c, struct buf *out);
/* Writes it atomically (mode 0644) as <dir>/ocicrypt_config.json, creating dir. */
int cdh_config_write_ocicrypt_config(const struct cdh_config *c, const char *dir);
