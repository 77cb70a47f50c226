/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turn a received frame into a TCP reply to its sender (SYN-ACK, RST,
 * challenge ACK), for XDP_TX. The reply is written from scratch from parsed
 * values: addresses, ports and MACs swapped, VLAN tags kept, a 20-byte IPv4
 * header or a bare IPv6 header (options and extension headers of the input are
 * never echoed), the TCP header with the given options, checksums computed
 * from the values.
 *
 * The frame is resized first. It grows at the head, never the tail: veth
 * cannot grow the tail of a locally generated frame.
 */
#ifndef SHAKEOFF_BPF_REPLY_H
#define SHAKEOFF_BPF_REPLY_H

#include "consts.h"
#include "csum.h"
#include "parse.h"

#define REPLY_MAX_OPT_WORDS 5
_Static_assert(REPLY_MAX_OPT_WORDS >= TCP_SYNACK_OPT_WORDS, "a SYN-ACK's options must fit a reply");

struct reply {
	__u32 seq; /* host order */
	__u32 ack_seq; /* host order */
	__u16 window; /* host order, unscaled */
	__u8 flags; /* TCP flags */
	__u8 ttl; /* TTL / hop limit */
	__u32 nopt; /* option words used */
	__be32 opt[REPLY_MAX_OPT_WORDS]; /* options, wire order */
};

SHAKEOFF_INLINE __u32 reply_tcp_csum_partial(const struct frame *f, const struct reply *r,
					     __u32 tcp_len)
{
	__u32 sum = 0;
	__u32 i;

	/* pseudo header: the address set is symmetric, so order does not matter */
	if (f->ipv6) {
#pragma unroll
		for (i = 0; i < 4; i++) {
			sum = csum_add32(sum, f->saddr[i]);
			sum = csum_add32(sum, f->daddr[i]);
		}
	} else {
		sum = csum_add32(sum, f->saddr[0]);
		sum = csum_add32(sum, f->daddr[0]);
	}
	sum = csum_add16(sum, bpf_htons(IPPROTO_TCP));
	sum = csum_add16(sum, bpf_htons(tcp_len));

	sum = csum_add16(sum, f->dport);
	sum = csum_add16(sum, f->sport);
	sum = csum_add32(sum, bpf_htonl(r->seq));
	sum = csum_add32(sum, bpf_htonl(r->ack_seq));
	sum = csum_add16(sum, bpf_htons(((tcp_len / 4) << 12) | r->flags));
	sum = csum_add16(sum, bpf_htons(r->window));
#pragma unroll
	for (i = 0; i < REPLY_MAX_OPT_WORDS; i++)
		if (i < r->nopt)
			sum = csum_add32(sum, r->opt[i]);
	return sum;
}

/*
 * The RST a closed port answers a segment with (RFC 9293 3.10.7.1, as Linux
 * sends it): at the segment's ACK number if it carries one, else at 0,
 * acknowledging all the segment occupied. r starts zeroed (no window, no options).
 */
SHAKEOFF_INLINE void reply_rst_closed(struct reply *r, const struct frame *f, __u8 ttl)
{
	if (f->tcp_flags & TCP_F_ACK) {
		r->seq = f->ack_seq;
		r->flags = TCP_F_RST;
	} else {
		r->seq = 0;
		r->ack_seq = f->seq + f->payload_len + !!(f->tcp_flags & TCP_F_SYN) +
			     !!(f->tcp_flags & TCP_F_FIN);
		r->flags = TCP_F_RST | TCP_F_ACK;
	}
	r->ttl = ttl;
}

/*
 * Returns 0 when the frame holds the reply, -1 when it could not be resized.
 * Inlined: as a global function it cost the SYN path 6 ns (spills, reloads).
 */
