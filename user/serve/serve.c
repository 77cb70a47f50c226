// SPDX-License-Identifier: GPL-2.0
/*
 * serve's controller. A segment XDP does not answer arrives on an AF_XDP
 * port; the controller finds (or makes, from the flow entry XDP wrote at the
 * handshake) the connection block, feeds the TCP engine and sends what the
 * engine emits through the same port. Every 10 ms it walks the flow table:
 * it publishes what its connection blocks know (so XDP answers a FIN or the
 * ACK of our FIN only when nothing is outstanding), imports the transitions
 * XDP made on its own, retransmits SYN-ACKs of half-open entries, and
 * removes what outlived its connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "serve.skel.h"
#include "core/attach.h"
#include "core/csum.h"
#include "core/iface.h"
#include "core/log.h"
#include "serve/serve.h"
#include "core/sysenv.h"
#include "tcp/tcp.h"
#include "apps/apps.h"
#include "serve/xsk.h"

#define SERVE_BUCKETS 65536
#define SERVE_MAX_PORTS_XSK 64
#define SERVE_SCAN_MS 10
#define SERVE_BATCH 256

struct conn {
	struct tcb tcb; /* tcb.glue points back here */
	struct serve_flow_key key;
	struct conn *next; /* hash chain */
	struct conn *all_next, *all_prev; /* every connection block, for the walk */
	struct conn *dead_next; /* released, to be freed outside the engine's calls */
	__u64 walk_gen; /* the last walk of the flow table that found its entry */
	__u8 peer_mac[6];
	bool ipv6;
	bool released;
	__u32 queue;
	__u8 seen_state; /* the entry's state as we last wrote or imported it */
	__u64 seen_last_ns;
};

/* SYN_RCVD entries the controller retransmits SYN-ACKs for. */
struct halfopen {
	struct serve_flow_key key;
	struct halfopen *next;
	__u64 next_at;
	__u32 tries;
	bool seen; /* still in the table at the last walk */
};

struct serve {
	const struct serve_opts *o;
	struct serve_bpf *skel;
	int ifindex;
	int xdp_link;
	char pin_dir[128];
	__u8 mac[6];
	struct serve_cfg cfg;
	struct key_source keys;
	__s64 clock_offset;
	struct xsk_port ports[SERVE_MAX_PORTS_XSK];
	int nports;
	struct tcp_stack *stack;
	const struct tcp_app *app;
	struct conn **table;
	struct conn *all;
	struct conn *dead;
	__u64 walk_gen;
	struct halfopen *half;
	unsigned long nconns;
	bool importing; /* feeding the engine what XDP already answered: keep its ACKs */
	__u64 last_scan;
	__u64 last_rx_ns; /* when the rings last had frames: --busy-poll runs from here */
	struct serve_ctl ctl; /* changes to the flow table waiting for so_serve_ctl */
	struct conn *ctl_conn[SERVE_CTL_OPS]; /* PUBLISH: whose; NULL for the others */
	__u8 ctl_want[SERVE_CTL_OPS]; /* PUBLISH: the state written */
	bool ctl_gc[SERVE_CTL_OPS]; /* DELETE of an expired entry without a block */
	__u64 ctl_failed; /* so_serve_ctl runs that failed */
	__u64 rx_frames, rx_unknown, rx_no_meta, tx_frames, tx_drops, synack_rtx, halfopen_expired,
		gc_deleted;
	__u64 full_seen; /* table-full refusals at the last check */
	__u64 last_full_check;
	bool full; /* refusing new connections: the table is full */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int key_hash(const struct serve_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 2166136261U;
	size_t i;

	for (i = 0; i < sizeof(*k) / 4; i++)
		h = (h ^ w[i]) * 16777619U;
	return (h ^ (h >> 16)) & (SERVE_BUCKETS - 1);
}

static struct conn *conn_find(struct serve *s, const struct serve_flow_key *k)
{
	struct conn *c;

