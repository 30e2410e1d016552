/* SPDX-License-Identifier: Apache-2.0 */
/* Starts daemons and reports how long until all their sockets exist:
 *   startup-time SOCKET[,SOCKET...] -- CMD [ARG...] [-- CMD [ARG...]]...
 * Each command is forked and exec'd in turn (left running, stdout and stderr both on our
 * stderr, so $(startup-time ...) does not wait for them); the
 * clock starts before the first fork and stops when the last socket appears (polled every
 * 100 us, CLOCK_MONOTONIC). Prints "ready_us=N"; exits 1 if the sockets are not there
 * within 10 s. Used by the vm suite, in the guest and on the host alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long) t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	char *socks, *s;
	long long t0;
	int i = 2;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr,
			"usage: startup-time SOCKET[,SOCKET...] -- CMD [ARG...] [-- CMD...]\n");
		return 2;
	}
	socks = argv[1];
	t0 = now_us();
	while (i < argc) {
		int start = ++i;

		while (i < argc && strcmp(argv[i], "--") != 0)
			i++;
		argv[i < argc ? i : argc] = NULL;
		if (fork() == 0) {
			dup2(STDERR_FILENO, STDOUT_FILENO);
			execvp(argv[start], argv + start);
			perror(argv[start]);
			_exit(127);
		}
	}
	for (;;) {
		char list[4096];
		struct stat st;
		int all = 1;

		snprintf(list, sizeof(list), "%s", socks);
		for (s = strtok(list, ","); s; s = strtok(NULL, ","))
			if (stat(s, &st) < 0 || !S_ISSOCK(st.st_mode))
				all = 0;
		if (all)
			break;
		if (now_us() - t0 > 10 * 1000000LL) {
			fprintf(stderr, "startup-time: sockets not ready after 10 s\n");
			return 1;
		}
		usleep(100);
	}
	printf("ready_us=%lld\n", now_us() - t0);
	return 0;
}
