/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a fuzz target over every file of its seed corpus, so each corpus is a plain
 * regression test in every build (libFuzzer's own main is used under -Dfuzz=true). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (!d) {
			fprintf(stderr, "cannot open corpus '%s'\n", argv[i]);
			return EXIT_FAILURE;
		}
		while ((de = readdir(d))) {
			_cleanup_(buf_done) struct buf b = BUF_INIT(16 << 20);
			_cleanup_close_ int fd = -EBADF;

			if (de->d_name[0] == '.')
				continue;
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || buf_read_fd(&b, fd) < 0) {
				fprintf(stderr, "cannot read '%s/%s'\n", argv[i], de->d_name);
				closedir(d);
				return EXIT_FAILURE;
			}
			(void) LLVMFuzzerTestOneInput(b.data ? b.data : (const uint8_t *) "",
						      b.len);
			n++;
		}
		closedir(d);
	}
	printf("1..1\nok 1 replayed %zu inputs\n", n);
	return n > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
