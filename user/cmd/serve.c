// SPDX-License-Identifier: GPL-2.0
/* shakeoff serve: XDP owns the handshake, this process carries the data. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps/apps.h"
#include "cmd/cmds.h"
#include "core/log.h"
#include "core/opts.h"
#include "serve/serve.h"

static volatile sig_atomic_t serve_exiting;

static void serve_on_signal(int sig)
{
	(void)sig;
	serve_exiting = 1;
}

static void serve_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: shakeoff serve IFACE --port N [OPTIONS]\n\n"
		   "Serve TCP on IFACE's addresses: XDP completes and tears down connections in a\n"
		   "BPF flow table, this process carries the data over AF_XDP (one socket per RX\n"
		   "queue) and runs every timer. Foreground; SIGINT/SIGTERM detach.\n\n"
		   "  -p, --port N              port to serve\n"
		   "      --app NAME            the application (default echo):\n");
	for (i = 0; i < apps_count; i++)
		fprintf(f, "                            %-7s %s\n", apps_table[i].name,
			apps_table[i].help);
	fprintf(f,
		"      --syn-mode cookie|state|auto  SYN handling (default auto: stateful until\n"
		"                            the half-open table passes 256, then cookies)\n"
		"      --msl SECONDS         TIME_WAIT lasts 2*MSL (default 30)\n"
		"      --max-flows N         flow table size (default 65536)\n"
		"      --synack-retries N    SYN-ACK retransmissions in state mode (default 5)\n"
		"      --no-flow rst|drop    an ACK for no flow: RST as a listener would (default,\n"
		"                            1000/s per CPU at most) or drop\n"
		"      --busy-poll USEC      after a frame, poll the AF_XDP rings without sleeping\n"
		"                            for USEC microseconds before waiting in poll() again\n"
		"                            (default %u; 0: always wait). Cuts the wake-up from\n"
		"                            each segment's latency; costs CPU only while busy\n"
		"      --interval SECONDS    seconds between stats lines (default 5, 0: none)\n"
		"      --json                JSON lines on stdout\n"
		"  -h, --help                this text\n",
		SERVE_DEFAULT_BUSY_POLL_US);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = { { "port", required_argument, NULL, 'p' },
						  { "app", required_argument, NULL, 'a' },
						  { "syn-mode", required_argument, NULL, 's' },
						  { "msl", required_argument, NULL, 'm' },
						  { "max-flows", required_argument, NULL, 'f' },
						  { "synack-retries", required_argument, NULL,
						    'r' },
						  { "no-flow", required_argument, NULL, 'n' },
						  { "busy-poll", required_argument, NULL, 'b' },
						  { "interval", required_argument, NULL, 'i' },
						  { "json", no_argument, NULL, 'j' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct serve_opts o = { .app = "echo",
				.syn_mode = SERVE_SYN_AUTO,
				.msl_sec = 30,
				.max_flows = SERVE_DEFAULT_MAX_FLOWS,
				.synack_retries = 5,
				.busy_poll_us = SERVE_DEFAULT_BUSY_POLL_US };
	unsigned long v, interval = 5;
	struct sigaction sa = {};
	struct timespec t0, t;
	struct serve *s = NULL;
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
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
		case 'h':
			serve_usage(stdout);
			return 0;
		case ':':
			return usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("serve", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("serve", "missing IFACE");
	if (optind + 1 < argc)
		return usage_error("serve", "unexpected argument '%s'", argv[optind + 1]);
	o.ifname = argv[optind];
	if (!o.port)
		return usage_error("serve", "--port is required");

	sa.sa_handler = serve_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	err = serve_start(&s, &o);
	if (err)
		goto out;
	if (o.json)
		printf("{\"event\":\"attached\",\"iface\":\"%s\",\"port\":%u,\"app\":\"%s\"}\n",
		       o.ifname, o.port, o.app);
	else
		printf("serve on %s: port %u, app %s; Ctrl-C to detach\n", o.ifname, o.port, o.app);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!serve_exiting) {
		err = serve_poll(s, 100);
		if (err)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (interval && t.tv_sec - t0.tv_sec >= (time_t)interval) {
			serve_print_stats(s, o.json);
			t0 = t;
		}
	}
	serve_print_stats(s, o.json);
out:
	serve_stop(s);
	return err;
}
