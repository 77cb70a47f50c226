// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <shakeoff/tcp_wire.h>

#include "serve/frame.h"
#include "core/csum.h"
#include "core/unaligned.h"
#include "serve/serve_int.h"

int frame_parse(const __u8 *d, __u32 len, struct frame_in *p)
{
	__u32 off = 14, l4, hl, plen, i;
	__u16 proto;
	const __u8 *th;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return -1;
	memcpy(p->smac, d + 6, 6);
	proto = get_be16(d + 12);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && off + 4 <= len) {
		proto = get_be16(d + off + 2);
		off += 4;
	}
	if (proto == ETH_P_IP) {
		if (off + 20 > len || d[off + 9] != IPPROTO_TCP)
			return -1;
		hl = (d[off] & 0xf) * 4;
		plen = get_be16(d + off + 2);
		if (hl < 20 || plen < hl || off + plen > len)
			return -1;
		p->key.raddr[2] = htonl(0xffff);
		p->key.laddr[2] = htonl(0xffff);
		memcpy(&p->key.raddr[3], d + off + 12, 4);
		memcpy(&p->key.laddr[3], d + off + 16, 4);
		l4 = off + hl;
		plen -= hl;
	} else if (proto == ETH_P_IPV6) {
		if (off + 40 > len || d[off + 6] != IPPROTO_TCP)
			return -1;
		plen = get_be16(d + off + 4);
		if (off + 40 + plen > len)
			return -1;
		memcpy(p->key.raddr, d + off + 8, 16);
		memcpy(p->key.laddr, d + off + 24, 16);
		/*
		 * An IPv4-mapped address on the wire: Linux drops it (ip6_rcv_core()),
		 * and the flow key would take the segment for IPv4.
		 */
		if (flow_key_v4(&p->key) ||
		    (!p->key.laddr[0] && !p->key.laddr[1] && p->key.laddr[2] == htonl(0xffff)))
			return -1;
		p->ipv6 = true;
		l4 = off + 40;
	} else {
		return -1;
	}
	if (plen < 20)
		return -1;
	th = d + l4;
	hl = (th[12] >> 4) * 4;
	if (hl < 20 || hl > plen)
		return -1;
	memcpy(&p->key.rport, th, 2);
	memcpy(&p->key.lport, th + 2, 2);
	p->seg.seq = get_be32(th + 4);
	p->seg.ack = get_be32(th + 8);
	p->seg.flags = th[13];
	p->seg.wnd = get_be16(th + 14);
	p->seg.data = th + hl;
	p->seg.len = plen - hl;
	for (i = 20; i < hl;) {
		__u8 kind = th[i], olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= hl)
			break;
		olen = th[i + 1];
		if (olen < 2 || i + olen > hl)
			break;
		if (kind == TCP_OPT_TS && olen == TCP_OLEN_TS) {
			p->seg.has_ts = true;
			p->seg.tsval = get_be32(th + i + 2);
			p->seg.tsecr = get_be32(th + i + 6);
		} else if (kind == TCP_OPT_SACK && olen >= 2 + TCP_OLEN_SACK_BLOCK &&
			   (olen - 2) % TCP_OLEN_SACK_BLOCK == 0) {
			__u32 n = (olen - 2) / TCP_OLEN_SACK_BLOCK, b;

			for (b = 0; b < n && p->seg.nsack < TCP_SACK_BLOCKS_MAX; b++) {
				const __u8 *blk = th + i + 2 + (size_t)TCP_OLEN_SACK_BLOCK * b;

				p->seg.sack[p->seg.nsack].start = get_be32(blk);
				p->seg.sack[p->seg.nsack].end = get_be32(blk + 4);
				p->seg.nsack++;
			}
		}
		i += olen;
	}
	return 0;
}

bool frame_meta_take(void *data, __u32 headroom, struct serve_flow *v)
{
	struct serve_xsk_meta *m = (void *)((__u8 *)data - sizeof(*m));

	if (headroom < sizeof(*m) || m->magic != SERVE_META_MAGIC)
		return false;
	m->magic = 0;
	memset(v, 0, sizeof(*v));
	v->state = m->state;
	v->flags = m->flags;
	v->snd_wscale = m->wscales >> 4;
	v->rcv_wscale = m->wscales & 15;
	v->iss = m->iss;
	v->irs = m->irs;
	v->snd_wnd = (__u32)m->snd_wnd << v->snd_wscale;
	v->ts_recent = m->ts_recent;
	v->ts_off = m->ts_off;
	v->mss = m->mss;
	v->last_ns = m->last_ns;
	return true;
}

