// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's own reading of a frame, written from the RFCs (791, 8200,
 * 9293, 1071) without looking at bpf/lib: whatever the programs get wrong,
 * this gets wrong differently.
 */
#include <string.h>

#include "fz.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t fz_sum(const uint8_t *d, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

uint16_t fz_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t fz_ip4_csum(const uint8_t *iph, size_t ihl)
{
	/* every 16-bit word but the checksum field's own */
	uint32_t sum = fz_sum(iph, 10, 0) + fz_sum(iph + 12, ihl - 12, 0);

	return (uint16_t)~fz_fold(sum);
}

/* What a sender leaving the sum to its NIC writes: the pseudo header's sum, folded, not inverted. */
static uint16_t fz_pseudo_fold(const struct fz_pkt *p, size_t tcp_len)
{
	size_t alen = p->ipv == 4 ? 4 : 16;
	uint32_t sum = fz_sum(p->saddr, alen, 0);

	sum = fz_sum(p->daddr, alen, sum);
	return fz_fold(sum + 6 + (uint32_t)tcp_len);
}

uint16_t fz_tcp_csum(const uint8_t *d, const struct fz_pkt *p, size_t tcp_len)
{
	const uint8_t *th = d + p->l4;
	uint32_t sum = 0;

	if (p->ipv == 4) {
		sum = fz_sum(p->saddr, 4, sum);
		sum = fz_sum(p->daddr, 4, sum);
	} else {
		sum = fz_sum(p->saddr, 16, sum);
		sum = fz_sum(p->daddr, 16, sum);
	}
	sum += 6 + (uint32_t)tcp_len;
	sum = fz_sum(th, 16, sum); /* up to the checksum field */
	sum = fz_sum(th + 18, tcp_len - 18, sum);
	return (uint16_t)~fz_fold(sum);
}

static void parse_ip4(const uint8_t *d, size_t len, struct fz_pkt *p)
{
	const uint8_t *h = d + p->l3;
	size_t i, tot;
	uint16_t fo;

	if (p->l3 + 20 > len || (h[0] >> 4) != 4)
		return;
	p->ihl = (h[0] & 0xf) * 4;
	tot = be16(h + 2);
	p->ip_len_beyond = p->l3 + tot > len;
	p->ip_end = p->ip_len_beyond ? len : p->l3 + tot;
	if (p->ihl < 20 || p->l3 + (size_t)p->ihl > len)
		return;
	p->ipv = 4;
	p->ip4_csum_ok = fz_ip4_csum(h, (size_t)p->ihl) == be16(h + 10);
	fo = be16(h + 6);
	p->frag = (fo & 0x2000) || (fo & 0x1fff);
	p->proto = h[9];
	memcpy(p->saddr, h + 12, 4);
	memcpy(p->daddr, h + 16, 4);
	for (i = 20; i < (size_t)p->ihl;) {
		uint8_t kind = h[i];

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (kind == 131 || kind == 137)
			p->srcroute = true;
		if (i + 1 >= (size_t)p->ihl || h[i + 1] < 2)
			break;
		i += h[i + 1];
	}
	if (p->proto == 6 && !p->frag && tot >= (size_t)p->ihl)
		p->l4 = p->l3 + (size_t)p->ihl;
}

static void parse_ip6(const uint8_t *d, size_t len, struct fz_pkt *p)
{
	const uint8_t *h = d + p->l3;
	size_t off, plen;
	uint8_t nh;
	int hops;

	if (p->l3 + 40 > len || (h[0] >> 4) != 6)
		return;
	p->ipv = 6;
	plen = be16(h + 4);
	p->ip_len_beyond = p->l3 + 40 + plen > len;
	p->ip_end = p->ip_len_beyond ? len : p->l3 + 40 + plen;
	memcpy(p->saddr, h + 8, 16);
	memcpy(p->daddr, h + 24, 16);
	nh = h[6];
	off = p->l3 + 40;
	for (hops = 0; hops < 8; hops++) {
		if (nh == 6)
			break;
		if (nh == 44)
			p->frag = true;
		if (nh != 0 && nh != 60) {
			p->ip6_ext_bad = true;
			break;
		}
		if (off + 8 > len)
			return;
		nh = d[off];
		off += 8 + (size_t)d[off + 1] * 8;
	}
	p->proto = nh;
	if (nh == 6 && !p->ip6_ext_bad)
		p->l4 = off;
}

void fz_parse(const uint8_t *d, size_t len, struct fz_pkt *p)
{
	size_t off = 14;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	p->len = len;
	if (len < 14)
		return;
	memcpy(p->dmac, d, 6);
	memcpy(p->smac, d + 6, 6);
	et = be16(d + 12);
	while ((et == 0x8100 || et == 0x88a8) && p->nvlan < FZ_VLAN_WALK && off + 4 <= len) {
		et = be16(d + off + 2);
		off += 4;
		p->nvlan++;
	}
	p->ethertype = et;
	p->l3 = off;
	if (et == 0x0800)
		parse_ip4(d, len, p);
	else if (et == 0x86dd)
		parse_ip6(d, len, p);
	if (!p->l4 || p->l4 + 20 > p->ip_end)
		return;
	{
		const uint8_t *th = d + p->l4;

		p->doff = (th[12] >> 4) * 4;
		if (p->doff < 20 || p->l4 + (size_t)p->doff > p->ip_end)
			return;
		p->tcp = true;
		p->sport = be16(th);
		p->dport = be16(th + 2);
		p->seq = be32(th + 4);
		p->ack = be32(th + 8);
		p->flags = th[13];
		p->win = be16(th + 14);
		p->payload = (uint32_t)(p->ip_end - p->l4 - (size_t)p->doff);
		p->tcp_csum_ok = fz_tcp_csum(d, p, p->ip_end - p->l4) == be16(th + 16);
		p->tcp_csum_partial = fz_pseudo_fold(p, p->ip_end - p->l4) == be16(th + 16);
	}
}

void fz_fix_csums(uint8_t *d, size_t len)
{
	struct fz_pkt p;
	uint16_t c;

	fz_parse(d, len, &p);
	if (p.ipv == 4) {
		c = fz_ip4_csum(d + p.l3, (size_t)p.ihl);
		d[p.l3 + 10] = c >> 8;
		d[p.l3 + 11] = c & 0xff;
	}
	if (p.tcp) {
		c = fz_tcp_csum(d, &p, p.ip_end - p.l4);
		d[p.l4 + 16] = c >> 8;
		d[p.l4 + 17] = c & 0xff;
	}
}

bool fz_tcp_opts_ok(const uint8_t *d, const struct fz_pkt *p)
{
	const uint8_t *o = d + p->l4 + 20;
	size_t n = (size_t)p->doff - 20, i = 0;

	while (i < n) {
		if (o[i] == 0)
			return true;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return false;
		i += o[i + 1];
	}
	return true;
}

bool fz_src_martian(const struct fz_pkt *p)
{
	static const uint8_t zero[16], loop6[16] = { [15] = 1 };
	const uint8_t *s = p->saddr;

	if (p->ipv == 4)
		return s[0] == 0 || s[0] == 127 || s[0] >= 224;
	return !memcmp(s, zero, 16) || !memcmp(s, loop6, 16) || s[0] == 0xff;
}
