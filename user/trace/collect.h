/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The events of `shakeoff trace`, collected from every producer of an
 * interface into one callback (struct so_trace_ev, shakeoff/trace.h):
 *
 *   the trace's own observers (bpf/trace.bpf.c), always: TC ingress and
 *     egress (tcx, so they sit beside guard's TC program), the local TCP
 *     sockets' state changes (tracepoint sock:inet_sock_set_state, and
 *     TIME_WAIT and its end, which the tracepoint does not show);
 *   guard's XDP and TC programs, when guard runs on the interface: what XDP
 *     answers (the SYN in and the SYN-ACK XDP_TX sends), drops (reason: the
 *     guard_stat index) and what TC hands off to the listener;
 *   serve's XDP program, when serve runs: what it answers, redirects to its
 *     AF_XDP socket and drops (reason: the serve_stat index).
 *
 * One segment is reported once: XDP reports only what it does not pass,
 * guard's TC only its handoff (which ends the TC chain before the observer).
 * For act TX an XDP program reports two records: the segment answered
 * (dir in) and the answer (dir out).
 *
 * States arrive as enum tcp_state (TCPS_*); IPv4-mapped IPv6 socket
 * addresses as IPv4. Events of different producers may arrive slightly out
 * of time order: order by ts_ns within a short window.
 *
 * While a trace runs, guard's or serve's trace flag holds its pid (one trace
 * per guard or serve at a time); close clears it. After a kill -9 the flag
 * stays set and the producers fill a ring nobody reads (bounded: once full,
 * each write fails at once) until the next trace takes it over.
 */
#ifndef SHAKEOFF_TRACE_COLLECT_H
#define SHAKEOFF_TRACE_COLLECT_H

#include <stdbool.h>
#include <linux/types.h>

#include <shakeoff/trace.h>

struct trace_filter {
	__u16 port; /* 0: any; else either side's port */
	bool has_peer;
	__u8 family; /* 4 or 6, with has_peer */
	__u8 peer[16]; /* the remote address (IPv4 in the first 4 bytes) */
};

struct trace_collect;

typedef void (*trace_ev_fn)(void *ctx, const struct so_trace_ev *ev);

/*
 * Attach what it needs on ifname (in the calling netns): works with guard,
 * serve, or nothing of shakeoff's (a plain kernel server). 0, or -errno
 * after one line on stderr "shakeoff trace: ...".
 */
int trace_collect_open(struct trace_collect **out, const char *ifname, const struct trace_filter *f,
		       trace_ev_fn fn, void *ctx);
/* poll() it for POLLIN */
int trace_collect_fd(const struct trace_collect *tc);
/* Delivers what is ready (waiting up to timeout_ms) via fn: the number of events, or -errno. */
int trace_collect_poll(struct trace_collect *tc, int timeout_ms);
/* Detaches everything it attached and clears the producers' flag; NULL is fine. */
void trace_collect_close(struct trace_collect *tc);

/* What feeds the trace besides its own observers: "guard", "serve" or "" (for messages). */
const char *trace_collect_producer(const struct trace_collect *tc);

#endif /* SHAKEOFF_TRACE_COLLECT_H */
