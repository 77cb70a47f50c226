// SPDX-License-Identifier: GPL-2.0
/*
 * Frames for the BPF fuzzer. Four kinds, picked per frame:
 *   random     bytes, sometimes with our MAC and a real EtherType in front
 *   struct     Ethernet + 0..4 VLAN tags / IPv4 with options and fragments
 *              or IPv6 with extension headers / TCP with any flag byte,
 *              option lists valid and malformed, lying length fields
 *   mutate     a recent struct frame with bits flipped, bytes set, cut,
 *              grown, tags inserted; checksums fixed up half the time so
 *              the mutation gets past the screen
 *   seq        the next segment of a flow in a small pool (SYN, the ACK of
 *              the SYN-ACK it got, data, FIN, RSTs in and out of the window,
 *              duplicate SYNs, old timestamps), so serve's flow table and
 *              guard's cookies see state sequences
 */
#include <string.h>

#include "fz.h"

struct spec {
	uint8_t dmac[6], smac[6];
	int nvlan;
	uint16_t tpid[4], tci[4];
	int ipv; /* 4, 6, 0: another EtherType with random bytes */
	uint16_t ethertype;
	uint8_t saddr[16], daddr[16];
	uint8_t ttl, tos, proto;
	uint16_t frag;
	uint8_t ipopt[40];
	int ipopt_len; /* multiple of 4 */
	uint8_t ext[64];
	int ext_len; /* IPv6 extension headers, chained to `proto` */
	uint8_t first_nh;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, urg;
	uint8_t topt[40];
	int topt_len; /* multiple of 4 */
	int doff_lie; /* -1, or the data offset (words) to write instead */
	uint8_t payload[96];
	int plen;
	int iplen_delta; /* added to the true IP length */
	bool bad_ipcsum, bad_tcpcsum;
	int pad; /* bytes after the IP packet */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void rand_bytes(struct fz_rng *r, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)fz_next(r);
}

static const uint8_t interesting8[] = { 0,    1,    2,	  4,	5,    0x0f, 0x10,
					0x40, 0x45, 0x7f, 0x80, 0xfe, 0xff };

/* ---------------------------------------------------------------- emit */

