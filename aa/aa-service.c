/* SPDX-License-Identifier: Apache-2.0 */
/* attestation_agent.AttestationAgentService over ttrpc, with upstream's statuses
 * (guest-components attestation-agent/src/bin/ttrpc_dep/server.rs; upstream.md §2.2):
 * every failure is INTERNAL with a fixed per-method message. */
#include <stdio.h>

#include "aa/aa.h"
#include "common/log.h"
#include "common/proto/attestation-agent.pb-c.h"

static void aa_fail(const char *method, _unused_ int error, struct ttrpc_status *st)
{
	const char *what = "get evidence";

	if (streq(method, "GetToken"))
		what = "get token";
	else if (streq(method, "GetTeeType") || streq(method, "GetAdditionalTees"))
		what = "get tee type";
	if (streq(method, "ExtendRuntimeMeasurement"))
		ttrpc_status_set(st, TTRPC_CODE_INTERNAL,
				 "[ERROR:attestation-agent] AA extend runtime measurement failed");
	else
		ttrpc_status_set(st, TTRPC_CODE_INTERNAL,
				 "[ERROR:attestation-agent] AA-KBC %s failed", what);
}

static int get_evidence(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const AttestationAgent__GetEvidenceRequest *req = (const void *) m;
	struct aa *aa = userdata;
	_cleanup_(buf_done) struct buf ev = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	AttestationAgent__GetEvidenceResponse *resp;
	int r;

	r = aa->primary->evidence(req->runtimedata.data, req->runtimedata.len, &ev);
	if (r < 0)
		return r;
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	attestation_agent__get_evidence_response__init(resp);
	resp->evidence.data = buf_detach(&ev, &resp->evidence.len);
	*ret = &resp->base;
	return 0;
}

/* No additional attester is built yet (nvidia, sampledevice, tpm-as-secondary come with
 * the attesters): upstream then answers empty bytes. */
static int get_additional_evidence(_unused_ void *userdata, _unused_ const ProtobufCMessage *m,
				   ProtobufCMessage **ret)
{
	AttestationAgent__GetEvidenceResponse *resp = malloc(sizeof(*resp));

	if (!resp)
		return -ENOMEM;
	attestation_agent__get_evidence_response__init(resp);
	*ret = &resp->base;
	return 0;
}

static int get_token(_unused_ void *userdata, const ProtobufCMessage *m,
		     _unused_ ProtobufCMessage **ret)
{
	const AttestationAgent__GetTokenRequest *req = (const void *) m;

	if (!streq(req->tokentype, "kbs") && !streq(req->tokentype, "coco_as"))
		return log_error_errno(-EINVAL, "Unsupported token type '%s'.", req->tokentype);
	return log_error_errno(-EOPNOTSUPP, "Token type '%s' is not built into this binary yet.",
			       req->tokentype);
}

static int extend_runtime_measurement(void *userdata, _unused_ const ProtobufCMessage *m,
				      ProtobufCMessage **ret)
{
	struct aa *aa = userdata;
	AttestationAgent__ExtendRuntimeMeasurementResponse *resp;

	if (aa->eventlog_enabled)
		return log_error_errno(-EOPNOTSUPP,
				       "The event log is not built into this binary yet.");
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	attestation_agent__extend_runtime_measurement_response__init(resp);
	/* As upstream with eventlog_config.enable_eventlog = false (the default). */
	resp->result = ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_ENABLED;
	*ret = &resp->base;
	return 0;
}

static int get_tee_type(void *userdata, _unused_ const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	struct aa *aa = userdata;
	AttestationAgent__GetTeeTypeResponse *resp = malloc(sizeof(*resp));

	if (!resp)
		return -ENOMEM;
	attestation_agent__get_tee_type_response__init(resp);
	resp->tee = strdup(aa->primary->name);
	if (!resp->tee) {
		free(resp);
		return -ENOMEM;
	}
	*ret = &resp->base;
	return 0;
}

static int get_additional_tees(_unused_ void *userdata, _unused_ const ProtobufCMessage *m,
			       ProtobufCMessage **ret)
{
	AttestationAgent__GetAdditionalTeesResponse *resp = malloc(sizeof(*resp));

	if (!resp)
		return -ENOMEM;
	attestation_agent__get_additional_tees_response__init(resp);
	*ret = &resp->base;
	return 0;
}

static const struct ttrpc_method aa_methods[] = {
	{ "GetEvidence", get_evidence },
	{ "GetAdditionalEvidence", get_additional_evidence },
	{ "GetToken", get_token },
	{ "ExtendRuntimeMeasurement", extend_runtime_measurement },
	/* Upstream's ttrpc server leaves it to the generated stub: NOT_FOUND. */
	{ "BindInitData", NULL },
	{ "GetTeeType", get_tee_type },
	{ "GetAdditionalTees", get_additional_tees },
};

const struct ttrpc_service aa_service = {
	.desc = &attestation_agent__attestation_agent_service__descriptor,
	.methods = aa_methods,
	.n_methods = ELEMENTSOF(aa_methods),
	.fail = aa_fail,
};
