// SPDX-License-Identifier: GPL-2.0
/*
 * user/core/csum.c, the controller's Internet checksum, against the definition
 * (RFC 1071: big-endian 16-bit words, one at a time) on every length up to
 * 300 bytes, at every alignment of the buffer, with sums carried in from
 * pseudo-headers, and on buffers of 0xff bytes where every carry matters.
 */
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csum.h"
#include "testlib.h"

static uint32_t ref_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)(~sum & 0xffff);
}

/* The checksum as it lands in a header: network order. */
static uint16_t wire(uint16_t net)
{
	const uint8_t *b = (const uint8_t *)&net;

	return (uint16_t)(b[0] << 8 | b[1]);
}

/* A host-order sum as csum_add() carries it in: folded, in wire order. */
static uint32_t wire_sum(uint32_t host)
{
	while (host >> 16)
		host = (host & 0xffff) + (host >> 16);
	return htons((uint16_t)host);
}

int main(void)
{
	static uint8_t buf[4096 + 16];
	unsigned int seed = 12345, len, off, bad = 0, runs = 0;
	size_t i;

	tl_begin("csum: every length 0..300 at every alignment 0..7, against RFC 1071");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand_r(&seed);
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++) {
			uint32_t in = (uint32_t)rand_r(&seed) & 0xfffff;

			runs++;
			if (wire(csum_fold(csum_add(wire_sum(in), buf + off, len))) !=
				    ref_fold(ref_add(in, buf + off, len)) &&
			    !bad++)
				ASSERT(false, "length %u at offset %u differs", len, off);
		}
	ASSERT_EQ(bad, 0, "mismatches");
	tl_note("%u sums compared", runs);
	tl_end();

	tl_begin("csum: all-ones data (every addition carries), 1 to 4096 bytes");
	memset(buf, 0xff, sizeof(buf));
	bad = 0;
	for (len = 1; len <= 4096; len = len * 2 + 1)
		if (wire(csum_fold(csum_add(0, buf, len))) != ref_fold(ref_add(0, buf, len)) &&
		    !bad++)
			ASSERT(false, "all-ones, length %u differs", len);
	ASSERT_EQ(bad, 0, "mismatches");
	tl_end();

	tl_begin("csum: a known IPv4 header sums to its checksum");
	{
		/* RFC 1071's style example: 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7 */
		const uint8_t ip[20] = {
			0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
		};

		ASSERT_EQ(wire(csum_fold(csum_add(0, ip, sizeof(ip)))), 0xb861, "header checksum");
	}
	tl_end();
	return tl_summary();
}
