/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames for BPF unit tests: packed wire structs, a builder for
 * Ethernet / VLAN / IPv4 / IPv6 (+ extension headers) / TCP / UDP frames, a
 * parser for what a program sends back, and an RFC 1071 checksum written
 * independently of bpf/lib/csum.h so a reply's checksums are checked by code
 * that shares nothing with the code that made them.
 *
 * Struct fields are in network byte order, as on the wire; pkt_spec fields
 * are in host order unless they are byte arrays.
 */
#ifndef SHAKEOFF_TEST_PKT_H
#define SHAKEOFF_TEST_PKT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX 2048
#define PKT_MAX_VLAN 4 /* tags a spec may carry: more than the programs walk */

#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_ARP 0x0806
#define PKT_ETH_P_IPV6 0x86dd
#define PKT_ETH_P_8021Q 0x8100
#define PKT_ETH_P_8021AD 0x88a8

#define PKT_IPPROTO_HOPOPTS 0
#define PKT_IPPROTO_ICMP 1
#define PKT_IPPROTO_TCP 6
#define PKT_IPPROTO_UDP 17
#define PKT_IPPROTO_ROUTING 43
#define PKT_IPPROTO_FRAGMENT 44
#define PKT_IPPROTO_DSTOPTS 60

#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10
#define PKT_ECE 0x40
#define PKT_CWR 0x80

struct pkt_eth {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t proto;
} __attribute__((packed));

struct pkt_vlan {
	uint16_t tci;
	uint16_t proto; /* the encapsulated protocol */
} __attribute__((packed));

struct pkt_ip4 {
	uint8_t ver_ihl;
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;
	uint8_t ttl;
	uint8_t proto;
	uint16_t check;
	uint8_t saddr[4];
	uint8_t daddr[4];
} __attribute__((packed));

struct pkt_ip6 {
	uint32_t ver_tc_flow;
	uint16_t payload_len;
	uint8_t nexthdr;
	uint8_t hop_limit;
	uint8_t saddr[16];
	uint8_t daddr[16];
} __attribute__((packed));

/* Hop-by-hop, destination options, routing and fragment headers, all 8 bytes here. */
struct pkt_ip6_ext {
	uint8_t nexthdr;
	uint8_t hdrlen; /* in 8-byte units, not counting the first 8 */
	uint8_t body[6];
} __attribute__((packed));

struct pkt_tcp {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t doff; /* data offset in the high nibble */
	uint8_t flags;
	uint16_t window;
	uint16_t check;
	uint16_t urg;
} __attribute__((packed));

struct pkt_udp {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t check;
} __attribute__((packed));

/* What to build. Zero-initialise, then set what the frame needs. */
struct pkt_spec {
	uint8_t dmac[6];
	uint8_t smac[6];
	uint16_t ethertype; /* 0: IPv4/IPv6 by .ipv6; anything else: .payload_len bytes of body */
	uint8_t nvlan;
	uint16_t vlan_proto[PKT_MAX_VLAN]; /* outermost first */
	uint16_t vlan_tci[PKT_MAX_VLAN];
	bool ipv6;
	uint8_t l4proto; /* 0: TCP */
	uint8_t saddr[16]; /* IPv4 uses the first 4 bytes */
	uint8_t daddr[16];
	uint8_t ttl; /* 0: 64 */
	uint8_t tos; /* IPv4 TOS, IPv6 traffic class (the low two bits: ECN) */
	uint16_t frag_off; /* IPv4 flags and fragment offset */
	uint8_t ipopt[40]; /* IPv4 options */
	uint8_t ipopt_len; /* multiple of 4 */
	uint8_t n_ext; /* IPv6 extension headers, 8 bytes each, in this order */
	uint8_t ext[4];
	uint8_t ihl_override; /* non-zero: IPv4 ihl field & 0xf (malformed frames; 0x10 for 0) */
	uint8_t version_override; /* non-zero: IP version field */
	int16_t ip_len_delta; /* added to the IPv4 total / IPv6 payload length */
	uint16_t ip_csum_xor; /* XORed into the IPv4 header checksum (0: a correct one) */
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t window;
	uint8_t tcpopt[40];
	uint8_t tcpopt_len; /* padded with EOL to a multiple of 4 */
	uint8_t doff_override; /* non-zero: TCP data offset & 0xf (malformed frames; 0x10 for 0) */
	uint16_t payload_len; /* L4 payload, a byte pattern */
	uint8_t trailer; /* zero bytes after the IP packet (Ethernet padding) */
	uint16_t tcp_csum_xor; /* XORed into the TCP checksum (0: a correct one) */
	bool tcp_csum_partial; /* the field holds the pseudo-header sum (CHECKSUM_PARTIAL) */
};

