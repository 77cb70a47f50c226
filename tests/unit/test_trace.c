// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the trace's producers through BPF_PROG_TEST_RUN, their
 * records read back from the ring buffers:
 *
 * the trace's TC observers (bpf/trace.bpf.c): the fields of IPv4 and IPv6
 * SYN, data, FIN and SACK segments, both directions (which address is the
 * local one), options parsed; the port and peer filter;
 * guard's XDP producer (lib/trace_prod.h): nothing while its flag is 0; with
 * it set, a SYN answered gives the SYN-ACK out and the SYN in rebuilt from
 * it and what guard kept of the SYN (act TX; its MSS, window scale, window
 * and options, IPv4 and IPv6, with and without timestamps), a stray ACK's
 * RST out and the ACK rebuilt, a
 * SYN with a bad checksum a drop with guard's counter index as the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>
#include <shakeoff/trace.h>
#include "guard.skel.h"
#include "trace.skel.h"

#include "bpf_run.h"
#include "guard_cfg.h"
#include "pkt.h"
#include "testlib.h"

#define SLOT 1000ULL
#define SRV_PORT 80
#define CLI_PORT 40000
#define MAX_EVS 8

static const uint8_t srv4[4] = { 10, 0, 0, 1 };
static const uint8_t cli4[4] = { 192, 0, 2, 10 };
static const uint8_t srv6[16] = { 0xfd, 0x99, [15] = 2 };
static const uint8_t cli6[16] = { 0xfd, 0x99, [15] = 1 };
static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Linux's SYN options: MSS 1460, SACK_PERM, TS 1000:0, NOP, WS 7 */
static const uint8_t syn_opts[20] = { 2,    4,	  0x05, 0xb4, 4, 2, 8, 10, 0, 0,
				      0x03, 0xe8, 0,	0,    0, 0, 1, 3,  3, 7 };
/* a SYN without timestamps: MSS 1400, NOP NOP SACK_PERM, NOP WS 6 */
static const uint8_t syn_opts_nots[12] = { 2, 4, 0x05, 0x78, 1, 1, 4, 2, 1, 3, 3, 6 };
/* NOP NOP TS 2000:3000 */
static const uint8_t ts_opts[12] = { 1, 1, 8, 10, 0, 0, 0x07, 0xd0, 0, 0, 0x0b, 0xb8 };
/* NOP NOP SACK with two blocks */
static const uint8_t sack_opts[20] = {
	1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4
};

static struct so_trace_ev evs[MAX_EVS];
static int nevs;

static int collect(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (nevs < MAX_EVS && size >= sizeof(evs[0]))
		memcpy(&evs[nevs++], data, sizeof(evs[0]));
	return 0;
}

/* A segment from the client to the server (or back, out), with options. */
static void seg_spec(struct pkt_spec *s, bool ipv6, bool out, uint8_t flags, const uint8_t *opt,
		     size_t optlen, uint16_t payload)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, out ? mac_cli : mac_srv, 6);
	memcpy(s->smac, out ? mac_srv : mac_cli, 6);
	s->ipv6 = ipv6;
	if (ipv6) {
		memcpy(s->saddr, out ? srv6 : cli6, 16);
		memcpy(s->daddr, out ? cli6 : srv6, 16);
	} else {
		memcpy(s->saddr, out ? srv4 : cli4, 4);
		memcpy(s->daddr, out ? cli4 : srv4, 4);
	}
	s->sport = out ? SRV_PORT : CLI_PORT;
	s->dport = out ? CLI_PORT : SRV_PORT;
	s->seq = 0x11223344;
	s->ack = flags & PKT_ACK ? 0x55667788 : 0;
	s->flags = flags;
	s->window = 502;
	if (optlen) /* opt may be NULL then: memcpy wants a pointer even for 0 bytes */
		memcpy(s->tcpopt, opt, optlen);
	s->tcpopt_len = optlen;
	s->payload_len = payload;
}

