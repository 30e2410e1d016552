/* SPDX-License-Identifier: Apache-2.0 */
/* common/proto/: known-answer encodings pinning every upstream field number and the
 * service and method names (upstream.md §2.1), and the proto3-optional RegisterIndex
 * kept as a one-member oneof. */
#include "common/macro.h"
#include "common/proto/api.pb-c.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "tests/unit/tests.h"

static void pack_eq(const void *msg, const char *want, size_t n)
{
	const ProtobufCMessage *m = msg;
	uint8_t buf[256];
	size_t k = protobuf_c_message_get_packed_size(m);

	ASSERT_TRUE(k <= sizeof(buf));
	ASSERT_EQ(protobuf_c_message_pack(m, buf), k);
	if (k != n || memcmp(buf, want, n) != 0)
		FAIL_("%s packs to %zu bytes, not the %zu expected", m->descriptor->name, k, n);
}

#define PACK_EQ(msg, lit) pack_eq(&(msg), lit, sizeof(lit) - 1)
#define BYTES(s) ((ProtobufCBinaryData){ .len = sizeof(s) - 1, .data = (uint8_t *) (s) })

static void test_attestation_agent(void)
{
	AttestationAgent__GetEvidenceRequest ev = ATTESTATION_AGENT__GET_EVIDENCE_REQUEST__INIT;
	AttestationAgent__GetAdditionalEvidenceRequest aev =
	    ATTESTATION_AGENT__GET_ADDITIONAL_EVIDENCE_REQUEST__INIT;
	AttestationAgent__GetEvidenceResponse evr = ATTESTATION_AGENT__GET_EVIDENCE_RESPONSE__INIT;
	AttestationAgent__GetTokenRequest tok = ATTESTATION_AGENT__GET_TOKEN_REQUEST__INIT;
	AttestationAgent__GetTokenResponse tokr = ATTESTATION_AGENT__GET_TOKEN_RESPONSE__INIT;
	AttestationAgent__ExtendRuntimeMeasurementResponse exr =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_RESPONSE__INIT;
	AttestationAgent__BindInitDataRequest bind =
	    ATTESTATION_AGENT__BIND_INIT_DATA_REQUEST__INIT;
	AttestationAgent__GetTeeTypeResponse tee = ATTESTATION_AGENT__GET_TEE_TYPE_RESPONSE__INIT;
	AttestationAgent__GetAdditionalTeesResponse tees =
	    ATTESTATION_AGENT__GET_ADDITIONAL_TEES_RESPONSE__INIT;
	char *list[] = { (char *) "tdx", (char *) "nvidia" };

	ev.runtimedata = BYTES("ab");
	PACK_EQ(ev, "\x0a\x02"
		    "ab");
	aev.runtimedata = BYTES("ab");
	PACK_EQ(aev, "\x0a\x02"
		     "ab");
	evr.evidence = BYTES("{}");
	PACK_EQ(evr, "\x0a\x02{}");
	tok.tokentype = (char *) "kbs";
	PACK_EQ(tok, "\x0a\x03kbs");
	tokr.token = BYTES("t");
	PACK_EQ(tokr, "\x0a\x01t");
	exr.result = ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_ENABLED;
	PACK_EQ(exr, "\x08\x02");
	bind.digest = BYTES("x");
	PACK_EQ(bind, "\x0a\x01x");
	tee.tee = (char *) "tdx";
	PACK_EQ(tee, "\x0a\x03tdx");
	tees.n_additional_tees = 2;
	tees.additional_tees = list;
	PACK_EQ(tees, "\x0a\x03tdx\x0a\x06nvidia");
	ASSERT_EQ(ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK, 0);
	ASSERT_EQ(ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_SUPPORTED, 1);
}

/* Upstream's `optional uint64 RegisterIndex = 4`: present-and-zero differs from absent. */
static void test_register_index_presence(void)
{
	AttestationAgent__ExtendRuntimeMeasurementRequest x =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__INIT;
	AttestationAgent__ExtendRuntimeMeasurementRequest *u;

	x.domain = (char *) "d";
	x.operation = (char *) "o";
	x.content = (char *) "c";
	PACK_EQ(x, "\x0a\x01"
		   "d\x12\x01o\x1a\x01"
		   "c");
	x.register_index_presence_case =
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__REGISTER_INDEX_PRESENCE_REGISTER_INDEX;
	x.registerindex = 0;
	PACK_EQ(x, "\x0a\x01"
		   "d\x12\x01o\x1a\x01"
		   "c\x20\x00");
	x.registerindex = 17;
	PACK_EQ(x, "\x0a\x01"
		   "d\x12\x01o\x1a\x01"
		   "c\x20\x11");

	u = attestation_agent__extend_runtime_measurement_request__unpack(
	    NULL, 2, (const uint8_t *) "\x20\x00");
	ASSERT_TRUE(u);
	ASSERT_EQ(
	    u->register_index_presence_case,
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__REGISTER_INDEX_PRESENCE_REGISTER_INDEX);
	ASSERT_EQ(u->registerindex, 0);
	attestation_agent__extend_runtime_measurement_request__free_unpacked(u, NULL);
	u = attestation_agent__extend_runtime_measurement_request__unpack(NULL, 0,
									  (const uint8_t *) "");
	ASSERT_TRUE(u);
	ASSERT_EQ(
	    u->register_index_presence_case,
	    ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__REGISTER_INDEX_PRESENCE__NOT_SET);
	attestation_agent__extend_runtime_measurement_request__free_unpacked(u, NULL);
}

