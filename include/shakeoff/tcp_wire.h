/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP on the wire, defined once for the BPF programs and user space: header
 * flags, option kinds and lengths, and the option layouts shakeoff writes —
 * a SYN-ACK laid out the way Linux lays it out, and the timestamp and SACK
 * options of later segments.
 *
 * The writers fill 32-bit words in network byte order and return how many
 * they used; a caller copies the words behind the TCP header. Both XDP
 * programs write their SYN-ACKs with tcp_synack_opts(), and so does serve's
 * controller when it retransmits one, so all three stay byte-identical.
 */
#ifndef SHAKEOFF_TCP_WIRE_H
#define SHAKEOFF_TCP_WIRE_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

#include <shakeoff/inline.h>

/* Header flags (byte 13 of the TCP header). */
#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10
#define TCP_F_URG 0x20
#define TCP_F_ECE 0x40
#define TCP_F_CWR 0x80

/* Option kinds (RFC 9293, 7323, 2018) and their lengths. */
#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WS 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TS 8

#define TCP_OLEN_MSS 4
#define TCP_OLEN_WS 3
#define TCP_OLEN_SACK_PERM 2
#define TCP_OLEN_TS 10
#define TCP_OLEN_SACK_BLOCK 8 /* per block, after the 2-byte kind/length */

#define TCP_MAX_WSCALE 14 /* RFC 7323 2.3: larger shifts are taken as 14 */
#define TCP_MAX_OPT_LEN 40
#define TCP_SACK_BLOCKS_MAX 4 /* blocks one segment can carry */

/* Words tcp_synack_opts() may write: MSS, SACK_PERM+TS (3 words), NOP WS. */
#define TCP_SYNACK_OPT_WORDS 5
#define TCP_MAX_OPT_WORDS (TCP_MAX_OPT_LEN / 4)

SHAKEOFF_INLINE __be32 tcp_wire_be32(__u32 x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__be32)__builtin_bswap32(x);
#else
	return (__be32)x;
#endif
}

/* Four option bytes as one word in wire order. */
SHAKEOFF_INLINE __be32 tcp_opt_word(__u8 a, __u8 b, __u8 c, __u8 d)
{
	return tcp_wire_be32(((__u32)a << 24) | ((__u32)b << 16) | ((__u32)c << 8) | d);
}

/* What a SYN-ACK carries: the options both sides agreed on, and our values for them. */
struct tcp_synack_opt {
	__u16 mss; /* ours */
	__u8 wscale; /* our shift, written if ws */
	__u8 sack : 1, ts : 1, ws : 1;
	__u32 tsval, tsecr;
};

/*
 * A SYN-ACK's options in Linux's order (tcp_options_write()): MSS; then
 * SACK_PERM+TS, NOP NOP TS or NOP NOP SACK_PERM; then NOP WS. Writes at most
 * TCP_SYNACK_OPT_WORDS words; returns the count.
 */
SHAKEOFF_INLINE __u32 tcp_synack_opts(__be32 *w, const struct tcp_synack_opt *o)
{
	__be32 ws = tcp_opt_word(TCP_OPT_NOP, TCP_OPT_WS, TCP_OLEN_WS, o->wscale);

	/* constant indices in every branch: the verifier sees fixed stack slots */
	w[0] = tcp_opt_word(TCP_OPT_MSS, TCP_OLEN_MSS, 0, 0) | tcp_wire_be32(o->mss);
	if (o->ts) {
		if (o->sack)
			w[1] = tcp_opt_word(TCP_OPT_SACK_PERM, TCP_OLEN_SACK_PERM, TCP_OPT_TS,
					    TCP_OLEN_TS);
		else
			w[1] = tcp_opt_word(TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, TCP_OLEN_TS);
		w[2] = tcp_wire_be32(o->tsval);
		w[3] = tcp_wire_be32(o->tsecr);
		if (!o->ws)
			return 4;
		w[4] = ws;
		return 5;
	}
	if (o->sack) {
		w[1] = tcp_opt_word(TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK_PERM,
				    TCP_OLEN_SACK_PERM);
		if (!o->ws)
			return 2;
		w[2] = ws;
		return 3;
	}
	if (!o->ws)
		return 1;
	w[1] = ws;
	return 2;
}

/* NOP NOP TS: the timestamp option of a segment after the handshake. Writes 3 words. */
SHAKEOFF_INLINE __u32 tcp_ts_opt(__be32 *w, __u32 tsval, __u32 tsecr)
{
	w[0] = tcp_opt_word(TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, TCP_OLEN_TS);
	w[1] = tcp_wire_be32(tsval);
	w[2] = tcp_wire_be32(tsecr);
	return 3;
}

/* NOP NOP SACK for n blocks (1..4): the word before the blocks' start/end pairs. */
SHAKEOFF_INLINE __be32 tcp_sack_opt_head(__u32 n)
{
	return tcp_opt_word(TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK, 2 + TCP_OLEN_SACK_BLOCK * n);
}

#endif /* SHAKEOFF_TCP_WIRE_H */