/* Run s through prog; the records its ring buffer got land in evs. */
static int run(int prog_fd, struct ring_buffer *rb, const struct pkt_spec *s, int *retval)
{
	uint8_t in[PKT_MAX], out[PKT_MAX];
	struct pkt_layout lay;
	size_t len = pkt_build(s, in, sizeof(in), &lay);
	struct tr_frame f = { .in = in, .inlen = len, .out = out, .outcap = sizeof(out) };
	int err;

	nevs = 0;
	err = tr_frame_run(prog_fd, &f);
	if (retval)
		*retval = f.retval;
	ring_buffer__consume(rb);
	return err;
}

static bool ev_addrs(const struct so_trace_ev *e, bool ipv6)
{
	return ASSERT_EQ(e->family, ipv6 ? 6 : 4, "family") &&
	       ASSERT_MEM_EQ(e->laddr, ipv6 ? srv6 : srv4, ipv6 ? 16 : 4, "local address") &&
	       ASSERT_MEM_EQ(e->raddr, ipv6 ? cli6 : cli4, ipv6 ? 16 : 4, "remote address") &&
	       ASSERT_EQ(e->lport, SRV_PORT, "local port") &&
	       ASSERT_EQ(e->rport, CLI_PORT, "remote port");
}

static void observer_cases(struct trace_bpf *t, struct ring_buffer *rb)
{
	int in = bpf_program__fd(t->progs.so_trace_in),
	    out = bpf_program__fd(t->progs.so_trace_out);
	struct pkt_spec s;
	int fam, rv;

	for (fam = 4; fam <= 6; fam += 2) {
		bool v6 = fam == 6;
		const struct so_trace_ev *e = &evs[0];

		tl_begin("observer IPv%d: SYN in, Linux's options", fam);
		seg_spec(&s, v6, false, PKT_SYN, syn_opts, sizeof(syn_opts), 0);
		if (ASSERT(!run(in, rb, &s, &rv), "test run") && ASSERT_EQ(nevs, 1, "records") &&
		    ev_addrs(e, v6)) {
			ASSERT_EQ(rv, TR_TCX_NEXT, "verdict");
			ASSERT_EQ(e->kind, SO_TRACE_SEG, "kind");
			ASSERT_EQ(e->src, SO_TRACE_SRC_TC_IN, "src");
			ASSERT_EQ(e->dir, SO_TRACE_IN, "dir");
			ASSERT_EQ(e->act, SO_TRACE_ACT_SEEN, "act");
			ASSERT_EQ(e->tcp_flags, PKT_SYN, "flags");
			ASSERT_EQ(e->seq, 0x11223344, "seq");
			ASSERT_EQ(e->ack, 0, "ack");
			ASSERT_EQ(e->len, 0, "len");
			ASSERT_EQ(e->win, 502, "win");
			ASSERT_EQ(e->opt_flags,
				  SO_TRACE_OPT_MSS | SO_TRACE_OPT_WSCALE | SO_TRACE_OPT_SACK_PERM |
					  SO_TRACE_OPT_TS,
				  "options");
			ASSERT_EQ(e->mss, 1460, "mss");
			ASSERT_EQ(e->wscale, 7, "wscale");
			ASSERT_EQ(e->tsval, 1000, "tsval");
			ASSERT_EQ(e->tsecr, 0, "tsecr");
			ASSERT(e->ts_ns > 0, "a timestamp");
		}
		tl_end();

		tl_begin("observer IPv%d: data out (the local address is the source)", fam);
		seg_spec(&s, v6, true, PKT_ACK | PKT_PSH, ts_opts, sizeof(ts_opts), 100);
		if (ASSERT(!run(out, rb, &s, &rv), "test run") && ASSERT_EQ(nevs, 1, "records") &&
		    ev_addrs(e, v6)) {
			ASSERT_EQ(e->src, SO_TRACE_SRC_TC_OUT, "src");
			ASSERT_EQ(e->dir, SO_TRACE_OUT, "dir");
			ASSERT_EQ(e->tcp_flags, PKT_ACK | PKT_PSH, "flags");
			ASSERT_EQ(e->ack, 0x55667788, "ack");
			ASSERT_EQ(e->len, 100, "len");
			ASSERT_EQ(e->opt_flags, SO_TRACE_OPT_TS, "options");
			ASSERT_EQ(e->tsval, 2000, "tsval");
			ASSERT_EQ(e->tsecr, 3000, "tsecr");
		}
		tl_end();

		tl_begin("observer IPv%d: FIN in, ACK with SACK blocks", fam);
		seg_spec(&s, v6, false, PKT_FIN | PKT_ACK, NULL, 0, 0);
		if (ASSERT(!run(in, rb, &s, NULL), "test run") && ASSERT_EQ(nevs, 1, "records")) {
			ASSERT_EQ(e->tcp_flags, PKT_FIN | PKT_ACK, "flags");
			ASSERT_EQ(e->opt_flags, 0, "no options");
		}
		seg_spec(&s, v6, false, PKT_ACK, sack_opts, sizeof(sack_opts), 0);
		if (ASSERT(!run(in, rb, &s, NULL), "test run") && ASSERT_EQ(nevs, 1, "records")) {
			ASSERT_EQ(e->opt_flags, SO_TRACE_OPT_SACK, "options");
			ASSERT_EQ(e->sack_blocks, 2, "SACK blocks");
		}
		tl_end();
	}
}

