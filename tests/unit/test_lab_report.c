// SPDX-License-Identifier: GPL-2.0
/*
 * `shakeoff lab report` (user/lab/report*.c) on results folders the test
 * writes itself, as interface 6 describes them: the figures in summary.json,
 * the numbers in the right cells of summary.md, valid PNGs when gnuplot is
 * there, and one-line errors naming FILE:LINE for bad input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lab/json.h"
#include "lab/report.h"
#include "testlib.h"

static char err_text[4096];
static char tmpl_root[] = "/tmp/shakeoff-report-XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static char *get(const char *dir, const char *name)
{
	char path[512], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static const char meta[] =
	"{\"experiment\":\"quick\",\"file\":\"defences = guard-auto, none\\n\","
	"\"started\":\"2026-12-03T16:00:00Z\",\"machine\":{\"cpu\":\"Test CPU\",\"cpus\":2,"
	"\"mem_gib\":7.5},\"kernel\":\"6.18.0\",\"commit\":\"v1.2-3-gabc\","
	"\"settings\":{\"defences\":[\"guard-auto\",\"none\"],\"rates\":[0,1000],\"duration\":5}}\n";

static const char csv_head[] =
	"defence,kind,rate,t,attempted,ok,timeout,rst,refused,short,other,connect_p50_ms,"
	"connect_p99_ms,flood_pps,synack_pps,cpu_softirq_pct,cpu_process_pct\n";

/* A step line; guard-auto comes first so the table's canonical column order is tested. */
static void step(FILE *f, const char *def, const char *kind, int rate, int ok, const char *p99,
		 double soft, double proc, int synack)
{
	fprintf(f,
		"{\"defence\":\"%s\",\"kind\":\"%s\",\"rate\":%d,\"achieved_pps\":%d,"
		"\"duration_s\":5,\"attempted\":100,\"ok\":%d,\"success\":%g,"
		"\"connect_ms\":{\"p50\":0.1,\"p90\":0.2,\"p99\":%s,\"max\":4000},"
		"\"failed\":{\"timeout\":%d},\"cpu\":{\"softirq_pct\":%g,\"process_pct\":%g},"
		"\"synack_sent\":%d,\"drops\":{\"cookie_bad\":0}}\n",
		def, kind, rate, rate, ok, ok / 100.0, p99, 100 - ok, soft, proc, synack);
}

/* A results folder: kinds (1 or 2), defences guard-auto and none, rates 0 and 1000. */
static void make_folder_skip(const char *dir, int nkinds, bool skip);

static void make_folder(const char *dir, int nkinds)
{
	make_folder_skip(dir, nkinds, false);
}

/* skip: also synproxy steps of the syn kind that the runner skipped. */
static void make_folder_skip(const char *dir, int nkinds, bool skip)
{
	static const char *const kinds[] = { "syn", "ack" };
	static const char *const defs[] = { "guard-auto", "none" };
	char path[512];
	FILE *f;
	int k, d, r, t;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/cdf", dir);
	mkdir(path, 0755);
	put(dir, "meta.json", meta);
	snprintf(path, sizeof(path), "%s/steps.jsonl", dir);
	f = fopen(path, "w");
	for (k = 0; k < nkinds; k++) {
		step(f, "guard-auto", kinds[k], 0, 100, "0.4", 1, 2, 100);
		step(f, "guard-auto", kinds[k], 1000, 99, "0.9", 10, 1, 5100);
		if (skip && !k)
			fputs("{\"defence\":\"none\",\"kind\":\"syn\",\"rate\":5,\"attempted\":0,"
			      "\"ok\":0,\"note\":\"the prober gave no figures\"}\n",
			      f);
		step(f, "none", kinds[k], 0, 100, "0.31", 1.5, 2.25, 100);
		/* No connection made it: p99 is null. */
		step(f, "none", kinds[k], 1000, k ? 0 : 40, k ? "null" : "3012.5", 30, 5, 5000);
	}
	for (r = 0; skip && r <= 1000; r += 1000)
		fprintf(f,
			"{\"defence\":\"synproxy\",\"kind\":\"syn\",\"rate\":%d,\"achieved_pps\":0,"
			"\"duration_s\":0,\"attempted\":0,\"ok\":0,\"success\":null,\"connect_ms\":"
			"{\"p50\":null,\"p90\":null,\"p99\":null,\"max\":null},\"failed\":{},\"cpu\":"
			"{\"softirq_pct\":0,\"process_pct\":0},\"synack_sent\":0,\"drops\":{},"
			"\"skipped\":\"no nft here\"}\n",
			r);
	fclose(f);
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	f = fopen(path, "w");
	fputs(csv_head, f);
	for (k = 0; k < nkinds; k++)
		for (d = 0; d < 2; d++)
			for (r = 0; r <= 1000; r += 1000)
				for (t = 0; t < 5; t++)
					fprintf(f, "%s,%s,%d,%d,20,20,0,0,0,0,0,0.1,%g,%d,20,1,1\n",
						defs[d], kinds[k], r, t, 0.3 + t, r);
	fclose(f);
	for (k = 0; k < nkinds; k++)
		for (d = 0; d < 2; d++)
			for (r = 0; r <= 1000; r += 1000) {
				snprintf(path, sizeof(path), "cdf/%s-%s-%d.csv", defs[d], kinds[k],
					 r);
				put(dir, path,
				    "ms,fraction\n0.1,0.5\n0.3,0.9\n1000,0.95\n3000,1\n");
			}
}

