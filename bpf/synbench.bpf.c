// SPDX-License-Identifier: GPL-2.0
/*
 * Measuring the SYN path with BPF_PROG_TEST_RUN: a non-live run keeps the
 * buffer the program rewrote, so after one iteration it holds a SYN-ACK. This
 * wrapper restores the SYN before every iteration and tail-calls the program
 * under test; run it once with guard in slot 0 and once with so_bench_nop,
 * and the difference is guard's own cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define BENCH_MAX_FRAME 128

char LICENSE[] SEC("license") = "GPL";

__u8 bench_frame[BENCH_MAX_FRAME];
__u32 bench_len;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_target SEC(".maps");

SEC("xdp")
int so_bench_wrap(struct xdp_md *ctx)
{
	__u32 len = bench_len;
	int have = ctx->data_end - ctx->data;

	if (len == 0 || len > BENCH_MAX_FRAME)
		return XDP_ABORTED;
	if (have != (int)len && bpf_xdp_adjust_tail(ctx, (int)len - have))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, bench_frame, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bench_target, 0);
	return XDP_ABORTED;
}

/* The baseline: what the wrapper and the tail call cost by themselves. */
SEC("xdp")
int so_bench_nop(struct xdp_md *ctx)
{
	return XDP_TX;
}
