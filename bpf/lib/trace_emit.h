/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A segment as a trace record (struct so_trace_ev, shakeoff/trace.h), for
 * every BPF producer: the trace's own TC observers (bpf/trace.bpf.c) and the
 * XDP and TC programs of guard and serve (lib/trace_prod.h).
 *
 * trace_fill_frame() copies what frame_parse() read; the options are copied
 * out of the packet (XDP or skb) into a stack buffer and walked by
 * tcp_opts_parse() (lib/parse.h), the walk guard's TC side uses.
 */
#ifndef SHAKEOFF_BPF_TRACE_EMIT_H
#define SHAKEOFF_BPF_TRACE_EMIT_H

#include <shakeoff/trace.h>
#include <shakeoff/tcp_wire.h>

#include "parse.h"

/*
 * MSS, window scale (clamped to 14 as Linux takes it), SACK-permitted,
 * timestamps and the number of SACK blocks of len option bytes, into ev:
 * tcp_opts_parse(), whose flags are the record's SO_TRACE_OPT_* bits.
 */
_Static_assert(OPT_MSS == SO_TRACE_OPT_MSS && OPT_WSCALE == SO_TRACE_OPT_WSCALE &&
		       OPT_SACK_PERM == SO_TRACE_OPT_SACK_PERM && OPT_TS == SO_TRACE_OPT_TS,
	       "tcp_opts flags are the trace record's option bits");

SHAKEOFF_INLINE void trace_opts_walk(const struct tcp_opt_buf *buf, __u64 len,
				     struct so_trace_ev *ev)
{
	struct tcp_opts o;
	__u8 sack = 0;

	if (tcp_opts_parse(buf, len, &o, &sack))
		return;
	ev->mss = o.mss;
	ev->wscale = o.wscale;
	ev->tsval = o.tsval;
	ev->tsecr = o.tsecr;
	ev->sack_blocks = sack;
	ev->opt_flags = o.flags | (sack ? SO_TRACE_OPT_SACK : 0);
}

/* The header fields of a parsed TCP frame; dir says whose address is local. */
SHAKEOFF_INLINE void trace_fill_frame(struct so_trace_ev *ev, const struct frame *f, __u8 dir)
{
	const __be32 *l = dir == SO_TRACE_OUT ? f->saddr : f->daddr;
	const __be32 *r = dir == SO_TRACE_OUT ? f->daddr : f->saddr;

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->kind = SO_TRACE_SEG;
	ev->dir = dir;
	ev->family = f->ipv6 ? 6 : 4;
	ev->tcp_flags = f->tcp_flags;
	__builtin_memcpy(ev->laddr, l, 16);
	__builtin_memcpy(ev->raddr, r, 16);
	ev->lport = bpf_ntohs(dir == SO_TRACE_OUT ? f->sport : f->dport);
	ev->rport = bpf_ntohs(dir == SO_TRACE_OUT ? f->dport : f->sport);
	ev->seq = f->seq;
	ev->ack = f->ack_seq;
	ev->len = f->payload_len;
	ev->win = f->window;
}

/* f's options into ev, from the XDP frame or the skb (one helper each: the verifier checks types). */
SHAKEOFF_INLINE void trace_opts_xdp(struct xdp_md *ctx, const struct frame *f,
				    struct so_trace_ev *ev)
{
	__u32 len = f->tcp_hlen - sizeof(struct tcphdr);
	struct tcp_opt_buf buf;

	if (len == 0 || len > TCP_MAX_OPT_LEN)
		return;
	if (!bpf_xdp_load_bytes(ctx, f->l4_off + sizeof(struct tcphdr), buf.bytes, len))
		trace_opts_walk(&buf, len, ev);
}

SHAKEOFF_INLINE void trace_opts_skb(struct __sk_buff *skb, const struct frame *f,
				    struct so_trace_ev *ev)
{
	__u32 len = f->tcp_hlen - sizeof(struct tcphdr);
	struct tcp_opt_buf buf;

	if (len == 0 || len > TCP_MAX_OPT_LEN)
		return;
	if (!bpf_skb_load_bytes(skb, f->l4_off + sizeof(struct tcphdr), buf.bytes, len))
		trace_opts_walk(&buf, len, ev);
}

/* ev from the frame at ctx (XDP): 0, or -1 if it is no whole TCP segment. */
SHAKEOFF_INLINE int trace_xdp_fill(struct xdp_md *ctx, struct so_trace_ev *ev, __u8 dir)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct frame f = {};

	if (frame_parse(data, data_end, &f) != PARSE_TCP)
		return -1;
	trace_fill_frame(ev, &f, dir);
	trace_opts_xdp(ctx, &f, ev);
	return 0;
}

/* The same at TC; pulls the headers into the linear part if they are not. */
SHAKEOFF_INLINE int trace_skb_fill(struct __sk_buff *skb, struct so_trace_ev *ev, __u8 dir)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct frame f = {};
	int st;

	st = frame_parse(data, data_end, &f);
	if (st != PARSE_TCP && skb->len > data_end - data) {
		if (bpf_skb_pull_data(skb, skb->len < 256 ? skb->len : 256))
			return -1;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		__builtin_memset(&f, 0, sizeof(f));
		st = frame_parse(data, data_end, &f);
	}
	if (st != PARSE_TCP)
		return -1;
	trace_fill_frame(ev, &f, dir);
	trace_opts_skb(skb, &f, ev);
	return 0;
}

#endif /* SHAKEOFF_BPF_TRACE_EMIT_H */
