// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of serve's XDP program (bpf/serve.bpf.c), the real object
 * driven through BPF_PROG_TEST_RUN in a fresh network namespace.
 *
 * Each case starts from the same fixture (config, keys, an empty flow table
 * of SERVE_TEST_FLOWS entries, half-open count 0, a fixed clock), plays the
 * client's segments one step at a time, and after every step checks the
 * verdict, that exactly one serve_stats counter moved by one, the segment
 * that comes back (flags, seq, ack, window, options with timestamps,
 * checksums by pkt.h's independent code) and the flow entry (state and
 * sequence space, read with BPF_F_LOCK).
 *
 * BPF_PROG_TEST_RUN and AF_XDP: without a socket in serve_xsks the program's
 * bpf_redirect_map() falls back to XDP_DROP (counted drop_no_xsk); with an
 * AF_XDP socket bound to lo queue 0 and in the map, test_run returns
 * XDP_REDIRECT as retval (the frame itself is not delivered outside live
 * mode).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include <shakeoff/serve_abi.h>
#include <shakeoff/cookie.h>
#include "serve.skel.h"

#include "core/stat_names.h"
#include "bpf_run.h"
#include "netns.h"
#include "pkt.h"
#include "testlib.h"

#define SERVE_TEST_FLOWS 8 /* a small table, so "full" is cheap to reach */
#define SLOT 1000ULL
#define NOW_NS (5000ULL << 30) /* the fixed clock of every case */
#define GAP_MS 500
#define GAP_NS (GAP_MS * 1000000ULL)

#define MSS4 1460
#define MSS6 1440
#define WIN 64240
#define WSCALE 7
#define TTL 64
#define PORT 7 /* served */
#define PORT_OTHER 8080
#define CLI_PORT 40000
#define ISN 0x12345678u
#define TSV 0xa1b2c3d4u

static const uint8_t srv4[4] = { 10, 0, 0, 1 };
static const uint8_t cli4[4] = { 192, 0, 2, 10 };
static const uint8_t srv6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t cli6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };

_Static_assert(SS__COUNT <= TR_COUNTERS_MAX, "serve_stats fit a tr_run");

static struct serve_bpf *skel;
static struct tr_prog xdp_prog; /* so_serve_xdp, counting into serve_stats */
static int ncpu; /* serve_rstlim is per CPU */
static long verifier_insns = -1, ctl_insns = -1; /* so_serve_xdp's, so_serve_ctl's */

/* ---------------------------------------------------------------- fixture */

static struct guard_key key_of(uint64_t slot)
{
	struct guard_key k = {
		.slot = slot,
		.k0 = 0x0706050403020100ULL ^ (slot * 0x9e3779b97f4a7c15ULL),
		.k1 = 0x0f0e0d0c0b0a0908ULL + slot,
	};

	return k;
}

static struct serve_cfg cfg_default(void)
{
	struct serve_cfg c;

	memset(&c, 0, sizeof(c));
	memcpy(&c.addr4[0], srv4, 4);
	c.naddr4 = 1;
	memcpy(c.addr6[0], srv6, 16);
	c.naddr6 = 1;
	c.ports[0] = 9;
	c.ports[1] = PORT;
	c.nports = 2;
	c.mss4 = MSS4;
	c.mss6 = MSS6;
	c.win = WIN;
	c.wscale = WSCALE;
	c.ttl = TTL;
	c.syn_mode = SERVE_SYN_STATE;
	c.no_flow = SERVE_NO_FLOW_RST;
	c.half_open_max = 2;
	c.rst_per_sec = 100;
	c.oow_gap_ms = GAP_MS;
	c.slot_override = SLOT;
	c.now_override_ns = NOW_NS;
	return c;
}

static struct serve_cfg cur_cfg;

static bool cfg_set(const struct serve_cfg *c)
{
	__u32 zero = 0;

	cur_cfg = *c;
	return !bpf_map__update_elem(skel->maps.serve_cfg, &zero, sizeof(zero), c, sizeof(*c),
				     BPF_ANY);
}

static bool clock_set(uint64_t ns)
{
	struct serve_cfg c = cur_cfg;

	c.now_override_ns = ns;
	return cfg_set(&c);
}

static bool halfopen_set(int64_t n)
{
	__u32 zero = 0;

	return !bpf_map__update_elem(skel->maps.serve_halfopen, &zero, sizeof(zero), &n, sizeof(n),
				     BPF_ANY);
}

static int64_t halfopen_get(void)
{
	__u32 zero = 0;
	int64_t n = -999;

	bpf_map__lookup_elem(skel->maps.serve_halfopen, &zero, sizeof(zero), &n, sizeof(n), 0);
	return n;
}

static bool flows_clear(void)
{
	struct serve_flow_key k, next;
	int fd = bpf_map__fd(skel->maps.serve_flows);

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		if (bpf_map_delete_elem(fd, &k))
			return false;
	}
	return true;
}

static int flows_count(void)
{
	struct serve_flow_key k, next;
	int fd = bpf_map__fd(skel->maps.serve_flows), n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static bool fixture_reset(void)
{
	struct serve_cfg c = cfg_default();
	struct serve_rstlim *lim = calloc(ncpu, sizeof(*lim));
	__u32 zero = 0, s;
	bool ok;

	if (!lim)
		return false;
	ok = cfg_set(&c) && flows_clear() && halfopen_set(0) &&
	     !bpf_map__update_elem(skel->maps.serve_rstlim, &zero, sizeof(zero), lim,
				   sizeof(*lim) * ncpu, BPF_ANY);
	free(lim);
	for (s = SLOT - 1; ok && s <= SLOT + 2; s++) {
		struct guard_key k = key_of(s);
		__u32 idx = s & (GUARD_KEY_SLOTS - 1);

		ok = !bpf_map__update_elem(skel->maps.serve_keys, &idx, sizeof(idx), &k, sizeof(k),
					   BPF_ANY);
	}
	return ok;
}

/* ---------------------------------------------------------------- flows */

static void key_make(bool v6, uint16_t cport, struct serve_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	if (v6) {
		memcpy(k->raddr, cli6, 16);
		memcpy(k->laddr, srv6, 16);
	} else {
		uint8_t *r = (uint8_t *)k->raddr, *l = (uint8_t *)k->laddr;

		r[10] = r[11] = l[10] = l[11] = 0xff;
		memcpy(r + 12, cli4, 4);
		memcpy(l + 12, srv4, 4);
	}
	k->rport = htons(cport);
	k->lport = htons(PORT);
}

static bool flow_get(bool v6, struct serve_flow *v)
{
	struct serve_flow_key k;

	key_make(v6, CLI_PORT, &k);
	return !bpf_map__lookup_elem(skel->maps.serve_flows, &k, sizeof(k), v, sizeof(*v),
				     BPF_F_LOCK);
}

static bool flow_put(bool v6, const struct serve_flow *v)
{
	struct serve_flow_key k;

	key_make(v6, CLI_PORT, &k);
	return !bpf_map__update_elem(skel->maps.serve_flows, &k, sizeof(k), v, sizeof(*v),
				     BPF_F_LOCK);
}

/* ---------------------------------------------------------------- running */

/* What a step must produce. ts: -1 do not check, 0 no TS option, 1 TS with tsval/tsecr. */
struct want {
	int verdict;
	enum serve_stat stat;
	uint8_t flags; /* of the reply, for XDP_TX */
	uint32_t seq;
	uint32_t ack;
	int window; /* -1: do not check */
	int ts;
	uint32_t tsval;
	uint32_t tsecr;
};

/* Run one client segment and check verdict, counter and reply. */
static bool step(struct tr_run *r, const struct pkt_spec *s, const struct want *w, const char *what)
{
	struct pkt_tcpopts o;
	struct pkt_view v;
	bool ok = true;

	if (!tr_run_spec(r, &xdp_prog, s, what))
		return false;
	ok = tr_expect_verdict(r, w->verdict) && ok;
	ok = tr_expect_counter(r, w->stat) && ok;
	if (!ok) {
		tr_dump(r);
		return false;
	}
	if (w->verdict == XDP_PASS) {
		ok = ASSERT_EQ(r->outlen, r->inlen, "passed frame length") &&
		     ASSERT_MEM_EQ(r->out, r->in, r->inlen, "passed frame") && ok;
	}
	if (w->verdict != XDP_TX)
		return ok;
	if (!tr_check_reply(s, r, TTL, &v)) {
		tr_dump(r);
		return false;
	}
	ok = ASSERT_EQ(v.tcp->flags, w->flags, "reply flags") && ok;
	ok = ASSERT_EQ(ntohl(v.tcp->seq), w->seq, "reply seq") && ok;
	ok = ASSERT_EQ(ntohl(v.tcp->ack), w->ack, "reply ack") && ok;
	if (w->window >= 0)
		ok = ASSERT_EQ(ntohs(v.tcp->window), w->window, "reply window") && ok;
	pkt_tcp_opts(&v, &o);
	ok = ASSERT(!o.malformed && !o.other && !o.dup, "reply options malformed/unknown/dup") &&
	     ok;
	if (w->ts >= 0)
		ok = ASSERT_EQ(o.ts, w->ts, "reply carries timestamps") && ok;
	if (w->ts > 0 && o.ts) {
		ok = ASSERT_EQ(o.tsval, w->tsval, "reply TSval") && ok;
		ok = ASSERT_EQ(o.tsecr, w->tsecr, "reply TSecr") && ok;
	}
	if (!(w->flags & PKT_SYN) && w->ts >= 0)
		ok = ASSERT_EQ(v.tcp_hlen, w->ts ? 32 : 20, "reply TCP header length") && ok;
	if (!ok)
		tr_dump(r);
	return ok;
}

/* ---------------------------------------------------------------- segments */

/* A client segment of the test flow; ts: NOP NOP TS(tsval, tsecr) when true. */
static void seg(struct pkt_spec *s, bool v6, uint8_t flags, uint32_t seq, uint32_t ack,
		uint16_t len, bool ts, uint32_t tsval, uint32_t tsecr)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, mac_srv, 6);
	memcpy(s->smac, mac_cli, 6);
	s->ipv6 = v6;
	memcpy(s->saddr, v6 ? cli6 : cli4, v6 ? 16 : 4);
	memcpy(s->daddr, v6 ? srv6 : srv4, v6 ? 16 : 4);
	s->frag_off = v6 ? 0 : PKT_IP_DF;
	s->sport = CLI_PORT;
	s->dport = PORT;
	s->seq = seq;
	s->ack = ack;
	s->flags = flags;
	s->window = 502;
	s->payload_len = len;
	if (ts) {
		uint8_t o[12] = { 1, 1, 8, 10 };

		o[4] = tsval >> 24;
		o[5] = tsval >> 16;
		o[6] = tsval >> 8;
		o[7] = tsval;
		o[8] = tsecr >> 24;
		o[9] = tsecr >> 16;
		o[10] = tsecr >> 8;
		o[11] = tsecr;
		memcpy(s->tcpopt, o, sizeof(o));
		s->tcpopt_len = sizeof(o);
	}
}

