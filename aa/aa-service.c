/* SPDX-License-Identifier: Apache-2.0 */
/* attestation_agent.AttestationAgentService over ttrpc, with upstream's statuses
 * (guest-components attestation-agent/src/bin/ttrpc_dep/server.rs; upstream.md §2.2):
 * every failure is INTERNAL with a fixed per-method message, the cause in the log. */
#include <stdio.h>
#include <string.h>

#include "aa/aa.h"
#include "common/log.h"
#include "common/proto/attestation-agent.pb-c.h"

static void aa_fail(const char *method, int error, struct ttrpc_status *st)
{
	const char *what = "get evidence";

	if (streq(method, "GetToken"))
		what = "get token";
	else if (streq(method, "GetTeeType") || streq(method, "GetAdditionalTees"))
		what = "get tee type";
	if (streq(method, "ExtendRuntimeMeasurement"))
		ttrpc_status_set(st, TTRPC_CODE_INTERNAL,
				 "[ERROR:attestation-agent] AA extend runtime measurement failed");
	else if (streq(method, "BindInitData"))
		/* No upstream text: its ttrpc server does not serve the method. */
		ttrpc_status_set(
		    st, error == -EPERM ? TTRPC_CODE_FAILED_PRECONDITION : TTRPC_CODE_INTERNAL,
		    "[ERROR:attestation-agent] AA bind init data failed");
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

/* upstream: empty bytes without additional attesters, else {"<tee>": evidence, ...} */
static int get_additional_evidence(void *userdata, const ProtobufCMessage *m,
				   ProtobufCMessage **ret)
{
	const AttestationAgent__GetAdditionalEvidenceRequest *req = (const void *) m;
	struct aa *aa = userdata;
	_cleanup_(buf_done) struct buf ev = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	AttestationAgent__GetEvidenceResponse *resp;
	int r;

	r = attester_additional_evidence(aa->primary, req->runtimedata.data, req->runtimedata.len,
					 &ev);
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

static int get_token(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const AttestationAgent__GetTokenRequest *req = (const void *) m;
	struct aa *aa = userdata;
	_cleanup_(buf_done_wipe) struct buf tok = BUF_INIT(TTRPC_MESSAGE_LENGTH_MAX);
	struct aa_token_error err = {};
	AttestationAgent__GetTokenResponse *resp;
	int r;

	r = aa_token_get(&aa->token, req->tokentype, aa->primary,
			 aa->initdata ? aa->initdata->toml : NULL, &tok, &err);
	if (r < 0)
		return log_error_errno(r, "Get token failed: %s", err.message);
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	attestation_agent__get_token_response__init(resp);
	/* The kbs token carries the TEE private key. The reply frame is packed from this
	 * copy and both are freed by the server; the copy is exactly sized, so nothing is
	 * left behind by a reallocation. */
	resp->token.data = malloc(tok.len ? tok.len : 1);
	if (!resp->token.data) {
		free(resp);
		return -ENOMEM;
	}
	memcpy(resp->token.data, tok.data, tok.len);
	resp->token.len = tok.len;
	*ret = &resp->base;
	return 0;
}

static int extend_runtime_measurement(void *userdata, const ProtobufCMessage *m,
				      ProtobufCMessage **ret)
{
	const AttestationAgent__ExtendRuntimeMeasurementRequest *req = (const void *) m;
	struct aa *aa = userdata;
	AttestationAgent__ExtendRuntimeMeasurementResponse *resp;
	int64_t index = -1;
	int result, r;

	if (!aa->eventlog)
		result = ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_ENABLED;
	else {
		if (req->register_index_presence_case ==
		    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__REGISTER_INDEX_PRESENCE_REGISTER_INDEX)
			index = req->registerindex > INT64_MAX ? INT64_MAX
							       : (int64_t) req->registerindex;
		r = aa_eventlog_extend(aa->eventlog, req->domain, req->operation, req->content,
				       index);
		if (r == -EOPNOTSUPP)
			result = ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_SUPPORTED;
		else if (r < 0)
			return log_error_errno(r, "Extend runtime measurement '%s %s' failed: %m",
					       req->domain, req->operation);
		else
			result = ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK;
	}
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	attestation_agent__extend_runtime_measurement_response__init(resp);
	resp->result = result;
	*ret = &resp->base;
	return 0;
}

/* Upstream serves it only as a start-up flag; here a caller can bind later too. Same
 * outcome as at start: bound, or not supported by this TEE (both OK), or refused. */
static int bind_init_data(void *userdata, const ProtobufCMessage *m, ProtobufCMessage **ret)
{
	const AttestationAgent__BindInitDataRequest *req = (const void *) m;
	struct aa *aa = userdata;
	AttestationAgent__BindInitDataResponse *resp;
	int r;

	if (req->digest.len == 0 || req->digest.len > DIGEST_MAX_SIZE)
		return ttrpc_handler_status(TTRPC_CODE_INVALID_ARGUMENT,
					    "init-data digest must be 1 to %d bytes",
					    DIGEST_MAX_SIZE);
	r = aa_initdata_bind(aa->primary, req->digest.data, req->digest.len);
	if (r < 0)
		return r;
	resp = malloc(sizeof(*resp));
	if (!resp)
		return -ENOMEM;
	attestation_agent__bind_init_data_response__init(resp);
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

static int get_additional_tees(void *userdata, _unused_ const ProtobufCMessage *m,
			       ProtobufCMessage **ret)
{
	struct aa *aa = userdata;
	const struct attester_ops *add[4];
	size_t n = attester_additional(aa->primary, add, ELEMENTSOF(add));
	AttestationAgent__GetAdditionalTeesResponse *resp = calloc(1, sizeof(*resp));

	if (!resp)
		return -ENOMEM;
	attestation_agent__get_additional_tees_response__init(resp);
	*ret = &resp->base;
	if (n == 0)
		return 0;
	/* The server frees the reply with protobuf_c_message_free_unpacked(). */
	resp->additional_tees = calloc(n, sizeof(char *));
	if (!resp->additional_tees)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		resp->additional_tees[i] = strdup(add[i]->name);
		if (!resp->additional_tees[i])
			return -ENOMEM;
		resp->n_additional_tees++;
	}
	return 0;
}

static const struct ttrpc_method aa_methods[] = {
	{ "GetEvidence", get_evidence },
	{ "GetAdditionalEvidence", get_additional_evidence },
	{ "GetToken", get_token },
	{ "ExtendRuntimeMeasurement", extend_runtime_measurement },
	{ "BindInitData", bind_init_data },
	{ "GetTeeType", get_tee_type },
	{ "GetAdditionalTees", get_additional_tees },
};

const struct ttrpc_service aa_service = {
	.desc = &attestation_agent__attestation_agent_service__descriptor,
	.methods = aa_methods,
	.n_methods = ELEMENTSOF(aa_methods),
	.fail = aa_fail,
};
