/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What flood's BPF program and `shakeoff flood` share: the load-time
 * configuration, the per-CPU state/counters and the frame sizes. Included by
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

enum flood_kind {
	FLOOD_SYN = 0, /* SYN with Linux's options */
	FLOOD_ACK = 1, /* bare ACK, random seq and ack */
	FLOOD_RST = 2, /* bare RST, random seq */
	FLOOD_FIN = 3, /* FIN+ACK, random seq and ack */
};

/* Load-time configuration (a const volatile in the object, set through the skeleton). */
struct flood_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__u8 ipv6; /* 0: IPv4, 1: IPv6 */
	__u8 kind; /* enum flood_kind */
	__u8 sequential; /* 0: random sources, 1: walk addresses, then ports, in order */
	__u8 host_bits; /* source bits that vary: 0..32 (IPv4), 0..64 (IPv6) */
	__be32 saddr[4]; /* source prefix, host bits zero (be); IPv4 uses [0] */
	__be32 daddr[4]; /* destination (be); IPv4 uses [0] */
	__u64 host_mask; /* (1 << host_bits) - 1 */
	__be16 dport; /* (be) */
	__u16 sport_lo; /* first source port */
	__u32 sport_count; /* source ports in the range, 1..65535 */
};

/* One per-CPU value, so a frame costs a single map lookup. */
struct flood_state {
	__u64 tx; /* frames handed back with XDP_TX */
	__u64 short_frame; /* frames too short for the configured packet (aborted) */
	__u64 rng; /* this CPU's xorshift64* state; 0 until first use */
};

/* Frame sizes: Ethernet + IPv4/IPv6 + TCP, 20 bytes of options on SYNs only. */
#define FLOOD_SYN_OPT_LEN 20

SHAKEOFF_INLINE __u32 flood_tcp_len(__u32 kind)
{
	return 20 + (kind == FLOOD_SYN ? FLOOD_SYN_OPT_LEN : 0);
}

SHAKEOFF_INLINE __u32 flood_frame_len(__u32 ipv6, __u32 kind)
{
	return 14 + (ipv6 ? 40 : 20) + flood_tcp_len(kind);
}

#endif /* SHAKEOFF_FLOOD_H */
