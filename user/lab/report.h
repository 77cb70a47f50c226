/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `shakeoff lab report DIR`: a results folder of `shakeoff lab run` (meta.json,
 * samples.csv, steps.jsonl, cdf/DEFENCE-KIND-RATE.csv) read into one
 * struct report (report.c), then written as DIR/summary.json and
 * DIR/summary.md (report_write.c) and as gnuplot data, script and PNG plots
 * under DIR/plots/ (report_plot.c).
 */
#ifndef SHAKEOFF_LAB_REPORT_H
#define SHAKEOFF_LAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "lab/json.h"

/* One line of steps.jsonl, with what samples.csv and cdf/ add to it. */
struct rep_step {
	const char *defence, *kind; /* into raw */
	const char *
		skipped; /* why the runner skipped the step (a defence this machine lacks), or NULL */
	double rate, achieved_pps, duration_s;
	double attempted, ok, success; /* success 0..1 */
	double p50, p90, p99, max; /* connect ms; NaN when absent or null */
	double softirq_pct, process_pct, synack_sent;
	const struct json_val *raw; /* the line as read */
	unsigned int samples; /* seconds of samples.csv for this step */
	double sample_p99_max, sample_synack_pps_sum, sample_flood_pps_sum;
	double *cdf; /* pairs ms, fraction */
	size_t cdf_n; /* how many pairs */
};

struct report {
	char dir[4096];
	struct json_val meta;
	struct json_val *lines; /* steps.jsonl, one value per line */
	struct rep_step *steps;
	size_t nsteps;
	const char **defences; /* canonical order first, then as they come */
	size_t ndefences;
	const char **kinds; /* as they come */
	size_t nkinds;
};

/* What cmd_lab_report() was asked for. */
struct report_opts {
	bool json; /* one JSON line on stdout instead of `what path` lines */
	bool no_plots; /* tables only */
	int gnuplot_timeout_s; /* 0: the default */
};

/* Read DIR. 0, or 1 after one line "shakeoff lab report: FILE[:LINE]: problem". */
int report_load(struct report *r, const char *dir);
void report_free(struct report *r);
/* The step of (defence, kind, rate), or NULL. */
const struct rep_step *report_find(const struct report *r, const char *defence, const char *kind,
				   double rate);
/* The distinct asked rates of kind, ascending, into a malloc'd array; how many (0 on no memory). */
size_t report_rates(const struct report *r, const char *kind, double **out);
/* The highest asked rate of kind. */
double report_max_rate(const struct report *r, const char *kind);

/* The PNG basenames report_plot() made ("success.png", "cdf.png", ...). */
struct report_plots {
	char names[64][96];
	size_t n;
};

/* DIR/summary.json and DIR/summary.md (linking the plots made, if any); 0 or 1 after one line. */
int report_write_json(const struct report *r);
int report_write_md(const struct report *r, const struct report_plots *made);

/*
 * Data files and plot.gp under DIR/plots/, then gnuplot run on them (bounded
 * in time). 0: plots made (the names in *made); 1 after one line: gnuplot
 * failed; -1 after one line: gnuplot is not installed (data and script written).
 */
int report_plot(const struct report *r, int timeout_s, struct report_plots *made);

/* The whole command on DIR, for `lab report` and the runner; an exit code. */
int lab_report(const char *dir, const struct report_opts *o);
int cmd_lab_report(int argc, char **argv);

#endif /* SHAKEOFF_LAB_REPORT_H */
