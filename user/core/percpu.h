/* SPDX-License-Identifier: GPL-2.0 */
/* Per-CPU BPF map values summed over the possible CPUs: the one place that does it. */
#ifndef SHAKEOFF_PERCPU_H
#define SHAKEOFF_PERCPU_H

#include <linux/types.h>

/*
 * The value under key of a per-CPU map whose value is nwords __u64 words (a
 * counter, or a struct of counters), summed word by word over the CPUs into
 * out[0..nwords). 0 or -errno (-ENOENT: no such key).
 */
int percpu_sum(int map_fd, const void *key, __u64 *out, unsigned int nwords);
/* A per-CPU array of n __u64 counters: out[i] = the sum of element i. 0 or -errno. */
int percpu_sum_array(int map_fd, __u64 *out, unsigned int n);

#endif /* SHAKEOFF_PERCPU_H */
