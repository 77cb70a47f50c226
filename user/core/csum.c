// SPDX-License-Identifier: GPL-2.0
/* The Internet checksum, eight bytes at a time. */
#include <string.h>

#include "core/csum.h"

/* Fold a one's complement sum to 16 bits. */
static __u16 fold64(__u64 acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (__u16)acc;
}

/* acc + v in one's complement: the carry out of bit 63 comes back in at bit 0 */
static __u64 add64(__u64 acc, __u64 v)
{
	acc += v;
	return acc + (acc < v);
}

__u32 csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u64 acc = 0, w64;
	__u32 w32;
	__u16 w16;

	while (len >= 8) {
		memcpy(&w64, p, 8);
		acc = add64(acc, w64);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc = add64(acc, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc = add64(acc, w16);
		p += 2;
		len -= 2;
	}
	if (len) {
		__u8 last[2] = { p[0], 0 };

		memcpy(&w16, last, 2);
		acc = add64(acc, w16);
	}
	return sum + fold64(acc);
}

__u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}
