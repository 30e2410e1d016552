/* SPDX-License-Identifier: Apache-2.0 */
/* Every message of our protos unpacked from the input; what unpacks must pack again to
 * something that unpacks (protobuf-c's parser on hostile bytes). */
#include <stdlib.h>

#include "common/proto/api.pb-c.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "common/proto/ttrpc.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size, data), *again;
	uint8_t *out;
	size_t n;

	if (!m)
		return;
	n = protobuf_c_message_get_packed_size(m);
	out = malloc(n ? n : 1);
	if (!out)
		abort();
	if (protobuf_c_message_pack(m, out) != n)
		abort();
	again = protobuf_c_message_unpack(d, NULL, n, out);
	if (!again)
		abort();
	protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	free(out);
}

static void service(const ProtobufCServiceDescriptor *s, const uint8_t *data, size_t size)
{
	for (unsigned i = 0; i < s->n_methods; i++) {
		roundtrip(s->methods[i].input, data, size);
		roundtrip(s->methods[i].output, data, size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	roundtrip(&ttrpc__request__descriptor, data, size);
	roundtrip(&ttrpc__response__descriptor, data, size);
	service(&attestation_agent__attestation_agent_service__descriptor, data, size);
	service(&api__sealed_secret_service__descriptor, data, size);
	service(&api__get_resource_service__descriptor, data, size);
	service(&api__secure_mount_service__descriptor, data, size);
	service(&api__image_pull_service__descriptor, data, size);
	service(&keyprovider__key_provider_service__descriptor, data, size);
	return 0;
}
