// SPDX-License-Identifier: GPL-2.0
/*
 * guard: SYN cookies at XDP, handoff of verified ACKs to kernel listeners at
 * TC ingress. Both programs live in one object so they share their maps.
 *
 * XDP, for TCP to a protected (local address, port):
 *   SYN                  -> SYN-ACK with a cookie (XDP_TX), or RST if no listener;
 *                           a 4-tuple a kernel socket holds (TIME_WAIT) to the kernel
 *   other segment        -> socket lookup: a kernel connection passes untouched;
 *                           for a listener (or nothing) only an ACK with a valid
 *                           cookie passes, on to the handoff below; what else Linux
 *                           would answer with a RST gets one, within a budget
 *   malformed, martian   -> dropped, counted
 *   no key for the slot  -> everything to the kernel (the controller is gone)
 * TC ingress, ACK to a listener with a valid cookie:
 *   bpf_sk_assign_tcp_reqsk() with what the cookie and the ACK carry; the
 *   kernel creates the connection and accept() returns it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/parse.h"
#include "lib/addr.h"
#include "lib/screen.h"
#include "lib/reply.h"
#include "lib/tcpopt_xdp.h"
#include "lib/tcp_csum.h"
#include "lib/guard_cookie.h"
#include "lib/guard_maps.h"
#include "lib/guard_recent.h"
#include "lib/guard_rst.h"
#include "lib/guard_limits.h"
#include "lib/local_id.h"
#include "lib/trace_prod.h"

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym;

char LICENSE[] SEC("license") = "GPL";

SHAKEOFF_INLINE void stat_inc(enum guard_stat id)
{
	__u32 key = id;
	__u64 *v = bpf_map_lookup_elem(&guard_stats, &key);

	if (v)
		*v += 1;
}

SHAKEOFF_INLINE const struct guard_cfg *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&guard_cfg, &zero);
}

_Static_assert(GUARD_MAX_ADDRS == ADDR_LIST_MAX, "one address-list walker serves guard and serve");

SHAKEOFF_INLINE int addr_is_protected(const struct guard_cfg *cfg, const struct frame *f)
{
	return addr_dst_listed(cfg->addr4, cfg->naddr4, cfg->addr6, cfg->naddr6, f);
}

/* The frame's 4-tuple as the socket lookup helpers take it; returns its size. */
SHAKEOFF_INLINE __u32 frame_tuple(const struct frame *f, struct bpf_sock_tuple *t)
{
	if (f->ipv6) {
		__builtin_memcpy(t->ipv6.saddr, f->saddr, 16);
		__builtin_memcpy(t->ipv6.daddr, f->daddr, 16);
		t->ipv6.sport = f->sport;
		t->ipv6.dport = f->dport;
		return sizeof(t->ipv6);
	}
	t->ipv4.saddr = f->saddr[0];
	t->ipv4.daddr = f->daddr[0];
	t->ipv4.sport = f->sport;
	t->ipv4.dport = f->dport;
	return sizeof(t->ipv4);
}

