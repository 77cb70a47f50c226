/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN cookie: its bit layout, the MSS tables and the keyed hash.
 * Shared by the BPF programs (which make and check cookies) and user space
 * (which derives keys and decodes cookies in tests and tools).
 *
 * A cookie is the ISN of our SYN-ACK, in one of two layouts, told apart by
 * bit 0 (the client's SYN carried timestamps or not):
 *
 * without timestamps:
 *   31                      10   9   8   6 5      2   1    0
 *  +-------------------------+----+-----+--------+----+----+
 *  | SipHash-2-4, 22 bits    |slot| mss |  wscale|sack| 0  |
 *  +-------------------------+----+-----+--------+----+----+
 *
 * with timestamps (the options ride in our TSval, as in Linux's
 * cookie_init_timestamp(), and come back in the ACK's TSecr):
 *   31                      10   9   8   6 5           1    0
 *  +-------------------------+----+-----+---------------+----+
 *  | SipHash-2-4, bits 0..21 |slot| mss | hash 22..26   | 1  |
 *  +-------------------------+----+-----+---------------+----+
 *  our TSval, low 6 bits:       5    4    3          0
 *                             +----+----+------------+
 *                             |ecn |sack|   wscale   |
 *                             +----+----+------------+
 *
 * wscale 15 means the client sent none. slot: parity of the time slot the
 * cookie was made in, so a check needs exactly one hash (current or previous
 * slot, never both); it and the MSS index sit at the same bits in both
 * layouts, so finding the slot needs no layout. The hash is keyed by the
 * slot's own key and covers the 4-tuple, the client's ISN, the cookie's bits
 * that are not hash and, with timestamps, the six option bits of the TSecr,
 * so flipping any of them fails. A blind forgery of an ACK that carries
 * timestamps succeeds with probability 2^-27 per try, of one without 2^-22:
 * one slot and one key are tried per cookie, and the ACK's timestamps must
 * agree with bit 0 (a client that sent timestamps in its SYN sends them on
 * every segment, RFC 7323 3.2; one that did not sends none), so a forger
 * cannot pick the weaker layout for an ACK with timestamps.
 */
#ifndef SHAKEOFF_COOKIE_H
#define SHAKEOFF_COOKIE_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

#include <shakeoff/inline.h>

#define COOKIE_HASH_SHIFT 10
#define COOKIE_PAYLOAD_MASK 0x3ffU
#define COOKIE_SLOT_SHIFT 9
#define COOKIE_MSS_SHIFT 6
#define COOKIE_MSS_MASK 0x7U
#define COOKIE_WS_SHIFT 2
#define COOKIE_WS_MASK 0xfU
#define COOKIE_WS_NONE 0xfU /* the client sent no window scale */
#define COOKIE_SACK (1U << 1)
#define COOKIE_TS (1U << 0)
/* With timestamps: bits 5..1 are hash bits 22..26, the rest as without. */
#define COOKIE_TS_PAYLOAD_MASK 0x3c1U
#define COOKIE_TS_HASH_MASK 0x3eU
/* The option bits in the low bits of our TSval (Linux's TS_OPT_* layout). */
#define COOKIE_TSOPT_BITS 6
#define COOKIE_TSOPT_MASK 0x3fU
#define COOKIE_TSOPT_WS_MASK 0xfU /* COOKIE_WS_NONE: no window scale */
#define COOKIE_TSOPT_SACK (1U << 4)
#define COOKIE_TSOPT_ECN (1U << 5)

/* Smallest MSS the kfunc accepts: what a client without an MSS option gets. */
#define COOKIE_MIN_MSS4 536
#define COOKIE_MIN_MSS6 1220

/*
 * MSS tables, as switches: clang-14 mis-emits BTF for small static const
 * arrays in BPF objects. Index 0 is the family's minimum.
 */
SHAKEOFF_INLINE __u16 cookie_mss4(__u32 idx)
{
	switch (idx & COOKIE_MSS_MASK) {
	case 0:
		return 536;
	case 1:
		return 1220;
	case 2:
		return 1300;
	case 3:
		return 1360;
	case 4:
		return 1400;
	case 5:
		return 1440;
	case 6:
		return 1460;
	default:
		return 8960;
	}
}

SHAKEOFF_INLINE __u16 cookie_mss6(__u32 idx)
{
	switch (idx & COOKIE_MSS_MASK) {
	case 0:
		return 1220;
	case 1:
		return 1280;
	case 2:
		return 1340;
	case 3:
		return 1380;
	case 4:
		return 1400;
	case 5:
		return 1420;
	case 6:
		return 1440;
	default:
		return 8940;
	}
}

SHAKEOFF_INLINE __u16 cookie_mss_value(__u32 idx, int ipv6)
{
	return ipv6 ? cookie_mss6(idx) : cookie_mss4(idx);
}

/* The largest table entry not above the client's MSS (the minimum if none). */
SHAKEOFF_INLINE __u32 cookie_mss_index(__u16 mss, int ipv6)
{
	__u32 i;

	for (i = COOKIE_MSS_MASK; i > 0; i--)
		if (cookie_mss_value(i, ipv6) <= mss)
			return i;
	return 0;
}

/*
 * The cookie's bits that are not hash; with timestamps wscale and SACK go to
 * cookie_tsopt(). ts is 0 or 1. The layout helpers here are arithmetic, not
 * branches: a branch on a value the verifier knows splits its states for
 * the rest of the SYN-ACK.
 */
SHAKEOFF_INLINE __u32 cookie_payload(__u64 slot, __u32 mss_idx, __u32 wscale, int sack, int ts)
{
	__u32 t = ts & 1;
	__u32 opts = ((wscale & COOKIE_WS_MASK) << COOKIE_WS_SHIFT) | ((sack & 1) << 1);

	return ((__u32)(slot & 1) << COOKIE_SLOT_SHIFT) | (mss_idx << COOKIE_MSS_SHIFT) | t |
	       (opts & (t - 1));
}

/* The option bits a timestamp cookie keeps in our TSval's low bits; sack and ecn 0 or 1. */
SHAKEOFF_INLINE __u32 cookie_tsopt(__u32 wscale, __u32 sack, __u32 ecn)
{
	return (wscale & COOKIE_TSOPT_WS_MASK) | ((sack & 1) << 4) | ((ecn & 1) << 5);
}

/*
 * What the hash covers besides the 4-tuple and the ISN: the payload and,
 * for a timestamp cookie, the TSecr's option bits above it (16 bits in all).
 */
SHAKEOFF_INLINE __u32 cookie_msg(__u32 payload, __u32 tsopt)
{
	return payload |
	       (((tsopt & COOKIE_TSOPT_MASK) << COOKIE_HASH_SHIFT) & -(payload & COOKIE_TS));
}

/*
 * Our TSval for a timestamp cookie: the clock with its low bits replaced by
 * the options, never ahead of the clock (one step of 2^6 back if need be,
 * as Linux does), so the TSvals that follow never go backwards.
 */
SHAKEOFF_INLINE __u32 cookie_tsval(__u32 clock, __u32 tsopt)
{
	__u32 ts = (clock & ~COOKIE_TSOPT_MASK) | (tsopt & COOKIE_TSOPT_MASK);

	/* ahead exactly when the options exceed the clock's low bits */
	return ts - ((((clock & COOKIE_TSOPT_MASK) - (tsopt & COOKIE_TSOPT_MASK)) >> 31)
		     << COOKIE_TSOPT_BITS);
}

/* SipHash-2-4 over whole 64-bit words (no tail bytes). */
struct sip_state {
	__u64 v0, v1, v2, v3;
};

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

SHAKEOFF_INLINE void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = SIP_ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = SIP_ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = SIP_ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = SIP_ROTL(s->v2, 32);
}

SHAKEOFF_INLINE void sip_init(struct sip_state *s, __u64 k0, __u64 k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

SHAKEOFF_INLINE void sip_word(struct sip_state *s, __u64 m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

/* last: the final block, the message length in the top byte over the tail bytes */
SHAKEOFF_INLINE __u64 sip_final(struct sip_state *s, __u64 last)
{
	sip_word(s, last);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/*
 * The cookie hash: SipHash-2-4 of the 4-tuple, the client's ISN and msg
 * (cookie_msg()), under the key of the cookie's slot (every slot has a
 * key of its own, so the slot needs no room in the message). Addresses and
 * ports are the raw network-order values the packet carries. The message is
 * 16 (IPv4) or 40 (IPv6) bytes of words plus two tail bytes for msg,
 * which ride in SipHash's final block at no extra cost. The high 32 bits of
 * the result also serve as the per-flow TSval offset.
 */
SHAKEOFF_INLINE __u64 cookie_hash4(__u64 k0, __u64 k1, __be32 saddr, __be32 daddr, __be16 sport,
				   __be16 dport, __u32 isn, __u32 msg)
{
	struct sip_state s;

	sip_init(&s, k0, k1);
	sip_word(&s, ((__u64)saddr << 32) | daddr);
	sip_word(&s, ((__u64)sport << 48) | ((__u64)dport << 32) | isn);
	return sip_final(&s, (18ULL << 56) | (msg & 0xffff));
}

SHAKEOFF_INLINE __u64 cookie_hash6(__u64 k0, __u64 k1, const __be32 *saddr, const __be32 *daddr,
				   __be16 sport, __be16 dport, __u32 isn, __u32 msg)
{
	struct sip_state s;

	sip_init(&s, k0, k1);
	sip_word(&s, ((__u64)saddr[0] << 32) | saddr[1]);
	sip_word(&s, ((__u64)saddr[2] << 32) | saddr[3]);
	sip_word(&s, ((__u64)daddr[0] << 32) | daddr[1]);
	sip_word(&s, ((__u64)daddr[2] << 32) | daddr[3]);
	sip_word(&s, ((__u64)sport << 48) | ((__u64)dport << 32) | isn);
	return sip_final(&s, (42ULL << 56) | (msg & 0xffff));
}

/* The cookie of a hash and a payload: 22 hash bits, 27 with timestamps. */
SHAKEOFF_INLINE __u32 cookie_from_hash(__u64 hash, __u32 payload)
{
	__u32 extra = ((__u32)hash >> (32 - COOKIE_HASH_SHIFT - 1)) & COOKIE_TS_HASH_MASK;

	return ((__u32)hash << COOKIE_HASH_SHIFT) | payload | (extra & -(payload & COOKIE_TS));
}

/* The slot a cookie claims to come from, given the current one. */
SHAKEOFF_INLINE __u64 cookie_slot(__u32 cookie, __u64 now_slot)
{
	__u32 parity = (cookie >> COOKIE_SLOT_SHIFT) & 1;

	return (now_slot & 1) == parity ? now_slot : now_slot - 1;
}

#endif /* SHAKEOFF_COOKIE_H */
