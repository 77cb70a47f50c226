// SPDX-License-Identifier: GPL-2.0
/*
 * `shakeoff lab run EXPERIMENT`: the sweep. For each defence, kind and rate
 * one step: the flood from the attacker namespace for settle + step seconds,
 * the prober from the client namespace for step seconds, the server's
 * counters sampled with each of the prober's seconds; the results folder
 * written as it goes (interface 6 of issue 10), `lab report` at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmds.h"
#include "core/log.h"
#include "core/opts.h"
#include "lab/defence.h"
#include "lab/exp.h"
#include "lab/run.h"
#include "lab/sample.h"
#include "core/jsonl.h"

#ifndef SHAKEOFF_VERSION
#define SHAKEOFF_VERSION "unknown"
#endif

#define CMD "lab run"
#define LINE_MAX_BYTES (256UL * 1024) /* the prober's summary carries its CDF */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep up to s seconds, less if a signal asks to stop. */
static void nap(double s)
{
	double end = now_s() + s;

	while (!stop_signal && now_s() < end) {
		double left = end - now_s();
		struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };

		if (left > 0.2)
			ts = (struct timespec){ 0, 200000000 };
		nanosleep(&ts, NULL);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff lab run [EXPERIMENT] [OPTIONS]\n\n"
		   "Run a SYN-flood experiment in namespaces of its own: for each defence, flood\n"
		   "kind and rate one step of flood + legitimate connections, the server's CPU,\n"
		   "SYN-ACKs and drops sampled each second. EXPERIMENT is a file of `key = value`\n"
		   "lines, the keys being the options below (the command line wins); with\n"
		   "`type = fleet` it is handed to `shakeoff lab fleet`. Writes meta.json,\n"
		   "samples.csv, steps.jsonl and cdf/ into the results folder, then runs\n"
		   "`shakeoff lab report` on it. Ctrl-C tears everything down.\n\nOptions:\n");
	optab_print(f, exp_optab);
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		buf[i] = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Lines of text after "key" ("model name\t: X") in a /proc file. */
static void proc_field(const char *path, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, strlen(key)) || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

/* `git describe` of the tree the binary was built in, else the version. */
static void commit_of(const char *self, char *out, size_t len)
{
	char cmd[PATH_MAX + 96], dir[PATH_MAX], *slash;
	FILE *p;

	snprintf(out, len, "%s", SHAKEOFF_VERSION);
	snprintf(dir, sizeof(dir), "%s", self);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(cmd, sizeof(cmd), "git -C '%s' describe --always --dirty 2>/dev/null", dir);
	p = popen(cmd, "re");
	if (!p)
		return;
	if (fgets(cmd, sizeof(cmd), p) && cmd[0] && cmd[0] != '\n') {
		cmd[strcspn(cmd, "\n")] = '\0';
		snprintf(out, len, "%.64s (%s)", cmd, SHAKEOFF_VERSION);
	}
	pclose(p);
}

