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

/* What the screen found, in the order it checks. */
enum screen_result {
	SCREEN_OK = 0, /* a whole TCP header for us, nothing amiss */
	/* passed to the kernel untouched */
	SCREEN_NOT_TCP, /* not IPv4/IPv6 TCP */
	SCREEN_UNPARSED, /* headers too short to classify */
	SCREEN_NOT_OURS, /* TCP, but the caller's address or port test said no */
	/* dropped */
	SCREEN_VLAN_DEEP, /* a VLAN tag stack deeper than the parser walks */
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
	int st = frame_parse(data, data_end, f);

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
