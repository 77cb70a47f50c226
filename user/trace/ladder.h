/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shakeoff trace: the ladder. Trace events (struct so_trace_ev) go in in
 * any order; out come, in time order, one line per segment between the
 * client (remote) and the server (local) columns, with the state each side
 * enters beside it, or one JSON line per segment and state event.
 *
 * Events wait in a reorder window (producers on other CPUs and serve's
 * controller report late) and the same segment reported by two sources is
 * shown once. Server states come from the kernel's or serve's STATE events
 * where there are some, else they are inferred like the client's, by
 * RFC 9293's rules, from the segments.
 */
#ifndef SHAKEOFF_TRACE_LADDER_H
#define SHAKEOFF_TRACE_LADDER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <shakeoff/trace.h>

/* How long an event waits for earlier ones reported late. */
#define LADDER_WINDOW_NS (30ULL * 1000 * 1000)

struct ladder_cfg {
	bool absolute; /* seq and ack as on the wire, not relative to each side's ISN */
	bool json; /* JSON lines instead of the drawing */
	__u64 window_ns; /* the reorder window; 0: LADDER_WINDOW_NS */
	__s64 realtime_off_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC: the JSON "ts" of an event */
	/*
	 * serve: its XDP program is the server's TCP, so a segment it drops (a
	 * handshake's last ACK it consumed) has reached the server; guard's drops never do.
	 */
	bool xdp_endpoint;
	/* The names of the XDP and TC reporters' drop reasons (guard's or serve's counters). */
	const char *const *reasons;
	unsigned int n_reasons;
};

struct ladder;

/* NULL when out of memory. Lines go to out. */
struct ladder *ladder_new(const struct ladder_cfg *cfg, FILE *out);
/* Take one event (copied). */
void ladder_add(struct ladder *l, const struct so_trace_ev *ev);
/* Print what is older than now_ns (CLOCK_MONOTONIC) minus the window. */
void ladder_flush(struct ladder *l, __u64 now_ns);
/* Print everything still waiting. */
void ladder_finish(struct ladder *l);
/* Connections that have ended (both sides CLOSED, TIME_WAIT, or back to LISTEN). */
unsigned int ladder_done(const struct ladder *l);
void ladder_free(struct ladder *l);

#endif /* SHAKEOFF_TRACE_LADDER_H */
