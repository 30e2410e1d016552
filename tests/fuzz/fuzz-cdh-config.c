/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for cdh/config.c: the input is a CDH config file. Properties: no crash or
 * leak; a refusal always comes with a message; an accepted config has its required and
 * defaulted members set, and credential paths that pass the path rule. */
#include <stdint.h>
#include <stdio.h>

#include "cdh/config.h"

static const char *no_env(const char *name)
{
	(void) name;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cdh_config_env env = { .proc_cmdline = "/nonexistent/cmdline",
						   .getenv = no_env };
	struct buf err = BUF_INIT(4096);
	struct cdh_config *c = NULL;
	int r;

	r = cdh_config_parse("fuzz.toml", (const char *) data, size, &env, &c, &err);
	if (r < 0 && (c || (r != -ENOMEM && err.len == 0)))
		__builtin_trap();
	if (r >= 0) {
		if (!c || !c->socket || !c->aa_socket || !c->kbc_name || !c->kbc_url ||
		    !c->log_level || !c->image.work_dir)
			__builtin_trap();
		for (size_t i = 0; i < c->n_credentials; i++)
			if (!c->credentials[i].path || !c->credentials[i].resource_uri)
				__builtin_trap();
	}
	cdh_config_free(c);
	buf_done(&err);
	return 0;
}
