/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab programs (bpf/lab.bpf.c) and `shakeoff lab` share: program
 * and map names as the kernel stores them, and the counters. Included by the
 * BPF object after vmlinux.h and by user space after linux/types.h.
 */
#ifndef SHAKEOFF_LAB_H
#define SHAKEOFF_LAB_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

/* Every lab program's name starts with this; `lab detach` removes nothing else. */
#define LAB_PROG_PREFIX "so_lab_"
#define LAB_MAP_STATS "lab_stats"

/* The programs, X(id, name without the prefix); the BPF function is so_lab_NAME. */
#define LAB_PROGS(X)          \
	X(REFLECT, "reflect") \
	X(COUNT, "count")     \
	X(PASS, "pass")       \
	X(DROP, "drop")       \
	X(LOSSY, "lossy")

enum lab_prog {
#define LAB_PROG_ENUM(id, name) LAB_##id,
	LAB_PROGS(LAB_PROG_ENUM)
#undef LAB_PROG_ENUM
		LAB__COUNT,
};

#define LAB_M(id) (1U << LAB_##id)

/*
 * lossy is not an XDP program but a pair of TC (clsact, cls_bpf direct
 * action) programs, one per direction, attached as legacy TC filters so they
 * stay after `lab attach` exits. They share one set of maps.
 */
#define LAB_TC_PROG_IN "so_lab_lossy_rx" /* clsact ingress */
#define LAB_TC_PROG_OUT "so_lab_lossy_tx" /* clsact egress */
#define LAB_TC_HANDLE 0x1ab /* filter handle and priority of both */
#define LAB_TC_PRIO 0x1ab
/* skb->mark of the clones the programs send themselves: passed untouched */
#define LAB_TC_MARK 0x1ab0c10eU
/* Largest frame (with its Ethernet header) that can be held back for reordering. */
#define LAB_HELD_MAX 2048
/* lossy's directions: index of lab_held and of the random streams */
enum lab_dir {
	LAB_DIR_OUT = 0,
	LAB_DIR_IN = 1,
};

/* X(id, name, programs that move it, help) */
#define LAB_STATS(X)                                                                             \
	X(RX, "rx", LAB_M(REFLECT) | LAB_M(COUNT) | LAB_M(PASS) | LAB_M(DROP) | LAB_M(LOSSY),    \
	  "frames seen")                                                                         \
	X(TX, "tx", LAB_M(REFLECT), "frames sent back with swapped MACs")                        \
	X(PASS, "pass", LAB_M(COUNT) | LAB_M(PASS) | LAB_M(DROP), "frames passed to the kernel") \
	X(DROP, "drop", LAB_M(COUNT) | LAB_M(DROP), "frames dropped")                            \
	X(SYN, "syn", LAB_M(COUNT), "TCP SYN without ACK")                                       \
	X(SYNACK, "synack", LAB_M(COUNT), "TCP SYN-ACK")                                         \
	X(RST, "rst", LAB_M(COUNT), "TCP with RST")                                              \
	X(FIN, "fin", LAB_M(COUNT), "TCP with FIN, no SYN/RST")                                  \
	X(ACK, "ack", LAB_M(COUNT), "TCP pure ACK: only the ACK flag, no payload")               \
	X(TCP_OTHER, "tcp_other", LAB_M(COUNT), "other TCP: data, fragments, bad headers")       \
	X(NOT_TCP, "not_tcp", LAB_M(COUNT), "not IPv4/IPv6 TCP")                                 \
	X(LOSSY, "lossy", LAB_M(DROP), "TCP segments with payload or FIN (drop candidates)")     \
	/* lossy: OUT = clsact egress (what the interface sends), IN = ingress */                \
	X(OUT_SEGS, "out_segs", LAB_M(LOSSY), "egress TCP segments with payload or FIN")         \
	X(OUT_DROP, "out_drop", LAB_M(LOSSY), "egress segments dropped")                         \
	X(OUT_HELD, "out_held", LAB_M(LOSSY), "egress data segments held back to reorder")       \
	X(OUT_REORDERED, "out_reordered", LAB_M(LOSSY),                                          \
	  "held egress segments sent right after DEPTH later segments of their flow")            \
	X(OUT_LATE, "out_late", LAB_M(LOSSY),                                                    \
	  "held egress segments sent after the hold timeout, behind fewer segments")             \
	X(IN_SEGS, "in_segs", LAB_M(LOSSY), "ingress TCP segments with payload or FIN")          \
	X(IN_DROP, "in_drop", LAB_M(LOSSY), "ingress segments dropped")                          \
	X(IN_HELD, "in_held", LAB_M(LOSSY), "ingress data segments held back to reorder")        \
	X(IN_REORDERED, "in_reordered", LAB_M(LOSSY),                                            \
	  "held ingress segments delivered after at least DEPTH later segments of their flow")   \
	X(IN_LATE, "in_late", LAB_M(LOSSY),                                                      \
	  "held ingress segments delivered after the hold timeout, behind fewer segments")       \
	X(SYNACK_DROP, "synack_drop", LAB_M(LOSSY), "ingress SYN-ACKs dropped (--drop-synacks)") \
	X(RELEASE_ERR, "release_err", LAB_M(LOSSY), "held segments lost to a helper error")

enum lab_stat {
#define LAB_STAT_ENUM(id, name, progs, help) LAB_S_##id,
	LAB_STATS(LAB_STAT_ENUM)
#undef LAB_STAT_ENUM
		LAB_S__COUNT,
};

/* lossy: one segment held back per direction (lab_held, an array indexed by enum lab_dir) */
enum lab_held_state {
	LAB_HELD_EMPTY = 0,
	LAB_HELD_BUSY = 1, /* being filled or released by one CPU */
	LAB_HELD_FULL = 2,
};

struct lab_held {
	__u32 state; /* enum lab_held_state, changed with compare-and-swap */
	__u32 len; /* frame bytes in buf */
	__u32 left; /* later segments of the flow still to pass before it is released */
	__u32 ipv6;
	__u64 since_ns; /* when it was held: the hold timeout runs from here */
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u32 pad;
	__u8 buf[LAB_HELD_MAX];
};

/* lab_stats is a per-CPU array with this single entry: one lookup per frame. */
struct lab_stats {
	__u64 c[LAB_S__COUNT];
};

#endif /* SHAKEOFF_LAB_H */
