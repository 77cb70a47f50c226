// SPDX-License-Identifier: GPL-2.0
/* shakeoff serve: XDP owns the handshake, this process carries the data. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps/apps.h"
#include "cmd/cmds.h"
#include "cmd/coexist_opts.h"
#include "cmd/optab.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sdnotify.h"
#include "core/opts.h"
#include "metrics/metrics.h"
#include "serve/metrics.h"
#include "serve/serve.h"

static volatile sig_atomic_t serve_exiting;

static void serve_on_signal(int sig)
{
	(void)sig;
	serve_exiting = 1;
}

/* The --app entry's value and help are made from the apps table (serve_usage()). */
#define APP_OPT 1

static struct optab serve_opts[] = {
	{ "port", 'p', "N", "port to serve", true },
	{ "app", 'a', "NAME", "the application (default echo)" },
	{ "syn-mode", 's', "cookie|state|auto",
	  "SYN handling (default auto: stateful until\n--max-half-open entries are half-open, then cookies;\nstate: the same with a larger bound)" },
	{ "msl", 'm', "SECONDS", "TIME_WAIT lasts 2*MSL (default 30)" },
	{ "max-flows", 'f', "N",
	  "flow table size (default 65536; 168 bytes of kernel\nmemory each, printed at start; refused above half of\nRAM). Full: a new connection's SYN gets a cookie, its\nfinal ACK a RST; nothing established is evicted" },
	{ "max-half-open", 'o', "N",
	  "half-open (SYN_RCVD) entries at most, within\n--max-flows (default " OPTAB_STR(SERVE_DEFAULT_HALF_OPEN_AUTO) " in auto, " OPTAB_STR(
		  SERVE_DEFAULT_HALF_OPEN_STATE) " in state mode,\nat most half of --max-flows). Reached: SYNs get a\ncookie SYN-ACK (counter tx_synack_halfopen_full)" },
	{ "synack-retries", 'r', "N", "SYN-ACK retransmissions in state mode (default 5)" },
	{ "synack-rtx-rate", 'R', "PPS",
	  "the controller's SYN-ACK retransmissions per second\nat most (default " OPTAB_STR(
		  SERVE_DEFAULT_SYNACK_RTX_RATE) "; 0: none); the rest are skipped\n(synack_rtx_limited)" },
	{ "no-flow", 'n', "rst|drop",
	  "an ACK for no flow: RST as a listener would (default,\n1000/s per CPU at most) or drop" },
	{ "busy-poll", 'b', "USEC",
	  "after a frame, poll the AF_XDP rings without sleeping\nfor USEC microseconds before waiting in poll() again\n(default " OPTAB_STR(
		  SERVE_DEFAULT_BUSY_POLL_US) "; 0: always wait). Cuts the wake-up from\neach segment's latency; costs CPU only while busy" },
	COEXIST_OPTAB("serve"),
	{ "interval", 'i', "SECONDS", "seconds between stats lines (default 5, 0: none)" },
	{ "json", 'j', NULL, "JSON lines on stdout" },
	{ "metrics", 'M', "ADDR:PORT",
	  "serve Prometheus metrics at /metrics and a live\npage at / on IPv4:PORT or [IPv6]:PORT" },
	OPTAB_HELP,
};

static void serve_usage(FILE *f)
{
	static char arg[64], help[512];
	size_t i, n;

	for (i = 0, n = 0; i < apps_count && n < sizeof(arg); i++)
		n += (size_t)snprintf(arg + n, sizeof(arg) - n, "%s%s", i ? "|" : "",
				      apps_table[i].name);
	n = (size_t)snprintf(help, sizeof(help), "the application (default echo):");
	for (i = 0; i < apps_count && n < sizeof(help); i++)
		n += (size_t)snprintf(help + n, sizeof(help) - n, "\n  %-7s %s", apps_table[i].name,
				      apps_table[i].help);
	serve_opts[APP_OPT].arg = arg;
	serve_opts[APP_OPT].help = help;
	fprintf(f, "Usage: shakeoff serve IFACE --port N [OPTIONS]\n\n"
		   "Serve TCP on IFACE's addresses: XDP completes and tears down connections in a\n"
		   "BPF flow table, this process carries the data over AF_XDP (one socket per RX\n"
		   "queue) and runs every timer. Foreground; SIGINT/SIGTERM detach.\n\n"
		   "Options:\n");
	optab_print(f, serve_opts);
}

