/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr, one line per event: "<applet>[<pid>]: <level>: <message>".
 * The level comes from the config's [log] level and is overridden by RUST_LOG, whose
 * env_logger syntax upstream's daemons accept ("debug", "warn,attestation_agent=debug").
 * common/ logs at debug only; applets and servers log the rest, once per failure. */
#pragma once

#include <stdarg.h>

#include "macro.h"

enum log_level {
	LOG_LEVEL_OFF = 0,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE,
};

/* Names the process in every line and applies RUST_LOG, if set. */
void log_open(const char *ident);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses one level word ("error", "warn", "info", "debug", "trace", "off").
 * Returns -EINVAL for anything else. */
int log_level_from_string(const char *s, enum log_level *ret);

/* Applies a RUST_LOG-style filter: comma-separated directives, each "level" or
 * "target=level". A directive naming this applet (or its crate name with '_' for '-')
 * wins over a bare level. Unknown words are ignored as env_logger does. */
void log_parse_filter(const char *filter);

/* Returns -abs(error), or 0 when error is 0, so callers can `return log_..._errno()`. */
int log_internal(enum log_level level, int error, const char *file, int line, const char *fmt, ...)
    _printf_(5, 6);

#define log_full_errno(level, error, ...)                                                          \
	({                                                                                         \
		enum log_level _l = (level);                                                       \
		int _e = (error);                                                                  \
		log_get_level() >= _l ? log_internal(_l, _e, __FILE__, __LINE__, __VA_ARGS__)      \
				      : (_e < 0 ? _e : -_e);                                       \
	})

#define log_debug(...) (void) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_LEVEL_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_LEVEL_INFO, error, __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_LEVEL_NOTICE, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_LEVEL_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_LEVEL_ERROR, error, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
