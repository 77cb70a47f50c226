// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff lab scenario: a textbook TCP case played for real. A namespace
 * pair of its own, a real server (the kernel's, shakeoff serve, or guard in
 * front of the kernel), `shakeoff trace` on the server's interface drawing
 * the ladder, and the scenario engine's scripted client (lab/scenarios/,
 * the one the conformance suite plays) speaking from the client side; then
 * the case's notes and the checks that say it went as the textbook tells.
 * The engine knows the cases; this file only builds, runs and tears down.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cmd/optab.h"
#include "core/opts.h"
#include "lab/scenario.h"

#define SC_CMD "lab scenario"
#define SC_PY "/usr/bin/python3"
/* Fixed MACs: the server's neighbour entry and the client's frames need them. */
#define SC_CLI_MAC "02:53:43:00:00:01"
#define SC_SRV_MAC "02:53:43:00:00:02"
#define SC_CLI_CIDR "10.99.0.1/24"
#define SC_SRV_IP4 "10.99.0.2"
#define SC_SRV_CIDR "10.99.0.2/24"
/* The scripted client's address: on the link, owned by nobody, so the client
 * kernel never answers the server with a RST of its own (lab/scenarios/README.md). */
#define SC_SPARE4 "10.99.0.11"
#define SC_ECHO_PORT "7"
#define SC_CLOSE_PORT "13"
#define SC_PORTS "7,13" /* guard protects both */
#define SC_START_MS 10000 /* a server or guard that is not up by then failed */
#define SC_TRACE_SETTLE_MS 5000 /* the trace's programs attached before the first SYN */
#define SC_TRACE_DRAIN_MS 300 /* the last events reach the trace before it stops */
#define SC_STOP_MS 3000 /* SIGTERM, then SIGKILL */

static volatile sig_atomic_t sc_stop;

struct sc_run {
	char exe[PATH_MAX]; /* this binary, for serve, guard, trace, lab attach */
	char dir[PATH_MAX]; /* the engine's directory */
	char ns_c[32], ns_s[32];
	bool ns_made;
	pid_t server, guard, trace;
	const char *kind; /* kernel, serve, guard */
	const char *app; /* echo, closefirst */
	const char *port;
	bool json;
};

static const struct optab scenario_optab[] = {
	{ "server", 's', "kernel|serve|guard",
	  "the server: the kernel's (default), shakeoff serve, or guard in front\nof the kernel" },
	{ "json", 'j', NULL, "shakeoff trace's JSON lines, then one line of notes and checks" },
	OPTAB_HELP,
};

void lab_scenario_usage(FILE *f)
{
	fprintf(f,
		"       shakeoff lab scenario list|run NAME [--server kernel|serve|guard] [--json]\n");
}

void lab_scenario_options(FILE *f)
{
	fprintf(f, "\nScenario options (the cases: shakeoff lab scenario list):\n");
	optab_print(f, scenario_optab);
}

static void scenario_help(FILE *f)
{
	fprintf(f, "Usage: shakeoff lab scenario list\n"
		   "       shakeoff lab scenario run NAME [--server kernel|serve|guard] [--json]\n"
		   "\n"
		   "A textbook TCP case played for real on a namespace pair of its own: a\n"
		   "scripted client (the scenario engine of the conformance suite), a real\n"
		   "server, and `shakeoff trace` on the server's interface drawing the ladder;\n"
		   "then what to notice and the checks. Exit 1 if a check did not hold. The\n"
		   "cases: shakeoff lab scenario list.\n"
		   "\n"
		   "Options:\n");
	optab_print(f, scenario_optab);
}

