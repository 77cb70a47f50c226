// SPDX-License-Identifier: GPL-2.0
/*
 * DIR/summary.json (meta, the steps as read, and per defence aggregates) and
 * DIR/summary.md (the run's header and one table per kind and figure). Each
 * is written to a temporary name and renamed, so a reader never sees half.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/report.h"
#include "core/jsonl.h"

static FILE *open_tmp(const struct report *r, const char *name, char *tmp, size_t len)
{
	FILE *f;

	snprintf(tmp, len, "%s/.%s.tmp", r->dir, name);
	f = fopen(tmp, "w");
	if (!f)
		fprintf(stderr, "shakeoff lab report: Failed to create %s: %s\n", tmp,
			strerror(errno));
	return f;
}

static int close_tmp(const struct report *r, FILE *f, const char *tmp, const char *name)
{
	char path[4200];
	int bad = ferror(f);

	if (fclose(f) || bad) {
		fprintf(stderr, "shakeoff lab report: Failed to write %s\n", tmp);
		remove(tmp);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	if (rename(tmp, path)) {
		fprintf(stderr, "shakeoff lab report: Failed to rename %s to %s: %s\n", tmp, path,
			strerror(errno));
		remove(tmp);
		return 1;
	}
	return 0;
}

static void json_key_num(FILE *f, const char *key, double d, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	json_write_num(f, d);
}

/* Sums over a defence's steps; means over the steps that have the figure. */
static void write_defence(FILE *f, const struct report *r, const char *def)
{
	double att = 0, ok = 0, p99 = NAN, soft = 0, proc = 0, synack = 0;
	unsigned int n = 0, nsoft = 0, nproc = 0, nsyn = 0, samples = 0, skipped = 0;
	size_t i;

	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];

		if (strcmp(s->defence, def))
			continue;
		if (s->skipped) {
			skipped++;
			continue;
		}
		n++;
		att += s->attempted;
		ok += s->ok;
		samples += s->samples;
		if (!isnan(s->p99) && (isnan(p99) || s->p99 > p99))
			p99 = s->p99;
		if (!isnan(s->softirq_pct)) {
			soft += s->softirq_pct;
			nsoft++;
		}
		if (!isnan(s->process_pct)) {
			proc += s->process_pct;
			nproc++;
		}
		if (!isnan(s->synack_sent)) {
			synack += s->synack_sent;
			nsyn++;
		}
	}
	json_quote(f, def);
	fprintf(f, ":{\"steps\":%u,\"skipped\":%u,\"samples\":%u", n, skipped, samples);
	json_key_num(f, "attempted", att, true);
	json_key_num(f, "ok", ok, true);
	json_key_num(f, "success", att > 0 ? ok / att : NAN, true);
	json_key_num(f, "connect_p99_ms_max", p99, true);
	json_key_num(f, "cpu_softirq_pct_mean", nsoft ? soft / nsoft : NAN, true);
	json_key_num(f, "cpu_process_pct_mean", nproc ? proc / nproc : NAN, true);
	json_key_num(f, "synack_sent", nsyn ? synack : NAN, true);
	fputc('}', f);
}

int report_write_json(const struct report *r)
{
	char tmp[4200];
	FILE *f = open_tmp(r, "summary.json", tmp, sizeof(tmp));
	size_t i;

	if (!f)
		return 1;
	fputs("{\"meta\":", f);
	json_write(f, &r->meta);
	fputs(",\n\"kinds\":[", f);
	for (i = 0; i < r->nkinds; i++) {
		if (i)
			fputc(',', f);
		json_quote(f, r->kinds[i]);
	}
	fputs("],\n\"steps\":[", f);
	for (i = 0; i < r->nsteps; i++) {
		fputs(i ? ",\n" : "\n", f);
		json_write(f, r->steps[i].raw);
	}
	fputs("],\n\"defences\":{", f);
	for (i = 0; i < r->ndefences; i++) {
		fputs(i ? ",\n" : "\n", f);
		write_defence(f, r, r->defences[i]);
	}
	fputs("}}\n", f);
	return close_tmp(r, f, tmp, "summary.json");
}

/* A meta value as Markdown text: strings bare, lists joined with ", ". */
static void md_value(FILE *f, const struct json_val *v)
{
	size_t i;

	if (!v) {
		fputs("?", f);
		return;
	}
	if (v->type == JSON_STR) {
		fputs(v->str, f);
		return;
	}
	if (v->type == JSON_ARR) {
		for (i = 0; i < v->n; i++) {
			if (i)
				fputs(", ", f);
			md_value(f, &v->items[i]);
		}
		return;
	}
	json_write(f, v);
}

