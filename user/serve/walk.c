// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "serve/walk.h"
#include "serve/conns.h"
#include "serve/ctl.h"
#include "serve/frame.h"
#include "serve/serve_int.h"

#define WALK_BATCH 256

/*
 * A SYN_RCVD entry the controller retransmits SYN-ACKs for, in a hash table
 * by 4-tuple: O(1) per entry and walk. XDP keeps SYN_RCVD entries under
 * --max-half-open, so the table is sized for that once and never grows.
 */
struct halfopen {
	struct serve_flow_key key;
	struct halfopen *next; /* hash chain */
	__u64 next_at;
	__u64 gen; /* the last walk that found the entry */
	__u32 tries;
};

/* Under pressure a half-open entry gives up after this many retransmissions (at 3 s). */
#define HALFOPEN_PRESSURE_RETRIES 1

static __u32 halfopen_hash(const struct halfopen_table *t, const struct serve_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 2166136261U;
	size_t i;

	for (i = 0; i < sizeof(*k) / 4; i++)
		h = (h ^ w[i]) * 16777619U;
	return (h ^ (h >> 16)) & t->mask;
}

int halfopen_init(struct halfopen_table *t, unsigned long max_half_open)
{
	__u32 nb = 64;

	memset(t, 0, sizeof(*t));
	while (nb < max_half_open && nb < (1U << 24))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(struct halfopen *));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = nb - 1;
	/* XDP's bound is checked before its insert, so each CPU may pass it by one */
	t->cap = max_half_open + 256;
	return 0;
}

static struct halfopen *halfopen_get(struct serve *s, const struct serve_flow_key *k)
{
	struct halfopen_table *t = &s->half;
	__u32 b = halfopen_hash(t, k);
	struct halfopen *h;

	for (h = t->buckets[b]; h; h = h->next)
		if (!memcmp(&h->key, k, sizeof(*k)))
			return h;
	if (t->n >= t->cap) {
		t->untracked++;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		t->untracked++;
		return NULL;
	}
	h->key = *k;
	h->next = t->buckets[b];
	t->buckets[b] = h;
	t->n++;
	return h;
}

/* One more SYN-ACK retransmission within --synack-rtx-rate's budget for this second? */
static bool synack_rtx_budget(struct serve *s, __u64 now)
{
	struct halfopen_table *t = &s->half;

	if (now - t->window_ns >= 1000000000ULL) {
		t->window_ns = now;
		t->window_sent = 0;
	}
	if (t->window_sent >= s->o->synack_rtx_rate)
		return false;
	t->window_sent++;
	return true;
}

/*
 * SYN-ACK again for a half-open entry (RFC 6298 backoff: 1, 2, 4 s ...), then
 * give up on it. A retransmission over the rate budget is skipped but counts
 * as a try, so a flood's entries still expire on time.
 */
static void halfopen_tick(struct serve *s, const struct serve_flow_key *k,
			  const struct serve_flow *v, __u64 now)
{
	struct halfopen *h = halfopen_get(s, k);

	if (!h) {
		/* untracked: no retransmissions, expired when its last would be over */
		__u64 giveup = ((2ULL << s->o->synack_retries) - 1) * 1000000000ULL;

		if (now > v->last_ns + giveup)
			ctl_add(&s->ctl, SERVE_CTL_EXPIRE, k, v->iss, v->irs, &s->halfopen_expired);
		return;
	}
	h->gen = s->half.gen;
	if (!h->next_at) {
		h->next_at = v->last_ns + 1000000000ULL;
		return;
	}
	if (now < h->next_at)
		return;
	if (h->tries >= s->o->synack_retries) {
		/* unless XDP established it meanwhile */
		ctl_add(&s->ctl, SERVE_CTL_EXPIRE, k, v->iss, v->irs, &s->halfopen_expired);
		return;
	}
	if (s->half.pressure && h->tries >= HALFOPEN_PRESSURE_RETRIES) {
		/* a flood, likely: make room for SYNs to come, as Linux prunes its queue */
		ctl_add(&s->ctl, SERVE_CTL_EXPIRE, k, v->iss, v->irs, &s->halfopen_pruned);
		return;
	}
	h->tries++;
	h->next_at = now + (1000000000ULL << h->tries);
	if (!synack_rtx_budget(s, now))
		s->synack_rtx_limited++;
	else if (!frame_send_synack(s, k, v, now))
		s->synack_rtx++;
}

