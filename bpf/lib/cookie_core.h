/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Making and checking SYN cookies in BPF, independent of any map: the caller
 * brings the key of the slot (guard from guard_keys, serve from serve_keys).
 * Every program checks cookies with cookie_verify() here; the layout and the
 * hash live in include/shakeoff/cookie.h.
 */
#ifndef SHAKEOFF_BPF_COOKIE_CORE_H
#define SHAKEOFF_BPF_COOKIE_CORE_H

#include <shakeoff/guard_abi.h>
#include <shakeoff/cookie.h>
#include "parse.h"

/* What a valid cookie tells about the client's SYN. */
struct cookie_info {
	__u16 mss; /* the client's MSS, rounded down to a table entry */
	__u8 wscale; /* the client's window scale */
	__u8 wscale_ok; /* the client sent a window scale */
	__u8 sack_ok;
	__u8 ts_ok;
	__u16 pad;
	__u32 ts_off; /* the TSval offset the SYN-ACK used: hash >> 32 */
};

/* The current cookie slot: a fixed one for tests, else wall-clock based. */
SHAKEOFF_INLINE __u64 cookie_slot_now(__u64 slot_override, __s64 clock_offset_ns, __u64 now_ns)
{
	if (slot_override)
		return slot_override;
	return (now_ns + clock_offset_ns) >> GUARD_SLOT_SHIFT;
}

/* A key from a key map is usable for `slot` only if it was written for it. */
SHAKEOFF_INLINE int cookie_key_ok(const struct guard_key *k, __u64 slot)
{
	return k && k->slot == slot && (k->k0 || k->k1);
}

SHAKEOFF_INLINE __u64 cookie_hash_frame(const struct guard_key *k, const struct frame *f, __u32 isn,
					__u32 payload)
{
	if (f->ipv6)
		return cookie_hash6(k->k0, k->k1, f->saddr, f->daddr, f->sport, f->dport, isn,
				    payload);
	return cookie_hash4(k->k0, k->k1, f->saddr[0], f->daddr[0], f->sport, f->dport, isn,
			    payload);
}

/*
 * The cookie for a SYN with options o under k, the key of `slot`: the ISN of
 * our SYN-ACK. *hash gets the hash it came from (its high half is the
 * SYN-ACK's TSval offset, cookie_info.ts_off when the ACK comes back).
 */
SHAKEOFF_INLINE __u32 cookie_make(const struct frame *f, const struct tcp_opts *o,
				  const struct guard_key *k, __u64 slot, __u64 *hash)
{
	__u32 mss_idx = cookie_mss_index((o->flags & OPT_MSS) ? o->mss : 0, f->ipv6);
	__u32 ws = (o->flags & OPT_WSCALE) ? o->wscale : COOKIE_WS_NONE;
	__u32 payload =
		cookie_payload(slot, mss_idx, ws, o->flags & OPT_SACK_PERM, o->flags & OPT_TS);

	*hash = cookie_hash_frame(k, f, f->seq, payload);
	return cookie_from_hash(*hash, payload);
}

/* The slot the cookie in an ACK (ack - 1) claims, given the current one. */
SHAKEOFF_INLINE __u64 cookie_ack_slot(const struct frame *f, __u64 now_slot)
{
	return cookie_slot(f->ack_seq - 1, now_slot);
}

/*
 * Check the cookie an ACK carries (ack - 1) for the SYN it answers (seq - 1)
 * under k, the key of `slot` (from cookie_ack_slot()). Returns 0 and fills
 * *ci when valid, -1 otherwise (also when k is NULL or not slot's key).
 */
SHAKEOFF_INLINE int cookie_verify(const struct frame *f, const struct guard_key *k, __u64 slot,
				  struct cookie_info *ci)
{
	__u32 cookie = f->ack_seq - 1;
	__u32 payload = cookie & COOKIE_PAYLOAD_MASK;
	__u32 ws = (payload >> COOKIE_WS_SHIFT) & COOKIE_WS_MASK;
	__u64 hash;

	if (ws > TCP_MAX_WSCALE && ws != COOKIE_WS_NONE)
		return -1;
	if (!cookie_key_ok(k, slot))
		return -1;
	hash = cookie_hash_frame(k, f, f->seq - 1, payload);
	if (cookie_from_hash(hash, payload) != cookie)
		return -1;

	ci->mss = cookie_mss_value((payload >> COOKIE_MSS_SHIFT) & COOKIE_MSS_MASK, f->ipv6);
	ci->wscale_ok = ws != COOKIE_WS_NONE;
	ci->wscale = ci->wscale_ok ? ws : 0;
	ci->sack_ok = !!(payload & COOKIE_SACK);
	ci->ts_ok = !!(payload & COOKIE_TS);
	ci->ts_off = hash >> 32;
	return 0;
}

#endif /* SHAKEOFF_BPF_COOKIE_CORE_H */
