// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff lab fleet: two guarded servers that own the same service address
 * behind a router that sends every connection's SYN to server A and the
 * rest of the connection to server B (an ECMP reshuffle at its worst).
 * Each server runs a kernel echo listener behind `shakeoff guard
 * --key-file`; A answers the SYN with a cookie SYN-ACK, B must take the
 * final ACK on A's cookie. With one key file for both every connection
 * completes; with a secret each none does. The namespaces are this run's
 * own, torn down at the end and on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/fleet.h>
#include "cmd/cmds.h"
#include "cmd/conffile.h"
#include "cmd/optab.h"
#include "core/attach.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/percpu.h"
#include "fleet.skel.h"
#include "lab/fleet_conn.h"
#include "lab/fleet_report.h"
#include "lab/fleet_topo.h"
#include "lab/probe.h"

#define CMD "lab fleet"
#define FLEET_PORT 8080
#define DEFAULT_CONNECTIONS 20
#define DEFAULT_RATE 20
#define DEFAULT_TIMEOUT 2
#define FLEET_REQUEST 64 /* bytes each connection sends and wants echoed */

static const struct optab fleet_optab[] = {
	{ "config", 'C', "FILE",
	  "read options from FILE (key = value lines); the command\nline wins" },
	{ "type", 'T', "fleet", "what an experiment file is (only fleet; for `lab run`)" },
	{ "keys", 'k', "shared|separate|both",
	  "shared (one key file for both guards), separate (a\nsecret each), or both (default)" },
	{ "connections", 'n', "N",
	  "connections per mode (default " OPTAB_STR(DEFAULT_CONNECTIONS) ")" },
	{ "rate", 'r', "R", "new connections per second (default " OPTAB_STR(DEFAULT_RATE) ")" },
	{ "timeout", 't', "S",
	  "seconds a connection has to connect and get its request\nechoed (default " OPTAB_STR(
		  DEFAULT_TIMEOUT) ")" },
	{ "out", 'o', "DIR", "also write DIR/fleet.json and DIR/fleet.md" },
	{ "json", 'j', NULL, "JSON lines on stdout (one per mode, then a summary)" },
	OPTAB_HELP,
};
static const char *const fleet_conf_refuse[] = { "config", NULL };

struct fleet_args {
	const char *config;
	bool modes[2]; /* by enum fleet_keys */
	unsigned int connections;
	double rate;
	double timeout;
	char *out;
	bool json;
};

static volatile sig_atomic_t fleet_stop;

static void on_signal(int sig)
{
	(void)sig;
	fleet_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff lab fleet [OPTIONS]\n"
		"\n"
		"Two servers with the same address (an anycast VIP), each a kernel echo\n"
		"listener behind a `shakeoff guard` reading a key file, behind a router that\n"
		"sends each connection's SYN to server A and every later segment to server\n"
		"B, as an ECMP reshuffle would. A client opens N connections at rate R per key\n"
		"mode and counts those that complete (request echoed) and why the others\n"
		"failed. With shared keys all complete, with separate keys none does. Builds\n"
		"its own namespaces " FLEET_NS_PREFIX "PID-{cli,rtr,a,b} and removes them at the\n"
		"end, on SIGINT/SIGTERM, and (those of runs that died) at start. Needs root.\n"
		"\n"
		"Options:\n");
	optab_print(f, fleet_optab);
}

