/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TCP checksum of a received segment, checked the way Linux checks one
 * nothing has verified yet (tcp_checksum_complete()), for the segments guard
 * and serve answer themselves: a reply to a corrupted segment is a reply
 * Linux would never send.
 *
 * XDP cannot see the skb's ip_summed. A frame from a local sender on veth
 * carries CHECKSUM_PARTIAL: its checksum field holds only the pseudo-header
 * sum the sender's NIC would have completed. Such a segment is taken as good
 * (TCP_CSUM_PARTIAL), as Linux takes it; a sender on a real wire could forge
 * that one pattern, which Linux would drop and we answer. README, Robustness.
 */
#ifndef SHAKEOFF_BPF_TCP_CSUM_H
#define SHAKEOFF_BPF_TCP_CSUM_H

#include "csum.h"
#include "parse.h"

enum tcp_csum_result {
	TCP_CSUM_OK = 0, /* the checksum over pseudo header and segment checks out */
	TCP_CSUM_PARTIAL, /* the field holds the pseudo-header sum only (local sender) */
	TCP_CSUM_BAD, /* neither: corrupted or forged */
	TCP_CSUM_UNVERIFIED, /* longer than we sum, or deeper in the frame: left as it came */
};

/* The longest segment summed: more than a page-sized XDP frame holds. */
#define TCP_CSUM_MAX_LEN 4096

/* The pseudo header's sum (32-bit words as loaded) for f's addresses and a segment of len. */
SHAKEOFF_INLINE __u64 tcp_pseudo_sum(const struct frame *f, __u32 len)
{
	__u64 pseudo;

	if (f->ipv6)
		pseudo = (__u64)f->saddr[0] + f->saddr[1] + f->saddr[2] + f->saddr[3] +
			 f->daddr[0] + f->daddr[1] + f->daddr[2] + f->daddr[3];
	else
		pseudo = (__u64)f->saddr[0] + f->daddr[0];
	return pseudo + (__u16)bpf_htons(IPPROTO_TCP) + (__u16)bpf_htons((__u16)len);
}

/* A 64-bit sum of 32-bit words (as loaded) folded to the 16-bit one's complement. */
SHAKEOFF_INLINE __u32 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)sum;
}

/* CHECKSUM_PARTIAL: the field is the folded pseudo-header sum, not complemented. */
/* What tcp_csum_verify() says of a sum over pseudo header and segment, and the field. */
SHAKEOFF_INLINE int tcp_csum_result(__u64 sum, __u64 pseudo, __u16 field)
{
	if (csum_fold(csum_fold64(sum + pseudo)) == 0)
		return TCP_CSUM_OK;
	if (field == (__u16)~csum_fold(csum_fold64(pseudo)))
		return TCP_CSUM_PARTIAL;
	return TCP_CSUM_BAD;
}

/*
 * Check the TCP checksum of f's segment in ctx's frame; an enum
 * tcp_csum_result. Global, verified once: its loops run up to 80 times, a
 * cost no caller's state should multiply.
 */
__noinline int tcp_csum_verify(struct xdp_md *ctx, const struct frame *f)
{
	__u64 l4, len, i, off = 0, sum = 0, pseudo = 0;
	void *data, *data_end, *p;
	__u16 field;
	__u8 *tail;
	__u32 t = 0;

	if (!ctx || !f)
		return TCP_CSUM_BAD;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (f->l4_off > 0x3ff)
		return TCP_CSUM_UNVERIFIED; /* behind ~1 KB of IPv6 options: not summed */
	l4 = f->l4_off & 0x3ff;
	len = (__u64)f->tcp_hlen + f->payload_len;
	if (len < sizeof(struct tcphdr))
		return TCP_CSUM_BAD;
	p = data + l4;
	if (p + sizeof(struct tcphdr) > data_end)
		return TCP_CSUM_BAD;
	field = ((struct tcphdr *)p)->check;

	pseudo = tcp_pseudo_sum(f, len);
	/* first, as it costs nothing: GRO in generic mode leaves merged segments partial too */
	if (field == (__u16)~csum_fold(csum_fold64(pseudo)))
		return TCP_CSUM_PARTIAL;
	if (len > TCP_CSUM_MAX_LEN)
		return TCP_CSUM_UNVERIFIED;

	/* 64-byte chunks by the kernel's csum_partial(), the rest word by word */
	for (i = 0; i < TCP_CSUM_MAX_LEN / 64; i++) {
		void *q = p + off;

		if (off + 64 > len)
			break;
		if (q + 64 > data_end)
			return TCP_CSUM_BAD;
		sum += (__u32)bpf_csum_diff(NULL, 0, q, 64, 0);
		off += 64;
	}
	for (i = 0; i < 16; i++) {
		__u32 *w = p + off;

		if (off + 4 > len)
			break;
		if ((void *)(w + 1) > data_end)
			return TCP_CSUM_BAD;
		sum += *w;
		off += 4;
	}
	/* 1 to 3 bytes left: in a zeroed word, at the places they would have in one */
	tail = p + (off & (TCP_CSUM_MAX_LEN - 1));
	for (i = 0; i < 3; i++) {
		if (i >= (len & 3))
			break;
		if ((void *)(tail + i + 1) > data_end)
			return TCP_CSUM_BAD;
		((__u8 *)&t)[i] = tail[i];
	}
	sum += t;
	return tcp_csum_result(sum, pseudo, field);
}

/*
 * tcp_csum_verify() for what nearly every segment guard answers is: a
 * header alone (a SYN, a bare ACK), summed inline, word by word with
 * constant offsets; anything with payload goes to the global loop. Inline,
 * the header costs about a third of the call and loop.
 */
SHAKEOFF_INLINE int tcp_csum_check(struct xdp_md *ctx, const struct frame *f)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 nw = f->tcp_hlen / 4, i;
	__u32 *w = data + (f->l4_off & 0x3ff), *opt;
	__u64 sum = 0;

	if (f->payload_len || nw > TCP_MAX_OPT_LEN / 4 + 5 || f->l4_off > 0x3ff)
		return tcp_csum_verify(ctx, f);
	if ((void *)(w + 5) > data_end)
		return TCP_CSUM_BAD;
	sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
	/* the options, a word at a time behind a cursor */
	opt = w + 5;
	for (i = 5; i < TCP_MAX_OPT_LEN / 4 + 5; i++) {
		if (i >= nw)
			break;
		/* keeps clang from rewriting the check as arithmetic on data_end */
		barrier_var(opt);
		if ((void *)(opt + 1) > data_end)
			return TCP_CSUM_BAD;
		sum += *opt;
		opt++;
	}
	return tcp_csum_result(sum, tcp_pseudo_sum(f, f->tcp_hlen), ((struct tcphdr *)w)->check);
}

#endif /* SHAKEOFF_BPF_TCP_CSUM_H */