/* Where the builder put things. */
struct pkt_layout {
	size_t len;
	size_t l3_off;
	size_t l4_off;
	size_t l4_hlen; /* TCP header with options (or UDP header) */
};

/* RFC 1071: big-endian 16-bit words, an odd last byte padded with zero. */
static inline uint32_t pkt_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Fold and complement: the value a checksum field must hold (host order). */
static inline uint16_t pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum of an IPv4 header, computed as if its check field were zero. */
static inline uint16_t pkt_ip4_csum(const struct pkt_ip4 *ip, size_t hlen)
{
	uint8_t tmp[60];

	if (hlen > sizeof(tmp))
		hlen = sizeof(tmp);
	memcpy(tmp, ip, hlen);
	tmp[10] = tmp[11] = 0;
	return pkt_fold(pkt_sum(tmp, hlen, 0));
}

/* The unfolded sum of an IPv4/IPv6 pseudo header. */
static inline uint32_t pkt_pseudo_sum(bool ipv6, const uint8_t *saddr, const uint8_t *daddr,
				      uint8_t proto, size_t l4_len)
{
	uint8_t pseudo[40];
	size_t alen = ipv6 ? 16 : 4;

	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, saddr, alen);
	memcpy(pseudo + alen, daddr, alen);
	if (ipv6) {
		/* 32-bit length, 24 zero bits, next header */
		pseudo[32] = l4_len >> 24;
		pseudo[33] = l4_len >> 16;
		pseudo[34] = l4_len >> 8;
		pseudo[35] = l4_len;
		pseudo[39] = proto;
		return pkt_sum(pseudo, 40, 0);
	}
	pseudo[9] = proto;
	pseudo[10] = l4_len >> 8;
	pseudo[11] = l4_len;
	return pkt_sum(pseudo, 12, 0);
}

/*
 * The checksum of an L4 segment (check field at check_off taken as zero) with
 * its pseudo header.
 */
static inline uint16_t pkt_l4_csum(bool ipv6, const uint8_t *saddr, const uint8_t *daddr,
				   uint8_t proto, const uint8_t *l4, size_t l4_len,
				   size_t check_off)
{
	uint32_t sum = pkt_pseudo_sum(ipv6, saddr, daddr, proto, l4_len);

	sum = pkt_sum(l4, check_off, sum);
	sum = pkt_sum(l4 + check_off + 2, l4_len - check_off - 2, sum);
	return pkt_fold(sum);
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Build the frame; returns its length (0 if it does not fit in cap). */
static inline size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap,
			       struct pkt_layout *lay)
{
	size_t off = 0, l3_off, l4_off, l4_hlen = 0, l4_len, i;
	uint16_t proto;
	uint8_t l4proto = s->l4proto ? s->l4proto : PKT_IPPROTO_TCP;
	uint8_t ttl = s->ttl ? s->ttl : 64;
	struct pkt_layout dummy;

	if (!lay)
		lay = &dummy;
	memset(lay, 0, sizeof(*lay));
	if (cap < 14 + 8 + 60 + 4 * 8 + 60 + (size_t)s->payload_len + s->trailer)
		return 0;
	memset(buf, 0, cap);

