// SPDX-License-Identifier: GPL-2.0
/* shakeoff guard: the foreground controller of the SYN-cookie shield. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <netinet/in.h>

#include "core/attach.h"
#include "cmd/cmds.h"
#include "cmd/coexist_opts.h"
#include "cmd/conffile.h"
#include "cmd/optab.h"
#include "core/clock.h"
#include "core/ctlsock.h"
#include "guard/guard.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/nlwatch.h"
#include "core/sdnotify.h"
#include "core/opts.h"
#include "guard/apply.h"
#include "guard/control.h"
#include "guard/counters.h"
#include "guard/metrics.h"
#include "metrics/metrics.h"
#include "core/jsonl.h"

#define GUARD_TICK_MS 250

static volatile sig_atomic_t guard_exiting, guard_reload;

static void guard_on_signal(int sig)
{
	if (sig == SIGHUP)
		guard_reload = 1;
	else
		guard_exiting = 1;
}

/* What one parse of the command line (and --config FILE) gives. */
struct guard_conf {
	struct guard_opts o;
	bool json;
	unsigned long interval;
	const char *config; /* --config FILE, from argv */
	char *key_file; /* o.key_file's own copy: a config file's text is gone after the parse */
	bool overlap_set; /* --key-overlap given (it needs --key-file) */
};

static void guard_conf_free(struct guard_conf *k)
{
	if (!k)
		return;
	free(k->key_file);
	free(k);
}

/* A copy to change (a runtime request); NULL without memory. */
static struct guard_conf *guard_conf_clone(const struct guard_conf *k)
{
	struct guard_conf *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	memcpy(n, k, sizeof(*n));
	n->key_file = k->key_file ? strdup(k->key_file) : NULL;
	if (k->key_file && !n->key_file) {
		free(n);
		return NULL;
	}
	n->o.key_file = n->key_file;
	return n;
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
	{ "synack-rate", 'S', "PPS",
	  "cookie SYN-ACKs per second, all sources together;\nover it SYNs are dropped (default " OPTAB_STR(
		  LIMITS_SYNACK_RATE) ",\n0: no limit)" },
	{ "synack-rate-src", 's', "PPS",
	  "... and per source /24 or /64 (default " OPTAB_STR(
		  LIMITS_SYNACK_RATE_SRC) ", 0: no\nlimit)" },
	{ "allow", 'A', "CIDR",
	  "sources exempt from the SYN-ACK budgets and from a\nshorter --deny (repeatable)", false,
	  true },
	{ "deny", 'D', "CIDR",
	  "sources guard answers nothing and hands off no\nconnection (repeatable; the longest prefix of\n--allow/--deny wins)",
	  false, true },
	{ "key-file", 'k', "FILE",
	  "derive cookie keys from FILE's secret (16+ bytes) and\nthe wall clock: hosts sharing FILE accept each\nother's cookies" },
	{ "key-overlap", 'K', "SECONDS",
	  "a new secret in FILE: sign with it after SECONDS,\naccept the old one until 2xSECONDS (default 120,\n0: switch at once); hosts must all read it within\nSECONDS of each other" },
	{ "fix-sysctls", 'F', NULL, "set conflicting TCP sysctls to 1 instead of refusing" },
	COEXIST_OPTAB("guard"),
	{ "interval", 'i', "SECONDS", "seconds between stats lines (default 5, 0: none)" },
	{ "json", 'j', NULL, "JSON lines on stdout" },
	{ "metrics", 'M', "ADDR:PORT",
	  "serve Prometheus metrics at /metrics and a live\npage at / on IPv4:PORT or [IPv6]:PORT" },
	{ "config", 'C', "FILE",
	  "options from FILE, one 'key = value' a line (key: a\nlong option here); the command line's win;\nSIGHUP reads FILE again and applies changes live" },
	OPTAB_HELP,
};

/* Keys a config file may not hold: IFACE stays the command's argument, and no nesting. */
static const char *const guard_conf_refuse[] = { "iface", "config", NULL };

static void guard_usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff guard IFACE --ports PORTS [OPTIONS]\n\n"
		"Answer SYNs to the protected ports with SYN cookies in XDP and hand each\n"
		"verified final ACK to the kernel listener (TC ingress). Runs in the foreground;\n"
		"SIGINT/SIGTERM detach exactly what it attached; SIGHUP re-reads --config FILE\n"
		"and the command line and applies what changed without detaching.\n\n"
		"Options:\n");
	optab_print(f, guard_opts);
}

