// SPDX-License-Identifier: GPL-2.0
/*
 * Sending: segmentation, windows (peer's and congestion), loss recovery
 * (RFC 6298 RTO values, RFC 5681/6582 fast retransmit and NewReno, RFC 6675
 * SACK recovery with a simplified pipe), window probes and ACKs. The timers
 * that call in here are in timer.c.
 */
#include <string.h>

#include "tcp/tcp_int.h"

/* RFC 2018: the block holding the latest segment first, then the others, lowest first. */
static unsigned int sack_blocks(struct tcb *c, struct tcp_range *out)
{
	unsigned int max = c->ts_ok ? 3 : 4, n = 0, i;

	if (!c->sack_ok)
		return 0;
	/* a duplicate goes first (RFC 2883), reported once */
	if (c->dsack_pending) {
		out[n++] = c->dsack;
		c->dsack_pending = false;
	}
	if (!c->nooo)
		return n;
	if (c->ooo_last < c->nooo)
		out[n++] = c->ooo[c->ooo_last];
	for (i = 0; i < c->nooo && n < max; i++)
		if (i != c->ooo_last)
			out[n++] = c->ooo[i];
	return n;
}

static uint16_t rcv_window(struct tcb *c)
{
	/*
	 * Keep one scaling unit of the buffer in reserve: rounding a window up so
	 * it never shrinks (below) then never offers more than the buffer holds.
	 */
	uint32_t slack = (1U << c->rcv_wscale) - 1;
	uint32_t free = c->rcv_user + c->rbuf_size - c->rcv_nxt;
	uint32_t raw = (free > slack ? free - slack : 0) >> c->rcv_wscale;
	uint32_t edge;

	if (raw > 65535)
		raw = 65535;
	edge = c->rcv_nxt + (raw << c->rcv_wscale);
	if (seq_lt(edge, c->rcv_adv)) {
		/* never shrink what we offered (scaling rounds down) */
		raw = (c->rcv_adv - c->rcv_nxt + slack) >> c->rcv_wscale;
		if (raw > 65535)
			raw = 65535;
		edge = c->rcv_nxt + (raw << c->rcv_wscale);
	}
	/* the edge actually offered: what the peer may fill, and what seq_check accepts */
	if (seq_gt(edge, c->rcv_adv))
		c->rcv_adv = edge;
	return (uint16_t)raw;
}

static void emit(struct tcb *c, struct tcp_seg *seg, uint64_t now)
{
	struct tcp_stack *st = c->st;

	if (c->ts_ok) {
		seg->has_ts = true;
		seg->tsval = tcp_tsval(c, now);
		seg->tsecr = c->ts_recent;
	}
	if (seg->flags & TCP_F_ACK) {
		seg->ack = c->rcv_nxt;
		c->last_ack_sent = c->rcv_nxt;
		c->ack_now = false;
		tcp_tmr_cancel(c, &c->t_delack);
	}
	st->stats.segs_out++;
	st->stats.bytes_out += seg->len;
	st->ops->emit(st->ctx, c, seg);
}

static void seg_init(struct tcb *c, struct tcp_seg *seg, uint32_t seq, uint8_t flags)
{
	memset(seg, 0, sizeof(*seg));
	seg->seq = seq;
	seg->flags = flags;
	if (flags & TCP_F_ACK) {
		seg->wnd = rcv_window(c);
		seg->nsack = (uint8_t)sack_blocks(c, seg->sack);
	}
}

void tcp_send_ack(struct tcb *c, uint64_t now)
{
	struct tcp_seg seg;

	seg_init(c, &seg, c->snd_nxt, TCP_F_ACK);
	emit(c, &seg, now);
}

void tcp_ack_sent_elsewhere(struct tcb *c)
{
	if (!c->ack_now)
		return;
	/* what sending it would have done: the edge it offers, no ACK owed any more */
	rcv_window(c);
	c->last_ack_sent = c->rcv_nxt;
	c->ack_now = false;
	tcp_tmr_cancel(c, &c->t_delack);
}

void tcp_send_rst(struct tcb *c, uint64_t now)
{
	struct tcp_seg seg;

	seg_init(c, &seg, c->snd_nxt, TCP_F_RST | TCP_F_ACK);
	seg.nsack = 0;
	emit(c, &seg, now);
}