static int write_meta(const struct lab_run *r)
{
	char path[PATH_MAX + 16], cpu[256], mem[64], started[64], commit[128];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f, *src;

	snprintf(path, sizeof(path), "%s/meta.json", r->out);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	gmtime_r(&now, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	proc_field("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	proc_field("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	uname(&u);
	fprintf(f, "{\"experiment\":");
	json_quote(f, r->e->name);
	fprintf(f, ",\"file\":");
	src = r->e->file[0] ? fopen(r->e->file, "re") : NULL;
	if (src) {
		static char text[1 << 20];
		size_t n = fread(text, 1, sizeof(text) - 1, src);

		text[n] = '\0';
		fclose(src);
		json_quote(f, text);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"started\":\"%s\",\"machine\":{\"cpu\":", started);
	json_quote(f, cpu);
	fprintf(f, ",\"cpus\":%d,\"mem_gib\":%.1f},\"kernel\":", r->cpus,
		strtod(mem, NULL) / (1024.0 * 1024.0));
	json_quote(f, u.release);
	fprintf(f, ",\"commit\":");
	commit_of(r->self, commit, sizeof(commit));
	json_quote(f, commit);
	fprintf(f, ",\"pinning\":{\"server_cpu\":%d,\"load_cpu\":%d,\"note\":", r->srv_cpu,
		r->load_cpu);
	json_quote(f, r->cpus >= 2 ?
			      "server processes and RPS of srv0 on server_cpu; flood and prober "
			      "on load_cpu; XDP (guard, serve) runs where the veth frame is "
			      "handled, on load_cpu" :
			      "one CPU: nothing pinned");
	fprintf(f, "},\"settings\":");
	exp_settings_json(f, r->e);
	fprintf(f, "}\n");
	fclose(f);
	return 0;
}

/* A child's stdout, read as lines. */
struct line_reader {
	int fd;
	char *buf;
	size_t len;
	bool eof;
};

/* Read what is there; each whole line to fn. */
static void lines_pump(struct line_reader *lr, void (*fn)(void *, char *), void *ctx)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (lr->len == LINE_MAX_BYTES - 1)
			lr->len = 0; /* a line this long is not one of ours */
		n = read(lr->fd, lr->buf + lr->len, LINE_MAX_BYTES - 1 - lr->len);
		if (n == 0)
			lr->eof = true;
		if (n <= 0)
			return;
		lr->len += (size_t)n;
		lr->buf[lr->len] = '\0';
		while ((nl = strchr(lr->buf, '\n'))) {
			*nl = '\0';
			fn(ctx, lr->buf);
			memmove(lr->buf, nl + 1, lr->len - (size_t)(nl + 1 - lr->buf) + 1);
			lr->len -= (size_t)(nl + 1 - lr->buf);
		}
	}
}

/* What one step collects while it runs. */
struct step_ctx {
	struct lab_run *r;
	struct exp_step st;
	FILE *csv;
	struct step_result res;
	unsigned long rows;
	double softirq_sum, process_sum;
	unsigned long long all_si0, all_tot0; /* every CPU's, at the prober's start */
	/* counters at the previous sample */
	double t_prev;
	unsigned long long si_prev, tot_prev, proc_prev, att_rx_prev, srv_tx_prev;
	bool have_summary;
	char cdf_path[PATH_MAX + 64];
	double flood_pps;
	char note[256];
};

struct counters {
	unsigned long long softirq, total, proc, att_rx, srv_tx;
};

/*
 * SYN-ACKs the server sent: the `lab count` program on the bridge's port to
 * the server counts what it receives by kind (`shakeoff lab read`), so the
 * prober's own segments are not taken for SYN-ACKs.
 */
static unsigned long long synacks_read(struct lab_run *r)
{
	const char *argv[] = { r->self, "lab", "read", TOPO_RTR_SRV_IF, "--json", NULL };
	char path[PATH_MAX + 32], line[4096];
	unsigned long long n = 0;
	double v;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/logs/synacks.json", r->out);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	topo_run(&r->topo, NS_RTR, fd, argv);
	len = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	if (len > 0) {
		line[len] = '\0';
		if (json_number(line, "synack", &v) && v > 0)
			n = (unsigned long long)v;
	}
	return n;
}

static void counters_read(struct lab_run *r, struct counters *c)
{
	unsigned long long tx;

	memset(c, 0, sizeof(*c));
	cpu_ticks(r->srv_cpu >= 0 ? r->srv_cpu : 0, &c->softirq, &c->total);
	c->proc = proc_ticks(r->server_pid) + proc_ticks(r->defence_pid);
	/* the bridge's ports: frames from the attacker, frames from the server */
	if (!topo_enter(&r->topo, NS_RTR)) {
		netdev_packets(TOPO_RTR_ATT_IF, &c->att_rx, &tx);
		topo_leave(&r->topo);
	}
	c->srv_tx = synacks_read(r);
}

