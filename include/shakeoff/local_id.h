/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this host is on the wire, for the XDP programs' checks before they
 * answer a frame as Linux would: its addresses and IPv4 broadcasts (sources
 * no client has, which Linux drops as martians) and the interface's MAC
 * (a unicast frame to another MAC is PACKET_OTHERHOST, dropped before IP).
 * guard_cfg and serve_cfg each hold one; user/core/local_id.c fills it.
 * Byte order: addresses and the MAC as on the wire.
 */
#ifndef SHAKEOFF_LOCAL_ID_H
#define SHAKEOFF_LOCAL_ID_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

/* Addresses per family kept; a host with more is checked for these only. */
#ifndef LOCAL_MAX_SELF
#define LOCAL_MAX_SELF 32
#endif

struct local_id {
	__be32 self4[LOCAL_MAX_SELF]; /* this host's IPv4 addresses and broadcasts */
	__be32 self6[LOCAL_MAX_SELF][4]; /* this host's IPv6 addresses */
	__u32 nself4;
	__u32 nself6;
	__u64 self_bloom[4]; /* local_self_bit() of every entry: one load per client frame */
	__u16 mac[3]; /* the interface's MAC; all zero: not checked (tests, no MAC) */
	__u16 pad;
};

/* An address's bit in self_bloom, from its 32-bit words as they lie in memory. */
static inline __u32 local_self_bit(const __u32 *a, int ipv6)
{
	__u32 h = ipv6 ? a[0] ^ a[1] ^ a[2] ^ a[3] : a[0];

	h *= 0x9e3779b1U;
	return h >> 24;
}

#endif /* SHAKEOFF_LOCAL_ID_H */
