/* SPDX-License-Identifier: Apache-2.0 */
/* stderr logger with an env_logger-compatible filter (upstream's RUST_LOG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "cocobox";
static enum log_level max_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_OFF] = "off",       [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warn",
	[LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",   [LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_TRACE] = "trace",
};

int log_level_from_string(const char *s, enum log_level *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*ret = (enum log_level) i;
			return 0;
		}
	if (strcasecmp(s, "warning") == 0) {
		*ret = LOG_LEVEL_WARNING;
		return 0;
	}
	return -EINVAL;
}

/* "confidential-data-hub" also answers to the crate-style "confidential_data_hub". */
static bool target_matches(const char *target, size_t n)
{
	size_t len = strlen(log_ident);

	if (n != len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = target[i] == '_' ? '-' : target[i];
		char b = log_ident[i] == '_' ? '-' : log_ident[i];
		if (a != b)
			return false;
	}
	return true;
}

void log_parse_filter(const char *filter)
{
	enum log_level global = max_level, targeted = LOG_LEVEL_OFF, l;
	bool have_targeted = false;
	const char *p = filter;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t) (end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		char word[16];

		if (eq) {
			size_t vn = n - (size_t) (eq - p) - 1;
			if (vn < sizeof(word) && target_matches(p, (size_t) (eq - p))) {
				memcpy(word, eq + 1, vn);
				word[vn] = 0;
				if (log_level_from_string(word, &l) >= 0) {
					targeted = l;
					have_targeted = true;
				}
			}
		} else if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = 0;
			if (log_level_from_string(word, &l) >= 0)
				global = l;
		}
		p = end ? end + 1 : NULL;
	}
	max_level = have_targeted ? targeted : global;
}

void log_open(const char *ident)
{
	const char *e;

	log_ident = ident;
	e = getenv("RUST_LOG");
	if (!isempty(e))
		log_parse_filter(e);
}

void log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_level(void)
{
	return max_level;
}

int log_internal(enum log_level level, int error, const char *file, int line, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (error < 0)
		error = -error;
	/* %m in fmt prints strerror(errno) with musl and glibc alike. */
	errno = error;
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (max_level >= LOG_LEVEL_DEBUG)
		(void) fprintf(stderr, "%s[%d]: %s: %s (%s:%d)\n", log_ident, (int) getpid(),
			       level_names[level], msg, file, line);
	else
		(void) fprintf(stderr, "%s[%d]: %s: %s\n", log_ident, (int) getpid(),
			       level_names[level], msg);
	return -error;
}
