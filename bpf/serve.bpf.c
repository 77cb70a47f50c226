// SPDX-License-Identifier: GPL-2.0
/*
 * serve: the TCP handshake and teardown at XDP, state in serve_flows; data
 * to the controller over AF_XDP. For TCP to a served (local address, port):
 *
 *   no flow:
 *     SYN              -> SYN-ACK: SYN_RCVD entry (state mode, auto while calm),
 *                         or a stateless cookie (cookie mode; half_open_max
 *                         SYN_RCVD entries reached; table full)
 *     ACK, valid cookie-> ESTABLISHED entry; table full: RST at its ack
 *     other            -> RST as a closed port (rate-limited per CPU) or drop
 *   SYN_RCVD:
 *     ACK of our SYN   -> ESTABLISHED (data or FIN riding along: to the controller)
 *     other ACK        -> RST at its ack number, entry kept (RFC 9293, as Linux)
 *     same SYN again   -> SYN-ACK again (rate-limited)
 *   synchronized, nothing outstanding either way (FIN seq == RCV.NXT, no data,
 *   everything we sent acknowledged but possibly our FIN):
 *     FIN              -> ACK; ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 -> CLOSING
 *                         (or TIME_WAIT if it acks our FIN), FIN_WAIT_2 -> TIME_WAIT
 *     ACK of our FIN   -> FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT,
 *                         LAST_ACK -> deleted
 *   TIME_WAIT: the FIN again -> ACK again, 2MSL restarts (last_ns); else dropped
 *   RST (RFC 5961): seq == RCV.NXT deletes, inside the window a challenge ACK,
 *   outside dropped. SYN on a synchronized flow: challenge ACK. Challenge and
 *   duplicate ACKs rate-limited per flow (oow_tick). PAWS (RFC 7323) on every
 *   non-RST segment of a flow with timestamps; TS.Recent kept by XDP.
 *   Everything else of a flow -> bpf_redirect_map(serve_xsks, rx queue).
 *
 * Flow entry: key 36 + value 64 = 100 bytes. The kernel's HASH map adds a
 * 48-byte struct htab_elem header and rounds the key to 40: 152 bytes per
 * preallocated element, plus 16 bytes per bucket (one bucket per entry,
 * rounded up to a power of two) and per-CPU spare elements.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/parse.h"
#include "lib/reply.h"
#include "lib/tcpopt_xdp.h"
#include "lib/addr.h"
#include "lib/screen.h"
#include "lib/local_id.h"
#include "lib/tcp_csum.h"
#include "lib/cookie_core.h"
#include "lib/serve_maps.h"
#include "lib/trace_prod.h"

char LICENSE[] SEC("license") = "GPL";

#define E2BIG 7
#define EEXIST 17

/* What serve_flow_seg() tells its caller besides XDP verdicts. */
#define SEG_NO_FLOW (-1) /* no live entry: the no-flow paths decide */

SHAKEOFF_INLINE void stat_inc(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&serve_stats, &id);

	if (v)
		*v += 1;
}

SHAKEOFF_INLINE const struct serve_cfg *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&serve_cfg, &zero);
}

SHAKEOFF_INLINE __u64 clock_ns(const struct serve_cfg *cfg)
{
	return cfg->now_override_ns ? cfg->now_override_ns : bpf_ktime_get_coarse_ns();
}

SHAKEOFF_INLINE __u32 ts_tick(__u64 now_ns)
{
	return (__u32)(now_ns >> SERVE_TS_SHIFT);
}

SHAKEOFF_INLINE void halfopen_add(__s64 d)
{
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&serve_halfopen, &zero);

	if (n)
		__sync_fetch_and_add(n, d);
}

_Static_assert(SERVE_MAX_ADDRS == ADDR_LIST_MAX, "one address-list walker serves guard and serve");

SHAKEOFF_INLINE int addr_served(const struct serve_cfg *cfg, const struct frame *f)
{
	return addr_dst_listed(cfg->addr4, cfg->naddr4, cfg->addr6, cfg->naddr6, f);
}

SHAKEOFF_INLINE int port_served(const struct serve_cfg *cfg, __be16 dport)
{
	__u16 p = bpf_ntohs(dport);
	__u32 i;

#pragma unroll
	for (i = 0; i < SERVE_MAX_PORTS; i++)
		if (i < cfg->nports && cfg->ports[i] == p)
			return 1;
	return 0;
}

