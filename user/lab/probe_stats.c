// SPDX-License-Identifier: GPL-2.0
/* The prober's statistics: exact percentiles from all samples (sorted once when read). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lab/probe_stats.h"

const char *probe_fail_name(enum probe_fail f)
{
	switch (f) {
	case PROBE_TIMEOUT:
		return "timeout";
	case PROBE_RST:
		return "rst";
	case PROBE_REFUSED:
		return "refused";
	case PROBE_SHORT:
		return "short";
	default:
		return "other";
	}
}

enum probe_fail probe_fail_of_errno(int err, bool connected)
{
	switch (err) {
	case ETIMEDOUT:
		return PROBE_TIMEOUT;
	case ECONNREFUSED:
		/* the kernel's word for an RST (or ICMP unreachable) in SYN_SENT */
		return connected ? PROBE_RST : PROBE_REFUSED;
	case ECONNRESET:
	case EPIPE:
		/*
		 * an RST after the handshake, also when it came before we saw
		 * EPOLLOUT: in SYN_SENT the kernel would have said ECONNREFUSED
		 */
		return PROBE_RST;
	default:
		return PROBE_OTHER;
	}
}

int probe_samples_add(struct probe_samples *s, double ms)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ms;
	s->sorted = false;
	return 0;
}

void probe_samples_free(struct probe_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void samples_sort(struct probe_samples *s)
{
	if (!s->sorted && s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	s->sorted = true;
}

/* Index of the ceil(p*n)-th smallest sample; a tiny epsilon keeps 0.9*10 at rank 9. */
static size_t rank_index(size_t n, double p)
{
	double r = ceil(p * (double)n - 1e-9);

	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return (size_t)r - 1;
}

double probe_percentile(struct probe_samples *s, double p)
{
	if (!s->n)
		return 0;
	samples_sort(s);
	return s->v[rank_index(s->n, p)];
}

void probe_pcts_of(struct probe_samples *s, struct probe_pcts *out)
{
	out->valid = s->n > 0;
	out->p50 = probe_percentile(s, 0.5);
	out->p90 = probe_percentile(s, 0.9);
	out->p99 = probe_percentile(s, 0.99);
	out->max = probe_percentile(s, 1);
}

size_t probe_cdf(struct probe_samples *s, uint64_t total, double (*pts)[2], size_t max)
{
	size_t i, k = 0, idx, last = (size_t)-1;

	if (!s->n || !max)
		return 0;
	if (total < s->n)
		total = s->n;
	samples_sort(s);
	for (i = 1; i <= max; i++) {
		idx = rank_index(s->n, (double)i / (double)max);
		/* the last of equal samples, so a point's fraction counts them all */
		while (idx + 1 < s->n && s->v[idx + 1] == s->v[idx])
			idx++;
		if (idx == last)
			continue;
		last = idx;
		pts[k][0] = s->v[idx];
		pts[k][1] = (double)(idx + 1) / (double)total;
		k++;
	}
	return k;
}

uint64_t probe_bucket_failed(const struct probe_bucket *b)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < PROBE_FAIL_COUNT; i++)
		n += b->failed[i];
	return n;
}

void probe_bucket_free(struct probe_bucket *b)
{
	probe_samples_free(&b->connect);
	probe_samples_free(&b->total);
}