/* The client's Linux SYN: MSS 1460, SACK_PERM, TS, NOP, WS 7. */
static void syn(struct pkt_spec *s, bool v6)
{
	static const uint8_t o[20] = { 2,    4,	   0x05, 0xb4, 4, 2, 8, 10, 0xa1, 0xb2,
				       0xc3, 0xd4, 0,	 0,    0, 0, 1, 3,  3,	  7 };

	seg(s, v6, PKT_SYN, ISN, 0, 0, false, 0, 0);
	s->window = 64240;
	memcpy(s->tcpopt, o, sizeof(o));
	s->tcpopt_len = sizeof(o);
}

static uint32_t tsval_of(const struct serve_flow *v, uint64_t now)
{
	return (uint32_t)(now >> SERVE_TS_SHIFT) + v->ts_off;
}

static bool check_state(bool v6, struct serve_flow *v, int state, const char *what)
{
	if (!ASSERT(flow_get(v6, v), "%s: flow entry missing", what))
		return false;
	return ASSERT(v->state == state, "%s: state: expected %s, got %s", what,
		      tcp_state_name(state), tcp_state_name(v->state));
}

static bool check_gone(bool v6, const char *what)
{
	struct serve_flow v = {};

	return ASSERT(!flow_get(v6, &v), "%s: flow entry still there (state %u)", what, v.state);
}

/*
 * A full state-mode handshake: SYN -> SYN-ACK (checked), final ACK ->
 * ESTABLISHED. Leaves the entry in *v; the client's next seq is ISN + 1.
 */
static bool handshake(bool v6, struct serve_flow *v)
{
	struct pkt_spec s;
	struct pkt_tcpopts o;
	struct pkt_view pv;
	struct tr_run r;
	bool ok = true;

	syn(&s, v6);
	if (!tr_run_spec(&r, &xdp_prog, &s, "SYN"))
		return false;
	if (!ASSERT(r.retval == XDP_TX && r.delta[SS_TX_SYNACK] == 1,
		    "SYN: expected XDP_TX tx_synack, got %s", tr_verdict_name(true, r.retval))) {
		tr_dump(&r);
		return false;
	}
	if (!check_state(v6, v, TCPS_SYN_RCVD, "after SYN"))
		return false;
	{
		struct want w = { XDP_TX,
				  SS_TX_SYNACK,
				  PKT_SYN | PKT_ACK,
				  v->iss,
				  ISN + 1,
				  WIN,
				  1,
				  tsval_of(v, NOW_NS),
				  TSV };

		/* rerun the checks on the same reply */
		if (!tr_check_reply(&s, &r, TTL, &pv))
			return false;
		ok = ASSERT_EQ(pv.tcp->flags, w.flags, "SYN-ACK flags") && ok;
		ok = ASSERT_EQ(ntohl(pv.tcp->seq), w.seq, "SYN-ACK seq = ISS of the entry") && ok;
		ok = ASSERT_EQ(ntohl(pv.tcp->ack), w.ack, "SYN-ACK ack = ISN + 1") && ok;
		ok = ASSERT_EQ(ntohs(pv.tcp->window), WIN, "SYN-ACK window") && ok;
		pkt_tcp_opts(&pv, &o);
		ok = ASSERT(o.mss && o.mss_val == (v6 ? MSS6 : MSS4), "SYN-ACK MSS") && ok;
		ok = ASSERT(o.sack && o.ts && o.ws && o.ws_val == WSCALE, "SYN-ACK SACK/TS/WS") &&
		     ok;
		ok = ASSERT_EQ(o.tsval, w.tsval, "SYN-ACK TSval") && ok;
		ok = ASSERT_EQ(o.tsecr, TSV, "SYN-ACK TSecr") && ok;
		ok = ASSERT_EQ(pv.tcp_hlen, 40, "SYN-ACK header: Linux layout") && ok;
	}
	ok = ASSERT_EQ(v->irs, ISN, "entry IRS") && ok;
	ok = ASSERT_EQ(v->rcv_nxt, ISN + 1, "entry RCV.NXT") && ok;
	ok = ASSERT_EQ(v->snd_una, v->iss, "entry SND.UNA") && ok;
	ok = ASSERT_EQ(v->snd_nxt, v->iss + 1, "entry SND.NXT") && ok;
	ok = ASSERT_EQ(v->flags, SF_TS | SF_SACK | SF_WSCALE, "entry flags") && ok;
	ok = ASSERT_EQ(v->snd_wscale, 7, "entry peer window scale") && ok;
	ok = ASSERT_EQ(v->rcv_wscale, WSCALE, "entry our window scale") && ok;
	ok = ASSERT_EQ(v->mss, 1460, "entry peer MSS") && ok;
	ok = ASSERT_EQ(v->ts_recent, TSV, "entry TS.Recent") && ok;
	ok = ASSERT_EQ(v->rcv_wnd, WIN, "entry RCV.WND") && ok;
	ok = ASSERT_MEM_EQ(v->peer_mac, mac_cli, 6, "entry peer MAC") && ok;
	ok = ASSERT_EQ(halfopen_get(), 1, "half-open count after SYN") && ok;
	if (!ok)
		return false;

	seg(&s, v6, PKT_ACK, ISN + 1, v->iss + 1, 0, true, TSV + 1, tsval_of(v, NOW_NS));
	{
		struct want w = { XDP_DROP, SS_DROP_ESTABLISHED };

		if (!step(&r, &s, &w, "final ACK"))
			return false;
	}
	if (!check_state(v6, v, TCPS_ESTABLISHED, "after the final ACK"))
		return false;
	ok = ASSERT_EQ(v->snd_una, v->iss + 1, "entry SND.UNA after the final ACK") && ok;
	ok = ASSERT_EQ(v->snd_wnd, 502u << 7, "entry SND.WND (scaled)") && ok;
	ok = ASSERT_EQ(v->ts_recent, TSV + 1, "entry TS.Recent after the final ACK") && ok;
	ok = ASSERT_EQ(halfopen_get(), 0, "half-open count after the final ACK") && ok;
	return ok;
}

