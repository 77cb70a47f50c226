/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside serve's controller: struct serve, shared by its files (cmd/serve.c
 * has serve.h). Each file calls only into those listed below it:
 *   serve.c  set-up, the event loop, stats     -> rx, walk, conns, ctl, xsk
 *   rx.c     a frame from a port to the engine -> conns, frame
 *   walk.c   the walk over the flow table, half-open entries -> conns, ctl, frame
 *   conns.c  connection blocks, the engine's callbacks, the entry <-> engine
 *            sync -> ctl, frame
 *   ctl.c    so_serve_ctl batches
 *   frame.c  frames parsed, built and sent     -> xsk, trace
 *   trace.c  what it sends and its engine's states, to `shakeoff trace`
 *   xsk.c    AF_XDP ports
 * Only serve.c includes the skeleton: the others get the fds they use here.
 */
#ifndef SHAKEOFF_SERVE_INT_H
#define SHAKEOFF_SERVE_INT_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/serve_abi.h>

#include "serve/conns.h"
#include "serve/ctl.h"
#include "serve/serve.h"
#include "serve/trace.h"
#include "serve/walk.h"
#include "serve/xsk.h"
#include "core/stage.h"
#include "tcp/tcp.h"

#define SERVE_MAX_PORTS_XSK 64
#define SERVE_SCAN_MS 10 /* the walk over the flow table */

struct serve_bpf;

struct serve {
	const struct serve_opts *o;
	struct serve_bpf *skel;
	int flows_fd; /* serve_flows */
	int ifindex;
	int xdp_link;
	__u8 mac[6];
	struct serve_cfg cfg;
	struct key_source keys;
	__s64 clock_offset;
	struct xsk_port ports[SERVE_MAX_PORTS_XSK];
	int nports;
	struct tcp_stack *stack;
	const struct tcp_app *app;
	struct conn_table conns;
	struct halfopen_table half; /* SYN_RCVD entries we retransmit SYN-ACKs for (walk.c) */
	struct ctl_batch ctl; /* changes to the flow table waiting for so_serve_ctl */
	__u64 last_scan;
	__u64 last_rx_ns; /* when the rings last had frames: --busy-poll runs from here */
	__u64 rx_frames, rx_unknown, rx_no_meta, tx_frames, tx_drops, synack_rtx, halfopen_expired,
		gc_deleted;
	__u64 synack_rtx_limited; /* retransmissions skipped: over --synack-rtx-rate */
	__u64 halfopen_pruned; /* given up early: the half-open bound was reached */
	__u64 full_seen; /* table-full refusals at the last check */
	__u64 last_full_check;
	bool full; /* refusing new connections: the table is full */
	bool link_down; /* the interface was down or without carrier at the last check */
	__u64 flows_seen; /* entries the latest walk found */
	__u32 xdp_prog_id; /* so_serve_xdp's id, to notice it being detached */
	struct xdp_next next; /* --next-prog / --next-pin */
	struct xdp_stage stage; /* --xdp-stage (map_fd -1: none) */
	struct serve_trace trace; /* the controller's records for `shakeoff trace` */
};

#endif /* SHAKEOFF_SERVE_INT_H */
