/* SPDX-License-Identifier: GPL-2.0 */
/* guard's counters: reading the per-CPU map and printing it. */
#ifndef SHAKEOFF_GUARD_COUNTERS_H
#define SHAKEOFF_GUARD_COUNTERS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <shakeoff/guard_stats.h>

/* Sum every counter over the CPUs; 0 or -errno. */
int guard_counters_read(int map_fd, __u64 out[GS__COUNT]);
/* All counters, one "name value" line each, or one JSON object (no newline). */
void guard_counters_print(FILE *f, const __u64 v[GS__COUNT], bool json);
/* The short periodic line: rates of the counters that moved since prev. */
void guard_counters_print_rates(FILE *f, const char *ifname, const __u64 now[GS__COUNT],
				const __u64 prev[GS__COUNT], double secs, bool json);

#endif /* SHAKEOFF_GUARD_COUNTERS_H */
