/* SPDX-License-Identifier: GPL-2.0 */
/* TCP options in XDP: reading a segment's options (shakeoff/tcp_wire.h writes them). */
#ifndef SHAKEOFF_BPF_TCPOPT_XDP_H
#define SHAKEOFF_BPF_TCPOPT_XDP_H

#include "consts.h"
#include "parse.h"

/* An option's kind and length bytes as a 16-bit load from the packet holds them. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OPT_KL(kind, len) ((len) << 8 | (kind))
#else
#define OPT_KL(kind, len) ((kind) << 8 | (len))
#endif

/*
 * Zero, read from memory the verifier does not track (a .bss variable
 * nothing writes), so to it any byte. See tcp_opts_steps().
 */
volatile __u8 tcpopt_zero SEC(".bss");

/*
 * The general parser: up to steps options of the len option bytes at base,
 * from byte pos on, walked in place as Linux walks them
 * (tcp_parse_options()): EOL ends, NOP is one byte, anything else has a
 * length of at least 2 that fits what is left, or the walk ends keeping what
 * it found. Returns where it stopped if steps ran out, else -1; the flags of
 * what it found are ORed into out->flags.
 *
 * Written for the verifier. The position indexes the packet, so the
 * verifier tracks it exactly, and every kind of option would leave a state
 * of its own at the loop head, multiplied step after step. So each step's
 * new position is XORed with zero (0 at run time, one ALU op, but to the
 * verifier any byte): every path reaches the loop head with the same
 * position, 0..255, and one state per step is checked. The flags go out
 * through zero too, and the caller fills out with it: what the walk found
 * never splits the states of the code after it either.
 */
SHAKEOFF_INLINE __s64 tcp_opts_steps(void *base, void *data_end, __u64 pos, __u64 len,
				     struct tcp_opts *out, __u64 zero, const int steps)
{
	__u32 kind, olen, kl;
	__u8 flags = 0;
	__u8 *p;
	int i;

	for (i = 0; i < steps; i++) {
		if (pos >= len)
			goto done;
		p = base + pos;
		/*
		 * Kind and length at once. The options lie in the frame, so a
		 * kind in its very last byte is the last option's: EOL or NOP
		 * end the walk there anyway, any other kind lacks its length.
		 */
		if ((void *)(p + 2) > data_end)
			goto done;
		kind = p[0];
		olen = p[1];
		if (kind == TCP_OPT_NOP) {
			pos = (pos + 1) ^ zero;
			continue;
		}
		if (kind == TCP_OPT_EOL || olen < 2 || pos + olen > len)
			goto done;
		kl = *(__u16 *)p;
		if (kl == OPT_KL(TCP_OPT_TS, TCP_OLEN_TS)) {
			if ((void *)(p + TCP_OLEN_TS) > data_end)
				goto done;
			out->tsval = bpf_ntohl(*(__be32 *)(p + 2));
			out->tsecr = bpf_ntohl(*(__be32 *)(p + 6));
			flags |= OPT_TS;
		} else if (kl == OPT_KL(TCP_OPT_MSS, TCP_OLEN_MSS)) {
			if ((void *)(p + TCP_OLEN_MSS) > data_end)
				goto done;
			out->mss = bpf_ntohs(*(__be16 *)(p + 2));
			flags |= OPT_MSS;
		} else if (kl == OPT_KL(TCP_OPT_WS, TCP_OLEN_WS)) {
			if ((void *)(p + TCP_OLEN_WS) > data_end)
				goto done;
			out->wscale = p[2]; /* clamped once, by the caller */
			flags |= OPT_WSCALE;
		} else if (kl == OPT_KL(TCP_OPT_SACK_PERM, TCP_OLEN_SACK_PERM)) {
			flags |= OPT_SACK_PERM;
		}
		pos = (pos + olen) ^ zero;
	}
	out->flags |= flags ^ zero;
	return pos;
done:
	out->flags |= flags ^ zero;
	return -1;
}

/*
 * The options past the first TCP_OPTS_INLINE_STEPS: a global function,
 * verified once, for the few segments that have more.
 */
__noinline int xdp_tcp_opts_rest(struct xdp_md *ctx, __u64 off, __u64 pos, __u64 len,
				 struct tcp_opts *out)
{
	void *data, *data_end;
	__u64 zero = tcpopt_zero;

	if (!ctx || !out || len > TCP_MAX_OPT_LEN)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	tcp_opts_steps(data + (off & 0x3fff), data_end, (pos & 0xff) ^ zero, len, out, zero,
		       TCP_MAX_OPT_LEN);
	return 0;
}

/*
 * Any other layout: the first TCP_OPTS_INLINE_STEPS options inline, the
 * rest, if any, in xdp_tcp_opts_rest(). Not a call for all of them: on a CPU
 * whose kernel returns through a return thunk (AMD's SRSO mitigation, as on
 * the machine make bench ran on) a BPF-to-BPF call costs the SYN path about
 * as much as the walk itself. Real stacks send at most 8 options in a SYN
 * (macOS: MSS NOP WS NOP NOP TS SACK_PERM EOL).
 */
#define TCP_OPTS_INLINE_STEPS 8

SHAKEOFF_INLINE void xdp_tcp_opts_walk(struct xdp_md *ctx, const struct frame *f, void *base,
				       __u32 len, struct tcp_opts *opts)
{
	__u64 zero = tcpopt_zero;
	__s64 pos;

	/* Through zero, so that what the walk fills in is one state to the verifier (above). */
	opts->mss = zero;
	opts->wscale = zero;
	opts->flags = zero;
	opts->tsval = zero;
	opts->tsecr = zero;
	pos = tcp_opts_steps(base, (void *)(long)ctx->data_end, zero, len, opts, zero,
			     TCP_OPTS_INLINE_STEPS);
	if (pos >= 0)
		xdp_tcp_opts_rest(ctx, f->l4_off + sizeof(struct tcphdr), pos, len, opts);
	if (opts->wscale > TCP_MAX_WSCALE)
		opts->wscale = TCP_MAX_WSCALE;
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
	xdp_tcp_opts_walk(ctx, f, o, len, opts);
}

#endif /* SHAKEOFF_BPF_TCPOPT_XDP_H */
