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

/*
 * What a cookie check reads from the ACK (set by the caller: the TSecr of a
 * timestamp cookie holds half its check) and what a valid cookie tells
 * about the client's SYN.
 */
struct cookie_info {
	/* in */
	__u32 tsecr; /* the ACK's TSecr, if saw_ts */
	__u8 saw_ts; /* the ACK carries timestamps */
	/* out */
	__u8 wscale; /* the client's window scale */
	__u8 wscale_ok; /* the client sent a window scale */
	__u8 sack_ok;
	__u8 ts_ok;
	__u8 ecn_ok; /* we answered the SYN's ECN request (timestamp cookies only) */
	__u16 mss; /* the client's MSS, rounded down to a table entry */
	__u32 ts_off; /* the TSval offset the SYN-ACK used: hash >> 32 */
};

/* A new cookie: our SYN-ACK's ISN and what its TSval is made of. */
struct cookie_made {
	__u32 isn;
	__u32 tsopt; /* the low bits of our TSval (cookie_tsval()), timestamps only */
	__u32 ts_off; /* the per-flow TSval offset: hash >> 32 */
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
					__u32 msg)
{
	if (f->ipv6)
		return cookie_hash6(k->k0, k->k1, f->saddr, f->daddr, f->sport, f->dport, isn, msg);
	return cookie_hash4(k->k0, k->k1, f->saddr[0], f->daddr[0], f->sport, f->dport, isn, msg);
}

/*
 * The cookie for a SYN with options o under k, the key of `slot`. ecn: we
 * answer the SYN's ECN request (kept only with timestamps, as Linux does).
 * The SYN-ACK's TSval is then cookie_tsval(clock + m->ts_off, m->tsopt).
 */
SHAKEOFF_INLINE void cookie_make(const struct frame *f, const struct tcp_opts *o, int ecn,
				 const struct guard_key *k, __u64 slot, struct cookie_made *m)
{
	__u32 mss_idx = cookie_mss_index((o->flags & OPT_MSS) ? o->mss : 0, f->ipv6);
	__u32 ws = (o->flags & OPT_WSCALE) ? o->wscale : COOKIE_WS_NONE;
	int sack = !!(o->flags & OPT_SACK_PERM), ts = !!(o->flags & OPT_TS);
	__u32 payload = cookie_payload(slot, mss_idx, ws, sack, ts);
	__u64 hash;

	m->tsopt = cookie_tsopt(ws, sack, ecn) & -(__u32)ts;
	hash = cookie_hash_frame(k, f, f->seq, cookie_msg(payload, m->tsopt));
	m->isn = cookie_from_hash(hash, payload);
	m->ts_off = hash >> 32;
}

/* The slot the cookie in an ACK (ack - 1) claims, given the current one. */
SHAKEOFF_INLINE __u64 cookie_ack_slot(const struct frame *f, __u64 now_slot)
{
	return cookie_slot(f->ack_seq - 1, now_slot);
}

/*
 * Check the cookie an ACK carries (ack - 1) for the SYN it answers (seq - 1)
 * under k, the key of `slot` (from cookie_ack_slot()), with the ACK's
 * timestamps in ci->tsecr and ci->saw_ts. Returns 0 and fills the rest of
 * *ci when valid, -1 otherwise (also when k is NULL or not slot's key), the
 * inputs untouched either way.
 *
 * The ACK's timestamps must agree with the cookie's TS bit. A timestamp
 * cookie without them fails where Linux would accept it with every option
 * off: half of its 27-bit check is in the TSecr, and accepting it on the
 * other 22 would hand a forger the weaker odds (RFC 7323 3.2 lets a receiver
 * drop such a segment). A cookie without timestamps fails with them: the
 * client sent none in its SYN, so it sends none now.
 */
SHAKEOFF_INLINE int cookie_verify(const struct frame *f, const struct guard_key *k, __u64 slot,
				  struct cookie_info *ci)
{
	__u32 cookie = f->ack_seq - 1;
	__u32 payload, tsopt = 0, ws, sack;
	__u64 hash;

	if (!(cookie & COOKIE_TS) != !ci->saw_ts)
		return -1;
	if (cookie & COOKIE_TS) {
		payload = cookie & COOKIE_TS_PAYLOAD_MASK;
		tsopt = ci->tsecr & COOKIE_TSOPT_MASK;
		ws = tsopt & COOKIE_TSOPT_WS_MASK;
		sack = tsopt & COOKIE_TSOPT_SACK;
	} else {
		payload = cookie & COOKIE_PAYLOAD_MASK;
		ws = (payload >> COOKIE_WS_SHIFT) & COOKIE_WS_MASK;
		sack = payload & COOKIE_SACK;
	}
	if (ws > TCP_MAX_WSCALE && ws != COOKIE_WS_NONE)
		return -1;
	if (!cookie_key_ok(k, slot))
		return -1;
	hash = cookie_hash_frame(k, f, f->seq - 1, cookie_msg(payload, tsopt));
	if (cookie_from_hash(hash, payload) != cookie)
		return -1;

	ci->mss = cookie_mss_value((payload >> COOKIE_MSS_SHIFT) & COOKIE_MSS_MASK, f->ipv6);
	ci->wscale_ok = ws != COOKIE_WS_NONE;
	ci->wscale = ci->wscale_ok ? ws : 0;
	ci->sack_ok = !!sack;
	ci->ts_ok = !!(payload & COOKIE_TS);
	ci->ecn_ok = !!(tsopt & COOKIE_TSOPT_ECN);
	ci->ts_off = hash >> 32;
	return 0;
}

#endif /* SHAKEOFF_BPF_COOKIE_CORE_H */