	for (c = s->table[key_hash(k)]; c; c = c->next)
		if (!memcmp(&c->key, k, sizeof(*k)))
			return c;
	return NULL;
}

/* ---- frames ------------------------------------------------------------ */

struct parsed {
	struct serve_flow_key key;
	struct tcp_seg seg;
	bool ipv6;
	__u8 smac[6];
};

/* Parse what XDP redirected: Ethernet (VLAN tags skipped), IPv4/IPv6, TCP and its options. */
static int frame_parse_user(const __u8 *d, __u32 len, struct parsed *p)
{
	__u32 off = 14, l4, hl, plen, i;
	__u16 proto;
	const __u8 *th;

	memset(p, 0, sizeof(*p));
	if (len < 14)
		return -1;
	memcpy(p->smac, d + 6, 6);
	proto = (d[12] << 8) | d[13];
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) && off + 4 <= len) {
		proto = (d[off + 2] << 8) | d[off + 3];
		off += 4;
	}
	if (proto == ETH_P_IP) {
		if (off + 20 > len || d[off + 9] != IPPROTO_TCP)
			return -1;
		hl = (d[off] & 0xf) * 4;
		plen = ((d[off + 2] << 8) | d[off + 3]);
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
		plen = (d[off + 4] << 8) | d[off + 5];
		if (off + 40 + plen > len)
			return -1;
		memcpy(p->key.raddr, d + off + 8, 16);
		memcpy(p->key.laddr, d + off + 24, 16);
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
	p->seg.seq = ntohl(*(const __u32 *)(th + 4));
	p->seg.ack = ntohl(*(const __u32 *)(th + 8));
	p->seg.flags = th[13];
	p->seg.wnd = (th[14] << 8) | th[15];
	p->seg.data = th + hl;
	p->seg.len = plen - hl;
	for (i = 20; i < hl;) {
		__u8 kind = th[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl)
			break;
		olen = th[i + 1];
		if (olen < 2 || i + olen > hl)
			break;
		if (kind == 8 && olen == 10) {
			p->seg.has_ts = true;
			p->seg.tsval = ntohl(*(const __u32 *)(th + i + 2));
			p->seg.tsecr = ntohl(*(const __u32 *)(th + i + 6));
		} else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
			__u32 n = (olen - 2) / 8, b;

			for (b = 0; b < n && p->seg.nsack < TCP_SACK_BLOCKS_MAX; b++) {
				p->seg.sack[p->seg.nsack].start =
					ntohl(*(const __u32 *)(th + i + 2 + 8 * b));
				p->seg.sack[p->seg.nsack].end =
					ntohl(*(const __u32 *)(th + i + 6 + 8 * b));
				p->seg.nsack++;
			}
		}
		i += olen;
	}
	return 0;
}

/*
 * Write an Ethernet/IP/TCP frame for key (our side as source) into buf.
 * opts: already encoded TCP options (multiple of 4). Returns the frame length.
 */
static __u32 frame_build(const struct serve *s, __u8 *buf, const struct serve_flow_key *k,
			 bool ipv6, const __u8 *peer_mac, __u32 seq, __u32 ack, __u8 flags,
			 __u16 wnd, const __u8 *opts, __u32 olen, const __u8 *data, __u32 len)
{
	__u32 l3 = 14, l4, tcplen = 20 + olen + len, sum;
	__u8 *th;

	memcpy(buf, peer_mac, 6);
	memcpy(buf + 6, s->mac, 6);
	if (ipv6) {
		buf[12] = 0x86;
		buf[13] = 0xdd;
		memset(buf + l3, 0, 40);
		buf[l3] = 0x60;
		*(__u16 *)(buf + l3 + 4) = htons(tcplen);
		buf[l3 + 6] = IPPROTO_TCP;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, k->laddr, 16);
		memcpy(buf + l3 + 24, k->raddr, 16);
		l4 = l3 + 40;
		sum = csum_add(0, buf + l3 + 8, 32);
	} else {
		buf[12] = 0x08;
		buf[13] = 0x00;
		memset(buf + l3, 0, 20);
		buf[l3] = 0x45;
		*(__u16 *)(buf + l3 + 2) = htons(20 + tcplen);
		*(__u16 *)(buf + l3 + 6) = htons(0x4000);
		buf[l3 + 8] = 64;
		buf[l3 + 9] = IPPROTO_TCP;
		memcpy(buf + l3 + 12, &k->laddr[3], 4);
		memcpy(buf + l3 + 16, &k->raddr[3], 4);
		*(__u16 *)(buf + l3 + 10) = csum_fold(csum_add(0, buf + l3, 20));
		l4 = l3 + 20;
		sum = csum_add(0, buf + l3 + 12, 8);
	}
	th = buf + l4;
	memcpy(th, &k->lport, 2);
	memcpy(th + 2, &k->rport, 2);
	*(__u32 *)(th + 4) = htonl(seq);
	*(__u32 *)(th + 8) = htonl(ack);
	th[12] = ((20 + olen) / 4) << 4;
	th[13] = flags;
	*(__u16 *)(th + 14) = htons(wnd);
	*(__u32 *)(th + 16) = 0;
	memcpy(th + 20, opts, olen);
	if (len)
		memcpy(th + 20 + olen, data, len);
	sum += IPPROTO_TCP + tcplen;
	sum = csum_add(sum, th, tcplen);
	*(__u16 *)(th + 16) = csum_fold(sum);
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
			frame_build(s, buf, k, ipv6, peer_mac, seq, ack, flags, wnd, opts, olen,
				    data, len))) {
		s->tx_drops++;
		return -ENOBUFS;
	}
	s->tx_frames++;
	return 0;
}

/* ---- the engine's callbacks --------------------------------------------- */

static void on_emit(void *ctx, struct tcb *t, const struct tcp_seg *seg)
{
	struct serve *s = ctx;
	struct conn *c = t->glue;
	__be32 opts[TCP_MAX_OPT_WORDS];
	__u32 n = 0, i;

	/* XDP already acknowledged what an import replays. */
	if (s->importing && !seg->len && !(seg->flags & (TCP_F_FIN | TCP_F_SYN | TCP_F_RST)))
		return;
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
	frame_send(s, c->queue, &c->key, c->ipv6, c->peer_mac, seg->seq, seg->ack, seg->flags,
		   seg->wnd, (const __u8 *)opts, 4 * n, seg->data, seg->len);
}

static void on_release(void *ctx, struct tcb *t)
{
	struct serve *s = ctx;
	struct conn *c = t->glue;

	if (c->released)
		return;
	c->released = true;
	c->dead_next = s->dead;
	s->dead = c;
}

