// SPDX-License-Identifier: GPL-2.0
/*
 * The frame of every entry point (input, timers, app calls): tcp_enter() on
 * the way in, tcp_leave() on the way out, which sends what is due and
 * releases a connection that reached CLOSED. State changes, with the timers
 * they stop or start, and what the app is told: data, the peer's FIN, done.
 */
#include "tcp/tcp_int.h"

void tcp_enter(struct tcb *c)
{
	c->depth++;
}

void tcp_leave(struct tcb *c, uint64_t now)
{
	if (c->depth > 1) {
		c->depth--;
		return;
	}
	if (c->state != TCPS_CLOSED)
		tcp_output(c, now);
	c->depth--;
	if (c->state == TCPS_CLOSED && !c->released) {
		c->released = true;
		if (c->st->ops->release)
			c->st->ops->release(c->st->ctx, c);
	}
}

static void tell_done(struct tcb *c, int err)
{
	if (c->done_told)
		return;
	c->done_told = true;
	if (c->app && c->app->done)
		c->app->done(c, err);
}

void tcp_set_state(struct tcb *c, enum tcp_state s, uint64_t now)
{
	enum tcp_state old = c->state;

	c->state = s;
	if (old != s && c->st->ops->state)
		c->st->ops->state(c->st->ctx, c, old, s);
	if (s != TCPS_TIME_WAIT && s != TCPS_CLOSED)
		return;
	tcp_tmr_cancel(c, &c->t_rto);
	tcp_tmr_cancel(c, &c->t_persist);
	tcp_tmr_cancel(c, &c->t_delack);
	tcp_tmr_cancel(c, &c->t_idle);
	if (s == TCPS_TIME_WAIT)
		tcp_tmr_arm(c, &c->t_wait, now + 2 * c->st->cfg.msl);
	else
		tcp_tmr_cancel(c, &c->t_wait);
	tell_done(c, 0);
}

void tcp_reset_conn(struct tcb *c, int err, uint64_t now)
{
	tell_done(c, err);
	tcp_set_state(c, TCPS_CLOSED, now);
}

void tcp_deliver(struct tcb *c, uint64_t now)
{
	uint32_t end = c->fin_in ? c->rcv_nxt - 1 : c->rcv_nxt;
	uint32_t cur, avail, maxw;

	if (c->delivering || !c->app || !c->app->data)
		return;
	c->delivering = true;
	while (c->rcv_user != end && c->state != TCPS_CLOSED) {
		uint32_t held = end - c->rcv_user;
		uint32_t chunk = umin32(held, c->rbuf_size - c->rbuf_head);
		size_t n = c->app->data(c, c->rbuf + c->rbuf_head, chunk);

		if (n > chunk)
			n = chunk;
		c->rcv_user += (uint32_t)n;
		c->rbuf_head = (c->rbuf_head + (uint32_t)n) % c->rbuf_size;
		if (n < chunk)
			break;
	}
	if (c->fin_in && c->rcv_user == end && !c->fin_told && c->state != TCPS_CLOSED) {
		c->fin_told = true;
		if (c->app->close)
			c->app->close(c);
	}
	c->delivering = false;

	/* window update when the app doubled a window that had become small (as Linux does) */
	cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	avail = c->rcv_user + c->rbuf_size - c->rcv_nxt;
	/* only as much as the window field can say: without scaling 64 KB is all there is */
	maxw = umin32(c->rbuf_size, 65535U << c->rcv_wscale);
	if (avail > maxw)
		avail = maxw;
	if (!c->fin_in && 2 * cur <= maxw && avail >= 2 * cur && avail - cur >= c->rcv_mss)
		c->ack_now = true;
	(void)now;
}
