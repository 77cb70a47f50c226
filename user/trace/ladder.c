// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff trace: the ladder renderer and the per-connection state inference.
 *
 * The trace watches from the server's side: an IN segment is one the client
 * sent and the server receives, an OUT one the reverse. Each side runs
 * RFC 9293's state machine as far as the segments show it; the server's
 * column follows its STATE events (kernel tracepoint, serve) when they come.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <shakeoff/tcp_state.h>

#include "trace/ladder.h"

#define PEND_MAX 4096 /* events waiting in the window; more and the oldest go out early */
#define CONN_MAX 256 /* connections followed at once; the longest idle ended one makes room */
#define SEEN_MAX 64 /* segments printed lately, to recognise a late second report */
#define REP_MAX 4 /* reporters remembered per segment */
#define DUP_NS (50ULL * 1000 * 1000) /* two sources' reports of one segment: well under any RTO */
#define ATTACH_NS (2ULL * 1000 * 1000) /* a state change this close to its segment goes beside it */

/* The drawing: id, ms, client state, arrow, server state: 3+1+9+1+11+1+62+1+11 = 100 columns. */
#define ARROW_W 62
#define TEXT_W (ARROW_W - 6) /* the arrow keeps "-- ", " ", at least one dash and the head */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80

struct rep {
	__u8 src, act;
	__u16 reason;
};

struct pend {
	struct so_trace_ev ev;
	struct rep reps[REP_MAX];
	unsigned int nreps;
	unsigned int srcs; /* 1 << src of every reporter */
	bool used; /* a STATE event already drawn beside a segment */
	bool has_state; /* STATE events drawn beside this (OUT) segment */
	__u8 state_old, state_new;
};

struct side {
	__u8 state;
	bool passive; /* entered SYN_RCVD from LISTEN: a reset sends it back there */
	bool have_isn, have_nxt, fin_sent, have_win;
	bool defer_fin; /* the other side's FIN crossed this side's own: received after it */
	bool ws; /* sent the window scale option */
	__u8 wscale;
	__u16 win;
	__u32 isn, nxt, fin_seq;
};

struct conn {
	bool live, done;
	__u32 id;
	__u8 family;
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	__u64 t0, last_ns;
	struct side c, s; /* client (remote), server (local) */
	char caddr[64], saddr[64];
};

struct ladder {
	struct ladder_cfg cfg;
	FILE *out;
	struct pend *pbuf; /* PEND_MAX slots */
	struct pend *pend; /* the waiting events, in ts order: a window sliding along pbuf */
	size_t npend;
	struct conn conns[CONN_MAX];
	struct pend seen[SEEN_MAX];
	unsigned int seen_next, done;
	__u32 next_id;
};

static bool seq_ge(__u32 a, __u32 b)
{
	return (__s32)(a - b) >= 0;
}

static bool seq_gt(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

static size_t alen(__u8 family)
{
	return family == 6 ? 16 : 4;
}

static bool same_tuple(const struct so_trace_ev *a, const struct so_trace_ev *b)
{
	return a->family == b->family && a->lport == b->lport && a->rport == b->rport &&
	       !memcmp(a->laddr, b->laddr, alen(a->family)) &&
	       !memcmp(a->raddr, b->raddr, alen(a->family));
}

static bool conn_is(const struct conn *c, const struct so_trace_ev *e)
{
	return c->live && c->family == e->family && c->lport == e->lport && c->rport == e->rport &&
	       !memcmp(c->laddr, e->laddr, alen(e->family)) &&
	       !memcmp(c->raddr, e->raddr, alen(e->family));
}

static bool same_seg(const struct so_trace_ev *a, const struct so_trace_ev *b)
{
	__u64 d = a->ts_ns > b->ts_ns ? a->ts_ns - b->ts_ns : b->ts_ns - a->ts_ns;

	return a->kind == SO_TRACE_SEG && b->kind == SO_TRACE_SEG && same_tuple(a, b) &&
	       a->dir == b->dir && a->tcp_flags == b->tcp_flags && a->seq == b->seq &&
	       a->ack == b->ack && a->len == b->len && d <= DUP_NS;
}

struct ladder *ladder_new(const struct ladder_cfg *cfg, FILE *out)
{
	struct ladder *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->pbuf = calloc(PEND_MAX, sizeof(*l->pbuf));
	l->pend = l->pbuf;
	if (!l->pbuf) {
		free(l);
		return NULL;
	}
	l->cfg = *cfg;
	if (!l->cfg.window_ns)
		l->cfg.window_ns = LADDER_WINDOW_NS;
	l->out = out;
	l->next_id = 1;
	return l;
}

void ladder_free(struct ladder *l)
{
	if (!l)
		return;
	free(l->pbuf);
	free(l);
}

unsigned int ladder_done(const struct ladder *l)
{
	return l->done;
}

/* ---- text pieces ---- */

static const char *src_name(__u8 src)
{
	switch (src) {
	case SO_TRACE_SRC_XDP:
		return "xdp";
	case SO_TRACE_SRC_TC_IN:
		return "tc_in";
	case SO_TRACE_SRC_TC_OUT:
		return "tc_out";
	case SO_TRACE_SRC_CTL:
		return "ctl";
	case SO_TRACE_SRC_SOCK:
		return "sock";
	default:
		return "?";
	}
}

static void flags_str(__u8 f, char *buf, size_t len)
{
	static const struct {
		__u8 bit;
		const char *name;
	} names[] = { { F_SYN, "SYN" }, { F_FIN, "FIN" }, { F_RST, "RST" }, { F_PSH, "PSH" },
		      { F_ACK, "ACK" }, { F_URG, "URG" }, { F_ECE, "ECE" }, { F_CWR, "CWR" } };
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i].name);
		if (n >= len)
			return;
	}
	if (!n)
		snprintf(buf, len, "none");
}

