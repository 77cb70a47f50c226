/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pre-flight screen both XDP programs run on a frame before their own
 * work: parse it (parse.h), ask the caller whether it is for us, and weed out
 * what no handshake code should see. Map-free: what "for us" means is the
 * caller's (guard keeps its ports in a map, serve in its configuration), and
 * so is the counter each outcome goes to.
 */
#ifndef SHAKEOFF_BPF_SCREEN_H
#define SHAKEOFF_BPF_SCREEN_H

#include "parse.h"
#include "addr.h"
#include "csum.h"

/* What the screen found, in the order it checks. */
enum screen_result {
	SCREEN_OK = 0, /* a whole TCP header for us, nothing amiss */
	/* passed to the kernel untouched */
	SCREEN_NOT_TCP, /* not IPv4/IPv6 TCP */
	SCREEN_UNPARSED, /* headers too short to classify */
	SCREEN_NOT_OURS, /* TCP, but the caller's address or port test said no */
	/* dropped */
	SCREEN_VLAN_DEEP, /* a VLAN tag stack deeper than the parser walks */
	SCREEN_IP_LEN, /* the IP length says more than the frame holds */
	SCREEN_IP_CSUM, /* a bad IPv4 header checksum */
	SCREEN_IP_SRCROUTE, /* an IPv4 source route (LSRR/SSRR) */
	SCREEN_FRAGMENT, /* an IP fragment of TCP to one of our addresses */
	SCREEN_IP6_EXT, /* an IPv6 extension header we do not walk */
	SCREEN_MALFORMED, /* bad IP/TCP header length */
	SCREEN_L2_MULTICAST, /* to a broadcast/multicast MAC */
	SCREEN_L2_BAD_SRC, /* from a broadcast/multicast or all-zero MAC */
	SCREEN_SPORT_ZERO, /* source port 0 */
	SCREEN_MARTIAN, /* a source no real client has (addr_src_martian()) */
	SCREEN_SYN_FIN, /* SYN with FIN */
	SCREEN_SYN_RST, /* SYN with RST */
};

/*
 * One of the caller's tests: is the frame's destination address ours (asked
 * once the addresses are parsed), and then its port (once the ports are, and
 * only if the address was)? Returns non-zero for yes; may note what it looked
 * up (a configuration, a port's flags) in the caller's priv.
 */
typedef int (*screen_test_fn)(void *priv, const struct frame *f);

/* A header's sum of 32-bit words as loaded (byte-order free): does it check out? */
SHAKEOFF_INLINE int ip_csum_ok(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold((__u32)sum) == 0;
}

/*
 * The rare part of screen_ip(): an IPv4 header with options. sum is the
 * fixed 20 bytes' word sum; the options are added, and walked for a source
 * route. A global function, verified once: inline, its loop and option
 * buffer doubled the states the verifier walks through both programs. The
 * options are copied word by word (bpf_xdp_load_bytes() here cost as much).
 */
__noinline int screen_ip_opts(struct xdp_md *ctx, __u64 l3_off, __u64 sum)
{
	struct tcp_opt_buf buf = {};
	void *data, *data_end;
	struct iphdr *iph;
	__u32 *opt, *bw = (__u32 *)buf.bytes, olen, i;

	if (!ctx)
		return SCREEN_OK;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	iph = data + (l3_off & 0x3ff);
	if ((void *)(iph + 1) > data_end)
		return SCREEN_OK;
	olen = iph->ihl * 4 - sizeof(*iph);
	opt = (__u32 *)(iph + 1);
	for (i = 0; i < TCP_MAX_OPT_LEN / 4; i++) {
		if (i * 4 >= olen)
			break;
		if ((void *)(opt + i + 1) > data_end)
			return SCREEN_IP_LEN;
		bw[i] = opt[i];
	}
	/* the rest of buf is zero: summing all of it costs no branch per word */
#pragma unroll
	for (i = 0; i < TCP_MAX_OPT_LEN / 4; i++)
		sum += bw[i];
	if (!ip_csum_ok(sum))
		return SCREEN_IP_CSUM;
	return ip4_opts_srcroute(&buf, olen) ? SCREEN_IP_SRCROUTE : SCREEN_OK;
}

