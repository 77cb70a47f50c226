/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frame parsing shared by the XDP and TC programs.
 *
 * Contract: frame_parse() walks Ethernet, up to MAX_VLAN_TAGS VLAN tags,
 * IPv4 (options skipped) or IPv6 (hop-by-hop and destination options walked),
 * and the TCP header. Every read is bounds-checked against data_end. It fills
 * struct frame as far as it got (host byte order for seq/ack/lengths, wire
 * order for addresses and ports) and returns how far that was, so a caller
 * can still decide on a fragment by its addresses or a bad TCP header by its
 * ports.
 */
#ifndef SHAKEOFF_BPF_PARSE_H
#define SHAKEOFF_BPF_PARSE_H

#include "consts.h"

enum parse_status {
	PARSE_TCP = 0, /* a whole TCP header: everything filled in */
	PARSE_NOT_TCP, /* not IPv4/IPv6 carrying TCP */
	PARSE_SHORT, /* truncated before the TCP ports: nothing to classify by */
	PARSE_FRAGMENT, /* TCP in an IP fragment: addresses valid, ports not */
	PARSE_IP6_EXT, /* an IPv6 extension header we do not walk: addresses valid */
	PARSE_BAD_TCP, /* addresses and ports valid, TCP/IP lengths inconsistent */
	PARSE_VLAN_DEEP, /* more VLAN tags than MAX_VLAN_TAGS: nothing past them is known */
};

struct frame {
	/* MACs as wire-order 16-bit halves: three loads and stores, not six */
	__u16 dmac[3];
	__u16 smac[3];
	__be16 vlan_proto[MAX_VLAN_TAGS];
	__be16 vlan_tci[MAX_VLAN_TAGS];
	__u8 nvlan;
	__u8 ipv6; /* 0: IPv4, 1: IPv6 */
	__u8 tcp_flags;
	__u8 pad;
	__u16 l3_off; /* offset of the IP header */
	__u16 l4_off; /* offset of the TCP header */
	__u16 tcp_hlen; /* TCP header length with options */
	__u16 window; /* host order */
	__be32 saddr[4]; /* IPv4 uses [0] */
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u32 seq; /* host order */
	__u32 ack_seq; /* host order */
	__u32 payload_len; /* TCP payload bytes, from the IP length */
};

/* Walk L2 and IP; returns the IP protocol's parse status. */
SHAKEOFF_INLINE int frame_parse(void *data, void *data_end, struct frame *f)
{
	struct ethhdr *eth = data;
	__u32 l3_len, ip_payload;
	struct tcphdr *th;
	__be16 proto;
	__u64 off;
	__u8 nexthdr;
	int i;

	if ((void *)(eth + 1) > data_end)
		return PARSE_SHORT;
	/* x86 and arm64 load unaligned packet data at full speed; the verifier allows it there. */
	f->dmac[0] = ((__u16 *)eth)[0];
	f->dmac[1] = ((__u16 *)eth)[1];
	f->dmac[2] = ((__u16 *)eth)[2];
	f->smac[0] = ((__u16 *)eth)[3];
	f->smac[1] = ((__u16 *)eth)[4];
	f->smac[2] = ((__u16 *)eth)[5];
	proto = eth->h_proto;
	off = ETH_HLEN;
	f->nvlan = 0;

#pragma unroll
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		struct vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return PARSE_SHORT;
		f->vlan_proto[i] = proto;
		f->vlan_tci[i] = vh->h_vlan_TCI;
		f->nvlan = i + 1;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}
	/* Linux strips tag after tag before delivery: a deeper stack is not "not ours" */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return PARSE_VLAN_DEEP;
	f->l3_off = off;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = data + off;
		__u32 ihl, tot_len;

		if ((void *)(iph + 1) > data_end)
			return PARSE_SHORT;
		if (iph->protocol != IPPROTO_TCP)
			return PARSE_NOT_TCP;
		f->ipv6 = 0;
		f->saddr[0] = iph->saddr;
		f->daddr[0] = iph->daddr;
		ihl = iph->ihl * 4;
		tot_len = bpf_ntohs(iph->tot_len);
		if (iph->version != 4 || ihl < sizeof(*iph) || tot_len < ihl)
			return PARSE_SHORT;
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return PARSE_FRAGMENT;
		l3_len = ihl;
		ip_payload = tot_len - ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = data + off;

		if ((void *)(ip6h + 1) > data_end || ip6h->version != 6)
			return PARSE_SHORT;
		f->ipv6 = 1;
		__builtin_memcpy(f->saddr, &ip6h->saddr, 16);
		__builtin_memcpy(f->daddr, &ip6h->daddr, 16);
		nexthdr = ip6h->nexthdr;
		l3_len = sizeof(*ip6h);
		ip_payload = bpf_ntohs(ip6h->payload_len);