static void addr_str(__u8 family, const __u8 *a, __u16 port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == 6) {
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, port);
	} else {
		inet_ntop(AF_INET, a, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, port);
	}
}

/* "mss=1460 sack ws=7 ts=VAL/ECR": what the segment's options said */
static void opts_str(const struct so_trace_ev *e, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (e->opt_flags & SO_TRACE_OPT_MSS)
		n += snprintf(buf + n, len - n, " mss=%u", e->mss);
	if (n < len && e->opt_flags & SO_TRACE_OPT_SACK_PERM)
		n += snprintf(buf + n, len - n, " sack");
	if (n < len && e->opt_flags & SO_TRACE_OPT_WSCALE)
		n += snprintf(buf + n, len - n, " ws=%u", e->wscale);
	if (n < len && e->opt_flags & SO_TRACE_OPT_TS)
		n += snprintf(buf + n, len - n, " ts=%u/%u", e->tsval, e->tsecr);
	if (n < len && e->opt_flags & SO_TRACE_OPT_SACK)
		snprintf(buf + n, len - n, " sack_blocks=%u", e->sack_blocks);
	if (buf[0])
		memmove(buf, buf + 1, strlen(buf));
}

/* What the reporters did, compactly: "answered in XDP", "dropped: NAME", ... */
static void notes_str(const struct ladder *l, const struct pend *p, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < p->nreps && n < len; i++) {
		const struct rep *r = &p->reps[i];
		char what[96];

		what[0] = 0;
		switch (r->act) {
		case SO_TRACE_ACT_TX:
			snprintf(what, sizeof(what), "%s",
				 p->ev.dir == SO_TRACE_IN ? "answered in XDP" : "sent from XDP");
			break;
		case SO_TRACE_ACT_DROP: {
			/* serve's XDP is the server's TCP: what it ends there it has taken in */
			const char *verb = l->cfg.xdp_endpoint ? "taken in XDP" : "dropped";

			if (r->reason < l->cfg.n_reasons && l->cfg.reasons &&
			    l->cfg.reasons[r->reason])
				snprintf(what, sizeof(what), "%s: %s", verb,
					 l->cfg.reasons[r->reason]);
			else
				snprintf(what, sizeof(what), "%s: reason %u", verb, r->reason);
			break;
		}
		case SO_TRACE_ACT_REDIRECT:
			snprintf(what, sizeof(what), "to AF_XDP");
			break;
		case SO_TRACE_ACT_HANDOFF:
			snprintf(what, sizeof(what), "handed to the listener");
			break;
		default:
			if (r->src == SO_TRACE_SRC_CTL && p->ev.dir == SO_TRACE_OUT)
				snprintf(what, sizeof(what), "sent by serve (AF_XDP)");
			break;
		}
		if (what[0] && !strstr(buf, what))
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", what);
	}
}