static const struct tcp_ops serve_tcp_ops = {
	.emit = on_emit,
	.release = on_release,
};

/* ---- flow entries and connection blocks ---------------------------------- */

static int flows_fd(const struct serve *s)
{
	return bpf_map__fd(s->skel->maps.serve_flows);
}

static int entry_read(struct serve *s, const struct serve_flow_key *k, struct serve_flow *v)
{
	return bpf_map_lookup_elem_flags(flows_fd(s), k, v, BPF_F_LOCK) ? -errno : 0;
}

static struct conn *conn_create(struct serve *s, const struct serve_flow_key *k,
				const struct serve_flow *v, __u32 queue, __u64 now)
{
	struct tcp_conn_params p = {
		.iss = v->iss,
		.irs = v->irs,
		.peer_mss = v->mss,
		.snd_wscale = (v->flags & SF_WSCALE) ? v->snd_wscale : 0,
		.rcv_wscale = (v->flags & SF_WSCALE) ? v->rcv_wscale : 0,
		.sack_ok = v->flags & SF_SACK,
		.ts_ok = v->flags & SF_TS,
		.ts_recent = v->ts_recent,
		.ts_offset = v->ts_off,
		.peer_wnd = (v->flags & SF_WSCALE) ? v->snd_wnd >> v->snd_wscale : v->snd_wnd,
		.our_wnd = s->cfg.win,
	};
	bool v4 = k->raddr[0] == 0 && k->raddr[1] == 0 && k->raddr[2] == htonl(0xffff);
	struct conn *c = calloc(1, sizeof(*c));
	unsigned int h = key_hash(k);

	if (!c)
		return NULL;
	p.our_mss = v4 ? s->cfg.mss4 : s->cfg.mss6;
	c->key = *k;
	c->ipv6 = !v4;
	c->queue = queue;
	memcpy(c->peer_mac, v->peer_mac, 6);
	c->tcb.glue = c;
	c->seen_state = TCPS_ESTABLISHED;
	c->seen_last_ns = v->last_ns;
	if (tcp_conn_init(s->stack, &c->tcb, &p, s->app, now)) {
		free(c);
		return NULL;
	}
	c->next = s->table[h];
	s->table[h] = c;
	c->all_next = s->all;
	if (s->all)
		s->all->all_prev = c;
	s->all = c;
	c->walk_gen = s->walk_gen;
	s->nconns++;
	return c;
}

static void conn_unlink(struct serve *s, struct conn *c)
{
	struct conn **pp = &s->table[key_hash(&c->key)];

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		s->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	s->nconns--;
}

/*
 * The entry under c's key belongs to a newer connection (XDP accepted a SYN on
 * the tuple in TIME_WAIT): c's job is over, and the entry is not c's to delete.
 */
static void conn_retire(struct serve *s, struct conn *c)
{
	struct conn **pp;
	__u32 i;

	/* a change still waiting for so_serve_ctl must not report back to a freed block */
	for (i = 0; i < s->ctl.n; i++)
		if (s->ctl_conn[i] == c)
			s->ctl.ops[i].kind = SERVE_CTL_NONE;

	for (pp = &s->dead; *pp; pp = &(*pp)->dead_next)
		if (*pp == c) {
			*pp = c->dead_next;
			break;
		}
	conn_unlink(s, c);
	tcp_conn_fini(&c->tcb);
	free(c);
}

static bool conn_is_for(const struct conn *c, const struct serve_flow *v)
{
	return v->iss == c->tcb.iss && v->irs == c->tcb.irs;
}

/* Replay to the engine a segment XDP answered on its own (its ACK is not sent again). */
static void conn_replay(struct serve *s, struct conn *c, __u8 flags, __u32 seq, __u32 ack,
			__u32 tsval, __u64 now)
{
	struct tcp_seg seg = {
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.wnd = (__u16)((c->tcb.snd_wnd >> c->tcb.snd_wscale) & 0xffff),
		.has_ts = c->tcb.ts_ok,
		/* XDP saw the segment: its TS.Recent is what our next TSecr must echo */
		.tsval = tsval,
		.tsecr = 0,
	};

	s->importing = true;
	tcp_input(&c->tcb, &seg, now);
	s->importing = false;
}

