/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's figures: failure classes, latency samples with exact
 * percentiles and a CDF, and the per-second buckets. Network-free, so the
 * unit tests drive it directly (tests/unit/test_probe.c).
 */
#ifndef SHAKEOFF_LAB_PROBE_STATS_H
#define SHAKEOFF_LAB_PROBE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a connection failed; the order is the JSON "failed" object's. */
enum probe_fail {
	PROBE_TIMEOUT, /* no connect or no full reply within --timeout */
	PROBE_RST, /* reset after the connection was established */
	PROBE_REFUSED, /* RST to the SYN: ECONNREFUSED */
	PROBE_SHORT, /* the peer closed before the full reply, or a bad HTTP status */
	PROBE_OTHER, /* any other error (its errno is counted by name) */
	PROBE_FAIL_COUNT,
};

const char *probe_fail_name(enum probe_fail f);
/*
 * The class of a socket error err (a positive errno) seen before we saw
 * the connection established (connected false) or after. ECONNREFUSED
 * (an RST to the SYN) is refused; ECONNRESET is rst either way, as the
 * kernel gives it only to an established connection.
 */
enum probe_fail probe_fail_of_errno(int err, bool connected);

/* Latency samples in milliseconds. */
struct probe_samples {
	double *v;
	size_t n, cap;
	bool sorted;
};

int probe_samples_add(struct probe_samples *s, double ms); /* 0 or -ENOMEM */
void probe_samples_free(struct probe_samples *s);

/* Percentile p (0 < p <= 1) by nearest rank: the ceil(p*n)-th smallest sample, exact. */
double probe_percentile(struct probe_samples *s, double p);

struct probe_pcts {
	bool valid; /* false: no samples */
	double p50, p90, p99, max;
};

void probe_pcts_of(struct probe_samples *s, struct probe_pcts *out);

/*
 * The CDF in at most max points (ms, fraction): fraction = share of `total`
 * connections whose sample is <= ms. With total larger than the number of
 * samples (connections that never connected) the curve ends below 1. Points
 * are the samples at evenly spaced ranks, the last one the maximum. Returns
 * how many points were written.
 */
size_t probe_cdf(struct probe_samples *s, uint64_t total, double (*pts)[2], size_t max);

/* What one second (or the whole run) counted. */
struct probe_bucket {
	uint64_t attempted, ok, skipped, unfinished;
	uint64_t failed[PROBE_FAIL_COUNT];
	uint64_t pending; /* started, not yet ended */
	struct probe_samples connect, total;
};

uint64_t probe_bucket_failed(const struct probe_bucket *b);
void probe_bucket_free(struct probe_bucket *b);

/* The second connection k of a run at rate per second belongs to: its scheduled start. */
static inline uint64_t probe_second_of(uint64_t k, double rate)
{
	return (uint64_t)((double)k / rate);
}

/* How many connections a run of duration seconds at rate opens: round(rate * duration). */
static inline uint64_t probe_total_of(double rate, double duration)
{
	return (uint64_t)(rate * duration + 0.5);
}

#endif /* SHAKEOFF_LAB_PROBE_STATS_H */