static size_t emit(const struct spec *s, uint8_t *buf)
{
	size_t off = 12, l3, l4, iplen, tcplen;
	uint16_t c;
	int i;

	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	for (i = 0; i < s->nvlan; i++) {
		put16(buf + off, s->tpid[i]);
		put16(buf + off + 2, s->tci[i]);
		off += 4;
	}
	put16(buf + off, s->ipv == 4 ? 0x0800 : s->ipv == 6 ? 0x86dd : s->ethertype);
	off += 2;
	l3 = off;
	if (!s->ipv) {
		memcpy(buf + off, s->payload, (size_t)s->plen);
		return off + (size_t)s->plen;
	}
	tcplen = 20 + (size_t)s->topt_len + (size_t)s->plen;
	if (s->ipv == 4) {
		size_t ihl = 20 + (size_t)s->ipopt_len;

		iplen = ihl + tcplen;
		buf[l3] = 0x40 | (uint8_t)(ihl / 4);
		buf[l3 + 1] = s->tos;
		put16(buf + l3 + 2, (uint16_t)(iplen + (size_t)s->iplen_delta));
		put16(buf + l3 + 4, 0x1234);
		put16(buf + l3 + 6, s->frag);
		buf[l3 + 8] = s->ttl;
		buf[l3 + 9] = s->proto;
		put16(buf + l3 + 10, 0);
		memcpy(buf + l3 + 12, s->saddr, 4);
		memcpy(buf + l3 + 16, s->daddr, 4);
		memcpy(buf + l3 + 20, s->ipopt, (size_t)s->ipopt_len);
		l4 = l3 + ihl;
	} else {
		iplen = 40 + (size_t)s->ext_len + tcplen;
		put32(buf + l3, 0x60000000);
		put16(buf + l3 + 4, (uint16_t)(iplen - 40 + (size_t)s->iplen_delta));
		buf[l3 + 6] = s->ext_len ? s->first_nh : s->proto;
		buf[l3 + 7] = s->ttl;
		memcpy(buf + l3 + 8, s->saddr, 16);
		memcpy(buf + l3 + 24, s->daddr, 16);
		memcpy(buf + l3 + 40, s->ext, (size_t)s->ext_len);
		l4 = l3 + 40 + (size_t)s->ext_len;
	}
	put16(buf + l4, s->sport);
	put16(buf + l4 + 2, s->dport);
	put32(buf + l4 + 4, s->seq);
	put32(buf + l4 + 8, s->ack);
	buf[l4 + 12] = (uint8_t)((s->doff_lie >= 0 ? s->doff_lie : (20 + s->topt_len) / 4) << 4);
	buf[l4 + 13] = s->flags;
	put16(buf + l4 + 14, s->win);
	put16(buf + l4 + 16, 0);
	put16(buf + l4 + 18, s->urg);
	memcpy(buf + l4 + 20, s->topt, (size_t)s->topt_len);
	memcpy(buf + l4 + 20 + s->topt_len, s->payload, (size_t)s->plen);
	off = l3 + iplen;
	memset(buf + off, 0, (size_t)s->pad);
	{
		/* checksums over the true layout, whatever the length fields claim */
		uint32_t sum = 0;

		if (s->ipv == 4) {
			c = fz_ip4_csum(buf + l3, 20 + (size_t)s->ipopt_len);
			put16(buf + l3 + 10, s->bad_ipcsum ? (uint16_t)(c ^ 0x0100) : c);
			sum = fz_sum(s->saddr, 4, 0) + fz_sum(s->daddr, 4, 0);
		} else {
			sum = fz_sum(s->saddr, 16, 0) + fz_sum(s->daddr, 16, 0);
		}
		sum += s->proto + (uint32_t)tcplen;
		c = (uint16_t)~fz_fold(fz_sum(buf + l4, tcplen, sum));
		put16(buf + l4 + 16, s->bad_tcpcsum ? (uint16_t)(c ^ 0x8000) : c);
	}
	return off + (size_t)s->pad;
}

/* ---------------------------------------------------------------- options */

static int opt_mss(uint8_t *o, uint16_t mss)
{
	o[0] = 2;
	o[1] = 4;
	put16(o + 2, mss);
	return 4;
}

static int opt_ts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	put32(o + 4, tsval);
	put32(o + 8, tsecr);
	return 12;
}

/* A list of TCP options: mostly what real SYNs carry, in any order, or garbage. */
static int tcp_opts_random(struct fz_rng *r, uint8_t *o, bool syn)
{
	int n = 0, k, cnt = (int)fz_below(r, 7);
	uint16_t mss_vals[] = { 0, 1, 88, 536, 1220, 1440, 1460, 8960, 65535 };

	if (fz_pct(r, 8)) { /* garbage of a random length */
		n = (int)fz_below(r, 11) * 4;
		rand_bytes(r, o, (size_t)n);
		return n;
	}
	for (k = 0; k < cnt && n < 36; k++) {
		switch (fz_below(r, syn ? 9 : 6)) {
		case 0:
			o[n++] = 1;
			break;
		case 1:
			if (n + 12 <= 40)
				n += opt_ts(o + n, (uint32_t)fz_next(r),
					    fz_pct(r, 50) ? 0 : (uint32_t)fz_next(r));
			break;
		case 2: /* SACK blocks */
			if (n + 10 <= 40) {
				o[n] = 5;
				o[n + 1] = 10;
				rand_bytes(r, o + n + 2, 8);
				n += 10;
			}
			break;
		case 3: /* a random kind, a random (maybe lying) length */
			o[n] = (uint8_t)fz_below(r, 40);
			o[n + 1] = interesting8[fz_below(r, sizeof(interesting8))];
			n += 2;
			break;
		case 4:
			o[n++] = 0;
			break;
		case 5: /* a known kind with a wrong length */
			o[n] = (uint8_t)(2 + fz_below(r, 7));
			o[n + 1] = (uint8_t)fz_below(r, 12);
			n += 2;
			break;
		case 6:
			n += opt_mss(o + n, mss_vals[fz_below(r, 9)]);
			break;
		case 7:
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = (uint8_t)fz_below(r, 18);
			break;
		default:
			o[n++] = 4;
			o[n++] = 2;
			break;
		}
	}
	while (n % 4)
		o[n++] = fz_pct(r, 90) ? 1 : 0;
	return n > 40 ? 40 : n;
}