/* lab_report() on dir with stdout dropped and stderr kept in err_text. */
static int run(const char *dir, bool no_plots)
{
	struct report_opts o = { .no_plots = no_plots };
	int saved_out = dup(1), rc;
	FILE *null = fopen("/dev/null", "w");
	struct tl_capture c;

	fflush(stdout);
	tl_stderr_begin(&c);
	if (null)
		dup2(fileno(null), 1);
	rc = lab_report(dir, &o);
	fflush(stdout);
	dup2(saved_out, 1);
	close(saved_out);
	if (null)
		fclose(null);
	tl_stderr_end(&c, err_text, sizeof(err_text));
	return rc;
}

static bool have_gnuplot(void)
{
	return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* A PNG: the signature, then the IHDR chunk first with a width and height above 0. */
static bool png_ok(const char *dir, const char *name, char *why, size_t len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char h[24];
	unsigned long w, ht;
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/plots/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return false;
	}
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (n < sizeof(h) || memcmp(h, sig, 8) || memcmp(h + 12, "IHDR", 4)) {
		snprintf(why, len, "%s: no PNG signature and IHDR", path);
		return false;
	}
	w = (unsigned long)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
	ht = (unsigned long)h[20] << 24 | h[21] << 16 | h[22] << 8 | h[23];
	if (!w || !ht) {
		snprintf(why, len, "%s: IHDR %lux%lu", path, w, ht);
		return false;
	}
	return true;
}

static bool has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static void case_summary(const char *root)
{
	const struct json_val *d, *steps;
	char dir[256], err[64];
	struct json_val v = {};
	char *text = NULL;

	snprintf(dir, sizeof(dir), "%s/one", root);
	make_folder(dir, 1);
	tl_begin("report: summary.json has meta, steps and per defence figures");
	if (!ASSERT_EQ(run(dir, true), 0, "exit code"))
		goto out;
	text = get(dir, "summary.json");
	if (!ASSERT(text, "no summary.json") ||
	    !ASSERT(!json_parse(text, strlen(text), &v, err, sizeof(err), NULL),
		    "summary.json is no JSON: %s", err))
		goto out;
	ASSERT(!strcmp(json_str(json_get(json_get(&v, "meta"), "experiment")) ?: "", "quick"),
	       "meta.experiment");
	ASSERT_EQ(json_num(json_get(json_get(json_get(&v, "meta"), "machine"), "cpus"), -1), 2,
		  "meta.machine.cpus");
	steps = json_get(&v, "steps");
	if (!ASSERT(steps && steps->type == JSON_ARR, "steps array"))
		goto out;
	ASSERT_EQ(steps->n, 4, "steps");
	ASSERT_EQ(json_num(json_get(json_get(&steps->items[3], "drops"), "cookie_bad"), -1), 0,
		  "a step is kept whole (drops)");
	d = json_get(json_get(&v, "defences"), "none");
	if (!ASSERT(d, "defences.none"))
		goto out;
	ASSERT_EQ(json_num(json_get(d, "steps"), -1), 2, "none: steps");
	ASSERT_EQ(json_num(json_get(d, "samples"), -1), 10, "none: samples");
	ASSERT_EQ(json_num(json_get(d, "attempted"), -1), 200, "none: attempted");
	ASSERT_EQ(json_num(json_get(d, "ok"), -1), 140, "none: ok");
	ASSERT(json_num(json_get(d, "success"), -1) == 0.7, "none: success");
	ASSERT(json_num(json_get(d, "connect_p99_ms_max"), -1) == 3012.5, "none: p99 max");
	ASSERT(json_num(json_get(d, "cpu_softirq_pct_mean"), -1) == 15.75, "none: softirq mean");
	ASSERT_EQ(json_num(json_get(d, "synack_sent"), -1), 5100, "none: synack_sent");
	d = json_get(json_get(&v, "defences"), "guard-auto");
	ASSERT(d && json_num(json_get(d, "success"), -1) == 0.995, "guard-auto: success");
	ASSERT(json_get(&v, "defences")->n == 2 &&
		       !strcmp(json_get(&v, "defences")->keys[0], "none"),
	       "defences in canonical order, none first");
out:
	json_free(&v);
	free(text);
	tl_end();
}

