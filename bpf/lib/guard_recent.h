/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard_recent: 4-tuples whose connection guard saw close (a FIN passing to
 * a kernel socket) or open (a handoff) within the last GUARD_RECENT_UNITS.
 * A SYN on such a tuple may meet a kernel socket (TIME_WAIT: a client
 * reusing its port) and is worth a socket lookup; any other SYN is not.
 * Layout and sizes: include/shakeoff/guard_abi.h.
 */
#ifndef SHAKEOFF_BPF_GUARD_RECENT_H
#define SHAKEOFF_BPF_GUARD_RECENT_H

#include "guard_maps.h"
#include "parse.h"

/* A 32-bit mix of the 4-tuple (not keyed: a collision costs a lookup, nothing else). */
SHAKEOFF_INLINE __u32 recent_hash(const struct frame *f)
{
	__u32 s = f->saddr[0] ^ f->saddr[1] ^ f->saddr[2] ^ f->saddr[3];
	__u32 d = f->daddr[0] ^ f->daddr[1] ^ f->daddr[2] ^ f->daddr[3];
	__u32 h = s * 0x9e3779b1U ^ d;

	h ^= ((__u32)f->sport << 16) | f->dport;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	return h ^ (h >> 16);
}

SHAKEOFF_INLINE __u32 recent_units(__u64 now_ns)
{
	return (__u32)(now_ns >> GUARD_RECENT_SHIFT) & 0xffff;
}

/* How many units ago a way was stamped (16-bit clock arithmetic). */
SHAKEOFF_INLINE __u32 recent_age(__u32 way, __u32 units)
{
	return (units - way) & 0xffff;
}

/* Was f's 4-tuple marked within GUARD_RECENT_UNITS? */
SHAKEOFF_INLINE int recent_hit(const struct frame *f, __u64 now_ns)
{
	__u32 h = recent_hash(f), idx = h & (GUARD_RECENT_BUCKETS - 1), tag = h >> 16, i;
	const struct guard_recent *b = bpf_map_lookup_elem(&guard_recent, &idx);
	__u32 units = recent_units(now_ns);

	if (!b)
		return 0;
#pragma unroll
	for (i = 0; i < GUARD_RECENT_WAYS; i++) {
		__u32 w = b->way[i];

		if (w && (w >> 16) == tag && recent_age(w, units) <= GUARD_RECENT_UNITS)
			return 1;
	}
	return 0;
}

/* Mark f's 4-tuple: its own way, else an empty or expired one, else the oldest. */
SHAKEOFF_INLINE void recent_mark(const struct frame *f, __u64 now_ns)
{
	__u32 h = recent_hash(f), idx = h & (GUARD_RECENT_BUCKETS - 1), tag = h >> 16, i;
	struct guard_recent *b = bpf_map_lookup_elem(&guard_recent, &idx);
	__u32 units = recent_units(now_ns), pick = 0, oldest = 0;

	if (!b)
		return;
#pragma unroll
	for (i = 0; i < GUARD_RECENT_WAYS; i++) {
		__u32 w = b->way[i], age = recent_age(w, units);

		if (w && (w >> 16) == tag) {
			pick = i;
			break;
		}
		if (!w || age > GUARD_RECENT_UNITS)
			age = 0x10000; /* free: better than any live way */
		if (age > oldest) {
			oldest = age;
			pick = i;
		}
	}
	b->way[pick & (GUARD_RECENT_WAYS - 1)] = (tag << 16) | units;
}

#endif /* SHAKEOFF_BPF_GUARD_RECENT_H */