/* A trace object loaded with a filter; NULL on failure. */
static struct trace_bpf *trace_load(uint16_t port, const uint8_t *peer, uint8_t family)
{
	struct trace_bpf *t = trace_bpf__open();

	if (!t)
		return NULL;
	t->rodata->filter_port = port;
	if (peer) {
		t->rodata->filter_family = family;
		memcpy((void *)t->rodata->filter_peer, peer, family == 6 ? 16 : 4);
	}
	if (trace_bpf__load(t)) {
		trace_bpf__destroy(t);
		return NULL;
	}
	return t;
}

static void filter_case(const char *desc, uint16_t port, const uint8_t *peer, uint8_t family,
			bool ipv6, int want)
{
	struct trace_bpf *t = trace_load(port, peer, family);
	struct ring_buffer *rb = NULL;
	struct pkt_spec s;

	tl_begin("filter: %s", desc);
	if (ASSERT(t, "load the filtered object"))
		rb = ring_buffer__new(bpf_map__fd(t->maps.trace_events), collect, NULL, NULL);
	if (ASSERT(rb, "ring buffer")) {
		seg_spec(&s, ipv6, false, PKT_SYN, syn_opts, sizeof(syn_opts), 0);
		if (ASSERT(!run(bpf_program__fd(t->progs.so_trace_in), rb, &s, NULL), "test run"))
			ASSERT_EQ(nevs, want, "records");
		seg_spec(&s, ipv6, true, PKT_SYN | PKT_ACK, syn_opts, sizeof(syn_opts), 0);
		if (ASSERT(!run(bpf_program__fd(t->progs.so_trace_out), rb, &s, NULL), "test run"))
			ASSERT_EQ(nevs, want, "records of the answer");
	}
	ring_buffer__free(rb);
	trace_bpf__destroy(t);
	tl_end();
}

static bool guard_setup(struct guard_bpf *g)
{
	struct guard_port open = { .flags = PORT_PROTECTED | PORT_LISTEN4 | PORT_LISTEN6 };
	struct guard_key k = { .slot = SLOT, .k0 = 1, .k1 = 2 };
	struct guard_cfg c = test_guard_cfg4(srv4, mac_srv, SLOT);
	__u32 zero = 0, port = SRV_PORT, idx = SLOT & (GUARD_KEY_SLOTS - 1);

	memcpy(&c.addr6[0], srv6, 16);
	c.naddr6 = 1;
	/* room for the stray-ACK case's RST */
	c.rst_per_cpu = 100;
	c.rst_per_src = 100;

	return !bpf_map_update_elem(bpf_map__fd(g->maps.guard_cfg), &zero, &c, 0) &&
	       !bpf_map_update_elem(bpf_map__fd(g->maps.guard_ports), &port, &open, 0) &&
	       !bpf_map_update_elem(bpf_map__fd(g->maps.guard_keys), &idx, &k, 0);
}

