/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's controller's side of `shakeoff trace`: the segments it sends over
 * AF_XDP (they bypass XDP and TC, so no BPF producer sees them) and its TCP
 * engine's state changes, as struct so_trace_ev datagrams to the collector's
 * abstract unix socket (SO_TRACE_CTL_SOCK). Off, the cost is one load and
 * one branch on the flag XDP's producers use (.data.trace, mmaped).
 */
#ifndef SHAKEOFF_SERVE_TRACE_H
#define SHAKEOFF_SERVE_TRACE_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/types.h>
#include <shakeoff/serve_abi.h>
#include <shakeoff/tcp_state.h>

struct serve_trace {
	volatile __u32 *on; /* the collecting tracer's pid, or 0 */
	int fd; /* opened the first time a trace runs; -1 before */
	struct sockaddr_un addr;
	socklen_t alen;
	__u64 lost; /* datagrams the collector's socket did not take */
};

void serve_trace_init(struct serve_trace *t, volatile __u32 *on, const char *ifname);
void serve_trace_fini(struct serve_trace *t);

/* No flag (a serve that never set one up, as the frame fuzzer's) is no trace. */
static inline bool serve_trace_on(const struct serve_trace *t)
{
	return t->on && *t->on != 0;
}

/* A segment the controller sent for k: the TCP header's fields and its encoded options. */
void serve_trace_tx(struct serve_trace *t, const struct serve_flow_key *k, bool ipv6, __u32 seq,
		    __u32 ack, __u8 flags, __u16 wnd, const __u8 *opts, __u32 olen, __u32 len);
/* The engine moved k's connection from old to s. */
void serve_trace_state(struct serve_trace *t, const struct serve_flow_key *k, bool ipv6,
		       enum tcp_state old, enum tcp_state s);

#endif /* SHAKEOFF_SERVE_TRACE_H */