/* The kernel socket a segment belongs to: its state, or -1 if there is none. */
SHAKEOFF_INLINE int sk_state_lookup(void *ctx, const struct frame *f, int xdp)
{
	struct bpf_sock_tuple t = {};
	__u32 size = frame_tuple(f, &t);
	struct bpf_sock *sk;
	int state;

	/* The helper's prototype differs per context type; the verifier wants each typed. */
	if (xdp)
		sk = bpf_skc_lookup_tcp((struct xdp_md *)ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_skc_lookup_tcp((struct __sk_buff *)ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return -1;
	state = sk->state;
	bpf_sk_release(sk);
	return state;
}

/* What guard's tests of a frame looked up, for the stages after the screen. */
struct guard_scope {
	const struct guard_cfg *cfg;
	const struct guard_key *key; /* the current slot's */
	__u64 now; /* bpf_ktime_get_coarse_ns() */
	__u64 slot;
	__u8 port_flags;
	__u8 syn; /* the frame went to guard_syn() */
	__u16 port_stats; /* the port's guard_portstat slot */
	/* a SYN's options, kept for the trace (lib/trace_prod.h): one store, in padding */
	struct trace_syn syn_opts;
};

/*
 * The clock, the slot and its key, read where a stage first needs them (a
 * segment of a kernel connection never does). NULL without a key for the
 * current slot: the controller is gone (it writes keys ahead of time), and
 * guard steps aside.
 */
SHAKEOFF_INLINE const struct guard_key *guard_clock(struct guard_scope *g)
{
	g->now = bpf_ktime_get_coarse_ns();
	g->slot = cookie_now_slot(g->cfg, g->now);
	g->key = cookie_key(g->slot);
	return g->key;
}

/*
 * What Linux checks before it answers anything: the source is not its own,
 * the TCP checksum holds. GS__COUNT if guard may answer f, else the drop.
 */
SHAKEOFF_INLINE int answer_check(struct xdp_md *ctx, const struct guard_cfg *cfg,
				 const struct frame *f)
{
	if (local_src_self(&cfg->id, f))
		return GS_XDP_DROP_SRC_SELF;
	if (tcp_csum_check(ctx, f) == TCP_CSUM_BAD)
		return GS_XDP_DROP_TCP_CSUM;
	return GS__COUNT;
}

/*
 * 1 if guard grants the SYN's ECN request, as Linux would
 * (tcp_ecn_create_request()): ECE and CWR set, the IP header not ECT-marked
 * (a marked SYN is a broken middlebox's), tcp_ecn allowing it, and
 * timestamps, whose TSval alone has room for the cookie's ECN bit (Linux's
 * cookies keep ECN the same way). Arithmetic, not branches: a known 0 or 1
 * would have the verifier check the rest of the SYN-ACK twice.
 */
SHAKEOFF_INLINE __u32 syn_ecn(struct xdp_md *ctx, const struct guard_cfg *cfg,
			      const struct frame *f, const struct tcp_opts *o)
{
	void *data, *data_end;
	/* the ECN field: the IPv4 TOS byte's low bits, bits 5..4 of IPv6's second byte */
	__u8 *b;
	__u32 ask = ((f->tcp_flags & (TCP_F_ECE | TCP_F_CWR)) + TCP_F_ECE) >> 8, ect;

	/* loaded apart: clang would fold the two into one pointer the verifier refuses */
	barrier_var(ctx);
	data = (void *)(long)ctx->data;
	barrier_var(ctx);
	data_end = (void *)(long)ctx->data_end;
	b = data + (f->l3_off & 0x3ff) + 1;
	if ((void *)(b + 1) > data_end)
		return 0;
	ect = (*b >> (f->ipv6 << 2)) & 3;
	return ask & (((ect + 3) >> 2) ^ 1) & cfg->ecn & ((o->flags & OPT_TS) / OPT_TS);
}

/* SYN to a protected port with a listener: answer with a cookie SYN-ACK. */
SHAKEOFF_INLINE int guard_synack(struct xdp_md *ctx, struct guard_scope *g, const struct frame *f,
				 const struct tcp_opts *opts, enum guard_stat *why)
{
	const struct guard_cfg *cfg = g->cfg;
	struct tcp_synack_opt so = {};
	struct cookie_made m;
	struct reply r = {};
	__u32 tsval = 0, ecn;
	int ts;

	/*
	 * The reply overwrites them: the trace's record of the SYN needs them
	 * after it. Only while tracing: done always, this 4-byte copy cost the
	 * SYN path 9-17 ns (ratio_trace_off in make bench).
	 */
	if (trace_active())
		__builtin_memcpy(&g->syn_opts, opts, sizeof(g->syn_opts));
	ts = !!(opts->flags & OPT_TS);
	ecn = syn_ecn(ctx, cfg, f, opts);

	cookie_make(f, opts, ecn, g->key, g->slot, &m);
	r.seq = m.isn;
	r.ack_seq = f->seq + 1;
	r.flags = TCP_F_SYN | TCP_F_ACK | (ecn * TCP_F_ECE);
	r.window = f->ipv6 ? cfg->win6 : cfg->win4;
	r.ttl = cfg->ttl;
	if (ts)
		/*
		 * Ticks of 2^20 ns (1.05 ms, within RFC 7323's 1 ms..1 s): BPF has no
		 * multiply-high, so a division by 10^6 would be a real DIV per SYN.
		 * A per-flow offset from the hash keeps our uptime private; the low
		 * bits carry the options the cookie's hash covers.
		 */
		tsval = cookie_tsval((__u32)(g->now >> 20) + m.ts_off, m.tsopt);
	/* Linux's option order, so the answer looks like any Linux SYN-ACK. */
	so.mss = f->ipv6 ? cfg->mss6 : cfg->mss4;
	so.wscale = cfg->wscale;
	so.sack = !!(opts->flags & OPT_SACK_PERM);
	so.ts = ts;
	so.ws = !!(opts->flags & OPT_WSCALE);
	so.tsval = tsval;
	so.tsecr = opts->tsval;
	r.nopt = tcp_synack_opts(r.opt, &so);
	if (reply_build(ctx, f, &r)) {
		*why = GS_XDP_DROP_NO_ROOM;
		return XDP_DROP;
	}
	*why = GS_XDP_TX_SYNACK;
	return XDP_TX;
}

/*
 * The RST Linux answers a segment for no connection with (RFC 9293
 * 3.10.7.1): a SYN to a closed port (stray 0: no budget), or a stray ACK or
 * FIN (stray 1) within the RST budgets; over them, the drop *why holds on
 * entry. (BPF passes five arguments: the sixth rides in *why.)
 */
static __noinline int guard_rst(struct xdp_md *ctx, const struct guard_scope *g,
				const struct frame *f, int stray, enum guard_stat *why)
{
	enum guard_stat tx = stray ? GS_XDP_TX_RST_STRAY : GS_XDP_TX_RST_NO_LISTENER;
	int bad;
	struct reply r = {};

	if (!g || !f || !why)
		return XDP_DROP;
	if (stray && !rst_budget_take(g->cfg, f, g->now))
		return XDP_DROP;
	bad = answer_check(ctx, g->cfg, f);
	if (bad != GS__COUNT) {
		*why = bad;
		return XDP_DROP;
	}
	reply_rst_closed(&r, f, g->cfg->ttl);
	if (reply_build(ctx, f, &r)) {
		*why = GS_XDP_DROP_NO_ROOM;
		return XDP_DROP;
	}
	*why = tx;
	return XDP_TX;
}

/* Not inlined (as clang chose before the screen): inlined it costs the verifier 2% more. */
static __noinline int guard_syn(struct xdp_md *ctx, struct guard_scope *g, const struct frame *f,
				enum guard_stat *why)
{
	__u8 listen = f->ipv6 ? PORT_LISTEN6 : PORT_LISTEN4;
	struct guard_src *src;
	struct tcp_opts opts;
	int state, bad, verdict;
	__u32 act;

	if (!guard_clock(g)) {
		*why = GS_XDP_PASS_NOKEY;
		return XDP_PASS;
	}
	act = src_list_action(g->cfg, f);
	if (act == SRC_DENY) {
		*why = GS_XDP_DROP_DENIED;
		return XDP_DROP;
	}
	if (!(g->port_flags & listen))
		return guard_rst(ctx, g, f, 0, why);
	if (g->cfg->mode == GUARD_COOKIES_AUTO) {
		__u32 port = bpf_ntohs(f->dport);
		__u64 *n = bpf_map_lookup_elem(&guard_synrate, &port);

		if (n)
			*n += 1;
		if (!(g->port_flags & PORT_UNDER_ATTACK)) {
			*why = GS_XDP_PASS_SYN_CALM;
			return XDP_PASS;
		}
	}
	/*
	 * Here, before the branches below: the general walk is inline
	 * (lib/tcpopt_xdp.h), and each state they leave would check it again.
	 */
	xdp_tcp_opts(ctx, f, &opts);
	/*
	 * A 4-tuple seen closing lately may still be held by a kernel socket:
	 * TIME_WAIT (a client reusing its port, RFC 6191) or an open connection
	 * (the kernel answers a challenge ACK). A cookie SYN-ACK would hang it;
	 * the kernel decides. Only such SYNs pay for the socket lookup.
	 */
	if (recent_hit(f, g->now)) {
		state = sk_state_lookup(ctx, f, 1);
		if (state >= 0 && state != TCP_LISTEN) {
			*why = GS_XDP_PASS_SYN_CONN;
			return XDP_PASS;
		}
	}
	bad = answer_check(ctx, g->cfg, f);
	if (bad != GS__COUNT) {
		*why = bad;
		return XDP_DROP;
	}
	/* the top talkers count every SYN guard would answer, over a budget or not */
	src = src_count_syn(f, g->now);
	if (act != SRC_ALLOW) {
		bad = synack_budget_take(g->cfg, src, g->now);
		if (bad != GS__COUNT) {
			*why = bad;
			return XDP_DROP;
		}
	}
	verdict = guard_synack(ctx, g, f, &opts, why);
	if (verdict == XDP_TX && src && src_owns(src, f))
		src->synack++;
	return verdict;
}

/*
 * cookie_check() with the ACK's timestamps: half a timestamp cookie's check
 * is in the TSecr, and a cookie without them fails with them (see
 * cookie_verify()). Global: inline, each way the options are read would
 * verify the rest of guard_segment() again.
 */
__noinline int cookie_check_xdp(struct xdp_md *ctx, const struct frame *f, struct cookie_info *ci)
{
	struct tcp_opts opts;

	if (!ctx || !f || !ci)
		return -1;
	xdp_tcp_opts(ctx, f, &opts);
	ci->saw_ts = !!(opts.flags & OPT_TS);
	ci->tsecr = opts.tsecr;
	return cookie_check(f, ci);
}

/*
 * A segment that is not a SYN: pass what the kernel owns or what a valid
 * cookie opens; answer what Linux answers with a RST. Not inlined, like
 * guard_syn().
 */
static __noinline int guard_segment(struct xdp_md *ctx, struct guard_scope *g,
				    const struct frame *f, enum guard_stat *why)
{
	int state = sk_state_lookup(ctx, f, 1);
	struct cookie_info ci;

	if (state == TCP_TIME_WAIT &&
	    (f->tcp_flags & (TCP_F_ACK | TCP_F_SYN | TCP_F_RST)) == TCP_F_ACK && guard_clock(g) &&
	    !cookie_check_xdp(ctx, f, &ci)) {
		/*
		 * A cookie ACK meeting a TIME_WAIT socket: guard answered a SYN
		 * reusing the 4-tuple (one neither it nor the controller knew in
		 * use). The TIME_WAIT socket would answer every try with its old
		 * ACK and the client hang; a RST makes it fail now.
		 */
		*why = GS_XDP_DROP_BAD_COOKIE;
		if (guard_rst(ctx, g, f, 1, why) == XDP_TX) {
			*why = GS_XDP_TX_RST_TW_COOKIE;
			return XDP_TX;
		}
		return XDP_DROP;
	}
	if (state >= 0 && state != TCP_LISTEN) {
		/* the peer's FIN: TIME_WAIT may follow on the server (see guard_syn()) */
		if (f->tcp_flags & TCP_F_FIN)
			recent_mark(f, bpf_ktime_get_coarse_ns());
		*why = GS_XDP_PASS_CONN;
		return XDP_PASS;
	}
	if (!guard_clock(g)) {
		*why = GS_XDP_PASS_NOKEY;
		return XDP_PASS;
	}
	/* a denied prefix gets no RST and opens no connection through a cookie */
	if (src_list_action(g->cfg, f) == SRC_DENY) {
		*why = GS_XDP_DROP_DENIED;
		return XDP_DROP;
	}
	/* Linux answers no RST, and nothing opens a connection. */
	if (f->tcp_flags & TCP_F_RST) {
		*why = GS_XDP_DROP_NO_CONN;
		return XDP_DROP;
	}
	if (!(f->tcp_flags & TCP_F_ACK)) {
		/* a listener drops it (tcp_rcv_state_process()); no socket at all: RST */
		if (state == TCP_LISTEN) {
			*why = GS_XDP_DROP_NO_CONN;
			return XDP_DROP;
		}
		*why = GS_XDP_DROP_STRAY_LIMIT;
		return guard_rst(ctx, g, f, 1, why);
	}
	/* A cookie answers only an ACK: no SYN (data and FIN may ride along). */
	if (!(f->tcp_flags & TCP_F_SYN) && !cookie_check_xdp(ctx, f, &ci)) {
		*why = GS_XDP_PASS_COOKIE_ACK;
		return XDP_PASS;
	}
	/* While calm in auto mode the kernel may have sent cookies of its own. */
	if (state == TCP_LISTEN && g->cfg->mode == GUARD_COOKIES_AUTO &&
	    !(g->port_flags & PORT_UNDER_ATTACK)) {
		*why = GS_XDP_PASS_CALM_ACK;
		return XDP_PASS;
	}
	/* an ACK (or SYN-ACK) for no connection: Linux answers RST, seq = its ack */
	*why = GS_XDP_DROP_BAD_COOKIE;
	return guard_rst(ctx, g, f, 1, why);
}

/* The screen's outcomes under guard's counter names. */
SHAKEOFF_INLINE enum guard_stat guard_screen_stat(int sc)
{
	switch (sc) {
	case SCREEN_NOT_TCP:
		return GS_XDP_PASS_NOT_TCP;
	case SCREEN_UNPARSED:
		return GS_XDP_PASS_UNPARSED;
	case SCREEN_NOT_OURS:
		return GS_XDP_PASS_UNPROTECTED;
	case SCREEN_FRAGMENT:
		return GS_XDP_DROP_FRAGMENT;
	case SCREEN_IP6_EXT:
		return GS_XDP_DROP_IP6_EXT;
	case SCREEN_MALFORMED:
		return GS_XDP_DROP_MALFORMED;
	case SCREEN_L2_MULTICAST:
		return GS_XDP_DROP_L2_MULTICAST;
	case SCREEN_L2_BAD_SRC:
		return GS_XDP_DROP_L2_BAD_SRC;
	case SCREEN_VLAN_DEEP:
		return GS_XDP_DROP_VLAN_DEEP;
	case SCREEN_IP_LEN:
		return GS_XDP_DROP_IP_LEN;
	case SCREEN_IP_CSUM:
		return GS_XDP_DROP_IP_CSUM;
	case SCREEN_IP_SRCROUTE:
		return GS_XDP_DROP_IP_SRCROUTE;
	case SCREEN_SPORT_ZERO:
		return GS_XDP_DROP_SPORT_ZERO;
	case SCREEN_MARTIAN:
		return GS_XDP_DROP_MARTIAN;
	case SCREEN_SYN_FIN:
		return GS_XDP_DROP_SYN_FIN;
	default:
		return GS_XDP_DROP_SYN_RST;
	}
}

/* guard_ports' entry for a destination port (wire order). */
SHAKEOFF_INLINE const struct guard_port *port_get(__be16 dport)
{
	__u32 key = bpf_ntohs(dport);

	return bpf_map_lookup_elem(&guard_ports, &key);
}

SHAKEOFF_INLINE int guard_addr_ours(void *priv, const struct frame *f)
{
	struct guard_scope *g = priv;

	g->cfg = cfg_get();
	return g->cfg && addr_is_protected(g->cfg, f);
}

SHAKEOFF_INLINE int guard_port_ours(void *priv, const struct frame *f)
{
	struct guard_scope *g = priv;
	const struct guard_port *port = port_get(f->dport);

	if (!port)
		return 0;
	g->port_flags = port->flags;
	g->port_stats = port->stats;
	return g->port_flags & PORT_PROTECTED;
}

/* *f: the frame as it came in, still there for the trace once XDP_TX wrote the reply in place */
static int guard_xdp(struct xdp_md *ctx, struct guard_scope *gs, struct frame *f,
		     enum guard_stat *why)
{
	struct guard_scope g = {};
	int sc, verdict;

	sc = screen_frame(ctx, f, guard_addr_ours, guard_port_ours, &g);
	if (screen_verdict(sc) == XDP_PASS && sc != SCREEN_OK) {
		*why = guard_screen_stat(sc);
		return XDP_PASS;
	}
	/* Linux drops it before IP; a reply would carry the other host's MAC */
	if (sc == SCREEN_OK && local_to_other_host(&g.cfg->id, f)) {
		*why = GS_XDP_DROP_L2_OTHER_HOST;
		return XDP_DROP;
	}
	if (sc != SCREEN_OK) {
		/* A deep VLAN stack stops the screen before guard_addr_ours(). */
		if (!g.cfg)
			g.cfg = cfg_get();
		if (!g.cfg || !guard_clock(&g)) {
			*why = GS_XDP_PASS_NOKEY;
			return XDP_PASS;
		}
		*why = guard_screen_stat(sc);
		return XDP_DROP;
	}
	if ((f->tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN) {
		g.syn = 1;
		verdict = guard_syn(ctx, &g, f, why);
	} else {
		verdict = guard_segment(ctx, &g, f, why);
	}
	*gs = g;
	return verdict;
}

/* Leave what XDP learned for the TC program (see GUARD_HINT_MAGIC). */
SHAKEOFF_INLINE void xdp_hint(struct xdp_md *ctx, __u32 hint)
{
	void *meta, *data;

	/* A driver without metadata support: TC looks the socket up itself. */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32)))
		return;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (meta + sizeof(__u32) > data)
		return;
	*(__u32 *)meta = hint;
}

