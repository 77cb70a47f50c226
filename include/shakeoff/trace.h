/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shakeoff trace: one record per TCP segment or socket state change of a
 * traced connection, as the BPF programs (guard, serve, the trace's own
 * observers) and serve's controller report them. The one definition the
 * producers (bpf/, user/serve/) and the consumer (user/trace/) share.
 *
 * Addresses are the local host's (the traced interface's side, "server")
 * and the remote one's ("client"); dir says which way the segment went.
 * Numbers are in host byte order and absolute: the ladder makes seq and ack
 * relative to each side's ISN.
 */
#ifndef SHAKEOFF_TRACE_H
#define SHAKEOFF_TRACE_H

/* BPF objects have the types from vmlinux.h, which clashes with the UAPI header */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum so_trace_kind {
	SO_TRACE_SEG = 1, /* a segment */
	SO_TRACE_STATE = 2, /* the local side's state changed (old_state -> new_state) */
};

/* Who reported it. */
enum so_trace_src {
	SO_TRACE_SRC_XDP = 1, /* guard's or serve's XDP program */
	SO_TRACE_SRC_TC_IN = 2, /* a TC ingress program (guard's handoff, the trace's observer) */
	SO_TRACE_SRC_TC_OUT = 3, /* the trace's TC egress observer: what the kernel sends */
	SO_TRACE_SRC_CTL = 4, /* serve's controller: its AF_XDP transmits bypass XDP and TC */
	SO_TRACE_SRC_SOCK = 5, /* the kernel socket (tracepoint sock:inet_sock_set_state) */
};

enum so_trace_dir {
	SO_TRACE_IN = 0, /* remote -> local */
	SO_TRACE_OUT = 1, /* local -> remote */
};

/* What the reporter did with the segment. */
enum so_trace_act {
	SO_TRACE_ACT_SEEN = 0, /* observed only */
	SO_TRACE_ACT_PASS = 1, /* passed on to the kernel */
	SO_TRACE_ACT_TX = 2, /* sent by XDP (XDP_TX): a reply written in place */
	SO_TRACE_ACT_DROP = 3, /* dropped; reason names the counter */
	SO_TRACE_ACT_REDIRECT = 4, /* to serve's AF_XDP socket */
	SO_TRACE_ACT_HANDOFF = 5, /* guard: a verified ACK handed to the listener */
};

/*
 * serve's controller sends its records (SO_TRACE_SRC_CTL) as datagrams of
 * one struct so_trace_ev to the collector's abstract unix socket of this
 * name (printf format, the interface's name; a leading NUL, per netns).
 */
#define SO_TRACE_CTL_SOCK "shakeoff/trace/%s"

/* opt_flags */
#define SO_TRACE_OPT_MSS 0x01
#define SO_TRACE_OPT_WSCALE 0x02
#define SO_TRACE_OPT_SACK_PERM 0x04
#define SO_TRACE_OPT_TS 0x08
#define SO_TRACE_OPT_SACK 0x10 /* SACK blocks; sack_blocks says how many */

struct so_trace_ev {
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns()) */
	__u8 kind; /* enum so_trace_kind */
	__u8 src; /* enum so_trace_src */
	__u8 dir; /* enum so_trace_dir */
	__u8 act; /* enum so_trace_act */
	__u8 family; /* 4 or 6 */
	__u8 tcp_flags; /* the header's flag byte: FIN 0x01 ... CWR 0x80 */
	__u8 old_state, new_state; /* SO_TRACE_STATE: enum tcp_state (shakeoff/tcp_state.h) */
	__u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
	__u16 lport, rport;
	__u32 seq, ack;
	__u32 len; /* payload bytes */
	__u16 win; /* the window field as sent (not scaled) */
	__u16 mss;
	__u32 tsval, tsecr;
	__u8 wscale;
	__u8 opt_flags; /* SO_TRACE_OPT_* */
	__u8 sack_blocks;
	__u8 pad0;
	__u16 reason; /* SO_TRACE_ACT_DROP: index in the reporter's counter table */
	__u16 pad1;
};

#endif /* SHAKEOFF_TRACE_H */
