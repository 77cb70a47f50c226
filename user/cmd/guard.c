// SPDX-License-Identifier: GPL-2.0
/* shakeoff guard: the foreground controller of the SYN-cookie shield. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_link.h>
#include <netinet/in.h>

#include "core/attach.h"
#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/clock.h"
#include "guard/guard.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "guard/counters.h"
#include "core/jsonl.h"

#define GUARD_TICK_MS 250

static volatile sig_atomic_t guard_exiting;

static void guard_on_signal(int sig)
{
	(void)sig;
	guard_exiting = 1;
}

static const struct optab guard_opts[] = {
	{ "ports", 'p', "LIST", "ports to protect: 80,443,8000-8010", true },
	{ "addr", 'a', "IP",
	  "protect this local address (repeatable; default:\nevery address of IFACE)", true, true },
	{ "cookies", 'c', "always|auto",
	  "always (default): every SYN gets a cookie;\nauto: SYNs go to the kernel until a port sees more\nthan --syn-threshold SYN/s" },
	{ "syn-threshold", 'T', "PPS", "SYN/s per port that turns cookies on (default 1000)" },
	{ "xdp-mode", 'x', "native|generic", "(default: native where the driver has it)" },
	{ "mss", 'm', "N", "MSS we announce (default: MTU-40, IPv6 MTU-60)" },
	{ "wscale", 'w', "N", "window scale we announce, 0-14 (default: as Linux)" },
	{ "ttl", 't', "N", "TTL / hop limit of our replies (default 64)" },
	{ "rst-rate", 'r', "PPS",
	  "RSTs to stray ACKs/FINs (no connection), as Linux\nsends them: at most PPS per second (default 1000,\n0: none)" },
	{ "rst-rate-src", 'R', "PPS", "... and PPS per source /24 or /64 (default 10)" },
	{ "key-file", 'k', "FILE",
	  "derive cookie keys from FILE's secret (16+ bytes) and\nthe wall clock: hosts sharing FILE accept each\nother's cookies" },
	{ "fix-sysctls", 'F', NULL, "set conflicting TCP sysctls to 1 instead of refusing" },
	{ "interval", 'i', "SECONDS", "seconds between stats lines (default 5, 0: none)" },
	{ "json", 'j', NULL, "JSON lines on stdout" },
	OPTAB_HELP,
};

static void guard_usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff guard IFACE --ports PORTS [OPTIONS]\n\n"
		"Answer SYNs to the protected ports with SYN cookies in XDP and hand each\n"
		"verified final ACK to the kernel listener (TC ingress). Runs in the foreground;\n"
		"SIGINT/SIGTERM detach exactly what it attached.\n\n"
		"Options:\n");
	optab_print(f, guard_opts);
}

static int guard_parse(int argc, char **argv, struct guard_opts *o, bool *json,
		       unsigned long *interval)
{
	unsigned long v;
	int c;

	o->mode = GUARD_COOKIES_ALWAYS;
	o->syn_threshold = 1000;
	o->wscale = -1;
	o->ttl = 64;
	o->rst_rate = 1000;
	o->rst_rate_src = 10;
	*interval = 5;
	optab_reset();
	while ((c = optab_next(argc, argv, "guard", guard_opts)) != OPTAB_END) {
		switch (c) {
		case 'p':
			if (parse_port_list(optarg, o->ports, &o->nports))
				return usage_error("guard", "bad port list '%s'", optarg);
			break;
		case 'a':
			if (o->naddrs >= 2 * GUARD_MAX_ADDRS)
				return usage_error("guard", "at most %d --addr",
						   2 * GUARD_MAX_ADDRS);
			if (parse_ip(optarg, &o->addrs[o->naddrs]))
				return usage_error("guard", "bad address '%s'", optarg);
			o->naddrs++;
			break;
		case 'c':
			if (!strcmp(optarg, "always"))
				o->mode = GUARD_COOKIES_ALWAYS;
			else if (!strcmp(optarg, "auto"))
				o->mode = GUARD_COOKIES_AUTO;
			else
				return usage_error("guard", "--cookies takes always or auto");
			break;
		case 'T':
			if (parse_ulong(optarg, 1, 1000000000UL, &o->syn_threshold))
				return usage_error("guard", "bad --syn-threshold '%s'", optarg);
			break;
		case 'x':
			if (parse_xdp_mode(optarg, &o->xdp_flags))
				return usage_error("guard", "--xdp-mode takes native or generic");
			break;
		case 'm':
			if (parse_ulong(optarg, 536, 65495, &v))
				return usage_error("guard", "--mss takes 536-65495");
			o->mss = v;
			break;
		case 'w':
			if (parse_ulong(optarg, 0, 14, &v))
				return usage_error("guard", "--wscale takes 0-14");
			o->wscale = v;
			break;
		case 't':
			if (parse_ulong(optarg, 1, 255, &v))
				return usage_error("guard", "--ttl takes 1-255");
			o->ttl = v;
			break;
		case 'r':
			if (parse_ulong(optarg, 0, 10000000UL, &o->rst_rate))
				return usage_error("guard", "--rst-rate takes 0-10000000");
			break;
		case 'R':
			if (parse_ulong(optarg, 1, 10000000UL, &o->rst_rate_src))
				return usage_error("guard", "--rst-rate-src takes 1-10000000");
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'F':
			o->fix_sysctls = true;
			break;
		case 'i':
			if (parse_ulong(optarg, 0, 86400, interval))
				return usage_error("guard", "bad --interval '%s'", optarg);
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			guard_usage(stdout);
			return -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("guard", "missing IFACE");
	if (optind + 1 < argc)
		return usage_error("guard", "unexpected argument '%s'", argv[optind + 1]);
	o->ifname = argv[optind];
	if (!o->nports)
		return usage_error("guard", "--ports is required");
	return 0;
}

static int guard_default_addrs(struct guard_opts *o)
{
	unsigned int i, n4 = 0, n6 = 0;
	int n;

	if (!o->naddrs) {
		n = iface_addrs(o->ifname, o->addrs, 2 * GUARD_MAX_ADDRS);
		if (n < 0) {
			pr_warn("Failed to list the addresses of %s: %s\n", o->ifname,
				strerror(-n));
			return 1;
		}
		if (!n) {
			pr_warn("%s has no IP address: add one or give --addr\n", o->ifname);
			return EXIT_USAGE;
		}
		o->naddrs = n;
	}
	for (i = 0; i < o->naddrs; i++) {
		if (o->addrs[i].family == AF_INET)
			n4++;
		else
			n6++;
	}
	if (n4 > GUARD_MAX_ADDRS || n6 > GUARD_MAX_ADDRS) {
		pr_warn("at most %d addresses per family can be protected\n", GUARD_MAX_ADDRS);
		return EXIT_USAGE;
	}
	return 0;
}

static void guard_announce(const struct guard *g, const struct guard_opts *o, bool json)
{
	__u64 maps = guard_maps_memlock(g);

	char buf[INET6_ADDRSTRLEN];
	unsigned int i, n = 0;

	if (json) {
		printf("%s,\"event\":\"attached\",\"iface\":\"%s\",\"cookies\":\"%s\",\"ports\":[",
		       json_ts(), o->ifname, o->mode == GUARD_COOKIES_AUTO ? "auto" : "always");
		for (i = 0; i < 65536; i++)
			if (o->ports[i])
				printf("%s%u", n++ ? "," : "", i);
		printf("],\"addrs\":[");
		for (i = 0; i < o->naddrs; i++)
			printf("%s\"%s\"", i ? "," : "", ip_str(&o->addrs[i], buf, sizeof(buf)));
		printf("],\"xdp_mode\":\"%s\",\"maps_bytes\":%llu}\n", xdp_attach_mode(g->ifindex),
		       (unsigned long long)maps);
	} else {
		printf("guard on %s: %u port(s), %u address(es), cookies %s, XDP %s, maps %.1f MiB of "
		       "kernel memory; Ctrl-C to detach\n",
		       o->ifname, o->nports, o->naddrs,
		       o->mode == GUARD_COOKIES_AUTO ? "auto" : "always",
		       xdp_attach_mode(g->ifindex), (double)maps / (1024.0 * 1024.0));
	}
	fflush(stdout);
}

int cmd_guard(int argc, char **argv)
{
	struct timespec tick = { 0, GUARD_TICK_MS * 1000000L };
	struct guard_opts *o = calloc(1, sizeof(*o));
	__u64 prev[GS__COUNT] = {}, cur[GS__COUNT];
	unsigned long interval;
	struct sigaction sa = {};
	double last_print;
	struct guard g;
	bool json = false;
	int err;

	if (!o)
		return 1;
	err = guard_parse(argc, argv, o, &json, &interval);
	if (err) {
		free(o);
		return err < 0 ? 0 : err;
	}
	if (iface_index(o->ifname) < 0) {
		pr_warn("unknown interface '%s'\n", o->ifname);
		free(o);
		return EXIT_USAGE;
	}
	err = guard_default_addrs(o);
	if (err) {
		free(o);
		return err;
	}

	sa.sa_handler = guard_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed stdout (| head) ends the run as SIGTERM does: detached, not killed */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	err = guard_start(&g, o);
	if (err)
		goto out;
	guard_announce(&g, o, json);

	last_print = clock_mono_sec();
	while (!guard_exiting) {
		nanosleep(&tick, NULL);
		if (guard_exiting)
			break;
		err = guard_tick(&g, GUARD_TICK_MS, json);
		if (err)
			break;
		if (interval && clock_mono_sec() - last_print >= interval &&
		    !guard_counters_read(guard_stats_fd(&g), cur)) {
			guard_counters_print_rates(stdout, o->ifname, cur, prev,
						   clock_mono_sec() - last_print, json);
			memcpy(prev, cur, sizeof(prev));
			last_print = clock_mono_sec();
		}
	}
	if (!guard_counters_read(guard_stats_fd(&g), cur)) {
		if (json) {
			printf("%s,\"event\":\"detached\",\"iface\":\"%s\",\"counters\":",
			       json_ts(), o->ifname);
			guard_counters_print(stdout, cur, true);
			printf("}\n");
		} else {
			printf("guard on %s detached\n", o->ifname);
		}
	}
out:
	guard_stop(&g);
	free(o);
	return err;
}