SEC("xdp")
int so_guard_xdp(struct xdp_md *ctx)
{
	enum guard_stat why = GS_XDP_PASS_NOT_TCP;
	struct guard_scope g = {};
	struct frame f = {};
	int verdict = guard_xdp(ctx, &g, &f, &why);

	/*
	 * What XDP passes, TC reports (lib/trace_prod.h). Only here, after the
	 * verdict: a check before guard_xdp() cost the SYN path 12 ns (make bench).
	 */
	if (verdict != XDP_PASS && trace_active())
		trace_xdp_after(ctx, verdict, why, &f, &g.syn_opts);
	if (why == GS_XDP_PASS_CONN)
		xdp_hint(ctx, GUARD_HINT_CONN);
	else if (why == GS_XDP_PASS_COOKIE_ACK)
		xdp_hint(ctx, GUARD_HINT_COOKIE);
	else if (why == GS_XDP_PASS_CALM_ACK || why == GS_XDP_PASS_NOKEY)
		xdp_hint(ctx, GUARD_HINT_KERNEL);
	stat_inc(why);
	if (g.port_flags & PORT_PROTECTED)
		port_stat_xdp(g.port_stats, g.syn, verdict, why);
	/*
	 * Guard's verdict is counted; what it passes goes on to the next program
	 * (--next-prog) with the hint already in front: that program's XDP_PASS
	 * keeps it for TC. An empty guard_next: the tail call returns, XDP_PASS.
	 */
	if (verdict == XDP_PASS)
		bpf_tail_call(ctx, &guard_next, 0);
	return verdict;
}