static void sample_take(struct step_ctx *s, struct sample_row *row)
{
	struct counters c;
	double t = now_s(), dt = t - s->t_prev;
	double ticks = (double)sysconf(_SC_CLK_TCK);

	counters_read(s->r, &c);
	if (dt <= 0)
		dt = 1;
	if (c.total > s->tot_prev)
		row->cpu_softirq_pct =
			100.0 * (double)(c.softirq - s->si_prev) / (double)(c.total - s->tot_prev);
	row->cpu_process_pct =
		c.proc >= s->proc_prev ? 100.0 * (double)(c.proc - s->proc_prev) / ticks / dt : 0;
	row->flood_pps = (double)(c.att_rx - s->att_rx_prev) / dt;
	row->synack_pps = (double)(c.srv_tx - s->srv_tx_prev) / dt;
	s->t_prev = t;
	s->si_prev = c.softirq;
	s->tot_prev = c.total;
	s->proc_prev = c.proc;
	s->att_rx_prev = c.att_rx;
	s->srv_tx_prev = c.srv_tx;
	s->softirq_sum += row->cpu_softirq_pct;
	s->process_sum += row->cpu_process_pct;
	s->rows++;
	row->t = s->rows;
	samples_csv_row(s->csv, exp_defence_names[s->st.defence], s->st.kind, s->st.rate, row);
	fflush(s->csv);
}

static void sample_start(struct step_ctx *s)
{
	struct counters c;

	counters_read(s->r, &c);
	cpu_ticks(-1, &s->all_si0, &s->all_tot0);
	s->t_prev = now_s();
	s->si_prev = c.softirq;
	s->tot_prev = c.total;
	s->proc_prev = c.proc;
	s->att_rx_prev = c.att_rx;
	s->srv_tx_prev = c.srv_tx;
}

static unsigned long jnum(const char *line, const char *key)
{
	double v;

	return json_number(line, key, &v) && v > 0 ? (unsigned long)v : 0;
}

static double jms(const char *line, const char *key)
{
	double v;

	return json_number(line, key, &v) ? v : -1;
}

/* The prober's "cdf":[[ms,fraction],...] into the step's cdf file. */
static void cdf_write(const char *line, const char *path)
{
	const char *p = strstr(line, "\"cdf\":[");
	FILE *f;

	if (!p)
		return;
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "ms,fraction\n");
	p += strlen("\"cdf\":[");
	for (;;) {
		double ms, frac;
		char *end;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p != '[')
			break;
		ms = strtod(p + 1, &end);
		if (*end != ',')
			break;
		frac = strtod(end + 1, &end);
		if (*end != ']')
			break;
		fprintf(f, "%.3f,%.4f\n", ms, frac);
		p = end + 1;
	}
	fclose(f);
}

static void probe_line(void *ctx, char *line)
{
	struct step_ctx *s = ctx;
	int i;

	if (strstr(line, "\"event\":\"second\"")) {
		struct sample_row row = { 0 };

		row.attempted = jnum(line, "attempted");
		row.ok = jnum(line, "ok");
		for (i = 0; i < SAMPLE_FAILS; i++)
			row.failed[i] = jnum(line, sample_fail_names[i]);
		row.connect_p50_ms = jms(line, "p50") < 0 ? 0 : jms(line, "p50");
		row.connect_p99_ms = jms(line, "p99") < 0 ? 0 : jms(line, "p99");
		sample_take(s, &row);
	} else if (strstr(line, "\"event\":\"summary\"")) {
		s->have_summary = true;
		s->res.attempted = jnum(line, "attempted");
		s->res.ok = jnum(line, "ok");
		for (i = 0; i < SAMPLE_FAILS; i++)
			s->res.failed[i] = jnum(line, sample_fail_names[i]);
		s->res.p50 = jms(line, "p50");
		s->res.p90 = jms(line, "p90");
		s->res.p99 = jms(line, "p99");
		s->res.max = jms(line, "max");
		cdf_write(line, s->cdf_path);
	}
}

