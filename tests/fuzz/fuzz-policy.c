/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/signature/policy.c. First byte: 0 policy JSON (parsed, then
 * every fixed image's requirement list and each rule's identity against fixed signed
 * references), 1 a simple-signing payload under every identity rule, 2 a docker reference
 * (normalized, then its scope list). Properties: documented errors only; a parsed
 * reference reparses to itself from its whole form; scope lists start with whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/reference.h"
#include "image-rs/signature/policy.h"

static const char *const refs[] = {
	"docker.io/library/busybox:latest",
	"quay.io/a/b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"127.0.0.1:5000/test/signed:v1",
	"registry.access.redhat.com/ubi9:9.3",
};

static void each_image(void (*fn)(const struct sig_image *img, const void *arg), const void *arg)
{
	for (size_t i = 0; i < ELEMENTSOF(refs); i++) {
		_cleanup_(reference_freep) struct reference *r = NULL;
		struct sig_image img = {
			.manifest_digest =
			    "sha256:"
			    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
			.index_digest =
			    "sha256:"
			    "0000000000000000000000000000000000000000000000000000000000000000",
		};

		if (reference_parse(refs[i], &r, NULL) < 0)
			abort();
		if (policy_image_from_reference(r, &img) < 0)
			return;
		fn(&img, arg);
	}
}

static void check_identity(const struct policy_identity *id, const struct sig_image *img)
{
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);

	for (size_t i = 0; i < ELEMENTSOF(refs); i++) {
		int r = policy_identity_match(id, img, refs[i], &why);

		if (r < 0 && r != -EKEYREJECTED && r != -EBADMSG && r != -ENOMEM)
			abort();
	}
}

static void on_policy(const struct sig_image *img, const void *arg)
{
	const struct policy_reqs *q = policy_requirements_for(arg, img, NULL);

	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		check_identity(&q->v[i].identity, img);
}

static void on_payload(const struct sig_image *img, const void *arg)
{
	const struct buf *p = arg;
	_cleanup_(buf_done) struct buf why = BUF_INIT(BUF_UNLIMITED);

	for (int t = POLICY_ID_NONE; t <= POLICY_ID_REMAP_IDENTITY; t++) {
		struct policy_identity id = { t, (char *) "docker.io/library",
					      (char *) "quay.io/a" };
		int r = policy_payload_check(p->data, p->len, "atomic container signature", img,
					     &id, true, &why);

		if (r < 0 && r != -EKEYREJECTED && r != -EBADMSG && r != -ENOMEM && r != -E2BIG)
			abort();
		if (r < 0 && why.len == 0 && r != -ENOMEM)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf in = BUF_INIT(POLICY_MAX_SIZE + 2);
	int r;

	if (size < 1 || buf_append(&in, data + 1, size - 1) < 0)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		_cleanup_(policy_freep) struct policy *p = NULL;

		r = policy_parse(in.data, in.len, &p);
		if (r < 0) {
			if (r != -EBADMSG && r != -E2BIG && r != -ENOMEM)
				abort();
			return 0;
		}
		each_image(on_policy, p);
		break;
	}
	case 1:
		each_image(on_payload, &in);
		break;
	default: {
		_cleanup_(reference_freep) struct reference *a = NULL;
		_cleanup_(policy_strv_freep) char **scopes = NULL;
		struct sig_image img = {};

		/* Every reference the image client accepts has a scope list, whole first. */
		if (memchr(in.data, 0, in.len) || reference_parse(buf_str(&in), &a, NULL) < 0 ||
		    policy_image_from_reference(a, &img) < 0)
			return 0;
		r = policy_scopes(&img, &scopes);
		if (r != -ENOMEM && (r < 0 || strcmp(scopes[0], img.whole) != 0))
			abort();
		break;
	}
	}
	return 0;
}