/* The ACK's timestamps, for the kernel's TS.Recent and its TSval offset. */
SHAKEOFF_INLINE void ack_opts(struct __sk_buff *skb, const struct frame *f, struct tcp_opts *opts)
{
	struct tcp_opt_buf buf;
	__u32 len = f->tcp_hlen - sizeof(struct tcphdr);
	__u8 sack_blocks;

	__builtin_memset(opts, 0, sizeof(*opts));
	if (len == 0 || len > TCP_MAX_OPT_LEN)
		return;
	if (bpf_skb_load_bytes(skb, f->l4_off + sizeof(struct tcphdr), buf.bytes, len))
		return;
	tcp_opts_parse(&buf, len, opts, &sack_blocks);
}

SHAKEOFF_INLINE void inflight_key(const struct frame *f, struct guard_tuple *t)
{
	__builtin_memcpy(t->saddr, f->saddr, sizeof(t->saddr));
	__builtin_memcpy(t->daddr, f->daddr, sizeof(t->daddr));
	t->sport = f->sport;
	t->dport = f->dport;
}

/*
 * Was the 4-tuple handed off within GUARD_INFLIGHT_NS (and this segment not
 * queued again already)? If not, note the handoff about to happen.
 */
SHAKEOFF_INLINE int handoff_inflight(int retry, const struct guard_tuple *t)
{
	__u64 now = bpf_ktime_get_ns(), *when;

	/* queued once already: hand it off if the kernel still has no socket */
	if (retry)
		return 0;
	when = bpf_map_lookup_elem(&guard_inflight, t);
	if (when && now - *when < GUARD_INFLIGHT_NS)
		return 1;
	bpf_map_update_elem(&guard_inflight, t, &now, BPF_ANY);
	return 0;
}