#pragma unroll
		for (i = 0; i < MAX_IP6_EXT; i++) {
			struct ipv6_opt_hdr *eh = data + off + l3_len;
			__u32 elen;

			if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_DSTOPTS)
				break;
			if ((void *)(eh + 1) > data_end)
				return PARSE_SHORT;
			elen = (eh->hdrlen + 1) * 8;
			if (elen > ip_payload)
				return PARSE_SHORT;
			nexthdr = eh->nexthdr;
			l3_len += elen;
			ip_payload -= elen;
		}
		if (nexthdr == IPPROTO_FRAGMENT)
			return PARSE_FRAGMENT;
		if (nexthdr == IPPROTO_ROUTING || nexthdr == IPPROTO_HOPOPTS ||
		    nexthdr == IPPROTO_DSTOPTS)
			return PARSE_IP6_EXT;
		if (nexthdr != IPPROTO_TCP)
			return PARSE_NOT_TCP;
	} else {
		return PARSE_NOT_TCP;
	}

	off += l3_len;
	f->l4_off = off;
	th = data + off;
	/* The ports are enough to classify; the rest of the header may be missing. */
	if ((void *)th + 4 > data_end)
		return PARSE_SHORT;
	f->sport = th->source;
	f->dport = th->dest;
	if ((void *)(th + 1) > data_end)
		return PARSE_BAD_TCP;
	f->tcp_hlen = th->doff * 4;
	f->tcp_flags = ((__u8 *)th)[13];
	f->window = bpf_ntohs(th->window);
	f->seq = bpf_ntohl(th->seq);
	f->ack_seq = bpf_ntohl(th->ack_seq);
	if (f->tcp_hlen < sizeof(*th) || f->tcp_hlen > ip_payload ||
	    data + off + f->tcp_hlen > data_end)
		return PARSE_BAD_TCP;
	f->payload_len = ip_payload - f->tcp_hlen;
	return PARSE_TCP;
}

/*
 * TCP options, parsed from a copy on the stack (global functions cannot take
 * packet pointers; the loop would also blow the verifier's budget inline).
 */
struct tcp_opt_buf {
	__u8 bytes[TCP_MAX_OPT_LEN];
};

enum tcp_opt_flags {
	OPT_MSS = 1 << 0,
	OPT_WSCALE = 1 << 1,
	OPT_SACK_PERM = 1 << 2,
	OPT_TS = 1 << 3,
};

struct tcp_opts {
	__u16 mss;
	__u8 wscale;
	__u8 flags; /* enum tcp_opt_flags */
	__u32 tsval;
	__u32 tsecr;
};

/*
 * Parse len bytes of options. Like Linux, stop at EOL or at the first option
 * whose length is malformed, keeping what was parsed before it. The number
 * of SACK blocks goes to *sack_blocks (the trace's records show it).
 *
 * Written for the verifier: the loop walks every byte position once and
 * skips the inside of an option with a counter, so the only value used to
 * index memory is the position. The skip count and the option lengths then
 * stay imprecise, states at the loop head prune, and checking costs a few
 * thousand instructions instead of most of the 1M budget. A global function
 * with u64 arguments, verified once.
 */