static bool dropped(const struct pend *p)
{
	unsigned int i;

	for (i = 0; i < p->nreps; i++)
		if (p->reps[i].act == SO_TRACE_ACT_DROP)
			return true;
	return false;
}

static void json_head(const struct ladder *l, const struct conn *c, __u64 ts, const char *event)
{
	__s64 t = (__s64)ts + l->cfg.realtime_off_ns;

	if (t < 0)
		t = 0;
	fprintf(l->out,
		"{\"ts\":%lld.%03lld,\"event\":\"%s\",\"conn\":%u,\"t_ms\":%.3f,\"family\":%u,"
		"\"client\":\"%s\",\"server\":\"%s\"",
		(long long)(t / 1000000000), (long long)(t % 1000000000 / 1000000), event, c->id,
		(double)(ts - c->t0) / 1e6, c->family, c->caddr, c->saddr);
}

static void json_states(const struct ladder *l, const struct conn *c)
{
	fprintf(l->out, ",\"client_state\":\"%s\",\"server_state\":\"%s\"}\n",
		tcp_state_name(c->c.state), tcp_state_name(c->s.state));
}

/* One line of the drawing, trailing blanks cut: what the terminal shows. */
static void draw(const struct ladder *l, const struct conn *c, const char *ms, const char *cst,
		 const char *mid, const char *sst)
{
	char line[640];
	size_t n;

	snprintf(line, sizeof(line), "%3u %9s %-11s %-*s %s", c->id, ms, cst, ARROW_W, mid, sst);
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = 0;
	fprintf(l->out, "%s\n", line);
}

/* A line under the arrow's text: its options, what the reporters did. */
static void draw_more(const struct ladder *l, const struct conn *c, const char *text)
{
	char mid[400];

	snprintf(mid, sizeof(mid), "   %s", text);
	draw(l, c, "", "", mid, "");
}

static void ms_str(const struct conn *c, __u64 ts, char *buf, size_t len)
{
	snprintf(buf, len, "%.3f", (double)(ts - c->t0) / 1e6);
}

/* ---- connections ---- */

static struct conn *conn_start(struct ladder *l, const struct so_trace_ev *e, bool opening)
{
	struct conn *c = NULL, *best = NULL;
	unsigned int i;

	for (i = 0; i < CONN_MAX && !c; i++)
		if (!l->conns[i].live)
			c = &l->conns[i];
	/* full: the ended connection idle longest, else the one idle longest */
	for (i = 0; i < CONN_MAX && !c; i++) {
		struct conn *x = &l->conns[i];

		if (!best || (x->done && !best->done) ||
		    (x->done == best->done && x->last_ns < best->last_ns))
			best = x;
	}
	if (!c)
		c = best;
	memset(c, 0, sizeof(*c));
	c->live = true;
	c->id = l->next_id++;
	c->family = e->family;
	memcpy(c->laddr, e->laddr, sizeof(c->laddr));
	memcpy(c->raddr, e->raddr, sizeof(c->raddr));
	c->lport = e->lport;
	c->rport = e->rport;
	c->t0 = e->ts_ns;
	c->last_ns = e->ts_ns;
	addr_str(c->family, c->raddr, c->rport, c->caddr, sizeof(c->caddr));
	addr_str(c->family, c->laddr, c->lport, c->saddr, sizeof(c->saddr));
	if (opening && e->dir == SO_TRACE_IN) {
		c->c.state = TCPS_CLOSED;
		c->s.state = TCPS_LISTEN;
	} else if (opening) {
		c->c.state = TCPS_LISTEN;
		c->s.state = TCPS_CLOSED;
	} else {
		/* joined an open connection: what came before is unknown */
		c->c.state = TCPS_ESTABLISHED;
		c->s.state = TCPS_ESTABLISHED;
	}
	if (l->cfg.json)
		return c;
	fprintf(l->out, "conn %u: client %s, server %s (IPv%u)%s\n", c->id, c->caddr, c->saddr,
		c->family, opening ? "" : ", joined while open");
	draw(l, c, "ms", "client", "", "server");
	draw(l, c, "", tcp_state_name(c->c.state), "", tcp_state_name(c->s.state));
	return c;
}

static struct conn *conn_find(struct ladder *l, const struct so_trace_ev *e)
{
	unsigned int i;

	for (i = 0; i < CONN_MAX; i++)
		if (conn_is(&l->conns[i], e))
			return &l->conns[i];
	return NULL;
}

/* ---- the state machines (RFC 9293 3.10), one side at a time ---- */

