/* SPDX-License-Identifier: GPL-2.0 */
/* Address checks on parsed frames, shared by guard and serve. */
#ifndef SHAKEOFF_BPF_ADDR_H
#define SHAKEOFF_BPF_ADDR_H

#include "parse.h"

/* Sources no real client has: answering them would reflect or loop. */
SHAKEOFF_INLINE int addr_src_martian(const struct frame *f)
{
	if (!f->ipv6) {
		__u32 s = bpf_ntohl(f->saddr[0]);
		__u8 top = s >> 24;

		/* 0/8, 127/8, 224/4 multicast, 240/4 reserved and broadcast */
		if (top == 0 || top == 127 || top >= 224)
			return 1;
		return f->saddr[0] == f->daddr[0];
	}
	/* ::, ::1, ff00::/8 multicast, ::ffff:0:0/96 mapped */
	if ((bpf_ntohl(f->saddr[0]) >> 24) == 0xff)
		return 1;
	if (f->saddr[0] == 0 && f->saddr[1] == 0) {
		if (f->saddr[2] == 0 && (f->saddr[3] == 0 || f->saddr[3] == bpf_htonl(1)))
			return 1;
		if (f->saddr[2] == bpf_htonl(0xffff))
			return 1;
	}
	return f->saddr[0] == f->daddr[0] && f->saddr[1] == f->daddr[1] &&
	       f->saddr[2] == f->daddr[2] && f->saddr[3] == f->daddr[3];
}

/* Entries in a local-address list (guard_cfg, serve_cfg). */
#define ADDR_LIST_MAX 16

/* Is a (f's family; IPv4 uses a[0]) among the first n4/n6 entries of the lists (max entries)? */
SHAKEOFF_INLINE int addr_listed(const __be32 *addr4, __u32 n4, const __be32 (*addr6)[4], __u32 n6,
				__u32 max, const struct frame *f, const __be32 *a)
{
	__u32 i;

	if (!f->ipv6) {
		for (i = 0; i < max; i++) {
			if (i >= n4)
				break;
			if (addr4[i] == a[0])
				return 1;
		}
		return 0;
	}
	for (i = 0; i < max; i++) {
		if (i >= n6)
			break;
		if (addr6[i][0] == a[0] && addr6[i][1] == a[1] && addr6[i][2] == a[2] &&
		    addr6[i][3] == a[3])
			return 1;
	}
	return 0;
}

/* Is the frame's destination one of the n4/n6 local addresses listed? */
SHAKEOFF_INLINE int addr_dst_listed(const __be32 *addr4, __u32 n4, const __be32 (*addr6)[4],
				    __u32 n6, const struct frame *f)
{
	return addr_listed(addr4, n4, addr6, n6, ADDR_LIST_MAX, f, f->daddr);
}

#endif /* SHAKEOFF_BPF_ADDR_H */