/* Bring the connection block up to what XDP did to the entry (v NULL: XDP deleted it). */
static void conn_import(struct serve *s, struct conn *c, const struct serve_flow *v, __u64 now)
{
	enum tcp_state st = c->tcb.state;
	__u32 fin_seq = c->tcb.rcv_nxt, our_fin = c->tcb.snd_nxt;
	__u32 ts =
		v && (__s32)(v->ts_recent - c->tcb.ts_recent) > 0 ? v->ts_recent : c->tcb.ts_recent;

	if (!v) {
		if (st == TCPS_LAST_ACK || st == TCPS_CLOSING)
			conn_replay(s, c, TCP_F_ACK, fin_seq, our_fin, ts, now);
		else if (st != TCPS_TIME_WAIT && st != TCPS_CLOSED)
			conn_replay(s, c, TCP_F_RST, fin_seq, 0, ts, now);
		return;
	}
	if (v->state == c->seen_state && v->last_ns == c->seen_last_ns)
		return;
	switch (v->state) {
	case TCPS_CLOSE_WAIT:
		if (st == TCPS_ESTABLISHED)
			conn_replay(s, c, TCP_F_FIN | TCP_F_ACK, fin_seq, c->tcb.snd_una, ts, now);
		break;
	case TCPS_FIN_WAIT_2:
		if (st == TCPS_FIN_WAIT_1)
			conn_replay(s, c, TCP_F_ACK, fin_seq, our_fin, ts, now);
		break;
	case TCPS_CLOSING:
		if (st == TCPS_FIN_WAIT_1)
			conn_replay(s, c, TCP_F_FIN | TCP_F_ACK, fin_seq, c->tcb.snd_una, ts, now);
		break;
	case TCPS_TIME_WAIT:
		if (st == TCPS_FIN_WAIT_1)
			conn_replay(s, c, TCP_F_FIN | TCP_F_ACK, fin_seq, our_fin, ts, now);
		else if (st == TCPS_FIN_WAIT_2)
			conn_replay(s, c, TCP_F_FIN | TCP_F_ACK, fin_seq, our_fin, ts, now);
		else if (st == TCPS_CLOSING)
			conn_replay(s, c, TCP_F_ACK, fin_seq, our_fin, ts, now);
		else if (st == TCPS_TIME_WAIT && v->last_ns != c->seen_last_ns)
			tcp_timewait_restart(&c->tcb, v->last_ns);
		break;
	default:
		break;
	}
	c->seen_state = v->state;
	c->seen_last_ns = v->last_ns;
}

/* ---- changes to the flow table: so_serve_ctl ---------------------------- */

/* Run the waiting changes, in the kernel under each entry's lock, and take note of the outcome. */
static void ctl_flush(struct serve *s)
{
	struct serve_ctl *b = &s->ctl;
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = b, .ctx_size_in = sizeof(*b));
	int err;
	__u32 i;

	if (!b->n)
		return;
	err = bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.so_serve_ctl), &o);
	if (err) {
		if (!s->ctl_failed++)
			pr_warn("%s: %s failed: %s; flow table changes are lost\n", s->o->ifname,
				SERVE_CTL_PROG_NAME, strerror(-err));
		b->n = 0;
		return;
	}
	for (i = 0; i < b->n; i++) {
		const struct serve_ctl_op *op = &b->ops[i];

		if (op->result != SERVE_CTL_OK)
			continue;
		if (op->kind == SERVE_CTL_PUBLISH && s->ctl_conn[i])
			s->ctl_conn[i]->seen_state = s->ctl_want[i];
		else if (op->kind == SERVE_CTL_EXPIRE)
			s->halfopen_expired++;
		else if (op->kind == SERVE_CTL_DELETE && s->ctl_gc[i])
			s->gc_deleted++;
	}
	b->n = 0;
}

/* A change to the entry of connection (k, iss, irs), run at the next ctl_flush(). */
static struct serve_ctl_op *ctl_add(struct serve *s, __u8 kind, const struct serve_flow_key *k,
				    __u32 iss, __u32 irs)
{
	struct serve_ctl_op *op;

	if (s->ctl.n == SERVE_CTL_OPS)
		ctl_flush(s);
	op = &s->ctl.ops[s->ctl.n];
	memset(op, 0, sizeof(*op));
	op->key = *k;
	op->kind = kind;
	op->iss = iss;
	op->irs = irs;
	s->ctl_conn[s->ctl.n] = NULL;
	s->ctl_gc[s->ctl.n] = false;
	s->ctl.n++;
	return op;
}

/*
 * Bring the entry up to what the connection block knows, v being the entry
 * as the walk read it. Written only if XDP has not moved the state since
 * (so_serve_ctl compares under the lock): otherwise the next walk imports
 * XDP's transition first. XDP's own fields are never written.
 */
static void conn_publish(struct serve *s, struct conn *c, const struct serve_flow *v)
{
	const struct tcb *t = &c->tcb;
	__u8 want = t->state; /* the engine and the flow table share enum tcp_state */
	struct serve_ctl_op *op;
	__u32 rcv_wnd = t->rcv_adv - t->rcv_nxt;

	if (want == TCPS_CLOSED || v->state != c->seen_state)
		return;
	if (want == v->state && v->snd_una == t->snd_una && v->snd_nxt == t->snd_max &&
	    v->rcv_nxt == t->rcv_nxt && v->snd_wnd == t->snd_wnd && v->rcv_wnd == rcv_wnd)
		return;
	op = ctl_add(s, SERVE_CTL_PUBLISH, &c->key, t->iss, t->irs);
	op->seen_state = v->state;
	op->state = want;
	op->snd_una = t->snd_una;
	/* our FIN counts once it is queued: XDP must not think nothing is outstanding */
	op->snd_nxt = t->snd_max;
	op->rcv_nxt = t->rcv_nxt;
	op->snd_wnd = t->snd_wnd;
	op->rcv_wnd = rcv_wnd;
	s->ctl_conn[s->ctl.n - 1] = c;
	s->ctl_want[s->ctl.n - 1] = want;
}

/* ---- receive ------------------------------------------------------------ */

/*
 * The entry XDP put in front of the frame (struct serve_xsk_meta), as a
 * serve_flow with the fields a connection block is made from; false when the
 * frame came without. The magic is cleared: the buffer returns to the kernel.
 */