static int parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < (long)lo || v > (long)hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_pos(const char *s, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* One option (c with optarg) into a; 0 or EXIT_USAGE after a message. */
static int fleet_opt(int c, struct fleet_args *a)
{
	switch (c) {
	case 'C':
		a->config = optarg;
		break;
	case 'T':
		if (strcmp(optarg, "fleet"))
			return usage_error(CMD, "type must be fleet, not '%s'", optarg);
		break;
	case 'k':
		a->modes[FLEET_KEYS_SHARED] = !strcmp(optarg, "shared") || !strcmp(optarg, "both");
		a->modes[FLEET_KEYS_SEPARATE] =
			!strcmp(optarg, "separate") || !strcmp(optarg, "both");
		if (!a->modes[0] && !a->modes[1])
			return usage_error(CMD, "--keys: shared, separate or both, not '%s'",
					   optarg);
		break;
	case 'n':
		if (parse_uint(optarg, 1, 10000, &a->connections))
			return usage_error(CMD, "--connections: a number 1-10000, not '%s'",
					   optarg);
		break;
	case 'r':
		if (parse_pos(optarg, 10000, &a->rate))
			return usage_error(
				CMD, "--rate: connections per second, >0 and <=10000, not '%s'",
				optarg);
		break;
	case 't':
		if (parse_pos(optarg, 60, &a->timeout))
			return usage_error(CMD, "--timeout: seconds, >0 and <=60, not '%s'",
					   optarg);
		break;
	case 'o':
		free(a->out);
		a->out = strdup(optarg);
		if (!a->out)
			return 1;
		break;
	case 'j':
		a->json = true;
		break;
	default:
		return EXIT_USAGE;
	}
	return 0;
}

/* The command line, then --config FILE under it (a key given on the command line wins). */
static int fleet_parse(int argc, char **argv, struct fleet_args *a)
{
	bool on_cli[128] = {};
	struct conf_file cf;
	int c, err = 0;

	optab_reset();
	while ((c = optab_next(argc, argv, CMD, fleet_optab)) != OPTAB_END) {
		if (c == OPTAB_ERROR)
			return EXIT_USAGE;
		if (c == 'h') {
			usage(stdout);
			return -1;
		}
		err = fleet_opt(c, a);
		if (err)
			return err;
		on_cli[c & 127] = true;
	}
	if (optind < argc)
		return usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!a->config)
		return 0;
	err = conf_read(a->config, CMD, fleet_optab, fleet_conf_refuse, &cf);
	if (err)
		return err;
	optab_reset();
	while (!err && (c = optab_next(cf.argc, cf.argv, CMD, fleet_optab)) != OPTAB_END) {
		if (c == OPTAB_ERROR) {
			err = EXIT_USAGE;
			break;
		}
		if (on_cli[c & 127] || c == 'h')
			continue;
		usage_set_origin(cf.where[optind - 1]);
		err = fleet_opt(c, a);
		usage_set_origin(NULL);
	}
	conf_free(&cf);
	return err;
}

/* What a run holds, released by fleet_teardown() in reverse. */
struct fleet_run {
	struct fleet_topo topo;
	struct fleet_bpf *skel;
	int link_fd;
	pid_t echo[2]; /* A, B */
	pid_t guard[2];
	char work[64]; /* key files and guard logs */
	char self[PATH_MAX];
};

/* Enter role's netns for a moment to call fn. */
#define IN_NS(r, role, expr)                                                      \
	({                                                                        \
		int saved_, rc_ = fleet_netns_enter(&(r)->topo, (role), &saved_); \
		if (!rc_) {                                                       \
			rc_ = (expr);                                             \
			fleet_netns_leave(saved_);                                \
		}                                                                 \
		rc_;                                                              \
	})

static int hop_fill(struct fleet_run *r, enum fleet_role srv, const char *rif, struct fleet_hop *h)
{
	unsigned char mac[6];
	int ifindex, err;

	err = IN_NS(r, srv, fleet_if_info(FLEET_SRV_IF, &ifindex, mac));
	if (!err) {
		memcpy(h->dmac, mac, 6);
		err = IN_NS(r, FLEET_RTR, fleet_if_info(rif, &ifindex, h->smac));
		h->ifindex = (__u32)ifindex;
	}
	if (err)
		fleet_err("Failed to read the interfaces of %s: %s", r->topo.ns[srv],
			  strerror(-err));
	return err;
}

static int router_attach_here(struct fleet_run *r)
{
	int ifindex = (int)if_nametoindex("r0");

	return ifindex ? tcx_link_attach(bpf_program__fd(r->skel->progs.so_fleet_split), ifindex) :
			 -errno;
}