SHAKEOFF_INLINE int reply_build(struct xdp_md *ctx, const struct frame *f, const struct reply *r)
{
	__u32 nopt, ip_len, tcp_len, nvlan, l3_off, i;
	void *data, *data_end;
	struct ethhdr *eth;
	struct tcphdr *th;
	int want, have;
	__be32 *opt;

	nopt = r->nopt > REPLY_MAX_OPT_WORDS ? REPLY_MAX_OPT_WORDS : r->nopt;
	ip_len = f->ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	tcp_len = sizeof(struct tcphdr) + nopt * 4;
	nvlan = f->nvlan > MAX_VLAN_TAGS ? MAX_VLAN_TAGS : f->nvlan;
	l3_off = ETH_HLEN + nvlan * sizeof(struct vlan_hdr);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	want = l3_off + ip_len + tcp_len;
	have = data_end - data;

	if (want > have) {
		if (bpf_xdp_adjust_head(ctx, have - want))
			return -1;
	} else if (want < have) {
		if (bpf_xdp_adjust_tail(ctx, want - have))
			return -1;
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	((__u16 *)eth)[0] = f->smac[0];
	((__u16 *)eth)[1] = f->smac[1];
	((__u16 *)eth)[2] = f->smac[2];
	((__u16 *)eth)[3] = f->dmac[0];
	((__u16 *)eth)[4] = f->dmac[1];
	((__u16 *)eth)[5] = f->dmac[2];
	eth->h_proto = nvlan ? f->vlan_proto[0] : bpf_htons(f->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_hdr *vh = data + ETH_HLEN + i * sizeof(*vh);

		if (i >= nvlan)
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		vh->h_vlan_TCI = f->vlan_tci[i];
		if (i + 1 < nvlan)
			vh->h_vlan_encapsulated_proto = f->vlan_proto[i + 1];
		else
			vh->h_vlan_encapsulated_proto = bpf_htons(f->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	}

	if (f->ipv6) {
		struct ipv6hdr *ip6h = data + l3_off;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		*(__be32 *)ip6h = bpf_htonl(0x60000000);
		ip6h->payload_len = bpf_htons(tcp_len);
		ip6h->nexthdr = IPPROTO_TCP;
		ip6h->hop_limit = r->ttl;
		__builtin_memcpy(&ip6h->saddr, f->daddr, 16);
		__builtin_memcpy(&ip6h->daddr, f->saddr, 16);
		th = (void *)(ip6h + 1);
	} else {
		struct iphdr *iph = data + l3_off;
		__u32 sum = 0;

		if ((void *)(iph + 1) > data_end)
			return -1;
		*(__u8 *)iph = 0x45;
		iph->tos = 0;
		iph->tot_len = bpf_htons(sizeof(*iph) + tcp_len);
		iph->id = 0;
		iph->frag_off = bpf_htons(IP_DF);
		iph->ttl = r->ttl;
		iph->protocol = IPPROTO_TCP;
		iph->saddr = f->daddr[0];
		iph->daddr = f->saddr[0];
		sum = csum_add16(sum, bpf_htons(0x4500));
		sum = csum_add16(sum, iph->tot_len);
		sum = csum_add16(sum, iph->frag_off);
		sum = csum_add16(sum, bpf_htons(((__u16)r->ttl << 8) | IPPROTO_TCP));
		sum = csum_add32(sum, iph->saddr);
		sum = csum_add32(sum, iph->daddr);
		iph->check = csum_fold(sum);
		th = (void *)(iph + 1);
	}

	if ((void *)(th + 1) > data_end)
		return -1;
	th->source = f->dport;
	th->dest = f->sport;
	th->seq = bpf_htonl(r->seq);
	th->ack_seq = bpf_htonl(r->ack_seq);
	*((__be16 *)th + 6) = bpf_htons(((tcp_len / 4) << 12) | r->flags);
	th->window = bpf_htons(r->window);
	th->urg_ptr = 0;
	opt = (void *)(th + 1);
	for (i = 0; i < REPLY_MAX_OPT_WORDS; i++) {
		if (i >= nopt)
			break;
		if ((void *)(opt + i + 1) > data_end)
			return -1;
		opt[i] = r->opt[i];
	}
	th->check = csum_fold(reply_tcp_csum_partial(f, r, tcp_len));
	return 0;
}

#endif /* SHAKEOFF_BPF_REPLY_H */
