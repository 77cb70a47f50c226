// SPDX-License-Identifier: GPL-2.0
/*
 * The prober's statistics (user/lab/probe_stats.c): nearest-rank percentiles,
 * the CDF's points, which second a connection belongs to, how errors map to
 * failure classes; and the HTTP status reader of the engine.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lab/probe.h"
#include "lab/probe_stats.h"
#include "testlib.h"

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_percentiles(void)
{
	struct probe_samples s = { 0 };
	struct probe_pcts p;
	int i;

	tl_begin("percentiles: nearest rank over 1..100 given in reverse");
	for (i = 100; i >= 1; i--)
		if (!ASSERT(!probe_samples_add(&s, i), "add"))
			goto out;
	probe_pcts_of(&s, &p);
	ASSERT(p.valid, "valid");
	ASSERT(near(p.p50, 50) && near(p.p90, 90) && near(p.p99, 99) && near(p.max, 100),
	       "p50 %g p90 %g p99 %g max %g", p.p50, p.p90, p.p99, p.max);
	ASSERT(near(probe_percentile(&s, 0.001), 1), "the smallest rank is the minimum");
out:
	probe_samples_free(&s);
	tl_end();

	tl_begin("percentiles: 10 samples (p90 is the 9th, p99 the 10th), one sample, none");
	for (i = 1; i <= 10; i++)
		probe_samples_add(&s, i * 0.5);
	probe_pcts_of(&s, &p);
	ASSERT(near(p.p50, 2.5) && near(p.p90, 4.5) && near(p.p99, 5) && near(p.max, 5),
	       "p50 %g p90 %g p99 %g max %g", p.p50, p.p90, p.p99, p.max);
	/* a sample added after a read is counted in the next read */
	probe_samples_add(&s, 0.1);
	ASSERT(near(probe_percentile(&s, 0.01), 0.1), "re-sorted after an add");
	probe_samples_free(&s);
	probe_samples_add(&s, 7.25);
	probe_pcts_of(&s, &p);
	ASSERT(p.valid && near(p.p50, 7.25) && near(p.max, 7.25), "one sample is every percentile");
	probe_samples_free(&s);
	probe_pcts_of(&s, &p);
	ASSERT(!p.valid, "no samples: not valid");
	tl_end();
}

static void test_cdf(void)
{
	struct probe_samples s = { 0 };
	double pts[40][2];
	size_t n, i;

	tl_begin("cdf: 1000 samples in 40 points, rising, the last at the maximum");
	for (i = 0; i < 1000; i++)
		probe_samples_add(&s, (double)((i * 7919) % 1000) / 10);
	n = probe_cdf(&s, 1000, pts, 40);
	if (!ASSERT_EQ(n, 40, "points"))
		goto out1;
	for (i = 1; i < n; i++)
		if (!ASSERT(pts[i][0] > pts[i - 1][0] && pts[i][1] > pts[i - 1][1],
			    "point %zu (%g, %g) after (%g, %g)", i, pts[i][0], pts[i][1],
			    pts[i - 1][0], pts[i - 1][1]))
			goto out1;
	ASSERT(near(pts[0][0], 2.4) && near(pts[0][1], 0.025), "first (%g, %g)", pts[0][0],
	       pts[0][1]);
	ASSERT(near(pts[n - 1][0], 99.9) && near(pts[n - 1][1], 1), "last (%g, %g)", pts[n - 1][0],
	       pts[n - 1][1]);
out1:
	tl_end();

	tl_begin("cdf: against 4000 attempts it ends at the share that connected");
	n = probe_cdf(&s, 4000, pts, 40);
	ASSERT(n == 40 && near(pts[n - 1][1], 0.25), "last fraction %g", pts[n - 1][1]);
	probe_samples_free(&s);
	tl_end();

	tl_begin("cdf: equal samples make one point that counts them all; none make none");
	for (i = 0; i < 10; i++)
		probe_samples_add(&s, i < 8 ? 1.0 : 2.0);
	n = probe_cdf(&s, 10, pts, 40);
	ASSERT(n == 2 && near(pts[0][0], 1) && near(pts[0][1], 0.8) && near(pts[1][0], 2) &&
		       near(pts[1][1], 1),
	       "%zu points: (%g, %g) (%g, %g)", n, pts[0][0], pts[0][1], pts[1][0], pts[1][1]);
	probe_samples_free(&s);
	ASSERT_EQ(probe_cdf(&s, 10, pts, 40), 0, "no samples");
	tl_end();
}