static void flood_line(void *ctx, char *line)
{
	struct step_ctx *s = ctx;
	double v;

	if (json_number(line, "achieved_pps", &v) || json_number(line, "pps", &v))
		s->flood_pps = v;
}

/* The server namespace's TCP drop counters (nstat names), for before/after. */
static const char *const tcp_drop_names[] = {
	"ListenDrops",		"ListenOverflows",  "TCPReqQFullDrop",
	"TCPReqQFullDoCookies", "SyncookiesFailed", "TCPBacklogDrop",
};
#define NTCP_DROPS (sizeof(tcp_drop_names) / sizeof(tcp_drop_names[0]))

static void tcp_counters(struct lab_run *r, unsigned long long *v)
{
	size_t i;

	memset(v, 0, NTCP_DROPS * sizeof(*v));
	if (topo_enter(&r->topo, NS_SRV))
		return;
	for (i = 0; i < NTCP_DROPS; i++)
		v[i] = netstat_counter(tcp_drop_names[i]);
	topo_leave(&r->topo);
}

/* guard's or serve's counters (`shakeoff stats srv0 --json`) whose name says drop */
struct named_counts {
	int n;
	char name[SAMPLE_MAX_DROPS][48];
	unsigned long long v[SAMPLE_MAX_DROPS];
};

static void stats_counters(struct lab_run *r, struct named_counts *nc)
{
	const char *argv[] = { r->self, "stats", TOPO_SRV_IF, "--json", NULL };
	char path[PATH_MAX + 32], *text = NULL, *p;
	size_t cap = 0;
	FILE *f;
	int fd;

	nc->n = 0;
	if (!r->defence_pid)
		return;
	snprintf(path, sizeof(path), "%s/logs/stats.json", r->out);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	topo_run(&r->topo, NS_SRV, fd, argv);
	close(fd);
	f = fopen(path, "re");
	if (!f)
		return;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		fclose(f);
		free(text);
		return;
	}
	fclose(f);
	for (p = text; (p = strchr(p, '"')) && nc->n < SAMPLE_MAX_DROPS;) {
		char *end = strchr(p + 1, '"'), *numend;
		unsigned long long v;

		if (!end)
			break;
		if (end[1] == ':' && end[2] >= '0' && end[2] <= '9' && (size_t)(end - p - 1) < 48 &&
		    memmem(p + 1, (size_t)(end - p - 1), "drop", 4)) {
			v = strtoull(end + 2, &numend, 10);
			snprintf(nc->name[nc->n], sizeof(nc->name[0]), "%.*s", (int)(end - p - 1),
				 p + 1);
			nc->v[nc->n++] = v;
		}
		p = end + 1;
	}
	free(text);
}

static void progress(const struct lab_run *r, const struct exp_step *st, double started,
		     unsigned long t, bool tty)
{
	double el = now_s() - started;
	double left = (double)exp_estimate_s(r->e) - el;
	int n = exp_steps(r->e);

	if (left < 0)
		left = 0;
	if (!tty && t) /* a log: one line per step */
		return;
	fprintf(stderr,
		"%sshakeoff lab run: step %d/%d %s %s %lu pps, t %lu/%lu s, elapsed %d:%02d, "
		"remaining ~%d:%02d%s",
		tty ? "\r\033[K" : "", st->index + 1, n, exp_defence_names[st->defence], st->kind,
		st->rate, t, r->e->step_s, (int)el / 60, (int)el % 60, (int)left / 60,
		(int)left % 60, tty ? "" : "\n");
}

static pid_t spawn_piped(struct lab_run *r, enum topo_ns ns, const char *const *argv,
			 const char *log, int *rfd)
{
	char path[PATH_MAX + 64];
	int p[2], lfd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	snprintf(path, sizeof(path), "%s/logs/%s.log", r->out, log);
	lfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid = topo_spawn(&r->topo, ns, r->load_cpu, p[1], lfd, argv);
	close(p[1]);
	if (lfd >= 0)
		close(lfd);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*rfd = p[0];
	return pid;
}

