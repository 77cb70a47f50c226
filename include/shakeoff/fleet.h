/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fleet router program (bpf/fleet.bpf.c) and `shakeoff lab fleet`
 * share: its settings and its counters. Included by the BPF object after
 * vmlinux.h and by user space after linux/types.h.
 */
#ifndef SHAKEOFF_FLEET_H
#define SHAKEOFF_FLEET_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

/* One way out of the router: the interface and the Ethernet header to put on. */
struct fleet_hop {
	__u32 ifindex;
	__u8 dmac[6]; /* the server's MAC */
	__u8 smac[6]; /* the router's MAC on ifindex */
};

/* Set before load: TCP to vip (wire order) goes SYN to syn, every other segment to rest. */
struct fleet_split_cfg {
	__be32 vip;
	__u32 pad;
	struct fleet_hop syn;
	struct fleet_hop rest;
};

/* X(id, name, help); the counters of fleet_stats (one per-CPU entry) */
#define FLEET_STATS(X)                                                            \
	X(SYN, "syn_to_a", "SYNs to the VIP sent to server A")                    \
	X(REST, "rest_to_b", "other segments to the VIP sent to server B")        \
	X(PASS, "pass", "frames not TCP to the VIP, left to the router's kernel") \
	X(ERR, "drop_redirect", "frames dropped: the redirect failed")

enum fleet_stat {
#define FLEET_STAT_ENUM(id, name, help) FLEET_S_##id,
	FLEET_STATS(FLEET_STAT_ENUM)
#undef FLEET_STAT_ENUM
		FLEET_S__COUNT,
};

struct fleet_stats {
	__u64 c[FLEET_S__COUNT];
};

#endif /* SHAKEOFF_FLEET_H */
