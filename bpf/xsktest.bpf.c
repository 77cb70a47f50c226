// SPDX-License-Identifier: GPL-2.0
/* For tests of user/xsk.c: every IP frame goes to the AF_XDP socket of its RX queue. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsktest_xsks SEC(".maps");

SEC("xdp")
int so_xsktest(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(0x0800) && eth->h_proto != bpf_htons(0x86DD))
		return XDP_PASS;
	/* no socket on this queue: the kernel gets it */
	return bpf_redirect_map(&xsktest_xsks, ctx->rx_queue_index, XDP_PASS);
}
