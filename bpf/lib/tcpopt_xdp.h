/* SPDX-License-Identifier: GPL-2.0 */
/* TCP options in XDP: reading a segment's options (shakeoff/tcp_wire.h writes them). */
#ifndef SHAKEOFF_BPF_TCPOPT_XDP_H
#define SHAKEOFF_BPF_TCPOPT_XDP_H

#include "consts.h"
#include "parse.h"

/*
 * A segment's options. The layouts most segments come in are read straight
 * from the packet: Linux's NOP NOP TS on every segment, Linux's SYN set, and a
 * lone MSS (most SYN floods, many stacks); anything else goes through the
 * general parser on a stack copy.
 */
SHAKEOFF_INLINE void xdp_tcp_opts(struct xdp_md *ctx, const struct frame *f, struct tcp_opts *opts)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = f->tcp_hlen - sizeof(struct tcphdr);
	/* Masked so the verifier can bound the offset (l4_off is at most a few KB). */
	__be32 *o = data + (f->l4_off & 0x3fff) + sizeof(struct tcphdr);
	struct tcp_opt_buf buf;

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
	if (bpf_xdp_load_bytes(ctx, f->l4_off + sizeof(struct tcphdr), buf.bytes, len))
		return;
	tcp_opts_parse(&buf, len, opts);
}

#endif /* SHAKEOFF_BPF_TCPOPT_XDP_H */
