/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a flood sends, decided before it starts: the kinds and their mix
 * (--kind, --mix) and the fixed source pool (--src-pool). Pure functions,
 * shared by `shakeoff flood` and its unit tests.
 */
#ifndef SHAKEOFF_FLOOD_PLAN_H
#define SHAKEOFF_FLOOD_PLAN_H

#include <linux/types.h>
#include <shakeoff/flood.h>

/* "syn", "ack", "rst", "fin", "synack", "mixed" (FLOOD_MIXED). */
const char *flood_kind_name(int kind);
/* The kind called s (FLOOD_MIXED for "mixed"), or -1. */
int flood_kind_parse(const char *s);
/*
 * --mix KIND=WEIGHT[,KIND=WEIGHT...]: relative weights (numbers >= 0, not all
 * 0, each kind at most once; kinds not named weigh 0). 0, or -1.
 */
int flood_mix_parse(const char *s, double w[FLOOD_KINDS]);
/* The cumulative thresholds of flood_cfg.mix_cum for weights w. */
void flood_mix_cum(const double w[FLOOD_KINDS], __u64 cum[FLOOD_KINDS]);
/*
 * n distinct source addresses from cfg's prefix (saddr, host_bits,
 * host_mask, ipv6), drawn with seed: the same seed, the same pool. 0, or
 * -EINVAL (the prefix has fewer than n addresses), -ENOMEM.
 */
int flood_pool_draw(const struct flood_cfg *cfg, __u64 seed, __u32 n, struct flood_addr *out);

#endif /* SHAKEOFF_FLOOD_PLAN_H */
