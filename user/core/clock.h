/* SPDX-License-Identifier: GPL-2.0 */
/* Time as the controllers, the engine and the BPF side count it: nanoseconds of a clockid. */
#ifndef SHAKEOFF_CLOCK_H
#define SHAKEOFF_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of clock id (CLOCK_MONOTONIC is bpf_ktime_get_ns()'s clock). */
static inline int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CLOCK_MONOTONIC in nanoseconds: every timer, rate and age in shakeoff. */
static inline uint64_t clock_mono_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_MONOTONIC);
}

/* CLOCK_MONOTONIC in seconds, for intervals printed to people. */
static inline double clock_mono_sec(void)
{
	return (double)clock_mono_ns() / 1e9;
}

#endif /* SHAKEOFF_CLOCK_H */