/* The ACK XDP sends on the test flow (entry v after the step). */
static struct want ack_want(enum serve_stat stat, const struct serve_flow *v, uint32_t tsecr)
{
	struct want w = { XDP_TX,     stat,	     PKT_ACK, v->snd_nxt,
			  v->rcv_nxt, WIN >> WSCALE, 1,	      tsval_of(v, cur_cfg.now_override_ns),
			  tsecr };

	return w;
}

#define FAM(v6) ((v6) ? "IPv6" : "IPv4")

/* ---------------------------------------------------------------- handshake */

static void test_handshake(void)
{
	struct serve_flow v;
	struct pkt_spec s;
	struct tr_run r;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		tl_begin("%s state mode: SYN -> SYN-ACK + SYN_RCVD, final ACK -> ESTABLISHED",
			 FAM(v6));
		if (ASSERT(fixture_reset(), "fixture"))
			handshake(v6, &v);
		tl_end();

		tl_begin("%s SYN_RCVD: the same SYN again -> SYN-ACK again, then rate-limited",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e1;
		syn(&s, v6);
		if (!tr_run_spec(&r, &xdp_prog, &s, "SYN") ||
		    !check_state(v6, &v, TCPS_SYN_RCVD, "SYN"))
			goto e1;
		{
			struct want w = { XDP_TX,
					  SS_TX_SYNACK_AGAIN,
					  PKT_SYN | PKT_ACK,
					  v.iss,
					  ISN + 1,
					  WIN,
					  1,
					  tsval_of(&v, NOW_NS),
					  TSV };
			struct want lim = { XDP_DROP, SS_DROP_RATE_LIMITED };

			if (!step(&r, &s, &w, "SYN again") ||
			    !step(&r, &s, &lim, "SYN a third time"))
				goto e1;
			if (!ASSERT(clock_set(NOW_NS + GAP_NS + (2 << 20)), "clock"))
				goto e1;
			w.tsval = tsval_of(&v, NOW_NS + GAP_NS + (2 << 20));
			if (!step(&r, &s, &w, "SYN again after the gap"))
				goto e1;
			check_state(v6, &v, TCPS_SYN_RCVD, "after the duplicates");
			ASSERT_EQ(halfopen_get(), 1, "half-open count");
		}
e1:
		tl_end();

		tl_begin("%s SYN_RCVD: ACK with a wrong ack -> RST at its ack, half-open kept",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e2;
		syn(&s, v6);
		if (!tr_run_spec(&r, &xdp_prog, &s, "SYN") ||
		    !check_state(v6, &v, TCPS_SYN_RCVD, "SYN"))
			goto e2;
		{
			struct want w = { XDP_TX, SS_TX_RST_BAD_ACK, PKT_RST, v.iss + 77, 0, 0, 0 };

			seg(&s, v6, PKT_ACK, ISN + 1, v.iss + 77, 0, true, TSV, 0);
			if (!step(&r, &s, &w, "bad ACK"))
				goto e2;
			if (!check_state(v6, &v, TCPS_SYN_RCVD, "after the bad ACK"))
				goto e2;
			ASSERT_EQ(halfopen_get(), 1, "half-open count");
			/* the real client still completes */
			seg(&s, v6, PKT_ACK, ISN + 1, v.iss + 1, 0, true, TSV, 0);
			w = (struct want){ XDP_DROP, SS_DROP_ESTABLISHED };
			if (step(&r, &s, &w, "good ACK"))
				check_state(v6, &v, TCPS_ESTABLISHED, "after the good ACK");
		}
e2:
		tl_end();

		tl_begin("%s SYN_RCVD: final ACK with data -> ESTABLISHED, data to the controller "
			 "(no socket: XDP_DROP, drop_no_xsk)",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e3;
		syn(&s, v6);
		if (!tr_run_spec(&r, &xdp_prog, &s, "SYN") ||
		    !check_state(v6, &v, TCPS_SYN_RCVD, "SYN"))
			goto e3;
		{
			struct want w = { XDP_DROP, SS_DROP_NO_XSK };

			seg(&s, v6, PKT_ACK | PKT_PSH, ISN + 1, v.iss + 1, 20, true, TSV, 0);
			if (step(&r, &s, &w, "ACK with 20 bytes"))
				check_state(v6, &v, TCPS_ESTABLISHED, "after the ACK with data");
			ASSERT_EQ(v.rcv_nxt, ISN + 1,
				  "RCV.NXT untouched: the controller takes the data");
			ASSERT_EQ(halfopen_get(), 0, "half-open count");
		}
e3:
		tl_end();

		tl_begin("%s SYN_RCVD: RST at RCV.NXT deletes; RST inside the window does not",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e4;
		syn(&s, v6);
		if (!tr_run_spec(&r, &xdp_prog, &s, "SYN") ||
		    !check_state(v6, &v, TCPS_SYN_RCVD, "SYN"))
			goto e4;
		{
			struct want w = { XDP_TX,  SS_TX_CHALLENGE_RST,
					  PKT_ACK, v.iss + 1,
					  ISN + 1, WIN >> WSCALE,
					  1,	   tsval_of(&v, NOW_NS),
					  TSV };
			struct want del = { XDP_DROP, SS_DROP_RST_CLOSE };

			seg(&s, v6, PKT_RST, ISN + 100, 0, 0, false, 0, 0);
			if (!step(&r, &s, &w, "RST in window"))
				goto e4;
			if (!check_state(v6, &v, TCPS_SYN_RCVD, "after the in-window RST"))
				goto e4;
			seg(&s, v6, PKT_RST, ISN + 1, 0, 0, false, 0, 0);
			if (!step(&r, &s, &del, "RST at RCV.NXT"))
				goto e4;
			check_gone(v6, "after the exact RST");
			ASSERT_EQ(halfopen_get(), 0, "half-open count");
		}
e4:
		tl_end();
	}
}

/* ---------------------------------------------------------------- teardown */

/* Put the established test flow into `state` with nothing outstanding (our FIN sent if fin). */
static bool flow_to(bool v6, struct serve_flow *v, int state, bool our_fin)
{
	v->state = state;
	if (our_fin)
		v->snd_nxt = v->snd_una + 1;
	return ASSERT(flow_put(v6, v), "flow_put: %s", strerror(errno));
}

static void test_teardown(void)
{
	struct serve_flow v;
	struct pkt_spec s;
	struct tr_run r;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		uint32_t c = ISN + 1; /* the client's next seq */

		tl_begin("%s ESTABLISHED + FIN, nothing outstanding -> ACK, CLOSE_WAIT; "
			 "LAST_ACK + ACK of our FIN -> deleted",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto e1;
		seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_nxt, 0, true, TSV + 2, 0);
		{
			struct serve_flow want_v = v;
			struct want w;

			want_v.rcv_nxt = c + 1;
			w = ack_want(SS_TX_ACK_FIN_CLOSE_WAIT, &want_v, TSV + 2);
			if (!step(&r, &s, &w, "FIN"))
				goto e1;
		}
		if (!check_state(v6, &v, TCPS_CLOSE_WAIT, "after FIN"))
			goto e1;
		ASSERT_EQ(v.rcv_nxt, c + 1, "RCV.NXT counts the FIN");
		/* the controller closes: FIN sent, LAST_ACK */
		if (!flow_to(v6, &v, TCPS_LAST_ACK, true))
			goto e1;
		seg(&s, v6, PKT_ACK, c + 1, v.snd_nxt, 0, true, TSV + 3, 0);
		{
			struct want w = { XDP_DROP, SS_DROP_FIN_ACKED_CLOSED };

			if (step(&r, &s, &w, "ACK of our FIN"))
				check_gone(v6, "LAST_ACK acknowledged");
		}
e1:
		tl_end();

		tl_begin("%s ESTABLISHED + FIN with our data unacknowledged -> controller",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto e2;
		v.snd_nxt += 100; /* the controller sent 100 bytes */
		if (!flow_to(v6, &v, TCPS_ESTABLISHED, false))
			goto e2;
		{
			struct want w = { XDP_DROP, SS_DROP_NO_XSK };

			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_una, 0, true, TSV + 2, 0);
			if (step(&r, &s, &w, "FIN, our data outstanding"))
				check_state(v6, &v, TCPS_ESTABLISHED, "unchanged");
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_nxt, 0, true, TSV + 2, 0);
			if (step(&r, &s, &w, "FIN acking our data (controller must see the ACK)"))
				check_state(v6, &v, TCPS_ESTABLISHED, "unchanged");
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_una, 10, true, TSV + 2, 0);
			if (step(&r, &s, &w, "FIN with data"))
				check_state(v6, &v, TCPS_ESTABLISHED, "unchanged");
			seg(&s, v6, PKT_FIN | PKT_ACK, c + 5, v.snd_una, 0, true, TSV + 2, 0);
			if (step(&r, &s, &w, "FIN beyond RCV.NXT (data missing)"))
				check_state(v6, &v, TCPS_ESTABLISHED, "unchanged");
		}
e2:
		tl_end();

		tl_begin("%s FIN_WAIT_1 + ACK of our FIN -> FIN_WAIT_2; + FIN -> ACK, TIME_WAIT; "
			 "FIN again -> ACK again, 2MSL restarted",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v) ||
		    !flow_to(v6, &v, TCPS_FIN_WAIT_1, true))
			goto e3;
		{
			struct want w = { XDP_DROP, SS_DROP_FIN_ACKED_FW2 };
			struct serve_flow want_v;
			uint64_t later = NOW_NS + 3 * GAP_NS;

			seg(&s, v6, PKT_ACK, c, v.snd_nxt, 0, true, TSV + 2, 0);
			if (!step(&r, &s, &w, "ACK of our FIN"))
				goto e3;
			if (!check_state(v6, &v, TCPS_FIN_WAIT_2, "after the ACK"))
				goto e3;
			ASSERT_EQ(v.snd_una, v.snd_nxt, "SND.UNA covers our FIN");
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_nxt, 0, true, TSV + 3, 0);
			want_v = v;
			want_v.rcv_nxt = c + 1;
			w = ack_want(SS_TX_ACK_FIN_TIME_WAIT, &want_v, TSV + 3);
			if (!step(&r, &s, &w, "FIN"))
				goto e3;
			if (!check_state(v6, &v, TCPS_TIME_WAIT, "after FIN"))
				goto e3;
			ASSERT_EQ(v.last_ns, NOW_NS, "TIME_WAIT from now");
			if (!ASSERT(clock_set(later), "clock"))
				goto e3;
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_nxt, 0, true, TSV + 4, 0);
			/* Linux's TIME_WAIT echoes the TS.Recent it had: the FIN is old news */
			w = ack_want(SS_TX_ACK_FIN_AGAIN, &v, TSV + 3);
			if (!step(&r, &s, &w, "FIN retransmitted"))
				goto e3;
			if (!check_state(v6, &v, TCPS_TIME_WAIT, "after FIN again"))
				goto e3;
			ASSERT_EQ(v.last_ns, later, "2MSL restarted");
			seg(&s, v6, PKT_ACK, c + 1, v.snd_nxt, 0, true, TSV + 5, 0);
			w = (struct want){ XDP_DROP, SS_DROP_TIME_WAIT };
			if (!ASSERT(clock_set(later + GAP_NS), "clock") ||
			    !step(&r, &s, &w, "ACK in TIME_WAIT"))
				goto e3;
			if (check_state(v6, &v, TCPS_TIME_WAIT, "after the ACK"))
				ASSERT_EQ(v.last_ns, later, "an ACK does not restart 2MSL");
		}