/* The client's 4-tuple; IPv4 as IPv4-mapped IPv6. */
SHAKEOFF_INLINE void flow_key_make(const struct frame *f, struct serve_flow_key *k)
{
	if (f->ipv6) {
		__builtin_memcpy(k->raddr, f->saddr, 16);
		__builtin_memcpy(k->laddr, f->daddr, 16);
	} else {
		k->raddr[0] = 0;
		k->raddr[1] = 0;
		k->raddr[2] = bpf_htonl(0xffff);
		k->raddr[3] = f->saddr[0];
		k->laddr[0] = 0;
		k->laddr[1] = 0;
		k->laddr[2] = bpf_htonl(0xffff);
		k->laddr[3] = f->daddr[0];
	}
	k->rport = f->sport;
	k->lport = f->dport;
}

/* A SYN-ACK for the flow (iss, irs) with the options it negotiated (SF_*). */
SHAKEOFF_INLINE void synack_fill(struct reply *r, const struct serve_cfg *cfg,
				 const struct frame *f, __u32 iss, __u32 irs, __u8 flags,
				 __u32 tsval, __u32 tsecr)
{
	struct tcp_synack_opt so = {
		.mss = f->ipv6 ? cfg->mss6 : cfg->mss4,
		.wscale = cfg->wscale,
		.sack = !!(flags & SF_SACK),
		.ts = !!(flags & SF_TS),
		.ws = !!(flags & SF_WSCALE),
		.tsval = tsval,
		.tsecr = tsecr,
	};

	r->seq = iss;
	r->ack_seq = irs + 1;
	r->flags = TCP_F_SYN | TCP_F_ACK;
	r->window = cfg->win;
	r->ttl = cfg->ttl;
	r->nopt = tcp_synack_opts(r->opt, &so);
}

/* What XDP sends on a flow, decided under the entry's lock, built after it. */
enum plan_kind {
	PLAN_DROP = 0,
	PLAN_ACK, /* ACK: seq, ack, window, TS if negotiated */
	PLAN_RST, /* RST at seq, no ACK */
	PLAN_SYNACK, /* SYN-ACK again from the entry */
	PLAN_XSK, /* to the controller */
	PLAN_NEW_SYN, /* TIME_WAIT entry gone: treat the SYN as for no flow */
};

struct plan {
	__u32 kind; /* enum plan_kind */
	__u32 why; /* enum serve_stat */
	__u32 seq;
	__u32 ack;
	__u32 tsecr;
	__u32 tsval;
	__u32 iss;
	__u32 irs;
	__u16 window; /* unscaled, as it goes on the wire */
	__u8 flags; /* enum serve_flow_flags */
	__u8 del; /* delete the entry after unlocking */
	__u8 halfopen_done; /* a SYN_RCVD entry left SYN_RCVD */
	struct serve_xsk_meta meta; /* PLAN_XSK: the entry, for the controller */
};

SHAKEOFF_INLINE int fin_sent(__u8 st)
{
	return st == TCPS_FIN_WAIT_1 || st == TCPS_FIN_WAIT_2 || st == TCPS_CLOSING ||
	       st == TCPS_TIME_WAIT || st == TCPS_LAST_ACK;
}

SHAKEOFF_INLINE int fin_received(__u8 st)
{
	return st == TCPS_CLOSE_WAIT || st == TCPS_LAST_ACK || st == TCPS_CLOSING ||
	       st == TCPS_TIME_WAIT;
}

/* Challenge / duplicate ACK, at most one per oow_gap per flow. Under the lock. */
SHAKEOFF_INLINE void plan_oow_ack(struct plan *p, struct serve_flow *fl, __u32 tick, __u32 gap,
				  __u32 why)
{
	if ((__u32)(tick - fl->oow_tick) < gap) {
		p->kind = PLAN_DROP;
		p->why = SS_DROP_RATE_LIMITED;
		return;
	}
	fl->oow_tick = tick;
	p->kind = PLAN_ACK;
	p->why = why;
}

/* The entry as the controller needs it with a segment (struct serve_xsk_meta). */
SHAKEOFF_INLINE void meta_fill(struct serve_xsk_meta *m, const struct serve_flow *fl)
{
	m->iss = fl->iss;
	m->irs = fl->irs;
	m->ts_recent = fl->ts_recent;
	m->ts_off = fl->ts_off;
	m->last_ns = fl->last_ns;
	m->snd_wnd = fl->snd_wnd >> (fl->snd_wscale & 15);
	m->mss = fl->mss;
	m->state = fl->state;
	m->flags = fl->flags;
	m->wscales = (fl->snd_wscale & 15) << 4 | (fl->rcv_wscale & 15);
	m->magic = SERVE_META_MAGIC;
}

/*
 * Redirect to the controller's socket on this RX queue, the entry in front of
 * the frame as metadata; the reason is kept if a socket is bound. Without
 * room for metadata the segment still goes (the controller looks the entry up).
 */