static bool meta_take(void *data, __u32 headroom, struct serve_flow *v)
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

static void on_rx(void *ctx, __u32 queue, void *data, __u32 len, __u32 headroom)
{
	struct serve *s = ctx;
	struct serve_flow v;
	struct parsed p;
	struct conn *c;
	__u64 now = mono_ns();
	/* the entry as XDP saw it with this segment, or read now */
	bool have_v = meta_take(data, headroom, &v);

	s->rx_frames++;
	if (frame_parse_user(data, len, &p)) {
		s->rx_unknown++;
		return;
	}
	if (!have_v)
		s->rx_no_meta++;
	c = conn_find(s, &p.key);
	/* a segment for a block in TIME_WAIT may belong to a new connection on the tuple */
	if (c && (c->tcb.state == TCPS_TIME_WAIT || c->released)) {
		have_v = have_v || !entry_read(s, &p.key, &v);
		if (have_v && !conn_is_for(c, &v)) {
			conn_retire(s, c);
			c = NULL;
		}
	}
	if (!c) {
		if ((!have_v && entry_read(s, &p.key, &v)) || v.state == TCPS_SYN_RCVD ||
		    v.state == TCPS_CLOSED) {
			s->rx_unknown++;
			return;
		}
		c = conn_create(s, &p.key, &v, queue, now);
		if (!c) {
			s->rx_unknown++;
			return;
		}
		memcpy(c->peer_mac, p.smac, 6);
		conn_import(s, c, &v, now);
	}
	c->queue = queue;
	tcp_input(&c->tcb, &p.seg, now);
}

/* ---- the walk over the flow table ---------------------------------------- */

static struct halfopen *halfopen_find(struct serve *s, const struct serve_flow_key *k, bool create)
{
	struct halfopen *h;

	for (h = s->half; h; h = h->next)
		if (!memcmp(&h->key, k, sizeof(*k)))
			return h;
	if (!create)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h) {
		h->key = *k;
		h->next = s->half;
		s->half = h;
	}
	return h;
}

/* Give up on a half-open entry (unless XDP established it meanwhile). */
static void halfopen_expire(struct serve *s, const struct serve_flow_key *k,
			    const struct serve_flow *v)
{
	ctl_add(s, SERVE_CTL_EXPIRE, k, v->iss, v->irs);
}

/* SYN-ACK again for a half-open entry, as XDP built it (RFC 6298 backoff: 1, 2, 4 s ...). */
static void halfopen_tick(struct serve *s, const struct serve_flow_key *k,
			  const struct serve_flow *v, __u64 now)
{
	struct halfopen *h = halfopen_find(s, k, true);
	bool v4 = k->raddr[2] == htonl(0xffff) && !k->raddr[0] && !k->raddr[1];
	struct tcp_synack_opt so = { 0 };
	__be32 opts[TCP_SYNACK_OPT_WORDS];
	__u32 olen;

	if (!h)
		return;
	h->seen = true;
	if (!h->next_at) {
		h->next_at = v->last_ns + 1000000000ULL;
		return;
	}
	if (now < h->next_at)
		return;
	if (h->tries >= s->o->synack_retries) {
		halfopen_expire(s, k, v);
		return;
	}
	h->tries++;
	h->next_at = now + (1000000000ULL << h->tries);
	so.mss = v4 ? s->cfg.mss4 : s->cfg.mss6;
	so.wscale = v->rcv_wscale;
	so.sack = !!(v->flags & SF_SACK);
	so.ts = !!(v->flags & SF_TS);
	so.ws = !!(v->flags & SF_WSCALE);
	so.tsval = (__u32)(now >> SERVE_TS_SHIFT) + v->ts_off;
	so.tsecr = v->ts_recent;
	olen = 4 * tcp_synack_opts(opts, &so);
	if (!frame_send(s, 0, k, !v4, v->peer_mac, v->iss, v->irs + 1, TCP_F_SYN | TCP_F_ACK,
			s->cfg.win, (const __u8 *)opts, olen, NULL, 0))
		s->synack_rtx++;
}

static void walk_entry(struct serve *s, const struct serve_flow_key *k, struct serve_flow *v,
		       __u64 now)
{
	struct conn *c = conn_find(s, k);
	__u64 two_msl = 2ULL * s->o->msl_sec * 1000000000ULL;

	if (c && v->state != TCPS_SYN_RCVD && !conn_is_for(c, v)) {
		conn_retire(s, c);
		c = NULL;
	}
	if (v->state == TCPS_SYN_RCVD) {
		halfopen_tick(s, k, v, now);
		return;
	}
	if (!c) {
		/* no segment of it reached us yet: XDP may still have moved it on */
		if (v->state == TCPS_TIME_WAIT && now > v->last_ns + two_msl) {
			ctl_add(s, SERVE_CTL_DELETE, k, v->iss, v->irs);
			s->ctl_gc[s->ctl.n - 1] = true;
			return;
		}
		if (v->state != TCPS_ESTABLISHED && v->state != TCPS_CLOSE_WAIT)
			return;
		c = conn_create(s, k, v, 0, now);
		if (!c)
			return;
		c->walk_gen = s->walk_gen;
		conn_import(s, c, v, now);
		return;
	}
	c->walk_gen = s->walk_gen;
	conn_import(s, c, v, now);
	if (!c->released)
		conn_publish(s, c, v);
}

