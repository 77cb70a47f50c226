/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab programs (bpf/lab.bpf.c) and `shakeoff lab` share: program
 * and map names as the kernel stores them, and the counters. Included by the
 * BPF object after vmlinux.h and by user space after linux/types.h.
 */
#ifndef SO_LAB_H
#define SO_LAB_H

/* Every lab program's name starts with this; `lab detach` removes nothing else. */
#define LAB_PROG_PREFIX "so_lab_"
#define LAB_MAP_STATS "lab_stats"

/* The programs, X(id, name without the prefix); the BPF function is so_lab_NAME. */
#define LAB_PROGS(X)          \
	X(REFLECT, "reflect") \
	X(COUNT, "count")     \
	X(PASS, "pass")       \
	X(DROP, "drop")

enum lab_prog {
#define LAB_PROG_ENUM(id, name) LAB_##id,
	LAB_PROGS(LAB_PROG_ENUM)
#undef LAB_PROG_ENUM
		LAB__COUNT,
};

#define LAB_M(id) (1U << LAB_##id)

/* X(id, name, programs that move it, help) */
#define LAB_STATS(X)                                                                             \
	X(RX, "rx", LAB_M(REFLECT) | LAB_M(COUNT) | LAB_M(PASS) | LAB_M(DROP), "frames seen")    \
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
	X(LOSSY, "lossy", LAB_M(DROP), "TCP segments with payload or FIN (drop candidates)")

enum lab_stat {
#define LAB_STAT_ENUM(id, name, progs, help) LAB_S_##id,
	LAB_STATS(LAB_STAT_ENUM)
#undef LAB_STAT_ENUM
		LAB_S__COUNT,
};

/* lab_stats is a per-CPU array with this single entry: one lookup per frame. */
struct lab_stats {
	__u64 c[LAB_S__COUNT];
};

#endif /* SO_LAB_H */
