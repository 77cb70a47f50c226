// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only next program (tests/integration/test_coexist.sh): drops TCP to
 * the port in ndp_port[0] (host order; 0: none) and counts what it dropped
 * in ndp_drops[0], passes everything else. Plain XDP, no frags: what guard's
 * and serve's tail-call arrays accept.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ndp_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ndp_drops SEC(".maps");

#define ETH_P_IP_BE bpf_htons(0x0800)
#define ETH_P_IPV6_BE bpf_htons(0x86dd)

SEC("xdp")
int ndp_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *tcp;
	__u32 zero = 0, *port;
	__u64 *n;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == ETH_P_IP_BE) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
			return XDP_PASS;
		tcp = (void *)(ip + 1);
	} else if (eth->h_proto == ETH_P_IPV6_BE) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		tcp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	port = bpf_map_lookup_elem(&ndp_port, &zero);
	if (!port || !*port || bpf_ntohs(tcp->dest) != *port)
		return XDP_PASS;
	n = bpf_map_lookup_elem(&ndp_drops, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_DROP;
}
