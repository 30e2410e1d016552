/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation agent's state, shared by the applet and its ttrpc service. */
#pragma once

#include "aa/attester.h"
#include "common/ttrpc-server.h"

struct aa {
	const struct attester_ops *primary;
	bool eventlog_enabled;
};

extern const struct ttrpc_service aa_service;
