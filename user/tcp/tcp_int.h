/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the TCP engine: sequence arithmetic and what the files of user/tcp/ share.
 * Included by user/tcp/ only; the glue and the apps have tcp.h.
 *
 * Each file calls only into the files listed below it (no cycles):
 *   conn.c        stack and connection set-up, the app calls, tcp_conn_info
 *                 -> timer, state, output
 *   input.c       segments in, and the ones XDP took for us
 *                 -> state, output, range
 *   timer.c       the timer handlers (retransmit, probe, delayed ACK,
 *                 keepalive, TIME_WAIT) -> state, output
 *   state.c       the entry-point frame (tcp_enter/tcp_leave), state
 *                 changes, what the app is told -> output
 *   output.c      segments out, windows, RTO values, loss recovery
 *   range.c       range lists: out-of-order data, the SACK scoreboard
 *   timer_heap.c  the generic timer heap (timer_heap.h)
 */
#ifndef SHAKEOFF_TCP_INT_H
#define SHAKEOFF_TCP_INT_H

#include "tcp/tcp.h"

/* through void *: the member sits inside a type, aligned as the type is */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

#define seq_gt(a, b) seq_lt(b, a)
#define seq_ge(a, b) seq_le(b, a)

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

static inline uint32_t umin32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t umax32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static inline uint32_t tcp_tsval(const struct tcb *c, uint64_t now)
{
	return (uint32_t)(now >> c->st->cfg.ts_shift) + c->ts_offset;
}

/* Payload bytes per segment carrying nsack SACK blocks (RFC 6691: options come out of the MSS). */
static inline uint32_t tcp_seg_room(const struct tcb *c, unsigned int nsack)
{
	uint32_t opt = (c->ts_ok ? 12 : 0) + (nsack ? 4 + 8 * nsack : 0);

	return c->peer_mss > opt + 64 ? c->peer_mss - opt : 64;
}

static inline uint32_t tcp_mss(const struct tcb *c)
{
	return tcp_seg_room(c, 0);
}

static inline void tcp_tmr_arm(struct tcb *c, struct tmr *t, uint64_t when)
{
	/* cannot fail: tcp_conn_init reserved a slot for every timer of c */
	tmr_arm(&c->st->timers, t, when);
}

static inline void tcp_tmr_cancel(struct tcb *c, struct tmr *t)
{
	tmr_cancel(&c->st->timers, t);
}

/* The states in which we may send data or a FIN. */
static inline bool tcp_can_send(const struct tcb *c)
{
	return c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT ||
	       c->state == TCPS_FIN_WAIT_1 || c->state == TCPS_LAST_ACK || c->state == TCPS_CLOSING;
}

/* timer.c: point c's timers at their handlers (tcp_conn_init) */
void tcp_timers_setup(struct tcb *c);

/* state.c: every entry point runs between tcp_enter() and tcp_leave() */
void tcp_enter(struct tcb *c);
/* Leaving the outermost entry point: output, then release once CLOSED. */
void tcp_leave(struct tcb *c, uint64_t now);
void tcp_set_state(struct tcb *c, enum tcp_state s, uint64_t now);
void tcp_reset_conn(struct tcb *c, int err, uint64_t now);
void tcp_deliver(struct tcb *c, uint64_t now);

/* output.c */
void tcp_output(struct tcb *c, uint64_t now);
void tcp_send_ack(struct tcb *c, uint64_t now);
void tcp_send_rst(struct tcb *c, uint64_t now);
/* The ACK that was due went out without us (XDP sent it): account for it as sent. */
void tcp_ack_sent_elsewhere(struct tcb *c);
/* Send [seq, seq + len) from the send ring (+ FIN if it reaches fin_seq); returns sequence numbers used. */
uint32_t tcp_send_range(struct tcb *c, uint32_t seq, uint32_t len, uint64_t now);
void tcp_rto_arm(struct tcb *c, uint64_t now);
void tcp_rtt_sample(struct tcb *c, uint64_t rtt);
uint64_t tcp_rto_backed_off(const struct tcb *c, unsigned int backoff);
void tcp_enter_recovery(struct tcb *c, uint64_t now);
uint32_t tcp_sacked_bytes(const struct tcb *c);

/* range.c: sorted, disjoint, non-adjacent ranges in sequence space */
/* Add [start, end), merging; returns the index of the range now holding it, -1 if full. */
int tcp_range_add(struct tcp_range *r, uint8_t *n, unsigned int max, uint32_t start, uint32_t end);
/* Drop everything below seq. */
void tcp_range_trim(struct tcp_range *r, uint8_t *n, uint32_t seq);
void tcp_sack_update(struct tcb *c, const struct tcp_seg *seg);

#endif /* SHAKEOFF_TCP_INT_H */
