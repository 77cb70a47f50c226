// SPDX-License-Identifier: GPL-2.0
/*
 * The plots of a results folder: gnuplot data files (one per kind and
 * defence, one per CDF) and one script, plots/plot.gp, written so that a user
 * can edit and re-run it (`cd DIR/plots && gnuplot plot.gp`); then gnuplot
 * run on it as a child with a deadline, its messages kept in plots/gnuplot.log.
 * A line only goes into a plot when it has a point there, and a plot only
 * when it has a line: gnuplot stops the whole script at an empty plot.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lab/report.h"

#define GNUPLOT_TIMEOUT_S 60

/* Columns of KIND-DEFENCE.dat, 1-based as gnuplot counts them. */
enum { COL_RATE = 1, COL_SUCCESS, COL_P99, COL_SOFTIRQ, COL_PROCESS, COL_CPU, COL_SYNACK };

/* A name from the results as a file name part: nothing but [A-Za-z0-9._-]. */
static void safe_name(char *out, size_t len, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z') ||
					 (in[i] >= '0' && in[i] <= '9') || in[i] == '.' ||
					 in[i] == '-' ?
				 in[i] :
				 '_';
	out[i] = '\0';
}

/* A gnuplot single-quoted string: a quote is written twice, nothing else is special. */
static void gp_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('\'', f);
}

static double step_col(const struct rep_step *s, int col)
{
	if (s->skipped && col != COL_RATE)
		return NAN;
	switch (col) {
	case COL_SUCCESS:
		return 100.0 * s->success;
	case COL_P99:
		return s->p99;
	case COL_SOFTIRQ:
		return s->softirq_pct;
	case COL_PROCESS:
		return s->process_pct;
	case COL_CPU:
		if (isnan(s->softirq_pct) && isnan(s->process_pct))
			return NAN;
		return (isnan(s->softirq_pct) ? 0 : s->softirq_pct) +
		       (isnan(s->process_pct) ? 0 : s->process_pct);
	case COL_SYNACK:
		return s->synack_sent;
	default:
		return s->rate;
	}
}

static void dat_num(FILE *f, double d, bool first)
{
	if (!first)
		fputc(' ', f);
	if (isnan(d) || isinf(d))
		fputs("NaN", f);
	else
		fprintf(f, "%.15g", d);
}

static int write_dat(const char *path, const struct report *r, const char *kind, const char *def,
		     const double *rates, size_t nr)
{
	FILE *f = fopen(path, "w");
	size_t i;
	int c, bad;

	if (!f) {
		fprintf(stderr, "shakeoff lab report: Failed to create %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	fprintf(f,
		"# %s flood, defence %s\n"
		"# rate success_pct connect_p99_ms cpu_softirq_pct cpu_process_pct cpu_pct "
		"synack_sent\n",
		kind, def);
	for (i = 0; i < nr; i++) {
		const struct rep_step *s = report_find(r, def, kind, rates[i]);

		if (!s)
			continue;
		for (c = COL_RATE; c <= COL_SYNACK; c++)
			dat_num(f, step_col(s, c), c == COL_RATE);
		fputc('\n', f);
	}
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "shakeoff lab report: Failed to write %s\n", path);
		return 1;
	}
	return 0;
}

static bool has_point(const struct report *r, const char *def, const char *kind, int col)
{
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (!strcmp(r->steps[i].defence, def) && !strcmp(r->steps[i].kind, kind) &&
		    isfinite(step_col(&r->steps[i], col)))
			return true;
	return false;
}

static void add_made(struct report_plots *made, const char *name)
{
	if (made->n < sizeof(made->names) / sizeof(made->names[0]))
		snprintf(made->names[made->n++], sizeof(made->names[0]), "%s", name);
}

struct plot_spec {
	const char *base, *title, *ylabel, *yrange;
	int col;
};

static const struct plot_spec specs[] = {
	{ "success", "legitimate connections that succeeded", "success (%)", "[0:105]",
	  COL_SUCCESS },
	{ "p99", "legitimate connect time, 99th percentile", "connect p99 (ms)", "[0:*]", COL_P99 },
	{ "cpu", "server CPU, softirq + process", "CPU (% of one core)", "[0:*]", COL_CPU },
};