SHAKEOFF_INLINE int to_xsk(struct xdp_md *ctx, const struct serve_xsk_meta *m, __u32 *why)
{
	int act;

	if (!bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m))) {
		struct serve_xsk_meta *dst = (void *)(long)ctx->data_meta;

		if ((void *)(dst + 1) <= (void *)(long)ctx->data)
			__builtin_memcpy(dst, m, sizeof(*m));
	}
	act = bpf_redirect_map(&serve_xsks, ctx->rx_queue_index, XDP_DROP);

	if (act != XDP_REDIRECT)
		*why = SS_DROP_NO_XSK;
	return act;
}

/*
 * A segment for an existing flow: the state machine above. Returns an XDP
 * verdict, or SEG_NO_FLOW when there is no live entry (or a TIME_WAIT entry
 * gave way to a new SYN). Global: verified once, apart from the main program.
 */
__noinline int serve_flow_seg(struct xdp_md *ctx, const struct frame *f, const struct tcp_opts *o,
			      const struct serve_flow_key *key, __u32 *why)
{
	const struct serve_cfg *cfg;
	struct serve_flow *fl;
	struct plan p = {};
	struct reply r = {};
	__u32 tick, gap, seq, ack, len, rcv_nxt, snd_nxt, snd_una;
	__u8 st, tcpf, ts_seg;
	__u64 now;

	if (!ctx || !f || !o || !key || !why)
		return XDP_DROP;
	cfg = cfg_get();
	if (!cfg)
		return XDP_DROP;
	fl = bpf_map_lookup_elem(&serve_flows, key);
	if (!fl)
		return SEG_NO_FLOW;

	now = clock_ns(cfg);
	tick = ts_tick(now);
	gap = ((__u64)cfg->oow_gap_ms * 1000000) >> SERVE_TS_SHIFT;
	tcpf = f->tcp_flags;
	seq = f->seq;
	ack = f->ack_seq;
	len = f->payload_len;
	ts_seg = !!(o->flags & OPT_TS);

	bpf_spin_lock(&fl->lock);
	st = fl->state;
	if (st == TCPS_CLOSED || st >= TCPS__COUNT) {
		bpf_spin_unlock(&fl->lock);
		return SEG_NO_FLOW;
	}
	rcv_nxt = fl->rcv_nxt;
	snd_nxt = fl->snd_nxt;
	snd_una = fl->snd_una;
	p.kind = PLAN_DROP;

	if (tcpf & TCP_F_RST) {
		/* RFC 5961 3.2; in SYN_RCVD too: knowing the 4-tuple must not be enough */
		if (seq == rcv_nxt) {
			p.halfopen_done = st == TCPS_SYN_RCVD;
			fl->state = TCPS_CLOSED;
			p.del = 1;
			p.why = SS_DROP_RST_CLOSE;
		} else if ((__u32)(seq - rcv_nxt) < fl->rcv_wnd) {
			plan_oow_ack(&p, fl, tick, gap, SS_TX_CHALLENGE_RST);
		} else {
			p.why = SS_DROP_RST_OUTSIDE;
		}
	} else if ((fl->flags & SF_TS) && ts_seg && (__s32)(o->tsval - fl->ts_recent) < 0) {
		/* RFC 7323 5.3: PAWS, answered with a duplicate ACK as Linux does */
		plan_oow_ack(&p, fl, tick, gap, SS_TX_ACK_PAWS);
	} else if (tcpf & TCP_F_SYN) {
		if (st == TCPS_SYN_RCVD && seq == fl->irs && !(tcpf & TCP_F_ACK)) {
			plan_oow_ack(&p, fl, tick, gap, SS_TX_SYNACK_AGAIN);
			if (p.kind == PLAN_ACK)
				p.kind = PLAN_SYNACK;
		} else if (st == TCPS_TIME_WAIT && !(tcpf & TCP_F_ACK) &&
			   (__s32)(seq - rcv_nxt) > 0) {
			/* a new connection on the tuple, as Linux accepts in TIME_WAIT */
			fl->state = TCPS_CLOSED;
			p.del = 1;
			p.kind = PLAN_NEW_SYN;
		} else {
			plan_oow_ack(&p, fl, tick, gap, SS_TX_CHALLENGE_SYN);
		}
	} else if (!(tcpf & TCP_F_ACK)) {
		p.why = SS_DROP_NO_ACK_FLAG;
	} else if (st == TCPS_SYN_RCVD) {
		if (ack != snd_nxt) {
			/* the half-open state stays: only the real client's ACK may move it */
			p.kind = PLAN_RST;
			p.seq = ack;
			p.why = SS_TX_RST_BAD_ACK;
		} else if ((__u32)(seq - rcv_nxt) > fl->rcv_wnd) {
			plan_oow_ack(&p, fl, tick, gap, SS_TX_ACK_OUT_OF_WINDOW);
		} else {
			fl->state = TCPS_ESTABLISHED;
			fl->snd_una = ack;
			fl->snd_wnd = (__u32)f->window << (fl->snd_wscale & 15);
			p.halfopen_done = 1;
			if (len || (tcpf & TCP_F_FIN)) {
				p.kind = PLAN_XSK;
				p.why = SS_XSK_HANDSHAKE_DATA;
			} else {
				p.why = SS_DROP_ESTABLISHED;
			}
		}
	} else if (st == TCPS_TIME_WAIT) {
		if ((tcpf & TCP_F_FIN) && !len && seq + 1 == rcv_nxt) {
			fl->last_ns = now;
			p.kind = PLAN_ACK;
			p.why = SS_TX_ACK_FIN_AGAIN;
		} else {
			p.why = SS_DROP_TIME_WAIT;
		}
	} else {
		/* All data acknowledged; at most our FIN outstanding. */
		int quiet = snd_una == snd_nxt || (fin_sent(st) && snd_una + 1 == snd_nxt);
		int acks_fin = fin_sent(st) && snd_una != snd_nxt && ack == snd_nxt;

		p.kind = PLAN_XSK;
		p.why = len ? SS_XSK_DATA : (tcpf & TCP_F_FIN) ? SS_XSK_FIN : SS_XSK_ACK;
		if (quiet && !len && seq == rcv_nxt && (ack == snd_una || acks_fin)) {
			if ((tcpf & TCP_F_FIN) && !fin_received(st)) {
				fl->rcv_nxt = rcv_nxt + 1;
				p.kind = PLAN_ACK;
				if (st == TCPS_ESTABLISHED) {
					fl->state = TCPS_CLOSE_WAIT;
					p.why = SS_TX_ACK_FIN_CLOSE_WAIT;
				} else if (st == TCPS_FIN_WAIT_1 && !acks_fin) {
					fl->state = TCPS_CLOSING;
					p.why = SS_TX_ACK_FIN_CLOSING;
				} else {
					/* FIN_WAIT_1 with our FIN acked, FIN_WAIT_2 */
					fl->state = TCPS_TIME_WAIT;
					fl->snd_una = snd_nxt;
					p.why = SS_TX_ACK_FIN_TIME_WAIT;
				}
			} else if (!(tcpf & TCP_F_FIN) && acks_fin) {
				fl->snd_una = snd_nxt;
				p.kind = PLAN_DROP;
				if (st == TCPS_FIN_WAIT_1) {
					fl->state = TCPS_FIN_WAIT_2;
					p.why = SS_DROP_FIN_ACKED_FW2;
				} else if (st == TCPS_CLOSING) {
					fl->state = TCPS_TIME_WAIT;
					p.why = SS_DROP_FIN_ACKED_TW;
				} else {
					fl->state = TCPS_CLOSED;
					p.del = 1;
					p.why = SS_DROP_FIN_ACKED_CLOSED;
				}
			}
		}
	}

	/*
	 * RFC 7323 4.3: TS.Recent from segments at or before RCV.NXT that passed
	 * PAWS; never from a SYN (a SYN on the flow only earns a challenge ACK, and
	 * must not be able to poison PAWS for the real peer), nor a RST.
	 */
	if (!(tcpf & (TCP_F_RST | TCP_F_SYN)) && ts_seg && (__s32)(seq - rcv_nxt) <= 0 &&
	    /* TIME_WAIT answers a retransmitted FIN with the old TS.Recent, as Linux does */
	    !(st == TCPS_TIME_WAIT && (tcpf & TCP_F_FIN)) && (__s32)(o->tsval - fl->ts_recent) >= 0)
		fl->ts_recent = o->tsval;
	/* TIME_WAIT's clock moves only with the FIN (above) or on entering it. */
	if (st != TCPS_TIME_WAIT)
		fl->last_ns = now;

	if (p.kind == PLAN_XSK)
		meta_fill(&p.meta, fl);
	if (p.kind != PLAN_RST)
		p.seq = fl->snd_nxt;
	p.ack = fl->rcv_nxt;
	p.tsecr = fl->ts_recent;
	p.tsval = tick + fl->ts_off;
	p.iss = fl->iss;
	p.irs = fl->irs;
	p.flags = fl->flags;
	{
		__u32 w = fl->rcv_wnd >> (fl->rcv_wscale & 15);

		p.window = w > 0xffff ? 0xffff : w;
	}
	bpf_spin_unlock(&fl->lock);

	if (p.del)
		bpf_map_delete_elem(&serve_flows, key);
	if (p.halfopen_done)
		halfopen_add(-1);

	*why = p.why;
	switch (p.kind) {
	case PLAN_XSK:
		return to_xsk(ctx, &p.meta, why);
	case PLAN_NEW_SYN:
		return SEG_NO_FLOW;
	case PLAN_ACK:
		r.seq = p.seq;
		r.ack_seq = p.ack;
		r.flags = TCP_F_ACK;
		r.window = p.window;
		r.ttl = cfg->ttl;
		if (p.flags & SF_TS)
			r.nopt = tcp_ts_opt(r.opt, p.tsval, p.tsecr);
		break;
	case PLAN_RST:
		r.seq = p.seq;
		r.flags = TCP_F_RST;
		r.ttl = cfg->ttl;
		break;
	case PLAN_SYNACK:
		synack_fill(&r, cfg, f, p.iss, p.irs, p.flags, p.tsval, p.tsecr);
		break;
	default:
		return XDP_DROP;
	}
	if (reply_build(ctx, f, &r)) {
		*why = SS_DROP_NO_ROOM;
		return XDP_DROP;
	}
	return XDP_TX;
}

