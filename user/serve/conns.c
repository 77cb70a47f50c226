// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "serve/conns.h"
#include "serve/ctl.h"
#include "serve/frame.h"
#include "serve/serve_int.h"

#define CONN_BUCKETS 65536

static struct conn *conn_of(struct tcb *t)
{
	return (struct conn *)(void *)((char *)t - offsetof(struct conn, tcb));
}

static unsigned int key_hash(const struct serve_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 2166136261U;
	size_t i;

	for (i = 0; i < sizeof(*k) / 4; i++)
		h = (h ^ w[i]) * 16777619U;
	return (h ^ (h >> 16)) & (CONN_BUCKETS - 1);
}

/* ---- the engine's callbacks ---- */

static void on_emit(void *ctx, struct tcb *t, const struct tcp_seg *seg)
{
	struct conn *c = conn_of(t);

	frame_send_seg(ctx, c->queue, &c->key, c->ipv6, c->peer_mac, seg);
}

static void on_release(void *ctx, struct tcb *t)
{
	struct serve *s = ctx;
	struct conn *c = conn_of(t);

	if (c->released)
		return;
	c->released = true;
	c->dead_next = s->conns.dead;
	s->conns.dead = c;
}

static void on_state(void *ctx, struct tcb *t, enum tcp_state old, enum tcp_state st)
{
	struct serve *s = ctx;
	struct conn *c = conn_of(t);

	if (serve_trace_on(&s->trace))
		serve_trace_state(&s->trace, &c->key, c->ipv6, old, st);
}

const struct tcp_ops conn_tcp_ops = {
	.emit = on_emit,
	.release = on_release,
	.state = on_state,
};

/* ---- the table ---- */

int conns_init(struct conn_table *t)
{
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(CONN_BUCKETS, sizeof(struct conn *));
	return t->buckets ? 0 : -ENOMEM;
}

void conns_fini(struct conn_table *t)
{
	unsigned int i;

	if (!t->buckets)
		return;
	for (i = 0; i < CONN_BUCKETS; i++)
		while (t->buckets[i]) {
			struct conn *c = t->buckets[i];

			t->buckets[i] = c->next;
			tcp_conn_fini(&c->tcb);
			free(c);
		}
	free(t->buckets);
	t->buckets = NULL;
}

struct conn *conn_find(const struct conn_table *t, const struct serve_flow_key *k)
{
	struct conn *c;

	for (c = t->buckets[key_hash(k)]; c; c = c->next)
		if (!memcmp(&c->key, k, sizeof(*k)))
			return c;
	return NULL;
}

struct conn *conn_create(struct serve *s, const struct serve_flow_key *k,
			 const struct serve_flow *v, __u32 queue, __u64 now)
{
	struct conn_table *t = &s->conns;
	struct tcp_conn_params p = {
		.iss = v->iss,
		.irs = v->irs,
		.peer_mss = v->mss,
		.snd_wscale = (v->flags & SF_WSCALE) ? v->snd_wscale : 0,
		.rcv_wscale = (v->flags & SF_WSCALE) ? v->rcv_wscale : 0,
		.sack_ok = v->flags & SF_SACK,
		.ts_ok = v->flags & SF_TS,
		.ts_recent = v->ts_recent,
		.ts_offset = v->ts_off,
		.peer_wnd = (v->flags & SF_WSCALE) ? v->snd_wnd >> v->snd_wscale : v->snd_wnd,
		.our_wnd = s->cfg.win,
	};
	bool v4 = flow_key_v4(k);
	struct conn *c = calloc(1, sizeof(*c));
	unsigned int h = key_hash(k);

	if (!c)
		return NULL;
	p.our_mss = v4 ? s->cfg.mss4 : s->cfg.mss6;
	c->key = *k;
	c->ipv6 = !v4;
	c->queue = queue;
	memcpy(c->peer_mac, v->peer_mac, 6);
	c->seen_state = TCPS_ESTABLISHED;
	c->seen_last_ns = v->last_ns;
	if (tcp_conn_init(s->stack, &c->tcb, &p, s->app, now)) {
		free(c);
		return NULL;
	}
	c->next = t->buckets[h];
	t->buckets[h] = c;
	c->all_next = t->all;
	if (t->all)
		t->all->all_prev = c;
	t->all = c;
	c->walk_gen = t->walk_gen;
	t->n++;
	return c;
}

static void conn_unlink(struct conn_table *t, struct conn *c)
{
	struct conn **pp = &t->buckets[key_hash(&c->key)];

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		t->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	t->n--;
}

void conn_retire(struct serve *s, struct conn *c)
{
	struct conn **pp;

	/* a change still waiting for so_serve_ctl must not report back to a freed block */
	ctl_forget(&s->ctl, &c->seen_state);

	for (pp = &s->conns.dead; *pp; pp = &(*pp)->dead_next)
		if (*pp == c) {
			*pp = c->dead_next;
			break;
		}
	conn_unlink(&s->conns, c);
	tcp_conn_fini(&c->tcb);
	free(c);
}