static int guard_handoff(struct __sk_buff *skb, const struct guard_cfg *cfg, const struct frame *f,
			 int retry, enum guard_stat *why)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct guard_tuple t_in = {};
	struct bpf_sock_tuple t = {};
	struct cookie_info ci;
	struct tcp_opts opts;
	struct bpf_sock *sk;
	__u32 size;
	int state, err;

	state = sk_state_lookup(skb, f, 0);
	if (state >= 0 && state != TCP_LISTEN) {
		*why = GS_TC_PASS;
		return TCX_NEXT;
	}
	ack_opts(skb, f, &opts);
	ci.saw_ts = !!(opts.flags & OPT_TS);
	ci.tsecr = opts.tsecr;
	if (cookie_check(f, &ci)) {
		*why = state < 0 ? GS_TC_PASS : GS_TC_BAD_COOKIE;
		return TCX_NEXT;
	}
	/* Without a listener the kernel answers the ACK with a RST. */
	if (state < 0) {
		*why = GS_TC_NO_LISTENER;
		return TCX_NEXT;
	}

	attrs.mss = ci.mss;
	attrs.wscale_ok = ci.wscale_ok;
	attrs.snd_wscale = ci.wscale;
	attrs.rcv_wscale = ci.wscale_ok ? cfg->wscale : 0;
	attrs.sack_ok = ci.sack_ok;
	/* set only on a SYN-ACK that carried ECE (cookie_verify()) */
	attrs.ecn_ok = ci.ecn_ok;
	if (ci.ts_ok && (opts.flags & OPT_TS)) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = opts.tsval;
		attrs.rcv_tsecr = opts.tsecr;
	}

	/*
	 * Another segment of this handshake was handed off a moment ago, and the
	 * kernel has not hashed its socket yet (another CPU): a second handoff
	 * would make a second socket. Queued once more, this one then finds the
	 * first (see GUARD_INFLIGHT_NS).
	 */
	inflight_key(f, &t_in);
	if (handoff_inflight(retry, &t_in)) {
		skb->mark |= GUARD_RETRY_MARK;
		*why = GS_TC_REQUEUE;
		return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
	}

	/* The kfunc wants a full socket: look the listener up as one. */
	size = frame_tuple(f, &t);
	sk = bpf_sk_lookup_tcp(skb, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk) {
		*why = GS_TC_NO_LISTENER;
		return TCX_NEXT;
	}
	if (sk->state != TCP_LISTEN) {
		bpf_sk_release(sk);
		*why = GS_TC_PASS;
		return TCX_NEXT;
	}
	err = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)sk, &attrs, sizeof(attrs));
	bpf_sk_release(sk);
	/* a SYN on this 4-tuple may meet the new connection (see guard_syn()) */
	if (!err)
		recent_mark(f, bpf_ktime_get_coarse_ns());
	else
		bpf_map_delete_elem(&guard_inflight,
				    &t_in); /* nothing in flight: the next may try */
	/* On failure the kernel finds the listener and answers the ACK with a RST. */
	*why = err ? GS_TC_KFUNC_ERROR : GS_TC_HANDOFF;
	return err ? TCX_NEXT : TCX_PASS;
}

