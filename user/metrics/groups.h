/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Families made of a counter table (guard_stats.h, serve_abi.h): a group
 * takes the counters whose name starts with its prefix, the rest of the
 * name as label reason, and its HELP lists each reason with the counter's
 * help; a sum adds counters up. The values are a __u64 array at an offset
 * in the source's ctx, read by its snapshot function.
 */
#ifndef SHAKEOFF_METRICS_GROUPS_H
#define SHAKEOFF_METRICS_GROUPS_H

#include <stddef.h>

#include "metrics/expo.h"

struct counter_group {
	const char *prefix;
	const char *const *names; /* the table's names and help texts, n each */
	const char *const *help;
	unsigned int n;
	size_t values_off; /* offsetof(ctx's struct, __u64 values[n]) */
};

struct counter_sum {
	const unsigned int *ids; /* counters added up, n of them */
	unsigned int n;
	size_t values_off;
};

/* The label reason of counter id in g, NULL if g does not take it. */
const char *counter_group_reason(const struct counter_group *g, unsigned int id);
/* For struct metric_family: arg is a struct counter_group. */
void counter_group_help(struct mbuf *b, const void *arg);
void counter_group_collect(struct expo *e, void *ctx, const void *arg);
/* arg is a struct counter_sum: one sample. */
void counter_sum_collect(struct expo *e, void *ctx, const void *arg);

#endif /* SHAKEOFF_METRICS_GROUPS_H */
