// SPDX-License-Identifier: GPL-2.0
/*
 * `shakeoff lab report DIR [--json] [--no-plots]`: the summary files and
 * plots of a results folder, in that order, so the tables are there even
 * when gnuplot is missing or fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/optab.h"
#include "core/jsonl.h"
#include "core/opts.h"
#include "lab/report.h"

static const struct optab report_optab[] = {
	{ "json", 'j', NULL, "one JSON line of what was written instead of `what path` lines" },
	{ "no-plots", 'P', NULL,
	  "summary.json and summary.md only: no gnuplot data, script or PNGs" },
	OPTAB_HELP,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff lab report DIR [--json] [--no-plots]\n"
		   "\n"
		   "Summarise a results folder of `shakeoff lab run` (meta.json, samples.csv,\n"
		   "steps.jsonl, cdf/): writes DIR/summary.json (meta, steps, per defence\n"
		   "aggregates), DIR/summary.md (a table per flood kind: rows flood rate, columns\n"
		   "defences) and, with gnuplot, DIR/plots/{success,p99,cpu}[-KIND].png and\n"
		   "DIR/plots/cdf.png, with their data files and plot.gp to re-plot by hand.\n"
		   "\n"
		   "Options:\n");
	optab_print(f, report_optab);
}

int lab_report(const char *dir, const struct report_opts *o)
{
	struct report_plots made = {};
	struct report r;
	int rc, prc = -2;
	size_t i;

	if (report_load(&r, dir)) {
		report_free(&r);
		return 1;
	}
	rc = report_write_json(&r);
	if (!rc && !o->no_plots)
		prc = report_plot(&r, o->gnuplot_timeout_s, &made);
	if (!rc)
		rc = report_write_md(&r, prc == 0 ? &made : NULL);
	if (!rc && prc == 1)
		rc = 1;
	if (!rc && o->json) {
		printf("%s,\"event\":\"report\",\"dir\":", json_ts());
		json_quote(stdout, dir);
		printf(",\"steps\":%zu,\"defences\":%zu,\"kinds\":%zu,\"plots\":[", r.nsteps,
		       r.ndefences, r.nkinds);
		for (i = 0; prc == 0 && i < made.n; i++)
			printf("%s\"plots/%s\"", i ? "," : "", made.names[i]);
		printf("],\"gnuplot\":%s}\n", prc == -2 ? "null" : prc == -1 ? "false" : "true");
	} else if (!rc) {
		printf("%-8s %s/summary.json\n%-8s %s/summary.md\n", "summary", dir, "table", dir);
		for (i = 0; prc == 0 && i < made.n; i++)
			printf("%-8s %s/plots/%s\n", "plot", dir, made.names[i]);
	}
	report_free(&r);
	return rc;
}

int cmd_lab_report(int argc, char **argv)
{
	const char *cmd = "lab report";
	struct report_opts o = {};
	int opt;

	optab_reset();
	while ((opt = optab_next(argc, argv, cmd, report_optab)) != OPTAB_END) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			o.json = true;
			break;
		case 'P':
			o.no_plots = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return usage_error(cmd, optind >= argc ? "missing DIR" : "too many arguments");
	return lab_report(argv[optind], &o);
}