/* Bytes of RAM (MemTotal), 0 if unknown. */
static unsigned long long mem_total(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* --max-half-open's default and the bounds between the sizes; 0 or an exit code. */
static int serve_limits(struct serve_opts *o)
{
	unsigned long long ram = mem_total(), need = serve_flow_table_bytes(o->max_flows);

	if (ram && need > ram / 2)
		return usage_error(
			"serve",
			"--max-flows %lu needs %.1f GiB of kernel memory, more than half "
			"of this machine's %.1f GiB",
			o->max_flows, (double)need / (1 << 30), (double)ram / (1 << 30));
	if (!o->max_half_open) {
		o->max_half_open = o->syn_mode == SERVE_SYN_STATE ? SERVE_DEFAULT_HALF_OPEN_STATE :
								    SERVE_DEFAULT_HALF_OPEN_AUTO;
		if (o->max_half_open > o->max_flows / 2)
			o->max_half_open = o->max_flows / 2 ? o->max_flows / 2 : 1;
	} else if (o->max_half_open > o->max_flows) {
		return usage_error("serve", "--max-half-open %lu exceeds --max-flows %lu",
				   o->max_half_open, o->max_flows);
	}
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .app = "echo",
				.syn_mode = SERVE_SYN_AUTO,
				.msl_sec = 30,
				.max_flows = SERVE_DEFAULT_MAX_FLOWS,
				.synack_retries = 5,
				.synack_rtx_rate = SERVE_DEFAULT_SYNACK_RTX_RATE,
				.busy_poll_us = SERVE_DEFAULT_BUSY_POLL_US };
	unsigned long v, interval = 5;
	struct sigaction sa = {};
	double last;
	struct serve_metrics *sm = NULL;
	const char *metrics = NULL;
	struct serve *s = NULL;
	int c, err;

	optab_reset();
	while ((c = optab_next(argc, argv, "serve", serve_opts)) != OPTAB_END) {
		switch (c) {
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &v))
				return usage_error("serve", "bad --port '%s'", optarg);
			o.port = v;
			break;
		case 'a':
			if (!apps_find(optarg)) {
				char names[128];

				return usage_error("serve", "--app takes %s",
						   apps_names(names, sizeof(names), " or "));
			}
			o.app = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "cookie"))
				o.syn_mode = SERVE_SYN_COOKIE;
			else if (!strcmp(optarg, "state"))
				o.syn_mode = SERVE_SYN_STATE;
			else if (!strcmp(optarg, "auto"))
				o.syn_mode = SERVE_SYN_AUTO;
			else
				return usage_error("serve",
						   "--syn-mode takes cookie, state or auto");
			break;
		case 'm':
			if (parse_ulong(optarg, 1, 3600, &o.msl_sec))
				return usage_error("serve", "--msl takes 1-3600 seconds");
			break;
		case 'f':
			if (parse_ulong(optarg, 1, 1UL << 24, &o.max_flows))
				return usage_error("serve", "--max-flows takes 1-16777216");
			break;
		case 'o':
			if (parse_ulong(optarg, 1, 1UL << 24, &o.max_half_open))
				return usage_error("serve", "--max-half-open takes 1-16777216");
			break;
		case 'R':
			if (parse_ulong(optarg, 0, 1000000, &o.synack_rtx_rate))
				return usage_error("serve",
						   "--synack-rtx-rate takes 0-1000000 per second");
			break;
		case 'r':
			if (parse_ulong(optarg, 0, 20, &o.synack_retries))
				return usage_error("serve", "--synack-retries takes 0-20");
			break;
		case 'n':
			if (!strcmp(optarg, "rst"))
				o.no_flow = SERVE_NO_FLOW_RST;
			else if (!strcmp(optarg, "drop"))
				o.no_flow = SERVE_NO_FLOW_DROP;
			else
				return usage_error("serve", "--no-flow takes rst or drop");
			break;
		case 'b':
			if (parse_ulong(optarg, 0, 1000000, &o.busy_poll_us))
				return usage_error("serve",
						   "--busy-poll takes 0-1000000 microseconds");
			break;
		case 'i':
			if (parse_ulong(optarg, 0, 86400, &interval))
				return usage_error("serve", "bad --interval '%s'", optarg);
			break;
		case 'j':
			o.json = true;
			break;
		case 'M':
			if (metrics_addr_parse(optarg, &(struct sockaddr_storage){},
					       &(socklen_t){ 0 }))
				return usage_error("serve",
						   "--metrics takes IPv4:PORT or [IPv6]:PORT");
			metrics = optarg;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			if (coexist_opt("serve", c, &o.share) != 1)
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("serve", "missing IFACE");
	if (optind + 1 < argc)
		return usage_error("serve", "unexpected argument '%s'", argv[optind + 1]);
	o.ifname = argv[optind];
	if (!o.port)
		return usage_error("serve", "--port is required");
	err = coexist_opts_check("serve", &o.share, 0);
	if (err)
		return err;
	err = serve_limits(&o);
	if (err)
		return err;

	sa.sa_handler = serve_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed stdout (| head) ends the run as SIGTERM does: detached, not killed */
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	err = serve_start(&s, &o);
	if (!err && metrics)
		err = serve_metrics_start(&sm, s, metrics);
	if (err)
		goto out;
	if (o.json)
		printf("{\"event\":\"attached\",\"iface\":\"%s\",\"port\":%u,\"app\":\"%s\"}\n",
		       o.ifname, o.port, o.app);
	else
		printf("serve on %s: port %u, app %s; Ctrl-C to detach\n", o.ifname, o.port, o.app);
	fflush(stdout);
	sd_notify_ready("serving");
	serve_print_memory(s, o.json);
	last = clock_mono_sec();
	while (!serve_exiting) {
		err = serve_poll(s, 100);
		if (err)
			break;
		if (interval && clock_mono_sec() - last >= (double)interval) {
			serve_print_stats(s, o.json);
			last = clock_mono_sec();
		}
	}
	sd_notify_stopping();
	serve_print_stats(s, o.json);
out:
	serve_metrics_stop(sm);
	serve_stop(s);
	return err;
}