static void side_send(struct side *a, const struct so_trace_ev *e)
{
	__u8 f = e->tcp_flags;
	__u32 end = e->seq + e->len + !!(f & F_SYN) + !!(f & F_FIN);

	if (f & F_SYN) {
		a->isn = e->seq;
		a->have_isn = true;
		a->ws = e->opt_flags & SO_TRACE_OPT_WSCALE;
		a->wscale = e->wscale;
		if (!(f & F_ACK) && (a->state == TCPS_CLOSED || a->state == TCPS_LISTEN))
			a->state = TCPS_SYN_SENT;
		else if ((f & F_ACK) && a->state == TCPS_SYN_SENT)
			a->state = TCPS_SYN_RCVD; /* simultaneous open */
	} else if (!a->have_isn) {
		a->isn = e->seq;
		a->have_isn = true;
	}
	a->win = e->win;
	a->have_win = true;
	if (f & F_FIN && !a->fin_sent) {
		a->fin_sent = true;
		a->fin_seq = e->seq + e->len + !!(f & F_SYN);
		if (a->state == TCPS_ESTABLISHED || a->state == TCPS_SYN_RCVD)
			a->state = TCPS_FIN_WAIT_1;
		else if (a->state == TCPS_CLOSE_WAIT)
			a->state = TCPS_LAST_ACK;
	}
	if (!a->have_nxt || seq_gt(end, a->nxt)) {
		a->nxt = end;
		a->have_nxt = true;
	}
}

/* FIN received: the state after it (its ACK already taken) */
static __u8 fin_rcvd(__u8 state)
{
	switch (state) {
	case TCPS_SYN_RCVD:
	case TCPS_ESTABLISHED:
		return TCPS_CLOSE_WAIT;
	case TCPS_FIN_WAIT_1:
		return TCPS_CLOSING;
	case TCPS_FIN_WAIT_2:
		return TCPS_TIME_WAIT;
	default:
		return state;
	}
}

/*
 * Whether b takes a reset a sent: SYN_SENT wants the ACK of its SYN; else the
 * sequence number must be exactly the next expected (RFC 5961 3.2: one inside
 * the window gets a challenge ACK, one outside is dropped).
 */
static const char *rst_check(const struct side *b, const struct side *a,
			     const struct so_trace_ev *e)
{
	__u32 wnd = 65535;

	if (b->state == TCPS_LISTEN)
		return "ignored: no connection";
	if (b->state == TCPS_SYN_SENT)
		return (e->tcp_flags & F_ACK) && b->have_isn && e->ack == b->isn + 1 ?
			       NULL :
			       "ignored: does not ack the SYN";
	if (!a->have_nxt || e->seq == a->nxt)
		return NULL;
	if (b->have_win)
		wnd = (__u32)b->win << (a->ws && b->ws ? b->wscale : 0);
	if (seq_ge(e->seq, a->nxt) && seq_gt(a->nxt + wnd, e->seq))
		return "in the window, not next: challenge ACK";
	return "ignored: outside the window";
}

static void side_recv(struct side *b, const struct so_trace_ev *e, bool reject_synack)
{
	__u8 f = e->tcp_flags;

	if (f & F_SYN && !(f & F_ACK)) {
		if (b->state == TCPS_LISTEN || b->state == TCPS_CLOSED) {
			b->state = TCPS_SYN_RCVD;
			b->passive = true;
		} else if (b->state == TCPS_SYN_SENT) {
			b->state = TCPS_SYN_RCVD; /* simultaneous open */
		}
		return;
	}
	if (f & F_ACK) {
		if (f & F_SYN) {
			if (b->state == TCPS_SYN_SENT && !reject_synack && b->have_isn &&
			    e->ack == b->isn + 1)
				b->state = TCPS_ESTABLISHED;
		} else if (b->state == TCPS_SYN_RCVD && b->have_isn && seq_ge(e->ack, b->isn + 1)) {
			b->state = TCPS_ESTABLISHED;
		}
		if (b->fin_sent && seq_ge(e->ack, b->fin_seq + 1)) {
			if (b->state == TCPS_FIN_WAIT_1)
				b->state = TCPS_FIN_WAIT_2;
			else if (b->state == TCPS_CLOSING)
				b->state = TCPS_TIME_WAIT;
			else if (b->state == TCPS_LAST_ACK)
				b->state = TCPS_CLOSED;
		}
	}
	if (f & F_FIN && !b->defer_fin)
		b->state = fin_rcvd(b->state);
}

