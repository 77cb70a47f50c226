/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) from a table of metric families.
 * A family is one table entry: its name, type, help and the function that
 * writes its samples; the renderer writes # HELP and # TYPE before each.
 * Every sample carries the source's label iface first.
 */
#ifndef SHAKEOFF_METRICS_EXPO_H
#define SHAKEOFF_METRICS_EXPO_H

#include <linux/types.h>

#include "metrics/mbuf.h"

enum metric_type {
	METRIC_COUNTER, /* monotonic; the name ends in _total */
	METRIC_GAUGE,
};

struct expo;

struct metric_family {
	const char *name;
	enum metric_type type;
	const char *help; /* one line */
	/* Optional: more help after the line above (e.g. each label value's meaning). */
	void (*help_more)(struct mbuf *b, const void *arg);
	/* Writes the samples (expo_u64() ...); ctx is the source's, arg the entry's. */
	void (*collect)(struct expo *e, void *ctx, const void *arg);
	const void *arg;
};

/*
 * One sample of the family being written: value and label pairs after iface,
 * as NULL-terminated name, value, name, value, ... strings.
 */
void expo_u64(struct expo *e, __u64 v, ...) __attribute__((sentinel));
void expo_double(struct expo *e, double v, ...) __attribute__((sentinel));

/* Text written into HELP: backslash and newline escaped. */
void expo_help_text(struct mbuf *b, const char *s);

/* Every family of t[0..n) into b, iface as every sample's first label. */
void expo_render(struct mbuf *b, const struct metric_family *t, unsigned int n, void *ctx,
		 const char *iface);

#endif /* SHAKEOFF_METRICS_EXPO_H */