static void sc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("shakeoff " SC_CMD ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void sc_on_signal(int sig)
{
	(void)sig;
	sc_stop = 1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* The engine next to the binary in the source tree, else under PREFIX/share/shakeoff. */
static int find_engine(struct sc_run *r)
{
	char probe[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1);

	if (n <= 0) {
		sc_err("cannot read /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	r->exe[n] = '\0';
	snprintf(r->dir, sizeof(r->dir), "%s", r->exe);
	slash = strrchr(r->dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/lab/scenarios/textbook.py", r->dir);
	if (is_file(probe)) {
		strncat(r->dir, "/lab/scenarios", sizeof(r->dir) - strlen(r->dir) - 1);
		return 0;
	}
	snprintf(probe, sizeof(probe), "%s/../share/shakeoff/scenarios/textbook.py", r->dir);
	if (is_file(probe)) {
		strncat(r->dir, "/../share/shakeoff/scenarios",
			sizeof(r->dir) - strlen(r->dir) - 1);
		return 0;
	}
	sc_err("no scenario engine (lab/scenarios/ next to %s, or PREFIX/share/shakeoff/scenarios/)",
	       r->exe);
	return -1;
}

/* fork + exec argv (PATH searched), stdout and stderr to out / err when >= 0. */
static pid_t spawn(char *const argv[], int out, int err)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		sc_err("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		if (out >= 0)
			dup2(out, STDOUT_FILENO);
		if (err >= 0)
			dup2(err, STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "shakeoff " SC_CMD ": cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Its wait status, or -1 if it still runs after ms (or on Ctrl-C when stoppable). */
static int wait_child(pid_t pid, int ms, bool stoppable)
{
	int st, waited = 0;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return st;
		if (w < 0 && errno != EINTR)
			return -1;
		if ((ms >= 0 && waited >= ms) || (stoppable && sc_stop))
			return -1;
		sleep_ms(20);
		waited += 20;
	}
}

static void stop_child(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	if (wait_child(*pid, SC_STOP_MS, false) == -1) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* A file's text from the start (an unlinked tmpfile a child wrote), NUL-ended. */
static void file_text(FILE *f, char *buf, size_t len)
{
	ssize_t n = pread(fileno(f), buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/* Run argv to its end, quiet; 0, or -1 after one line with what it said. */
static int run_quiet(char *const argv[], FILE *out)
{
	FILE *err = tmpfile();
	char msg[256], *nl;
	pid_t pid;
	int st;

	if (!err) {
		sc_err("tmpfile: %s", strerror(errno));
		return -1;
	}
	pid = spawn(argv, out ? fileno(out) : fileno(err), fileno(err));
	st = pid < 0 ? -1 : wait_child(pid, -1, false);
	if (st == 0) {
		fclose(err);
		return 0;
	}
	file_text(err, msg, sizeof(msg));
	nl = strchr(msg, '\n');
	if (nl)
		*nl = '\0';
	sc_err("%s %s failed: %s", argv[0], argv[1] ? argv[1] : "", msg[0] ? msg : "no message");
	fclose(err);
	return -1;
}

#define RUN(...) run_quiet((char *const[]){ __VA_ARGS__, NULL }, NULL)

static int topo_up(struct sc_run *r)
{
	char *c = r->ns_c, *s = r->ns_s;

	if (RUN("ip", "netns", "add", c))
		return -1;
	if (RUN("ip", "netns", "add", s)) {
		RUN("ip", "netns", "del", c);
		return -1;
	}
	r->ns_made = true;
	if (RUN("ip", "link", "add", "cli0", "address", SC_CLI_MAC, "netns", c, "type", "veth",
		"peer", "name", "srv0", "address", SC_SRV_MAC, "netns", s) ||
	    RUN("ip", "-n", c, "addr", "add", SC_CLI_CIDR, "dev", "cli0") ||
	    RUN("ip", "-n", s, "addr", "add", SC_SRV_CIDR, "dev", "srv0") ||
	    RUN("ip", "-n", s, "neigh", "replace", SC_SPARE4, "lladdr", SC_CLI_MAC, "dev", "srv0",
		"nud", "permanent"))
		return -1;
	/* IPv4 only: no router solicitations or MLD reports in the ladder */
	for (int i = 0; i < 2; i++) {
		char *ns = i ? s : c, *dev = i ? "srv0" : "cli0";

		if (RUN("ip", "netns", "exec", ns, "sysctl", "-qw",
			"net.ipv6.conf.all.disable_ipv6=1",
			"net.ipv6.conf.default.disable_ipv6=1") ||
		    RUN("ip", "-n", ns, "link", "set", "lo", "up") ||
		    RUN("ip", "-n", ns, "link", "set", dev, "up"))
			return -1;
	}
	/* what the notes say: Reno, no ECN, SYN-ACKs retransmitted from 1 s, cookies only
	 * under pressure (guard needs tcp_syncookies 1 or 2) */
	if (RUN("ip", "netns", "exec", s, "sysctl", "-qw", "net.ipv4.tcp_congestion_control=reno",
		"net.ipv4.tcp_ecn=0", "net.ipv4.tcp_syncookies=1", "net.ipv4.tcp_timestamps=1",
		"net.ipv4.tcp_sack=1", "net.ipv4.tcp_window_scaling=1",
		"net.ipv4.tcp_synack_retries=5", "net.ipv4.tcp_invalid_ratelimit=500"))
		return -1;
	/* veth drops what XDP_TX sends (guard, serve) unless the peer runs XDP too */
	if (!strcmp(r->kind, "kernel"))
		return 0;
	return RUN("ip", "netns", "exec", c, r->exe, "-q", "lab", "attach", "cli0", "pass");
}

static void topo_down(struct sc_run *r)
{
	if (!r->ns_made)
		return;
	RUN("ip", "netns", "del", r->ns_c);
	RUN("ip", "netns", "del", r->ns_s);
	r->ns_made = false;
}

/* Poll until the kernel listens on the port in the server namespace. */
static int wait_listen(struct sc_run *r)
{
	char filter[32], text[256];

	snprintf(filter, sizeof(filter), "sport = :%s", r->port);
	for (int i = 0; i < SC_START_MS / 100 && !sc_stop; i++) {
		FILE *out = tmpfile();

		if (!out)
			return -1;
		if (!run_quiet((char *const[]){ "ip", "netns", "exec", r->ns_s, "ss", "-Htln",
						filter, NULL },
			       out)) {
			file_text(out, text, sizeof(text));
			if (text[0]) {
				fclose(out);
				return 0;
			}
		}
		fclose(out);
		if (r->server > 0 && waitpid(r->server, NULL, WNOHANG) == r->server) {
			r->server = 0;
			break;
		}
		sleep_ms(100);
	}
	sc_err("the kernel's server did not listen on port %s", r->port);
	return -1;
}

/* Start guard or serve with its output in log; wait for its "attached" line. */
static pid_t start_daemon(struct sc_run *r, char *const argv[], FILE *log, const char *what)
{
	char text[8192];
	pid_t pid = spawn(argv, fileno(log), fileno(log));

	if (pid < 0)
		return -1;
	for (int i = 0; i < SC_START_MS / 100 && !sc_stop; i++) {
		file_text(log, text, sizeof(text));
		if (strstr(text, "Ctrl-C to detach"))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			char *nl = strchr(text, '\n');

			if (nl)
				*nl = '\0';
			sc_err("%s exited: %s", what, text);
			return -1;
		}
		sleep_ms(100);
	}
	sc_err("%s did not attach in %d s", what, SC_START_MS / 1000);
	stop_child(&pid, SIGTERM);
	(void)r;
	return -1;
}

static int server_up(struct sc_run *r, FILE *log)
{
	char ref[PATH_MAX + 32], spec_e[16], spec_c[24];
	bool close_app = !strcmp(r->app, "closefirst");

	if (!strcmp(r->kind, "serve")) {
		r->server =
			start_daemon(r,
				     (char *const[]){ "ip", "netns", "exec", r->ns_s, r->exe,
						      "serve", "srv0", "--port", (char *)r->port,
						      "--app", close_app ? "close" : "echo",
						      "--msl", "1", "--interval", "0", NULL },
				     log, "shakeoff serve");
		return r->server > 0 ? 0 : -1;
	}
	snprintf(ref, sizeof(ref), "%s/ref_server.py", r->dir);
	snprintf(spec_e, sizeof(spec_e), "%s:echo", SC_ECHO_PORT);
	snprintf(spec_c, sizeof(spec_c), "%s:closefirst", SC_CLOSE_PORT);
	r->server = spawn((char *const[]){ "ip", "netns", "exec", r->ns_s, SC_PY, "-B", ref, spec_e,
					   spec_c, NULL },
			  fileno(log), fileno(log));
	if (r->server < 0 || wait_listen(r))
		return -1;
	if (strcmp(r->kind, "guard"))
		return 0;
	r->guard = start_daemon(r,
				(char *const[]){ "ip", "netns", "exec", r->ns_s, r->exe, "guard",
						 "srv0", "--ports", SC_PORTS, "--interval", "0",
						 NULL },
				log, "shakeoff guard");
	return r->guard > 0 ? 0 : -1;
}

/*
 * The trace on srv0, its ladder straight on our stdout, its stderr in log
 * until it says it is attached ("...; Ctrl-C to stop"); -1 after one line if
 * it ended. A trace that says nothing but runs counts as attached after a while.
 */
static int trace_up(struct sc_run *r, FILE *log)
{
	char *argv[] = { "ip",	 "netns",  "exec",	    r->ns_s, r->exe, "trace",
			 "srv0", "--port", (char *)r->port, NULL,    NULL };
	char text[4096];

	if (r->json)
		argv[9] = "--json";
	r->trace = spawn(argv, -1, fileno(log));
	if (r->trace < 0)
		return -1;
	for (int waited = 0; waited < SC_TRACE_SETTLE_MS && !sc_stop; waited += 50) {
		file_text(log, text, sizeof(text));
		if (strstr(text, "Ctrl-C to stop"))
			return 0;
		if (waitpid(r->trace, NULL, WNOHANG) == r->trace) {
			char *nl = strchr(text, '\n');

			if (nl)
				*nl = '\0';
			r->trace = 0;
			sc_err("shakeoff trace failed: %s", text[0] ? text : "no message");
			return -1;
		}
		sleep_ms(50);
	}
	return 0;
}

/* name's app from the engine's list (echo or closefirst); NULL if there is no such case. */
static const char *case_app(const char *list, const char *name, char *app, size_t len)
{
	const char *l = list;
	size_t n = strlen(name);

	while (l && *l) {
		if (!strncmp(l, name, n) && l[n] == '\t') {
			const char *a = l + n + 1, *e = strchr(a, '\t');

			if (!e || (size_t)(e - a) >= len)
				return NULL;
			memcpy(app, a, e - a);
			app[e - a] = '\0';
			return app;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return NULL;
}

static int engine_list(struct sc_run *r, char *buf, size_t len)
{
	char path[PATH_MAX + 16];
	FILE *out = tmpfile();
	int err;

	if (!out) {
		sc_err("tmpfile: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/textbook.py", r->dir);
	err = run_quiet((char *const[]){ SC_PY, "-B", path, "list", NULL }, out);
	if (!err)
		file_text(out, buf, len);
	fclose(out);
	return err;
}

static int scenario_list(struct sc_run *r)
{
	char buf[8192], *line, *save = NULL;

	if (engine_list(r, buf, sizeof(buf)))
		return 1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *app = strchr(line, '\t'), *desc = app ? strchr(app + 1, '\t') : NULL;

		if (!desc)
			continue;
		*app = '\0';
		printf("%-22s %s\n", line, desc + 1);
	}
	return 0;
}

static void copy_out(FILE *f)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fileno(f), buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, n, stdout);
		off += n;
	}
	fflush(stdout);
}

static int scenario_run(struct sc_run *r, const char *name)
{
	char list[8192], app[16], path[PATH_MAX + 16];
	struct sigaction sa = { .sa_handler = sc_on_signal }, old_int, old_term;
	FILE *log = NULL, *notes = NULL, *tlog = NULL;
	pid_t eng = 0;
	int st, ret = 1;

	if (engine_list(r, list, sizeof(list)))
		return 1;
	if (!case_app(list, name, app, sizeof(app))) {
		sc_err("unknown scenario '%s' (shakeoff lab scenario list)", name);
		return EXIT_USAGE;
	}
	if (geteuid()) {
		sc_err("needs root (namespaces, XDP)");
		return 1;
	}
	r->app = app;
	r->port = strcmp(app, "closefirst") ? SC_ECHO_PORT : SC_CLOSE_PORT;
	snprintf(r->ns_c, sizeof(r->ns_c), "sosc%d-cli", (int)getpid());
	snprintf(r->ns_s, sizeof(r->ns_s), "sosc%d-srv", (int)getpid());
	log = tmpfile();
	notes = tmpfile();
	tlog = tmpfile();
	if (!log || !notes || !tlog) {
		sc_err("tmpfile: %s", strerror(errno));
		goto out;
	}
	/* no SA_RESTART: Ctrl-C ends the waits, then everything is torn down */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	if (topo_up(r) || sc_stop || server_up(r, log) || sc_stop)
		goto down;
	if (trace_up(r, tlog) || sc_stop)
		goto down;
	if (!r->json)
		printf("%s against %s (%s, port %s); ladder by shakeoff trace srv0:\n\n", name,
		       r->kind, r->ns_s, r->port);
	snprintf(path, sizeof(path), "%s/textbook.py", r->dir);
	{
		/* -B: no __pycache__ under PREFIX/share (uninstall leaves nothing) */
		char *ea[24] = {
			"ip",	    "netns",   "exec",		r->ns_c,      SC_PY,
			"-B",	    path,      "play",		(char *)name, "--dst-mac",
			SC_SRV_MAC, "--port",  (char *)r->port, "--server",   (char *)r->kind,
			"--cli4",   SC_SPARE4, "--srv4",	SC_SRV_IP4
		};
		int n = 19;

		if (r->json)
			ea[n++] = "--json";
		eng = spawn(ea, fileno(notes), -1);
	}
	if (eng < 0)
		goto down;
	st = wait_child(eng, -1, true);
	if (st == -1)
		stop_child(&eng, SIGTERM);
	eng = 0;
	if (st == -1 || sc_stop) /* Ctrl-C reaches the whole process group: the client too */
		goto down;
	sleep_ms(SC_TRACE_DRAIN_MS);
	stop_child(&r->trace, SIGINT);
	if (!r->json)
		printf("\n");
	copy_out(notes);
	if (WIFEXITED(st) && WEXITSTATUS(st) <= 1)
		ret = WEXITSTATUS(st);
	else
		sc_err("the scripted client failed (status %d)", st);
down:
	stop_child(&r->trace, SIGINT);
	stop_child(&r->guard, SIGTERM);
	stop_child(&r->server, SIGTERM);
	topo_down(r);
	if (sc_stop)
		sc_err("interrupted; namespaces %s and %s removed", r->ns_c, r->ns_s);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	if (log)
		fclose(log);
	if (notes)
		fclose(notes);
	if (tlog)
		fclose(tlog);
	return ret;
}

int cmd_lab_scenario(int argc, char **argv)
{
	const char *cmd = SC_CMD;
	struct sc_run r = { .kind = "kernel" };
	int opt;

	optab_reset();
	while ((opt = optab_next(argc, argv, cmd, scenario_optab)) != OPTAB_END) {
		switch (opt) {
		case 's':
			if (strcmp(optarg, "kernel") && strcmp(optarg, "serve") &&
			    strcmp(optarg, "guard"))
				return usage_error(cmd, "--server takes kernel, serve or guard");
			r.kind = optarg;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			scenario_help(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error(cmd, "list or run NAME");
	if (!strcmp(argv[optind], "list")) {
		if (argc - optind != 1)
			return usage_error(cmd, "list takes no operand");
		return find_engine(&r) ? 1 : scenario_list(&r);
	}
	if (strcmp(argv[optind], "run"))
		return usage_error(cmd, "unknown subcommand '%s' (list, run)", argv[optind]);
	if (argc - optind != 2)
		return usage_error(cmd, "run takes one scenario NAME");
	if (find_engine(&r))
		return 1;
	return scenario_run(&r, argv[optind + 1]);
}