/* With the flag on: a SYN guard answers, the SYN-ACK out and the SYN rebuilt from it. */
static void guard_syn_case(int fd, struct ring_buffer *rb, struct pkt_spec *s, bool v6, bool ts)
{
	uint16_t mss = ts ? 1460 : 1400, win = ts ? 64240 : 29200;
	uint8_t ws = ts ? 7 : 6;
	int rv;

	tl_begin("guard IPv%d %s: the SYN-ACK out and the SYN rebuilt with its options", v6 ? 6 : 4,
		 ts ? "with timestamps" : "without timestamps");
	seg_spec(s, v6, false, PKT_SYN, ts ? syn_opts : syn_opts_nots,
		 ts ? sizeof(syn_opts) : sizeof(syn_opts_nots), 0);
	s->window = win;
	if (ASSERT(!run(fd, rb, s, &rv), "test run") && ASSERT_EQ(rv, XDP_TX, "verdict") &&
	    ASSERT_EQ(nevs, 2, "records") && ev_addrs(&evs[0], v6) && ev_addrs(&evs[1], v6)) {
		const struct so_trace_ev *sa = &evs[0], *syn = &evs[1];

		ASSERT_EQ(sa->src, SO_TRACE_SRC_XDP, "src");
		ASSERT_EQ(sa->dir, SO_TRACE_OUT, "dir out");
		ASSERT_EQ(sa->act, SO_TRACE_ACT_TX, "act");
		ASSERT_EQ(sa->reason, GS_XDP_TX_SYNACK, "reason");
		ASSERT_EQ(sa->tcp_flags, PKT_SYN | PKT_ACK, "SYN-ACK");
		ASSERT_EQ(sa->ack, 0x11223345, "ack = the SYN's seq + 1");
		ASSERT(sa->opt_flags & SO_TRACE_OPT_MSS, "the SYN-ACK's MSS");
		ASSERT_EQ(sa->mss, v6 ? 1440 : 1460, "guard's MSS");
		ASSERT_EQ(sa->wscale, 7, "guard's wscale");
		ASSERT_EQ(sa->win, v6 ? 64800 : 64240, "guard's window");
		ASSERT_EQ(syn->src, SO_TRACE_SRC_XDP, "src");
		ASSERT_EQ(syn->dir, SO_TRACE_IN, "dir in");
		ASSERT_EQ(syn->act, SO_TRACE_ACT_TX, "act");
		ASSERT_EQ(syn->tcp_flags, PKT_SYN, "SYN");
		ASSERT_EQ(syn->seq, 0x11223344, "the SYN's seq");
		ASSERT_EQ(syn->len, 0, "len");
		ASSERT_EQ(syn->win, win, "the SYN's window");
		ASSERT_EQ(syn->mss, mss, "the SYN's mss");
		ASSERT_EQ(syn->wscale, ws, "the SYN's wscale");
		ASSERT_EQ(syn->opt_flags,
			  SO_TRACE_OPT_MSS | SO_TRACE_OPT_WSCALE | SO_TRACE_OPT_SACK_PERM |
				  (ts ? SO_TRACE_OPT_TS : 0),
			  "the SYN's options");
		ASSERT_EQ(syn->tsval, ts ? 1000 : 0, "the SYN's tsval");
		ASSERT_EQ(syn->tsecr, 0, "tsecr");
		if (ts)
			ASSERT_EQ(sa->tsecr, 1000, "tsecr = the SYN's tsval");
		ASSERT(syn->ts_ns < sa->ts_ns, "the SYN stamped before the reply");
	}
	tl_end();
}