/* A cookie SYN-ACK for a SYN (stateless) into r; -1 without a key for the slot. */
SHAKEOFF_INLINE int cookie_synack_fill(struct reply *r, const struct serve_cfg *cfg,
				       const struct frame *f, const struct tcp_opts *o, __u64 now)
{
	__u64 slot = cookie_slot_now(cfg->slot_override, cfg->clock_offset_ns, now);
	__u32 idx = slot & (GUARD_KEY_SLOTS - 1);
	const struct guard_key *k = bpf_map_lookup_elem(&serve_keys, &idx);
	struct cookie_made m;
	__u8 flags = 0;

	if (!cookie_key_ok(k, slot))
		return -1;
	if (o->flags & OPT_SACK_PERM)
		flags |= SF_SACK;
	if (o->flags & OPT_TS)
		flags |= SF_TS;
	if (o->flags & OPT_WSCALE)
		flags |= SF_WSCALE;
	/* serve's engine does no ECN: a cookie that never grants it */
	cookie_make(f, o, 0, k, slot, &m);
	/*
	 * TSval offset from the hash: the final ACK recomputes it, no state
	 * needed; the low bits carry the options (never ahead of tick + ts_off,
	 * where the flow's TSvals continue).
	 */
	synack_fill(r, cfg, f, m.isn, f->seq, flags, cookie_tsval(ts_tick(now) + m.ts_off, m.tsopt),
		    o->tsval);
	return 0;
}

