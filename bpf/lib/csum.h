/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksums computed from values, never from the packet: veth hands
 * us frames whose checksums are partial (offloaded), so nothing in them can be
 * reused. All inputs are raw wire-order values; the one's complement sum is
 * byte-order independent as long as every word is added the same way.
 */
#ifndef SHAKEOFF_BPF_CSUM_H
#define SHAKEOFF_BPF_CSUM_H

SHAKEOFF_INLINE __u32 csum_add16(__u32 sum, __be16 v)
{
	return sum + (__u16)v;
}

SHAKEOFF_INLINE __u32 csum_add32(__u32 sum, __be32 v)
{
	return sum + (v & 0xffff) + (v >> 16);
}

SHAKEOFF_INLINE __sum16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

#endif /* SHAKEOFF_BPF_CSUM_H */
