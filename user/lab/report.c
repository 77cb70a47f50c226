// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a results folder of `shakeoff lab run` (interface 6): meta.json and
 * steps.jsonl must be there, samples.csv too; a step's cdf/ file may be
 * missing (the step is then left out of the CDF plot). The first bad line
 * stops the read and is named as FILE:LINE.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/report.h"

#define REP_MAX_FILE (256u << 20) /* a results folder of a long sweep is a few MB */

static const char *const canon_defences[] = {
	"none", "syncookies-1", "syncookies-2", "synproxy", "guard-always", "guard-auto", "serve",
};

static __attribute__((format(printf, 3, 4))) int rep_err(const char *file, unsigned int line,
							 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		fprintf(stderr, "shakeoff lab report: %s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "shakeoff lab report: %s: %s\n", file, msg);
	return 1;
}

/* The whole of path, NUL-terminated; NULL after one line. */
/* End the line at p at its newline (and a CR before it): where the newline was, NULL on the last line. */
static char *line_cut(char *p)
{
	char *nl = strchr(p, '\n');

	if (nl) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
	}
	return nl;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	FILE *f;
	size_t n;

	f = fopen(path, "r");
	if (!f) {
		rep_err(path, 0, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > REP_MAX_FILE) {
		rep_err(path, 0, "not a regular file of at most %u MiB", REP_MAX_FILE >> 20);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rep_err(path, 0, "out of memory");
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		rep_err(path, 0, "binary data (a NUL byte)");
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static bool same_rate(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(a));
}

static void add_name(const char ***list, size_t *n, const char *name)
{
	const char **l;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], name))
			return;
	l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return;
	l[(*n)++] = name;
	*list = l;
}

/* A member that must be a number (null allowed when nullable: NaN). */
static int need_num(const struct json_val *o, const char *key, bool nullable, double *out,
		    const char *file, unsigned int line)
{
	const struct json_val *v = json_get(o, key);

	if (v && v->type == JSON_NUM) {
		*out = v->num;
		return 0;
	}
	if (nullable && (!v || v->type == JSON_NULL)) {
		*out = NAN;
		return 0;
	}
	return rep_err(file, line, v ? "\"%s\" is not a number" : "no \"%s\"", key);
}

static int step_from(struct rep_step *s, const struct json_val *o, const char *file,
		     unsigned int line)
{
	const struct json_val *cm, *cpu;

	if (o->type != JSON_OBJ)
		return rep_err(file, line, "not a JSON object");
	s->raw = o;
	s->defence = json_str(json_get(o, "defence"));
	s->kind = json_str(json_get(o, "kind"));
	s->skipped = json_str(json_get(o, "skipped"));
	if (!s->defence || !*s->defence)
		return rep_err(file, line, "no \"defence\" string");
	if (!s->kind || !*s->kind)
		return rep_err(file, line, "no \"kind\" string");
	if (need_num(o, "rate", false, &s->rate, file, line) ||
	    need_num(o, "attempted", false, &s->attempted, file, line) ||
	    need_num(o, "ok", false, &s->ok, file, line) ||
	    need_num(o, "success", true, &s->success, file, line) ||
	    need_num(o, "achieved_pps", true, &s->achieved_pps, file, line) ||
	    need_num(o, "duration_s", true, &s->duration_s, file, line) ||
	    need_num(o, "synack_sent", true, &s->synack_sent, file, line))
		return 1;
	if (s->rate < 0 || s->attempted < 0 || s->ok < 0 || s->ok > s->attempted)
		return rep_err(file, line, "rate, attempted or ok out of range");
	if (isnan(s->success))
		s->success = s->attempted > 0 ? s->ok / s->attempted : NAN;
	cm = json_get(o, "connect_ms");
	if (cm && cm->type != JSON_OBJ && cm->type != JSON_NULL)
		return rep_err(file, line, "\"connect_ms\" is not an object");
	if (need_num(cm, "p50", true, &s->p50, file, line) ||
	    need_num(cm, "p90", true, &s->p90, file, line) ||
	    need_num(cm, "p99", true, &s->p99, file, line) ||
	    need_num(cm, "max", true, &s->max, file, line))
		return 1;
	cpu = json_get(o, "cpu");
	if (cpu && cpu->type != JSON_OBJ && cpu->type != JSON_NULL)
		return rep_err(file, line, "\"cpu\" is not an object");
	if (need_num(cpu, "softirq_pct", true, &s->softirq_pct, file, line) ||
	    need_num(cpu, "process_pct", true, &s->process_pct, file, line))
		return 1;
	s->sample_p99_max = NAN;
	return 0;
}

