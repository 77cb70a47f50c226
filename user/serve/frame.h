/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's frames on the user side: what XDP redirects to an AF_XDP port
 * (the frame, and the flow entry's fields XDP put in front of it) parsed,
 * and the frames the controller sends built and queued on a port. TCP
 * options are written with include/shakeoff/tcp_wire.h, as XDP writes them.
 */
#ifndef SHAKEOFF_SERVE_FRAME_H
#define SHAKEOFF_SERVE_FRAME_H

#include <stdbool.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include <shakeoff/serve_abi.h>

#include "tcp/tcp.h"

struct serve;

/* A received frame: its connection (our side as local), the TCP segment, the sender's MAC. */
struct frame_in {
	struct serve_flow_key key;
	struct tcp_seg seg; /* seg.data points into the frame */
	bool ipv6;
	__u8 smac[6];
};

/* Whether k is IPv4 (its addresses IPv4-mapped, ::ffff:a.b.c.d, as frame_parse() writes them). */
static inline bool flow_key_v4(const struct serve_flow_key *k)
{
	return !k->raddr[0] && !k->raddr[1] && k->raddr[2] == htonl(0xffff);
}

/* Ethernet (VLAN tags skipped), IPv4/IPv6, TCP and its options. 0, or -1 if it is none of ours. */
int frame_parse(const __u8 *d, __u32 len, struct frame_in *p);

/*
 * The entry XDP put in front of the frame (struct serve_xsk_meta), as a
 * serve_flow with the fields a connection block is made from; false when the
 * frame came without. The magic is cleared: the buffer returns to the kernel.
 */
bool frame_meta_take(void *data, __u32 headroom, struct serve_flow *v);

/*
 * Write an Ethernet/IP/TCP frame for k (our side, laddr:lport, as source)
 * into buf, from our_mac to peer_mac, checksums complete. opts: encoded TCP
 * options, olen a multiple of 4. buf holds at least 14 + 40 + 60 + len
 * bytes. Returns the frame length.
 */
__u32 frame_build(__u8 *buf, const __u8 *our_mac, const struct serve_flow_key *k, bool ipv6,
		  const __u8 *peer_mac, __u32 seq, __u32 ack, __u8 flags, __u16 wnd,
		  const __u8 *opts, __u32 olen, const __u8 *data, __u32 len);

/*
 * Send seg, the engine's segment, for connection k (ipv6: its family) to
 * peer_mac through port queue (port 0 if there is none such). 0 or -ENOBUFS
 * (counted in tx_drops).
 */
int frame_send_seg(struct serve *s, __u32 queue, const struct serve_flow_key *k, bool ipv6,
		   const __u8 *peer_mac, const struct tcp_seg *seg);
/* The SYN-ACK of half-open entry (k, v) again, as XDP built it (TSval for now). 0 or -ENOBUFS. */
int frame_send_synack(struct serve *s, const struct serve_flow_key *k, const struct serve_flow *v,
		      __u64 now);

#endif /* SHAKEOFF_SERVE_FRAME_H */
