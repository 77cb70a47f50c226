// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/sample.h"
#include "core/jsonl.h"

const char *const sample_fail_names[SAMPLE_FAILS] = { "timeout", "rst", "refused", "short",
						      "other" };

void samples_csv_header(FILE *f)
{
	fprintf(f, "defence,kind,rate,t,attempted,ok,timeout,rst,refused,short,other,"
		   "connect_p50_ms,connect_p99_ms,flood_pps,synack_pps,cpu_softirq_pct,"
		   "cpu_process_pct\n");
}

void samples_csv_row(FILE *f, const char *defence, const char *kind, unsigned long rate,
		     const struct sample_row *r)
{
	int i;

	fprintf(f, "%s,%s,%lu,%lu,%lu,%lu", defence, kind, rate, r->t, r->attempted, r->ok);
	for (i = 0; i < SAMPLE_FAILS; i++)
		fprintf(f, ",%lu", r->failed[i]);
	fprintf(f, ",%.3f,%.3f,%.0f,%.0f,%.1f,%.1f\n", r->connect_p50_ms, r->connect_p99_ms,
		r->flood_pps, r->synack_pps, r->cpu_softirq_pct, r->cpu_process_pct);
}

/* A latency, or null when the step had no connection to measure. */
static void json_ms(FILE *f, const char *key, double v, bool comma)
{
	if (v < 0)
		fprintf(f, "\"%s\":null%s", key, comma ? "," : "");
	else
		fprintf(f, "\"%s\":%.3f%s", key, v, comma ? "," : "");
}

void steps_json_line(FILE *f, const struct step_result *s)
{
	int i;

	fprintf(f,
		"{\"defence\":\"%s\",\"kind\":\"%s\",\"rate\":%lu,\"achieved_pps\":%.0f,"
		"\"duration_s\":%.3f,\"attempted\":%lu,\"ok\":%lu,",
		s->defence, s->kind, s->rate, s->achieved_pps, s->duration_s, s->attempted, s->ok);
	if (s->attempted)
		fprintf(f, "\"success\":%.4f,", (double)s->ok / (double)s->attempted);
	else
		fprintf(f, "\"success\":null,");
	fprintf(f, "\"connect_ms\":{");
	json_ms(f, "p50", s->p50, true);
	json_ms(f, "p90", s->p90, true);
	json_ms(f, "p99", s->p99, true);
	json_ms(f, "max", s->max, false);
	fprintf(f, "},\"failed\":{");
	for (i = 0; i < SAMPLE_FAILS; i++)
		fprintf(f, "%s\"%s\":%lu", i ? "," : "", sample_fail_names[i], s->failed[i]);
	fprintf(f,
		"},\"cpu\":{\"softirq_pct\":%.1f,\"process_pct\":%.1f,\"softirq_all_pct\":%.1f},"
		"\"synack_sent\":%llu,",
		s->softirq_pct, s->process_pct, s->softirq_all_pct, s->synack_sent);
	fprintf(f, "\"drops\":{");
	for (i = 0; i < s->ndrops; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", s->drop_names[i], s->drops[i]);
	fprintf(f, "}");
	if (s->skipped) {
		fputs(",\"skipped\":", f);
		json_quote(f, s->skipped);
	}
	if (s->note) {
		fputs(",\"note\":", f);
		json_quote(f, s->note);
	}
	fprintf(f, "}\n");
}

void step_add_drop(struct step_result *s, const char *name, unsigned long long n)
{
	int i;

	for (i = 0; i < s->ndrops; i++)
		if (!strcmp(s->drop_names[i], name)) {
			s->drops[i] += n;
			return;
		}
	if (s->ndrops == SAMPLE_MAX_DROPS)
		return;
	snprintf(s->drop_names[s->ndrops], sizeof(s->drop_names[0]), "%s", name);
	s->drops[s->ndrops++] = n;
}

int cpu_ticks(int cpu, unsigned long long *softirq, unsigned long long *total)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512], want[16];
	int err = -ENOENT;

	if (!f)
		return -errno;
	if (cpu < 0)
		snprintf(want, sizeof(want), "cpu ");
	else
		snprintf(want, sizeof(want), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		int i;

		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
			break;
		*softirq = v[6];
		*total = 0;
		for (i = 0; i < 8; i++)
			*total += v[i];
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

unsigned long long proc_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the name in parentheses may hold blanks: fields count from its ')' */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

int netdev_packets(const char *ifname, unsigned long long *rx, unsigned long long *tx)
{
	FILE *f = fopen("/proc/net/dev", "re");
	char line[512];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;
		*colon = '\0';
		while (*name == ' ')
			name++;
		if (strcmp(name, ifname))
			continue;
		/* rx: bytes packets ... (8 fields), tx: bytes packets ... */
		if (sscanf(colon + 1, "%*u %llu %*u %*u %*u %*u %*u %*u %*u %llu", rx, tx) == 2)
			err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* name in one of the "Table: names" / "Table: values" line pairs of path */
static bool counter_in(const char *path, const char *name, unsigned long long *out)
{
	FILE *f = fopen(path, "re");
	static char names[8192], values[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n, *v;

		/* both lines start with the table's name ("TcpExt:"): skipped */
		strtok_r(names, " \n", &sn);
		strtok_r(values, " \n", &sv);
		for (n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv); n && v;
		     n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv)) {
			if (strcmp(n, name))
				continue;
			*out = strtoull(v, NULL, 10);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

unsigned long long netstat_counter(const char *name)
{
	unsigned long long v = 0;

	if (!counter_in("/proc/net/netstat", name, &v))
		counter_in("/proc/net/snmp", name, &v);
	return v;
}

bool json_number(const char *line, const char *key, double *out)
{
	char want[64];
	const char *p;
	char *end;

	snprintf(want, sizeof(want), "\"%s\":", key);
	p = strstr(line, want);
	if (!p)
		return false;
	p += strlen(want);
	*out = strtod(p, &end);
	return end != p;
}