__noinline int tcp_opts_parse(const struct tcp_opt_buf *buf, __u64 len, struct tcp_opts *out,
			      __u8 *sack_blocks)
{
	__u64 pos, skip = 0;
	__u8 kind, olen;

	if (!buf || !out || !sack_blocks)
		return -1;
	*sack_blocks = 0;
	out->flags = 0;
	out->mss = 0;
	out->wscale = 0;
	out->tsval = 0;
	out->tsecr = 0;

	for (pos = 0; pos < TCP_MAX_OPT_LEN; pos++) {
		if (pos >= len)
			break;
		if (skip) {
			skip--;
			continue;
		}
		kind = buf->bytes[pos];
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP)
			continue;
		if (pos + 1 >= len || pos + 1 >= TCP_MAX_OPT_LEN)
			break;
		olen = buf->bytes[pos + 1];
		if (olen < 2 || pos + olen > len)
			break;
		if (kind == TCP_OPT_MSS && olen == 4 && pos + 3 < TCP_MAX_OPT_LEN) {
			out->mss = ((__u16)buf->bytes[pos + 2] << 8) | buf->bytes[pos + 3];
			out->flags |= OPT_MSS;
		} else if (kind == TCP_OPT_WS && olen == 3 && pos + 2 < TCP_MAX_OPT_LEN) {
			out->wscale = buf->bytes[pos + 2];
			if (out->wscale > TCP_MAX_WSCALE)
				out->wscale = TCP_MAX_WSCALE;
			out->flags |= OPT_WSCALE;
		} else if (kind == TCP_OPT_SACK_PERM && olen == 2) {
			out->flags |= OPT_SACK_PERM;
		} else if (kind == TCP_OPT_TS && olen == 10 && pos + 9 < TCP_MAX_OPT_LEN) {
			out->tsval = ((__u32)buf->bytes[pos + 2] << 24) |
				     ((__u32)buf->bytes[pos + 3] << 16) |
				     ((__u32)buf->bytes[pos + 4] << 8) | buf->bytes[pos + 5];
			out->tsecr = ((__u32)buf->bytes[pos + 6] << 24) |
				     ((__u32)buf->bytes[pos + 7] << 16) |
				     ((__u32)buf->bytes[pos + 8] << 8) | buf->bytes[pos + 9];
			out->flags |= OPT_TS;
		} else if (kind == TCP_OPT_SACK && olen >= 2 + TCP_OLEN_SACK_BLOCK) {
			*sack_blocks = (olen - 2) / TCP_OLEN_SACK_BLOCK;
		}
		skip = olen - 1;
	}
	return 0;
}

#define IPOPT_LSRR 131
#define IPOPT_SSRR 137

/*
 * Does an IPv4 header carry a source route (LSRR/SSRR, which Linux drops
 * with accept_source_route=0)? buf holds its len option bytes (at most 40).
 * Walked as Linux walks them: EOL ends, NOP is one byte, every other option
 * has a length of at least 2. A global function, verified once.
 */
__noinline int ip4_opts_srcroute(const struct tcp_opt_buf *buf, __u64 len)
{
	__u64 pos, skip = 0;
	__u8 kind, olen;

	if (!buf)
		return 0;
	for (pos = 0; pos < TCP_MAX_OPT_LEN; pos++) {
		if (pos >= len)
			break;
		if (skip) {
			skip--;
			continue;
		}
		kind = buf->bytes[pos];
		if (kind == 0) /* EOL */
			break;
		if (kind == 1) /* NOP */
			continue;
		if (kind == IPOPT_LSRR || kind == IPOPT_SSRR)
			return 1;
		if (pos + 1 >= len || pos + 1 >= TCP_MAX_OPT_LEN)
			break;
		olen = buf->bytes[pos + 1];
		if (olen < 2)
			break;
		skip = olen - 1;
	}
	return 0;
}

#endif /* SHAKEOFF_BPF_PARSE_H */
