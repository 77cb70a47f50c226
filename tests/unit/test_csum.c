// SPDX-License-Identifier: GPL-2.0
/*
 * user/core/csum.c, the controller's Internet checksum, against the definition
 * (RFC 1071: big-endian 16-bit words, one at a time) on every length up to
 * 300 bytes, at every alignment of the buffer, with sums carried in from
 * pseudo-headers, and on buffers of 0xff bytes where every carry matters;
 * and the frames serve's controller builds (user/serve/frame.c), checksums
 * and all, parsed back.
 */
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csum.h"
#include "serve/frame.h"
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

/* Big-endian 16 bits of a frame, by bytes. */
static uint32_t be16_at(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

/*
 * One frame from frame_build(), checked against the reference sum (IPv4
 * header; TCP with the pseudo-header) and parsed back by frame_parse() as
 * if the peer had sent it.
 */
static void frame_case(bool ipv6, uint32_t olen, uint32_t len, unsigned int *seed)
{
	static const uint8_t our_mac[6] = { 2, 0, 0, 0, 0, 1 }, peer_mac[6] = { 2, 0, 0, 0, 0, 2 };
	uint8_t buf[2048], data[1024], opts[40];
	struct serve_flow_key k = { 0 }, back;
	struct frame_in in;
	uint32_t i, flen, l4, tcplen, sum;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rand_r(seed);
	for (i = 0; i < olen; i++)
		opts[i] = TCP_OPT_NOP;
	for (i = 0; i < 4; i++) {
		k.laddr[i] = (uint32_t)rand_r(seed);
		k.raddr[i] = (uint32_t)rand_r(seed);
	}
	if (!ipv6) {
		k.laddr[0] = k.laddr[1] = k.raddr[0] = k.raddr[1] = 0;
		k.laddr[2] = k.raddr[2] = htonl(0xffff);
	}
	k.lport = htons(7);
	k.rport = htons((uint16_t)(1024 + rand_r(seed) % 60000));
	flen = frame_build(buf, our_mac, &k, ipv6, peer_mac, 0x11223344, 0xaabbccdd,
			   TCP_F_ACK | TCP_F_PSH, 0xfff0, opts, olen, data, len);
	l4 = 14 + (ipv6 ? 40 : 20);
	tcplen = 20 + olen + len;
	if (!ASSERT_EQ(flen, l4 + tcplen, "frame length"))
		return;
	if (ipv6) {
		sum = ref_add(0, buf + 14 + 8, 32);
	} else {
		ASSERT_EQ(ref_fold(ref_add(0, buf + 14, 20)), 0, "IPv4 header sums to 0xffff");
		sum = ref_add(0, buf + 14 + 12, 8);
	}
	sum += IPPROTO_TCP + tcplen;
	ASSERT(ref_fold(ref_add(sum, buf + l4, tcplen)) == 0,
	       "TCP checksum wrong (%s, %u option bytes, %u data bytes): field %04x",
	       ipv6 ? "v6" : "v4", olen, len, be16_at(buf + l4 + 16));
	/* what the peer sent back to us: swap the ends and parse */
	memcpy(buf, our_mac, 6);
	memcpy(buf + 6, peer_mac, 6);
	if (!ASSERT_EQ(frame_parse(buf, flen, &in), 0, "frame_parse"))
		return;
	back = in.key;
	ASSERT(!memcmp(back.raddr, k.laddr, 16) && !memcmp(back.laddr, k.raddr, 16) &&
		       back.rport == k.lport && back.lport == k.rport,
	       "parsed addresses and ports");
	ASSERT_EQ(in.seg.seq, 0x11223344u, "seq");
	ASSERT_EQ(in.seg.ack, 0xaabbccddu, "ack");
	ASSERT_EQ(in.seg.flags, TCP_F_ACK | TCP_F_PSH, "flags");
	ASSERT_EQ(in.seg.wnd, 0xfff0, "window");
	ASSERT_EQ(in.seg.len, len, "payload length");
	ASSERT(!len || !memcmp(in.seg.data, data, len), "payload bytes");
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

	tl_begin("csum: serve's frames, IPv4 and IPv6, 0..40 option bytes, odd and even payloads");
	for (len = 0; len <= 1000; len += 37)
		for (off = 0; off <= 40; off += 4) {
			frame_case(false, off, len, &seed);
			frame_case(true, off, len, &seed);
		}
	tl_end();
	return tl_summary();
}
