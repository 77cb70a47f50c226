// SPDX-License-Identifier: GPL-2.0
/* shakeoff stats: guard's counters, found through the program on the interface. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <shakeoff/guard_abi.h>
#include <shakeoff/serve_abi.h>

#include "core/attach.h"
#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/counters.h"
#include "core/sysenv.h"
#include "core/jsonl.h"
#include "core/stage.h"
#include "guard/views.h"

static volatile sig_atomic_t stats_exiting;

static void stats_on_signal(int sig)
{
	(void)sig;
	stats_exiting = 1;
}

static const struct optab stats_opts[] = {
	{ "json", 'j', NULL, "one JSON object (per interval with --watch)" },
	{ "watch", 'w', "SECONDS", "print again every SECONDS, with rates", true },
	{ "ports", 'P', NULL, "also the counters of each protected port (guard)" },
	{ "top", 'N', "N",
	  "also the N source /24s and /64s with the most SYNs\nper second (guard's last 1.07 s); --ports and --top\nprint once, not with --watch" },
	OPTAB_HELP,
};

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff stats IFACE [--json] [--watch SECONDS] [--ports] [--top N]\n\n"
		   "Print the counters of guard (or serve) on IFACE: every verdict, by reason.\n"
		   "Works from any process in IFACE's network namespace, also another\n"
		   "`ip netns exec`. --watch ends (exit 1) when what it watches is gone.\n\n"
		   "Options:\n");
	optab_print(f, stats_opts);
}

/* What stats reads: guard's or serve's counters, and how to tell it is still there. */
struct stats_target {
	const char *what; /* "guard" or "serve" */
	const struct counter_set *set;
	__u32 prog_id; /* the program the maps were found through */
	bool via_tc; /* ... guard's TC program (its XDP program is gone) */
	__u32 pid; /* the controller that attached it */
};

/* The owner_pid of the cfg map named cfg_map, 0 if unknown. */
static __u32 stats_owner(__u32 prog_id, const char *cfg_map, bool serve)
{
	struct guard_cfg g = {};
	struct serve_cfg s = {};
	__u32 zero = 0, pid = 0;
	int fd = prog_map_fd(prog_id, cfg_map);

	if (fd < 0)
		return 0;
	if (!bpf_map_lookup_elem(fd, &zero, serve ? (void *)&s : (void *)&g))
		pid = serve ? s.owner_pid : g.owner_pid;
	close(fd);
	return pid;
}

/* The stats map of guard (by its XDP program, else its TC program) or serve on ifindex. */
static int stats_find(int ifindex, struct stats_target *t)
{
	struct prog_ref p, tc[16];
	int i, n;

	memset(t, 0, sizeof(*t));
	/* on the hook, or a stage of the root program there (--xdp-stage) */
	if (!xdp_find_named(ifindex, GUARD_XDP_PROG_NAME, &p) ||
	    !xdp_find_named(ifindex, SERVE_XDP_PROG_NAME, &p)) {
		t->prog_id = p.id;
		if (!strcmp(p.name, GUARD_XDP_PROG_NAME)) {
			t->what = "guard";
			t->set = &guard_counter_set;
			t->pid = stats_owner(p.id, GUARD_MAP_CFG, false);
			return prog_map_fd(p.id, GUARD_MAP_STATS);
		}
		if (!strcmp(p.name, SERVE_XDP_PROG_NAME)) {
			t->what = "serve";
			t->set = &serve_counter_set;
			t->pid = stats_owner(p.id, SERVE_MAP_CFG, true);
			return prog_map_fd(p.id, SERVE_MAP_STATS);
		}
	}
	n = tcx_progs_on(ifindex, tc, 16);
	for (i = 0; i < n; i++)
		if (!strcmp(tc[i].name, GUARD_TC_PROG_NAME)) {
			t->what = "guard";
			t->set = &guard_counter_set;
			t->prog_id = tc[i].id;
			t->via_tc = true;
			t->pid = stats_owner(tc[i].id, GUARD_MAP_CFG, false);
			return prog_map_fd(tc[i].id, GUARD_MAP_STATS);
		}
	return -ENOENT;
}