static void md_header(FILE *f, const struct report *r)
{
	const struct json_val *m = &r->meta, *mach = json_get(m, "machine"), *set;
	size_t i;

	fputs("# shakeoff lab: ", f);
	md_value(f, json_get(m, "experiment"));
	fputs("\n\n", f);
	fputs("- started: ", f);
	md_value(f, json_get(m, "started"));
	fputs("\n- machine: ", f);
	md_value(f, json_get(mach, "cpu"));
	fputs(", ", f);
	md_value(f, json_get(mach, "cpus"));
	fputs(" CPUs, ", f);
	md_value(f, json_get(mach, "mem_gib"));
	fputs(" GiB\n- kernel: ", f);
	md_value(f, json_get(m, "kernel"));
	fputs("\n- commit: ", f);
	md_value(f, json_get(m, "commit"));
	fputs("\n", f);
	set = json_get(m, "settings");
	if (set && set->type == JSON_OBJ && set->n) {
		fputs("- settings:", f);
		for (i = 0; i < set->n; i++) {
			fprintf(f, "%s `%s = ", i ? "," : "", set->keys[i]);
			md_value(f, &set->items[i]);
			fputc('`', f);
		}
		fputc('\n', f);
	}
	fputs("\nAbsolute figures depend on the machine (CPU, cores, kernel, what else ran): compare\n"
	      "defences and rates within one run, not against figures from another machine.\n",
	      f);
}

enum md_table { MD_SUCCESS, MD_CPU, MD_SYNACK };

static void md_cell(FILE *f, const struct rep_step *s, enum md_table t)
{
	if (!s) {
		fputs(" – |", f);
		return;
	}
	if (s->skipped) {
		fputs(" skipped |", f);
		return;
	}
	switch (t) {
	case MD_SUCCESS:
		if (isnan(s->success))
			fputs(" – /", f);
		else
			fprintf(f, " %.1f %% /", 100.0 * s->success);
		if (isnan(s->p99))
			fputs(" – |", f);
		else
			fprintf(f, " %.2f ms |", s->p99);
		break;
	case MD_CPU:
		if (isnan(s->softirq_pct) && isnan(s->process_pct))
			fputs(" – |", f);
		else
			fprintf(f, " %.1f + %.1f |", isnan(s->softirq_pct) ? 0.0 : s->softirq_pct,
				isnan(s->process_pct) ? 0.0 : s->process_pct);
		break;
	case MD_SYNACK:
		if (isnan(s->synack_sent))
			fputs(" – |", f);
		else
			fprintf(f, " %.0f |", s->synack_sent);
		break;
	}
}

static void md_table(FILE *f, const struct report *r, const char *kind, enum md_table t)
{
	static const char *const title[] = {
		[MD_SUCCESS] = "legitimate connections: success % / connect p99",
		[MD_CPU] = "server CPU %: softirq + process",
		[MD_SYNACK] = "SYN-ACKs sent by the server",
	};
	double *rates;
	size_t nr = report_rates(r, kind, &rates), i, j;

	fprintf(f, "\n### %s flood: %s\n\n| rate (pps) |", kind, title[t]);
	for (j = 0; j < r->ndefences; j++)
		fprintf(f, " %s |", r->defences[j]);
	fputs("\n|---:|", f);
	for (j = 0; j < r->ndefences; j++)
		fputs("---:|", f);
	fputc('\n', f);
	for (i = 0; i < nr; i++) {
		fprintf(f, "| %.15g |", rates[i]);
		for (j = 0; j < r->ndefences; j++)
			md_cell(f, report_find(r, r->defences[j], kind, rates[i]), t);
		fputc('\n', f);
	}
	free(rates);
}

/* Why steps were skipped, and the runner's notes, under their kind's tables. */
static void md_notes(FILE *f, const struct report *r, const char *kind)
{
	bool first = true;
	const char *note;
	size_t i;

	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];

		note = json_str(json_get(s->raw, "note"));
		if ((!s->skipped && !note) || strcmp(s->kind, kind))
			continue;
		fprintf(f, "%s- %s at %.15g pps%s: %s\n", first ? "\n" : "", s->defence, s->rate,
			s->skipped ? " skipped" : "", s->skipped ? s->skipped : note);
		first = false;
	}
}

int report_write_md(const struct report *r, const struct report_plots *made)
{
	char tmp[4200];
	FILE *f = open_tmp(r, "summary.md", tmp, sizeof(tmp));
	size_t k;

	if (!f)
		return 1;
	md_header(f, r);
	for (k = 0; k < r->nkinds; k++) {
		fprintf(f, "\n## %s flood\n", r->kinds[k]);
		md_table(f, r, r->kinds[k], MD_SUCCESS);
		md_table(f, r, r->kinds[k], MD_CPU);
		md_table(f, r, r->kinds[k], MD_SYNACK);
		md_notes(f, r, r->kinds[k]);
	}
	if (made && made->n) {
		fputs("\n## Plots\n\n", f);
		for (k = 0; k < made->n; k++)
			fprintf(f, "![%.*s](plots/%s)\n", (int)(strlen(made->names[k]) - 4),
				made->names[k], made->names[k]);
	}
	return close_tmp(r, f, tmp, "summary.md");
}
