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

/* A SYN_RCVD entry the controller retransmits SYN-ACKs for. */
struct halfopen {
	struct serve_flow_key key;
	struct halfopen *next;
	__u64 next_at;
	__u32 tries;
	bool seen; /* still in the table at the last walk */
};

static struct halfopen *halfopen_find(struct serve *s, const struct serve_flow_key *k, bool create)
{
	struct halfopen *h;

	for (h = s->half; h; h = h->next)
		if (!memcmp(&h->key, k, sizeof(*k)))
			return h;
	if (!create)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h) {
		h->key = *k;
		h->next = s->half;
		s->half = h;
	}
	return h;
}

/* SYN-ACK again for a half-open entry (RFC 6298 backoff: 1, 2, 4 s ...), then give up on it. */
static void halfopen_tick(struct serve *s, const struct serve_flow_key *k,
			  const struct serve_flow *v, __u64 now)
{
	struct halfopen *h = halfopen_find(s, k, true);

	if (!h)
		return;
	h->seen = true;
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
	h->tries++;
	h->next_at = now + (1000000000ULL << h->tries);
	if (!frame_send_synack(s, k, v, now))
		s->synack_rtx++;
}

static void halfopen_forget_unseen(struct serve *s)
{
	struct halfopen **hp;

	for (hp = &s->half; *hp;) {
		struct halfopen *h = *hp;

		if (!h->seen) {
			*hp = h->next;
			free(h);
		} else {
			hp = &h->next;
		}
	}
}

void halfopen_fini(struct serve *s)
{
	while (s->half) {
		struct halfopen *h = s->half;

		s->half = h->next;
		free(h);
	}
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

	for (struct halfopen *h = s->half; h; h = h->next)
		h->seen = false;
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
	halfopen_forget_unseen(s);
}