/* The split program on the router's r0, and the lab pass program on ra and rb (guards' XDP_TX). */
static int router_up(struct fleet_run *r)
{
	struct bpf_prog_info info = {};
	struct fleet_split_cfg cfg = {};
	__u32 info_len;
	int err;

	inet_pton(AF_INET, FLEET_VIP, &cfg.vip);
	if (hop_fill(r, FLEET_A, "ra", &cfg.syn) || hop_fill(r, FLEET_B, "rb", &cfg.rest))
		return -1;
	r->skel = fleet_bpf__open();
	if (!r->skel) {
		fleet_err("Failed to open the router program: %s", strerror(errno));
		return -1;
	}
	r->skel->rodata->cfg = cfg;
	err = fleet_bpf__load(r->skel);
	if (err) {
		fleet_err("Failed to load the router program: %s", strerror(-err));
		return -1;
	}
	r->link_fd = IN_NS(r, FLEET_RTR, router_attach_here(r));
	if (r->link_fd < 0) {
		fleet_err("Failed to attach the router program to r0: %s", strerror(-r->link_fd));
		return -1;
	}
	if (fleet_sh("ip netns exec %s %s lab attach ra pass", r->topo.ns[FLEET_RTR], r->self) ||
	    fleet_sh("ip netns exec %s %s lab attach rb pass", r->topo.ns[FLEET_RTR], r->self)) {
		fleet_err("Failed to attach lab pass to the router's ra and rb");
		return -1;
	}
	info_len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(r->skel->progs.so_fleet_split), &info,
				    &info_len))
		pr_info("lab fleet: router program so_fleet_split (id %u) on r0 ingress\n",
			info.id);
	return 0;
}

static int router_counts(struct fleet_run *r, __u64 out[FLEET_S__COUNT])
{
	__u32 zero = 0;

	return percpu_sum(bpf_map__fd(r->skel->maps.fleet_stats), &zero, out, FLEET_S__COUNT);
}

static pid_t echo_here(void)
{
	return fleet_echo_start(FLEET_PORT);
}

/* End pid: TERM, KILL after about 3 s; reap it. */
static void child_end(pid_t *pid)
{
	int i;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (i = 0; i < 30; i++) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return;
		}
		usleep(100000);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

/* The start of path's text into buf (empty if unreadable). */
static char *file_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* The last line of text, without its newline, in place. */
static const char *last_line(char *text)
{
	char *nl;

	while ((nl = strrchr(text, '\n')) && !nl[1])
		*nl = '\0';
	nl = strrchr(text, '\n');
	return nl ? nl + 1 : text;
}

/* Guard on server s's s0 with key file key; waits until it has attached. */
static int guard_start(struct fleet_run *r, int s, const char *key)
{
	const char *ns = r->topo.ns[s ? FLEET_B : FLEET_A];
	char log[96], text[8192];
	pid_t pid;
	int fd, i;

	snprintf(log, sizeof(log), "%s/guard-%c.log", r->work, 'a' + s);
	pid = fork();
	if (pid < 0) {
		fleet_err("Failed to fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("ip", "ip", "netns", "exec", ns, r->self, "guard", FLEET_SRV_IF, "--ports",
		       OPTAB_STR(FLEET_PORT), "--key-file", key, "--fix-sysctls", "--interval", "0",
		       "--json", (char *)NULL);
		_exit(127);
	}
	r->guard[s] = pid;
	for (i = 0; i < 150 && !fleet_stop; i++) {
		if (strstr(file_text(log, text, sizeof(text)), "\"event\":\"attached\""))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			r->guard[s] = 0;
			break;
		}
		usleep(100000);
	}
	if (!fleet_stop)
		fleet_err("guard on %s did not attach: %s", ns,
			  last_line(file_text(log, text, sizeof(text))));
	return -1;
}