e3:
		tl_end();

		tl_begin("%s FIN_WAIT_1 + FIN (ours unacked) -> ACK, CLOSING; ACK -> TIME_WAIT",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v) ||
		    !flow_to(v6, &v, TCPS_FIN_WAIT_1, true))
			goto e4;
		{
			struct serve_flow want_v = v;
			struct want w;

			want_v.rcv_nxt = c + 1;
			w = ack_want(SS_TX_ACK_FIN_CLOSING, &want_v, TSV + 2);
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_una, 0, true, TSV + 2, 0);
			if (!step(&r, &s, &w, "FIN crossing ours"))
				goto e4;
			if (!check_state(v6, &v, TCPS_CLOSING, "after FIN"))
				goto e4;
			w = (struct want){ XDP_DROP, SS_DROP_FIN_ACKED_TW };
			seg(&s, v6, PKT_ACK, c + 1, v.snd_nxt, 0, true, TSV + 3, 0);
			if (step(&r, &s, &w, "ACK of our FIN"))
				check_state(v6, &v, TCPS_TIME_WAIT, "after the ACK");
		}
e4:
		tl_end();

		tl_begin("%s FIN_WAIT_1 + FIN acking ours -> ACK, TIME_WAIT", FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v) ||
		    !flow_to(v6, &v, TCPS_FIN_WAIT_1, true))
			goto e5;
		{
			struct serve_flow want_v = v;
			struct want w;

			want_v.rcv_nxt = c + 1;
			w = ack_want(SS_TX_ACK_FIN_TIME_WAIT, &want_v, TSV + 2);
			seg(&s, v6, PKT_FIN | PKT_ACK, c, v.snd_nxt, 0, true, TSV + 2, 0);
			if (step(&r, &s, &w, "FIN|ACK"))
				if (check_state(v6, &v, TCPS_TIME_WAIT, "after FIN"))
					ASSERT_EQ(v.snd_una, v.snd_nxt, "SND.UNA covers our FIN");
		}
e5:
		tl_end();

		tl_begin("%s TIME_WAIT + SYN with a higher seq -> new SYN_RCVD entry", FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v) ||
		    !flow_to(v6, &v, TCPS_TIME_WAIT, true))
			goto e6;
		{
			struct pkt_view pv;

			syn(&s, v6);
			s.seq = ISN + 1000;
			s.tcpopt[8] = 0xa2; /* a newer TSval: PAWS holds in TIME_WAIT too */
			if (!tr_run_spec(&r, &xdp_prog, &s, "new SYN"))
				goto e6;
			if (!ASSERT(r.retval == XDP_TX && r.delta[SS_TX_SYNACK] == 1,
				    "answered with a SYN-ACK, tx_synack"))
				goto e6;
			if (check_state(v6, &v, TCPS_SYN_RCVD, "after the new SYN") &&
			    tr_check_reply(&s, &r, TTL, &pv)) {
				ASSERT_EQ(v.irs, ISN + 1000, "IRS of the new connection");
				ASSERT_EQ(pv.tcp->flags, PKT_SYN | PKT_ACK, "SYN-ACK flags");
				ASSERT_EQ(ntohl(pv.tcp->seq), v.iss, "SYN-ACK seq = new ISS");
				ASSERT_EQ(ntohl(pv.tcp->ack), ISN + 1001, "SYN-ACK ack");
				ASSERT_EQ(halfopen_get(), 1, "half-open count");
			}
		}
e6:
		tl_end();
	}
}

/* ---------------------------------------------------------------- RFC 5961, PAWS */