/* ---- the reorder window ---- */

/* The oldest event leaves: the window moves on, nothing is copied. */
static void pend_pop(struct ladder *l)
{
	l->pend++;
	l->npend--;
}

/* The conn's next segment still waiting, after index from; NULL if none. */
static struct pend *next_seg(struct ladder *l, const struct so_trace_ev *e, size_t from)
{
	size_t i;

	for (i = from; i < l->npend; i++) {
		struct pend *q = &l->pend[i];

		if (q->ev.kind == SO_TRACE_SEG && !q->used && same_tuple(&q->ev, e))
			return q;
	}
	return NULL;
}

/* A FIN from b waiting in the window that does not ack a's FIN: the two crossed. */
static bool fin_crosses(struct ladder *l, const struct so_trace_ev *e, const struct side *a)
{
	size_t i;

	for (i = 0; i < l->npend; i++) {
		const struct so_trace_ev *q = &l->pend[i].ev;

		if (q->kind != SO_TRACE_SEG || !same_tuple(q, e) || q->dir == e->dir)
			continue;
		if (q->tcp_flags & F_FIN)
			return !(q->tcp_flags & F_ACK) || !seq_ge(q->ack, a->fin_seq + 1);
		if (q->tcp_flags & F_ACK && seq_ge(q->ack, a->fin_seq + 1))
			return false; /* b got the FIN before sending its own */
	}
	return false;
}

/* b answers a SYN-ACK with a bare RST (RFC 9293 3.10.7.3): it never sent that SYN. */
static bool synack_refused(struct ladder *l, const struct so_trace_ev *e)
{
	struct pend *q = next_seg(l, e, 0);

	return q && q->ev.dir != e->dir && (q->ev.tcp_flags & (F_RST | F_ACK)) == F_RST &&
	       q->ev.seq == e->ack;
}

/*
 * The kernel ends a full socket that goes to TIME_WAIT with a change to
 * CLOSE (tcp_time_wait() hands on to a timewait socket, then tcp_done()):
 * beside the segment that did it, that is TIME_WAIT. An orphan (the app
 * close()d) whose FIN is acked goes the same way at once, to a timewait
 * socket still in FIN_WAIT_2 (tcp_rcv_state_process()); the collector's
 * TIME_WAIT (it reads the app's shutdown as the peer's FIN) is that too:
 * beside a segment without FIN it is FIN_WAIT_2, the peer's FIN to come.
 */
static __u8 kernel_state(__u8 old, __u8 state, const struct so_trace_ev *seg)
{
	if ((state != TCPS_CLOSED && state != TCPS_TIME_WAIT) || !seg || (seg->tcp_flags & F_RST))
		return state;
	if (old == TCPS_FIN_WAIT_2 && !(seg->tcp_flags & F_FIN))
		return TCPS_FIN_WAIT_2;
	if (old == TCPS_FIN_WAIT_1 || old == TCPS_FIN_WAIT_2 || old == TCPS_CLOSING)
		return TCPS_TIME_WAIT;
	return state;
}

/* States the server enters on its own (close(), connect()): they go beside the segment it sends. */
static bool local_action(__u8 state)
{
	return state == TCPS_FIN_WAIT_1 || state == TCPS_LAST_ACK || state == TCPS_SYN_SENT;
}

static void json_state_ev(struct ladder *l, const struct conn *c, const struct so_trace_ev *e,
			  const char *side, __u8 old, __u8 now, const char *src)
{
	json_head(l, c, e->ts_ns, "state");
	fprintf(l->out, ",\"side\":\"%s\",\"old\":\"%s\",\"new\":\"%s\",\"src\":\"%s\"", side,
		tcp_state_name(old), tcp_state_name(now), src);
	json_states(l, c);
}

static void check_done(struct ladder *l, struct conn *c)
{
	bool cend = c->c.state == TCPS_CLOSED || c->c.state == TCPS_TIME_WAIT ||
		    (c->c.passive && c->c.state == TCPS_LISTEN);
	bool send = c->s.state == TCPS_CLOSED || c->s.state == TCPS_TIME_WAIT ||
		    (c->s.passive && c->s.state == TCPS_LISTEN);

	if (!c->done && cend && send) {
		c->done = true;
		l->done++;
	}
}