/* Free what the walk did not find (established, reset or expired). */
static void halfopen_forget_unseen(struct halfopen_table *t)
{
	__u32 b;

	if (!t->n)
		return;
	for (b = 0; b <= t->mask; b++) {
		struct halfopen **hp = &t->buckets[b];

		while (*hp) {
			struct halfopen *h = *hp;

			if (h->gen != t->gen) {
				*hp = h->next;
				free(h);
				t->n--;
			} else {
				hp = &h->next;
			}
		}
	}
}

void halfopen_fini(struct halfopen_table *t)
{
	if (!t->buckets)
		return;
	t->gen++;
	halfopen_forget_unseen(t);
	free(t->buckets);
	t->buckets = NULL;
}

static void walk_entry(struct serve *s, const struct serve_flow_key *k, struct serve_flow *v,
		       __u64 now)
{
	struct conn *c = conn_find(&s->conns, k);
	__u64 two_msl = 2ULL * s->o->msl_sec * 1000000000ULL;

	if (c && v->state != TCPS_SYN_RCVD && !conn_is_for(c, v)) {
		conn_retire(s, c);
		c = NULL;
	}
	if (v->state == TCPS_SYN_RCVD) {
		halfopen_tick(s, k, v, now);
		return;
	}
	if (!c) {
		/* no segment of it reached us yet: XDP may still have moved it on */
		if (v->state == TCPS_TIME_WAIT && now > v->last_ns + two_msl) {
			ctl_add(&s->ctl, SERVE_CTL_DELETE, k, v->iss, v->irs, &s->gc_deleted);
			return;
		}
		if (v->state != TCPS_ESTABLISHED && v->state != TCPS_CLOSE_WAIT)
			return;
		c = conn_create(s, k, v, 0, now);
		if (!c)
			return;
		c->walk_gen = s->conns.walk_gen;
		conn_import(c, v, now);
		return;
	}
	c->walk_gen = s->conns.walk_gen;
	conn_import(c, v, now);
	if (!c->released)
		conn_publish(s, c, v);
}

void flows_walk(struct serve *s, __u64 now)
{
	static struct serve_flow_key keys[WALK_BATCH];
	static struct serve_flow vals[WALK_BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_F_LOCK);
	struct serve_flow_key in;
	struct conn *c;
	bool first = true;
	__u32 n, i;
	int err;

	s->half.gen++;
	s->half.untracked = 0;
	/* the last walk found the half-open table more than half full (Linux's test too) */
	s->half.pressure = s->half.n > s->o->max_half_open / 2;
	s->conns.walk_gen++;
	s->flows_seen = 0;
	do {
		n = WALK_BATCH;
		err = bpf_map_lookup_batch(s->flows_fd, first ? NULL : &in, &in, keys, vals, &n,
					   &bo);
		first = false;
		s->flows_seen += n;
		for (i = 0; i < n; i++)
			walk_entry(s, &keys[i], &vals[i], now);
	} while (!err);

	ctl_flush(&s->ctl);

	/* connection blocks whose entry XDP deleted (RST, ACK of our last FIN) */
	for (c = s->conns.all; c; c = c->all_next) {
		struct serve_flow v;

		if (c->released || c->walk_gen == s->conns.walk_gen)
			continue;
		/* made after the walk passed its bucket? then the entry is still there */
		if (flow_entry_read(s, &c->key, &v) == -ENOENT)
			conn_import(c, NULL, now);
	}
	halfopen_forget_unseen(&s->half);
}