static int run_step(struct lab_run *r, const struct exp_step *st, FILE *csv, FILE *jsonl,
		    double started, bool tty)
{
	struct exp *e = r->e;
	char rate[24], port[16], dur[16], pdur[16], prate[16], preq[16], ptmo[16], pool[16],
		seed[24];
	const char *flood_argv[32], *probe_argv[24];
	struct line_reader probe = { -1 }, flood = { -1 };
	unsigned long long tcp0[NTCP_DROPS], tcp1[NTCP_DROPS];
	struct named_counts g0, g1;
	pid_t flood_pid = 0, probe_pid = 0;
	struct step_ctx *s;
	double t_start, deadline;
	unsigned long long srv_tx0;
	int n = 0, i, j;

	s = calloc(1, sizeof(*s));
	probe.buf = malloc(LINE_MAX_BYTES);
	flood.buf = malloc(LINE_MAX_BYTES);
	if (!s || !probe.buf || !flood.buf) {
		free(s);
		free(probe.buf);
		free(flood.buf);
		return -ENOMEM;
	}
	s->r = r;
	s->st = *st;
	s->csv = csv;
	s->res.defence = exp_defence_names[st->defence];
	s->res.kind = st->kind;
	s->res.rate = st->rate;
	s->res.p50 = s->res.p90 = s->res.p99 = s->res.max = -1;
	snprintf(s->cdf_path, sizeof(s->cdf_path), "%s/cdf/%s-%s-%lu.csv", r->out,
		 exp_defence_names[st->defence], st->kind, st->rate);

	snprintf(port, sizeof(port), "%lu", e->port);
	snprintf(rate, sizeof(rate), "%lu", st->rate);
	snprintf(dur, sizeof(dur), "%lu", e->settle_s + e->step_s + 1);
	snprintf(pdur, sizeof(pdur), "%lu", e->step_s);
	snprintf(prate, sizeof(prate), "%lu", e->probe_rate);
	snprintf(preq, sizeof(preq), "%lu", e->probe_request);
	snprintf(ptmo, sizeof(ptmo), "%lu", e->probe_timeout_s);
	snprintf(pool, sizeof(pool), "%lu", e->src_pool);
	snprintf(seed, sizeof(seed), "%lu", e->seed);

	tcp_counters(r, tcp0);
	stats_counters(r, &g0);
	{
		struct counters c;

		counters_read(r, &c);
		srv_tx0 = c.srv_tx;
	}
	t_start = now_s();
	if (st->rate) {
		const char *a[] = {
			r->self,   "flood",	 TOPO_ATT_IF, "--dst",	   topo_srv_ip(e->family),
			"--dport", port,	 "--kind",    st->kind,	   "--rate",
			rate,	   "--duration", dur,	      "--dst-mac", TOPO_SRV_MAC,
			"--json"
		};

		for (n = 0; n < (int)(sizeof(a) / sizeof(a[0])); n++)
			flood_argv[n] = a[n];
		if (e->src[0]) {
			flood_argv[n++] = "--src";
			flood_argv[n++] = e->src;
		}
		if (e->src_pool) {
			flood_argv[n++] = "--src-pool";
			flood_argv[n++] = pool;
		}
		if (e->pattern[0]) {
			flood_argv[n++] = "--pattern";
			flood_argv[n++] = e->pattern;
		}
		if (e->has_seed) {
			flood_argv[n++] = "--seed";
			flood_argv[n++] = seed;
		}
		flood_argv[n] = NULL;
		flood_pid = spawn_piped(r, NS_ATT, flood_argv, "flood", &flood.fd);
	}
	progress(r, st, started, 0, tty);
	nap((double)e->settle_s);
	if (flood_pid > 0 && waitpid(flood_pid, NULL, WNOHANG) == flood_pid) {
		snprintf(s->note, sizeof(s->note),
			 "the flood ended before the step (see logs/flood.log)");
		flood_pid = 0;
	}
	n = 0;
	probe_argv[n++] = r->self;
	probe_argv[n++] = "probe";
	probe_argv[n++] = "--dst";
	probe_argv[n++] = topo_srv_ip(e->family);
	probe_argv[n++] = "--port";
	probe_argv[n++] = port;
	probe_argv[n++] = "--rate";
	probe_argv[n++] = prate;
	probe_argv[n++] = "--duration";
	probe_argv[n++] = pdur;
	probe_argv[n++] = "--timeout";
	probe_argv[n++] = ptmo;
	if (e->server == SRV_KERNEL_HTTP && st->defence != DEF_SERVE) {
		probe_argv[n++] = "--http";
	} else {
		probe_argv[n++] = "--request";
		probe_argv[n++] = preq;
	}
	probe_argv[n++] = "--json";
	probe_argv[n] = NULL;
	if (!stop_signal) {
		sample_start(s);
		probe_pid = spawn_piped(r, NS_CLI, probe_argv, "probe", &probe.fd);
	}
	/* the prober's seconds drive the samples; its last connections may take --timeout */
	deadline = now_s() + (double)(e->step_s + e->probe_timeout_s + 3);
	while (probe_pid > 0 && !stop_signal && !probe.eof && now_s() < deadline) {
		struct pollfd pfd = { probe.fd, POLLIN, 0 };
		unsigned long before = s->rows;

		poll(&pfd, 1, 1000);
		lines_pump(&probe, probe_line, s);
		if (s->rows != before)
			progress(r, st, started, s->rows, tty);
	}
	if (probe_pid > 0)
		topo_stop(probe_pid, 200);
	/* no prober (not built in, or it failed): still one row per second */
	if (!s->rows && !s->have_summary && !stop_signal)
		snprintf(s->note, sizeof(s->note),
			 "the prober gave no figures (see logs/probe.log)");
	while (!stop_signal && s->rows < e->step_s && !s->have_summary) {
		struct sample_row row = { 0 };

		nap(1);
		sample_take(s, &row);
		progress(r, st, started, s->rows, tty);
	}
	if (flood_pid > 0) {
		double end = now_s() + 3;

		while (now_s() < end && waitpid(flood_pid, NULL, WNOHANG) != flood_pid) {
			lines_pump(&flood, flood_line, s);
			nap(0.05);
			if (stop_signal)
				break;
		}
		topo_stop(flood_pid, 500);
		lines_pump(&flood, flood_line, s);
	}
	s->res.duration_s = now_s() - t_start;
	s->res.achieved_pps = s->flood_pps;
	{
		unsigned long long si, tot;

		if (s->all_tot0 && !cpu_ticks(-1, &si, &tot) && tot > s->all_tot0)
			s->res.softirq_all_pct = 100.0 * (double)r->cpus *
						 (double)(si - s->all_si0) /
						 (double)(tot - s->all_tot0);
	}
	if (s->rows) {
		s->res.softirq_pct = s->softirq_sum / (double)s->rows;
		s->res.process_pct = s->process_sum / (double)s->rows;
	}
	tcp_counters(r, tcp1);
	stats_counters(r, &g1);
	for (i = 0; i < (int)NTCP_DROPS; i++) {
		unsigned long long d = tcp1[i] >= tcp0[i] ? tcp1[i] - tcp0[i] : 0;

		step_add_drop(&s->res, tcp_drop_names[i], d);
	}
	for (i = 0; i < g1.n; i++) {
		unsigned long long before = 0;

		for (j = 0; j < g0.n; j++)
			if (!strcmp(g0.name[j], g1.name[i]))
				before = g0.v[j];
		/* guard's and serve's many reasons: those that counted something */
		if (g1.v[i] > before)
			step_add_drop(&s->res, g1.name[i], g1.v[i] - before);
	}
	{
		struct counters c;

		/* frames out of the server's interface: its SYN-ACKs, under a SYN flood */
		counters_read(r, &c);
		s->res.synack_sent = c.srv_tx - srv_tx0;
	}
	s->res.note = s->note[0] ? s->note : NULL;
	if (!stop_signal) {
		steps_json_line(jsonl, &s->res);
		fflush(jsonl);
	}
	if (probe.fd >= 0)
		close(probe.fd);
	if (flood.fd >= 0)
		close(flood.fd);
	free(probe.buf);
	free(flood.buf);
	free(s);
	return 0;
}

