/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the TCP engine: sequence arithmetic and what tcp_*.c share. Not for the glue. */
#ifndef SHAKEOFF_TCP_INT_H
#define SHAKEOFF_TCP_INT_H

#include "tcp/tcp.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

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

/* tcp_conn.c */
void tcp_enter(struct tcb *c);
void tcp_leave(struct tcb *c, uint64_t now);
void tcp_set_state(struct tcb *c, enum tcp_state s, uint64_t now);
void tcp_reset_conn(struct tcb *c, int err, uint64_t now);
void tcp_deliver(struct tcb *c, uint64_t now);
void tcp_tmr_arm(struct tcb *c, struct tmr *t, uint64_t when);
void tcp_tmr_cancel(struct tcb *c, struct tmr *t);

/* tcp_output.c */
void tcp_output(struct tcb *c, uint64_t now);
void tcp_send_ack(struct tcb *c, uint64_t now);
void tcp_send_rst(struct tcb *c, uint64_t now);
/* Send [seq, seq + len) from the send ring (+ FIN if it reaches fin_seq); returns sequence numbers used. */
uint32_t tcp_send_range(struct tcb *c, uint32_t seq, uint32_t len, uint64_t now);
void tcp_rto_arm(struct tcb *c, uint64_t now);
void tcp_rtt_sample(struct tcb *c, uint64_t rtt);
uint64_t tcp_rto_backed_off(const struct tcb *c, unsigned int backoff);
void tcp_enter_recovery(struct tcb *c, uint64_t now);
void tcp_rto_fire(struct tmr *t, uint64_t now);
void tcp_persist_fire(struct tmr *t, uint64_t now);
void tcp_delack_fire(struct tmr *t, uint64_t now);
uint32_t tcp_sacked_bytes(const struct tcb *c);

/* tcp_range.c: sorted, disjoint, non-adjacent ranges in sequence space */
/* Add [start, end), merging; returns the index of the range now holding it, -1 if full. */
int tcp_range_add(struct tcp_range *r, uint8_t *n, unsigned int max, uint32_t start, uint32_t end);
/* Drop everything below seq. */
void tcp_range_trim(struct tcp_range *r, uint8_t *n, uint32_t seq);
void tcp_sack_update(struct tcb *c, const struct tcp_seg *seg);

#endif /* SHAKEOFF_TCP_INT_H */
