/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for what a SecureMount request and the guest feed cdh/storage: the
 * block-device options (input: "key=value" lines, as the ttrpc map arrives), then the
 * mkfs.ext4 command line they make, and, of the same bytes, the `mkfs.ext4 -n` output
 * parser and the uevent DEVNAME parser. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/storage/storage.h"
#include "common/buf.h"

#define MAX_OPTS 32

static bool has_dotdot_component(const char *p)
{
	for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == 0))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *) data, size), *save = NULL, *line;
	const char *keys[MAX_OPTS], *values[MAX_OPTS], *argv[96];
	struct cdh_storage_opts o = {};
	struct cdh_error err = {};
	uint64_t blocks[64];
	char dev[256];
	size_t n = 0, nb = 0;
	int r;

	if (!text)
		return 0;
	r = cdh_storage_parse_backups((const char *) data, size, blocks, 64, &nb);
	if (r >= 0 && (nb == 0 || nb > 64 || blocks[0] != 0))
		abort();
	r = cdh_storage_uevent_devname((const char *) data, size, dev, sizeof(dev));
	if (r >= 0 && (strncmp(dev, "/dev/", 5) != 0 || has_dotdot_component(dev)))
		abort();

	for (line = strtok_r(text, "\n", &save); line && n < MAX_OPTS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = 0;
		keys[n] = line;
		values[n++] = eq + 1;
	}
	r = cdh_storage_parse(keys, values, n, &o, &err);
	if (r >= 0) {
		struct buf ext = BUF_INIT(4096);

		if (cdh_storage_mkfs_argv(&o, "/dev/vda", &ext, argv, 96) >= 0 &&
		    (!argv[0] || strcmp(argv[0], "mkfs.ext4") != 0))
			abort();
		buf_done(&ext);
		cdh_storage_opts_done(&o);
	}
	free(text);
	return 0;
}
