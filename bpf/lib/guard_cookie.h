/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's cookies: the map-free cookie code of cookie_core.h bound to guard's
 * clock (guard_cfg) and keys (guard_keys).
 */
#ifndef SHAKEOFF_BPF_GUARD_COOKIE_H
#define SHAKEOFF_BPF_GUARD_COOKIE_H

#include "cookie_core.h"
#include "guard_maps.h"

SHAKEOFF_INLINE __u64 cookie_now_slot(const struct guard_cfg *cfg, __u64 now_ns)
{
	return cookie_slot_now(cfg->slot_override, cfg->clock_offset_ns, now_ns);
}

/* The key of a slot, or NULL if the controller has not provided it. */
SHAKEOFF_INLINE const struct guard_key *cookie_key(__u64 slot)
{
	__u32 idx = slot & (GUARD_KEY_SLOTS - 1);
	const struct guard_key *k = bpf_map_lookup_elem(&guard_keys, &idx);

	return cookie_key_ok(k, slot) ? k : NULL;
}

/* cookie_verify() once in the object: cookie_check() calls it for a key and its alternate. */
static __noinline int cookie_verify_key(const struct frame *f, const struct guard_key *k,
					__u64 slot, struct cookie_info *ci)
{
	return cookie_verify(f, k, slot, ci);
}

/*
 * Check the cookie an ACK carries against guard's keys (the slot's, then
 * during a rollover its alternate). Returns 0 and fills *ci when valid, -1
 * otherwise. Global: verified once for all its callers.
 */
__noinline int cookie_check(const struct frame *f, struct cookie_info *ci)
{
	const struct guard_key *k;
	struct guard_key alt;
	const struct guard_cfg *cfg;
	__u32 zero = 0;
	__u64 slot;

	if (!f || !ci)
		return -1;
	cfg = bpf_map_lookup_elem(&guard_cfg, &zero);
	if (!cfg)
		return -1;
	slot = cookie_ack_slot(f, cookie_now_slot(cfg, bpf_ktime_get_coarse_ns()));
	k = cookie_key(slot);
	if (!cookie_verify_key(f, k, slot, ci))
		return 0;
	/* A key rollover's other secret: tried only for a cookie the first key refuses. */
	if (!k || !(k->a0 | k->a1))
		return -1;
	alt.slot = k->slot;
	alt.k0 = k->a0;
	alt.k1 = k->a1;
	alt.a0 = 0;
	alt.a1 = 0;
	return cookie_verify_key(f, &alt, slot, ci);
}

#endif /* SHAKEOFF_BPF_GUARD_COOKIE_H */
