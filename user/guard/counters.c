// SPDX-License-Identifier: GPL-2.0
#include "core/percpu.h"
#include "core/stat_names.h"
#include "guard/counters.h"

int guard_counters_read(int map_fd, __u64 out[GS__COUNT])
{
	return percpu_sum_array(map_fd, out, GS__COUNT);
}

void guard_counters_print(FILE *f, const __u64 v[GS__COUNT], bool json)
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

void guard_counters_print_rates(FILE *f, const char *ifname, const __u64 now[GS__COUNT],
				const __u64 prev[GS__COUNT], double secs, bool json)
{
	bool any = false;
	int i;

	if (secs <= 0)
		secs = 1;
	if (json) {
		fprintf(f, "{\"event\":\"stats\",\"iface\":\"%s\",\"interval\":%.3f,\"counters\":",
			ifname, secs);
		guard_counters_print(f, now, true);
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
