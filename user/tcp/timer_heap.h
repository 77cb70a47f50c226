/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Timers for many thousands of connections: a binary min-heap of timers the
 * callers embed in their own structs. Arm, re-arm and cancel are O(log n),
 * the next expiry is O(1). Timers due at the same instant fire in the order
 * they were armed, so runs are deterministic. The heap only grows: reserve
 * room per connection up front (tmr_reserve) so arming never fails later.
 */
#ifndef SHAKEOFF_TIMER_HEAP_H
#define SHAKEOFF_TIMER_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#define TMR_NEVER UINT64_MAX

struct tmr;
typedef void (*tmr_fn)(struct tmr *t, uint64_t now);

struct tmr {
	uint64_t when; /* ns, same clock as every `now` */
	uint64_t order; /* tie-break: arming order */
	uint32_t pos; /* index in the heap + 1; 0 when not armed */
	tmr_fn fn;
};

struct tmr_heap {
	struct tmr **v;
	uint32_t n, cap;
	uint32_t reserved; /* slots promised to callers */
	uint64_t next_order;
};

void tmr_heap_init(struct tmr_heap *h);
void tmr_heap_fini(struct tmr_heap *h);
/* Promise room for n more timers (negative n returns it). 0 or -ENOMEM. */
int tmr_reserve(struct tmr_heap *h, int n);

static inline void tmr_setup(struct tmr *t, tmr_fn fn)
{
	t->when = 0;
	t->order = 0;
	t->pos = 0;
	t->fn = fn;
}

static inline bool tmr_armed(const struct tmr *t)
{
	return t->pos != 0;
}

/* Arm, or move an armed timer to a new time. 0 or -ENOMEM (never with a reservation). */
int tmr_arm(struct tmr_heap *h, struct tmr *t, uint64_t when);
void tmr_cancel(struct tmr_heap *h, struct tmr *t);
/* The earliest expiry, TMR_NEVER if none. */
uint64_t tmr_next(const struct tmr_heap *h);
/* Fire every timer due at or before now (including ones armed by callbacks for <= now); returns how many. */
unsigned int tmr_run(struct tmr_heap *h, uint64_t now);

#endif /* SHAKEOFF_TIMER_HEAP_H */