/* One option (optab_next()'s c, its value in optarg) into k. */
static int guard_opt(int c, struct guard_conf *k)
{
	struct guard_opts *o = &k->o;
	unsigned long v;

	switch (c) {
	case 'p':
		if (parse_port_list(optarg, o->ports, &o->nports))
			return usage_error("guard", "bad port list '%s'", optarg);
		break;
	case 'a':
		if (o->naddrs >= 2 * GUARD_MAX_ADDRS)
			return usage_error("guard", "at most %d --addr", 2 * GUARD_MAX_ADDRS);
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
	case 'S':
		if (parse_ulong(optarg, 0, 100000000UL, &o->synack_rate))
			return usage_error("guard", "--synack-rate takes 0-100000000");
		break;
	case 's':
		if (parse_ulong(optarg, 0, 100000000UL, &o->synack_rate_src))
			return usage_error("guard", "--synack-rate-src takes 0-100000000");
		break;
	case 'A':
	case 'D': {
		int e = limits_rule_add(o, optarg, c == 'D');

		if (e == -ENOSPC)
			return usage_error("guard", "at most %d --allow/--deny",
					   GUARD_SRC_RULES_MAX);
		if (e)
			return usage_error("guard", "bad prefix '%s'", optarg);
		break;
	}
	case 'k':
		o->key_file = optarg;
		break;
	case 'K':
		if (parse_ulong(optarg, 0, 86400, &o->key_overlap))
			return usage_error("guard", "--key-overlap takes 0-86400");
		k->overlap_set = true;
		break;
	case 'F':
		o->fix_sysctls = true;
		break;
	case 'i':
		if (parse_ulong(optarg, 0, 86400, &k->interval))
			return usage_error("guard", "bad --interval '%s'", optarg);
		break;
	case 'j':
		k->json = true;
		break;
	case 'C':
		k->config = optarg;
		break;
	case 'M':
		if (metrics_addr_parse(optarg, &(struct sockaddr_storage){}, &(socklen_t){ 0 }) ||
		    snprintf(o->metrics, sizeof(o->metrics), "%s", optarg) >=
			    (int)sizeof(o->metrics))
			return usage_error("guard", "--metrics takes IPv4:PORT or [IPv6]:PORT");
		break;
	default:
		return coexist_opt("guard", c, &o->share) == 1 ? 0 : EXIT_USAGE;
	}
	return 0;
}

/* Option keys: letters, and coexist_opts.h's (OPT_NEXT_PROG...) below this. */
#define GUARD_OPT_KEYS 0x2000
_Static_assert(OPT_XDP_STAGE < GUARD_OPT_KEYS, "on_cli[] covers every option key");

/* --config FILE's options, each unless the command line gave it (on_cli: by key). */
static int guard_parse_file(struct guard_conf *k, const bool *on_cli)
{
	struct conf_file cf;
	int c, err = 0;

	err = conf_read(k->config, "guard", guard_opts, guard_conf_refuse, &cf);
	if (err)
		return err;
	optab_reset();
	while (!err && (c = optab_next(cf.argc, cf.argv, "guard", guard_opts)) != OPTAB_END) {
		if (c == OPTAB_ERROR) {
			err = EXIT_USAGE;
			break;
		}
		if (c >= 0 && c < GUARD_OPT_KEYS && on_cli[c])
			continue;
		usage_set_origin(cf.where[optind - 1]);
		err = guard_opt(c, k);
		usage_set_origin(NULL);
	}
	/* o.key_file points into cf, which goes now */
	if (!err && k->o.key_file) {
		k->key_file = strdup(k->o.key_file);
		k->o.key_file = k->key_file;
		if (!k->key_file)
			err = 1;
	}
	conf_free(&cf);
	return err;
}

/*
 * The command line, then --config FILE under it: a key the command line
 * has (a repeatable one: all its values) is not taken from the file.
 * Returns 0, -1 (--help printed) or an exit code.
 */
