/* SPDX-License-Identifier: GPL-2.0 */
/* TCP options in XDP: reading a segment's options (shakeoff/tcp_wire.h writes them). */
#ifndef SHAKEOFF_BPF_TCPOPT_XDP_H
#define SHAKEOFF_BPF_TCPOPT_XDP_H

#include "consts.h"
#include "parse.h"

/*
 * The general parser: len option bytes at packet offset off, walked in
 * place an option at a time, as Linux walks them (tcp_parse_options()): EOL
 * ends, NOP is one byte, anything else has a length of at least 2 that fits
 * what is left, or the walk ends keeping what it found.
 *
 * out arrives zeroed (xdp_tcp_opts()).
 *
 * Written for the verifier. The position indexes the packet, so the
 * verifier tracks it exactly, and every kind of option would leave a state
 * of its own at the loop head, multiplied step after step. So each step's
 * new position is XORed with out->flags as it arrives: 0 at run time (one
 * ALU op), but read from memory a global function's argument points to,
 * which the verifier does not track, so to it any byte. Every path then reaches the loop head
 * with the same position, 0..255, and one state per step is checked.
 * Reading the packet in place spares the copy to the stack; the loop runs
 * an option, not a byte, per step.
 */
__noinline int xdp_tcp_opts_walk(struct xdp_md *ctx, __u64 off, __u64 len, struct tcp_opts *out)
{
	void *data, *data_end;
	__u64 i, pos, zero;
	__u32 kind, olen;
	__u8 flags = 0;
	__u8 *p;

	if (!ctx || !out || len > TCP_MAX_OPT_LEN)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	off &= 0x3fff;
	zero = out->flags;
	pos = zero;
	for (i = 0; i < TCP_MAX_OPT_LEN; i++) {
		if (pos >= len)
			break;
		p = data + off + pos;
		if ((void *)(p + 1) > data_end)
			break;
		kind = p[0];
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			pos = (pos + 1) ^ zero;
			continue;
		}
		if ((void *)(p + 2) > data_end)
			break;
		olen = p[1];
		if (olen < 2 || pos + olen > len)
			break;
		if (kind == TCP_OPT_MSS && olen == 4) {
			if ((void *)(p + 4) > data_end)
				break;
			out->mss = bpf_ntohs(*(__be16 *)(p + 2));
			flags |= OPT_MSS;
		} else if (kind == TCP_OPT_WS && olen == 3) {
			if ((void *)(p + 3) > data_end)
				break;
			out->wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
			flags |= OPT_WSCALE;
		} else if (kind == TCP_OPT_SACK_PERM && olen == 2) {
			flags |= OPT_SACK_PERM;
		} else if (kind == TCP_OPT_TS && olen == 10) {
			if ((void *)(p + 10) > data_end)
				break;
			out->tsval = bpf_ntohl(*(__be32 *)(p + 2));
			out->tsecr = bpf_ntohl(*(__be32 *)(p + 6));
			flags |= OPT_TS;
		}
		pos = (pos + olen) ^ zero;
	}
	out->flags = flags;
	return 0;
}

/*
 * A segment's options. The layouts most segments come in are read straight
 * from the packet: Linux's NOP NOP TS on every segment, Linux's SYN set, and a
 * lone MSS (most SYN floods, many stacks); anything else goes through the
 * general walk above.
 */
SHAKEOFF_INLINE void xdp_tcp_opts(struct xdp_md *ctx, const struct frame *f, struct tcp_opts *opts)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = f->tcp_hlen - sizeof(struct tcphdr);
	/* Masked so the verifier can bound the offset (l4_off is at most a few KB). */
	__be32 *o = data + (f->l4_off & 0x3fff) + sizeof(struct tcphdr);

	__builtin_memset(opts, 0, sizeof(*opts));
	if (len == 0 || len > TCP_MAX_OPT_LEN)
		return;
	if (len == 12 && (void *)(o + 3) <= data_end && o[0] == bpf_htonl(0x0101080a)) {
		opts->tsval = bpf_ntohl(o[1]);
		opts->tsecr = bpf_ntohl(o[2]);
		opts->flags = OPT_TS;
		return;
	}
	/* MSS, SACK_PERM, TS, NOP, WS */
	if (len == 20 && (void *)(o + 5) <= data_end &&
	    (o[0] & bpf_htonl(0xffff0000)) == bpf_htonl(0x02040000) &&
	    o[1] == bpf_htonl(0x0402080a) &&
	    (o[4] & bpf_htonl(0xffffff00)) == bpf_htonl(0x01030300)) {
		opts->mss = bpf_ntohl(o[0]) & 0xffff;
		opts->tsval = bpf_ntohl(o[2]);
		opts->tsecr = bpf_ntohl(o[3]);
		opts->wscale = bpf_ntohl(o[4]) & 0xff;
		if (opts->wscale > TCP_MAX_WSCALE)
			opts->wscale = TCP_MAX_WSCALE;
		opts->flags = OPT_MSS | OPT_SACK_PERM | OPT_TS | OPT_WSCALE;
		return;
	}
	if (len == 4 && (void *)(o + 1) <= data_end &&
	    (o[0] & bpf_htonl(0xffff0000)) == bpf_htonl(0x02040000)) {
		opts->mss = bpf_ntohl(o[0]) & 0xffff;
		opts->flags = OPT_MSS;
		return;
	}
	xdp_tcp_opts_walk(ctx, f->l4_off + sizeof(struct tcphdr), len, opts);
}

#endif /* SHAKEOFF_BPF_TCPOPT_XDP_H */