/* What a Linux client's SYN carries. */
static int tcp_opts_syn(uint8_t *o, uint32_t tsval, bool ts)
{
	int n = opt_mss(o, 1460);

	o[n++] = 4;
	o[n++] = 2;
	if (ts) {
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, tsval);
		put32(o + n + 4, 0);
		n += 8;
	} else {
		o[n++] = 1;
		o[n++] = 1;
	}
	o[n++] = 1;
	o[n++] = 3;
	o[n++] = 3;
	o[n++] = 7;
	return n;
}

/* ---------------------------------------------------------------- addresses */

static void client_addr(struct fz_rng *r, bool v6, uint8_t *a)
{
	memset(a, 0, 16);
	if (!v6) {
		a[0] = 192;
		a[1] = 0;
		a[2] = 2;
		a[3] = (uint8_t)(1 + fz_below(r, 250));
		return;
	}
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[15] = (uint8_t)(1 + fz_below(r, 250));
}

static void martian_addr(struct fz_rng *r, bool v6, const struct fz_iface *ifc, uint8_t *a)
{
	static const uint8_t m4[][4] = { { 0, 0, 0, 0 },	 { 0, 1, 2, 3 },   { 127, 0, 0, 1 },
					 { 224, 0, 0, 1 },	 { 239, 1, 2, 3 }, { 240, 0, 0, 1 },
					 { 255, 255, 255, 255 }, { 10, 0, 0, 255 } };

	memset(a, 0, 16);
	if (!v6) {
		if (fz_pct(r, 25))
			memcpy(a, ifc->addr4, 4); /* our own */
		else
			memcpy(a, m4[fz_below(r, 8)], 4);
		return;
	}
	switch (fz_below(r, 4)) {
	case 0:
		break; /* :: */
	case 1:
		a[15] = 1;
		break;
	case 2:
		a[0] = 0xff;
		a[1] = 0x02;
		a[15] = 1;
		break;
	default:
		memcpy(a, ifc->addr6, 16);
	}
}

