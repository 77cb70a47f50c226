/* SPDX-License-Identifier: GPL-2.0 */
/* A set of named per-CPU counters (guard's, serve's): reading the map and printing it. */
#ifndef SHAKEOFF_CORE_COUNTERS_H
#define SHAKEOFF_CORE_COUNTERS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* Room for the largest set, for callers' arrays. */
#define COUNTERS_MAX 64

struct counter_set {
	const char *const *names;
	const char *const *help; /* may be NULL */
	unsigned int n;
};

extern const struct counter_set guard_counter_set;
extern const struct counter_set serve_counter_set;

/* Sum every counter over the CPUs; 0 or -errno. */
int counters_read(int map_fd, const struct counter_set *s, __u64 *out);
/* All counters, one "name value [help]" line each, or one JSON object (no newline). */
void counters_print(FILE *f, const struct counter_set *s, const __u64 *v, bool json);
/* The short periodic line: rates of the counters that moved since prev (JSON: all of them). */
void counters_print_rates(FILE *f, const struct counter_set *s, const char *ifname,
			  const __u64 *now, const __u64 *prev, double secs, bool json);

#endif /* SHAKEOFF_CORE_COUNTERS_H */