/* A skipped step's line: the defence could not run here. */
static void step_skipped(FILE *jsonl, const struct exp_step *st, const char *why)
{
	struct step_result res = { 0 };

	res.defence = exp_defence_names[st->defence];
	res.kind = st->kind;
	res.rate = st->rate;
	res.p50 = res.p90 = res.p99 = res.max = -1;
	res.skipped = why;
	steps_json_line(jsonl, &res);
	fflush(jsonl);
}

/* `shakeoff lab report DIR` in a child of this very binary. */
static int report_run(const struct lab_run *r)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 1;
	if (!pid) {
		execl(r->self, r->self, "lab", "report", r->out, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		lab_warn("`shakeoff lab report %s` failed (exit %d); the raw results are "
			 "there\n",
			 r->out, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 1;
	}
	return 0;
}

/* type = fleet: `lab fleet --config=FILE` with the command line's other options. */
static int fleet_handoff(int argc, char **argv, const char *file)
{
	char cfg[PATH_MAX + 16], **fargv = calloc((size_t)argc + 2, sizeof(*fargv));
	int i, n = 0, rc;

	if (!fargv)
		return 1;
	snprintf(cfg, sizeof(cfg), "--config=%s", file);
	fargv[n++] = "fleet";
	fargv[n++] = cfg;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], file))
			fargv[n++] = argv[i];
	fargv[n] = NULL;
	optab_reset();
	rc = cmd_lab_fleet(n, fargv);
	free(fargv);
	return rc;
}