static void guard_cases(struct guard_bpf *g, struct ring_buffer *rb)
{
	int fd = bpf_program__fd(g->progs.so_guard_xdp), flag = bpf_map__fd(g->maps.data_trace);
	__u32 zero = 0, on = (__u32)getpid(), off = 0;
	struct pkt_spec s;
	int rv, i;

	tl_begin("guard: flag off, a SYN answered and nothing reported");
	seg_spec(&s, false, false, PKT_SYN, syn_opts, sizeof(syn_opts), 0);
	if (ASSERT(!run(fd, rb, &s, &rv), "test run")) {
		ASSERT_EQ(rv, XDP_TX, "verdict");
		ASSERT_EQ(nevs, 0, "records");
	}
	tl_end();

	ASSERT(!bpf_map_update_elem(flag, &zero, &on, 0), "set the flag");
	for (i = 0; i < 4; i++)
		guard_syn_case(fd, rb, &s, i & 1, i & 2);
	seg_spec(&s, false, false, PKT_SYN, syn_opts, sizeof(syn_opts), 0);

	tl_begin("guard: flag on, an ACK with no cookie answered with a RST, and the ACK rebuilt");
	seg_spec(&s, false, false, PKT_ACK, NULL, 0, 0);
	if (ASSERT(!run(fd, rb, &s, &rv), "test run") && ASSERT_EQ(rv, XDP_TX, "verdict") &&
	    ASSERT_EQ(nevs, 2, "records") && ev_addrs(&evs[1], false)) {
		ASSERT_EQ(evs[0].tcp_flags, PKT_RST, "RST out");
		ASSERT_EQ(evs[0].seq, 0x55667788, "the RST's seq = the ACK's ack");
		ASSERT_EQ(evs[1].dir, SO_TRACE_IN, "dir in");
		ASSERT_EQ(evs[1].tcp_flags, PKT_ACK, "ACK");
		ASSERT_EQ(evs[1].seq, 0x11223344, "the ACK's seq");
		ASSERT_EQ(evs[1].ack, 0x55667788, "the ACK's ack");
		ASSERT_EQ(evs[1].win, 502, "the ACK's window");
		ASSERT_EQ(evs[1].opt_flags, 0, "no options");
	}
	tl_end();
	seg_spec(&s, false, false, PKT_SYN, syn_opts, sizeof(syn_opts), 0);

	tl_begin("guard: flag on, a SYN with a bad checksum is a drop with its reason");
	s.tcp_csum_xor = 0x1234;
	if (ASSERT(!run(fd, rb, &s, &rv), "test run") && ASSERT_EQ(rv, XDP_DROP, "verdict") &&
	    ASSERT_EQ(nevs, 1, "records")) {
		ASSERT_EQ(evs[0].act, SO_TRACE_ACT_DROP, "act");
		ASSERT_EQ(evs[0].reason, GS_XDP_DROP_TCP_CSUM, "reason");
	}
	tl_end();

	tl_begin("guard: flag cleared, nothing reported again");
	ASSERT(!bpf_map_update_elem(flag, &zero, &off, 0), "clear the flag");
	s.tcp_csum_xor = 0;
	if (ASSERT(!run(fd, rb, &s, &rv), "test run"))
		ASSERT_EQ(nevs, 0, "records");
	tl_end();
}

int main(void)
{
	struct ring_buffer *rb, *grb;
	struct guard_bpf *g;
	struct trace_bpf *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(tr_libbpf_print);
	t = trace_load(0, NULL, 0);
	g = guard_bpf__open_and_load();
	if (!t || !g || !guard_setup(g)) {
		fprintf(stderr, "Failed to load the BPF objects: %s\n", strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(t->maps.trace_events), collect, NULL, NULL);
	grb = ring_buffer__new(bpf_map__fd(g->maps.trace_rb), collect, NULL, NULL);
	if (!rb || !grb) {
		fprintf(stderr, "Failed to map the ring buffers: %s\n", strerror(errno));
		return 1;
	}
	observer_cases(t, rb);
	filter_case("another port: nothing", 443, NULL, 0, false, 0);
	filter_case("the server's port", SRV_PORT, NULL, 0, false, 1);
	filter_case("the client's port", CLI_PORT, NULL, 0, true, 1);
	filter_case("the peer (IPv4)", 0, cli4, 4, false, 1);
	filter_case("another peer (IPv4)", 0, srv4, 4, false, 0);
	filter_case("the peer (IPv6)", 0, cli6, 6, true, 1);
	filter_case("an IPv4 peer, an IPv6 segment", 0, cli4, 4, true, 0);
	guard_cases(g, grb);
	ring_buffer__free(grb);
	ring_buffer__free(rb);
	guard_bpf__destroy(g);
	trace_bpf__destroy(t);
	return tl_summary();
}
