// SPDX-License-Identifier: GPL-2.0
/* shakeoff trace: a live ladder of the connections through an interface. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <shakeoff/guard_abi.h>
#include <shakeoff/serve_abi.h>

#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/stage.h"
#include "core/stat_names.h"
#include "trace/collect.h"
#include "trace/ladder.h"

#define CMD "trace"
#define POLL_MS 50

static volatile sig_atomic_t trace_stop;

static void on_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static const struct optab trace_opts[] = {
	{ "port", 'p', "N", "only connections with this port (either side)" },
	{ "peer", 'P', "IP", "only connections with this remote address" },
	{ "absolute", 'a', NULL,
	  "seq and ack as on the wire (default: relative to each side's ISN)" },
	{ "json", 'j', NULL, "one JSON line per segment and state change" },
	{ "count", 'c', "N", "stop after N connections have ended" },
	{ "duration", 'd', "S", "stop after S seconds" },
	OPTAB_HELP,
};

static void trace_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff trace IFACE [--port N] [--peer IP] [--absolute] [--json]\n"
		   "                      [--count N] [--duration S]\n\n"
		   "Draw the TCP connections through IFACE as a ladder: the client (remote)\n"
		   "on the left, the server (this host) on the right, one line per segment\n"
		   "with its flags, seq, ack, length, window and options, and the state each\n"
		   "side enters. Works in front of guard, serve or a plain kernel server.\n"
		   "Runs until SIGINT or SIGTERM, --count or --duration.\n\n"
		   "Options:\n");
	optab_print(f, trace_opts);
}

struct trace_args {
	const char *ifname;
	int ifindex;
	struct trace_filter filter;
	struct ladder_cfg cfg;
	unsigned long count;
	double duration;
};

/* EXIT_USAGE or 0 for --help (the caller returns it), -1 to run */
static int trace_parse(int argc, char **argv, struct trace_args *a)
{
	struct ip_addr ip;
	unsigned long v;
	int c;

	memset(a, 0, sizeof(*a));
	optab_reset();
	while ((c = optab_next(argc, argv, CMD, trace_opts)) != OPTAB_END) {
		switch (c) {
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &v))
				return usage_error(CMD, "--port: not a port: '%s'", optarg);
			a->filter.port = v;
			break;
		case 'P':
			if (parse_ip(optarg, &ip))
				return usage_error(CMD, "--peer: not an IP address: '%s'", optarg);
			a->filter.has_peer = true;
			a->filter.family = ip.family == AF_INET6 ? 6 : 4;
			memcpy(a->filter.peer, ip.bytes, sizeof(a->filter.peer));
			break;
		case 'a':
			a->cfg.absolute = true;
			break;
		case 'j':
			a->cfg.json = true;
			break;
		case 'c':
			if (parse_ulong(optarg, 1, 1000000000, &a->count))
				return usage_error(CMD, "--count: not a count: '%s'", optarg);
			break;
		case 'd':
			if (parse_double(optarg, 0.001, 1e7, &a->duration))
				return usage_error(CMD, "--duration: not a number of seconds: '%s'",
						   optarg);
			break;
		case 'h':
			trace_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	a->ifindex = optab_iface(argc, argv, CMD, &a->ifname);
	if (a->ifindex < 0)
		return -a->ifindex;
	return -1;
}

static void on_event(void *ctx, const struct so_trace_ev *ev)
{
	ladder_add(ctx, ev);
}

/* The drop reasons XDP reports are indexes in guard's or serve's counter table. */
static void pick_reasons(struct trace_args *a)
{
	struct prog_ref p;

	if (!xdp_find_named(a->ifindex, SERVE_XDP_PROG_NAME, &p)) {
		a->cfg.reasons = serve_stat_names;
		a->cfg.n_reasons = SS__COUNT;
		a->cfg.xdp_endpoint = true;
	} else if (!xdp_find_named(a->ifindex, GUARD_XDP_PROG_NAME, &p)) {
		a->cfg.reasons = guard_stat_names;
		a->cfg.n_reasons = GS__COUNT;
	}
}

int cmd_trace(int argc, char **argv)
{
	struct trace_collect *tc = NULL;
	struct sigaction sa = {};
	struct trace_args a;
	struct ladder *l;
	__u64 now, deadline = 0, tail = 0;
	int err, rc = 0;

	err = trace_parse(argc, argv, &a);
	if (err >= 0)
		return err;
	pick_reasons(&a);
	a.cfg.realtime_off_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	l = ladder_new(&a.cfg, stdout);
	if (!l) {
		fprintf(stderr, "shakeoff trace: out of memory\n");
		return 1;
	}
	trace_stop = 0;
	sa.sa_handler = on_signal; /* no SA_RESTART: the signal ends the poll */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = trace_collect_open(&tc, a.ifname, &a.filter, on_event, l);
	if (err) {
		ladder_free(l);
		return 1;
	}
	pr_info("trace on %s%s%s; Ctrl-C to stop\n", a.ifname,
		a.cfg.reasons == guard_stat_names ? " (guard)" :
		a.cfg.reasons == serve_stat_names ? " (serve)" :
						    "",
		a.cfg.json ? ", JSON lines" : "");
	if (a.duration)
		deadline = clock_mono_ns() + (__u64)(a.duration * 1e9);
	while (!trace_stop) {
		now = clock_mono_ns();
		if (deadline && now >= deadline)
			break;
		/* after the last connection, one window more for its late reports */
		if (a.count && ladder_done(l) >= a.count) {
			if (!tail)
				tail = now + LADDER_WINDOW_NS;
			else if (now >= tail)
				break;
		}
		err = trace_collect_poll(tc, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "shakeoff trace: Failed to read the trace events: %s\n",
				strerror(-err));
			rc = 1;
			break;
		}
		ladder_flush(l, clock_mono_ns());
	}
	trace_collect_close(tc);
	ladder_finish(l);
	ladder_free(l);
	return rc;
}