static int run_open(struct lab_run *r, FILE **csv, FILE **jsonl)
{
	char path[PATH_MAX + 32];
	int err;

	if (!r->e->out[0]) {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		snprintf(r->out, sizeof(r->out), "results/%s-%s", r->e->name, stamp);
	} else {
		snprintf(r->out, sizeof(r->out), "%s", r->e->out);
	}
	snprintf(path, sizeof(path), "%s/cdf", r->out);
	err = mkdir_p(path);
	snprintf(path, sizeof(path), "%s/logs", r->out);
	if (!err)
		err = mkdir_p(path);
	if (err) {
		lab_warn("cannot make %s: %s\n", r->out, strerror(-err));
		return -1;
	}
	/* absolute: nginx and the logs are named from other working directories */
	{
		char abs[PATH_MAX];

		if (realpath(r->out, abs))
			memcpy(r->out, abs, sizeof(r->out));
	}
	snprintf(path, sizeof(path), "%s/samples.csv", r->out);
	*csv = fopen(path, "we");
	snprintf(path, sizeof(path), "%s/steps.jsonl", r->out);
	*jsonl = fopen(path, "we");
	if (!*csv || !*jsonl) {
		lab_warn("cannot write into %s: %s\n", r->out, strerror(errno));
		return -1;
	}
	samples_csv_header(*csv);
	return 0;
}