static int load_meta(struct report *r)
{
	char path[4200], err[64];
	size_t len, col;
	char *text;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/meta.json", r->dir);
	text = slurp(path, &len);
	if (!text)
		return 1;
	if (json_parse(text, len, &r->meta, err, sizeof(err), &col))
		rc = rep_err(path, 0, "bad JSON at byte %zu: %s", col, err);
	else if (r->meta.type != JSON_OBJ)
		rc = rep_err(path, 0, "not a JSON object");
	free(text);
	return rc;
}

static int load_steps(struct report *r)
{
	char path[4200], err[64], *text, *p, *nl;
	unsigned int line = 0, *lno = NULL;
	size_t len, col, cap = 0, i;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/steps.jsonl", r->dir);
	text = slurp(path, &len);
	if (!text)
		return 1;
	/* At most one step per line: room for all, so lines never moves. */
	for (p = text; *p; p++)
		cap += *p == '\n';
	cap++;
	r->lines = calloc(cap, sizeof(*r->lines));
	r->steps = calloc(cap, sizeof(*r->steps));
	lno = calloc(cap, sizeof(*lno));
	if (!r->lines || !r->steps || !lno)
		rc = rep_err(path, 0, "out of memory");
	for (p = text; !rc && *p && r->nsteps < cap; p = nl ? nl + 1 : p + strlen(p)) {
		nl = line_cut(p);
		line++;
		if (!p[strspn(p, " \t\r")])
			continue;
		lno[r->nsteps] = line;
		if (json_parse(p, strlen(p), &r->lines[r->nsteps], err, sizeof(err), &col)) {
			rc = rep_err(path, line, "bad JSON at column %zu: %s", col, err);
			break;
		}
		r->nsteps++;
	}
	free(text);
	if (!rc && !r->nsteps)
		rc = rep_err(path, 0, "no steps");
	for (i = 0; !rc && i < r->nsteps; i++)
		rc = step_from(&r->steps[i], &r->lines[i], path, lno[i]);
	free(lno);
	return rc;
}

