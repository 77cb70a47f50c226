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
	/* 32 bytes of metadata, the frame's first payload word eight times */
	if ((void *)(eth + 1) + 4 <= data_end && !bpf_xdp_adjust_meta(ctx, -32)) {
		__u32 *meta = (void *)(long)ctx->data_meta, word;
		int i;

		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if ((void *)(meta + 8) > data || data + sizeof(*eth) + 4 > data_end)
			return XDP_PASS;
		word = *(__u32 *)(data + sizeof(*eth));
		for (i = 0; i < 8; i++)
			meta[i] = word;
	}
	/* no socket on this queue: the kernel gets it */
	return bpf_redirect_map(&xsktest_xsks, ctx->rx_queue_index, XDP_PASS);
}