/* One plot against the flood rate: a line per defence with a point in column p->col. */
static void gp_rate_plot(FILE *gp, const struct report *r, const char *kind, const char *sfx,
			 const struct plot_spec *p, struct report_plots *made)
{
	char png[96], title[160], sk[48], sd[48];
	bool first = true;
	size_t j;

	safe_name(sk, sizeof(sk), kind);
	for (j = 0; j < r->ndefences; j++) {
		if (!has_point(r, r->defences[j], kind, p->col))
			continue;
		if (first) {
			snprintf(png, sizeof(png), "%s%s.png", p->base, sfx);
			snprintf(title, sizeof(title), "%s (%s flood)", p->title, kind);
			fprintf(gp, "\nset output '%s'\nset title ", png);
			gp_quote(gp, title);
			fprintf(gp,
				"\nset xlabel 'flood rate asked (packets/s)'\nset ylabel '%s'\n"
				"set yrange %s\nunset logscale x\nplot",
				p->ylabel, p->yrange);
			add_made(made, png);
		}
		safe_name(sd, sizeof(sd), r->defences[j]);
		fprintf(gp, "%s '%s-%s.dat' using %d:%d with linespoints title ",
			first ? "" : ", \\\n    ", sk, sd, COL_RATE, p->col);
		gp_quote(gp, r->defences[j]);
		first = false;
	}
	if (!first)
		fputc('\n', gp);
}

static int write_cdf(const char *path, const struct rep_step *s)
{
	FILE *f = fopen(path, "w");
	size_t i;
	int bad;

	if (!f) {
		fprintf(stderr, "shakeoff lab report: Failed to create %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	fprintf(f, "# connect-time CDF, %s flood at %.15g pps, defence %s\n# ms fraction\n",
		s->kind, s->rate, s->defence);
	for (i = 0; i < s->cdf_n; i++)
		if (s->cdf[2 * i] > 0) /* the x axis is logarithmic */
			fprintf(f, "%.15g %.15g\n", s->cdf[2 * i], s->cdf[2 * i + 1]);
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "shakeoff lab report: Failed to write %s\n", path);
		return 1;
	}
	return 0;
}

/* The connect-time CDF of every defence at kind's highest rate, into png. */
static int gp_cdf_plot(FILE *gp, const struct report *r, const char *kind, const char *png,
		       struct report_plots *made)
{
	double top = report_max_rate(r, kind);
	char path[4300], title[160], sk[48], sd[48];
	bool first = true;
	size_t j, i;

	safe_name(sk, sizeof(sk), kind);
	for (j = 0; j < r->ndefences; j++) {
		const struct rep_step *s = report_find(r, r->defences[j], kind, top);
		bool point = false;

		for (i = 0; s && i < s->cdf_n; i++)
			point |= s->cdf[2 * i] > 0;
		if (!point)
			continue;
		safe_name(sd, sizeof(sd), r->defences[j]);
		snprintf(path, sizeof(path), "%s/plots/cdf-%s-%s.dat", r->dir, sk, sd);
		if (write_cdf(path, s))
			return 1;
		if (first) {
			snprintf(title, sizeof(title),
				 "legitimate connect time, CDF (%s flood at %.15g pps)", kind, top);
			fprintf(gp, "\nset output '%s'\nset title ", png);
			gp_quote(gp, title);
			fputs("\nset xlabel 'connect time (ms)'\nset ylabel 'fraction of connections'\n"
			      "set yrange [0:1.02]\nset logscale x\nplot",
			      gp);
			add_made(made, png);
		}
		fprintf(gp, "%s 'cdf-%s-%s.dat' using 1:2 with steps title ",
			first ? "" : ", \\\n    ", sk, sd);
		gp_quote(gp, r->defences[j]);
		first = false;
	}
	if (!first)
		fputc('\n', gp);
	return 0;
}

