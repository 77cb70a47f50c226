// SPDX-License-Identifier: GPL-2.0
/*
 * The ladder of `shakeoff trace` (user/trace/ladder.c): scripted event
 * sequences, as the collector would deliver them, against the exact lines
 * they must draw, and the JSON lines against a JSON parser.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <shakeoff/tcp_state.h>

#include "testlib.h"
#include "core/stat_names.h"
#include "trace/ladder.h"

#define SYN 0x02
#define FIN 0x01
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define IN SO_TRACE_IN
#define OUT SO_TRACE_OUT
#define CISN 1000u /* the client's ISN */
#define SISN 5000u /* the server's */
#define T0 1000000000ULL

static int family = 4;

/* A segment t_us after T0, seen by the trace's TC observer of its direction. */
static struct so_trace_ev seg(unsigned int t_us, int dir, unsigned int flags, __u32 seq, __u32 ack,
			      __u32 len, __u16 win)
{
	struct so_trace_ev e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = T0 + t_us * 1000ULL;
	e.kind = SO_TRACE_SEG;
	e.src = dir == IN ? SO_TRACE_SRC_TC_IN : SO_TRACE_SRC_TC_OUT;
	e.dir = dir;
	e.family = family;
	e.tcp_flags = flags;
	if (family == 6) {
		inet_pton(AF_INET6, "fd00::2", e.laddr);
		inet_pton(AF_INET6, "fd00::1", e.raddr);
	} else {
		inet_pton(AF_INET, "10.0.0.2", e.laddr);
		inet_pton(AF_INET, "10.0.0.1", e.raddr);
	}
	e.lport = 8080;
	e.rport = 40000;
	e.seq = seq;
	e.ack = ack;
	e.len = len;
	e.win = win;
	return e;
}

static struct so_trace_ev syn_opts(struct so_trace_ev e)
{
	e.opt_flags = SO_TRACE_OPT_MSS | SO_TRACE_OPT_WSCALE | SO_TRACE_OPT_SACK_PERM;
	e.mss = 1460;
	e.wscale = 7;
	return e;
}

static struct so_trace_ev state(unsigned int t_us, __u8 old, __u8 now)
{
	struct so_trace_ev e = seg(t_us, OUT, 0, 0, 0, 0, 0);

	e.kind = SO_TRACE_STATE;
	e.src = SO_TRACE_SRC_SOCK;
	e.tcp_flags = 0;
	e.old_state = old;
	e.new_state = now;
	return e;
}

static char *out_buf;
static size_t out_len;

/* Feed the events in the order given, drain, return the text (until the next call). */
static const char *run(const struct ladder_cfg *cfg, const struct so_trace_ev *ev, size_t n,
		       unsigned int *done)
{
	struct ladder *l;
	FILE *f;
	size_t i;

	free(out_buf);
	out_buf = NULL;
	f = open_memstream(&out_buf, &out_len);
	if (!f)
		return "";
	l = ladder_new(cfg, f);
	if (!l) {
		fclose(f);
		return "";
	}
	for (i = 0; i < n; i++)
		ladder_add(l, &ev[i]);
	ladder_finish(l);
	if (done)
		*done = ladder_done(l);
	ladder_free(l);
	fclose(f);
	return out_buf ? out_buf : "";
}

/* The output against the expected lines, the first difference noted. */
static bool lines_are(const char *got, const char *const *want, size_t n)
{
	const char *p = got;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 100) {
			tl_note("    line %zu is wider than 100 columns: |%.*s|\n", i + 1, (int)len,
				p);
			return false;
		}
		if (!nl || len != strlen(want[i]) || memcmp(p, want[i], len)) {
			tl_note("    line %zu:\n      want |%s|\n      got  |%.*s|\n", i + 1,
				want[i], (int)len, p);
			tl_note("    the whole output:\n%s", got);
			return false;
		}
		p = nl + 1;
	}
	if (*p) {
		tl_note("    more lines than expected:\n%s", p);
		return false;
	}
	return true;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LINES(got, want) ASSERT(lines_are((got), (want), N(want)), "the ladder's lines")