/* The metadata so_guard_xdp left in front of the frame, or 0. */
SHAKEOFF_INLINE __u32 tc_hint(struct __sk_buff *skb)
{
	void *meta = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;

	if (meta + sizeof(__u32) > data)
		return 0;
	return *(__u32 *)meta;
}

static int guard_tc(struct __sk_buff *skb, __u32 *port_slot, enum guard_stat *why)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 hint = tc_hint(skb);
	int retry = !!(skb->mark & GUARD_RETRY_MARK), st;
	const struct guard_port *port;
	const struct guard_cfg *cfg;
	struct frame f = {};

	/* our bit of the mark never leaves TC, whichever way the segment goes on */
	if (retry)
		skb->mark &= ~GUARD_RETRY_MARK;
	*why = GS_TC_PASS;
	/* XDP found the kernel's socket (or left it to the kernel): nothing to hand off. */
	if (hint == GUARD_HINT_CONN || hint == GUARD_HINT_KERNEL) {
		*why = GS_TC_PASS_HINT;
		return TCX_NEXT;
	}
	st = frame_parse(data, data_end, &f);
	if (st != PARSE_TCP && skb->len > data_end - data) {
		/* Headers not in the linear part: pull them in and look again. */
		if (bpf_skb_pull_data(skb, skb->len < 256 ? skb->len : 256))
			return TCX_NEXT;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		st = frame_parse(data, data_end, &f);
	}
	if (st != PARSE_TCP)
		return TCX_NEXT;
	if ((f.tcp_flags & (TCP_F_ACK | TCP_F_SYN | TCP_F_RST)) != TCP_F_ACK)
		return TCX_NEXT;
	cfg = cfg_get();
	if (!cfg || !addr_is_protected(cfg, &f))
		return TCX_NEXT;
	port = port_get(f.dport);
	if (!port || !(port->flags & PORT_PROTECTED))
		return TCX_NEXT;
	*port_slot = port->stats;
	return guard_handoff(skb, cfg, &f, retry, why);
}

SEC("tc")
int so_guard_tc(struct __sk_buff *skb)
{
	enum guard_stat why = GS_TC_PASS;
	__u32 port_slot = 0;
	int verdict = guard_tc(skb, &port_slot, &why);

	stat_inc(why);
	if (why == GS_TC_HANDOFF) {
		port_stat_handoff(port_slot);
		/* TCX_PASS ends the chain: the trace's observer behind guard never sees it */
		if (trace_active())
			trace_tc_in(skb, SO_TRACE_ACT_HANDOFF, why);
	}
	return verdict;
}
