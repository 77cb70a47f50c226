/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Making and checking SYN cookies in BPF: the one place that knows how a
 * cookie relates to a frame, the clock and the key map. The layout and the
 * hash live in include/shakeoff/cookie.h.
 */
#ifndef SO_BPF_COOKIE_H
#define SO_BPF_COOKIE_H

#include <shakeoff/cookie.h>
#include "guard_maps.h"
#include "parse.h"

/* What a valid cookie tells about the client's SYN. */
struct cookie_info {
	__u16 mss; /* the client's MSS, rounded down to a table entry */
	__u8 wscale; /* the client's window scale */
	__u8 wscale_ok; /* the client sent a window scale */
	__u8 sack_ok;
	__u8 ts_ok;
};

SO_INLINE __u64 cookie_now_slot(const struct guard_cfg *cfg, __u64 now_ns)
{
	if (cfg->slot_override)
		return cfg->slot_override;
	return (now_ns + cfg->clock_offset_ns) >> GUARD_SLOT_SHIFT;
}

/* The key of a slot, or NULL if the controller has not provided it. */
SO_INLINE const struct guard_key *cookie_key(__u64 slot)
{
	__u32 idx = slot & (GUARD_KEY_SLOTS - 1);
	const struct guard_key *k = bpf_map_lookup_elem(&guard_keys, &idx);

	if (!k || k->slot != slot || (!k->k0 && !k->k1))
		return NULL;
	return k;
}

SO_INLINE __u64 cookie_hash_frame(const struct guard_key *k, const struct frame *f, __u32 isn,
				  __u32 payload)
{
	if (f->ipv6)
		return cookie_hash6(k->k0, k->k1, f->saddr, f->daddr, f->sport, f->dport, isn,
				    payload);
	return cookie_hash4(k->k0, k->k1, f->saddr[0], f->daddr[0], f->sport, f->dport, isn,
			    payload);
}

/*
 * Check the cookie an ACK carries (ack - 1) for the SYN it answers (seq - 1).
 * Returns 0 and fills *ci when valid, -1 otherwise. Global: verified once for
 * all its callers.
 */
__noinline int cookie_check(const struct frame *f, struct cookie_info *ci)
{
	const struct guard_cfg *cfg;
	const struct guard_key *k;
	__u32 cookie, payload, ws, zero = 0;
	__u64 slot, hash;

	if (!f || !ci)
		return -1;
	cfg = bpf_map_lookup_elem(&guard_cfg, &zero);
	if (!cfg)
		return -1;
	cookie = f->ack_seq - 1;
	payload = cookie & COOKIE_PAYLOAD_MASK;
	ws = (payload >> COOKIE_WS_SHIFT) & COOKIE_WS_MASK;
	if (ws > TCP_MAX_WSCALE && ws != COOKIE_WS_NONE)
		return -1;
	slot = cookie_slot(cookie, cookie_now_slot(cfg, bpf_ktime_get_coarse_ns()));
	k = cookie_key(slot);
	if (!k)
		return -1;
	hash = cookie_hash_frame(k, f, f->seq - 1, payload);
	if (cookie_from_hash(hash, payload) != cookie)
		return -1;

	ci->mss = cookie_mss_value((payload >> COOKIE_MSS_SHIFT) & COOKIE_MSS_MASK, f->ipv6);
	ci->wscale_ok = ws != COOKIE_WS_NONE;
	ci->wscale = ci->wscale_ok ? ws : 0;
	ci->sack_ok = !!(payload & COOKIE_SACK);
	ci->ts_ok = !!(payload & COOKIE_TS);
	return 0;
}

#endif /* SO_BPF_COOKIE_H */