/* SYN for no flow: SYN_RCVD entry and SYN-ACK, or a cookie. Global: verified once. */
__noinline int serve_syn(struct xdp_md *ctx, const struct frame *f, const struct tcp_opts *o,
			 const struct serve_flow_key *key, __u32 *why)
{
	const struct serve_cfg *cfg;
	struct serve_flow v = {};
	struct reply r = {};
	__u32 zero = 0, tick, gap, reason = SS_TX_SYNACK_COOKIE;
	__s64 *halfopen;
	int cookie, err;
	__u64 now;

	if (!ctx || !f || !o || !key || !why)
		return XDP_DROP;
	cfg = cfg_get();
	if (!cfg)
		return XDP_DROP;
	now = clock_ns(cfg);
	halfopen = bpf_map_lookup_elem(&serve_halfopen, &zero);
	cookie = cfg->syn_mode == SERVE_SYN_COOKIE;
	/*
	 * At most half_open_max SYN_RCVD entries (checked before the insert: each
	 * CPU may pass it by one): beyond, a cookie. Auto mode's normal regime when
	 * busy; in state mode the flood's own counter.
	 */
	if (!cookie && halfopen && *halfopen >= cfg->half_open_max) {
		cookie = 1;
		if (cfg->syn_mode == SERVE_SYN_STATE)
			reason = SS_TX_SYNACK_HALFOPEN_FULL;
	}

	if (!cookie) {
		tick = ts_tick(now);
		gap = ((__u64)cfg->oow_gap_ms * 1000000) >> SERVE_TS_SHIFT;
		v.state = TCPS_SYN_RCVD;
		if (o->flags & OPT_SACK_PERM)
			v.flags |= SF_SACK;
		if (o->flags & OPT_TS)
			v.flags |= SF_TS;
		if (o->flags & OPT_WSCALE) {
			v.flags |= SF_WSCALE;
			v.snd_wscale = o->wscale;
			v.rcv_wscale = cfg->wscale;
		}
		v.iss = bpf_get_prandom_u32();
		v.irs = f->seq;
		v.snd_una = v.iss;
		v.snd_nxt = v.iss + 1;
		v.rcv_nxt = f->seq + 1;
		v.snd_wnd = f->window; /* never scaled in a SYN */
		v.rcv_wnd = cfg->win;
		v.ts_recent = o->tsval;
		v.ts_off = bpf_get_prandom_u32();
		v.mss = (o->flags & OPT_MSS) ? o->mss : f->ipv6 ? COOKIE_MIN_MSS6 : COOKIE_MIN_MSS4;
		__builtin_memcpy(v.peer_mac, f->smac, 6);
		v.oow_tick = tick - gap; /* the first duplicate may be answered at once */
		v.last_ns = now;

		err = bpf_map_update_elem(&serve_flows, key, &v, BPF_NOEXIST);
		if (err == -E2BIG) {
			cookie = 1;
			reason = SS_TX_SYNACK_FULL;
		} else if (err) {
			*why = SS_DROP_INSERT_RACE;
			return XDP_DROP;
		} else {
			halfopen_add(1);
			synack_fill(&r, cfg, f, v.iss, v.irs, v.flags, tick + v.ts_off,
				    v.ts_recent);
			reason = SS_TX_SYNACK;
		}
	}
	if (cookie && cookie_synack_fill(&r, cfg, f, o, now)) {
		*why = SS_DROP_SYN_NOKEY;
		return XDP_DROP;
	}
	if (reply_build(ctx, f, &r)) {
		*why = SS_DROP_NO_ROOM;
		return XDP_DROP;
	}
	*why = reason;
	return XDP_TX;
}