static void case_markdown(const char *root)
{
	char dir[256];
	char *md = NULL;

	snprintf(dir, sizeof(dir), "%s/two", root);
	make_folder_skip(dir, 2, true);
	tl_begin("report: summary.md has the header and the right number in each cell");
	if (!ASSERT_EQ(run(dir, true), 0, "exit code"))
		goto out;
	md = get(dir, "summary.md");
	if (!ASSERT(md, "no summary.md"))
		goto out;
	tl_note("summary.md:\n%s", md);
	ASSERT(has_line(md, "# shakeoff lab: quick"), "title");
	ASSERT(has_line(md, "- machine: Test CPU, 2 CPUs, 7.5 GiB"), "machine");
	ASSERT(has_line(md, "- kernel: 6.18.0") && has_line(md, "- commit: v1.2-3-gabc"),
	       "kernel, commit");
	ASSERT(strstr(md, "`defences = guard-auto, none`") && strstr(md, "`duration = 5`"),
	       "settings");
	ASSERT(strstr(md, "depend on the machine"), "the caveat");
	ASSERT(has_line(md, "## syn flood") && has_line(md, "## ack flood"), "a section per kind");
	ASSERT(has_line(md, "| rate (pps) | none | synproxy | guard-auto |"),
	       "columns: defences in canonical order");
	ASSERT(has_line(md, "| 0 | 100.0 % / 0.31 ms | skipped | 100.0 % / 0.40 ms |"),
	       "syn, rate 0");
	ASSERT(has_line(md, "| 1000 | 40.0 % / 3012.50 ms | skipped | 99.0 % / 0.90 ms |"),
	       "syn, rate 1000");
	ASSERT(has_line(md, "| 1000 | 0.0 % / – | – | 99.0 % / 0.90 ms |"),
	       "ack: p99 null, synproxy absent");
	ASSERT(has_line(md, "| 1000 | 30.0 + 5.0 | skipped | 10.0 + 1.0 |"), "CPU table");
	ASSERT(has_line(md, "| 1000 | 5000 | skipped | 5100 |"), "SYN-ACK table");
	ASSERT(has_line(md, "- synproxy at 1000 pps skipped: no nft here"), "why skipped");
	ASSERT(has_line(md, "- none at 5 pps: the prober gave no figures"), "a note");
	ASSERT(has_line(md, "| 5 | – / – | – | – |"), "a step without figures, others absent");
	ASSERT(!strstr(md, "## Plots"), "no plots linked with --no-plots");
out:
	free(md);
	tl_end();
}

static void case_plots(const char *root, int nkinds)
{
	static const char *const one[] = { "success.png", "p99.png", "cpu.png", "cdf.png", NULL };
	static const char *const two[] = {
		"success-syn.png", "p99-syn.png", "cpu-syn.png", "success-ack.png", "p99-ack.png",
		"cpu-ack.png",	   "cdf.png",	  "cdf-syn.png", "cdf-ack.png",	    NULL
	};
	const char *const *want = nkinds == 1 ? one : two;
	char dir[256], why[600], *md = NULL, *gp = NULL;
	int i;

	snprintf(dir, sizeof(dir), "%s/plots%d", root, nkinds);
	make_folder(dir, nkinds);
	tl_begin("report: every plot is a valid PNG (%d kind%s)", nkinds, nkinds > 1 ? "s" : "");
	if (!have_gnuplot()) {
		tl_skip("gnuplot is not installed (apt-get install gnuplot-nox)");
		goto out;
	}
	if (!ASSERT(run(dir, false) == 0, "exit code not 0, stderr: %s", err_text))
		goto out;
	for (i = 0; want[i]; i++)
		ASSERT(png_ok(dir, want[i], why, sizeof(why)), "%s", why);
	gp = get(dir, "plots/plot.gp");
	ASSERT(gp && strstr(gp, "'none'"), "plot.gp kept, with a line per defence");
	md = get(dir, "summary.md");
	ASSERT(md && strstr(md, "(plots/cdf.png)"), "summary.md links the plots");
	free(md);
	md = get(dir, nkinds == 1 ? "plots/syn-none.dat" : "plots/ack-none.dat");
	ASSERT(md && strstr(md, nkinds == 1 ? "\n1000 40 3012.5 30 5 35 5000\n" :
					      "\n1000 0 NaN 30 5 35 5000\n"),
	       "data file: %s", md ?: "none");
out:
	free(md);
	free(gp);
	tl_end();
}

