/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's controller: the XDP flow table, one AF_XDP port per RX queue and the
 * TCP engine, glued together. XDP owns the handshake and the teardown
 * segments it can answer alone; the controller carries the data, runs every
 * timer, and keeps the flow table and its connection blocks in step.
 */
#ifndef SHAKEOFF_SERVE_SERVE_H
#define SHAKEOFF_SERVE_SERVE_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/serve_abi.h>

#include "guard/keys.h"
#include "core/opts.h"
#include "core/stage.h"

struct serve_opts {
	const char *ifname;
	__u16 port;
	const char *app; /* a name in apps_table (apps/apps.h) */
	int syn_mode; /* enum serve_syn_mode */
	unsigned long msl_sec;
	unsigned long max_flows;
	unsigned long synack_retries;
	unsigned long max_half_open; /* SYN_RCVD entries at most (auto, state) */
	unsigned long synack_rtx_rate; /* the controller's SYN-ACK retransmissions per second */
	int no_flow; /* enum serve_no_flow */
	unsigned long busy_poll_us; /* spin on the rings this long after a frame */
	bool json;
	struct coexist_opts share; /* --next-prog, --next-pin, --xdp-stage */
};

/* --max-half-open defaults (never above --max-flows / 2) and --synack-rtx-rate's */
#define SERVE_DEFAULT_HALF_OPEN_AUTO 256
#define SERVE_DEFAULT_HALF_OPEN_STATE 1024
#define SERVE_DEFAULT_SYNACK_RTX_RATE 1000

/* --busy-poll default: spans the gap between a client's segments on a veth pair */
#define SERVE_DEFAULT_BUSY_POLL_US 50

struct serve;

/*
 * Kernel memory the flow table takes for max_flows entries (the HASH map's
 * preallocated elements and buckets; serve_abi.h has the figures).
 */
__u64 serve_flow_table_bytes(unsigned long max_flows);
/* Check, load, configure, attach, open the AF_XDP ports. 0 or an exit code (after a message). */
int serve_start(struct serve **sp, const struct serve_opts *o);
/* One turn of the event loop: wait at most max_ms for frames or timers. 0 or an exit code. */
int serve_poll(struct serve *s, int max_ms);
/* What the flow table, the other maps, UMEM and connection buffers cost: one line or JSON. */
void serve_print_memory(struct serve *s, bool json);
/* Counters (summed over CPUs) and the controller's own figures, one line or JSON. */
void serve_print_stats(struct serve *s, bool json);
void serve_stop(struct serve *s);

#endif /* SHAKEOFF_SERVE_SERVE_H */
