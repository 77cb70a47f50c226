// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of serve's user-side frames (user/serve/frame.c): the
 * input is a frame as an AF_XDP port hands it over, with the 32 bytes of XDP
 * metadata in front. It is parsed (frame_parse, frame_meta_take) under
 * ASan+UBSan; what parses is answered through frame_send_seg() as the
 * controller answers, the AF_XDP port replaced by a buffer here, and the
 * answer is checked with the BPF fuzzer's own parser and checksums
 * (fz_wire.c): it parses, goes back to the sender, and its checksums are right.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/frame.h"
#include "serve/serve_int.h"
#include "fz.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static uint8_t tx_buf[4096];
static uint32_t tx_len;

/* The AF_XDP port frame.c sends through, as a buffer. */
void *xsk_port_tx_buf(struct xsk_port *p, __u64 *addr)
{
	(void)p;
	*addr = 0;
	return tx_buf;
}

int xsk_port_tx(struct xsk_port *p, __u64 addr, __u32 len)
{
	(void)p;
	(void)addr;
	CHECK(len <= sizeof(tx_buf));
	tx_len = len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct serve s;
	uint8_t *buf;
	struct serve_flow v;
	struct frame_in p;
	struct tcp_seg out = { 0 };
	struct fz_pkt o;
	bool v4;

	if (n < SERVE_META_SIZE)
		return 0;
	/* a buffer of the input's own size, so ASan sees every read past its end */
	buf = malloc(n);
	if (!buf)
		return 0;
	memcpy(buf, d, n);
	frame_meta_take(buf + SERVE_META_SIZE, SERVE_META_SIZE, &v);
	if (frame_parse(buf + SERVE_META_SIZE, (__u32)(n - SERVE_META_SIZE), &p)) {
		free(buf);
		return 0;
	}
	CHECK(p.seg.data >= buf + SERVE_META_SIZE && p.seg.data + p.seg.len <= buf + n);
	CHECK(p.seg.nsack <= TCP_SACK_BLOCKS_MAX);
	/* answer it as the engine would: an ACK with timestamps and its SACK blocks */
	memcpy(s.mac, "\x02\x00\x00\x00\x0b\x01", 6);
	s.cfg.mss4 = 1460;
	s.cfg.mss6 = 1440;
	out.seq = p.seg.ack;
	out.ack = p.seg.seq + p.seg.len;
	out.flags = TCP_F_ACK | (p.seg.len & 1 ? TCP_F_PSH : 0);
	out.wnd = p.seg.wnd;
	out.has_ts = p.seg.has_ts;
	out.tsval = p.seg.tsecr;
	out.tsecr = p.seg.tsval;
	out.nsack = p.seg.nsack;
	memcpy(out.sack, p.seg.sack, sizeof(out.sack));
	out.data = p.seg.data;
	out.len = p.seg.len > 1400 ? 1400 : p.seg.len;
	tx_len = 0;
	CHECK(!frame_send_seg(&s, 0, &p.key, p.ipv6, p.smac, &out));
	fz_parse(tx_buf, tx_len, &o);
	CHECK(o.tcp && o.tcp_csum_ok && o.ip_end == tx_len);
	CHECK(!memcmp(o.dmac, p.smac, 6) && !memcmp(o.smac, s.mac, 6));
	v4 = flow_key_v4(&p.key);
	CHECK(o.ipv == (v4 ? 4 : 6));
	if (v4)
		CHECK(o.ip4_csum_ok && !memcmp(o.daddr, &p.key.raddr[3], 4) &&
		      !memcmp(o.saddr, &p.key.laddr[3], 4));
	else
		CHECK(!memcmp(o.daddr, p.key.raddr, 16) && !memcmp(o.saddr, p.key.laddr, 16));
	CHECK(o.payload == out.len && fz_tcp_opts_ok(tx_buf, &o));
	free(buf);
	return 0;
}