/*
 * What Linux's ip_rcv_core() and ip_rcv_options() drop before any socket
 * sees a frame: an IP length beyond the frame, a bad IPv4 header checksum,
 * a source route. SCREEN_OK if none. Inline for what nearly every frame is
 * (IPv4 without options, IPv6); options go to screen_ip_opts().
 */
SHAKEOFF_INLINE int screen_ip(struct xdp_md *ctx, const struct frame *f)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 l3 = f->l3_off & 0x3ff, avail = data_end - data;
	struct iphdr *iph = data + l3;
	__u64 sum;
	__u32 *w;

	if (f->ipv6) {
		struct ipv6hdr *ip6h = data + l3;

		if ((void *)(ip6h + 1) > data_end)
			return SCREEN_OK; /* the parser saw it whole; the verifier wants it again */
		return l3 + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len) > avail ? SCREEN_IP_LEN :
										   SCREEN_OK;
	}
	if ((void *)(iph + 1) > data_end)
		return SCREEN_OK;
	if (l3 + bpf_ntohs(iph->tot_len) > avail)
		return SCREEN_IP_LEN;
	w = (__u32 *)iph;
	sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
	if (iph->ihl != 5)
		return screen_ip_opts(ctx, l3, sum);
	return ip_csum_ok(sum) ? SCREEN_OK : SCREEN_IP_CSUM;
}

/*
 * Parse the frame into *f and screen it; returns an enum screen_result.
 * Always inlined with constant tests, which clang then inlines too (BPF has
 * no indirect calls): the code is what the checks would be written out.
 */
SHAKEOFF_INLINE int screen_frame(struct xdp_md *ctx, struct frame *f, screen_test_fn addr_ours,
				 screen_test_fn port_ours, void *priv)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int st = frame_parse(data, data_end, f), sc;

	if (st == PARSE_NOT_TCP)
		return SCREEN_NOT_TCP;
	if (st == PARSE_SHORT)
		return SCREEN_UNPARSED;
	if (st == PARSE_VLAN_DEEP)
		return SCREEN_VLAN_DEEP;
	if (!addr_ours(priv, f))
		return SCREEN_NOT_OURS;
	if (st == PARSE_FRAGMENT)
		return SCREEN_FRAGMENT;
	if (st == PARSE_IP6_EXT)
		return SCREEN_IP6_EXT;
	if (!port_ours(priv, f))
		return SCREEN_NOT_OURS;
	if (st != PARSE_TCP)
		return SCREEN_MALFORMED;
	/* after the cheap tests: only whole TCP frames for us pay for it */
	sc = screen_ip(ctx, f);
	if (sc != SCREEN_OK)
		return sc;
	/* the group bit: first byte of the destination, wherever it sits in the half */
	if (((__u8 *)f->dmac)[0] & 1)
		return SCREEN_L2_MULTICAST;
	/* a reply to these would go to the whole segment (or nowhere) */
	if ((((__u8 *)f->smac)[0] & 1) || !(f->smac[0] | f->smac[1] | f->smac[2]))
		return SCREEN_L2_BAD_SRC;
	if (!f->sport)
		return SCREEN_SPORT_ZERO;
	if (addr_src_martian(f))
		return SCREEN_MARTIAN;
	if (f->tcp_flags & TCP_F_SYN) {
		if (f->tcp_flags & TCP_F_FIN)
			return SCREEN_SYN_FIN;
		if (f->tcp_flags & TCP_F_RST)
			return SCREEN_SYN_RST;
	}
	return SCREEN_OK;
}

/* The verdict for an outcome other than SCREEN_OK. */
SHAKEOFF_INLINE int screen_verdict(int sc)
{
	return sc < SCREEN_VLAN_DEEP ? XDP_PASS : XDP_DROP;
}

#endif /* SHAKEOFF_BPF_SCREEN_H */