static void flows_walk(struct serve *s, __u64 now)
{
	static struct serve_flow_key keys[SERVE_BATCH];
	static struct serve_flow vals[SERVE_BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_F_LOCK);
	struct serve_flow_key in;
	struct halfopen **hp;
	struct conn *c;
	bool first = true;
	__u32 n, i;
	int err;

	for (struct halfopen *h = s->half; h; h = h->next)
		h->seen = false;
	s->walk_gen++;
	do {
		n = SERVE_BATCH;
		err = bpf_map_lookup_batch(flows_fd(s), first ? NULL : &in, &in, keys, vals, &n,
					   &bo);
		first = false;
		for (i = 0; i < n; i++)
			walk_entry(s, &keys[i], &vals[i], now);
	} while (!err);

	ctl_flush(s);

	/* connection blocks whose entry XDP deleted (RST, ACK of our last FIN) */
	for (c = s->all; c; c = c->all_next) {
		struct serve_flow v;

		if (c->released || c->walk_gen == s->walk_gen)
			continue;
		/* made after the walk passed its bucket? then the entry is still there */
		if (entry_read(s, &c->key, &v) == -ENOENT)
			conn_import(s, c, NULL, now);
	}
	/* forget half-open entries that are gone */
	for (hp = &s->half; *hp;) {
		struct halfopen *h = *hp;

		if (!h->seen) {
			*hp = h->next;
			free(h);
		} else {
			hp = &h->next;
		}
	}
}

static void reap_dead(struct serve *s)
{
	while (s->dead) {
		struct conn *c = s->dead;

		s->dead = c->dead_next;
		conn_unlink(s, c);
		/* the tuple may already carry a newer connection: only our own entry goes */
		ctl_add(s, SERVE_CTL_DELETE, &c->key, c->tcb.iss, c->tcb.irs);
		tcp_conn_fini(&c->tcb);
		free(c);
	}
	ctl_flush(s);
}

/* ---- setup --------------------------------------------------------------- */

static int serve_configure(struct serve *s, const struct serve_opts *o)
{
	struct ip_addr addrs[2 * SERVE_MAX_ADDRS];
	struct serve_cfg *cfg = &s->cfg;
	int n, i, mtu = iface_mtu(o->ifname);
	__u32 zero = 0;

	n = iface_addrs(o->ifname, addrs, 2 * SERVE_MAX_ADDRS);
	if (n <= 0 || mtu < 0) {
		pr_warn("%s has no IP address: serve answers on the interface's addresses\n",
			o->ifname);
		return EXIT_USAGE;
	}
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < n; i++) {
		if (addrs[i].family == AF_INET && cfg->naddr4 < SERVE_MAX_ADDRS)
			memcpy(&cfg->addr4[cfg->naddr4++], addrs[i].bytes, 4);
		else if (addrs[i].family == AF_INET6 && cfg->naddr6 < SERVE_MAX_ADDRS)
			memcpy(cfg->addr6[cfg->naddr6++], addrs[i].bytes, 16);
	}
	cfg->ports[0] = o->port;
	cfg->nports = 1;
	cfg->mss4 = mtu - 40;
	cfg->mss6 = mtu - 60;
	cfg->win = 65535 / cfg->mss4 * cfg->mss4;
	cfg->wscale = 7;
	cfg->ttl = 64;
	cfg->syn_mode = o->syn_mode;
	cfg->no_flow = o->no_flow;
	cfg->half_open_max = 256;
	cfg->rst_per_sec = 1000;
	cfg->oow_gap_ms = 500;
	cfg->clock_offset_ns = s->clock_offset;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.serve_cfg), &zero, cfg, BPF_ANY)) {
		pr_warn("Failed to write map serve_cfg: %s\n", strerror(errno));
		return 1;
	}
	n = keys_refresh(bpf_map__fd(s->skel->maps.serve_keys), &s->keys,
			 slot_now(s->clock_offset));
	if (n < 0) {
		pr_warn("Failed to write map serve_keys: %s\n", strerror(-n));
		return 1;
	}
	return 0;
}

static int serve_check_iface(struct serve *s)
{
	struct prog_ref p;

	if (xdp_prog_on(s->ifindex, &p))
		return 0;
	if (p.id && !strncmp(p.name, "so_guard", 8)) {
		pr_warn("shakeoff guard runs on %s: guard and serve cannot share an interface\n",
			s->o->ifname);
		return EXIT_USAGE;
	}
	if (p.id && !strcmp(p.name, SERVE_XDP_PROG_NAME)) {
		pr_warn("%s already has a serve attached (XDP program id %u); stop it or run "
			"'shakeoff detach %s'\n",
			s->o->ifname, p.id, s->o->ifname);
		return EXIT_USAGE;
	}
	if (p.id) {
		pr_warn("%s already has XDP program '%s' (id %u); shakeoff will not replace it\n",
			s->o->ifname, p.name, p.id);
		return EXIT_USAGE;
	}
	return 0;
}

