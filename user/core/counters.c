// SPDX-License-Identifier: GPL-2.0
#include "core/counters.h"
#include "core/jsonl.h"
#include "core/percpu.h"
#include "core/stat_names.h"

_Static_assert(GS__COUNT <= COUNTERS_MAX && SS__COUNT <= COUNTERS_MAX, "raise COUNTERS_MAX");

const struct counter_set guard_counter_set = { guard_stat_names, guard_stat_help, GS__COUNT };
const struct counter_set serve_counter_set = { serve_stat_names, serve_stat_help, SS__COUNT };

int counters_read(int map_fd, const struct counter_set *s, __u64 *out)
{
	return percpu_sum_array(map_fd, out, s->n);
}

void counters_print(FILE *f, const struct counter_set *s, const __u64 *v, bool json)
{
	unsigned int i;

	if (json) {
		fputc('{', f);
		for (i = 0; i < s->n; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", s->names[i],
				(unsigned long long)v[i]);
		fputc('}', f);
		return;
	}
	for (i = 0; i < s->n; i++)
		fprintf(f, "%-24s %20llu  %s\n", s->names[i], (unsigned long long)v[i],
			s->help ? s->help[i] : "");
}

/* Enough decimals that a slow counter (0.2/s) never reads 0/s, none where they are noise. */
static void print_rate(FILE *f, const char *name, double r)
{
	fprintf(f, " %s=%.*f/s", name, r >= 100 ? 0 : r >= 10 ? 1 : 2, r);
}

void counters_print_rates(FILE *f, const struct counter_set *s, const char *ifname,
			  const __u64 *now, const __u64 *prev, double secs, bool json)
{
	bool any = false;
	unsigned int i;

	if (secs <= 0)
		secs = 1;
	if (json) {
		fprintf(f,
			"%s,\"event\":\"stats\",\"iface\":\"%s\",\"interval\":%.3f,\"counters\":",
			json_ts(), ifname, secs);
		counters_print(f, s, now, true);
		fprintf(f, ",\"rates\":{");
		for (i = 0; i < s->n; i++)
			fprintf(f, "%s\"%s\":%.3f", i ? "," : "", s->names[i],
				(now[i] - prev[i]) / secs);
		fprintf(f, "}}\n");
		fflush(f);
		return;
	}
	fprintf(f, "%s:", ifname);
	for (i = 0; i < s->n; i++) {
		if (now[i] == prev[i])
			continue;
		print_rate(f, s->names[i], (now[i] - prev[i]) / secs);
		any = true;
	}
	if (!any)
		fprintf(f, " idle");
	fputc('\n', f);
	fflush(f);
}