static void emit_seg(struct ladder *l, struct pend *p)
{
	const struct so_trace_ev *e = &p->ev;
	bool in = e->dir == SO_TRACE_IN, syn = (e->tcp_flags & (F_SYN | F_ACK)) == F_SYN;
	struct conn *c = conn_find(l, e);
	struct side *a, *b;
	struct side *cross = NULL;
	__u8 c_old, s_old;
	const char *rst_note = NULL;
	bool reject = false, rtx;
	char flags[40], text[160], opts[128], notes[160], ms[24], mid[256], cst[16], sst[16];
	__u32 seq, ack;
	size_t i, tl;
	int dashes;

	/*
	 * A new SYN on an ended connection's 4-tuple, or from a client that reset
	 * it (the server may not have taken the RST: guard drops it, no state):
	 * the old one is history, found no more.
	 */
	if (!c || ((c->done || (in && c->c.state == TCPS_CLOSED)) && syn)) {
		if (c)
			c->live = false;
		c = conn_start(l, e, syn);
	}
	c->last_ns = e->ts_ns;
	a = in ? &c->c : &c->s;
	b = in ? &c->s : &c->c;
	c_old = c->c.state;
	s_old = c->s.state;

	/* relative numbers: against each side's ISN, as the side sending or acking */
	if ((e->tcp_flags & F_SYN) && !a->have_isn) {
		a->isn = e->seq;
		a->have_isn = true;
	}
	if (!a->have_isn) {
		a->isn = e->seq;
		a->have_isn = true;
	}
	if ((e->tcp_flags & F_ACK) && !b->have_isn) {
		b->isn = e->ack - 1;
		b->have_isn = true;
	}
	seq = l->cfg.absolute ? e->seq : e->seq - a->isn;
	ack = l->cfg.absolute ? e->ack : e->ack - b->isn;

	/* what takes sequence space and does not move the sender's next: sent before */
	rtx = a->have_nxt && !(e->tcp_flags & F_RST) &&
	      (e->len || (e->tcp_flags & (F_SYN | F_FIN))) &&
	      !seq_gt(e->seq + e->len + !!(e->tcp_flags & F_SYN) + !!(e->tcp_flags & F_FIN),
		      a->nxt);

	/* the sender first (what it did), then the receiver (what it makes of it) */
	if (e->tcp_flags & F_RST) {
		rst_note = rst_check(b, a, e);
		if (!rst_note) {
			a->state = TCPS_CLOSED;
			if (!dropped(p) || l->cfg.xdp_endpoint)
				b->state = b->state == TCPS_SYN_RCVD && b->passive ? TCPS_LISTEN :
										     TCPS_CLOSED;
		}
	} else {
		side_send(a, e);
		/* a FIN b answers with its own, not acking this one: b gets this one after */
		if ((e->tcp_flags & F_FIN) && !b->fin_sent &&
		    (b->state == TCPS_ESTABLISHED || b->state == TCPS_SYN_RCVD))
			b->defer_fin = fin_crosses(l, e, a);
		if ((e->tcp_flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) &&
		    b->state == TCPS_SYN_SENT)
			reject = synack_refused(l, e);
		if (!dropped(p) || l->cfg.xdp_endpoint)
			side_recv(b, e, reject);
		/* a's own FIN had crossed b's: b's FIN reaches a now, drawn on a line of its own */
		if (a->defer_fin && (e->tcp_flags & F_FIN)) {
			a->defer_fin = false;
			cross = a;
		}
	}

	/* the server's own word on its state: STATE events beside this segment */
	if (p->has_state)
		c->s.state = p->state_new;
	if (in) {
		for (i = 0; i < l->npend; i++) {
			struct pend *q = &l->pend[i];

			if (q->ev.ts_ns > e->ts_ns + ATTACH_NS)
				break;
			if (!same_tuple(&q->ev, e) || q->used)
				continue;
			if (q->ev.kind == SO_TRACE_SEG || local_action(q->ev.new_state))
				break;
			q->used = true;
			c->s.state = kernel_state(q->ev.old_state, q->ev.new_state, e);
			if (l->cfg.json)
				json_state_ev(l, c, &q->ev, "server", q->ev.old_state, c->s.state,
					      src_name(q->ev.src));
		}
	}

	flags_str(e->tcp_flags, flags, sizeof(flags));
	opts_str(e, opts, sizeof(opts));
	notes_str(l, p, notes, sizeof(notes));
	if (rst_note) {
		size_t n = strlen(notes);

		snprintf(notes + n, sizeof(notes) - n, "%s%s", n ? ", " : "", rst_note);
	}
	if (rtx) {
		size_t n = strlen(notes);

		snprintf(notes + n, sizeof(notes) - n, "%sretransmission", n ? ", " : "");
	}

	if (l->cfg.json) {
		json_head(l, c, e->ts_ns, "segment");
		fprintf(l->out,
			",\"dir\":\"%s\",\"flags\":\"%s\",\"seq\":%u,\"ack\":%u,\"len\":%u,\"win\":%u,"
			"\"options\":{",
			in ? "c>s" : "s>c", flags, seq, (e->tcp_flags & F_ACK) ? ack : 0, e->len,
			e->win);
		{
			const char *sep = "";

			if (e->opt_flags & SO_TRACE_OPT_MSS) {
				fprintf(l->out, "\"mss\":%u", e->mss);
				sep = ",";
			}
			if (e->opt_flags & SO_TRACE_OPT_WSCALE) {
				fprintf(l->out, "%s\"ws\":%u", sep, e->wscale);
				sep = ",";
			}
			if (e->opt_flags & SO_TRACE_OPT_SACK_PERM) {
				fprintf(l->out, "%s\"sack_perm\":true", sep);
				sep = ",";
			}
			if (e->opt_flags & SO_TRACE_OPT_SACK) {
				fprintf(l->out, "%s\"sack_blocks\":%u", sep, e->sack_blocks);
				sep = ",";
			}
			if (e->opt_flags & SO_TRACE_OPT_TS)
				fprintf(l->out, "%s\"ts\":{\"val\":%u,\"ecr\":%u}", sep, e->tsval,
					e->tsecr);
		}
		fprintf(l->out, "},\"src\":[");
		for (i = 0; i < p->nreps; i++)
			fprintf(l->out, "%s\"%s\"", i ? "," : "", src_name(p->reps[i].src));
		fprintf(l->out, "]");
		if (notes[0])
			fprintf(l->out, ",\"note\":\"%s\"", notes);
		json_states(l, c);
		if (cross) {
			cross->state = fin_rcvd(cross->state);
			json_state_ev(l, c, e, cross == &c->c ? "client" : "server",
				      TCPS_FIN_WAIT_1, cross->state, "inferred");
		}
		check_done(l, c);
		return;
	}

	/* "FLAGS seq=S ack=A len=L win=W", the options beside it if they fit, else under it */
	tl = snprintf(text, sizeof(text), "%s seq=%u", flags, seq);
	if (e->tcp_flags & F_ACK)
		tl += snprintf(text + tl, sizeof(text) - tl, " ack=%u", ack);
	tl += snprintf(text + tl, sizeof(text) - tl, " len=%u win=%u", e->len, e->win);
	if (opts[0] && tl + 1 + strlen(opts) <= TEXT_W) {
		snprintf(text + tl, sizeof(text) - tl, " %s", opts);
		opts[0] = 0;
	}
	tl = strlen(text);
	dashes = ARROW_W - 5 - (int)tl;
	if (dashes < 1)
		dashes = 1;
	if (in)
		snprintf(mid, sizeof(mid), "-- %s %.*s>", text, dashes,
			 "--------------------------------------------------------------");
	else
		snprintf(mid, sizeof(mid), "<%.*s %s --", dashes,
			 "--------------------------------------------------------------", text);
	ms_str(c, e->ts_ns, ms, sizeof(ms));
	snprintf(cst, sizeof(cst), "%s", c->c.state != c_old ? tcp_state_name(c->c.state) : "");
	snprintf(sst, sizeof(sst), "%s", c->s.state != s_old ? tcp_state_name(c->s.state) : "");
	draw(l, c, ms, cst, mid, sst);
	if (opts[0] && notes[0] && strlen(opts) + strlen(notes) + 4 <= ARROW_W - 3) {
		char both[320];

		snprintf(both, sizeof(both), "%s  (%s)", opts, notes);
		draw_more(l, c, both);
	} else {
		char paren[200];

		if (opts[0])
			draw_more(l, c, opts);
		snprintf(paren, sizeof(paren), "(%s)", notes);
		if (notes[0])
			draw_more(l, c, paren);
	}
	if (cross) {
		cross->state = fin_rcvd(cross->state);
		if (cross == &c->c)
			draw(l, c, ms, tcp_state_name(cross->state),
			     "   (the server's FIN arrives)", "");
		else
			draw(l, c, ms, "", "   (the client's FIN arrives)",
			     tcp_state_name(cross->state));
	}
	check_done(l, c);
}

