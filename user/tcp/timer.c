// SPDX-License-Identifier: GPL-2.0
/*
 * TCP's timers, named as in Linux's tcp_timer.c: retransmission (RFC 6298),
 * the zero-window probe (persist), the delayed ACK, the idle limit (in the
 * keepalive timer's place) and TIME_WAIT's 2MSL. They run on the generic
 * heap of timer_heap.h; each handler is an entry point of its own.
 */
#include <errno.h>

#include "tcp/tcp_int.h"

static void tcp_retransmit_timer(struct tmr *t, uint64_t now)
{
	struct tcb *c = container_of(t, struct tcb, t_rto);
	uint32_t mss = tcp_mss(c), used;

	if (!tcp_can_send(c) || c->snd_una == c->snd_max)
		return;
	tcp_enter(c);
	if (++c->retries > c->st->cfg.max_retries) {
		tcp_send_rst(c, now);
		tcp_reset_conn(c, -ETIMEDOUT, now);
		tcp_leave(c, now);
		return;
	}
	c->st->stats.rto_fired++;
	if (!c->backoff)
		c->ssthresh = umax32((c->snd_max - c->snd_una) / 2, 2 * mss);
	c->cwnd = mss;
	c->bytes_acked = 0;
	c->in_recovery = false;
	c->undo_ok = false; /* after a timeout D-SACKs no longer tell which copy arrived */
	c->reordering = 3; /* a timeout: DupThresh waited too long for duplicates */
	c->dupacks = 0;
	c->recover = c->snd_max;
	c->nscore = 0; /* the receiver may have reneged (RFC 2018) */
	c->high_rxt = c->snd_una;
	c->rtt_active = false; /* Karn */
	if (c->backoff < 30)
		c->backoff++;
	/* go back N: everything from SND.UNA is sent again as the window allows */
	c->snd_nxt = c->snd_una;
	used = tcp_send_range(c, c->snd_una, mss, now);
	c->snd_nxt += used;
	c->st->stats.retrans_segs++;
	tcp_rto_arm(c, now);
	tcp_leave(c, now);
}

/* Persist: data waits for a window while nothing is in flight. */
static void tcp_probe_timer(struct tmr *t, uint64_t now)
{
	struct tcb *c = container_of(t, struct tcb, t_persist);

	if (!tcp_can_send(c) || c->snd_nxt != c->snd_una || c->sbuf_len == 0)
		return;
	tcp_enter(c);
	c->st->stats.probes++;
	/* one byte beyond the window; SND.NXT stays, SND.MAX covers the byte if it is taken */
	tcp_send_range(c, c->snd_nxt, 1, now);
	if (c->persist_backoff < 30)
		c->persist_backoff++;
	tcp_tmr_arm(c, &c->t_persist, now + tcp_rto_backed_off(c, c->persist_backoff));
	tcp_leave(c, now);
}

static void tcp_delack_timer(struct tmr *t, uint64_t now)
{
	struct tcb *c = container_of(t, struct tcb, t_delack);

	tcp_enter(c);
	c->ack_now = true;
	tcp_leave(c, now);
}

/* No probes: a connection the peer left idle for cfg.idle is aborted with RST. */
static void tcp_keepalive_timer(struct tmr *t, uint64_t now)
{
	struct tcb *c = container_of(t, struct tcb, t_idle);
	uint64_t idle = c->st->cfg.idle;

	if (now - c->last_seen < idle) {
		tcp_tmr_arm(c, t, c->last_seen + idle);
		return;
	}
	tcp_enter(c);
	tcp_send_rst(c, now);
	tcp_reset_conn(c, -ETIMEDOUT, now);
	tcp_leave(c, now);
}

/* 2MSL are over. */
static void tcp_time_wait_timer(struct tmr *t, uint64_t now)
{
	struct tcb *c = container_of(t, struct tcb, t_wait);

	tcp_enter(c);
	tcp_set_state(c, TCPS_CLOSED, now);
	tcp_leave(c, now);
}

void tcp_timers_setup(struct tcb *c)
{
	tmr_setup(&c->t_rto, tcp_retransmit_timer);
	tmr_setup(&c->t_persist, tcp_probe_timer);
	tmr_setup(&c->t_delack, tcp_delack_timer);
	tmr_setup(&c->t_wait, tcp_time_wait_timer);
	tmr_setup(&c->t_idle, tcp_keepalive_timer);
}