	proto = s->ethertype ? s->ethertype : (s->ipv6 ? PKT_ETH_P_IPV6 : PKT_ETH_P_IP);
	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	pkt_put16(buf + 12, s->nvlan ? s->vlan_proto[0] : proto);
	off = 14;
	for (i = 0; i < s->nvlan && i < PKT_MAX_VLAN; i++) {
		pkt_put16(buf + off, s->vlan_tci[i]);
		pkt_put16(buf + off + 2,
			  i + 1 < s->nvlan && i + 1 < PKT_MAX_VLAN ? s->vlan_proto[i + 1] : proto);
		off += 4;
	}
	l3_off = off;
	lay->l3_off = l3_off;

	if (s->ethertype && s->ethertype != PKT_ETH_P_IP && s->ethertype != PKT_ETH_P_IPV6) {
		for (i = 0; i < s->payload_len; i++)
			buf[off + i] = (uint8_t)(0xa0 + i);
		lay->len = off + s->payload_len;
		return lay->len;
	}

	/* L4 first, so the IP lengths are known. */
	if (s->ipv6)
		l4_off = l3_off + sizeof(struct pkt_ip6) + 8 * (size_t)s->n_ext;
	else
		l4_off = l3_off + sizeof(struct pkt_ip4) + s->ipopt_len;
	lay->l4_off = l4_off;

	if (l4proto == PKT_IPPROTO_TCP) {
		struct pkt_tcp *th = (struct pkt_tcp *)(buf + l4_off);
		size_t optlen = (s->tcpopt_len + 3u) & ~3u;

		l4_hlen = sizeof(*th) + optlen;
		th->sport = htons(s->sport);
		th->dport = htons(s->dport);
		th->seq = htonl(s->seq);
		th->ack = htonl(s->ack);
		th->doff = (s->doff_override ? s->doff_override & 0xf : l4_hlen / 4) << 4;
		th->flags = s->flags;
		th->window = htons(s->window);
		memcpy(th + 1, s->tcpopt, s->tcpopt_len);
	} else if (l4proto == PKT_IPPROTO_UDP) {
		struct pkt_udp *uh = (struct pkt_udp *)(buf + l4_off);

		l4_hlen = sizeof(*uh);
		uh->sport = htons(s->sport);
		uh->dport = htons(s->dport);
		uh->len = htons(l4_hlen + s->payload_len);
	}
	for (i = 0; i < s->payload_len; i++)
		buf[l4_off + l4_hlen + i] = (uint8_t)(0x30 + i);
	l4_len = l4_hlen + s->payload_len;
	lay->l4_hlen = l4_hlen;

	if (s->ipv6) {
		struct pkt_ip6 *ip6 = (struct pkt_ip6 *)(buf + l3_off);
		uint8_t next = l4proto;

		ip6->ver_tc_flow =
			htonl((uint32_t)(s->version_override ? s->version_override : 6) << 28 |
			      (uint32_t)s->tos << 20);
		ip6->payload_len = htons(8 * s->n_ext + l4_len + s->ip_len_delta);
		ip6->hop_limit = ttl;
		memcpy(ip6->saddr, s->saddr, 16);
		memcpy(ip6->daddr, s->daddr, 16);
		/* Chain the extension headers back to front. */
		for (i = s->n_ext; i-- > 0;) {
			struct pkt_ip6_ext *eh =
				(struct pkt_ip6_ext *)(buf + l3_off + sizeof(*ip6) + 8 * i);

			eh->nexthdr = next;
			eh->hdrlen = 0;
			if (s->ext[i] == PKT_IPPROTO_HOPOPTS || s->ext[i] == PKT_IPPROTO_DSTOPTS) {
				eh->body[0] = 1; /* PadN */
				eh->body[1] = 4;
			} else if (s->ext[i] == PKT_IPPROTO_FRAGMENT) {
				eh->hdrlen = 0; /* reserved */
				pkt_put16(eh->body, 0x0001); /* offset 0, M set */
				eh->body[5] = 0x42; /* identification */
			}
			next = s->ext[i];
		}
		ip6->nexthdr = next;
	} else {
		struct pkt_ip4 *ip = (struct pkt_ip4 *)(buf + l3_off);
		size_t ihl = sizeof(*ip) + s->ipopt_len;

		ip->ver_ihl = (s->version_override ? s->version_override : 4) << 4 |
			      (s->ihl_override ? s->ihl_override & 0xf : ihl / 4);
		ip->tot_len = htons(ihl + l4_len + s->ip_len_delta);
		ip->tos = s->tos;
		ip->id = htons(0x1234);
		ip->frag_off = htons(s->frag_off);
		ip->ttl = ttl;
		ip->proto = l4proto;
		memcpy(ip->saddr, s->saddr, 4);
		memcpy(ip->daddr, s->daddr, 4);
		memcpy(ip + 1, s->ipopt, s->ipopt_len);
		ip->check = htons(pkt_ip4_csum(ip, ihl) ^ s->ip_csum_xor);
	}

