/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's walk over the flow table, every SERVE_SCAN_MS: each entry
 * is brought in step with its connection block (made for an ESTABLISHED
 * entry no segment of which reached us yet), SYN-ACKs of half-open entries
 * are sent again (state mode), what outlived its connection is removed, and
 * blocks whose entry XDP deleted learn of it.
 */
#ifndef SHAKEOFF_SERVE_WALK_H
#define SHAKEOFF_SERVE_WALK_H

#include <stdbool.h>
#include <linux/types.h>

struct serve;
struct halfopen;

/* The half-open entries the walk retransmits SYN-ACKs for (walk.c's own). */
struct halfopen_table {
	struct halfopen **buckets;
	__u32 mask; /* buckets - 1 */
	__u32 n; /* entries */
	__u32 cap; /* at most this many: --max-half-open and some slack */
	__u32 untracked; /* SYN_RCVD entries the latest walk found beyond cap (no retransmission) */
	__u64 gen; /* the walk under way */
	bool pressure; /* over half the bound: entries give up after one retransmission */
	__u64 window_ns; /* --synack-rtx-rate: the current second */
	__u64 window_sent; /* retransmissions in it */
};

/* Buckets for max_half_open entries. 0 or -ENOMEM. */
int halfopen_init(struct halfopen_table *t, unsigned long max_half_open);
void flows_walk(struct serve *s, __u64 now);
/* Forget every half-open entry (at the end). */
void halfopen_fini(struct halfopen_table *t);

#endif /* SHAKEOFF_SERVE_WALK_H */
