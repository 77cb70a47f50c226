/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard_recent (layout and the bucket code: include/shakeoff/guard_abi.h)
 * as XDP and TC use it: a SYN on a 4-tuple marked within
 * GUARD_RECENT_UNITS may meet a kernel socket (TIME_WAIT: a client reusing
 * its port) and is worth a socket lookup; any other SYN is not. XDP marks
 * a tuple on the peer's FIN, TC on a handoff, the controller from the
 * kernel's TIME_WAIT sockets.
 */
#ifndef SHAKEOFF_BPF_GUARD_RECENT_H
#define SHAKEOFF_BPF_GUARD_RECENT_H

#include "guard_maps.h"
#include "parse.h"

SHAKEOFF_INLINE __u32 recent_hash(const struct frame *f)
{
	return guard_recent_hash(f->saddr, f->daddr, f->sport, f->dport);
}

/* Was f's 4-tuple marked within GUARD_RECENT_UNITS? */
SHAKEOFF_INLINE int recent_hit(const struct frame *f, __u64 now_ns)
{
	__u32 h = recent_hash(f), idx = h & (GUARD_RECENT_BUCKETS - 1);
	const struct guard_recent *b = bpf_map_lookup_elem(&guard_recent, &idx);

	return b && guard_recent_has(b, h >> 16, guard_recent_units(now_ns));
}

/*
 * Mark f's 4-tuple as seen now. Global, verified once: the way loop inlined
 * in TC's handoff path multiplied its states twentyfold.
 */
__noinline int recent_mark(const struct frame *f, __u64 now_ns)
{
	__u32 h, idx;
	struct guard_recent *b;

	if (!f)
		return 0;
	h = recent_hash(f);
	idx = h & (GUARD_RECENT_BUCKETS - 1);
	b = bpf_map_lookup_elem(&guard_recent, &idx);
	if (b)
		guard_recent_put(b, h >> 16, guard_recent_units(now_ns));
	return 0;
}

#endif /* SHAKEOFF_BPF_GUARD_RECENT_H */