static void case_no_gnuplot(const char *root)
{
	char dir[256], *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct stat st;
	int rc;

	snprintf(dir, sizeof(dir), "%s/nognuplot", root);
	make_folder(dir, 1);
	tl_begin("report: without gnuplot, one line and the tables");
	setenv("PATH", "/nonexistent", 1);
	rc = run(dir, false);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	ASSERT_EQ(rc, 0, "exit code");
	ASSERT(strstr(err_text, "gnuplot is not installed") && strchr(err_text, '\n') &&
		       !strchr(err_text, '\n')[1],
	       "one line saying so, got '%s'", err_text);
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/summary.md");
	ASSERT(!stat(dir, &st) && st.st_size > 0, "summary.md written");
	tl_end();
}

/* A folder made good, then broken by writing name = text; the one stderr line names where. */
static void case_bad(const char *root, int idx, const char *name, const char *text,
		     const char *want)
{
	char dir[256];
	int rc;

	snprintf(dir, sizeof(dir), "%s/bad%d", root, idx);
	make_folder(dir, 1);
	if (text)
		put(dir, name, text);
	else if (name)
		snprintf(err_text, sizeof(err_text), "%s/%s", dir, name), remove(err_text);
	tl_begin("report error: %s", want);
	rc = run(name ? dir : "/nonexistent/results", true);
	ASSERT_EQ(rc, 1, "exit code");
	ASSERT(strstr(err_text, want), "stderr '%s' lacks '%s'", err_text, want);
	ASSERT(!strncmp(err_text, "shakeoff lab report: ", 21), "prefix: '%s'", err_text);
	ASSERT(strchr(err_text, '\n') && !strchr(err_text, '\n')[1], "one line: '%s'", err_text);
	tl_end();
}

int main(void)
{
	char bad_csv[1024], cmd[300];
	const char *root = mkdtemp(tmpl_root);
	int i = 0;

	if (!root) {
		perror("mkdtemp");
		return 1;
	}
	case_summary(root);
	case_markdown(root);
	case_plots(root, 1);
	case_plots(root, 2);
	case_no_gnuplot(root);

	snprintf(bad_csv, sizeof(bad_csv),
		 "%snone,syn,0,0,1,1,0,0,0,0,0,0.1,0.3,0,0,1,1\n"
		 "none,syn,0,1,1,1,0,0,0,0,0,0.1,fast,0,0,1,1\n",
		 csv_head);
	case_bad(root, i++, "steps.jsonl",
		 "{\"defence\":\"none\",\"kind\":\"syn\",\"rate\":0,\"attempted\":1,\"ok\":1}\n"
		 "{\"defence\":\"none\",\"kind\":\"syn\",\"rate\":1000,\n",
		 "steps.jsonl:2: bad JSON");
	case_bad(root, i++, "steps.jsonl",
		 "\n{\"kind\":\"syn\",\"rate\":0,\"attempted\":1,\"ok\":1}\n",
		 "steps.jsonl:2: no \"defence\"");
	case_bad(
		root, i++, "steps.jsonl",
		"{\"defence\":\"none\",\"kind\":\"syn\",\"rate\":\"fast\",\"attempted\":1,\"ok\":1}\n",
		"steps.jsonl:1: \"rate\" is not a number");
	case_bad(root, i++, "steps.jsonl",
		 "{\"defence\":\"none\",\"kind\":\"syn\",\"rate\":0,\"attempted\":1,\"ok\":2}\n",
		 "steps.jsonl:1: rate, attempted or ok out of range");
	case_bad(root, i++, "steps.jsonl", "", "steps.jsonl: no steps");
	case_bad(root, i++, "samples.csv", bad_csv, "samples.csv:3: a number field");
	case_bad(root, i++, "samples.csv", "defence,kind,rate\n",
		 "samples.csv:1: no column \"connect_p99_ms\"");
	case_bad(root, i++, "samples.csv", "", "samples.csv: empty");
	case_bad(root, i++, "meta.json", "{\"experiment\":\"x\",}",
		 "meta.json: bad JSON at byte 19");
	case_bad(root, i++, "meta.json", "[1]", "meta.json: not a JSON object");
	case_bad(root, i++, "cdf/none-syn-0.csv", "ms,fraction\n0.1,1.5\n",
		 "cdf/none-syn-0.csv:2: not `ms,fraction`");
	case_bad(root, i++, "meta.json", NULL, "meta.json: No such file or directory");
	case_bad(root, i++, "samples.csv", NULL, "samples.csv: No such file or directory");
	case_bad(root, i++, NULL, NULL, "/nonexistent/results: No such file or directory");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return tl_summary();
}
