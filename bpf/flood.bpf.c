// SPDX-License-Identifier: GPL-2.0
/*
 * flood: turn every frame BPF_PROG_RUN hands us into a fresh TCP segment
 * (SYN, ACK, RST, FIN or SYN-ACK, or a kind drawn per frame from a mix) from a
 * spoofed source and XDP_TX it. Driven with BPF_F_TEST_XDP_LIVE_FRAMES, where
 * XDP_TX becomes a redirect out of the ingress interface. Frames are as long
 * as the longest kind of the run; a shorter kind trims the tail.
 *
 * Every random choice is draw d of frame i of this CPU's stream
 * (shakeoff/flood.h): the same seed and settings give the same frames.
 *
 * Live frames are recycled without being re-copied, and whoever received a
 * frame may have rewritten it in place, so every byte of every header is
 * written on every run; nothing in the frame is ever read.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/csum.h"
#include <shakeoff/flood.h>

char LICENSE[] SEC("license") = "GPL";

const volatile struct flood_cfg flood_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_state);
} flood_state SEC(".maps");

/* Sequential mode: the next step of the walk, shared by all CPUs so it has no gaps. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} flood_seq SEC(".maps");

/* --src-pool: the addresses, drawn once by user space; max_entries set to their number. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_addr);
} flood_pool SEC(".maps");

#define FLOOD_TTL 64
#define FLOOD_MSS4 1460
#define FLOOD_MSS6 1440
/* What Linux announces in a SYN and a SYN-ACK for those MSS values with the default buffers. */
#define FLOOD_SYN_WIN4 64240
#define FLOOD_SYN_WIN6 64800
#define FLOOD_SYNACK_WIN4 65160
#define FLOOD_SYNACK_WIN6 64260
#define FLOOD_ACK_WIN 502
#define FLOOD_WSCALE 7

/* Everything that varies per segment, in wire order where it goes on the wire. */
struct seg {
	__be32 saddr[4];
	__be16 sport;
	__be16 pad;
	__be32 seq;
	__be32 ack_seq;
	__be32 tsval;
	__be32 tsecr;
	__u32 rnd; /* IPv4 id, IPv6 flow label */
	__u32 kind; /* enum flood_kind */
};

SHAKEOFF_INLINE __u8 kind_flags(__u32 kind)
{
	switch (kind) {
	case FLOOD_SYN:
		return TCP_F_SYN;
	case FLOOD_ACK:
		return TCP_F_ACK;
	case FLOOD_RST:
		return TCP_F_RST;
	case FLOOD_SYNACK:
		return TCP_F_SYN | TCP_F_ACK;
	default:
		return TCP_F_FIN | TCP_F_ACK;
	}
}

SHAKEOFF_INLINE __u16 kind_window(__u32 kind, __u32 ipv6)
{
	switch (kind) {
	case FLOOD_SYN:
		return ipv6 ? FLOOD_SYN_WIN6 : FLOOD_SYN_WIN4;
	case FLOOD_SYNACK:
		return ipv6 ? FLOOD_SYNACK_WIN6 : FLOOD_SYNACK_WIN4;
	case FLOOD_RST:
		return 0;
	default:
		return FLOOD_ACK_WIN;
	}
}

/* mixed: the kind whose share of the 32-bit draws r falls in. */
SHAKEOFF_INLINE __u32 mix_pick(__u32 r)
{
	__u32 k;

#pragma unroll
	for (k = 0; k < FLOOD_KINDS - 1; k++)
		if (r < flood_cfg.mix_cum[k])
			return k;
	return FLOOD_KINDS - 1;
}

/* The source address and port: random (from the prefix or the pool), or the next step of the walk. */
SHAKEOFF_INLINE void seg_source(__u64 key, __u64 i, struct seg *s)
{
	__u32 ipv6 = flood_cfg.ipv6, pool_n = flood_cfg.pool_n, zero = 0, slot, j;
	__u64 host, idx = 0, port_idx, *next;
	struct flood_addr *a = NULL;

	if (flood_cfg.sequential) {
		next = bpf_map_lookup_elem(&flood_seq, &zero);
		if (next)
			idx = __sync_fetch_and_add(next, 1);
		if (pool_n) {
			host = idx % pool_n;
			port_idx = idx / pool_n;
		} else {
			host = idx;
			port_idx = flood_cfg.host_bits >= 64 ? 0 : idx >> flood_cfg.host_bits;
		}
		port_idx %= flood_cfg.sport_count;
	} else {
		host = flood_draw(key, i, 0);
		if (pool_n)
			host = ((host >> 32) * pool_n) >> 32;
		/* multiply-shift instead of a division: uniform enough for a port */
		port_idx = ((flood_draw(key, i, 1) >> 32) * flood_cfg.sport_count) >> 32;
	}
	s->sport = bpf_htons(flood_cfg.sport_lo + (__u32)port_idx);

	if (pool_n) {
		slot = host;
		a = bpf_map_lookup_elem(&flood_pool, &slot);
	}
#pragma unroll
	for (j = 0; j < 4; j++)
		s->saddr[j] = a ? a->a[j] : flood_cfg.saddr[j];
	if (pool_n)
		return;
	host &= flood_cfg.host_mask;
	if (ipv6) {
		s->saddr[2] |= bpf_htonl(host >> 32);
		s->saddr[3] |= bpf_htonl((__u32)host);
	} else {
		s->saddr[0] |= bpf_htonl((__u32)host);
	}
}

