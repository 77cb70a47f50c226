// SPDX-License-Identifier: GPL-2.0
#include "core/percpu.h"
#include "core/stat_names.h"
#include "guard/counters.h"
#include "core/jsonl.h"

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

/* Enough decimals that a slow counter (0.2/s) never reads 0/s, none where they are noise. */
static void print_rate(FILE *f, const char *name, double r)
{
	fprintf(f, " %s=%.*f/s", name, r >= 100 ? 0 : r >= 10 ? 1 : 2, r);
}

void guard_counters_print_rates(FILE *f, const char *ifname, const __u64 now[GS__COUNT],
				const __u64 prev[GS__COUNT], double secs, bool json)
{
	bool any = false;
	int i;

	if (secs <= 0)
		secs = 1;
	if (json) {
		fprintf(f,
			"%s,\"event\":\"stats\",\"iface\":\"%s\",\"interval\":%.3f,\"counters\":",
			json_ts(), ifname, secs);
		guard_counters_print(f, now, true);
		fprintf(f, ",\"rates\":{");
		for (i = 0; i < GS__COUNT; i++)
			fprintf(f, "%s\"%s\":%.3f", i ? "," : "", guard_stat_names[i],
				(now[i] - prev[i]) / secs);
		fprintf(f, "}}\n");
		fflush(f);
		return;
	}
	fprintf(f, "%s:", ifname);
	for (i = 0; i < GS__COUNT; i++) {
		if (now[i] == prev[i])
			continue;
		print_rate(f, guard_stat_names[i], (now[i] - prev[i]) / secs);
		any = true;
	}
	if (!any)
		fprintf(f, " idle");
	fputc('\n', f);
	fflush(f);
}
