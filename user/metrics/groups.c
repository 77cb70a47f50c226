// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "metrics/groups.h"

const char *counter_group_reason(const struct counter_group *g, unsigned int id)
{
	size_t n = strlen(g->prefix);

	if (id >= g->n || strncmp(g->names[id], g->prefix, n))
		return NULL;
	return g->names[id] + n;
}

void counter_group_help(struct mbuf *b, const void *arg)
{
	const struct counter_group *g = arg;
	const char *reason, *sep = ". Reasons: ";
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		reason = counter_group_reason(g, i);
		if (!reason)
			continue;
		mbuf_printf(b, "%s%s: ", sep, reason);
		expo_help_text(b, g->help[i]);
		sep = "; ";
	}
}

static const __u64 *values_of(void *ctx, size_t off)
{
	return (const __u64 *)(const void *)((const char *)ctx + off);
}

void counter_group_collect(struct expo *e, void *ctx, const void *arg)
{
	const struct counter_group *g = arg;
	const __u64 *v = values_of(ctx, g->values_off);
	const char *reason;
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		reason = counter_group_reason(g, i);
		if (reason)
			expo_u64(e, v[i], "reason", reason, NULL);
	}
}

void counter_sum_collect(struct expo *e, void *ctx, const void *arg)
{
	const struct counter_sum *s = arg;
	const __u64 *v = values_of(ctx, s->values_off);
	__u64 sum = 0;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		sum += v[s->ids[i]];
	expo_u64(e, sum, NULL);
}