static void client_mac(struct fz_rng *r, uint8_t *m)
{
	rand_bytes(r, m, 6);
	m[0] = (uint8_t)((m[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

/* ---------------------------------------------------------------- struct */

static void spec_base(struct fz_gen *g, int t, struct spec *s, bool v6)
{
	const struct fz_iface *ifc = g->ifc[t];

	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, ifc->mac, 6);
	client_mac(&g->rng, s->smac);
	s->ipv = v6 ? 6 : 4;
	client_addr(&g->rng, v6, s->saddr);
	if (v6)
		memcpy(s->daddr, ifc->addr6, 16);
	else
		memcpy(s->daddr, ifc->addr4, 4);
	s->ttl = 64;
	s->proto = 6;
	s->frag = 0x4000; /* DF */
	s->sport = (uint16_t)(1024 + fz_below(&g->rng, 64000));
	s->dport = ifc->ports[fz_below(&g->rng, (uint32_t)ifc->nports)];
	s->seq = (uint32_t)fz_next(&g->rng);
	s->win = 64240;
	s->doff_lie = -1;
}

static uint8_t flags_random(struct fz_rng *r)
{
	static const uint8_t common[] = { FZ_F_SYN,
					  FZ_F_ACK,
					  FZ_F_ACK | FZ_F_PSH,
					  FZ_F_FIN | FZ_F_ACK,
					  FZ_F_RST,
					  FZ_F_RST | FZ_F_ACK,
					  FZ_F_FIN,
					  FZ_F_SYN | FZ_F_ACK };

	return fz_pct(r, 70) ? common[fz_below(r, sizeof(common))] : (uint8_t)fz_next(r);
}

static void struct_l2(struct fz_rng *r, const struct fz_iface *ifc, struct spec *s)
{
	int i;

	switch (fz_below(r, 40)) {
	case 0:
		memset(s->dmac, 0xff, 6);
		break;
	case 1:
		s->dmac[0] = 0x01;
		s->dmac[1] = 0x00;
		s->dmac[2] = 0x5e;
		break;
	case 2:
		client_mac(r, s->dmac); /* another host's */
		break;
	default:
		memcpy(s->dmac, ifc->mac, 6);
	}
	switch (fz_below(r, 40)) {
	case 0:
		memset(s->smac, 0, 6);
		break;
	case 1:
		s->smac[0] |= 1;
		break;
	case 2:
		memset(s->smac, 0xff, 6);
		break;
	default:
		break;
	}
	i = (int)fz_below(r, 100);
	s->nvlan = i < 80 ? 0 : i < 90 ? 1 : i < 96 ? 2 : 3 + (i & 1);
	for (i = 0; i < s->nvlan; i++) {
		s->tpid[i] = fz_pct(r, 70) ? 0x8100 : 0x88a8;
		s->tci[i] = (uint16_t)fz_below(r, 4096);
	}
}

static void struct_ip4_opts(struct fz_rng *r, struct spec *s)
{
	static const uint8_t kinds[] = { 0, 1, 7, 68, 130, 131, 137, 148, 25 };
	int n = 0, k, cnt = 1 + (int)fz_below(r, 4);

	for (k = 0; k < cnt && n < 36; k++) {
		uint8_t kind = kinds[fz_below(r, sizeof(kinds))];
		int len = kind <= 1	? 1 :
			  fz_pct(r, 85) ? 3 + 4 * (int)fz_below(r, 3) :
					  (int)fz_below(r, 50);

		if (kind <= 1) {
			s->ipopt[n++] = kind;
			continue;
		}
		if (len > 36 - n)
			len = 36 - n;
		s->ipopt[n] = kind;
		if (len >= 2) {
			s->ipopt[n + 1] = (uint8_t)len;
			rand_bytes(r, s->ipopt + n + 2, (size_t)len - 2);
			if (len >= 3)
				s->ipopt[n + 2] = 4; /* pointer */
			n += len;
		} else {
			s->ipopt[n + 1] = (uint8_t)fz_below(r, 3);
			n += 2;
		}
	}
	while (n % 4)
		s->ipopt[n++] = 0;
	s->ipopt_len = n;
}

static void struct_ip6_ext(struct fz_rng *r, struct spec *s)
{
	static const uint8_t kinds[] = { 0, 60, 60, 0, 43, 44, 253, 59 };
	int k, cnt = 1 + (int)fz_below(r, 3), n = 0;
	uint8_t prev = 0;

	for (k = 0; k < cnt; k++) {
		uint8_t kind = kinds[fz_below(r, sizeof(kinds))];
		int units = fz_pct(r, 80) ? 0 : (int)fz_below(r, 3);

		if (n + 8 * (units + 1) > 56)
			break;
		if (k == 0)
			s->first_nh = kind;
		else
			s->ext[prev] = kind;
		prev = (uint8_t)n;
		s->ext[n] = 6;
		s->ext[n + 1] = (uint8_t)units;
		memset(s->ext + n + 2, 0, (size_t)(6 + 8 * units));
		if (kind == 0 || kind == 60) {
			s->ext[n + 2] = 1; /* PadN */
			s->ext[n + 3] = (uint8_t)(4 + 8 * units);
		}
		n += 8 * (units + 1);
	}
	if (fz_pct(r, 10) && n) /* a lying Hdr Ext Len */
		s->ext[prev + 1] = (uint8_t)fz_below(r, 256);
	s->ext_len = n;
}

static void make_struct(struct fz_gen *g, int t, struct spec *s)
{
	struct fz_rng *r = &g->rng;
	const struct fz_iface *ifc = g->ifc[t];
	bool v6 = fz_pct(r, 40);

	spec_base(g, t, s, v6);
	struct_l2(r, ifc, s);
	if (fz_pct(r, 3)) {
		static const uint16_t et[] = { 0x0806, 0x88cc, 0x8847, 0x0800, 0x86dd };

		s->ipv = 0;
		s->ethertype = et[fz_below(r, 5)];
		s->plen = (int)fz_below(r, 80);
		rand_bytes(r, s->payload, (size_t)s->plen);
		return;
	}
	if (fz_pct(r, 6))
		martian_addr(r, v6, ifc, s->saddr);
	else if (fz_pct(r, 3))
		rand_bytes(r, s->saddr, v6 ? 16 : 4);
	if (fz_pct(r, 6)) /* not ours: unprotected, transit */
		rand_bytes(r, s->daddr, v6 ? 16 : 4);
	if (fz_pct(r, 10))
		s->dport = (uint16_t)fz_next(r);
	if (fz_pct(r, 1))
		s->sport = 0;
	if (fz_pct(r, 3))
		s->proto = (uint8_t)(fz_pct(r, 50) ? 17 : fz_next(r));
	s->ttl = (uint8_t)fz_next(r);
	if (!v6) {
		if (fz_pct(r, 12))
			struct_ip4_opts(r, s);
		if (fz_pct(r, 5))
			s->frag = (uint16_t)(fz_pct(r, 50) ? 0x2000 : fz_below(r, 0x10000));
		s->bad_ipcsum = fz_pct(r, 4);
	} else if (fz_pct(r, 15)) {
		struct_ip6_ext(r, s);
	}
	s->flags = flags_random(r);
	s->ack = (uint32_t)fz_next(r);
	s->win = (uint16_t)fz_next(r);
	if (fz_pct(r, 5))
		s->urg = (uint16_t)fz_next(r);
	if (fz_pct(r, 60))
		s->topt_len = (s->flags & FZ_F_SYN) && fz_pct(r, 50) ?
				      tcp_opts_syn(s->topt, (uint32_t)fz_next(r), fz_pct(r, 70)) :
				      tcp_opts_random(r, s->topt, s->flags & FZ_F_SYN);
	if (fz_pct(r, 5))
		s->doff_lie = (int)fz_below(r, 16);
	if (fz_pct(r, 30)) {
		s->plen = 1 + (int)fz_below(r, sizeof(s->payload));
		rand_bytes(r, s->payload, (size_t)s->plen);
	}
	if (fz_pct(r, 6))
		s->iplen_delta = fz_pct(r, 50) ? (int)fz_below(r, 64) - 32 : (int)fz_below(r, 3000);
	if (fz_pct(r, 3))
		s->pad = (int)fz_below(r, 40);
	s->bad_tcpcsum = fz_pct(r, 3);
}

/* ---------------------------------------------------------------- seq */

static struct fz_flow *flow_pick(struct fz_gen *g, int t, int *idx)
{
	/* the first half of the pool is guard's, the second serve's */
	int base = t == FZ_SERVE_XDP ? FZ_FLOWS / 2 : 0;
	int i = base + (int)fz_below(&g->rng, FZ_FLOWS / 2);
	struct fz_flow *f = &g->flows[i];

	*idx = i;
	if (!f->used || fz_pct(&g->rng, 1)) {
		const struct fz_iface *ifc = g->ifc[t];

		memset(f, 0, sizeof(*f));
		f->used = true;
		f->v6 = fz_pct(&g->rng, 40);
		client_addr(&g->rng, f->v6, f->caddr);
		client_mac(&g->rng, f->cmac);
		f->cport = (uint16_t)(1024 + fz_below(&g->rng, 64000));
		f->sport = ifc->ports[fz_below(&g->rng, (uint32_t)ifc->nports)];
		f->isn = (uint32_t)fz_next(&g->rng);
		f->ts = fz_pct(&g->rng, 70);
		f->tsval = (uint32_t)fz_next(&g->rng);
	}
	return f;
}

static void make_seq(struct fz_gen *g, int t, struct spec *s, struct fz_made *m)
{
	struct fz_rng *r = &g->rng;
	struct fz_flow *f = flow_pick(g, t, &m->flow);
	uint32_t step = fz_below(r, 100);

	spec_base(g, t, s, f->v6);
	memcpy(s->smac, f->cmac, 6);
	memcpy(s->saddr, f->caddr, 16);
	s->sport = f->cport;
	s->dport = f->sport;
	f->tsval += fz_below(r, 50);
	if (f->phase == 0 || step < 8) { /* a SYN, new or again */
		s->flags = FZ_F_SYN;
		s->seq = f->phase == 0 || fz_pct(r, 70) ? f->isn : (uint32_t)fz_next(r);
		s->topt_len = tcp_opts_syn(s->topt, f->tsval, f->ts);
		if (f->phase == 0)
			f->phase = 1;
		return;
	}
	s->ack = f->iss + 1;
	s->seq = f->snd_nxt;
	s->flags = FZ_F_ACK;
	if (f->ts && fz_pct(r, 95))
		s->topt_len = opt_ts(s->topt, fz_pct(r, 5) ? f->tsval - 0x40000000u : f->tsval,
				     f->ts_peer);
	if (f->phase <= 2 || step < 20) { /* the handshake's ACK (maybe with data) */
		s->seq = f->isn + 1;
		if (fz_pct(r, 15)) {
			s->plen = 1 + (int)fz_below(r, 40);
			rand_bytes(r, s->payload, (size_t)s->plen);
		}
		if (fz_pct(r, 10))
			s->ack += (uint32_t)fz_below(r, 5) - 2;
		return;
	}
	s->ack = f->rcv_nxt;
	if (step < 45) { /* data */
		s->flags |= FZ_F_PSH;
		s->plen = 1 + (int)fz_below(r, sizeof(s->payload));
		rand_bytes(r, s->payload, (size_t)s->plen);
	} else if (step < 60) { /* FIN */
		s->flags |= FZ_F_FIN;
	} else if (step < 70) { /* RST: exact, in the window, outside */
		s->flags = fz_pct(r, 50) ? FZ_F_RST : FZ_F_RST | FZ_F_ACK;
		s->seq += fz_pct(r, 40) ? 0 :
			  fz_pct(r, 50) ? fz_below(r, 60000) :
					  (uint32_t)fz_next(r);
		s->topt_len = 0;
	} else if (step < 78) { /* out of the window, old */
		s->seq -= 1 + fz_below(r, 100000);
	} else if (step < 85) { /* an ACK of something we never sent, or old */
		s->ack += fz_pct(r, 50) ? 1 + fz_below(r, 100000) : (uint32_t)fz_next(r);
	} else if (step < 92) { /* no ACK flag, or odd flags */
		s->flags = (uint8_t)fz_next(r) & (uint8_t)~FZ_F_SYN;
	}
	/* otherwise a bare ACK */
	if (s->flags & FZ_F_FIN)
		f->snd_nxt += 1;
	f->snd_nxt += (uint32_t)s->plen;
}

void fz_gen_learn(struct fz_gen *g, const struct fz_made *m, const uint8_t *reply, size_t reply_len)
{
	struct fz_flow *f;
	struct fz_pkt p;

	if (m->kind != FZ_KIND_SEQ || !reply)
		return;
	f = &g->flows[m->flow];
	fz_parse(reply, reply_len, &p);
	if (!p.tcp)
		return;
	if ((p.flags & (FZ_F_SYN | FZ_F_ACK)) == (FZ_F_SYN | FZ_F_ACK)) {
		f->iss = p.seq;
		f->rcv_nxt = p.seq + 1;
		f->snd_nxt = p.ack;
		if (f->phase < 2)
			f->phase = 2;
	} else if (p.flags & FZ_F_RST) {
		f->phase = 0; /* start over: a new ISN on the next SYN */
		f->isn = (uint32_t)fz_next(&g->rng);
	} else if (f->phase == 2) {
		f->phase = 3;
	}
	if (p.doff > 20) {
		/* the server's TSval, for our TSecr */
		const uint8_t *o = reply + p.l4 + 20;
		size_t i;

		for (i = 0; i + 10 <= (size_t)p.doff - 20; i++)
			if (o[i] == 8 && o[i + 1] == 10) {
				f->ts_peer = (uint32_t)o[i + 2] << 24 | (uint32_t)o[i + 3] << 16 |
					     (uint32_t)o[i + 4] << 8 | o[i + 5];
				break;
			}
	}
}

/* ---------------------------------------------------------------- mutate */

static size_t mutate(struct fz_gen *g, int t, uint8_t *buf)
{
	struct fz_rng *r = &g->rng;
	unsigned int k, n = 1 + fz_below(r, 4);
	size_t len;

	(void)t;
	k = fz_below(r, g->npool);
	len = g->pool_len[k];
	memcpy(buf, g->pool[k], len);
	for (; n; n--) {
		size_t at = fz_below(r, (uint32_t)len);

		switch (fz_below(r, 8)) {
		case 0:
		case 1:
			buf[at] ^= (uint8_t)(1u << fz_below(r, 8));
			break;
		case 2:
			buf[at] = interesting8[fz_below(r, sizeof(interesting8))];
			break;
		case 3:
			buf[at] = (uint8_t)fz_next(r);
			break;
		case 4: /* cut */
			if (len > 14)
				len = 14 + fz_below(r, (uint32_t)(len - 14));
			break;
		case 5: /* grow */
			if (len + 16 <= FZ_FRAME_MAX - 24) {
				rand_bytes(r, buf + len, 16);
				len += fz_below(r, 17);
			}
			break;
		case 6: /* a VLAN tag more, after the MACs */
			if (len + 4 <= FZ_FRAME_MAX - 24) {
				memmove(buf + 16, buf + 12, len - 12);
				put16(buf + 12, 0x8100);
				put16(buf + 14, (uint16_t)fz_below(r, 4096));
				len += 4;
			}
			break;
		default: /* a 16-bit field set to an edge */
			if (at + 1 < len)
				put16(buf + at, fz_pct(r, 50) ? 0xffff : (uint16_t)fz_below(r, 64));
		}
	}
	if (fz_pct(r, 50))
		fz_fix_csums(buf, len);
	return len;
}

/* ---------------------------------------------------------------- entry */

void fz_gen_init(struct fz_gen *g, uint64_t seed)
{
	memset(g, 0, sizeof(*g));
	g->rng.s = seed;
	g->ifc[FZ_GUARD_XDP] = &fz_guard_if;
	g->ifc[FZ_GUARD_TC] = &fz_guard_if;
	g->ifc[FZ_SERVE_XDP] = &fz_serve_if;
}

size_t fz_gen_frame(struct fz_gen *g, int t, uint8_t *buf, struct fz_made *m)
{
	struct fz_rng *r = &g->rng;
	uint32_t pick = fz_below(r, 100);
	struct spec s;
	size_t len;

	m->flow = -1;
	if (pick < 8) {
		m->kind = FZ_KIND_RANDOM;
		len = fz_below(r, 200);
		rand_bytes(r, buf, len);
		if (len >= 14 && fz_pct(r, 60)) {
			static const uint16_t et[] = { 0x0800, 0x86dd, 0x8100, 0x88a8 };

			memcpy(buf, g->ifc[t]->mac, 6);
			put16(buf + 12, et[fz_below(r, 4)]);
		}
		return len;
	}
	if (pick < 30 && g->npool) {
		m->kind = FZ_KIND_MUTATE;
		return mutate(g, t, buf);
	}
	if (pick < 65) {
		m->kind = FZ_KIND_SEQ;
		make_seq(g, t, &s, m);
	} else {
		m->kind = FZ_KIND_STRUCT;
		make_struct(g, t, &s);
	}
	len = emit(&s, buf);
	if (m->kind == FZ_KIND_STRUCT || fz_pct(r, 30)) {
		unsigned int k = g->npool < 64 ? g->npool++ : fz_below(r, 64);

		memcpy(g->pool[k], buf, len);
		g->pool_len[k] = (uint16_t)len;
	}
	if (m->kind == FZ_KIND_SEQ) {
		struct fz_flow *f = &g->flows[m->flow];
		unsigned int h = f->nhist++ % 8;

		memcpy(f->hist[h], buf, len);
		f->hist_len[h] = (uint16_t)len;
		f->hist_target[h] = (uint8_t)t;
	}
	return len;
}
