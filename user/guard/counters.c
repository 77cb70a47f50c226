// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard/counters.h"

const char *const guard_stat_names[GS__COUNT] = {
#define STAT_NAME(id, name, help) [GS_##id] = name,
	GUARD_STATS(STAT_NAME)
#undef STAT_NAME
};

const char *const guard_stat_help[GS__COUNT] = {
#define STAT_HELP(id, name, help) [GS_##id] = help,
	GUARD_STATS(STAT_HELP)
#undef STAT_HELP
};

int stats_read(int map_fd, __u64 out[GS__COUNT])
{
	int ncpu = libbpf_num_possible_cpus(), i, c;
	__u64 *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < GS__COUNT; i++) {
		__u32 key = i;

		out[i] = 0;
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			free(vals);
			return -errno;
		}
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

void stats_print(FILE *f, const __u64 v[GS__COUNT], bool json)
{
	int i;

	if (json) {
		fputc('{', f);
		for (i = 0; i < GS__COUNT; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", guard_stat_names[i],
				(unsigned long long)v[i]);
		fputc('}', f);
		return;
	}
	for (i = 0; i < GS__COUNT; i++)
		fprintf(f, "%-24s %20llu  %s\n", guard_stat_names[i], (unsigned long long)v[i],
			guard_stat_help[i]);
}

void stats_print_rates(FILE *f, const char *ifname, const __u64 now[GS__COUNT],
		       const __u64 prev[GS__COUNT], double secs, bool json)
{
	bool any = false;
	int i;

	if (secs <= 0)
		secs = 1;
	if (json) {
		fprintf(f, "{\"event\":\"stats\",\"iface\":\"%s\",\"interval\":%.3f,\"counters\":",
			ifname, secs);
		stats_print(f, now, true);
		fprintf(f, ",\"rates\":{");
		for (i = 0; i < GS__COUNT; i++)
			fprintf(f, "%s\"%s\":%.1f", i ? "," : "", guard_stat_names[i],
				(now[i] - prev[i]) / secs);
		fprintf(f, "}}\n");
		fflush(f);
		return;
	}
	fprintf(f, "%s:", ifname);
	for (i = 0; i < GS__COUNT; i++) {
		if (now[i] == prev[i])
			continue;
		fprintf(f, " %s=%.0f/s", guard_stat_names[i], (now[i] - prev[i]) / secs);
		any = true;
	}
	if (!any)
		fprintf(f, " idle");
	fputc('\n', f);
	fflush(f);
}