/*
 * ACK for no flow: a valid cookie makes the ESTABLISHED entry. Returns a
 * verdict, or SEG_NO_FLOW if the ACK carries no valid cookie. Global.
 */
__noinline int serve_cookie_ack(struct xdp_md *ctx, const struct frame *f, const struct tcp_opts *o,
				const struct serve_flow_key *key, __u32 *why)
{
	const struct serve_cfg *cfg;
	const struct guard_key *k;
	struct cookie_info ci = {};
	struct serve_flow v = {};
	struct reply r = {};
	__u64 now, slot;
	__u32 idx;
	int err;

	if (!ctx || !f || !o || !key || !why)
		return XDP_DROP;
	cfg = cfg_get();
	if (!cfg)
		return XDP_DROP;
	now = clock_ns(cfg);
	slot = cookie_ack_slot(f, cookie_slot_now(cfg->slot_override, cfg->clock_offset_ns, now));
	idx = slot & (GUARD_KEY_SLOTS - 1);
	k = bpf_map_lookup_elem(&serve_keys, &idx);
	ci.saw_ts = !!(o->flags & OPT_TS);
	ci.tsecr = o->tsecr;
	if (cookie_verify(f, k, slot, &ci))
		return SEG_NO_FLOW;

	v.state = TCPS_ESTABLISHED;
	v.flags = SF_COOKIE;
	if (ci.sack_ok)
		v.flags |= SF_SACK;
	if (ci.ts_ok && (o->flags & OPT_TS))
		v.flags |= SF_TS;
	if (ci.wscale_ok) {
		v.flags |= SF_WSCALE;
		v.snd_wscale = ci.wscale;
		v.rcv_wscale = cfg->wscale;
	}
	v.iss = f->ack_seq - 1;
	v.irs = f->seq - 1;
	v.snd_una = f->ack_seq;
	v.snd_nxt = f->ack_seq;
	v.rcv_nxt = f->seq;
	v.snd_wnd = (__u32)f->window << (v.snd_wscale & 15);
	v.rcv_wnd = cfg->win;
	v.ts_recent = o->tsval;
	v.ts_off = ci.ts_off;
	v.mss = ci.mss;
	__builtin_memcpy(v.peer_mac, f->smac, 6);
	v.oow_tick = ts_tick(now) - (((__u64)cfg->oow_gap_ms * 1000000) >> SERVE_TS_SHIFT);
	v.last_ns = now;

	err = bpf_map_update_elem(&serve_flows, key, &v, BPF_NOEXIST);
	if (err == -E2BIG) {
		/* refused cleanly: the client learns at once, nothing is evicted */
		r.seq = f->ack_seq;
		r.flags = TCP_F_RST;
		r.ttl = cfg->ttl;
		if (reply_build(ctx, f, &r)) {
			*why = SS_DROP_NO_ROOM;
			return XDP_DROP;
		}
		*why = SS_TX_RST_TABLE_FULL;
		return XDP_TX;
	}
	if (err) {
		*why = SS_DROP_INSERT_RACE;
		return XDP_DROP;
	}
	if (f->payload_len || (f->tcp_flags & TCP_F_FIN)) {
		struct serve_xsk_meta m;

		meta_fill(&m, &v);
		*why = SS_XSK_HANDSHAKE_DATA;
		return to_xsk(ctx, &m, why);
	}
	*why = SS_DROP_COOKIE_ESTABLISHED;
	return XDP_DROP;
}

