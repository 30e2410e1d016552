/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for image-rs/manifest.c: the same bytes as a manifest (with and without a
 * Content-Type) and as an image config; walks what was parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image-rs/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct manifest_descriptor *d)
{
	if (!d->media_type || d->size > MANIFEST_MAX_BLOB_SIZE || strlen(d->digest_str) < 7)
		abort();
	for (size_t i = 0; i < d->n_annotations; i++)
		if (!manifest_descriptor_annotation(d, d->annotations[i].key))
			abort();
	(void) manifest_layer_media_type(d->media_type, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cts[] = { NULL, MT_DOCKER_MANIFEST, MT_OCI_INDEX };
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	const struct manifest_descriptor *e;

	for (size_t k = 0; k < ELEMENTSOF(cts); k++) {
		_cleanup_(manifest_freep) struct manifest *m = NULL;

		if (manifest_parse(data, size, cts[k], &m) < 0)
			continue;
		if (m->kind == MANIFEST_KIND_IMAGE) {
			walk(&m->config);
			for (size_t i = 0; i < m->n_layers; i++)
				walk(&m->layers[i]);
		} else if (m->kind == MANIFEST_KIND_INDEX) {
			for (size_t i = 0; i < m->n_entries; i++)
				walk(&m->entries[i]);
			(void) manifest_select_platform(m, "linux", manifest_go_arch(), "v8", &e);
		} else
			abort();
		if (image_config_parse(data, size, &c) >= 0 && m->kind == MANIFEST_KIND_IMAGE)
			(void) manifest_check_config(m, c);
		c = image_config_free(c);
	}
	if (image_config_parse(data, size, &c) >= 0) {
		for (size_t i = 0; i < c->n_diff_ids; i++)
			if (!c->diff_ids[i])
				abort();
		for (size_t i = 0; c->env && c->env[i]; i++)
			(void) strlen(c->env[i]);
	}
	return 0;
}