bool conn_is_for(const struct conn *c, const struct serve_flow *v)
{
	struct tcp_conn_info ci;

	tcp_conn_info(&c->tcb, &ci);
	return v->iss == ci.iss && v->irs == ci.irs;
}

void conns_reap(struct serve *s)
{
	while (s->conns.dead) {
		struct conn *c = s->conns.dead;
		struct tcp_conn_info ci;

		s->conns.dead = c->dead_next;
		conn_unlink(&s->conns, c);
		tcp_conn_info(&c->tcb, &ci);
		/* the tuple may already carry a newer connection: only our own entry goes */
		ctl_add(&s->ctl, SERVE_CTL_DELETE, &c->key, ci.iss, ci.irs, NULL);
		tcp_conn_fini(&c->tcb);
		free(c);
	}
	ctl_flush(&s->ctl);
}

/* ---- the flow entry and the engine, in step ---- */

int flow_entry_read(const struct serve *s, const struct serve_flow_key *k, struct serve_flow *v)
{
	return bpf_map_lookup_elem_flags(s->flows_fd, k, v, BPF_F_LOCK) ? -errno : 0;
}

void conn_import(struct conn *c, const struct serve_flow *v, __u64 now)
{
	struct tcb *t = &c->tcb;
	enum tcp_state st = tcp_conn_state(t);
	struct tcp_conn_info ci;
	__u32 ts;

	tcp_conn_info(t, &ci);
	ts = v ? v->ts_recent : ci.ts_recent;
	if (!v) {
		if (st == TCPS_LAST_ACK || st == TCPS_CLOSING)
			tcp_our_fin_acked(t, ts, now);
		else if (st != TCPS_TIME_WAIT && st != TCPS_CLOSED)
			tcp_peer_reset(t, now);
		return;
	}
	if (v->state == c->seen_state && v->last_ns == c->seen_last_ns)
		return;
	switch (v->state) {
	case TCPS_CLOSE_WAIT:
		if (st == TCPS_ESTABLISHED)
			tcp_peer_fin_taken(t, ts, now);
		break;
	case TCPS_FIN_WAIT_2:
		if (st == TCPS_FIN_WAIT_1)
			tcp_our_fin_acked(t, ts, now);
		break;
	case TCPS_CLOSING:
		if (st == TCPS_FIN_WAIT_1)
			tcp_peer_fin_taken(t, ts, now);
		break;
	case TCPS_TIME_WAIT:
		if (st == TCPS_FIN_WAIT_1) {
			/* the peer's FIN acked ours */
			tcp_our_fin_acked(t, ts, now);
			tcp_peer_fin_taken(t, ts, now);
		} else if (st == TCPS_FIN_WAIT_2) {
			tcp_peer_fin_taken(t, ts, now);
		} else if (st == TCPS_CLOSING) {
			tcp_our_fin_acked(t, ts, now);
		} else if (st == TCPS_TIME_WAIT && v->last_ns != c->seen_last_ns) {
			tcp_timewait_restart(t, v->last_ns);
		}
		break;
	default:
		break;
	}
	c->seen_state = v->state;
	c->seen_last_ns = v->last_ns;
}

/*
 * Written only if XDP has not moved the state since the walk read v
 * (so_serve_ctl compares under the lock): otherwise the next walk imports
 * XDP's transition first. XDP's own fields are never written.
 */
void conn_publish(struct serve *s, struct conn *c, const struct serve_flow *v)
{
	struct tcp_conn_info ci;
	struct serve_ctl_op *op;
	__u8 want;

	tcp_conn_info(&c->tcb, &ci);
	want = ci.state; /* the engine and the flow table share enum tcp_state */
	if (want == TCPS_CLOSED || v->state != c->seen_state)
		return;
	if (want == v->state && v->snd_una == ci.snd_una && v->snd_nxt == ci.snd_max &&
	    v->rcv_nxt == ci.rcv_nxt && v->snd_wnd == ci.snd_wnd && v->rcv_wnd == ci.rcv_wnd)
		return;
	op = ctl_add(&s->ctl, SERVE_CTL_PUBLISH, &c->key, ci.iss, ci.irs, NULL);
	op->seen_state = v->state;
	op->state = want;
	op->snd_una = ci.snd_una;
	/* our FIN counts once it is queued: XDP must not think nothing is outstanding */
	op->snd_nxt = ci.snd_max;
	op->rcv_nxt = ci.rcv_nxt;
	op->snd_wnd = ci.snd_wnd;
	op->rcv_wnd = ci.rcv_wnd;
	ctl_note_seen(&s->ctl, op, &c->seen_state);
}