	if (l4proto == PKT_IPPROTO_TCP && s->tcp_csum_partial)
		/* what a sender leaving the sum to its NIC puts there: ~csum of the pseudo header */
		pkt_put16(buf + l4_off + 16,
			  (uint16_t)~pkt_fold(
				  pkt_pseudo_sum(s->ipv6, s->saddr, s->daddr, l4proto, l4_len)));
	else if (l4proto == PKT_IPPROTO_TCP)
		pkt_put16(buf + l4_off + 16, pkt_l4_csum(s->ipv6, s->saddr, s->daddr, l4proto,
							 buf + l4_off, l4_len, 16) ^
						     s->tcp_csum_xor);
	else if (l4proto == PKT_IPPROTO_UDP)
		pkt_put16(buf + l4_off + 6, pkt_l4_csum(s->ipv6, s->saddr, s->daddr, l4proto,
							buf + l4_off, l4_len, 6));
	lay->len = l4_off + l4_len + s->trailer;
	return lay->len;
}

/* A TCP/IP frame as a program sent it back: no IPv6 extension headers expected. */
struct pkt_view {
	const uint8_t *buf;
	size_t len;
	uint8_t nvlan;
	uint16_t vlan_proto[PKT_MAX_VLAN]; /* host order, outermost first */
	uint16_t vlan_tci[PKT_MAX_VLAN];
	bool ipv6;
	size_t l3_off;
	size_t l4_off;
	size_t ip_len; /* L3 header + L4 segment, from the IP length field */
	const struct pkt_eth *eth;
	const struct pkt_ip4 *ip4;
	const struct pkt_ip6 *ip6;
	const struct pkt_tcp *tcp;
	size_t tcp_hlen;
	size_t payload_len;
};

