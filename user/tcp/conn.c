// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP engine's outer layer: stack and connection set-up, the app calls
 * and what the glue may read of a connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_int.h"

#define TCP_TIMERS_PER_CONN 5

void tcp_cfg_default(struct tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->snd_buf = 256 * 1024;
	cfg->rcv_buf = 256 * 1024;
	cfg->msl = TCP_SEC(30);
	cfg->delack = TCP_MS(40);
	cfg->rto_init = TCP_SEC(1);
	cfg->rto_min = TCP_MS(200);
	cfg->rto_max = TCP_SEC(60);
	cfg->idle = TCP_SEC(600);
	cfg->challenge_gap = TCP_MS(500);
	cfg->max_retries = 15;
	cfg->ts_shift = 20;
	cfg->init_cwnd_segs = 10;
}

int tcp_stack_init(struct tcp_stack *st, const struct tcp_cfg *cfg, const struct tcp_ops *ops,
		   void *ctx)
{
	memset(&st->stats, 0, sizeof(st->stats));
	st->cfg = *cfg;
	st->ops = ops;
	st->ctx = ctx;
	tmr_heap_init(&st->timers);
	return 0;
}

void tcp_stack_fini(struct tcp_stack *st)
{
	tmr_heap_fini(&st->timers);
}

uint64_t tcp_stack_next_timer(const struct tcp_stack *st)
{
	return tmr_next(&st->timers);
}

void tcp_stack_run_timers(struct tcp_stack *st, uint64_t now)
{
	st->now = now;
	tmr_run(&st->timers, now);
}

int tcp_conn_init(struct tcp_stack *st, struct tcb *c, const struct tcp_conn_params *p,
		  const struct tcp_app *app, uint64_t now)
{
	const struct tcp_cfg *cfg = &st->cfg;

	/* the glue's pointer is set before init: callbacks made from here may need it */
	void *glue = c->glue;

	memset(c, 0, sizeof(*c));
	c->glue = glue;
	c->sbuf = malloc(cfg->snd_buf);
	c->rbuf = malloc(cfg->rcv_buf);
	if (!c->sbuf || !c->rbuf || tmr_reserve(&st->timers, TCP_TIMERS_PER_CONN)) {
		free(c->sbuf);
		free(c->rbuf);
		c->sbuf = c->rbuf = NULL;
		return -ENOMEM;
	}
	c->st = st;
	st->now = now;
	c->app = app;
	c->state = TCPS_ESTABLISHED;
	c->sbuf_size = cfg->snd_buf;
	c->rbuf_size = cfg->rcv_buf;

	c->iss = p->iss;
	c->snd_una = c->snd_nxt = c->snd_max = p->iss + 1;
	c->peer_mss = p->peer_mss ? p->peer_mss : 536;
	c->snd_wscale = p->snd_wscale > 14 ? 14 : p->snd_wscale;
	c->rcv_wscale = p->rcv_wscale > 14 ? 14 : p->rcv_wscale;
	c->sack_ok = p->sack_ok;
	c->ts_ok = p->ts_ok;
	c->snd_wnd = c->max_snd_wnd = (uint32_t)p->peer_wnd << c->snd_wscale;
	c->snd_wl1 = p->irs + 1;
	c->snd_wl2 = c->snd_una;
	c->cwnd = cfg->init_cwnd_segs * tcp_mss(c);
	c->ssthresh = UINT32_MAX / 2;
	c->reordering = 3;
	c->recover = c->snd_una;
	c->high_rxt = c->snd_una;
	c->rto = cfg->rto_init;

	c->irs = p->irs;
	c->rcv_nxt = c->rcv_user = c->last_ack_sent = p->irs + 1;
	/* the SYN-ACK's window is never scaled */
	c->rcv_adv = c->rcv_nxt + (p->our_wnd ? umin32(p->our_wnd, c->rbuf_size) : c->rbuf_size);
	c->rcv_mss = umin32(536, p->our_mss ? p->our_mss : 536);
	c->ts_recent = p->ts_recent;
	c->ts_recent_at = now;
	c->ts_offset = p->ts_offset;
	c->last_seen = now;
	c->last_challenge = now - cfg->challenge_gap;

	tcp_timers_setup(c);
	if (cfg->idle)
		tcp_tmr_arm(c, &c->t_idle, now + cfg->idle);

	tcp_enter(c);
	if (c->app && c->app->open)
		c->app->open(c);
	tcp_leave(c, now);
	return 0;
}

void tcp_conn_fini(struct tcb *c)
{
	if (!c->st)
		return;
	tcp_tmr_cancel(c, &c->t_rto);
	tcp_tmr_cancel(c, &c->t_persist);
	tcp_tmr_cancel(c, &c->t_delack);
	tcp_tmr_cancel(c, &c->t_wait);
	tcp_tmr_cancel(c, &c->t_idle);
	tmr_reserve(&c->st->timers, -TCP_TIMERS_PER_CONN);
	free(c->sbuf);
	free(c->rbuf);
	c->sbuf = c->rbuf = NULL;
	c->st = NULL;
}

long tcp_send(struct tcb *c, const void *buf, size_t len, uint64_t now)
{
	uint32_t n, pos, first;

	c->st->now = now;

	if (c->fin_queued || (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT))
		return -EPIPE;
	n = (uint32_t)(len < tcp_snd_space(c) ? len : tcp_snd_space(c));
	/* a write into an idle buffer starts a push (see tcp_send_range) */
	if (n && c->snd_una + c->sbuf_len == c->snd_nxt)
		c->write_start = c->snd_una + c->sbuf_len;
	pos = (c->sbuf_head + c->sbuf_len) % c->sbuf_size;
	first = umin32(n, c->sbuf_size - pos);
	memcpy(c->sbuf + pos, buf, first);
	memcpy(c->sbuf, (const uint8_t *)buf + first, n - first);
	c->sbuf_len += n;
	tcp_enter(c);
	tcp_leave(c, now);
	return n;
}

void tcp_close(struct tcb *c, uint64_t now)
{
	c->st->now = now;
	if (c->fin_queued)
		return;
	if (c->state == TCPS_ESTABLISHED)
		tcp_set_state(c, TCPS_FIN_WAIT_1, now);
	else if (c->state == TCPS_CLOSE_WAIT)
		tcp_set_state(c, TCPS_LAST_ACK, now);
	else
		return;
	c->fin_queued = true;
	c->fin_seq = c->snd_una + c->sbuf_len;
	tcp_enter(c);
	tcp_leave(c, now);
}

void tcp_abort(struct tcb *c, uint64_t now)
{
	c->st->now = now;
	if (c->state == TCPS_CLOSED)
		return;
	tcp_enter(c);
	if (c->state != TCPS_TIME_WAIT)
		tcp_send_rst(c, now);
	tcp_reset_conn(c, -ECONNABORTED, now);
	tcp_leave(c, now);
}

void tcp_recv_resume(struct tcb *c, uint64_t now)
{
	c->st->now = now;
	if (c->state == TCPS_CLOSED)
		return;
	tcp_enter(c);
	tcp_deliver(c, now);
	tcp_leave(c, now);
}

void tcp_conn_info(const struct tcb *c, struct tcp_conn_info *info)
{
	info->state = c->state;
	info->iss = c->iss;
	info->irs = c->irs;
	info->snd_una = c->snd_una;
	info->snd_nxt = c->snd_nxt;
	info->snd_max = c->snd_max;
	info->snd_wnd = c->snd_wnd;
	info->rcv_nxt = c->rcv_nxt;
	info->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	info->ts_recent = c->ts_recent;
}