static void emit_state(struct ladder *l, struct pend *p)
{
	const struct so_trace_ev *e = &p->ev;
	struct conn *c = conn_find(l, e);
	struct pend *q;
	__u8 old;
	char ms[24];

	if (!c) {
		/* a listener's own changes, or a socket ending before the trace saw it */
		if (e->new_state == TCPS_LISTEN || e->new_state == TCPS_CLOSED)
			return;
		c = conn_start(l, e, false);
	}
	c->last_ns = e->ts_ns;
	/* a change the server made on its own goes beside the segment that shows it */
	q = next_seg(l, e, 0);
	if (q && q->ev.dir == SO_TRACE_OUT && q->ev.ts_ns <= e->ts_ns + ATTACH_NS) {
		q->has_state = true;
		q->state_old = e->old_state;
		q->state_new = e->new_state;
		if (l->cfg.json)
			json_state_ev(l, c, e, "server", e->old_state, e->new_state,
				      src_name(e->src));
		return;
	}
	old = c->s.state;
	c->s.state = kernel_state(e->old_state, e->new_state, NULL);
	if (l->cfg.json) {
		json_state_ev(l, c, e, "server", e->old_state, c->s.state, src_name(e->src));
	} else if (c->s.state != old) {
		ms_str(c, e->ts_ns, ms, sizeof(ms));
		draw(l, c, ms, "", "", tcp_state_name(c->s.state));
	}
	check_done(l, c);
}

