// SPDX-License-Identifier: GPL-2.0
/*
 * lab: small XDP programs for tests and benchmarks, attached one at a time by
 * `shakeoff lab attach` and left in place after it exits.
 *
 *   so_lab_reflect  swap the MACs and XDP_TX everything: the ceiling of the path
 *   so_lab_count    count TCP by flag kind; optionally drop replies (SYN, SYN-ACK, RST)
 *                   (a flood's replies that must not reach the client kernel)
 *   so_lab_pass     count and XDP_PASS (a veth peer needs an XDP program for
 *                   XDP_TX frames to arrive at all)
 *   so_lab_drop     drop a seeded pseudo-random share of TCP segments carrying
 *                   payload or FIN: a lossy link
 *
 * All count into one per-CPU lab_stats entry, read by `shakeoff lab read`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/parse.h"
#include <shakeoff/lab.h>

char LICENSE[] SEC("license") = "GPL";

/* count: drop SYN-ACKs and RSTs instead of passing them */
const volatile __u8 count_drop_replies = 0;
/* drop: a candidate is dropped when a 32-bit draw is below this (0..2^32) */
const volatile __u64 drop_threshold = 0;
const volatile __u64 drop_seed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lab_stats);
} lab_stats SEC(".maps");

/* drop: one xorshift64* state per CPU, so the sequence of each CPU is reproducible */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lab_rng SEC(".maps");

SO_INLINE struct lab_stats *stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lab_stats, &zero);
}

SEC("xdp")
int so_lab_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	if (!s)
		return XDP_ABORTED;
	s->c[LAB_S_RX]++;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	s->c[LAB_S_TX]++;
	return XDP_TX;
}

SO_INLINE enum lab_stat tcp_kind(int status, const struct frame *f)
{
	__u8 fl = f->tcp_flags;

	if (status == PARSE_NOT_TCP || status == PARSE_SHORT)
		return LAB_S_NOT_TCP;
	if (status != PARSE_TCP)
		return LAB_S_TCP_OTHER;
	if (fl & TCP_FLAG_RST)
		return LAB_S_RST;
	if (fl & TCP_FLAG_SYN)
		return (fl & TCP_FLAG_ACK) ? LAB_S_SYNACK : LAB_S_SYN;
	if (fl & TCP_FLAG_FIN)
		return LAB_S_FIN;
	if ((fl & ~(TCP_FLAG_ECE | TCP_FLAG_CWR)) == TCP_FLAG_ACK && !f->payload_len)
		return LAB_S_ACK;
	return LAB_S_TCP_OTHER;
}

SEC("xdp")
int so_lab_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	enum lab_stat kind;
	struct frame f;
	int status;

	if (!s)
		return XDP_ABORTED;
	s->c[LAB_S_RX]++;
	status = frame_parse(data, data_end, &f);
	kind = tcp_kind(status, &f);
	/* Bounded again: the verifier does not follow the enum through the branches. */
	if (kind < LAB_S__COUNT)
		s->c[kind]++;
	/* In a flood bench anything with SYN or RST coming back is a reply: the client kernel must not pay for it. */
	if (count_drop_replies &&
	    (kind == LAB_S_SYNACK || kind == LAB_S_RST || kind == LAB_S_SYN)) {
		s->c[LAB_S_DROP]++;
		return XDP_DROP;
	}
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}

SEC("xdp")
int so_lab_pass(struct xdp_md *ctx)
{
	struct lab_stats *s = stats_get();

	if (!s)
		return XDP_PASS;
	s->c[LAB_S_RX]++;
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}

SO_INLINE __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next 32-bit draw of this CPU's stream; the stream starts from seed and CPU id. */
SO_INLINE __u32 rng_next(void)
{
	__u32 zero = 0;
	__u64 *state = bpf_map_lookup_elem(&lab_rng, &zero);
	__u64 x;

	if (!state)
		return 0xffffffff;
	x = *state;
	if (!x) {
		x = splitmix64(drop_seed ^ ((__u64)bpf_get_smp_processor_id() << 32));
		if (!x)
			x = 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 0x2545f4914f6cdd1dULL) >> 32;
}

SEC("xdp")
int so_lab_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	struct frame f;

	if (!s)
		return XDP_PASS;
	s->c[LAB_S_RX]++;
	if (frame_parse(data, data_end, &f) == PARSE_TCP &&
	    (f.payload_len || (f.tcp_flags & TCP_FLAG_FIN))) {
		s->c[LAB_S_LOSSY]++;
		if (rng_next() < drop_threshold) {
			s->c[LAB_S_DROP]++;
			return XDP_DROP;
		}
	}
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}