static int guard_parse(int argc, char **argv, struct guard_conf *k)
{
	struct guard_opts *o = &k->o;
	bool on_cli[GUARD_OPT_KEYS] = { false };
	int c, err;

	o->mode = GUARD_COOKIES_ALWAYS;
	o->syn_threshold = 1000;
	o->wscale = -1;
	o->ttl = 64;
	o->rst_rate = 1000;
	o->rst_rate_src = 10;
	o->key_overlap = 120;
	o->synack_rate = LIMITS_SYNACK_RATE;
	o->synack_rate_src = LIMITS_SYNACK_RATE_SRC;
	k->interval = 5;
	optab_reset();
	while ((c = optab_next(argc, argv, "guard", guard_opts)) != OPTAB_END) {
		if (c == 'h') {
			guard_usage(stdout);
			return -1;
		}
		if (c == OPTAB_ERROR)
			return EXIT_USAGE;
		if (c >= 0 && c < GUARD_OPT_KEYS)
			on_cli[c] = true;
		err = guard_opt(c, k);
		if (err)
			return err;
	}
	if (optind >= argc)
		return usage_error("guard", "missing IFACE");
	if (optind + 1 < argc)
		return usage_error("guard", "unexpected argument '%s'", argv[optind + 1]);
	o->ifname = argv[optind];
	if (k->config) {
		err = guard_parse_file(k, on_cli);
		if (err)
			return err;
	} else if (o->key_file) {
		k->key_file = strdup(o->key_file);
		o->key_file = k->key_file;
		if (!k->key_file)
			return 1;
	}
	if (!o->nports && k->config)
		return usage_error("guard", "no ports: give --ports or 'ports = ...' in %s",
				   k->config);
	if (!o->nports)
		return usage_error("guard", "--ports is required");
	if (k->overlap_set && !o->key_file)
		return usage_error("guard", "--key-overlap needs --key-file");
	return coexist_opts_check("guard", &o->share, o->xdp_flags);
}