static void emit_one(struct ladder *l)
{
	struct pend p = l->pend[0];

	pend_pop(l);
	if (p.used)
		return;
	if (p.ev.kind == SO_TRACE_STATE) {
		emit_state(l, &p);
		return;
	}
	emit_seg(l, &p);
	l->seen[l->seen_next] = p;
	l->seen_next = (l->seen_next + 1) % SEEN_MAX;
}

/* Another source's report of a segment waiting or printed: merge it, true. */
static bool dedupe(struct ladder *l, const struct so_trace_ev *ev)
{
	unsigned int bit = 1U << (ev->src & 31);
	size_t i;

	for (i = l->npend; i-- > 0;) {
		struct pend *p = &l->pend[i];

		if (!(p->srcs & bit) && same_seg(&p->ev, ev)) {
			p->srcs |= bit;
			if (p->nreps < REP_MAX)
				p->reps[p->nreps++] = (struct rep){ ev->src, ev->act, ev->reason };
			return true;
		}
	}
	for (i = 0; i < SEEN_MAX; i++) {
		struct pend *p = &l->seen[i];

		if (!(p->srcs & bit) && same_seg(&p->ev, ev)) {
			p->srcs |= bit;
			return true;
		}
	}
	return false;
}

void ladder_add(struct ladder *l, const struct so_trace_ev *ev)
{
	struct pend *p;
	size_t i;

	if (ev->kind == SO_TRACE_SEG && dedupe(l, ev))
		return;
	if (l->npend == PEND_MAX)
		emit_one(l);
	if (l->pend + l->npend == l->pbuf + PEND_MAX) {
		memmove(l->pbuf, l->pend, l->npend * sizeof(l->pend[0]));
		l->pend = l->pbuf;
	}
	/* in ts order; equal times keep the order they came in */
	i = l->npend;
	while (i > 0 && l->pend[i - 1].ev.ts_ns > ev->ts_ns)
		i--;
	memmove(&l->pend[i + 1], &l->pend[i], (l->npend - i) * sizeof(l->pend[0]));
	l->npend++;
	p = &l->pend[i];
	memset(p, 0, sizeof(*p));
	p->ev = *ev;
	p->srcs = 1U << (ev->src & 31);
	p->reps[0] = (struct rep){ ev->src, ev->act, ev->reason };
	p->nreps = 1;
}

void ladder_flush(struct ladder *l, __u64 now_ns)
{
	while (l->npend && l->pend[0].ev.ts_ns + l->cfg.window_ns <= now_ns)
		emit_one(l);
	fflush(l->out);
}

void ladder_finish(struct ladder *l)
{
	while (l->npend)
		emit_one(l);
	fflush(l->out);
}
