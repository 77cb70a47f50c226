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

/* Whether to report; guard_notrace.bpf.c (bench only) compiles the hooks out. */
#ifdef GUARD_BENCH_NO_TRACE
#define trace_active() 0
#else
#define trace_active() trace_on
#endif

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
 * What guard keeps of a SYN it answers with a SYN-ACK, for the hook after
 * the verdict: the first four bytes of its struct tcp_opts (parse.h), whose
 * OPT_* flags have the values of SO_TRACE_OPT_MSS..TS. All zero when guard
 * parsed no options (a SYN answered with a RST, any other segment).
 */
struct trace_syn {
	__u16 mss;
	__u8 wscale;
	__u8 flags;
};

_Static_assert(OPT_MSS == SO_TRACE_OPT_MSS && OPT_WSCALE == SO_TRACE_OPT_WSCALE &&
		       OPT_SACK_PERM == SO_TRACE_OPT_SACK_PERM && OPT_TS == SO_TRACE_OPT_TS,
	       "struct tcp_opts flags are the trace's opt_flags");

/*
 * guard's one hook, after the verdict (a check before it cost its SYN path
 * more, make bench). A frame dropped is still there to read. For XDP_TX only
 * the reply is: the segment answered is rebuilt from what guard parsed of it
 * before it wrote the reply in place, f (flags, seq, ack, window, length)
 * and syn (a SYN's options; its TSval is the SYN-ACK's TSecr).
 */
static __noinline __attribute__((unused)) int trace_xdp_after(struct xdp_md *ctx, int verdict,
							      __u32 why, const struct frame *f,
							      const struct trace_syn *syn)
{
	__u32 zero = 0;
	struct so_trace_ev *ev = bpf_map_lookup_elem(&trace_scratch, &zero);
	__u32 tsecr;

	if (!ev || !f || !syn)
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
	ev->src = SO_TRACE_SRC_XDP;
	ev->act = SO_TRACE_ACT_TX;
	ev->reason = why;
	bpf_ringbuf_output(&trace_rb, ev, sizeof(*ev), 0);
	/* the reply's addresses, swapped by its direction; the rest is the segment's */
	tsecr = ev->tsecr;
	ev->dir = SO_TRACE_IN;
	ev->tcp_flags = f->tcp_flags;
	ev->seq = f->seq;
	ev->ack = f->ack_seq;
	ev->len = f->payload_len;
	ev->win = f->window;
	ev->mss = syn->mss;
	ev->wscale = syn->wscale;
	ev->opt_flags = syn->flags & (SO_TRACE_OPT_MSS | SO_TRACE_OPT_WSCALE |
				      SO_TRACE_OPT_SACK_PERM | SO_TRACE_OPT_TS);
	ev->tsval = (syn->flags & SO_TRACE_OPT_TS) ? tsecr : 0;
	ev->tsecr = 0;
	ev->sack_blocks = 0;
	/* reported after the reply, stamped before it: the ladder orders by ts_ns */
	ev->ts_ns--;
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