/* Returns NULL when buf holds a whole TCP/IP frame, else what is wrong with it. */
static inline const char *pkt_parse(const uint8_t *buf, size_t len, struct pkt_view *v)
{
	uint16_t proto;
	size_t off = 14, l3_hlen;
	uint8_t l4proto;

	memset(v, 0, sizeof(*v));
	v->buf = buf;
	v->len = len;
	if (len < 14)
		return "shorter than an Ethernet header";
	v->eth = (const struct pkt_eth *)buf;
	proto = ntohs(v->eth->proto);
	while (proto == PKT_ETH_P_8021Q || proto == PKT_ETH_P_8021AD) {
		const struct pkt_vlan *vh = (const struct pkt_vlan *)(buf + off);

		if (v->nvlan == PKT_MAX_VLAN)
			return "more VLAN tags than a spec can hold";
		if (off + sizeof(*vh) > len)
			return "VLAN tag truncated";
		v->vlan_proto[v->nvlan] = proto;
		v->vlan_tci[v->nvlan] = ntohs(vh->tci);
		v->nvlan++;
		proto = ntohs(vh->proto);
		off += sizeof(*vh);
	}
	v->l3_off = off;
	if (proto == PKT_ETH_P_IP) {
		if (off + sizeof(struct pkt_ip4) > len)
			return "IPv4 header truncated";
		v->ip4 = (const struct pkt_ip4 *)(buf + off);
		if (v->ip4->ver_ihl >> 4 != 4)
			return "IPv4 version is not 4";
		l3_hlen = (v->ip4->ver_ihl & 0xf) * 4u;
		if (l3_hlen < 20 || off + l3_hlen > len)
			return "IPv4 header length invalid";
		v->ip_len = ntohs(v->ip4->tot_len);
		l4proto = v->ip4->proto;
	} else if (proto == PKT_ETH_P_IPV6) {
		if (off + sizeof(struct pkt_ip6) > len)
			return "IPv6 header truncated";
		v->ip6 = (const struct pkt_ip6 *)(buf + off);
		v->ipv6 = true;
		if (ntohl(v->ip6->ver_tc_flow) >> 28 != 6)
			return "IPv6 version is not 6";
		l3_hlen = sizeof(struct pkt_ip6);
		v->ip_len = l3_hlen + ntohs(v->ip6->payload_len);
		l4proto = v->ip6->nexthdr;
	} else {
		return "not IPv4/IPv6";
	}
	if (l4proto != PKT_IPPROTO_TCP)
		return "not TCP";
	if (v->ip_len < l3_hlen + sizeof(struct pkt_tcp) || off + v->ip_len > len)
		return "IP length field inconsistent with the frame";
	v->l4_off = off + l3_hlen;
	v->tcp = (const struct pkt_tcp *)(buf + v->l4_off);
	v->tcp_hlen = (v->tcp->doff >> 4) * 4u;
	if (v->tcp_hlen < 20 || l3_hlen + v->tcp_hlen > v->ip_len)
		return "TCP data offset invalid";
	v->payload_len = v->ip_len - l3_hlen - v->tcp_hlen;
	return NULL;
}

static inline const uint8_t *pkt_saddr(const struct pkt_view *v)
{
	return v->ipv6 ? v->ip6->saddr : v->ip4->saddr;
}

static inline const uint8_t *pkt_daddr(const struct pkt_view *v)
{
	return v->ipv6 ? v->ip6->daddr : v->ip4->daddr;
}

/* The TCP checksum the segment in v should carry (host order). */
static inline uint16_t pkt_tcp_csum_want(const struct pkt_view *v)
{
	return pkt_l4_csum(v->ipv6, pkt_saddr(v), pkt_daddr(v), PKT_IPPROTO_TCP, v->buf + v->l4_off,
			   v->tcp_hlen + v->payload_len, 16);
}

/* TCP options as a reader sees them, parsed strictly. */
struct pkt_tcpopts {
	bool mss, ws, sack, ts;
	uint16_t mss_val;
	uint8_t ws_val;
	uint32_t tsval, tsecr;
	int other; /* options of any other kind */
	int dup; /* options seen twice */
	bool malformed;
};

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_tcp_opts(const struct pkt_view *v, struct pkt_tcpopts *o)
{
	const uint8_t *p = v->buf + v->l4_off + sizeof(struct pkt_tcp);
	size_t len = v->tcp_hlen - sizeof(struct pkt_tcp), i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = p[i + 1]) < 2 || i + olen > len) {
			o->malformed = true;
			return;
		}
		if (kind == 2 && olen == 4) {
			o->dup += o->mss;
			o->mss = true;
			o->mss_val = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
		} else if (kind == 3 && olen == 3) {
			o->dup += o->ws;
			o->ws = true;
			o->ws_val = p[i + 2];
		} else if (kind == 4 && olen == 2) {
			o->dup += o->sack;
			o->sack = true;
		} else if (kind == 8 && olen == 10) {
			o->dup += o->ts;
			o->ts = true;
			o->tsval = pkt_get32(p + i + 2);
			o->tsecr = pkt_get32(p + i + 6);
		} else {
			o->other++;
		}
		i += olen;
	}
}

#endif /* SHAKEOFF_TEST_PKT_H */
