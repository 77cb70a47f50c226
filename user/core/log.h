/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One logging module. Messages read "Failed to VERB OBJECT NAME: strerror".
 * Levels, as the global flags choose them:
 *   -q   LOG_WARN   errors and warnings only
 *        LOG_INFO   (default) plus one-line notes of what was done
 *   -v   LOG_DEBUG  plus our debug lines and libbpf's warnings and notes
 *   -vv  LOG_TRACE  plus libbpf's debug output and the verifier's log and
 *                   statistics of every program, also on success
 */
#ifndef SHAKEOFF_LOG_H
#define SHAKEOFF_LOG_H

enum log_level {
	LOG_WARN = 0,
	LOG_INFO = 1,
	LOG_DEBUG = 2,
	LOG_TRACE = 3,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_setup_libbpf(void);
void log_print(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_print(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_DEBUG, __VA_ARGS__)

#endif /* SHAKEOFF_LOG_H */