uint32_t tcp_send_range(struct tcb *c, uint32_t seq, uint32_t len, uint64_t now)
{
	struct tcp_seg seg;
	uint32_t off = seq - c->snd_una;
	uint32_t avail = off < c->sbuf_len ? c->sbuf_len - off : 0;
	uint32_t n = umin32(len, avail), pos, first;

	seg_init(c, &seg, seq, TCP_F_ACK);
	n = umin32(n, tcp_seg_room(c, seg.nsack));
	if (c->fin_queued && seq + n == c->fin_seq && len > n)
		seg.flags |= TCP_F_FIN;
	if (n) {
		pos = (c->sbuf_head + off) % c->sbuf_size;
		first = umin32(n, c->sbuf_size - pos);
		if (first == n) {
			seg.data = c->sbuf + pos;
		} else {
			memcpy(c->st->scratch, c->sbuf + pos, first);
			memcpy(c->st->scratch + first, c->sbuf, n - first);
			seg.data = c->st->scratch;
		}
		seg.len = n;
		/*
		 * PSH where Linux puts it: on the segment that empties the buffer, and
		 * on the first segment of a write the window cuts short (it pushes
		 * once a write passes half the peer's window).
		 */
		if (n == avail || (seq == c->write_start && seq_ge(seq, c->snd_max)))
			seg.flags |= TCP_F_PSH;
	}
	emit(c, &seg, now);
	n += !!(seg.flags & TCP_F_FIN);
	/* a retransmission may carry more than the original did (fewer SACK blocks) */
	c->snd_max = seq_max(c->snd_max, seq + n);
	return n;
}

/* ---- RTO (RFC 6298) ---- */

void tcp_rtt_sample(struct tcb *c, uint64_t rtt)
{
	const struct tcp_cfg *cfg = &c->st->cfg;
	uint64_t var4;

	if (!c->rtt_valid) {
		c->srtt = rtt;
		c->rttvar = rtt / 2;
		c->rtt_valid = true;
	} else {
		uint64_t delta = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;

		c->rttvar = (3 * c->rttvar + delta) / 4;
		c->srtt = (7 * c->srtt + rtt) / 8;
	}
	var4 = 4 * c->rttvar;
	if (var4 < TCP_MS(1)) /* G, the clock granularity we assume */
		var4 = TCP_MS(1);
	c->rto = c->srtt + var4;
	if (c->rto < cfg->rto_min)
		c->rto = cfg->rto_min;
	if (c->rto > cfg->rto_max)
		c->rto = cfg->rto_max;
}

uint64_t tcp_rto_backed_off(const struct tcb *c, unsigned int backoff)
{
	uint64_t r = c->rto, max = c->st->cfg.rto_max;

	while (backoff-- && r < max)
		r *= 2;
	return r < max ? r : max;
}

void tcp_rto_arm(struct tcb *c, uint64_t now)
{
	tcp_tmr_arm(c, &c->t_rto, now + tcp_rto_backed_off(c, c->backoff));
}

/* ---- loss recovery ---- */

uint32_t tcp_sacked_bytes(const struct tcb *c)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < c->nscore; i++)
		sum += c->score[i].end - c->score[i].start;
	return sum;
}

/*
 * RFC 6675's IsLost, simplified: a hole is lost when more than
 * (DupThresh - 1) * SMSS bytes above it were SACKed (DupThresh: reordering). Returns the sequence
 * below which every hole counts as lost.
 */
static uint32_t lost_edge(const struct tcb *c)
{
	uint32_t acc = 0;
	int i;

	for (i = (int)c->nscore - 1; i >= 0; i--) {
		acc += c->score[i].end - c->score[i].start;
		if (acc > (c->reordering - 1U) * tcp_mss(c))
			return c->score[i].start;
	}
	return c->snd_una;
}

/* Walk the holes below lost_edge not yet retransmitted: the first one, and their total. */
static uint32_t lost_holes(const struct tcb *c, uint32_t *first_seq, uint32_t *first_len)
{
	uint32_t edge = lost_edge(c), from = c->snd_una, total = 0;
	unsigned int i;

	*first_len = 0;
	for (i = 0; i < c->nscore && seq_lt(from, edge); i++) {
		uint32_t s = seq_max(from, c->high_rxt);
		uint32_t e = seq_min(c->score[i].start, edge);

		if (seq_lt(s, e)) {
			if (!*first_len) {
				*first_seq = s;
				*first_len = e - s;
			}
			total += e - s;
		}
		from = c->score[i].end;
	}
	return total;
}

static uint32_t pipe_estimate(const struct tcb *c)
{
	uint32_t seq, len, out = c->snd_nxt - c->snd_una;
	uint32_t gone = tcp_sacked_bytes(c) + lost_holes(c, &seq, &len);

	return out > gone ? out - gone : 0;
}

