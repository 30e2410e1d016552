/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation agent's state, shared by the applet and its ttrpc service. */
#pragma once

#include "aa/attester.h"
#include "aa/eventlog.h"
#include "aa/initdata.h"
#include "aa/token.h"
#include "common/ttrpc-server.h"

struct aa {
	const struct attester_ops *primary;
	struct aa_token_config token;
	/* [eventlog_config]; eventlog is open only when enabled. */
	bool eventlog_enabled;
	unsigned init_pcr;
	struct aa_eventlog *eventlog;
	/* From --initdata-toml: its text goes to the KBS as init-data. */
	struct aa_initdata *initdata;
};

extern const struct ttrpc_service aa_service;
