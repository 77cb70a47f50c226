/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's and serve's side of `shakeoff trace`: what their XDP programs
 * answer (XDP_TX), drop or redirect, and what guard's TC program hands off,
 * as struct so_trace_ev records in their own ring buffer, trace_rb.
 *
 * Off, it costs one load and one branch per frame: trace_on lives in a
 * section of its own (.data.trace), which libbpf makes a map of its own, so
 * the collector (user/trace/collect.c) switches it through the running
 * program's map without touching the rest of .data. Its value is the
 * collecting tracer's pid, 0 when none runs. A tracer killed before it
 * could clear it leaves the producers writing into a ring nobody reads:
 * bounded (once the ring is full each output fails at once) and short:
 * guard's and serve's controllers clear a flag whose pid is gone
 * (user/trace/flag.c), and the next trace takes it over.
 *
 * serve reports through trace_xdp_in() and trace_xdp_out() around its
 * verdict, guard through trace_xdp_after() alone.
 *
 * Frames XDP passes are not reported here: TC (the trace's observer) sees
 * them, so every segment is reported once.
 */
#ifndef SHAKEOFF_BPF_TRACE_PROD_H
#define SHAKEOFF_BPF_TRACE_PROD_H

#include "trace_emit.h"

/* the collecting tracer's pid, or 0: the only thing read while no trace runs */
volatile __u32 trace_on SEC(".data.trace") = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} trace_rb SEC(".maps");

/* The frame as it came in, until the verdict says what became of it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct so_trace_ev);
} trace_scratch SEC(".maps");

/* Before the verdict: the incoming frame, parsed while it is still there (XDP_TX rewrites it). */
static __noinline __attribute__((unused)) int trace_xdp_in(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct so_trace_ev *ev = bpf_map_lookup_elem(&trace_scratch, &zero);

	if (!ev)
		return 0;
	if (trace_xdp_fill(ctx, ev, SO_TRACE_IN))
		ev->kind = 0;
	return 0;
}

/* After it: what XDP did with the frame, and the reply it wrote for XDP_TX. */
static __noinline __attribute__((unused)) int trace_xdp_out(struct xdp_md *ctx, int verdict,
							    __u32 why)
{
	__u32 zero = 0;
	struct so_trace_ev *ev = bpf_map_lookup_elem(&trace_scratch, &zero);

	if (!ev || ev->kind != SO_TRACE_SEG)
		return 0;
	ev->src = SO_TRACE_SRC_XDP;
	ev->act = verdict == XDP_TX	  ? SO_TRACE_ACT_TX :
		  verdict == XDP_REDIRECT ? SO_TRACE_ACT_REDIRECT :
		  verdict == XDP_PASS	  ? SO_TRACE_ACT_PASS :
					    SO_TRACE_ACT_DROP;
	ev->reason = why;
	bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
	ev->kind = 0;
	if (verdict != XDP_TX || trace_xdp_fill(ctx, ev, SO_TRACE_OUT))
		return 0;
	ev->src = SO_TRACE_SRC_XDP;
	ev->act = SO_TRACE_ACT_TX;
	ev->reason = why;
	bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
	ev->kind = 0;
	return 0;
}

/*
 * guard's one hook, after the verdict (a check before it cost its SYN path
 * more, make bench). A frame dropped is still there to read. For XDP_TX only
 * the reply is: the segment answered is rebuilt from it when the answer
 * tells it, a SYN-ACK or a RST|ACK to a SYN (seq = ack - 1; of the SYN's
 * options only timestamps (TSval = the reply's TSecr) and SACK-permitted are
 * known, its MSS, window and window scale not).
 */
static __noinline __attribute__((unused)) int trace_xdp_after(struct xdp_md *ctx, int verdict,
							      __u32 why)
{
	__u32 zero = 0;
	struct so_trace_ev *ev = bpf_map_lookup_elem(&trace_scratch, &zero);
	__u8 fl;

	if (!ev)
		return 0;
	if (verdict != XDP_TX) {
		if (trace_xdp_fill(ctx, ev, SO_TRACE_IN))
			return 0;
		ev->src = SO_TRACE_SRC_XDP;
		ev->act = verdict == XDP_REDIRECT ? SO_TRACE_ACT_REDIRECT : SO_TRACE_ACT_DROP;
		ev->reason = why;
		bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
		return 0;
	}
	if (trace_xdp_fill(ctx, ev, SO_TRACE_OUT))
		return 0;
	fl = ev->tcp_flags;
	ev->src = SO_TRACE_SRC_XDP;
	ev->act = SO_TRACE_ACT_TX;
	ev->reason = why;
	if ((fl & TCP_F_ACK) && (fl & (TCP_F_SYN | TCP_F_RST))) {
		struct so_trace_ev *syn = ev;
		__u32 tsecr = ev->tsecr, sack = ev->opt_flags & SO_TRACE_OPT_SACK_PERM,
		      ts = ev->opt_flags & SO_TRACE_OPT_TS, seq = ev->ack - 1;

		bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
		syn->dir = SO_TRACE_IN;
		syn->tcp_flags = TCP_F_SYN;
		syn->seq = seq;
		syn->ack = 0;
		syn->win = 0;
		syn->mss = 0;
		syn->wscale = 0;
		syn->tsval = ts ? tsecr : 0;
		syn->tsecr = 0;
		syn->opt_flags = ts | sack;
		/* reported after the reply, stamped before it: the ladder orders by ts_ns */
		syn->ts_ns--;
		bpf_ringbuf_output(&trace_rb, syn, sizeof(*syn), 0);
		return 0;
	}
	bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
	return 0;
}

/* A segment TC acted on (guard's handoff), which the trace's observer behind it never sees (serve has no TC program). */
static __noinline __attribute__((unused)) int trace_tc_in(struct __sk_buff *skb, __u32 act,
							  __u32 why)
{
	__u32 zero = 0;
	struct so_trace_ev *ev = bpf_map_lookup_elem(&trace_scratch, &zero);

	if (!ev || trace_skb_fill(skb, ev, SO_TRACE_IN))
		return 0;
	ev->src = SO_TRACE_SRC_TC_IN;
	ev->act = act;
	ev->reason = why;
	bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
	ev->kind = 0;
	return 0;
}

#endif /* SHAKEOFF_BPF_TRACE_PROD_H */