__u32 frame_build(__u8 *buf, const __u8 *our_mac, const struct serve_flow_key *k, bool ipv6,
		  const __u8 *peer_mac, __u32 seq, __u32 ack, __u8 flags, __u16 wnd,
		  const __u8 *opts, __u32 olen, const __u8 *data, __u32 len)
{
	__u32 l3 = 14, l4, tcplen = 20 + olen + len, sum;
	__u8 *th;

	memcpy(buf, peer_mac, 6);
	memcpy(buf + 6, our_mac, 6);
	if (ipv6) {
		put_be16(buf + 12, ETH_P_IPV6);
		memset(buf + l3, 0, 40);
		buf[l3] = 0x60;
		put_be16(buf + l3 + 4, tcplen);
		buf[l3 + 6] = IPPROTO_TCP;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, k->laddr, 16);
		memcpy(buf + l3 + 24, k->raddr, 16);
		l4 = l3 + 40;
		sum = csum_add(0, buf + l3 + 8, 32);
	} else {
		put_be16(buf + 12, ETH_P_IP);
		memset(buf + l3, 0, 20);
		buf[l3] = 0x45;
		put_be16(buf + l3 + 2, 20 + tcplen);
		put_be16(buf + l3 + 6, 0x4000); /* DF */
		buf[l3 + 8] = 64;
		buf[l3 + 9] = IPPROTO_TCP;
		memcpy(buf + l3 + 12, &k->laddr[3], 4);
		memcpy(buf + l3 + 16, &k->raddr[3], 4);
		put_raw16(buf + l3 + 10, csum_fold(csum_add(0, buf + l3, 20)));
		l4 = l3 + 20;
		sum = csum_add(0, buf + l3 + 12, 8);
	}
	th = buf + l4;
	memcpy(th, &k->lport, 2);
	memcpy(th + 2, &k->rport, 2);
	put_be32(th + 4, seq);
	put_be32(th + 8, ack);
	th[12] = ((20 + olen) / 4) << 4;
	th[13] = flags;
	put_be16(th + 14, wnd);
	put_be32(th + 16, 0); /* checksum and urgent pointer */
	memcpy(th + 20, opts, olen);
	if (len)
		memcpy(th + 20 + olen, data, len);
	sum += htons(IPPROTO_TCP + tcplen); /* the pseudo-header's protocol and length words */
	sum = csum_add(sum, th, tcplen);
	put_raw16(th + 16, csum_fold(sum));
	return l4 + tcplen;
}

static int frame_send(struct serve *s, __u32 queue, const struct serve_flow_key *k, bool ipv6,
		      const __u8 *peer_mac, __u32 seq, __u32 ack, __u8 flags, __u16 wnd,
		      const __u8 *opts, __u32 olen, const __u8 *data, __u32 len)
{
	struct xsk_port *p = &s->ports[queue < (__u32)s->nports ? queue : 0];
	__u64 addr;
	__u8 *buf = xsk_port_tx_buf(p, &addr);

	if (!buf || 14 + 40 + 60 + len > XSK_FRAME_SIZE) {
		s->tx_drops++;
		return -ENOBUFS;
	}
	if (xsk_port_tx(p, addr,
			frame_build(buf, s->mac, k, ipv6, peer_mac, seq, ack, flags, wnd, opts,
				    olen, data, len))) {
		s->tx_drops++;
		return -ENOBUFS;
	}
	s->tx_frames++;
	if (serve_trace_on(&s->trace))
		serve_trace_tx(&s->trace, k, ipv6, seq, ack, flags, wnd, opts, olen, len);
	return 0;
}

int frame_send_seg(struct serve *s, __u32 queue, const struct serve_flow_key *k, bool ipv6,
		   const __u8 *peer_mac, const struct tcp_seg *seg)
{
	__be32 opts[TCP_MAX_OPT_WORDS];
	__u32 n = 0, i;

	if (seg->has_ts)
		n = tcp_ts_opt(opts, seg->tsval, seg->tsecr);
	if (seg->nsack) {
		__u32 blocks = seg->nsack;

		if (blocks > (TCP_MAX_OPT_WORDS - n - 1) / 2)
			blocks = (TCP_MAX_OPT_WORDS - n - 1) / 2;
		opts[n++] = tcp_sack_opt_head(blocks);
		for (i = 0; i < blocks; i++) {
			opts[n++] = htonl(seg->sack[i].start);
			opts[n++] = htonl(seg->sack[i].end);
		}
	}
	return frame_send(s, queue, k, ipv6, peer_mac, seg->seq, seg->ack, seg->flags, seg->wnd,
			  (const __u8 *)opts, 4 * n, seg->data, seg->len);
}

int frame_send_synack(struct serve *s, const struct serve_flow_key *k, const struct serve_flow *v,
		      __u64 now)
{
	bool v4 = flow_key_v4(k);
	struct tcp_synack_opt so = { 0 };
	__be32 opts[TCP_SYNACK_OPT_WORDS];
	__u32 olen;

	so.mss = v4 ? s->cfg.mss4 : s->cfg.mss6;
	so.wscale = v->rcv_wscale;
	so.sack = !!(v->flags & SF_SACK);
	so.ts = !!(v->flags & SF_TS);
	so.ws = !!(v->flags & SF_WSCALE);
	so.tsval = (__u32)(now >> SERVE_TS_SHIFT) + v->ts_off;
	so.tsecr = v->ts_recent;
	olen = 4 * tcp_synack_opts(opts, &so);
	return frame_send(s, 0, k, !v4, v->peer_mac, v->iss, v->irs + 1, TCP_F_SYN | TCP_F_ACK,
			  s->cfg.win, (const __u8 *)opts, olen, NULL, 0);
}