static void test_rfc5961(void)
{
	struct serve_flow v;
	struct pkt_spec s;
	struct tr_run r;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		uint32_t c = ISN + 1;

		tl_begin("%s ESTABLISHED: RST outside -> drop; inside -> challenge ACK, "
			 "rate-limited; exact -> deleted",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto e1;
		{
			struct want out = { XDP_DROP, SS_DROP_RST_OUTSIDE };
			struct want in = ack_want(SS_TX_CHALLENGE_RST, &v, TSV + 1);
			struct want lim = { XDP_DROP, SS_DROP_RATE_LIMITED };
			struct want del = { XDP_DROP, SS_DROP_RST_CLOSE };

			seg(&s, v6, PKT_RST, c + WIN, 0, 0, false, 0, 0);
			if (!step(&r, &s, &out, "RST at RCV.NXT + RCV.WND"))
				goto e1;
			seg(&s, v6, PKT_RST | PKT_ACK, c - 1, v.snd_nxt, 0, false, 0, 0);
			if (!step(&r, &s, &out, "RST at RCV.NXT - 1"))
				goto e1;
			seg(&s, v6, PKT_RST, c + WIN - 1, 0, 0, false, 0, 0);
			if (!step(&r, &s, &in, "RST at the window's last byte"))
				goto e1;
			if (!check_state(v6, &v, TCPS_ESTABLISHED, "after the challenge"))
				goto e1;
			seg(&s, v6, PKT_RST, c + 1, 0, 0, false, 0, 0);
			if (!step(&r, &s, &lim, "second in-window RST within the gap"))
				goto e1;
			seg(&s, v6, PKT_RST, c, 0, 0, false, 0, 0);
			if (step(&r, &s, &del, "RST at RCV.NXT"))
				check_gone(v6, "after the exact RST");
		}
e1:
		tl_end();

		tl_begin("%s ESTABLISHED: SYN -> challenge ACK; PAWS: old TSval -> duplicate ACK",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto e2;
		{
			struct want w = ack_want(SS_TX_CHALLENGE_SYN, &v, TSV + 1);
			struct want lim = { XDP_DROP, SS_DROP_RATE_LIMITED };
			struct want paws;

			syn(&s, v6);
			/* at the peer's old ISN: a sequence number TS.Recent would be taken from */
			s.seq = ISN;
			s.tcpopt[8] = 0xa2; /* TSval newer than TS.Recent */
			if (!step(&r, &s, &w, "SYN on an established flow"))
				goto e2;
			{
				struct serve_flow now;

				/* a SYN must not move TS.Recent: one SYN could then make PAWS
				 * drop everything the real peer sends */
				if (!ASSERT(flow_get(v6, &now), "flow entry") ||
				    !ASSERT_EQ(now.ts_recent, TSV + 1, "TS.Recent after the SYN"))
					goto e2;
			}
			if (!step(&r, &s, &lim, "SYN again within the gap"))
				goto e2;
			if (!check_state(v6, &v, TCPS_ESTABLISHED, "after the SYNs"))
				goto e2;
			if (!ASSERT(clock_set(NOW_NS + GAP_NS + (2 << 20)), "clock"))
				goto e2;
			paws = ack_want(SS_TX_ACK_PAWS, &v, TSV + 1);
			seg(&s, v6, PKT_ACK, c, v.snd_nxt, 0, true, TSV - 5, 0);
			if (!step(&r, &s, &paws, "ACK with an old TSval"))
				goto e2;
			if (check_state(v6, &v, TCPS_ESTABLISHED, "after PAWS"))
				ASSERT_EQ(v.ts_recent, TSV + 1, "TS.Recent not moved back");
		}
e2:
		tl_end();

		tl_begin("%s ESTABLISHED: data and ACKs -> controller, TS.Recent updated", FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto e3;
		{
			struct want w = { XDP_DROP, SS_DROP_NO_XSK };

			seg(&s, v6, PKT_ACK | PKT_PSH, c, v.snd_nxt, 20, true, TSV + 9, 0);
			if (!step(&r, &s, &w, "20 bytes of data"))
				goto e3;
			if (check_state(v6, &v, TCPS_ESTABLISHED, "after data"))
				ASSERT_EQ(v.ts_recent, TSV + 9, "TS.Recent from the data segment");
			seg(&s, v6, PKT_ACK, c + 20, v.snd_nxt, 0, true, TSV + 10, 0);
			if (!step(&r, &s, &w, "pure ACK"))
				goto e3;
			seg(&s, v6, PKT_PSH, c, 0, 20, true, TSV + 11, 0);
			w.stat = SS_DROP_NO_ACK_FLAG;
			step(&r, &s, &w, "data without ACK");
		}
e3:
		tl_end();
	}
}

/* ---------------------------------------------------------------- no flow */

static void test_no_flow(void)
{
	struct pkt_spec s;
	struct tr_run r;
	int v6, i;

	for (v6 = 0; v6 < 2; v6++) {
		tl_begin("%s no flow: ACK -> RST at its ack; bare FIN, RST -> drop (as a listener)",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e1;
		{
			struct want rst = { XDP_TX, SS_TX_RST_NO_FLOW, PKT_RST, 0x5555, 0, 0, 0 };
			struct want drop = { XDP_DROP, SS_DROP_NO_FLOW };

			seg(&s, v6, PKT_ACK, ISN, 0x5555, 0, true, TSV, 0);
			if (!step(&r, &s, &rst, "ACK for no flow (no valid cookie)"))
				goto e1;
			seg(&s, v6, PKT_FIN | PKT_PSH, ISN, 0, 7, false, 0, 0);
			if (!step(&r, &s, &drop, "FIN|PSH with 7 bytes, no ACK: dropped"))
				goto e1;
			seg(&s, v6, PKT_RST, ISN, 0, 0, false, 0, 0);
			if (!step(&r, &s, &drop, "RST for no flow"))
				goto e1;
			ASSERT_EQ(flows_count(), 0, "no entry made");
		}
e1:
		tl_end();
	}

	for (v6 = 0; v6 < 2; v6++) {
		tl_begin(
			"%s screen: three VLAN tags, a group or zero source MAC, IP length or checksum wrong -> dropped",
			FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e_screen;
		{
			struct want deep = { XDP_DROP, SS_DROP_VLAN_DEEP };
			struct want bad_src = { XDP_DROP, SS_DROP_L2_BAD_SRC };
			struct want ip_len = { XDP_DROP, SS_DROP_IP_LEN };
			struct want ip_csum = { XDP_DROP, SS_DROP_IP_CSUM };
			static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

			seg(&s, v6, PKT_SYN, ISN, 0, 0, true, TSV, 0);
			s.nvlan = 3;
			for (i = 0; i < 3; i++) {
				s.vlan_proto[i] = PKT_ETH_P_8021Q;
				s.vlan_tci[i] = 0; /* priority tags, VID 0 */
			}
			if (!step(&r, &s, &deep, "SYN behind three VID-0 tags"))
				goto e_screen;
			seg(&s, v6, PKT_SYN, ISN, 0, 0, true, TSV, 0);
			memcpy(s.smac, bcast, 6);
			if (!step(&r, &s, &bad_src, "SYN from ff:ff:ff:ff:ff:ff"))
				goto e_screen;
			seg(&s, v6, PKT_SYN, ISN, 0, 0, true, TSV, 0);
			memset(s.smac, 0, 6);
			if (!step(&r, &s, &bad_src, "SYN from 00:00:00:00:00:00"))
				goto e_screen;
			seg(&s, v6, PKT_ACK, ISN, 0x5555, 0, true, TSV, 0);
			s.ip_len_delta = 20;
			if (!step(&r, &s, &ip_len, "ACK whose IP length claims 20 bytes more"))
				goto e_screen;
			if (!v6) {
				seg(&s, v6, PKT_SYN, ISN, 0, 0, true, TSV, 0);
				s.ip_csum_xor = 0x0001;
				if (!step(&r, &s, &ip_csum, "SYN with a bad IPv4 header checksum"))
					goto e_screen;
			}
			ASSERT_EQ(flows_count(), 0, "no entry made");
		}
e_screen:
		tl_end();
	}

	tl_begin("no flow: RSTs rate-limited per CPU per second; option drop");
	if (!ASSERT(fixture_reset(), "fixture"))
		goto e2;
	{
		struct serve_cfg c = cfg_default();
		struct want rst = { XDP_TX, SS_TX_RST_NO_FLOW, PKT_RST, 0x5555, 0, 0, 0 };
		struct want lim = { XDP_DROP, SS_DROP_NO_FLOW_LIMITED };
		struct want drop = { XDP_DROP, SS_DROP_NO_FLOW };

		c.rst_per_sec = 3;
		if (!ASSERT(cfg_set(&c), "cfg"))
			goto e2;
		seg(&s, 0, PKT_ACK, ISN, 0x5555, 0, false, 0, 0);
		for (i = 0; i < 3; i++)
			if (!step(&r, &s, &rst, "ACK for no flow, within budget"))
				goto e2;
		if (!step(&r, &s, &lim, "fourth in the same second"))
			goto e2;
		if (!ASSERT(clock_set(NOW_NS + 1000000000ULL), "clock") ||
		    !step(&r, &s, &rst, "a second later"))
			goto e2;
		c = cur_cfg;
		c.no_flow = SERVE_NO_FLOW_DROP;
		if (!ASSERT(cfg_set(&c), "cfg"))
			goto e2;
		step(&r, &s, &drop, "no-flow option drop");
	}
e2:
	tl_end();

	tl_begin("unserved port and address, other protocols pass untouched");
	if (!ASSERT(fixture_reset(), "fixture"))
		goto e3;
	{
		struct want pass = { XDP_PASS, SS_PASS_UNSERVED };
		struct want nottcp = { XDP_PASS, SS_PASS_NOT_TCP };

		syn(&s, 0);
		s.dport = PORT_OTHER;
		if (!step(&r, &s, &pass, "IPv4 SYN to 8080"))
			goto e3;
		syn(&s, 1);
		s.daddr[15] = 2;
		if (!step(&r, &s, &pass, "IPv6 SYN to another address"))
			goto e3;
		syn(&s, 0);
		s.l4proto = PKT_IPPROTO_UDP;
		if (!step(&r, &s, &nottcp, "UDP to port 7"))
			goto e3;
		ASSERT_EQ(flows_count(), 0, "no entry made");
	}
e3:
	tl_end();
}

/* ---------------------------------------------------------------- cookies, table full */

/* Send the Linux SYN; expect a cookie SYN-ACK counted under `stat`; return the cookie. */
static bool cookie_synack(bool v6, enum serve_stat stat, uint32_t *cookie, uint32_t *tsval)
{
	struct pkt_tcpopts o;
	struct pkt_view pv;
	struct pkt_spec s;
	struct tr_run r;
	uint32_t payload, tsopt = cookie_tsopt(7, 1, 0);
	struct guard_key k = key_of(SLOT);
	__be16 sp = htons(CLI_PORT), dp = htons(PORT);
	__u64 hash;

	syn(&s, v6);
	if (!tr_run_spec(&r, &xdp_prog, &s, "SYN"))
		return false;
	if (!ASSERT(r.retval == XDP_TX && r.delta[stat] == 1, "SYN: expected XDP_TX %s, got %s",
		    serve_stat_names[stat], tr_verdict_name(true, r.retval))) {
		tr_dump(&r);
		return false;
	}
	if (!tr_check_reply(&s, &r, TTL, &pv))
		return false;
	*cookie = ntohl(pv.tcp->seq);
	/* a timestamp cookie: wscale 7 and SACK in the TSval's low bits */
	payload = cookie_payload(SLOT, 6, 7, 1, 1);
	if (v6) {
		__be32 a[4], b[4];

		memcpy(a, cli6, 16);
		memcpy(b, srv6, 16);
		hash = cookie_hash6(k.k0, k.k1, a, b, sp, dp, ISN, cookie_msg(payload, tsopt));
	} else {
		__be32 a, b;

		memcpy(&a, cli4, 4);
		memcpy(&b, srv4, 4);
		hash = cookie_hash4(k.k0, k.k1, a, b, sp, dp, ISN, cookie_msg(payload, tsopt));
	}
	pkt_tcp_opts(&pv, &o);
	*tsval = o.tsval;
	return ASSERT_EQ(*cookie, cookie_from_hash(hash, payload), "cookie recomputed") &&
	       ASSERT_EQ(o.tsval,
			 cookie_tsval((uint32_t)(NOW_NS >> SERVE_TS_SHIFT) + (uint32_t)(hash >> 32),
				      tsopt),
			 "cookie SYN-ACK TSval (clock + offset, options in the low bits)") &&
	       ASSERT(o.mss && o.sack && o.ts && o.ws, "cookie SYN-ACK options") &&
	       ASSERT_EQ(ntohl(pv.tcp->ack), ISN + 1, "cookie SYN-ACK ack");
}

static void test_cookies(void)
{
	struct serve_flow v;
	struct pkt_spec s;
	struct tr_run r;
	uint32_t cookie, tsval;
	int v6, i;

	for (v6 = 0; v6 < 2; v6++) {
		tl_begin("%s cookie mode: SYN -> cookie SYN-ACK (no entry), ACK -> ESTABLISHED, "
			 "FIN -> ACK with the cookie's TSval clock",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e1;
		{
			struct serve_cfg c = cfg_default();

			c.syn_mode = SERVE_SYN_COOKIE;
			if (!ASSERT(cfg_set(&c), "cfg"))
				goto e1;
		}
		if (!cookie_synack(v6, SS_TX_SYNACK_COOKIE, &cookie, &tsval))
			goto e1;
		if (!ASSERT_EQ(flows_count(), 0, "no entry for a cookie SYN"))
			goto e1;
		{
			struct want bad = {
				XDP_TX, SS_TX_RST_NO_FLOW, PKT_RST, cookie + 2, 0, 0, 0
			};
			struct want ok = { XDP_DROP, SS_DROP_COOKIE_ESTABLISHED };
			struct serve_flow want_v;
			struct want w;

			seg(&s, v6, PKT_ACK, ISN + 1, cookie + 2, 0, true, TSV + 1, tsval);
			if (!step(&r, &s, &bad, "ACK with a wrong cookie"))
				goto e1;
			seg(&s, v6, PKT_ACK, ISN + 1, cookie + 1, 0, true, TSV + 1, tsval);
			if (!step(&r, &s, &ok, "ACK with the cookie"))
				goto e1;
			if (!check_state(v6, &v, TCPS_ESTABLISHED, "after the cookie ACK"))
				goto e1;
			ASSERT_EQ(v.iss, cookie, "ISS = cookie");
			ASSERT_EQ(v.irs, ISN, "IRS");
			ASSERT_EQ(v.snd_una, cookie + 1, "SND.UNA");
			ASSERT_EQ(v.snd_nxt, cookie + 1, "SND.NXT");
			ASSERT_EQ(v.rcv_nxt, ISN + 1, "RCV.NXT");
			ASSERT_EQ(v.flags, SF_TS | SF_SACK | SF_WSCALE | SF_COOKIE, "flags");
			ASSERT_EQ(v.mss, v6 ? 1440 : 1460, "MSS from the cookie table");
			ASSERT_EQ(v.snd_wscale, 7, "peer window scale");
			ASSERT_EQ(v.snd_wnd, 502u << 7, "SND.WND");
			ASSERT(tsval_of(&v, NOW_NS) - tsval < 1u << COOKIE_TSOPT_BITS,
			       "TSval clock continues the SYN-ACK's (%u, SYN-ACK %u)",
			       tsval_of(&v, NOW_NS), tsval);
			ASSERT_EQ(halfopen_get(), 0, "no half-open entry");
			seg(&s, v6, PKT_FIN | PKT_ACK, ISN + 1, cookie + 1, 0, true, TSV + 2,
			    tsval);
			want_v = v;
			want_v.rcv_nxt = ISN + 2;
			w = ack_want(SS_TX_ACK_FIN_CLOSE_WAIT, &want_v, TSV + 2);
			if (step(&r, &s, &w, "FIN"))
				check_state(v6, &v, TCPS_CLOSE_WAIT, "after FIN");
		}
e1:
		tl_end();

		tl_begin("%s table full: SYN -> cookie SYN-ACK; its ACK -> RST; entries kept",
			 FAM(v6));
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e2;
		for (i = 0; i < SERVE_TEST_FLOWS; i++) {
			struct serve_flow_key k;
			struct serve_flow f = { .state = TCPS_ESTABLISHED, .iss = i };

			key_make(v6, 1000 + i, &k);
			if (!ASSERT(!bpf_map__update_elem(skel->maps.serve_flows, &k, sizeof(k), &f,
							  sizeof(f), BPF_NOEXIST),
				    "fill entry %d: %s", i, strerror(errno)))
				goto e2;
		}
		if (!cookie_synack(v6, SS_TX_SYNACK_FULL, &cookie, &tsval))
			goto e2;
		ASSERT_EQ(halfopen_get(), 0, "no half-open entry");
		{
			struct want rst = { XDP_TX, SS_TX_RST_TABLE_FULL, PKT_RST, cookie + 1, 0, 0,
					    0 };
			struct want ok = { XDP_DROP, SS_DROP_COOKIE_ESTABLISHED };
			struct serve_flow_key k;

			seg(&s, v6, PKT_ACK, ISN + 1, cookie + 1, 0, true, TSV + 1, tsval);
			if (!step(&r, &s, &rst, "cookie ACK, table full"))
				goto e2;
			if (!ASSERT_EQ(flows_count(), SERVE_TEST_FLOWS, "established entries kept"))
				goto e2;
			/* one closes: the next cookie ACK gets in */
			key_make(v6, 1000, &k);
			bpf_map__delete_elem(skel->maps.serve_flows, &k, sizeof(k), 0);
			if (step(&r, &s, &ok, "cookie ACK after room was made"))
				check_state(v6, &v, TCPS_ESTABLISHED, "cookie flow");
		}
e2:
		tl_end();
	}

	for (int m = 0; m < 2; m++) {
		enum serve_stat busy = m ? SS_TX_SYNACK_HALFOPEN_FULL : SS_TX_SYNACK_COOKIE;

		tl_begin(
			"%s mode: stateful up to half_open_max SYN_RCVD entries, then cookies (%s)",
			m ? "state" : "auto", serve_stat_names[busy]);
		if (!ASSERT(fixture_reset(), "fixture"))
			goto e3;
		{
			struct serve_cfg c = cfg_default();

			c.syn_mode = m ? SERVE_SYN_STATE : SERVE_SYN_AUTO;
			c.half_open_max = 2;
			if (!ASSERT(cfg_set(&c), "cfg"))
				goto e3;
			for (i = 0; i < 4; i++) {
				enum serve_stat want = i < 2 ? SS_TX_SYNACK : busy;

				syn(&s, i & 1);
				s.sport = 2000 + i;
				if (!tr_run_spec(&r, &xdp_prog, &s, "SYN"))
					goto e3;
				if (!ASSERT(r.retval == XDP_TX && r.delta[want] == 1,
					    "SYN %d (half-open %d): expected %s", i, i,
					    serve_stat_names[want]))
					goto e3;
			}
			ASSERT_EQ(halfopen_get(), 2, "half-open count");
			ASSERT_EQ(flows_count(), 2, "entries");
		}
e3:
		tl_end();
	}
}

/* ---------------------------------------------------------------- AF_XDP */

/* An AF_XDP socket on lo queue 0 in serve_xsks: redirect must then be XDP_REDIRECT. */
static void test_xsk(void)
{
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	size_t size = 4096 * 64;
	void *buf = NULL;
	struct serve_flow v;
	struct pkt_spec s;
	struct tr_run r;
	int fd, err;
	__u32 q = 0;
	LIBBPF_OPTS(bpf_xdp_attach_opts, ao);

	tl_begin("ESTABLISHED data with an AF_XDP socket on the queue -> XDP_REDIRECT, xsk_data");
	if (!ASSERT(fixture_reset(), "fixture") || !handshake(0, &v))
		goto out;
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT(buf != MAP_FAILED, "mmap"))
		goto out;
	err = xsk_umem__create(&umem, buf, size, &fq, &cq, NULL);
	if (!ASSERT(!err, "xsk_umem__create: %s", strerror(-err)))
		goto out;
	{
		struct xsk_socket_config xc = {
			.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
			.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
			.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
			.bind_flags = XDP_COPY,
		};

		err = xsk_socket__create(&xsk, "lo", 0, umem, &rx, &tx, &xc);
	}
	if (!ASSERT(!err, "xsk_socket__create on lo: %s", strerror(-err)))
		goto out;
	fd = xsk_socket__fd(xsk);
	if (!ASSERT(!bpf_map__update_elem(skel->maps.serve_xsks, &q, sizeof(q), &fd, sizeof(fd),
					  BPF_ANY),
		    "serve_xsks[0] = socket: %s", strerror(errno)))
		goto out;
	{
		struct want w = { XDP_REDIRECT, SS_XSK_DATA };

		struct serve_xsk_meta m;

		seg(&s, 0, PKT_ACK | PKT_PSH, ISN + 1, v.snd_nxt, 100, true, TSV + 5, 0);
		step(&r, &s, &w, "100 bytes of data");
		/* the entry rides in front of the frame for the controller */
		if (ASSERT_EQ(r.metalen, (uint32_t)sizeof(m), "metadata length")) {
			memcpy(&m, r.out, sizeof(m));
			ASSERT_EQ(m.magic, SERVE_META_MAGIC, "meta magic");
			ASSERT_EQ(m.state, TCPS_ESTABLISHED, "meta state");
			ASSERT_EQ(m.iss, v.iss, "meta iss");
			ASSERT_EQ(m.irs, v.irs, "meta irs");
			ASSERT_EQ(m.ts_recent, TSV + 5, "meta ts_recent");
			ASSERT_EQ(m.ts_off, v.ts_off, "meta ts_off");
			ASSERT_EQ(m.mss, v.mss, "meta mss");
			ASSERT_EQ(m.flags, v.flags, "meta flags");
			ASSERT_EQ(m.wscales, v.snd_wscale << 4 | v.rcv_wscale, "meta wscales");
			ASSERT_EQ((__u32)m.snd_wnd, v.snd_wnd >> v.snd_wscale, "meta window");
			ASSERT_MEM_EQ(r.out + r.metalen, r.in, r.inlen, "the frame after it");
		}
		w.stat = SS_XSK_ACK;
		seg(&s, 0, PKT_ACK, ISN + 1, v.snd_nxt, 0, true, TSV + 6, 0);
		step(&r, &s, &w, "pure ACK");
	}
	bpf_map__delete_elem(skel->maps.serve_xsks, &q, sizeof(q), 0);
out:
	(void)ao;
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (buf && buf != MAP_FAILED)
		munmap(buf, size);
	tl_end();
}

/* ---------------------------------------------------------------- so_serve_ctl */

/* Run one batch of controller changes; false if the program could not run. */
static bool ctl_run(struct serve_ctl *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = b, .ctx_size_in = sizeof(*b));
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.so_serve_ctl), &o);

	return ASSERT(!err, "so_serve_ctl: %s", strerror(-err));
}

static struct serve_ctl_op *ctl_op(struct serve_ctl *b, bool v6, uint8_t kind,
				   const struct serve_flow *v)
{
	struct serve_ctl_op *op = &b->ops[b->n++];

	memset(op, 0, sizeof(*op));
	key_make(v6, CLI_PORT, &op->key);
	op->kind = kind;
	op->iss = v->iss;
	op->irs = v->irs;
	return op;
}

/*
 * The controller's changes, compare-and-set under the entry's lock: a
 * PUBLISH lands only on the connection's entry and only while its state is
 * the one the controller saw, and never touches XDP's fields; DELETE spares
 * another connection's entry; EXPIRE spares an entry XDP established.
 */
static void test_ctl(void)
{
	struct serve_flow v, after;
	struct serve_ctl b;
	struct serve_ctl_op *op;
	int fam;

	for (fam = 0; fam < 2; fam++) {
		bool v6 = fam;

		tl_begin(v6 ? "so_serve_ctl: publish, delete, expire (IPv6)" :
			      "so_serve_ctl: publish, delete, expire (IPv4)");
		if (!ASSERT(fixture_reset(), "fixture") || !handshake(v6, &v))
			goto next;

		/* PUBLISH from the state seen: written, XDP's fields untouched */
		memset(&b, 0, sizeof(b));
		op = ctl_op(&b, v6, SERVE_CTL_PUBLISH, &v);
		op->seen_state = TCPS_ESTABLISHED;
		op->state = TCPS_LAST_ACK;
		op->snd_una = v.snd_una + 10;
		op->snd_nxt = v.snd_nxt + 21;
		op->rcv_nxt = v.rcv_nxt + 30;
		op->snd_wnd = 4000;
		op->rcv_wnd = 5000;
		/* from a stale view: refused, reports where the entry is */
		op = ctl_op(&b, v6, SERVE_CTL_PUBLISH, &v);
		op->seen_state = TCPS_ESTABLISHED;
		op->state = TCPS_FIN_WAIT_1;
		/* another connection on the tuple */
		op = ctl_op(&b, v6, SERVE_CTL_PUBLISH, &v);
		op->iss ^= 1;
		op->seen_state = TCPS_LAST_ACK;
		op->state = TCPS_ESTABLISHED;
		if (!ctl_run(&b))
			goto next;
		ASSERT_EQ(b.ops[0].result, SERVE_CTL_OK, "publish: result");
		ASSERT_EQ(b.ops[0].state, TCPS_ESTABLISHED, "publish: state found");
		ASSERT_EQ(b.ops[1].result, SERVE_CTL_MOVED, "stale publish: result");
		ASSERT_EQ(b.ops[1].state, TCPS_LAST_ACK, "stale publish: state found");
		ASSERT_EQ(b.ops[2].result, SERVE_CTL_OTHER, "other connection: result");
		if (!ASSERT(flow_get(v6, &after), "entry after publish"))
			goto next;
		ASSERT_EQ(after.state, TCPS_LAST_ACK, "published state");
		ASSERT_EQ(after.snd_una, v.snd_una + 10, "published snd_una");
		ASSERT_EQ(after.snd_nxt, v.snd_nxt + 21, "published snd_nxt");
		ASSERT_EQ(after.rcv_nxt, v.rcv_nxt + 30, "published rcv_nxt");
		ASSERT_EQ(after.snd_wnd, 4000U, "published snd_wnd");
		ASSERT_EQ(after.rcv_wnd, 5000U, "published rcv_wnd");
		ASSERT_EQ(after.ts_recent, v.ts_recent, "ts_recent (XDP's) untouched");
		ASSERT_EQ(after.last_ns, v.last_ns, "last_ns (XDP's) untouched");
		ASSERT_EQ(after.oow_tick, v.oow_tick, "oow_tick (XDP's) untouched");
		ASSERT_EQ(after.iss, v.iss, "iss untouched");

		/* DELETE: not another connection's entry; the connection's own goes */
		memset(&b, 0, sizeof(b));
		op = ctl_op(&b, v6, SERVE_CTL_DELETE, &v);
		op->irs ^= 1;
		ctl_op(&b, v6, SERVE_CTL_DELETE, &v);
		ctl_op(&b, v6, SERVE_CTL_DELETE, &v);
		if (!ctl_run(&b))
			goto next;
		ASSERT_EQ(b.ops[0].result, SERVE_CTL_OTHER, "delete of another: result");
		ASSERT_EQ(b.ops[1].result, SERVE_CTL_OK, "delete: result");
		ASSERT_EQ(b.ops[2].result, SERVE_CTL_GONE, "delete again: result");
		ASSERT(!flow_get(v6, &after), "entry still there after delete");
		ASSERT_EQ(halfopen_get(), 0, "half-open count after deleting an established entry");
next:
		tl_end();
	}

	tl_begin(
		"so_serve_ctl: EXPIRE takes a half-open entry and its count, not an established one");
	{
		struct pkt_spec s;
		struct tr_run r;
		struct serve_flow est;

		if (!ASSERT(fixture_reset(), "fixture"))
			goto out;
		syn(&s, false);
		if (!tr_run_spec(&r, &xdp_prog, &s, "SYN") ||
		    !ASSERT(flow_get(false, &v), "SYN_RCVD entry"))
			goto out;
		ASSERT_EQ(halfopen_get(), 1, "half-open count after SYN");
		memset(&b, 0, sizeof(b));
		op = ctl_op(&b, false, SERVE_CTL_EXPIRE, &v);
		op->iss ^= 1;
		ctl_op(&b, false, SERVE_CTL_EXPIRE, &v);
		if (!ctl_run(&b))
			goto out;
		ASSERT_EQ(b.ops[0].result, SERVE_CTL_OTHER, "expire of another: result");
		ASSERT_EQ(b.ops[1].result, SERVE_CTL_OK, "expire: result");
		ASSERT(!flow_get(false, &after), "half-open entry still there");
		ASSERT_EQ(halfopen_get(), 0, "half-open count after expiry");

		if (!handshake(false, &est))
			goto out;
		memset(&b, 0, sizeof(b));
		ctl_op(&b, false, SERVE_CTL_EXPIRE, &est);
		if (!ctl_run(&b))
			goto out;
		ASSERT_EQ(b.ops[0].result, SERVE_CTL_MOVED,
			  "expire of an established entry: result");
		ASSERT(flow_get(false, &after) && after.state == TCPS_ESTABLISHED,
		       "the established entry must stay");
		ASSERT_EQ(halfopen_get(), 0, "half-open count unchanged");

		/* a full batch: all SERVE_CTL_OPS run */
		memset(&b, 0, sizeof(b));
		while (b.n < SERVE_CTL_OPS - 1)
			ctl_op(&b, false, SERVE_CTL_DELETE, &est)->iss ^= 1;
		ctl_op(&b, false, SERVE_CTL_DELETE, &est);
		if (!ctl_run(&b))
			goto out;
		ASSERT_EQ(b.ops[0].result, SERVE_CTL_OTHER, "first op of a full batch");
		ASSERT_EQ(b.ops[SERVE_CTL_OPS - 1].result, SERVE_CTL_OK, "last op of a full batch");
		ASSERT(!flow_get(false, &after), "entry deleted by the last op of a full batch");
	}
out:
	tl_end();
}

/* ---------------------------------------------------------------- main */

/* libbpf's debug output carries the verifier's statistics; keep "processed N insns". */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[8192];
	const char *p;

	vsnprintf(line, sizeof(line), fmt, ap);
	p = strstr(line, "processed ");
	if (p && strstr(p, " insns") && strstr(line, "'" SERVE_XDP_PROG_NAME "'"))
		verifier_insns = strtol(p + 10, NULL, 10);
	else if (p && strstr(p, " insns") && strstr(line, "'" SERVE_CTL_PROG_NAME "'"))
		ctl_insns = strtol(p + 10, NULL, 10);
	if (level == LIBBPF_DEBUG)
		return 0;
	return fputs(line, stderr);
}

int main(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_level = 4);
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	err = netns_lo_up();
	if (err) {
		fprintf(stderr, "Failed to set up a network namespace: %s\n", strerror(-err));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return 1;
	skel = serve_bpf__open_opts(&oo);
	if (!skel) {
		fprintf(stderr, "Failed to open serve BPF object: %s\n", strerror(errno));
		return 1;
	}
	bpf_map__set_max_entries(skel->maps.serve_flows, SERVE_TEST_FLOWS);
	err = serve_bpf__load(skel);
	if (err) {
		fprintf(stderr, "Failed to load serve BPF object: %s\n", strerror(-err));
		return 1;
	}
	xdp_prog = (struct tr_prog){ .prog = skel->progs.so_serve_xdp,
				     .xdp = true,
				     .xdp_meta = true,
				     .counters = skel->maps.serve_stats,
				     .names = serve_stat_names,
				     .ncounters = SS__COUNT };
	printf("so_serve_xdp: verifier processed %ld insns; so_serve_ctl: %ld\n", verifier_insns,
	       ctl_insns);

	test_handshake();
	test_teardown();
	test_rfc5961();
	test_no_flow();
	test_cookies();
	test_xsk();
	test_ctl();

	serve_bpf__destroy(skel);
	return tl_summary();
}