SHAKEOFF_INLINE void eth_write(struct ethhdr *eth, __be16 proto)
{
	int i;

	/* Byte by byte through volatile: a memcpy would let clang fold the zero initialiser. */
#pragma unroll
	for (i = 0; i < ETH_ALEN; i++) {
		eth->h_dest[i] = flood_cfg.dmac[i];
		eth->h_source[i] = flood_cfg.smac[i];
	}
	eth->h_proto = proto;
}

/* Writes the TCP header and options; returns the TCP part of the checksum sum. */
SHAKEOFF_INLINE __u32 tcp_write(struct tcphdr *th, __be32 *opt, const struct seg *s, __u32 tcp_len)
{
	__u32 kind = s->kind;
	__be16 doff_flags = bpf_htons(((tcp_len / 4) << 12) | kind_flags(kind));
	__be16 window = bpf_htons(kind_window(kind, flood_cfg.ipv6));
	__be32 ack_seq = kind == FLOOD_SYN || kind == FLOOD_RST ? 0 : s->ack_seq;
	__be16 dport = flood_cfg.dport;
	__u32 sum = 0;

	th->source = s->sport;
	th->dest = dport;
	th->seq = s->seq;
	th->ack_seq = ack_seq;
	/* doff and flags as one word: no bitfield read-modify-write of stale bytes */
	*((__be16 *)th + 6) = doff_flags;
	th->window = window;
	th->check = 0;
	th->urg_ptr = 0;

	sum = csum_add16(sum, s->sport);
	sum = csum_add16(sum, dport);
	sum = csum_add32(sum, s->seq);
	sum = csum_add32(sum, ack_seq);
	sum = csum_add16(sum, doff_flags);
	sum = csum_add16(sum, window);

	if (flood_has_opts(kind)) {
		/* Linux's order: MSS, SACK_PERM, TS, NOP, WS; a SYN's TSecr is 0 */
		__u32 mss = flood_cfg.ipv6 ? FLOOD_MSS6 : FLOOD_MSS4;
		__be32 tsecr = kind == FLOOD_SYNACK ? s->tsecr : 0;

		__be32 o0 = tcp_opt_word(TCP_OPT_MSS, TCP_OLEN_MSS, 0, 0) | bpf_htonl(mss);
		__be32 o1 = tcp_opt_word(TCP_OPT_SACK_PERM, TCP_OLEN_SACK_PERM, TCP_OPT_TS,
					 TCP_OLEN_TS);
		__be32 o4 = tcp_opt_word(TCP_OPT_NOP, TCP_OPT_WS, TCP_OLEN_WS, FLOOD_WSCALE);

		opt[0] = o0;
		opt[1] = o1;
		opt[2] = s->tsval;
		opt[3] = tsecr;
		opt[4] = o4;
		sum = csum_add32(sum, o0);
		sum = csum_add32(sum, o1);
		sum = csum_add32(sum, s->tsval);
		sum = csum_add32(sum, tsecr);
		sum = csum_add32(sum, o4);
	}
	return sum;
}

