/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's limits and views, shared by the BPF programs and user space:
 * per-port counters, the table of source prefixes (top talkers and the
 * per-prefix SYN-ACK budget), the allow/deny list of source prefixes.
 * Included by guard_abi.h (after struct guard_rst_bucket, which the
 * per-prefix budget shares); byte order as noted there ("be": wire order).
 */
#ifndef SHAKEOFF_GUARD_LIMITS_H
#define SHAKEOFF_GUARD_LIMITS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

/*
 * guard_portstat: per-CPU counters of protected ports. The controller gives
 * the first GUARD_PORT_STATS_SLOTS - 1 protected ports (ascending) a slot of
 * their own (struct guard_port.stats); every other port counts into slot 0,
 * "other", as does a port the controller gave no slot.
 */
#define GUARD_PORT_STATS_SLOTS 64
#define GUARD_PORT_STATS_OTHER 0

struct guard_port_stats {
	__u64 syn; /* SYNs (not SYN-ACKs) that reached guard's SYN stage */
	__u64 synack; /* cookie SYN-ACKs sent */
	__u64 rst; /* RSTs sent (no listener, stray segments) */
	__u64 pass; /* segments XDP passed to the kernel */
	__u64 drop; /* segments XDP dropped, any reason (the limits' among them) */
	__u64 limited; /* SYNs dropped over a SYN-ACK budget */
	__u64 denied; /* segments dropped from a --deny prefix */
	__u64 handoff; /* cookie ACKs TC handed to the listener */
};

/*
 * guard_srcs: source prefixes, /24 or /64, hashed into GUARD_SRC_SLOTS
 * shared (not per-CPU) slots, counted by XDP on the SYNs guard handles
 * (always mode, or a port under attack). A slot has an owner, the prefix
 * whose SYNs it counts: another prefix hashed there takes one from the
 * owner's score and takes the slot over once the score is 0; at each new
 * window the score becomes what the owner sent in the last one, so a heavy
 * hitter keeps its slot and a quiet owner loses it within a window. CPUs
 * update slots without locks: a count may lose an increment in a race, an
 * owner change may mix a few SYNs of two prefixes. Good enough for a view
 * and a budget; not an exact account.
 *
 * budget counts the SYN-ACKs sent to every prefix hashed into the slot
 * (not only the owner's) in its window: the per-prefix SYN-ACK budget
 * (--synack-rate-src), shared by prefixes that collide, like the RST one.
 * Windows are 2^GUARD_SRC_SHIFT ns (1.07 s) of CLOCK_MONOTONIC.
 */
#define GUARD_SRC_SLOTS 8192
#define GUARD_SRC_SHIFT 30

struct guard_src {
	__be32 prefix[2]; /* IPv4: the /24 in [0], [1] 0; IPv6: the /64 (be) */
	__u8 family; /* 4, 6; 0: empty */
	__u8 pad[3];
	__u32 score; /* the owner's hold on the slot */
	__u32 window; /* the window of syn and synack */
	__u32 syn; /* the owner's SYNs in it */
	__u32 synack; /* SYN-ACKs sent to the owner in it */
	__u32 prev_syn; /* ... in the window before (0 if that was not the one before) */
	__u32 prev_synack;
	struct guard_rst_bucket budget; /* SYN-ACKs to the slot, every prefix in it */
	__u32 pad1; /* to 48 bytes: an mmapable array's elements are 8-byte aligned */
};

/*
 * guard_srclist: --allow and --deny prefixes in one LPM trie, IPv4 as
 * IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix length + 96); the longest prefix
 * wins. Looked up only while guard_cfg.src_rules is non-zero.
 */
#define GUARD_SRC_RULES_MAX 16384

struct guard_srclist_key {
	__u32 prefixlen; /* 0..128, over addr */
	__u8 addr[16]; /* IPv6, or IPv4-mapped (be) */
};

enum guard_src_action {
	SRC_ALLOW = 1, /* exempt from the SYN-ACK budgets (and from a shorter deny) */
	SRC_DENY = 2, /* no answer, no handoff: dropped, counted */
};

struct guard_srclist_val {
	__u32 action; /* enum guard_src_action */
};

#endif /* SHAKEOFF_GUARD_LIMITS_H */