/* One CSV field [s, e) as a number; empty is NaN. */
static int csv_num(const char *s, const char *e, double *out)
{
	char buf[64], *end;

	if (s == e) {
		*out = NAN;
		return 0;
	}
	if ((size_t)(e - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return end == buf + (e - s) && !errno ? 0 : -1;
}

enum { C_DEF, C_KIND, C_RATE, C_P99, C_FLOOD, C_SYNACK, C__N };
static const char *const csv_need[C__N] = {
	"defence", "kind", "rate", "connect_p99_ms", "flood_pps", "synack_pps",
};
/* The interface's other columns, checked to be numbers. */
static const char *const csv_nums[] = {
	"t",
	"attempted",
	"ok",
	"timeout",
	"rst",
	"refused",
	"short",
	"other",
	"connect_p50_ms",
	"cpu_softirq_pct",
	"cpu_process_pct",
};

#define CSV_MAX_COLS 64

static int csv_split(char *line, const char *f[CSV_MAX_COLS + 1], const char *e[CSV_MAX_COLS + 1])
{
	int n = 0;
	char *p = line;

	for (;;) {
		if (n == CSV_MAX_COLS + 1)
			return -1;
		f[n] = p;
		p += strcspn(p, ",");
		e[n++] = p;
		if (!*p)
			return n;
		p++;
	}
}

static int load_samples(struct report *r)
{
	const char *f[CSV_MAX_COLS + 1], *e[CSV_MAX_COLS + 1];
	int col[C__N] = { 0 }, numcol[sizeof(csv_nums) / sizeof(csv_nums[0])] = { 0 };
	char path[4200], name[64], *text, *p, *nl;
	unsigned int line = 0;
	int n, ncols = 0, i, j;
	size_t len, k;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/samples.csv", r->dir);
	text = slurp(path, &len);
	if (!text)
		return 1;
	for (p = text; *p && !rc; p = nl ? nl + 1 : p + strlen(p)) {
		nl = line_cut(p);
		line++;
		n = csv_split(p, f, e);
		if (n < 0) {
			rc = rep_err(path, line, "more than %d columns", CSV_MAX_COLS);
			break;
		}
		if (line == 1) {
			ncols = n;
			for (i = 0; i < C__N + (int)(sizeof(csv_nums) / sizeof(csv_nums[0])); i++) {
				const char *want = i < C__N ? csv_need[i] : csv_nums[i - C__N];
				int *slot = i < C__N ? &col[i] : &numcol[i - C__N];

				*slot = -1;
				for (j = 0; j < n; j++)
					if ((size_t)(e[j] - f[j]) == strlen(want) &&
					    !memcmp(f[j], want, strlen(want)))
						*slot = j;
				if (*slot < 0) {
					rc = rep_err(path, line, "no column \"%s\"", want);
					break;
				}
			}
			continue;
		}
		if (n == 1 && f[0] == e[0])
			continue; /* an empty line */
		if (n != ncols) {
			rc = rep_err(path, line, "%d fields, the header has %d", n, ncols);
			break;
		}
		{
			double rate, p99, flood, synack, x;
			struct rep_step *s = NULL;

			if (csv_num(f[col[C_RATE]], e[col[C_RATE]], &rate) || isnan(rate) ||
			    csv_num(f[col[C_P99]], e[col[C_P99]], &p99) ||
			    csv_num(f[col[C_FLOOD]], e[col[C_FLOOD]], &flood) ||
			    csv_num(f[col[C_SYNACK]], e[col[C_SYNACK]], &synack)) {
				rc = rep_err(path, line, "a number field is not a number");
				break;
			}
			for (k = 0; k < sizeof(numcol) / sizeof(numcol[0]); k++)
				if (csv_num(f[numcol[k]], e[numcol[k]], &x)) {
					rc = rep_err(path, line, "\"%s\" is not a number",
						     csv_nums[k]);
					break;
				}
			if (rc)
				break;
			for (k = 0; k < r->nsteps; k++) {
				struct rep_step *c = &r->steps[k];

				snprintf(name, sizeof(name), "%.*s",
					 (int)(e[col[C_DEF]] - f[col[C_DEF]]), f[col[C_DEF]]);
				if (strcmp(c->defence, name))
					continue;
				snprintf(name, sizeof(name), "%.*s",
					 (int)(e[col[C_KIND]] - f[col[C_KIND]]), f[col[C_KIND]]);
				if (!strcmp(c->kind, name) && same_rate(c->rate, rate))
					s = c;
			}
			/* A second of a step that steps.jsonl does not have (a run cut short): not ours to show. */
			if (!s)
				continue;
			s->samples++;
			if (p99 >= 0 && (isnan(s->sample_p99_max) || p99 > s->sample_p99_max))
				s->sample_p99_max = p99;
			if (!isnan(flood))
				s->sample_flood_pps_sum += flood;
			if (!isnan(synack))
				s->sample_synack_pps_sum += synack;
		}
	}
	if (!rc && line == 0)
		rc = rep_err(path, 0, "empty (no header)");
	free(text);
	return rc;
}

/* cdf/DEFENCE-KIND-RATE.csv: `ms,fraction` lines, an optional header first. */
static int load_cdf(struct rep_step *s, const char *path)
{
	char *text, *p, *nl, *comma;
	unsigned int line = 0;
	size_t len, cap = 0;
	double ms, fr;
	int rc = 0;

	text = slurp(path, &len);
	if (!text)
		return 1;
	for (p = text; *p && !rc; p = nl ? nl + 1 : p + strlen(p)) {
		nl = line_cut(p);
		line++;
		if (!*p || (line == 1 && !strcmp(p, "ms,fraction")))
			continue;
		comma = strchr(p, ',');
		if (!comma || csv_num(p, comma, &ms) ||
		    csv_num(comma + 1, comma + strlen(comma), &fr) || isnan(ms) || isnan(fr) ||
		    fr < 0 || fr > 1 || ms < 0) {
			rc = rep_err(path, line, "not `ms,fraction` (fraction 0-1)");
			break;
		}
		if (s->cdf_n == cap) {
			double *d = realloc(s->cdf, (cap ? cap * 2 : 64) * 2 * sizeof(*d));

			if (!d) {
				rc = rep_err(path, line, "out of memory");
				break;
			}
			s->cdf = d;
			cap = cap ? cap * 2 : 64;
		}
		s->cdf[2 * s->cdf_n] = ms;
		s->cdf[2 * s->cdf_n + 1] = fr;
		s->cdf_n++;
	}
	free(text);
	return rc;
}

static int load_cdfs(struct report *r)
{
	char path[4200], name[512];
	struct dirent *de;
	char *dash, *end;
	double rate;
	size_t k;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/cdf", r->dir);
	d = opendir(path);
	if (!d)
		return 0; /* no CDFs: no CDF plot */
	while (!rc && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || n >= sizeof(name) || strcmp(de->d_name + n - 4, ".csv"))
			continue;
		/* DEFENCE may hold '-' (guard-auto), KIND and RATE do not: split from the right. */
		memcpy(name, de->d_name, n - 4);
		name[n - 4] = '\0';
		dash = strrchr(name, '-');
		if (!dash)
			continue;
		*dash = '\0';
		rate = strtod(dash + 1, &end);
		if (end == dash + 1 || *end)
			continue;
		dash = strrchr(name, '-');
		if (!dash)
			continue;
		*dash = '\0';
		for (k = 0; k < r->nsteps; k++) {
			struct rep_step *s = &r->steps[k];

			if (!strcmp(s->defence, name) && !strcmp(s->kind, dash + 1) &&
			    same_rate(s->rate, rate) && !s->cdf_n) {
				snprintf(path, sizeof(path), "%s/cdf/%s", r->dir, de->d_name);
				rc = load_cdf(s, path);
				break;
			}
		}
	}
	closedir(d);
	return rc;
}

int report_load(struct report *r, const char *dir)
{
	struct stat st;
	size_t i, j;

	memset(r, 0, sizeof(*r));
	if (strlen(dir) >= sizeof(r->dir) - 64)
		return rep_err(dir, 0, "path too long");
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	if (stat(dir, &st))
		return rep_err(dir, 0, "%s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rep_err(dir, 0, "not a directory");
	if (load_meta(r) || load_steps(r) || load_samples(r) || load_cdfs(r))
		return 1;
	for (j = 0; j < sizeof(canon_defences) / sizeof(canon_defences[0]); j++)
		for (i = 0; i < r->nsteps; i++)
			if (!strcmp(r->steps[i].defence, canon_defences[j]))
				add_name(&r->defences, &r->ndefences, canon_defences[j]);
	for (i = 0; i < r->nsteps; i++) {
		add_name(&r->defences, &r->ndefences, r->steps[i].defence);
		add_name(&r->kinds, &r->nkinds, r->steps[i].kind);
	}
	return 0;
}

void report_free(struct report *r)
{
	size_t i;

	for (i = 0; r->steps && i < r->nsteps; i++)
		free(r->steps[i].cdf);
	for (i = 0; r->lines && i < r->nsteps; i++)
		json_free(&r->lines[i]);
	free(r->steps);
	free(r->lines);
	free(r->defences);
	free(r->kinds);
	json_free(&r->meta);
	memset(r, 0, sizeof(*r));
}

const struct rep_step *report_find(const struct report *r, const char *defence, const char *kind,
				   double rate)
{
	const struct rep_step *found = NULL;
	size_t i;

	/* A step run twice: the later one counts. */
	for (i = 0; i < r->nsteps; i++)
		if (!strcmp(r->steps[i].defence, defence) && !strcmp(r->steps[i].kind, kind) &&
		    same_rate(r->steps[i].rate, rate))
			found = &r->steps[i];
	return found;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

size_t report_rates(const struct report *r, const char *kind, double **out)
{
	size_t i, j, n = 0;
	double *rates = malloc((r->nsteps + 1) * sizeof(*rates));

	*out = rates;
	if (!rates)
		return 0;
	for (i = 0; i < r->nsteps; i++) {
		if (strcmp(r->steps[i].kind, kind))
			continue;
		for (j = 0; j < n && !same_rate(rates[j], r->steps[i].rate); j++)
			;
		if (j == n)
			rates[n++] = r->steps[i].rate;
	}
	qsort(rates, n, sizeof(*rates), cmp_double);
	return n;
}

double report_max_rate(const struct report *r, const char *kind)
{
	double m = -1;
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (!strcmp(r->steps[i].kind, kind) && r->steps[i].rate > m)
			m = r->steps[i].rate;
	return m;
}