static const char *const head4[] = {
	"conn 1: client 10.0.0.1:40000, server 10.0.0.2:8080 (IPv4)",
	"  1        ms client                                                                     server",
	"  1           CLOSED                                                                     LISTEN",
};

/* The handshake both close tests start with: SYN, SYN-ACK, ACK, 5 bytes each way. */
static size_t handshake(struct so_trace_ev *ev)
{
	size_t n = 0;

	ev[n++] = syn_opts(seg(0, IN, SYN, CISN, 0, 0, 64240));
	ev[n++] = syn_opts(seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160));
	ev[n++] = seg(200, IN, ACK, CISN + 1, SISN + 1, 0, 502);
	ev[n++] = seg(1000, IN, PSH | ACK, CISN + 1, SISN + 1, 5, 502);
	ev[n++] = seg(1100, OUT, ACK, SISN + 1, CISN + 6, 0, 509);
	ev[n++] = seg(2000, OUT, PSH | ACK, SISN + 1, CISN + 6, 5, 509);
	ev[n++] = seg(2100, IN, ACK, CISN + 6, SISN + 6, 0, 502);
	return n;
}

#define HANDSHAKE_LINES                                                                                                 \
	"  1     0.000 SYN_SENT    -- SYN seq=0 len=0 win=64240 mss=1460 sack ws=7 -------------> SYN_RCVD",            \
		"  1     0.100 ESTABLISHED <--- SYN,ACK seq=0 ack=1 len=0 win=65160 mss=1460 sack ws=7 --",             \
		"  1     0.200             -- ACK seq=1 ack=1 len=0 win=502 ----------------------------> ESTABLISHED", \
		"  1     1.000             -- PSH,ACK seq=1 ack=1 len=5 win=502 ------------------------>",             \
		"  1     1.100             <---------------------------- ACK seq=1 ack=6 len=0 win=509 --",             \
		"  1     2.000             <------------------------ PSH,ACK seq=1 ack=6 len=5 win=509 --",             \
		"  1     2.100             -- ACK seq=6 ack=6 len=0 win=502 ---------------------------->"