static int write_script(const struct report *r, struct report_plots *made)
{
	char path[4300], sk[48], sd[48], sfx[64], png[96];
	double *rates;
	size_t k, j, nr;
	FILE *gp;
	int bad;

	snprintf(path, sizeof(path), "%s/plots", r->dir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "shakeoff lab report: Failed to create %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	for (k = 0; k < r->nkinds; k++) {
		nr = report_rates(r, r->kinds[k], &rates);
		safe_name(sk, sizeof(sk), r->kinds[k]);
		for (j = 0; j < r->ndefences; j++) {
			safe_name(sd, sizeof(sd), r->defences[j]);
			snprintf(path, sizeof(path), "%s/plots/%s-%s.dat", r->dir, sk, sd);
			if (write_dat(path, r, r->kinds[k], r->defences[j], rates, nr)) {
				free(rates);
				return 1;
			}
		}
		free(rates);
	}
	snprintf(path, sizeof(path), "%s/plots/plot.gp", r->dir);
	gp = fopen(path, "w");
	if (!gp) {
		fprintf(stderr, "shakeoff lab report: Failed to create %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	fputs("# Written by `shakeoff lab report`; re-plot with: cd THIS_DIR && gnuplot plot.gp\n"
	      "# Data: KIND-DEFENCE.dat (columns: rate success_pct connect_p99_ms cpu_softirq_pct\n"
	      "# cpu_process_pct cpu_pct synack_sent), cdf-KIND-DEFENCE.dat (ms fraction).\n"
	      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
	      "    set terminal pngcairo size 960,600 noenhanced\n"
	      "} else {\n"
	      "    set terminal png size 960,600 noenhanced\n"
	      "}\n"
	      "set grid\nset key outside right top\nset pointsize 1.2\n"
	      "# points at the ends of the rate axis stay clear of the border\n"
	      "set autoscale xfix\nset offsets graph 0.03, graph 0.03, graph 0.05, 0\n",
	      gp);
	for (k = 0; k < r->nkinds; k++) {
		if (r->nkinds > 1)
			snprintf(sfx, sizeof(sfx), "-%.40s", r->kinds[k]);
		else
			sfx[0] = '\0';
		safe_name(sk, sizeof(sk), sfx);
		for (j = 0; j < sizeof(specs) / sizeof(specs[0]); j++)
			gp_rate_plot(gp, r, r->kinds[k], sk, &specs[j], made);
	}
	/* cdf.png for the first kind; with several kinds also one per kind. */
	for (k = 0; r->nkinds && k < (r->nkinds > 1 ? r->nkinds + 1 : 1); k++) {
		if (k == 0) {
			snprintf(png, sizeof(png), "cdf.png");
		} else {
			safe_name(sk, sizeof(sk), r->kinds[k - 1]);
			snprintf(png, sizeof(png), "cdf-%s.png", sk);
		}
		if (gp_cdf_plot(gp, r, r->kinds[k ? k - 1 : 0], png, made)) {
			fclose(gp);
			return 1;
		}
	}
	fputs("\nunset output\n", gp);
	bad = ferror(gp);
	if (fclose(gp) || bad) {
		fprintf(stderr, "shakeoff lab report: Failed to write %s\n", path);
		return 1;
	}
	return 0;
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[4200];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), e == p ? "." : p, prog);
		if (e == p)
			snprintf(buf, sizeof(buf), "./%s", prog);
		if (!access(buf, X_OK))
			return true;
	}
	return false;
}

/* gnuplot plot.gp in DIR/plots; 0, or 1 after one line. */
static int run_gnuplot(const struct report *r, int timeout_s)
{
	struct timespec nap = { 0, 20000000L };
	char dir[4300], log[4400];
	int status, fd, waited_ms = 0;
	pid_t pid, w;

	snprintf(dir, sizeof(dir), "%s/plots", r->dir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "shakeoff lab report: Failed to fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(dir))
			_exit(126);
		execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "shakeoff lab report: Failed to wait for gnuplot: %s\n",
				strerror(errno));
			return 1;
		}
		if (waited_ms >= timeout_s * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr,
				"shakeoff lab report: gnuplot did not finish in %d s, killed (see %s)\n",
				timeout_s, log);
			return 1;
		}
		nanosleep(&nap, NULL);
		waited_ms += 20;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "shakeoff lab report: gnuplot failed (%s %d), see %s\n",
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
		return 1;
	}
	return 0;
}

int report_plot(const struct report *r, int timeout_s, struct report_plots *made)
{
	char path[4400];
	struct stat st;
	size_t i;

	memset(made, 0, sizeof(*made));
	if (write_script(r, made))
		return 1;
	if (!on_path("gnuplot")) {
		fprintf(stderr,
			"shakeoff lab report: gnuplot is not installed (apt-get install gnuplot-nox): "
			"no plots, tables written; data and script in %s/plots\n",
			r->dir);
		made->n = 0;
		return -1;
	}
	/* Old plots would pass for new ones. */
	for (i = 0; i < made->n; i++) {
		snprintf(path, sizeof(path), "%s/plots/%s", r->dir, made->names[i]);
		remove(path);
	}
	if (run_gnuplot(r, timeout_s > 0 ? timeout_s : GNUPLOT_TIMEOUT_S))
		return 1;
	for (i = 0; i < made->n; i++) {
		snprintf(path, sizeof(path), "%s/plots/%s", r->dir, made->names[i]);
		if (stat(path, &st) || st.st_size == 0) {
			fprintf(stderr,
				"shakeoff lab report: gnuplot made no %s (see %s/plots/gnuplot.log)\n",
				path, r->dir);
			return 1;
		}
	}
	return 0;
}