/* A new random secret in the file path (hex, 64 characters). */
static int key_write(const char *path)
{
	unsigned char raw[32];
	FILE *f, *u = fopen("/dev/urandom", "r");
	size_t i, n = u ? fread(raw, 1, sizeof(raw), u) : 0;

	if (u)
		fclose(u);
	f = n == sizeof(raw) ? fopen(path, "w") : NULL;
	if (!f) {
		fleet_err("Failed to write key file %s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(raw); i++)
		fprintf(f, "%02x", raw[i]);
	return fclose(f) ? -1 : 0;
}

_Static_assert((int)FLEET_C__COUNT == (int)PROBE_FAIL_COUNT &&
		       (int)FLEET_C_TIMEOUT == (int)PROBE_TIMEOUT &&
		       (int)FLEET_C_RST == (int)PROBE_RST && (int)FLEET_C_OTHER == (int)PROBE_OTHER,
	       "fleet's failure causes are the probe's, in its order");

static void probe_second(void *ctx, uint64_t t, struct probe_bucket *b)
{
	(void)ctx;
	(void)t;
	(void)b;
}

/* The legitimate client: the prober's engine (shakeoff probe) in echo mode, n connections. */
static int connect_here(const struct fleet_args *a, struct fleet_mode *m)
{
	struct probe_cfg cfg = { .rate = a->rate,
				 .duration = a->connections / a->rate,
				 .timeout = a->timeout,
				 .request = FLEET_REQUEST,
				 .max_inflight = 16384 };
	struct sockaddr_in *dst = (struct sockaddr_in *)&cfg.dst;
	struct probe_result res = {};
	int err, c;

	dst->sin_family = AF_INET;
	dst->sin_port = htons(FLEET_PORT);
	inet_pton(AF_INET, FLEET_VIP, &dst->sin_addr);
	cfg.dst_len = sizeof(*dst);
	err = probe_run(&cfg, &fleet_stop, probe_second, NULL, &res);
	if (err)
		return err;
	m->attempted = (unsigned int)res.all.attempted;
	m->completed = (unsigned int)res.all.ok;
	for (c = 0; c < FLEET_C__COUNT; c++)
		m->failed[c] = (unsigned int)res.all.failed[c];
	/* not started in time or cut short: neither completed nor a cause of the network's */
	m->failed[FLEET_C_OTHER] += (unsigned int)(res.all.skipped + res.all.unfinished);
	m->duration_s = res.elapsed_s;
	probe_bucket_free(&res.all);
	return 0;
}

/* One key mode: fresh guards on its keys, the client's connections, the router's counts. */
static int fleet_mode_run(struct fleet_run *r, const struct fleet_args *a, struct fleet_mode *m)
{
	char ka[96], kb[96];
	__u64 c0[FLEET_S__COUNT], c1[FLEET_S__COUNT];
	int err, s;

	snprintf(ka, sizeof(ka), "%s/%s-a.key", r->work, fleet_keys_name(m->keys));
	snprintf(kb, sizeof(kb), "%s/%s-b.key", r->work, fleet_keys_name(m->keys));
	if (key_write(ka))
		return -1;
	if (m->keys == FLEET_KEYS_SHARED)
		snprintf(kb, sizeof(kb), "%s", ka);
	else if (key_write(kb))
		return -1;
	pr_info("lab fleet: keys %s: starting the guards\n", fleet_keys_name(m->keys));
	err = guard_start(r, 0, ka) || guard_start(r, 1, kb) ? -1 : 0;
	if (!err)
		err = router_counts(r, c0);
	if (!err) {
		pr_info("lab fleet: keys %s: %u connections at %g/s\n", fleet_keys_name(m->keys),
			a->connections, a->rate);
		err = IN_NS(r, FLEET_CLI, connect_here(a, m));
		if (err)
			fleet_err("Failed to run the client: %s", strerror(-err));
	}
	if (!err)
		err = router_counts(r, c1);
	if (!err) {
		m->syn_to_a = c1[FLEET_S_SYN] - c0[FLEET_S_SYN];
		m->rest_to_b = c1[FLEET_S_REST] - c0[FLEET_S_REST];
	}
	for (s = 0; s < 2; s++)
		child_end(&r->guard[s]);
	return err;
}

static void fleet_teardown(struct fleet_run *r)
{
	int s;

	for (s = 0; s < 2; s++) {
		child_end(&r->guard[s]);
		child_end(&r->echo[s]);
	}
	if (r->link_fd >= 0)
		close(r->link_fd);
	r->link_fd = -1;
	fleet_bpf__destroy(r->skel);
	r->skel = NULL;
	fleet_topo_down(&r->topo);
	if (r->work[0]) {
		fleet_sh("rm -rf %s", r->work);
		r->work[0] = '\0';
	}
}

static int fleet_write(const struct fleet_args *a, const struct fleet_settings *st,
		       const struct fleet_mode *m, int n)
{
	char path[PATH_MAX];
	FILE *f;
	int i;

	if (mkdir(a->out, 0755) && errno != EEXIST) {
		fleet_err("Failed to create %s: %s", a->out, strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/fleet.%s", a->out, i ? "md" : "json");
		f = fopen(path, "w");
		if (!f) {
			fleet_err("Failed to write %s: %s", path, strerror(errno));
			return -1;
		}
		if (i)
			fleet_write_md(f, st, m, n);
		else
			fleet_write_json(f, st, m, n);
		if (fclose(f)) {
			fleet_err("Failed to write %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int fleet_run_all(struct fleet_run *r, const struct fleet_args *a, struct fleet_mode *m,
			 int *n)
{
	ssize_t len;
	int k;

	len = readlink("/proc/self/exe", r->self, sizeof(r->self) - 1);
	if (len <= 0) {
		fleet_err("Failed to find our own binary: %s", strerror(errno));
		return -1;
	}
	r->self[len] = '\0';
	fleet_work_reap_stale();
	snprintf(r->work, sizeof(r->work), "/tmp/" FLEET_WORK_PREFIX "%d.XXXXXX", (int)getpid());
	if (!mkdtemp(r->work)) {
		fleet_err("Failed to make a work directory: %s", strerror(errno));
		r->work[0] = '\0';
		return -1;
	}
	fleet_topo_reap_stale();
	pr_info("lab fleet: building namespaces " FLEET_NS_PREFIX "%d-{cli,rtr,a,b}\n",
		(int)getpid());
	if (fleet_topo_up(&r->topo) || router_up(r))
		return -1;
	r->echo[0] = IN_NS(r, FLEET_A, echo_here());
	r->echo[1] = IN_NS(r, FLEET_B, echo_here());
	if (r->echo[0] <= 0 || r->echo[1] <= 0)
		return -1;
	for (k = 0; k < 2 && !fleet_stop; k++) {
		if (!a->modes[k])
			continue;
		m[*n].keys = (enum fleet_keys)k;
		if (fleet_mode_run(r, a, &m[*n]))
			return -1;
		if (fleet_stop)
			break;
		if (a->json)
			fleet_print_jsonl(stdout, &m[*n]);
		else
			fleet_print_text(stdout, &m[*n]);
		fflush(stdout);
		(*n)++;
	}
	return 0;
}

int cmd_lab_fleet(int argc, char **argv)
{
	struct fleet_args a = { .modes = { true, true },
				.connections = DEFAULT_CONNECTIONS,
				.rate = DEFAULT_RATE,
				.timeout = DEFAULT_TIMEOUT };
	struct fleet_run r = { .link_fd = -1 };
	struct fleet_settings st = {};
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_pipe;
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct fleet_mode m[2] = {};
	char started[32];
	int err, n = 0;
	time_t now;

	err = fleet_parse(argc, argv, &a);
	if (err) {
		free(a.out);
		return err < 0 ? 0 : err;
	}
	now = time(NULL);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	st = (struct fleet_settings){ a.connections, a.rate, a.timeout, FLEET_PORT, started };

	fleet_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* stdout or stderr read by `| head` that quits: the teardown must still run */
	sigaction(SIGPIPE, &ign, &old_pipe);
	err = fleet_run_all(&r, &a, m, &n);
	fleet_teardown(&r);
	/* `lab run` may have its own */
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (fleet_stop) {
		pr_info("lab fleet: interrupted; everything removed\n");
		free(a.out);
		return 0;
	}
	if (!err && a.json)
		fleet_print_summary(stdout, m, n);
	if (!err && a.out)
		err = fleet_write(&a, &st, m, n);
	free(a.out);
	return err ? 1 : 0;
}