int serve_start(struct serve **sp, const struct serve_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .kernel_log_level = log_get_level() >= LOG_DEBUG ? 4 : 0);
	const struct app_desc *app;
	struct tcp_cfg tcfg;
	struct serve *s;
	char caps[64];
	int err, q, nq;

	*sp = s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->o = o;
	s->xdp_link = -1;
	s->ifindex = iface_index(o->ifname);
	if (s->ifindex < 0) {
		pr_warn("unknown interface '%s'\n", o->ifname);
		return EXIT_USAGE;
	}
	if (sysenv_check_caps(caps, sizeof(caps))) {
		pr_warn("missing %s: serve loads BPF programs and opens AF_XDP sockets\n", caps);
		return EXIT_USAGE;
	}
	app = apps_find(o->app);
	if (!app) {
		char names[128];

		pr_warn("unknown app '%s' (%s)\n", o->app, apps_names(names, sizeof(names), ", "));
		return EXIT_USAGE;
	}
	s->app = app->app;
	err = serve_check_iface(s);
	if (err)
		return err;
	iface_mac(o->ifname, s->mac);
	keys_random(&s->keys);
	s->clock_offset = clock_tai_offset();
	s->table = calloc(SERVE_BUCKETS, sizeof(*s->table));
	s->stack = calloc(1, sizeof(*s->stack));
	if (!s->table || !s->stack)
		return 1;
	tcp_cfg_default(&tcfg);
	tcfg.msl = (__u64)o->msl_sec * 1000000000ULL;
	tcfg.ts_shift = SERVE_TS_SHIFT;
	if (tcp_stack_init(s->stack, &tcfg, &serve_tcp_ops, s))
		return 1;

	s->skel = serve_bpf__open_opts(&oo);
	if (!s->skel) {
		pr_warn("Failed to open serve's BPF object: %s\n", strerror(errno));
		return 1;
	}
	nq = xsk_iface_rx_queues(o->ifname);
	if (nq > SERVE_MAX_PORTS_XSK)
		nq = SERVE_MAX_PORTS_XSK;
	bpf_map__set_max_entries(s->skel->maps.serve_flows, o->max_flows);
	if (serve_bpf__load(s->skel)) {
		pr_warn("Failed to load serve's BPF programs: %s (run with -v for the verifier log)\n",
			strerror(errno));
		return 1;
	}
	err = serve_configure(s, o);
	if (err)
		return err;
	s->xdp_link = xdp_link_attach(bpf_program__fd(s->skel->progs.so_serve_xdp), s->ifindex, 0);
	if (s->xdp_link < 0) {
		pr_warn("Failed to attach XDP program to %s: %s\n", o->ifname,
			strerror(-s->xdp_link));
		return 1;
	}
	for (q = 0; q < nq; q++) {
		err = xsk_port_open(&s->ports[q], o->ifname, q,
				    bpf_map__fd(s->skel->maps.serve_xsks), XSK_DEFAULT_FRAMES);
		if (err) {
			pr_warn("Failed to open AF_XDP socket on %s queue %d: %s\n", o->ifname, q,
				strerror(-err));
			return 1;
		}
		s->nports++;
	}
	if (!bpffs_ensure()) {
		snprintf(s->pin_dir, sizeof(s->pin_dir), "%s/%s", SHAKEOFF_PIN_ROOT, o->ifname);
		pin_dir_remove(s->pin_dir);
		if (!mkdir_p(s->pin_dir)) {
			char path[256];

			snprintf(path, sizeof(path), "%s/%s", s->pin_dir, SERVE_MAP_FLOWS);
			bpf_map__pin(s->skel->maps.serve_flows, path);
			snprintf(path, sizeof(path), "%s/%s", s->pin_dir, SERVE_MAP_STATS);
			bpf_map__pin(s->skel->maps.serve_stats, path);
		} else {
			s->pin_dir[0] = '\0';
		}
	}
	return 0;
}

static __u64 stat_sum(struct serve *s, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 vals[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu > 0 && !bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.serve_stats), &id, vals))
		for (c = 0; c < ncpu; c++)
			sum += vals[c];
	return sum;
}

/* Say once when new connections start being refused for a full table, and when it ends. */
static void table_full_check(struct serve *s)
{
	__u64 n = stat_sum(s, SS_TX_SYNACK_FULL) + stat_sum(s, SS_TX_RST_TABLE_FULL);

	if (n != s->full_seen && !s->full) {
		s->full = true;
		if (s->o->json)
			printf("{\"event\":\"table_full\",\"iface\":\"%s\",\"max_flows\":%lu}\n",
			       s->o->ifname, s->o->max_flows);
		else
			printf("%s: flow table full (%lu flows): new connections refused, "
			       "established ones kept\n",
			       s->o->ifname, s->o->max_flows);
		fflush(stdout);
	} else if (n == s->full_seen && s->full) {
		s->full = false;
		if (s->o->json)
			printf("{\"event\":\"table_ok\",\"iface\":\"%s\"}\n", s->o->ifname);
		else
			printf("%s: flow table has room again\n", s->o->ifname);
		fflush(stdout);
	}
	s->full_seen = n;
}