/* What the machine lacks for this experiment, as one line; 0 if nothing. */
static int run_refuse(const struct lab_run *r)
{
	if (geteuid()) {
		lab_warn("needs root (namespaces, XDP)\n");
		return EXIT_USAGE;
	}
	if (system("command -v ip >/dev/null 2>&1")) {
		lab_warn("needs ip (iproute2)\n");
		return EXIT_USAGE;
	}
	if (r->e->server == SRV_KERNEL_HTTP && system("command -v nginx >/dev/null 2>&1")) {
		lab_warn("server kernel-http needs nginx (or server = kernel-echo)\n");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * One run per prefix: a second one would take the first's namespaces down
 * as leftovers. The lock goes with the process, also when it is killed.
 */
static int run_lock(const char *prefix)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/run/lock/shakeoff-lab-%s.lock", prefix);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/shakeoff-lab-%s.lock", prefix);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		lab_warn("cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		lab_warn("another lab run uses prefix %s (%s); give --prefix\n", prefix, path);
		close(fd);
		return 1;
	}
	return 0; /* fd stays open until exit */
}

int cmd_lab_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct lab_run r = { 0 };
	const char *experiment;
	FILE *csv = NULL, *jsonl = NULL;
	int err, i, cur = -1, rc = 0;
	bool cur_ok = false, tty = isatty(2);
	char why[512] = "";
	double started;
	struct exp e;
	ssize_t n;

	err = exp_load(argc, argv, &e, &experiment);
	if (err == -1) {
		usage(stdout);
		return 0;
	}
	if (err)
		return err;
	if (e.fleet)
		return fleet_handoff(argc, argv, e.file);
	r.e = &e;
	r.cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	r.srv_cpu = r.cpus >= 2 ? 1 : -1;
	r.load_cpu = r.cpus >= 2 ? 0 : -1;
	n = readlink("/proc/self/exe", r.self, sizeof(r.self) - 1);
	if (n <= 0) {
		lab_warn("cannot find its own binary: %s\n", strerror(errno));
		return 1;
	}
	r.self[n] = '\0';
	err = run_refuse(&r);
	if (err)
		return err;
	err = run_lock(e.prefix);
	if (err)
		return err;
	if (run_open(&r, &csv, &jsonl))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	topo_names(&r.topo, e.prefix);
	pr_info("lab run: %s: %d steps, about %lu s, results in %s\n", e.name, exp_steps(&e),
		exp_estimate_s(&e), r.out);
	started = now_s();
	if (topo_up(&r.topo, r.self, r.cpus) || write_meta(&r) || lab_server_start(&r)) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < exp_steps(&e) && !stop_signal; i++) {
		struct exp_step st;

		exp_step(&e, i, &st);
		if (st.defence != cur) {
			if (cur >= 0 && cur_ok)
				defence_stop(&r, cur);
			/*
			 * A fresh listener for each defence: the last one's flood left
			 * half-open requests whose SYN-ACK retransmissions would count here.
			 */
			if (cur >= 0 && r.server_pid) {
				lab_server_stop(&r);
				if (lab_server_start(&r)) {
					rc = 1;
					goto out;
				}
			}
			cur = st.defence;
			cur_ok = !defence_start(&r, cur, why, sizeof(why));
			if (!cur_ok)
				lab_warn("%s%s skipped: %s\n", tty ? "\r\033[K" : "",
					 exp_defence_names[cur], why);
		}
		if (!cur_ok) {
			step_skipped(jsonl, &st, why);
			continue;
		}
		run_step(&r, &st, csv, jsonl, started, tty);
	}
	if (cur >= 0 && cur_ok)
		defence_stop(&r, cur);
out:
	if (tty)
		fputc('\n', stderr);
	lab_server_stop(&r);
	topo_down(&r.topo);
	if (csv)
		fclose(csv);
	if (jsonl)
		fclose(jsonl);
	if (stop_signal) {
		lab_warn("stopped by signal %d; torn down; partial results in %s\n",
			 (int)stop_signal, r.out);
		return 1;
	}
	if (rc)
		return rc;
	pr_info("lab run: %d steps in %.0f s, results in %s\n", exp_steps(&e), now_s() - started,
		r.out);
	if (!e.no_report)
		report_run(&r);
	return 0;
}
