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

#include <linux/types.h>

struct serve;

void flows_walk(struct serve *s, __u64 now);
/* Forget every half-open entry (at the end). */
void halfopen_fini(struct serve *s);

#endif /* SHAKEOFF_SERVE_WALK_H */
