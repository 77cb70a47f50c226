// SPDX-License-Identifier: GPL-2.0
/* shakeoff stats: guard's counters, found through the program on the interface. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <shakeoff/guard_abi.h>

#include "core/attach.h"
#include "core/stage.h"
#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "guard/counters.h"
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
	{ "ports", 'P', NULL, "also the counters of each protected port" },
	{ "top", 'N', "N",
	  "also the N source /24s and /64s with the most SYNs\nper second (guard's last 1.07 s); --ports and --top\nprint once, not with --watch" },
	OPTAB_HELP,
};

static void stats_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff stats IFACE [--json] [--watch SECONDS] [--ports] [--top N]\n\n"
		   "Print guard's counters on IFACE (every verdict, by reason). Works from any\n"
		   "process in IFACE's network namespace, also another `ip netns exec`.\n\n"
		   "Options:\n");
	optab_print(f, stats_opts);
}

/* The stats map of the guard on ifindex: via its XDP program (or stage), else its TC program. */
static int stats_find(int ifindex)
{
	struct prog_ref p, tc[16];
	int i, n;

	if (!xdp_find_named(ifindex, GUARD_XDP_PROG_NAME, &p))
		return prog_map_fd(p.id, GUARD_MAP_STATS);
	n = tcx_progs_on(ifindex, tc, 16);
	for (i = 0; i < n; i++)
		if (!strcmp(tc[i].name, GUARD_TC_PROG_NAME))
			return prog_map_fd(tc[i].id, GUARD_MAP_STATS);
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

int cmd_stats(int argc, char **argv)
{
	__u64 prev[GS__COUNT], cur[GS__COUNT];
	unsigned long watch = 0, top = 0;
	bool ports = false;
	struct sigaction sa = {};
	bool json = false;
	const char *ifname;
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
	fd = stats_find(ifindex);
	if (fd < 0) {
		if (fd == -EPERM)
			pr_warn("missing CAP_BPF/CAP_SYS_ADMIN to read guard's maps\n");
		else
			pr_warn("no shakeoff guard on %s\n", ifname);
		return fd == -EPERM ? EXIT_USAGE : 1;
	}
	err = guard_counters_read(fd, cur);
	if (err) {
		pr_warn("Failed to read map %s: %s\n", GUARD_MAP_STATS, strerror(-err));
		close(fd);
		return 1;
	}
	if (!watch) {
		if (json) {
			printf("{\"iface\":\"%s\",\"counters\":", ifname);
			guard_counters_print(stdout, cur, true);
			err = stats_views(ifindex, ports, top, true);
			printf("}\n");
		} else {
			guard_counters_print(stdout, cur, false);
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
		if (guard_counters_read(fd, cur)) {
			pr_warn("guard on %s is gone\n", ifname);
			break;
		}
		guard_counters_print_rates(stdout, ifname, cur, prev, watch, json);
	}
	close(fd);
	return 0;
}