void tcp_enter_recovery(struct tcb *c, uint64_t now)
{
	uint32_t mss = tcp_mss(c), used;

	c->prior_cwnd = c->cwnd;
	c->prior_ssthresh = c->ssthresh;
	c->undo_ok = true;
	c->undo_retrans = 1;
	c->undo_seq = c->snd_una;
	c->rec_seen = (uint8_t)umin32(umax32(c->dupacks, tcp_sacked_bytes(c) / mss), 255);
	c->ssthresh = umax32((c->snd_nxt - c->snd_una) / 2, 2 * mss);
	c->cwnd = c->sack_ok ? c->ssthresh : c->ssthresh + 3 * mss;
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->bytes_acked = 0;
	c->rtt_active = false; /* Karn: the timed segment may be the one resent */
	used = tcp_send_range(c, c->snd_una, mss, now);
	c->high_rxt = c->snd_una + used;
	c->st->stats.fast_retrans++;
	c->st->stats.retrans_segs++;
}

/* After an RTO, skip what the peer already SACKed instead of sending it again. */
static void skip_sacked(struct tcb *c)
{
	unsigned int i;

	for (i = 0; i < c->nscore; i++)
		if (seq_le(c->score[i].start, c->snd_nxt) && seq_lt(c->snd_nxt, c->score[i].end))
			c->snd_nxt = seq_min(c->score[i].end, c->snd_max);
}

void tcp_output(struct tcb *c, uint64_t now)
{
	uint32_t mss = tcp_mss(c);
	bool sent = false;

	if (!tcp_can_send(c))
		goto ack;
	for (;;) {
		uint32_t cong, off, avail, wnd_end, rwnd, n, used, seq;
		bool fin_due, retx;

		if (c->in_recovery && c->sack_ok) {
			uint32_t pipe = pipe_estimate(c), hole, hole_len;

			if (pipe >= c->cwnd)
				break;
			cong = c->cwnd - pipe;
			lost_holes(c, &hole, &hole_len);
			if (hole_len) {
				used = tcp_send_range(c, hole, umin32(hole_len, mss), now);
				c->high_rxt = hole + used;
				c->undo_retrans++;
				c->st->stats.sack_retrans++;
				c->st->stats.retrans_segs++;
				sent = true;
				continue;
			}
		} else {
			uint32_t flight = c->snd_nxt - c->snd_una;

			cong = c->cwnd > flight ? c->cwnd - flight : 0;
			/* RFC 3042 limited transmit: a new segment for each of the first two duplicates */
			if (!c->in_recovery && c->dupacks && c->dupacks < c->reordering &&
			    flight < c->cwnd + c->dupacks * mss)
				cong = c->cwnd + c->dupacks * mss - flight;
		}
		if (seq_lt(c->snd_nxt, c->snd_max))
			skip_sacked(c);
		seq = c->snd_nxt;
		off = seq - c->snd_una;
		avail = off < c->sbuf_len ? c->sbuf_len - off : 0;
		fin_due = c->fin_queued && seq_le(seq, c->fin_seq);
		wnd_end = c->snd_una + c->snd_wnd;
		rwnd = seq_gt(wnd_end, seq) ? wnd_end - seq : 0;
		n = umin32(umin32(avail, rwnd), umin32(cong, mss));
		/* sender SWS avoidance, no Nagle: full segments, the tail, or half the peer's max window */
		if (!(n && (n == mss || n == avail || (n == rwnd && n >= c->max_snd_wnd / 2))) &&
		    !(fin_due && avail == 0))
			break;
		retx = seq_lt(seq, c->snd_max);
		used = tcp_send_range(c, seq, n + (fin_due && n == avail), now);
		if (retx) {
			c->st->stats.retrans_segs++;
		} else if (!c->rtt_active) {
			c->rtt_active = true;
			c->rtt_seq = seq;
			c->rtt_start = now;
		}
		c->snd_nxt = seq + used;
		c->snd_max = seq_max(c->snd_max, c->snd_nxt);
		if (!tmr_armed(&c->t_rto))
			tcp_rto_arm(c, now);
		tcp_tmr_cancel(c, &c->t_persist);
		sent = true;
	}
	/* data waits for a window while nothing is in flight: probe it */
	if (c->snd_nxt == c->snd_una && c->sbuf_len && !tmr_armed(&c->t_persist) &&
	    !tmr_armed(&c->t_rto))
		tcp_tmr_arm(c, &c->t_persist, now + tcp_rto_backed_off(c, c->persist_backoff));
ack:
	if (c->ack_now && !sent && c->state != TCPS_CLOSED)
		tcp_send_ack(c, now);
}
