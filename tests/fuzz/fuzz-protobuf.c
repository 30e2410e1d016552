/* SPDX-License-Identifier: Apache-2.0 */
/* Every message of our protos (common/proto/) unpacked from the input; what unpacks must
 * pack again to bytes that unpack to the same packing. The in-place Request decoder of
 * ttrpc-frame.c must accept exactly what protobuf-c accepts, with the same fields. */
#include "common/proto/api.pb-c.h"
#include "common/proto/attestation-agent.pb-c.h"
#include "common/proto/keyprovider.pb-c.h"
#include "common/ttrpc-frame.h"

static const ProtobufCMessageDescriptor *const messages[] = {
	&ttrpc__key_value__descriptor, &ttrpc__request__descriptor,
	&ttrpc__any__descriptor,       &ttrpc__status__descriptor,
	&ttrpc__response__descriptor,  &api__secure_mount_request__options_entry__descriptor,
};

static const ProtobufCServiceDescriptor *const services[] = {
	&attestation_agent__attestation_agent_service__descriptor,
	&api__sealed_secret_service__descriptor,
	&api__get_resource_service__descriptor,
	&api__secure_mount_service__descriptor,
	&api__image_pull_service__descriptor,
	&keyprovider__key_provider_service__descriptor,
};

static bool has_unknown_tag0(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return true;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const uint8_t *base = (const uint8_t *) m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *) (base + f->quantifier_offset);
			ProtobufCMessage *const *v = *(
			    ProtobufCMessage *const *const *) (base + f->offset);

			for (size_t k = 0; k < n; k++)
				if (has_unknown_tag0(v[k]))
					return true;
		} else {
			const ProtobufCMessage *sub = *(ProtobufCMessage *const *) (base +
										    f->offset);

			if (sub && has_unknown_tag0(sub))
				return true;
		}
	}
	return false;
}

static void roundtrip(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size, data), *m2;
	uint8_t *a, *b;
	size_t n, n2;

	if (!m)
		return;
	n = protobuf_c_message_get_packed_size(m);
	a = malloc(n + 1);
	if (!a || protobuf_c_message_pack(m, a) != n)
		abort();
	m2 = protobuf_c_message_unpack(d, NULL, n, a);
	if (!m2) {
		/* Our own packing must decode, except for one protobuf-c quirk: it accepts
		 * tag 0 spelled in two bytes ("81 00") as an unknown field and writes it
		 * back in one byte, which it then refuses. */
		if (!has_unknown_tag0(m))
			abort();
		free(a);
		protobuf_c_message_free_unpacked(m, NULL);
		return;
	}
	n2 = protobuf_c_message_get_packed_size(m2);
	b = malloc(n2 + 1);
	if (!b || protobuf_c_message_pack(m2, b) != n2 || n2 != n || memcmp(a, b, n) != 0)
		abort();
	free(a);
	free(b);
	protobuf_c_message_free_unpacked(m, NULL);
	protobuf_c_message_free_unpacked(m2, NULL);
}

static void request_decoders_agree(const uint8_t *data, size_t size)
{
	Ttrpc__Request *r = ttrpc_request_unpack(data, size);
	struct ttrpc_request_view v;
	int k = ttrpc_request_parse(data, size, &v);

	if (!r) {
		if (k != -EBADMSG)
			abort();
		return;
	}
	if (k != 0 || strlen(r->service) != strnlen((const char *) v.service, v.service_len) ||
	    memcmp(r->service, v.service, strlen(r->service)) != 0 ||
	    strlen(r->method) != strnlen((const char *) v.method, v.method_len) ||
	    memcmp(r->method, v.method, strlen(r->method)) != 0 ||
	    r->payload.len != v.payload_len ||
	    (v.payload_len && memcmp(r->payload.data, v.payload, v.payload_len) != 0) ||
	    r->timeout_nano != v.timeout_nano)
		abort();
	ttrpc__request__free_unpacked(r, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < ELEMENTSOF(messages); i++)
		roundtrip(messages[i], data, size);
	for (size_t i = 0; i < ELEMENTSOF(services); i++)
		for (unsigned j = 0; j < services[i]->n_methods; j++) {
			roundtrip(services[i]->methods[j].input, data, size);
			roundtrip(services[i]->methods[j].output, data, size);
		}
	request_decoders_agree(data, size);
	return 0;
}