/* What a closed port answers (RFC 9293 3.10.7.1), within a per-CPU budget. */
SHAKEOFF_INLINE int no_flow(struct xdp_md *ctx, const struct serve_cfg *cfg, const struct frame *f,
			    __u32 *why)
{
	__u32 zero = 0;
	struct serve_rstlim *lim;
	struct reply r = {};
	__u64 now;

	/*
	 * The port is served, so answer as a listening socket does (RFC 9293
	 * 3.10.7.2, and Linux): a RST is ignored, a segment without ACK (bare FIN,
	 * data) is dropped, an ACK gets a RST at its ack number.
	 */
	if ((f->tcp_flags & (TCP_F_RST | TCP_F_ACK)) != TCP_F_ACK ||
	    cfg->no_flow == SERVE_NO_FLOW_DROP) {
		*why = SS_DROP_NO_FLOW;
		return XDP_DROP;
	}
	lim = bpf_map_lookup_elem(&serve_rstlim, &zero);
	if (!lim)
		return XDP_DROP;
	now = clock_ns(cfg);
	if (now - lim->window_ns >= 1000000000ULL) {
		lim->window_ns = now;
		lim->sent = 0;
	}
	if (lim->sent >= cfg->rst_per_sec) {
		*why = SS_DROP_NO_FLOW_LIMITED;
		return XDP_DROP;
	}
	lim->sent++;
	reply_rst_closed(&r, f, cfg->ttl);
	if (reply_build(ctx, f, &r)) {
		*why = SS_DROP_NO_ROOM;
		return XDP_DROP;
	}
	*why = SS_TX_RST_NO_FLOW;
	return XDP_TX;
}

/* The screen's outcomes under serve's counter names. */
SHAKEOFF_INLINE __u32 serve_screen_stat(int sc)
{
	switch (sc) {
	case SCREEN_NOT_TCP:
		return SS_PASS_NOT_TCP;
	case SCREEN_UNPARSED:
		return SS_PASS_UNPARSED;
	case SCREEN_NOT_OURS:
		return SS_PASS_UNSERVED;
	case SCREEN_FRAGMENT:
		return SS_DROP_FRAGMENT;
	case SCREEN_IP6_EXT:
		return SS_DROP_IP6_EXT;
	case SCREEN_MALFORMED:
		return SS_DROP_MALFORMED;
	case SCREEN_L2_MULTICAST:
		return SS_DROP_L2_MULTICAST;
	case SCREEN_L2_BAD_SRC:
		return SS_DROP_L2_BAD_SRC;
	case SCREEN_VLAN_DEEP:
		return SS_DROP_VLAN_DEEP;
	case SCREEN_IP_LEN:
		return SS_DROP_IP_LEN;
	case SCREEN_IP_CSUM:
		return SS_DROP_IP_CSUM;
	case SCREEN_IP_SRCROUTE:
		return SS_DROP_IP_SRCROUTE;
	case SCREEN_SPORT_ZERO:
		return SS_DROP_SPORT_ZERO;
	case SCREEN_MARTIAN:
		return SS_DROP_MARTIAN;
	default: /* SYN with FIN or RST */
		return SS_DROP_BAD_FLAGS;
	}
}

/* serve's tests of a frame: its configuration lists the addresses and ports served. */
SHAKEOFF_INLINE int serve_addr_ours(void *priv, const struct frame *f)
{
	const struct serve_cfg **cfg = priv;

	*cfg = cfg_get();
	return *cfg && addr_served(*cfg, f);
}

SHAKEOFF_INLINE int serve_port_ours(void *priv, const struct frame *f)
{
	const struct serve_cfg **cfg = priv;

	return port_served(*cfg, f->dport);
}