/* --ports, --top: user/guard/views.c prints them. */
static int stats_views(int ifindex, bool ports, unsigned long top, bool json)
{
	struct guard_views v;
	int err;

	if (!ports && !top)
		return 0;
	err = views_open(ifindex, &v);
	if (err) {
		pr_warn("Failed to open guard's per-port and source maps: %s\n", strerror(-err));
		return err;
	}
	err = views_print(stdout, &v, ports, top, json);
	views_close(&v);
	return err;
}

/*
 * Is what --watch reads still there? The map stays readable through our fd
 * after the program is gone, so ask the interface and the owner. 0, or 1
 * after one line saying what went.
 */
static int stats_gone(int ifindex, const char *ifname, const struct stats_target *t)
{
	struct prog_ref p, tc[16];
	char name[IF_NAMESIZE];
	bool on = false;
	int i, n;

	if (!if_indextoname(ifindex, name)) {
		pr_warn("%s is gone (the interface was removed); stats stops\n", ifname);
		return 1;
	}
	if (t->pid && !pid_is_shakeoff((int)t->pid)) {
		pr_warn("%s on %s is gone (pid %u exited); stats stops\n", t->what, ifname, t->pid);
		return 1;
	}
	if (!t->via_tc) {
		on = (!xdp_find_named(ifindex, GUARD_XDP_PROG_NAME, &p) ||
		      !xdp_find_named(ifindex, SERVE_XDP_PROG_NAME, &p)) &&
		     p.id == t->prog_id;
	} else {
		n = tcx_progs_on(ifindex, tc, 16);
		for (i = 0; i < n; i++)
			on = on || tc[i].id == t->prog_id;
	}
	if (!on) {
		pr_warn("%s's program was detached from %s; stats stops\n", t->what, ifname);
		return 1;
	}
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	__u64 prev[COUNTERS_MAX], cur[COUNTERS_MAX];
	struct stats_target t;
	unsigned long watch = 0, top = 0;
	struct sigaction sa = {};
	bool ports = false;
	bool json = false;
	const char *ifname;
	char caps[64];
	int c, fd, ifindex, err;

	optab_reset();
	while ((c = optab_next(argc, argv, "stats", stats_opts)) != OPTAB_END) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
			if (parse_ulong(optarg, 1, 86400, &watch))
				return usage_error("stats", "bad --watch '%s'", optarg);
			break;
		case 'P':
			ports = true;
			break;
		case 'N':
			if (parse_ulong(optarg, 1, 1000, &top))
				return usage_error("stats", "--top takes 1-1000");
			break;
		case 'h':
			stats_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	ifindex = optab_iface(argc, argv, "stats", &ifname);
	if (ifindex < 0)
		return -ifindex;
	if (sysenv_check_read_caps(caps, sizeof(caps))) {
		pr_warn("missing %s: stats reads shakeoff's maps by id\n", caps);
		return EXIT_USAGE;
	}
	fd = stats_find(ifindex, &t);
	if (fd < 0) {
		pr_warn("no shakeoff guard or serve on %s\n", ifname);
		return 1;
	}
	err = counters_read(fd, t.set, cur);
	if (err) {
		pr_warn("Failed to read %s's counters: %s\n", t.what, strerror(-err));
		close(fd);
		return 1;
	}
	if (!watch) {
		if (json) {
			printf("%s,\"iface\":\"%s\",\"program\":\"%s\",\"counters\":", json_ts(),
			       ifname, t.what);
			counters_print(stdout, t.set, cur, true);
			if (!strcmp(t.what, "guard"))
				err = stats_views(ifindex, ports, top, true);
			printf("}\n");
		} else {
			counters_print(stdout, t.set, cur, false);
			if (!strcmp(t.what, "guard"))
				err = stats_views(ifindex, ports, top, false);
		}
		close(fd);
		return err ? 1 : 0;
	}
	sa.sa_handler = stats_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed stdout (| head) ends the run as SIGTERM does: detached, not killed */
	sigaction(SIGPIPE, &sa, NULL);
	while (!stats_exiting) {
		memcpy(prev, cur, sizeof(prev));
		sleep(watch);
		if (stats_exiting)
			break;
		err = stats_gone(ifindex, ifname, &t);
		if (!err && counters_read(fd, t.set, cur)) {
			pr_warn("%s on %s is gone; stats stops\n", t.what, ifname);
			err = 1;
		}
		if (err)
			break;
		counters_print_rates(stdout, t.set, ifname, cur, prev, watch, json);
	}
	close(fd);
	return err;
}