/* The caller made the frame exactly flood_frame_len() long. */
SHAKEOFF_INLINE int build4(void *data, void *data_end, const struct seg *s)
{
	__u32 tcp_len = flood_tcp_len(s->kind);
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	__be32 *opt = (void *)(th + 1);
	__be16 tot_len = bpf_htons(sizeof(*iph) + tcp_len);
	__be16 id = bpf_htons(s->rnd & 0xffff);
	__be32 daddr = flood_cfg.daddr[0];
	__u32 sum;

	if ((void *)(th + 1) > data_end)
		return -1;
	if (flood_has_opts(s->kind) && (void *)(opt + FLOOD_SYN_OPT_LEN / 4) > data_end)
		return -1;

	eth_write(eth, bpf_htons(ETH_P_IP));
	/* version/ihl/tos and ttl/protocol as words, like the checksum sees them */
	*(__be16 *)iph = bpf_htons(0x4500);
	iph->tot_len = tot_len;
	iph->id = id;
	iph->frag_off = bpf_htons(IP_DF);
	*((__be16 *)iph + 4) = bpf_htons((FLOOD_TTL << 8) | IPPROTO_TCP);
	iph->saddr = s->saddr[0];
	iph->daddr = daddr;

	sum = csum_add16(0, bpf_htons(0x4500));
	sum = csum_add16(sum, tot_len);
	sum = csum_add16(sum, id);
	sum = csum_add16(sum, bpf_htons(IP_DF));
	sum = csum_add16(sum, bpf_htons((FLOOD_TTL << 8) | IPPROTO_TCP));
	sum = csum_add32(sum, s->saddr[0]);
	sum = csum_add32(sum, daddr);
	iph->check = csum_fold(sum);

	sum = csum_add32(0, s->saddr[0]);
	sum = csum_add32(sum, daddr);
	sum = csum_add16(sum, bpf_htons(IPPROTO_TCP));
	sum = csum_add16(sum, bpf_htons(tcp_len));
	sum += tcp_write(th, opt, s, tcp_len);
	th->check = csum_fold(sum);
	return 0;
}

SHAKEOFF_INLINE int build6(void *data, void *data_end, const struct seg *s)
{
	__u32 tcp_len = flood_tcp_len(s->kind);
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip6h + 1);
	__be32 *opt = (void *)(th + 1);
	__be32 *saddr = (__be32 *)&ip6h->saddr;
	__be32 *daddr = (__be32 *)&ip6h->daddr;
	__u32 sum = 0, i;

	if ((void *)(th + 1) > data_end)
		return -1;
	if (flood_has_opts(s->kind) && (void *)(opt + FLOOD_SYN_OPT_LEN / 4) > data_end)
		return -1;

	eth_write(eth, bpf_htons(ETH_P_IPV6));
	/* version, traffic class 0, a random flow label like Linux's auto labels */
	*(__be32 *)ip6h = bpf_htonl((6U << 28) | (s->rnd & 0xfffff));
	ip6h->payload_len = bpf_htons(tcp_len);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = FLOOD_TTL;
#pragma unroll
	for (i = 0; i < 4; i++) {
		saddr[i] = s->saddr[i];
		daddr[i] = flood_cfg.daddr[i];
		sum = csum_add32(sum, s->saddr[i]);
		sum = csum_add32(sum, flood_cfg.daddr[i]);
	}
	sum = csum_add16(sum, bpf_htons(IPPROTO_TCP));
	sum = csum_add16(sum, bpf_htons(tcp_len));
	sum += tcp_write(th, opt, s, tcp_len);
	th->check = csum_fold(sum);
	return 0;
}

SEC("xdp")
int so_flood(struct xdp_md *ctx)
{
	void *data, *data_end;
	struct flood_state *st;
	__u32 zero = 0, kind, need, len;
	__u64 key, i, r;
	struct seg s;
	int err;

	st = bpf_map_lookup_elem(&flood_state, &zero);
	if (!st)
		return XDP_ABORTED;
	i = st->next++;
	key = flood_stream_key(flood_cfg.seed, st->stream);
	kind = flood_cfg.mixed ? mix_pick(flood_draw(key, i, 1)) : flood_cfg.kind;
	/* the verifier wants the counter index bounded */
	if (kind >= FLOOD_KINDS)
		return XDP_ABORTED;
	s.kind = kind;

	/* a mixed run's frames are as long as its longest kind: trim to this one's */
	need = flood_frame_len(flood_cfg.ipv6, kind);
	len = ctx->data_end - ctx->data;
	if (len < need)
		goto short_frame;
	if (len > need && bpf_xdp_adjust_tail(ctx, (int)need - (int)len))
		goto short_frame;
	/* else clang reads data and data_end through a ctx pointer it moved, which the verifier refuses */
	asm volatile("" : "+r"(ctx));
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	seg_source(key, i, &s);
	r = flood_draw(key, i, 2);
	s.seq = (__u32)r;
	s.ack_seq = r >> 32;
	r = flood_draw(key, i, 3);
	s.rnd = (__u32)r;
	s.tsval = r >> 32;
	s.tsecr = kind == FLOOD_SYNACK ? (__u32)flood_draw(key, i, 4) : 0;

	if (flood_cfg.ipv6)
		err = build6(data, data_end, &s);
	else
		err = build4(data, data_end, &s);
	if (err)
		goto short_frame;
	st->tx++;
	st->kind_tx[kind]++;
	return XDP_TX;

short_frame:
	st->short_frame++;
	return XDP_ABORTED;
}
