// SPDX-License-Identifier: GPL-2.0
/*
 * test_trace_collect.sh's consumer of user/trace/collect.c: one line per
 * event until SIGINT/SIGTERM or --duration seconds, so a test can grep for
 * what the collector delivered before `shakeoff trace`'s own output exists.
 *
 *   trace_dump IFACE [PORT [SECONDS]]
 *
 * Prints "ready PRODUCER" once attached, then per event:
 *   seg SRC DIR ACT fam=F flags=FLAGS L=ADDR:PORT R=ADDR:PORT seq= ack= len= win= opts=... reason=
 *   state SRC fam=F L=.. R=.. OLD>NEW
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <shakeoff/tcp_state.h>
#include "trace/collect.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *src_name(unsigned int s)
{
	static const char *const n[] = { "?", "xdp", "tc_in", "tc_out", "ctl", "sock" };

	return s < 6 ? n[s] : "?";
}

static const char *act_name(unsigned int a)
{
	static const char *const n[] = { "seen", "pass", "tx", "drop", "redirect", "handoff" };

	return a < 6 ? n[a] : "?";
}

static void addr(char *buf, size_t len, int family, const __u8 *a, unsigned int port)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
	snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void on_ev(void *ctx, const struct so_trace_ev *ev)
{
	static const char fl[] = "FSRPAUEC";
	char l[64], r[64], flags[9] = "";
	int i, n = 0;

	(void)ctx;
	addr(l, sizeof(l), ev->family, ev->laddr, ev->lport);
	addr(r, sizeof(r), ev->family, ev->raddr, ev->rport);
	if (ev->kind == SO_TRACE_STATE) {
		printf("state %s fam=%u L=%s R=%s %s>%s\n", src_name(ev->src), ev->family, l, r,
		       tcp_state_name(ev->old_state), tcp_state_name(ev->new_state));
	} else {
		for (i = 0; i < 8; i++)
			if (ev->tcp_flags & (1 << i))
				flags[n++] = fl[i];
		flags[n] = 0;
		printf("seg %s %s %s fam=%u flags=%s L=%s R=%s seq=%u ack=%u len=%u win=%u "
		       "mss=%u ws=%u sackok=%u ts=%u:%u sack=%u reason=%u\n",
		       src_name(ev->src), ev->dir ? "out" : "in", act_name(ev->act), ev->family,
		       flags, l, r, ev->seq, ev->ack, ev->len, ev->win,
		       ev->opt_flags & SO_TRACE_OPT_MSS ? ev->mss : 0,
		       ev->opt_flags & SO_TRACE_OPT_WSCALE ? ev->wscale : 0,
		       !!(ev->opt_flags & SO_TRACE_OPT_SACK_PERM), ev->tsval, ev->tsecr,
		       ev->sack_blocks, ev->reason);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct trace_filter f = {};
	struct trace_collect *tc;
	time_t end;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: trace_dump IFACE [PORT [SECONDS]]\n");
		return 2;
	}
	if (argc > 2)
		f.port = (__u16)atoi(argv[2]);
	end = time(NULL) + (argc > 3 ? atoi(argv[3]) : 30);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = trace_collect_open(&tc, argv[1], &f, on_ev, NULL);
	if (err)
		return 1;
	printf("ready %s\n", *trace_collect_producer(tc) ? trace_collect_producer(tc) : "kernel");
	fflush(stdout);
	while (!stop && time(NULL) < end) {
		err = trace_collect_poll(tc, 100);
		if (err < 0)
			break;
	}
	trace_collect_close(tc);
	return err < 0 ? 1 : 0;
}
