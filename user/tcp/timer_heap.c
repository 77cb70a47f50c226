// SPDX-License-Identifier: GPL-2.0
/* The timer heap of timer_heap.h: generic, it knows nothing of TCP. */
#include <errno.h>
#include <stdlib.h>

#include "tcp/timer_heap.h"

void tmr_heap_init(struct tmr_heap *h)
{
	h->v = NULL;
	h->n = h->cap = h->reserved = 0;
	h->next_order = 0;
}

void tmr_heap_fini(struct tmr_heap *h)
{
	uint32_t i;

	for (i = 0; i < h->n; i++)
		h->v[i]->pos = 0;
	free(h->v);
	tmr_heap_init(h);
}

static int heap_grow(struct tmr_heap *h, uint32_t want)
{
	struct tmr **v;
	uint32_t cap = h->cap ? h->cap : 64;

	if (want <= h->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	v = realloc(h->v, cap * sizeof(struct tmr *));
	if (!v)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

int tmr_reserve(struct tmr_heap *h, int n)
{
	int err;

	if (n < 0) {
		h->reserved -= (uint32_t)-n > h->reserved ? h->reserved : (uint32_t)-n;
		return 0;
	}
	err = heap_grow(h, h->reserved + (uint32_t)n);
	if (err)
		return err;
	h->reserved += (uint32_t)n;
	return 0;
}

static inline bool before(const struct tmr *a, const struct tmr *b)
{
	return a->when < b->when || (a->when == b->when && a->order < b->order);
}

static inline void place(struct tmr_heap *h, uint32_t i, struct tmr *t)
{
	h->v[i] = t;
	t->pos = i + 1;
}

static void sift_up(struct tmr_heap *h, uint32_t i)
{
	struct tmr *t = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(t, h->v[p]))
			break;
		place(h, i, h->v[p]);
		i = p;
	}
	place(h, i, t);
}

static void sift_down(struct tmr_heap *h, uint32_t i)
{
	struct tmr *t = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], t))
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

int tmr_arm(struct tmr_heap *h, struct tmr *t, uint64_t when)
{
	t->when = when;
	t->order = h->next_order++;
	if (t->pos) {
		/* a later time or order can only move it down, an earlier time up */
		sift_up(h, t->pos - 1);
		sift_down(h, t->pos - 1);
		return 0;
	}
	if (h->n == h->cap && heap_grow(h, h->n + 1))
		return -ENOMEM;
	place(h, h->n++, t);
	sift_up(h, h->n - 1);
	return 0;
}

void tmr_cancel(struct tmr_heap *h, struct tmr *t)
{
	uint32_t i;
	struct tmr *last;

	if (!t->pos)
		return;
	i = t->pos - 1;
	t->pos = 0;
	last = h->v[--h->n];
	if (last == t)
		return;
	place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->pos - 1);
}

uint64_t tmr_next(const struct tmr_heap *h)
{
	return h->n ? h->v[0]->when : TMR_NEVER;
}

unsigned int tmr_run(struct tmr_heap *h, uint64_t now)
{
	unsigned int fired = 0;

	while (h->n && h->v[0]->when <= now) {
		struct tmr *t = h->v[0];

		tmr_cancel(h, t);
		fired++;
		t->fn(t, now);
	}
	return fired;
}