static void test_api(void)
{
	Api__UnsealSecretInput in = API__UNSEAL_SECRET_INPUT__INIT;
	Api__UnsealSecretOutput out = API__UNSEAL_SECRET_OUTPUT__INIT;
	Api__GetResourceRequest gr = API__GET_RESOURCE_REQUEST__INIT;
	Api__GetResourceResponse grr = API__GET_RESOURCE_RESPONSE__INIT;
	Api__SecureMountRequest sm = API__SECURE_MOUNT_REQUEST__INIT;
	Api__SecureMountRequest__OptionsEntry opt = API__SECURE_MOUNT_REQUEST__OPTIONS_ENTRY__INIT;
	Api__SecureMountRequest__OptionsEntry *opts[] = { &opt };
	Api__ImagePullRequest ip = API__IMAGE_PULL_REQUEST__INIT;
	Api__ImagePullResponse ipr = API__IMAGE_PULL_RESPONSE__INIT;
	char *flags[] = { (char *) "ro" };

	in.secret = BYTES("sealed.x");
	PACK_EQ(in, "\x0a\x08sealed.x");
	out.plaintext = BYTES("p");
	PACK_EQ(out, "\x0a\x01p");
	gr.resourcepath = (char *) "kbs:///a/b/c";
	PACK_EQ(gr, "\x0a\x0ckbs:///a/b/c");
	grr.resource = BYTES("r");
	PACK_EQ(grr, "\x0a\x01r");
	sm.volume_type = (char *) "block-device";
	opt.key = (char *) "k";
	opt.value = (char *) "v";
	sm.n_options = 1;
	sm.options = opts;
	sm.n_flags = 1;
	sm.flags = flags;
	sm.mount_point = (char *) "/m";
	/* map<string,string> = repeated {key = 1; value = 2;} under field 2 */
	PACK_EQ(sm, "\x0a\x0c"
		    "block-device\x12\x06\x0a\x01k\x12\x01v\x1a\x02ro\x22\x02/m");
	ip.image_url = (char *) "i";
	ip.bundle_path = (char *) "b";
	PACK_EQ(ip, "\x0a\x01i\x12\x01"
		    "b");
	ipr.manifest_digest = (char *) "sha256:x";
	PACK_EQ(ipr, "\x0a\x08sha256:x");
}

static void test_keyprovider(void)
{
	Keyprovider__KeyProviderKeyWrapProtocolInput in =
	    KEYPROVIDER__KEY_PROVIDER_KEY_WRAP_PROTOCOL_INPUT__INIT;
	Keyprovider__KeyProviderKeyWrapProtocolOutput out =
	    KEYPROVIDER__KEY_PROVIDER_KEY_WRAP_PROTOCOL_OUTPUT__INIT;

	in.keyproviderkeywrapprotocolinput = BYTES("{}");
	PACK_EQ(in, "\x0a\x02{}");
	out.keyproviderkeywrapprotocoloutput = BYTES("{}");
	PACK_EQ(out, "\x0a\x02{}");
}

static void check_service(const ProtobufCServiceDescriptor *d, const char *name,
			  const char *const *methods, size_t n)
{
	ASSERT_STREQ(d->name, name);
	ASSERT_EQ(d->n_methods, n);
	for (size_t i = 0; i < n; i++)
		ASSERT_STREQ(d->methods[i].name, methods[i]);
}

static void test_services(void)
{
	static const char *const aa[] = { "GetEvidence",      "GetAdditionalEvidence",
					  "GetToken",         "ExtendRuntimeMeasurement",
					  "BindInitData",     "GetTeeType",
					  "GetAdditionalTees" };
	static const char *const unseal[] = { "UnsealSecret" };
	static const char *const res[] = { "GetResource" };
	static const char *const mount[] = { "SecureMount" };
	static const char *const pull[] = { "PullImage" };
	static const char *const kp[] = { "WrapKey", "UnWrapKey" };

	check_service(&attestation_agent__attestation_agent_service__descriptor,
		      "attestation_agent.AttestationAgentService", aa, ELEMENTSOF(aa));
	ASSERT_STREQ(
	    attestation_agent__attestation_agent_service__descriptor.methods[1].output->name,
	    "attestation_agent.GetEvidenceResponse");
	check_service(&api__sealed_secret_service__descriptor, "api.SealedSecretService", unseal,
		      1);
	check_service(&api__get_resource_service__descriptor, "api.GetResourceService", res, 1);
	check_service(&api__secure_mount_service__descriptor, "api.SecureMountService", mount, 1);
	check_service(&api__image_pull_service__descriptor, "api.ImagePullService", pull, 1);
	check_service(&keyprovider__key_provider_service__descriptor,
		      "keyprovider.KeyProviderService", kp, ELEMENTSOF(kp));
	ASSERT_STREQ(keyprovider__key_provider_service__descriptor.methods[0].input->name,
		     "keyprovider.KeyProviderKeyWrapProtocolInput");
}

TESTS(test_attestation_agent, test_register_index_presence, test_api, test_keyprovider,
      test_services)
