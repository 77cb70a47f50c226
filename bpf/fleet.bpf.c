// SPDX-License-Identifier: GPL-2.0
/*
 * fleet: the router of `shakeoff lab fleet`, a TC ingress program on its
 * client-facing interface. Two servers own the same service address (an
 * anycast VIP behind ECMP); a reshuffle of the ECMP hash between a
 * connection's first segment and the next ones is simulated at its worst:
 * every SYN (without ACK) to the VIP goes to server A and every other
 * segment to the VIP to server B. The servers' replies take the router's
 * ordinary forwarding back. Settings are fixed at load (fleet_split_cfg).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/parse.h"
#include <shakeoff/fleet.h>
#include <shakeoff/tcp_wire.h>

#ifndef TC_ACT_REDIRECT
#define TC_ACT_REDIRECT 7 /* linux/pkt_cls.h, not in vmlinux.h */
#endif

char LICENSE[] SEC("license") = "GPL";

const volatile struct fleet_split_cfg cfg;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fleet_stats);
} fleet_stats SEC(".maps");

/* Rewrite the Ethernet header for hop and send the frame out of it. */
static __always_inline int fleet_forward(struct __sk_buff *skb,
					 const volatile struct fleet_hop *hop)
{
	__u8 eth[12];

	__builtin_memcpy(eth, (const void *)hop->dmac, 6);
	__builtin_memcpy(eth + 6, (const void *)hop->smac, 6);
	if (bpf_skb_store_bytes(skb, 0, eth, sizeof(eth), 0))
		return TC_ACT_SHOT;
	return bpf_redirect(hop->ifindex, 0);
}

SEC("tc")
int so_fleet_split(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct fleet_stats *s;
	struct frame f = {};
	__u32 zero = 0;
	int syn, verdict;

	s = bpf_map_lookup_elem(&fleet_stats, &zero);
	if (!s)
		return TC_ACT_OK;
	if (frame_parse(data, data_end, &f) != PARSE_TCP || f.ipv6 || f.nvlan ||
	    f.daddr[0] != cfg.vip) {
		s->c[FLEET_S_PASS]++;
		return TC_ACT_OK;
	}
	syn = (f.tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN;
	verdict = fleet_forward(skb, syn ? &cfg.syn : &cfg.rest);
	if (verdict != TC_ACT_REDIRECT) {
		s->c[FLEET_S_ERR]++;
		return TC_ACT_SHOT;
	}
	s->c[syn ? FLEET_S_SYN : FLEET_S_REST]++;
	return verdict;
}
