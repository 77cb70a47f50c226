// SPDX-License-Identifier: GPL-2.0
#include "core/counters.h"
#include "guard/counters.h"

int guard_counters_read(int map_fd, __u64 out[GS__COUNT])
{
	return counters_read(map_fd, &guard_counter_set, out);
}

void guard_counters_print(FILE *f, const __u64 v[GS__COUNT], bool json)
{
	counters_print(f, &guard_counter_set, v, json);
}

void guard_counters_print_rates(FILE *f, const char *ifname, const __u64 now[GS__COUNT],
				const __u64 prev[GS__COUNT], double secs, bool json)
{
	counters_print_rates(f, &guard_counter_set, ifname, now, prev, secs, json);
}
