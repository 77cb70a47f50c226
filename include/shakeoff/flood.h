/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What flood's BPF program and `shakeoff flood` share: the load-time
 * configuration, the per-CPU state/counters, the frame sizes and the random
 * generator (user space draws the source pool with it). Included by
 * bpf/flood.bpf.c after vmlinux.h and by user space after linux/types.h, so
 * only fixed-width types and pure inline functions live here.
 *
 * Byte order is noted per field: "be" fields are in network byte order,
 * everything else is host order.
 */
#ifndef SHAKEOFF_FLOOD_H
#define SHAKEOFF_FLOOD_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

#include <shakeoff/inline.h>

#define FLOOD_PROG_NAME "so_flood"
#define FLOOD_MAP_STATE "flood_state"
#define FLOOD_MAP_SEQ "flood_seq"
#define FLOOD_MAP_POOL "flood_pool"

enum flood_kind {
	FLOOD_SYN = 0, /* SYN with Linux's options */
	FLOOD_ACK = 1, /* bare ACK, random seq and ack */
	FLOOD_RST = 2, /* bare RST, random seq */
	FLOOD_FIN = 3, /* FIN+ACK, random seq and ack */
	FLOOD_SYNACK = 4, /* SYN-ACK with Linux's options, random seq, ack and TSecr */
	FLOOD_KINDS = 5,
	FLOOD_MIXED = FLOOD_KINDS, /* user space only: cfg.mixed set, a kind drawn per frame */
};

/* Most addresses a --src-pool may hold (16 MiB of map). */
#define FLOOD_POOL_MAX 1048576

/* One source address of the pool (be); IPv4 uses a[0]. */
struct flood_addr {
	__be32 a[4];
};

/* Load-time configuration (a const volatile in the object, set through the skeleton). */
struct flood_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__u8 ipv6; /* 0: IPv4, 1: IPv6 */
	__u8 kind; /* enum flood_kind, when not mixed */
	__u8 sequential; /* 0: random sources, 1: walk addresses, then ports, in order */
	__u8 host_bits; /* source bits that vary: 0..32 (IPv4), 0..64 (IPv6) */
	__be32 saddr[4]; /* source prefix, host bits zero (be); IPv4 uses [0] */
	__be32 daddr[4]; /* destination (be); IPv4 uses [0] */
	__u64 host_mask; /* (1 << host_bits) - 1 */
	__be16 dport; /* (be) */
	__u16 sport_lo; /* first source port */
	__u32 sport_count; /* source ports in the range, 1..65535 */
	__u8 mixed; /* 1: each frame's kind drawn with mix_cum */
	__u8 pad[3];
	__u32 pool_n; /* 0: sources from the prefix; N: from the N addresses of flood_pool */
	__u64 seed; /* every random choice of every frame derives from it */
	/* mixed: a frame is of kind k when its 32-bit draw is below mix_cum[k] (cumulative; the
	 * last kind drawn at all ends at 1 << 32) */
	__u64 mix_cum[FLOOD_KINDS];
};

/* One per-CPU value, so a frame costs a single map lookup. */
struct flood_state {
	__u64 tx; /* frames handed back with XDP_TX */
	__u64 short_frame; /* frames too short for the configured packet (aborted) */
	__u64 next; /* frames this CPU has drawn: the index of its next frame in its stream */
	__u64 stream; /* which stream this CPU draws from: the sender's number, set before runs */
	__u64 kind_tx[FLOOD_KINDS]; /* tx by enum flood_kind */
};

/* Frame sizes: Ethernet + IPv4/IPv6 + TCP, 20 bytes of options on SYNs and SYN-ACKs. */
#define FLOOD_SYN_OPT_LEN 20

SHAKEOFF_INLINE __u32 flood_has_opts(__u32 kind)
{
	return kind == FLOOD_SYN || kind == FLOOD_SYNACK;
}

SHAKEOFF_INLINE __u32 flood_tcp_len(__u32 kind)
{
	return 20 + (flood_has_opts(kind) ? FLOOD_SYN_OPT_LEN : 0);
}

SHAKEOFF_INLINE __u32 flood_frame_len(__u32 ipv6, __u32 kind)
{
	return 14 + (ipv6 ? 40 : 20) + flood_tcp_len(kind);
}

/*
 * The random generator: counter-based (splitmix64's finaliser over a
 * Weyl sequence), so draw d of frame i of a stream is a pure function of
 * (seed, stream, i, d). The same seed and options give the same frames, and
 * a test can recompute any one of them.
 */
#define FLOOD_GOLDEN 0x9e3779b97f4a7c15ULL
#define FLOOD_DRAWS 5 /* draws per frame: source, port+kind, seq+ack, id+tsval, tsecr */
#define FLOOD_POOL_STREAM 0xffffffffffffffffULL /* user space draws the pool from it */

SHAKEOFF_INLINE __u64 flood_mix64(__u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

SHAKEOFF_INLINE __u64 flood_stream_key(__u64 seed, __u64 stream)
{
	return flood_mix64(seed ^ flood_mix64(stream + FLOOD_GOLDEN));
}

SHAKEOFF_INLINE __u64 flood_draw(__u64 key, __u64 i, __u32 d)
{
	return flood_mix64(key + (i * FLOOD_DRAWS + d + 1) * FLOOD_GOLDEN);
}

#endif /* SHAKEOFF_FLOOD_H */