static int serve_xdp(struct xdp_md *ctx, __u32 *why)
{
	const struct serve_cfg *cfg = NULL;
	struct serve_flow_key key;
	struct tcp_opts opts;
	struct frame f = {};
	__u8 tcpf;
	int sc, ret;

	sc = screen_frame(ctx, &f, serve_addr_ours, serve_port_ours, &cfg);
	if (sc != SCREEN_OK) {
		*why = serve_screen_stat(sc);
		return screen_verdict(sc);
	}
	/* what Linux drops before any socket sees it (see bpf/lib/local_id.h) */
	if (local_to_other_host(&cfg->id, &f)) {
		*why = SS_DROP_L2_OTHER_HOST;
		return XDP_DROP;
	}
	if (local_src_self(&cfg->id, &f)) {
		*why = SS_DROP_SRC_SELF;
		return XDP_DROP;
	}
	/*
	 * Every segment serve takes in XDP or hands to its controller is one the
	 * kernel never checks: a wrong TCP checksum is dropped here, before the
	 * state machine sees it.
	 */
	if (tcp_csum_check(ctx, &f) == TCP_CSUM_BAD) {
		*why = SS_DROP_TCP_CSUM;
		return XDP_DROP;
	}
	tcpf = f.tcp_flags;

	flow_key_make(&f, &key);
	xdp_tcp_opts(ctx, &f, &opts);
	ret = serve_flow_seg(ctx, &f, &opts, &key, why);
	if (ret != SEG_NO_FLOW)
		return ret;
	if ((tcpf & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN)
		return serve_syn(ctx, &f, &opts, &key, why);
	if ((tcpf & (TCP_F_SYN | TCP_F_ACK | TCP_F_RST)) == TCP_F_ACK) {
		ret = serve_cookie_ack(ctx, &f, &opts, &key, why);
		if (ret != SEG_NO_FLOW)
			return ret;
	}
	return no_flow(ctx, cfg, &f, why);
}

SEC("xdp")
int so_serve_xdp(struct xdp_md *ctx)
{
	__u32 why = SS_PASS_NOT_TCP, tracing = trace_on;
	int verdict;

	if (tracing)
		trace_xdp_in(ctx);
	verdict = serve_xdp(ctx, &why);
	/* what XDP passes, TC reports (lib/trace_prod.h) */
	if (tracing && verdict != XDP_PASS)
		trace_xdp_out(ctx, verdict, why);

	stat_inc(why);
	/* serve's verdict is counted; what it passes goes on to the next program (--next-prog) */
	if (verdict == XDP_PASS)
		bpf_tail_call(ctx, &serve_next, 0);
	return verdict;
}

/*
 * One change of the controller's (struct serve_ctl_op), under the entry's
 * lock. Global: verified once; op points to the caller's stack copy.
 */
__noinline int serve_ctl_apply(struct serve_ctl_op *op)
{
	struct serve_flow *fl;
	__u8 st, res = SERVE_CTL_OK, del = 0, halfopen = 0;

	if (!op)
		return 0;
	fl = bpf_map_lookup_elem(&serve_flows, &op->key);
	if (!fl) {
		op->result = SERVE_CTL_GONE;
		op->state = TCPS_CLOSED;
		return 0;
	}
	bpf_spin_lock(&fl->lock);
	st = fl->state;
	if (st == TCPS_CLOSED) {
		res = SERVE_CTL_GONE;
	} else if (fl->iss != op->iss || fl->irs != op->irs) {
		res = SERVE_CTL_OTHER;
	} else if (op->kind == SERVE_CTL_DELETE) {
		fl->state = TCPS_CLOSED;
		del = 1;
		halfopen = st == TCPS_SYN_RCVD;
	} else if (op->kind == SERVE_CTL_EXPIRE) {
		if (st == TCPS_SYN_RCVD) {
			fl->state = TCPS_CLOSED;
			del = 1;
			halfopen = 1;
		} else {
			res = SERVE_CTL_MOVED;
		}
	} else if (op->kind == SERVE_CTL_PUBLISH) {
		if (st == op->seen_state && op->state > TCPS_SYN_RCVD && op->state < TCPS__COUNT) {
			fl->state = op->state;
			fl->snd_una = op->snd_una;
			fl->snd_nxt = op->snd_nxt;
			fl->rcv_nxt = op->rcv_nxt;
			fl->snd_wnd = op->snd_wnd;
			fl->rcv_wnd = op->rcv_wnd;
		} else {
			res = SERVE_CTL_MOVED;
		}
	}
	bpf_spin_unlock(&fl->lock);
	if (del)
		bpf_map_delete_elem(&serve_flows, &op->key);
	if (halfopen)
		halfopen_add(-1);
	op->state = st;
	op->result = res;
	return 0;
}

/*
 * The batch, op by op. ctx may be read and written only at constant offsets:
 * the loop is unrolled, each op copied to the stack and its outcome back.
 */
SEC("syscall")
int so_serve_ctl(struct serve_ctl *ctx)
{
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < SERVE_CTL_OPS; i++) {
		struct serve_ctl_op op;

		if (i >= ctx->n)
			break;
		__builtin_memcpy(&op, &ctx->ops[i], sizeof(op));
		serve_ctl_apply(&op);
		ctx->ops[i].state = op.state;
		ctx->ops[i].result = op.result;
	}
	return 0;
}