int serve_poll(struct serve *s, int max_ms)
{
	struct pollfd pfd[SERVE_MAX_PORTS_XSK];
	__u64 now = mono_ns(), next = tcp_stack_next_timer(s->stack);
	int i, timeout = max_ms, n, got;

	if (next && next > now && (next - now) / 1000000 < (__u64)timeout)
		timeout = (next - now) / 1000000;
	else if (next && next <= now)
		timeout = 0;
	if (timeout > SERVE_SCAN_MS)
		timeout = SERVE_SCAN_MS;
	/* busy polling: the rings are shared memory, a peek costs no system call */
	if (now - s->last_rx_ns >= s->o->busy_poll_us * 1000ULL) {
		for (i = 0; i < s->nports; i++) {
			pfd[i].fd = xsk_port_fd(&s->ports[i]);
			pfd[i].events = POLLIN;
		}
		poll(pfd, s->nports, timeout);
	}
	got = 0;
	for (i = 0; i < s->nports; i++) {
		int rounds = 0;

		do {
			n = xsk_port_rx(&s->ports[i], on_rx, s, 64);
			got += n > 0;
		} while (n > 0 && ++rounds < 16);
	}
	now = mono_ns();
	if (got)
		s->last_rx_ns = now;
	tcp_stack_run_timers(s->stack, now);
	if (now - s->last_scan >= SERVE_SCAN_MS * 1000000ULL) {
		s->last_scan = now;
		flows_walk(s, now);
		n = keys_refresh(bpf_map__fd(s->skel->maps.serve_keys), &s->keys,
				 slot_now(s->clock_offset));
		if (n < 0)
			pr_warn("Failed to rotate cookie keys: %s\n", strerror(-n));
	}
	if (now - s->last_full_check >= 1000000000ULL) {
		s->last_full_check = now;
		table_full_check(s);
	}
	reap_dead(s);
	for (i = 0; i < s->nports; i++)
		xsk_port_flush(&s->ports[i]);
	return 0;
}

void serve_print_stats(struct serve *s, bool json)
{
	int ncpu = libbpf_num_possible_cpus(), i, c;
	__u64 vals[ncpu > 0 ? ncpu : 1], sum[SS__COUNT];
	static const char *const names[SS__COUNT] = {
#define SERVE_STAT_NAME(id, name, help) [SS_##id] = name,
		SERVE_STATS(SERVE_STAT_NAME)
#undef SERVE_STAT_NAME
	};

	for (i = 0; i < SS__COUNT; i++) {
		__u32 k = i;

		sum[i] = 0;
		if (!bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.serve_stats), &k, vals))
			for (c = 0; c < ncpu; c++)
				sum[i] += vals[c];
	}
	if (json) {
		printf("{\"event\":\"stats\",\"iface\":\"%s\",\"conns\":%lu,\"rx_frames\":%llu,"
		       "\"rx_no_meta\":%llu,\"ctl_failed\":%llu,\"halfopen_expired\":%llu,"
		       "\"gc_deleted\":%llu,\"tx_frames\":%llu,\"tx_drops\":%llu,\"synack_rtx\":%llu,"
		       "\"retrans_segs\":%llu,\"spurious_retrans\":%llu,\"undos\":%llu,"
		       "\"rto_fired\":%llu,\"counters\":{",
		       s->o->ifname, s->nconns, (unsigned long long)s->rx_frames,
		       (unsigned long long)s->rx_no_meta, (unsigned long long)s->ctl_failed,
		       (unsigned long long)s->halfopen_expired, (unsigned long long)s->gc_deleted,
		       (unsigned long long)s->tx_frames, (unsigned long long)s->tx_drops,
		       (unsigned long long)s->synack_rtx,
		       (unsigned long long)s->stack->stats.retrans_segs,
		       (unsigned long long)s->stack->stats.spurious_retrans,
		       (unsigned long long)s->stack->stats.undos,
		       (unsigned long long)s->stack->stats.rto_fired);
		for (i = 0; i < SS__COUNT; i++)
			printf("%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)sum[i]);
		printf("}}\n");
	} else {
		printf("%s: %lu conns, rx %llu tx %llu, retrans %llu", s->o->ifname, s->nconns,
		       (unsigned long long)s->rx_frames, (unsigned long long)s->tx_frames,
		       (unsigned long long)s->stack->stats.retrans_segs);
		for (i = 0; i < SS__COUNT; i++)
			if (sum[i])
				printf(" %s=%llu", names[i], (unsigned long long)sum[i]);
		printf("\n");
	}
	fflush(stdout);
}

void serve_stop(struct serve *s)
{
	int i;

	if (!s)
		return;
	if (s->xdp_link >= 0) {
		bpf_link_detach(s->xdp_link);
		close(s->xdp_link);
	}
	for (i = 0; i < s->nports; i++)
		xsk_port_close(&s->ports[i]);
	if (s->table) {
		for (i = 0; i < SERVE_BUCKETS; i++)
			while (s->table[i]) {
				struct conn *c = s->table[i];

				s->table[i] = c->next;
				tcp_conn_fini(&c->tcb);
				free(c);
			}
		free(s->table);
	}
	while (s->half) {
		struct halfopen *h = s->half;

		s->half = h->next;
		free(h);
	}
	if (s->stack) {
		tcp_stack_fini(s->stack);
		free(s->stack);
	}
	if (s->pin_dir[0])
		pin_dir_remove(s->pin_dir);
	serve_bpf__destroy(s->skel);
	free(s);
}