static void test_seconds(void)
{
	uint64_t k, n[3] = { 0 };

	tl_begin("per second: connection k of rate R is in second floor(k/R)");
	ASSERT_EQ(probe_second_of(0, 200), 0, "k 0");
	ASSERT_EQ(probe_second_of(199, 200), 0, "k 199");
	ASSERT_EQ(probe_second_of(200, 200), 1, "k 200");
	ASSERT_EQ(probe_second_of(1, 0.5), 2, "rate 0.5: the second start is in second 2");
	for (k = 0; k < 21; k++)
		n[probe_second_of(k, 7)]++;
	ASSERT(n[0] == 7 && n[1] == 7 && n[2] == 7, "rate 7: %llu %llu %llu",
	       (unsigned long long)n[0], (unsigned long long)n[1], (unsigned long long)n[2]);
	for (k = 0; k < 100000; k += 3)
		if (!ASSERT_EQ(probe_second_of(k, 3), k / 3, "rate 3"))
			break;
	ASSERT_EQ(probe_total_of(200, 2), 400, "200/s for 2 s");
	ASSERT_EQ(probe_total_of(0.5, 3), 2, "0.5/s for 3 s rounds 1.5 up");
	ASSERT_EQ(probe_total_of(0.1, 1), 0, "0.1/s for 1 s: none");
	tl_end();
}

static void test_classes(void)
{
	struct probe_bucket b = { 0 };

	tl_begin("failure classes: errno and phase to class, names in JSON order");
	ASSERT_EQ(probe_fail_of_errno(ECONNREFUSED, false), PROBE_REFUSED, "refused at connect");
	ASSERT_EQ(probe_fail_of_errno(ECONNRESET, false), PROBE_RST,
		  "reset of an established connection before its EPOLLOUT");
	ASSERT_EQ(probe_fail_of_errno(ECONNRESET, true), PROBE_RST, "reset after connect");
	ASSERT_EQ(probe_fail_of_errno(EPIPE, true), PROBE_RST, "EPIPE after connect");
	ASSERT_EQ(probe_fail_of_errno(ETIMEDOUT, false), PROBE_TIMEOUT, "kernel's SYN timeout");
	ASSERT_EQ(probe_fail_of_errno(ETIMEDOUT, true), PROBE_TIMEOUT, "kernel's data timeout");
	ASSERT_EQ(probe_fail_of_errno(EHOSTUNREACH, false), PROBE_OTHER, "unreachable");
	ASSERT_EQ(probe_fail_of_errno(EADDRNOTAVAIL, false), PROBE_OTHER, "no local port");
	ASSERT(!strcmp(probe_fail_name(PROBE_TIMEOUT), "timeout") &&
		       !strcmp(probe_fail_name(PROBE_RST), "rst") &&
		       !strcmp(probe_fail_name(PROBE_REFUSED), "refused") &&
		       !strcmp(probe_fail_name(PROBE_SHORT), "short") &&
		       !strcmp(probe_fail_name(PROBE_OTHER), "other"),
	       "names");
	b.failed[PROBE_TIMEOUT] = 3;
	b.failed[PROBE_OTHER] = 2;
	ASSERT_EQ(probe_bucket_failed(&b), 5, "failed sums the classes");
	tl_end();

	tl_begin("http status: from the reply's first bytes");
	ASSERT_EQ(probe_http_status("HTTP/1.1 200 OK\r\n", 17), 200, "200");
	ASSERT_EQ(probe_http_status("HTTP/1.0 302 Found", 18), 302, "302");
	ASSERT_EQ(probe_http_status("HTTP/1.1 404 Not", 16), 404, "404");
	ASSERT_EQ(probe_http_status("HTTP/1.1 20", 11), -1, "cut short");
	ASSERT_EQ(probe_http_status("SSH-2.0-OpenSSH_9", 17), -1, "not HTTP");
	ASSERT_EQ(probe_http_status("HTTP/1.1 2x0 OK", 15), -1, "not a number");
	tl_end();
}

int main(void)
{
	test_percentiles();
	test_cdf();
	test_seconds();
	test_classes();
	return tl_summary();
}