static int guard_default_addrs(struct guard_opts *o)
{
	unsigned int i, n4 = 0, n6 = 0;
	int n;

	o->addrs_auto = !o->naddrs;
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

/* A parse of the command line and its --config FILE; NULL with *err (-1: --help) */
static struct guard_conf *guard_conf_load(int argc, char **argv, int *err)
{
	struct guard_conf *k = calloc(1, sizeof(*k));

	*err = 1;
	if (!k)
		return NULL;
	*err = guard_parse(argc, argv, k);
	if (!*err && iface_index(k->o.ifname) < 0) {
		pr_warn("unknown interface '%s'\n", k->o.ifname);
		*err = EXIT_USAGE;
	}
	*err = *err ?: guard_default_addrs(&k->o);
	if (*err) {
		guard_conf_free(k);
		return NULL;
	}
	return k;
}

static void guard_refused(const struct guard_conf *k, const char *what, const char *why)
{
	if (k->json) {
		printf("%s,\"event\":\"%s_refused\",\"iface\":\"%s\",\"reason\":\"%s\"}\n",
		       json_ts(), what, k->o.ifname, why);
		fflush(stdout);
	} else {
		pr_warn("%s: %s refused, the running configuration stays: %s\n", k->o.ifname, what,
			why);
	}
}

/* SIGHUP: the command line and FILE again, applied live; the conf now running. */
static struct guard_conf *guard_do_reload(struct guard *g, struct guard_conf *cur, int argc,
					  char **argv)
{
	struct guard_conf *n;
	char why[256];
	int err;

	n = guard_conf_load(argc, argv, &err);
	if (!n) {
		guard_refused(cur, "reload",
			      cur->config ? "a bad option or config file (see the line above)" :
					    "a bad option (see the line above)");
		return cur;
	}
	err = guard_apply(g, &n->o, cur->json, why, sizeof(why));
	if (err < 0) {
		guard_refused(cur, "reload", why);
		guard_conf_free(n);
		return cur;
	}
	if (n->json)
		printf("%s,\"event\":\"reloaded\",\"iface\":\"%s\",\"changes\":%d}\n", json_ts(),
		       n->o.ifname, err);
	else
		printf("%s: reloaded%s%s: %d kind(s) of change\n", n->o.ifname,
		       n->config ? " " : "", n->config ? n->config : "", err);
	fflush(stdout);
	guard_conf_free(cur);
	return n;
}

/* One request on the control socket, applied as a reload is; the conf now running. */
static struct guard_conf *guard_do_control(struct guard *g, struct guard_conf *cur, int lfd)
{
	char line[CTL_LINE_MAX], reply[CTL_LINE_MAX], why[256];
	struct guard_conf *n;
	int cfd, r, err;

	cfd = ctlsock_accept(lfd, line, sizeof(line));
	if (cfd < 0)
		return cur;
	n = guard_conf_clone(cur);
	if (!n) {
		ctlsock_reply(cfd, "ERR out of memory");
		return cur;
	}
	r = control_parse(line, &cur->o, &n->o, reply, sizeof(reply));
	if (r == CONTROL_CHANGE) {
		err = guard_apply(g, &n->o, cur->json, why, sizeof(why));
		if (err < 0) {
			snprintf(reply, sizeof(reply), "ERR %s", why);
			r = CONTROL_ERR;
		}
	}
	pr_debug("%s: control request '%s': %s\n", cur->o.ifname, line, reply);
	ctlsock_reply(cfd, reply);
	if (r != CONTROL_CHANGE) {
		guard_conf_free(n);
		return cur;
	}
	guard_conf_free(cur);
	return n;
}

/* The stats line every --interval seconds. */
static void guard_print_stats(const struct guard *g, const struct guard_conf *k, __u64 *prev,
			      double *last_print)
{
	__u64 cur[GS__COUNT];

	if (!k->interval || clock_mono_sec() - *last_print < k->interval ||
	    guard_counters_read(guard_stats_fd(g), cur))
		return;
	guard_counters_print_rates(stdout, k->o.ifname, cur, prev, clock_mono_sec() - *last_print,
				   k->json);
	memcpy(prev, cur, sizeof(cur));
	*last_print = clock_mono_sec();
}

int cmd_guard(int argc, char **argv)
{
	__u64 prev[GS__COUNT] = {}, cur[GS__COUNT];
	double last_print, last_tick, now;
	struct guard_metrics *gm = NULL;
	int err, ctl_fd = -1, nl_fd = -1;
	struct sigaction sa = {};
	struct guard_conf *k;
	char name[128];
	struct guard g;

	k = guard_conf_load(argc, argv, &err);
	if (!k)
		return err < 0 ? 0 : err;

	sa.sa_handler = guard_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed stdout (| head) ends the run as SIGTERM does: detached, not killed */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	err = guard_start(&g, &k->o);
	if (!err && k->o.metrics[0])
		err = guard_metrics_start(&gm, &g, k->o.metrics);
	if (err)
		goto out;
	guard_announce(&g, &k->o, k->json);

	/* without them guard still guards: no runtime requests, no address following */
	ctlsock_name("guard", k->o.ifname, name, sizeof(name));
	ctl_fd = ctlsock_listen(name);
	if (ctl_fd < 0)
		pr_warn("Failed to listen on control socket @%s: %s (shakeoff ports will not "
			"reach this guard)\n",
			name, strerror(-ctl_fd));
	nl_fd = nlwatch_open();
	if (nl_fd < 0)
		pr_warn("Failed to watch address changes: %s (restart guard after one)\n",
			strerror(-nl_fd));
	/* to systemd: attached, and the control socket answers */
	sd_notify_ready("attached");

	last_print = last_tick = clock_mono_sec();
	while (!guard_exiting) {
		struct pollfd p[2] = { { .fd = ctl_fd, .events = POLLIN },
				       { .fd = nl_fd, .events = POLLIN } };
		double wait = last_tick + GUARD_TICK_MS / 1000.0 - clock_mono_sec();

		/* a negative fd is skipped by poll; a signal ends the wait early (EINTR) */
		poll(p, 2, wait > 0 ? (int)(wait * 1000.0) + 1 : 0);
		if (guard_exiting)
			break;
		if (guard_reload) {
			guard_reload = 0;
			sd_notify_reloading();
			k = guard_do_reload(&g, k, argc, argv);
			sd_notify_ready("attached");
		}
		if (p[1].revents && nlwatch_drain(nl_fd) > 0)
			guard_follow_iface(&g, k->json);
		if (p[0].revents & POLLIN)
			k = guard_do_control(&g, k, ctl_fd);
		now = clock_mono_sec();
		if (now - last_tick < GUARD_TICK_MS / 1000.0)
			continue;
		err = guard_tick(&g, (unsigned int)((now - last_tick) * 1000.0 + 0.5), k->json);
		last_tick = now;
		if (err)
			break;
		guard_print_stats(&g, k, prev, &last_print);
	}
	sd_notify_stopping();
	if (!guard_counters_read(guard_stats_fd(&g), cur)) {
		if (k->json) {
			printf("%s,\"event\":\"detached\",\"iface\":\"%s\",\"counters\":",
			       json_ts(), k->o.ifname);
			guard_counters_print(stdout, cur, true);
			printf("}\n");
		} else {
			printf("guard on %s detached\n", k->o.ifname);
		}
	}
out:
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (nl_fd >= 0)
		close(nl_fd);
	guard_metrics_stop(gm);
	guard_stop(&g);
	guard_conf_free(k);
	return err;
}