static void test_client_close(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000 FIN_WAIT_1  -- FIN,ACK seq=6 ack=6 len=0 win=502 ------------------------> CLOSE_WAIT",
		"  1     3.100 FIN_WAIT_2  <---------------------------- ACK seq=6 ack=7 len=0 win=509 --",
		"  1     4.000 TIME_WAIT   <------------------------ FIN,ACK seq=6 ack=7 len=0 win=509 -- LAST_ACK",
		"  1     4.100             -- ACK seq=7 ack=7 len=0 win=502 ----------------------------> CLOSED",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[16];
	unsigned int done = 0;
	size_t n;

	tl_begin("three-way handshake, data, client close: states on both sides");
	n = handshake(ev);
	ev[n++] = seg(3000, IN, FIN | ACK, CISN + 6, SISN + 6, 0, 502);
	ev[n++] = seg(3100, OUT, ACK, SISN + 6, CISN + 7, 0, 509);
	ev[n++] = seg(4000, OUT, FIN | ACK, SISN + 6, CISN + 7, 0, 509);
	ev[n++] = seg(4100, IN, ACK, CISN + 7, SISN + 7, 0, 502);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

/* The kernel's word on the server's states, as the collector reports them. */
static void test_server_close(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000 CLOSE_WAIT  <------------------------ FIN,ACK seq=6 ack=6 len=0 win=509 -- FIN_WAIT_1",
		"  1     3.100             -- ACK seq=6 ack=7 len=0 win=502 ----------------------------> FIN_WAIT_2",
		"  1     4.000 LAST_ACK    -- FIN,ACK seq=6 ack=7 len=0 win=502 ------------------------> TIME_WAIT",
		"  1     4.100 CLOSED      <---------------------------- ACK seq=7 ack=7 len=0 win=509 --",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[20];
	unsigned int done = 0;
	size_t n;

	tl_begin("server close, server states from the kernel's STATE events");
	n = handshake(ev);
	/* close(): the state change comes just before the FIN it sends */
	ev[n++] = state(2990, TCPS_ESTABLISHED, TCPS_FIN_WAIT_1);
	ev[n++] = seg(3000, OUT, FIN | ACK, SISN + 6, CISN + 6, 0, 509);
	ev[n++] = seg(3100, IN, ACK, CISN + 6, SISN + 7, 0, 502);
	ev[n++] = state(3110, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2);
	ev[n++] = seg(4000, IN, FIN | ACK, CISN + 6, SISN + 7, 0, 502);
	/* the tracepoint's last word on a socket handed on to a timewait socket */
	ev[n++] = state(4010, TCPS_FIN_WAIT_2, TCPS_CLOSED);
	ev[n++] = seg(4100, OUT, ACK, SISN + 7, CISN + 7, 0, 509);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

/* An orphan's FIN acked: the kernel hands it to a timewait socket in FIN_WAIT_2 at once. */
static void test_server_close_orphan(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000 CLOSE_WAIT  <------------------------ FIN,ACK seq=6 ack=6 len=0 win=509 -- FIN_WAIT_1",
		"  1     3.100             -- ACK seq=6 ack=7 len=0 win=502 ----------------------------> FIN_WAIT_2",
		"  1     4.000 LAST_ACK    -- FIN,ACK seq=6 ack=7 len=0 win=502 ------------------------> TIME_WAIT",
		"  1     4.100 CLOSED      <---------------------------- ACK seq=7 ack=7 len=0 win=509 --",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[20];
	unsigned int done = 0;
	size_t n;

	tl_begin("server close() before the ACK: FIN_WAIT_2 on the ACK, TIME_WAIT on the FIN");
	n = handshake(ev);
	ev[n++] = state(2990, TCPS_ESTABLISHED, TCPS_FIN_WAIT_1);
	ev[n++] = seg(3000, OUT, FIN | ACK, SISN + 6, CISN + 6, 0, 509);
	ev[n++] = seg(3100, IN, ACK, CISN + 6, SISN + 7, 0, 502);
	/* both beside the ACK: the full socket's last word, which the collector calls TIME_WAIT */
	ev[n++] = state(3110, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2);
	ev[n++] = state(3111, TCPS_FIN_WAIT_2, TCPS_TIME_WAIT);
	/* the timewait socket takes the FIN: no STATE event */
	ev[n++] = seg(4000, IN, FIN | ACK, CISN + 6, SISN + 7, 0, 502);
	ev[n++] = seg(4100, OUT, ACK, SISN + 7, CISN + 7, 0, 509);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

/* Both FINs on the wire at once: neither acks the other's. */
static void test_simultaneous_close(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000             <------------------------ FIN,ACK seq=6 ack=6 len=0 win=509 -- FIN_WAIT_1",
		"  1     3.050 FIN_WAIT_1  -- FIN,ACK seq=6 ack=6 len=0 win=502 ------------------------> CLOSING",
		"  1     3.050 CLOSING        (the server's FIN arrives)",
		"  1     3.100 TIME_WAIT   <---------------------------- ACK seq=7 ack=7 len=0 win=509 --",
		"  1     3.150             -- ACK seq=7 ack=7 len=0 win=502 ----------------------------> TIME_WAIT",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[20];
	unsigned int done = 0;
	size_t n;

	tl_begin("simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides");
	n = handshake(ev);
	ev[n++] = seg(3000, OUT, FIN | ACK, SISN + 6, CISN + 6, 0, 509);
	ev[n++] = seg(3050, IN, FIN | ACK, CISN + 6, SISN + 6, 0, 502);
	ev[n++] = seg(3100, OUT, ACK, SISN + 7, CISN + 7, 0, 509);
	ev[n++] = seg(3150, IN, ACK, CISN + 7, SISN + 7, 0, 502);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

static void test_rst(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000             -- RST seq=100000 len=0 win=0 ------------------------------->",
		"  1                          (ignored: outside the window)",
		"  1     3.100             -- RST seq=7 len=0 win=0 ------------------------------------>",
		"  1                          (in the window, not next: challenge ACK)",
		"  1     3.200 CLOSED      -- RST,ACK seq=6 ack=6 len=0 win=0 --------------------------> CLOSED",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[20];
	unsigned int done = 0;
	size_t n;

	tl_begin("RST outside the window ignored, inside challenged, exact -> CLOSED");
	n = handshake(ev);
	ev[n++] = seg(3000, IN, RST, CISN + 100000, 0, 0, 0);
	ev[n++] = seg(3100, IN, RST, CISN + 7, 0, 0, 0);
	ev[n++] = seg(3200, IN, RST | ACK, CISN + 6, SISN + 6, 0, 0);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

/* An old duplicate SYN: the client answers the SYN-ACK with RST, the server goes back to LISTEN. */
static void test_old_duplicate_syn(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		"  1     0.000 SYN_SENT    -- SYN seq=0 len=0 win=64240 --------------------------------> SYN_RCVD",
		"  1     0.100             <---------------------- SYN,ACK seq=0 ack=1 len=0 win=65160 --",
		"  1     0.200 CLOSED      -- RST seq=1 len=0 win=0 ------------------------------------> LISTEN",
		"conn 2: client 10.0.0.1:40000, server 10.0.0.2:8080 (IPv4)",
		"  2        ms client                                                                     server",
		"  2           CLOSED                                                                     LISTEN",
		"  2     0.000 SYN_SENT    -- SYN seq=0 len=0 win=64240 --------------------------------> SYN_RCVD",
		"  2     0.100 ESTABLISHED <---------------------- SYN,ACK seq=0 ack=1 len=0 win=65160 --",
		"  2     0.200             -- ACK seq=1 ack=1 len=0 win=502 ----------------------------> ESTABLISHED",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[6];
	unsigned int done = 0;

	tl_begin(
		"old duplicate SYN: RST answers the SYN-ACK, no connection; the real SYN is conn 2");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[1] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ev[2] = seg(200, IN, RST, CISN + 1, 0, 0, 0);
	/* the real SYN on the same 4-tuple: its segments belong to the new connection */
	ev[3] = seg(400000, IN, SYN, CISN + 100000, 0, 0, 64240);
	ev[4] = seg(400100, OUT, SYN | ACK, SISN + 7777, CISN + 100001, 0, 65160);
	ev[5] = seg(400200, IN, ACK, CISN + 100001, SISN + 7778, 0, 502);
	if (!LINES(run(&cfg, ev, 6, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

static void test_ipv6_absolute(void)
{
	static const char *const want[] = {
		"conn 1: client [fd00::1]:40000, server [fd00::2]:8080 (IPv6)",
		"  1        ms client                                                                     server",
		"  1           CLOSED                                                                     LISTEN",
		"  1     0.000 SYN_SENT    -- SYN seq=1000 len=0 win=64240 -----------------------------> SYN_RCVD",
		"  1     0.100 ESTABLISHED <---------------- SYN,ACK seq=5000 ack=1001 len=0 win=65160 --",
		"  1     0.200             -- ACK seq=1001 ack=5001 len=0 win=502 ----------------------> ESTABLISHED",
	};
	struct ladder_cfg cfg = { .absolute = true };
	struct so_trace_ev ev[3];

	tl_begin("IPv6, --absolute: seq and ack as on the wire");
	family = 6;
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[1] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ev[2] = seg(200, IN, ACK, CISN + 1, SISN + 1, 0, 502);
	family = 4;
	LINES(run(&cfg, ev, 3, NULL), want);
	tl_end();
}

/* guard answers the SYN in XDP (two records), drops a flood SYN, hands the ACK to the listener. */
static void test_guard_notes_and_dupes(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		"  1     0.000 SYN_SENT    -- SYN seq=0 len=0 win=64240 ts=100/0 -----------------------> SYN_RCVD",
		"  1                          (answered in XDP)",
		"  1     0.010 ESTABLISHED <---------------------- SYN,ACK seq=0 ack=1 len=0 win=65535 --",
		"  1                          (sent from XDP)",
		"  1     0.200             -- ACK seq=1 ack=1 len=0 win=502 ----------------------------> ESTABLISHED",
		"  1                          (handed to the listener)",
	};
	struct ladder_cfg cfg = { .reasons = guard_stat_names, .n_reasons = GS__COUNT };
	struct so_trace_ev ev[6];

	tl_begin("reporters' notes; one segment from two sources drawn once");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[0].opt_flags = SO_TRACE_OPT_TS;
	ev[0].tsval = 100;
	ev[0].src = SO_TRACE_SRC_XDP;
	ev[0].act = SO_TRACE_ACT_TX;
	ev[1] = seg(10, OUT, SYN | ACK, SISN, CISN + 1, 0, 65535);
	ev[1].src = SO_TRACE_SRC_XDP;
	ev[1].act = SO_TRACE_ACT_TX;
	/* the same SYN once more, from the TC observer, a little later */
	ev[2] = ev[0];
	ev[2].ts_ns += 5000;
	ev[2].src = SO_TRACE_SRC_TC_IN;
	ev[2].act = SO_TRACE_ACT_SEEN;
	ev[3] = seg(200, IN, ACK, CISN + 1, SISN + 1, 0, 502);
	ev[3].src = SO_TRACE_SRC_TC_IN;
	ev[3].act = SO_TRACE_ACT_HANDOFF;
	ev[4] = ev[3];
	ev[4].src = SO_TRACE_SRC_XDP;
	ev[4].act = SO_TRACE_ACT_PASS;
	LINES(run(&cfg, ev, 5, NULL), want);
	tl_end();
}

static void test_drop_reason(void)
{
	struct ladder_cfg cfg = { .reasons = guard_stat_names, .n_reasons = GS__COUNT };
	struct so_trace_ev ev[1];
	char want[160];
	const char *got;
	unsigned int done = 9;

	tl_begin("a dropped SYN: the reason by name, the server stays in LISTEN");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[0].src = SO_TRACE_SRC_XDP;
	ev[0].act = SO_TRACE_ACT_DROP;
	ev[0].reason = 1;
	got = run(&cfg, ev, 1, &done);
	snprintf(want, sizeof(want), "  1                          (dropped: %s)\n",
		 guard_stat_names[1]);
	if (!ASSERT(strstr(got, "SYN_SENT    -- SYN seq=0 len=0 win=64240 ---"), "%s", got))
		goto out;
	if (!ASSERT(strstr(got, want), "want |%s| in:\n%s", want, got))
		goto out;
	ASSERT(!strstr(got, "SYN_RCVD"), "the server received nothing:\n%s", got);
	ASSERT_EQ(done, 0, "connections ended");
out:
	tl_end();
}

/* guard: the client's RST to a cookie's SYN-ACK is dropped (no state); its next SYN is conn 2. */
static void test_reset_then_syn(void)
{
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[5];
	const char *got;

	tl_begin("a client that reset and sends a new SYN opens conn 2, numbered from its new ISN");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[1] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ev[2] = seg(200, IN, RST, CISN + 1, 0, 0, 502);
	ev[2].src = SO_TRACE_SRC_XDP;
	ev[2].act = SO_TRACE_ACT_DROP;
	ev[3] = seg(400000, IN, SYN, CISN + 100000, 0, 0, 64240);
	ev[4] = seg(400100, OUT, SYN | ACK, SISN + 7777, CISN + 100001, 0, 65160);
	got = run(&cfg, ev, 5, NULL);
	if (!ASSERT(strstr(got, "\nconn 2: "), "no conn 2:\n%s", got))
		goto out;
	ASSERT(strstr(got,
		      "  2     0.100 ESTABLISHED <---------------------- SYN,ACK seq=0 ack=1 "),
	       "conn 2's SYN-ACK, relative to its own ISNs:\n%s", got);
out:
	tl_end();
}

/* serve's XDP consumes the handshake's last ACK (counted as a drop): the server has it. */
static void test_serve_drop(void)
{
	struct ladder_cfg cfg = { .reasons = serve_stat_names,
				  .n_reasons = SS__COUNT,
				  .xdp_endpoint = true };
	struct so_trace_ev ev[3];
	char want[160];
	const char *got;

	tl_begin("serve: an ACK its XDP takes and counts as dropped moves the server on");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[1] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ev[2] = seg(200, IN, ACK, CISN + 1, SISN + 1, 0, 502);
	ev[2].src = SO_TRACE_SRC_XDP;
	ev[2].act = SO_TRACE_ACT_DROP;
	ev[2].reason = 1;
	got = run(&cfg, ev, 3, NULL);
	ASSERT(strstr(got,
		      "-- ACK seq=1 ack=1 len=0 win=502 ----------------------------> ESTABLISHED\n"),
	       "the server ESTABLISHED on the ACK:\n%s", got);
	snprintf(want, sizeof(want), "(taken in XDP: %s)", serve_stat_names[1]);
	ASSERT(strstr(got, want) && !strstr(got, "dropped"), "want |%s| in:\n%s", want, got);
	tl_end();
}

/* Arrival order is not time order: events within the window are drawn in ts order. */
static void test_reorder(void)
{
	struct ladder_cfg cfg = { .window_ns = 30000000 };
	struct so_trace_ev ev[3];
	struct ladder *l;
	const char *syn, *synack, *ackl;
	FILE *f;

	tl_begin("out of order within the window: drawn in time order");
	free(out_buf);
	out_buf = NULL;
	f = open_memstream(&out_buf, &out_len);
	l = f ? ladder_new(&cfg, f) : NULL;
	if (!ASSERT(l, "ladder_new"))
		goto out;
	ev[0] = seg(200, IN, ACK, CISN + 1, SISN + 1, 0, 502);
	ev[1] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[2] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ladder_add(l, &ev[0]);
	ladder_add(l, &ev[1]);
	ladder_flush(l, T0 + 10000000); /* 10 ms: all still in the window */
	fflush(f);
	if (!ASSERT(!out_len, "nothing drawn before the window passed:\n%s", out_buf))
		goto out_l;
	ladder_add(l, &ev[2]);
	ladder_flush(l, T0 + 40000000);
	fflush(f);
	syn = strstr(out_buf, "-- SYN seq=0");
	synack = strstr(out_buf, "SYN,ACK seq=0 ack=1");
	ackl = strstr(out_buf, "-- ACK seq=1 ack=1");
	if (!ASSERT(syn && synack && ackl, "all three drawn:\n%s", out_buf))
		goto out_l;
	ASSERT(syn < synack && synack < ackl, "in time order:\n%s", out_buf);
	ASSERT(strstr(out_buf, "ESTABLISHED <--"), "the client ESTABLISHED on the SYN-ACK:\n%s",
	       out_buf);
out_l:
	ladder_free(l);
out:
	if (f)
		fclose(f);
	tl_end();
}

static void test_interleaved(void)
{
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[6];
	const char *got, *h2;

	tl_begin("two connections interleaved: an id and a header each");
	ev[0] = seg(0, IN, SYN, CISN, 0, 0, 64240);
	ev[1] = seg(50, IN, SYN, 7000, 0, 0, 64240);
	ev[1].rport = 40001;
	ev[2] = seg(100, OUT, SYN | ACK, SISN, CISN + 1, 0, 65160);
	ev[3] = seg(150, OUT, SYN | ACK, 9000, 7001, 0, 65160);
	ev[3].rport = 40001;
	got = run(&cfg, ev, 4, NULL);
	h2 = strstr(got, "conn 2: client 10.0.0.1:40001, server 10.0.0.2:8080 (IPv4)\n");
	if (!ASSERT(h2, "conn 2's header:\n%s", got))
		goto out;
	ASSERT(strstr(h2, "  2     0.000 SYN_SENT    -- SYN seq=0 "), "conn 2's SYN at 0 ms:\n%s",
	       got);
	ASSERT(strstr(h2, "  1     0.100 ESTABLISHED <--"), "conn 1's SYN-ACK after it:\n%s", got);
	ASSERT(strstr(h2, "  2     0.100 ESTABLISHED <--"), "conn 2's, relative to its ISN:\n%s",
	       got);
out:
	tl_end();
}

/* More events than the window holds, never flushed: drawn all, in order. */
static void test_many(void)
{
	enum { COUNT = 10000 };
	struct ladder_cfg cfg = {};
	struct so_trace_ev *ev = calloc(COUNT, sizeof(*ev));
	const char *got, *p;
	size_t i, lines = 0;
	bool ordered = true;
	__u32 last = 0;

	tl_begin("%d events without a flush: every one drawn, in time order", COUNT);
	if (!ASSERT(ev, "calloc"))
		goto out;
	/* arriving two by two swapped */
	for (i = 0; i < COUNT; i++)
		ev[i] = seg((i ^ 1) * 10, IN, ACK, CISN + 1 + (i ^ 1), SISN + 1, 1, 502);
	got = run(&cfg, ev, COUNT, NULL);
	for (p = got; (p = strchr(p, '\n')); p++)
		lines++;
	ASSERT_EQ(lines, COUNT + 3, "lines (header, titles, states, one per segment)");
	for (p = strstr(got, "ACK seq="); p; p = strstr(p + 1, "ACK seq=")) {
		__u32 v = strtoul(p + 8, NULL, 10);

		if (v < last)
			ordered = false;
		last = v;
	}
	ASSERT(ordered, "seq in order");
	ASSERT(strstr(got, "joined while open"), "a connection joined while open:\n%.300s", got);
out:
	free(ev);
	tl_end();
}

/* The server goes on sending after the client's FIN; a FIN retransmitted into TIME_WAIT. */
static void test_half_close(void)
{
	static const char *const want[] = {
		head4[0],
		head4[1],
		head4[2],
		HANDSHAKE_LINES,
		"  1     3.000 FIN_WAIT_1  -- FIN,ACK seq=6 ack=6 len=0 win=502 ------------------------> CLOSE_WAIT",
		"  1     3.100 FIN_WAIT_2  <---------------------------- ACK seq=6 ack=7 len=0 win=509 --",
		"  1     3.200             <----------------------- PSH,ACK seq=6 ack=7 len=10 win=509 --",
		"  1     3.300             -- ACK seq=7 ack=16 len=0 win=502 --------------------------->",
		"  1     4.000 TIME_WAIT   <----------------------- FIN,ACK seq=16 ack=7 len=0 win=509 -- LAST_ACK",
		"  1     4.100             -- ACK seq=7 ack=17 len=0 win=502 ---------------------------> CLOSED",
		"  1   204.100             <----------------------- FIN,ACK seq=16 ack=7 len=0 win=509 --",
		"  1                          (retransmission)",
		"  1   204.200             -- ACK seq=7 ack=17 len=0 win=502 --------------------------->",
	};
	struct ladder_cfg cfg = {};
	struct so_trace_ev ev[20];
	unsigned int done = 0;
	size_t n;

	tl_begin("half-close: data after the client's FIN; a late FIN absorbed in TIME_WAIT");
	n = handshake(ev);
	ev[n++] = seg(3000, IN, FIN | ACK, CISN + 6, SISN + 6, 0, 502);
	ev[n++] = seg(3100, OUT, ACK, SISN + 6, CISN + 7, 0, 509);
	ev[n++] = seg(3200, OUT, PSH | ACK, SISN + 6, CISN + 7, 10, 509);
	ev[n++] = seg(3300, IN, ACK, CISN + 7, SISN + 16, 0, 502);
	ev[n++] = seg(4000, OUT, FIN | ACK, SISN + 16, CISN + 7, 0, 509);
	ev[n++] = seg(4100, IN, ACK, CISN + 7, SISN + 17, 0, 502);
	/* the FIN once more (as if the last ACK were lost), answered from TIME_WAIT */
	ev[n++] = seg(204100, OUT, FIN | ACK, SISN + 16, CISN + 7, 0, 509);
	ev[n++] = seg(204200, IN, ACK, CISN + 7, SISN + 17, 0, 502);
	if (!LINES(run(&cfg, ev, n, &done), want))
		goto out;
	ASSERT_EQ(done, 1, "connections ended");
out:
	tl_end();
}

/* ---- a small JSON parser: does each line parse, and what is a key's value ---- */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *js_value(const char *p, int depth);

static const char *js_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && !*++p)
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_value(const char *p, int depth)
{
	p = js_ws(p);
	if (depth > 16)
		return NULL;
	if (*p == '"')
		return js_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p, depth + 1);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		strtod(p, &end);
		return end;
	}
	return NULL;
}

static bool json_line_ok(const char *line)
{
	const char *end = js_value(line, 0);

	return end && *js_ws(end) == 0 && !strncmp(line, "{\"ts\":", 6);
}

static void test_json(void)
{
	struct ladder_cfg cfg = { .json = true, .realtime_off_ns = 1700000000LL * 1000000000LL };
	struct so_trace_ev ev[20];
	char *copy, *line, *save = NULL;
	int lines = 0, segs = 0, states = 0;
	bool saw_tw = false;
	size_t n;

	tl_begin("--json: every line parses, starts with ts, carries both states");
	n = handshake(ev);
	ev[0].opt_flags |= SO_TRACE_OPT_TS;
	ev[0].tsval = 77;
	ev[n++] = state(2990, TCPS_ESTABLISHED, TCPS_FIN_WAIT_1);
	ev[n++] = seg(3000, OUT, FIN | ACK, SISN + 6, CISN + 6, 0, 509);
	ev[n++] = seg(3100, IN, ACK, CISN + 6, SISN + 7, 0, 502);
	ev[n++] = seg(4000, IN, FIN | ACK, CISN + 6, SISN + 7, 0, 502);
	ev[n++] = state(4010, TCPS_FIN_WAIT_2, TCPS_TIME_WAIT);
	ev[n++] = seg(4100, OUT, ACK, SISN + 7, CISN + 7, 0, 509);
	copy = strdup(run(&cfg, ev, n, NULL));
	if (!ASSERT(copy, "strdup"))
		goto out;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (!ASSERT(json_line_ok(line), "line %d does not parse: %s", lines, line))
			break;
		if (!ASSERT(strstr(line, "\"client_state\":\"") &&
				    strstr(line, "\"server_state\":\""),
			    "line %d without the states: %s", lines, line))
			break;
		if (strstr(line, "\"event\":\"segment\""))
			segs++;
		if (strstr(line, "\"event\":\"state\""))
			states++;
		if (strstr(line, "\"server_state\":\"TIME_WAIT\""))
			saw_tw = true;
	}
	ASSERT_EQ(segs, 11, "segment lines");
	ASSERT_EQ(states, 2, "state lines");
	ASSERT(saw_tw, "the server's TIME_WAIT");
	ASSERT(strstr(out_buf,
		      "{\"ts\":1700000001.000,\"event\":\"segment\",\"conn\":1,\"t_ms\":0.000,"
		      "\"family\":4,\"client\":\"10.0.0.1:40000\",\"server\":\"10.0.0.2:8080\","
		      "\"dir\":\"c>s\",\"flags\":\"SYN\",\"seq\":0,\"ack\":0,\"len\":0,"
		      "\"win\":64240,\"options\":{\"mss\":1460,\"ws\":7,\"sack_perm\":true,"
		      "\"ts\":{\"val\":77,\"ecr\":0}},\"src\":[\"tc_in\"],"
		      "\"client_state\":\"SYN_SENT\",\"server_state\":\"SYN_RCVD\"}\n"),
	       "the SYN's line, exactly:\n%s", out_buf);
	ASSERT(strstr(out_buf, "\"dir\":\"s>c\",\"flags\":\"SYN,ACK\",\"seq\":0,\"ack\":1,"),
	       "the SYN-ACK relative:\n%s", out_buf);
	free(copy);
out:
	tl_end();
}

int main(void)
{
	test_client_close();
	test_server_close();
	test_server_close_orphan();
	test_simultaneous_close();
	test_rst();
	test_old_duplicate_syn();
	test_ipv6_absolute();
	test_guard_notes_and_dupes();
	test_drop_reason();
	test_reset_then_syn();
	test_serve_drop();
	test_reorder();
	test_interleaved();
	test_json();
	test_many();
	test_half_close();
	free(out_buf);
	return tl_summary();
}
