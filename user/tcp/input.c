// SPDX-License-Identifier: GPL-2.0
/*
 * Receiving: RFC 9293 segment processing after the handshake, with PAWS
 * (RFC 7323), RFC 5961 RST/SYN/ACK checks, reassembly, the ACK side of
 * loss recovery and the teardown states; and the same steps for the
 * segments XDP took and answered for us (tcp_peer_fin_taken() and friends).
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_int.h"

#define PAWS_IDLE TCP_SEC(24ULL * 24 * 3600) /* RFC 7323: TS.Recent older than this is invalid */

/* RFC 2883: the next ACK reports [start, end) as received twice (first SACK block). */
static void dsack_note(struct tcb *c, uint32_t start, uint32_t end)
{
	if (!c->sack_ok || !seq_lt(start, end))
		return;
	c->dsack.start = start;
	c->dsack.end = end;
	c->dsack_pending = true;
}

static void ratelimited_ack(struct tcb *c, uint64_t now, uint64_t *counter)
{
	if (now - c->last_challenge < c->st->cfg.challenge_gap)
		return;
	c->last_challenge = now;
	c->ack_now = true;
	if (counter)
		(*counter)++;
}

static bool paws_reject(const struct tcb *c, const struct tcp_seg *seg, uint64_t now)
{
	return c->ts_ok && seg->has_ts && (int32_t)(seg->tsval - c->ts_recent) < 0 &&
	       now - c->ts_recent_at < PAWS_IDLE;
}

/*
 * RFC 7323 4.3 (and Linux): TS.Recent from any segment at or before
 * Last.ACK.sent that passed PAWS, duplicates included: the ACK a duplicate
 * earns echoes its TSval.
 */
static void ts_recent_take(struct tcb *c, uint32_t seq, uint32_t tsval, uint64_t now)
{
	if (c->ts_ok && seq_ge(tsval, c->ts_recent) && seq_le(seq, c->last_ack_sent)) {
		c->ts_recent = tsval;
		c->ts_recent_at = now;
	}
}

/* 0: acceptable; 1: old (ends at or before RCV.NXT); 2: beyond the window. */
static int seq_check(const struct tcb *c, const struct tcp_seg *seg)
{
	uint32_t wnd = c->rcv_user + c->rbuf_size - c->rcv_nxt;
	uint32_t seg_len = seg->len + !!(seg->flags & (TCP_F_SYN | TCP_F_FIN));
	uint32_t end = seg->seq + seg_len;
	uint32_t right = c->rcv_nxt + wnd;

	/* what we offered counts even where the buffer is short of it (data is cut there) */
	if (seq_gt(c->rcv_adv, right))
		right = c->rcv_adv;
	if (seq_gt(seg->seq, right))
		return 2;
	if (seg_len == 0)
		return seq_lt(seg->seq, c->rcv_nxt) ? 1 : 0;
	/* like Linux, a segment at RCV.NXT passes a zero window: its ACK counts, its data is cut */
	return seq_gt(end, c->rcv_nxt) ? 0 : 1;
}

static void enter_fin_state(struct tcb *c, uint64_t now)
{
	c->rcv_nxt++;
	c->fin_in = true;
	c->ack_now = true;
	switch (c->state) {
	case TCPS_ESTABLISHED:
		tcp_set_state(c, TCPS_CLOSE_WAIT, now);
		break;
	case TCPS_FIN_WAIT_1: /* our FIN unacked (ack_input moves us on when it is) */
		tcp_set_state(c, TCPS_CLOSING, now);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_set_state(c, TCPS_TIME_WAIT, now);
		break;
	default:
		break;
	}
}

/* What arrived is in: the FIN once everything before it is, then an ACK now or delayed. */
static void rcv_done(struct tcb *c, uint64_t now)
{
	if (c->fin_rcvd && !c->fin_in && c->rcv_nxt == c->rcv_fin_seq)
		enter_fin_state(c, now);
	if (c->ack_now)
		return;
	/* delayed ACK: at once when more than one full segment is unacknowledged */
	if (c->rcv_nxt - c->last_ack_sent > c->rcv_mss)
		c->ack_now = true;
	else if (!tmr_armed(&c->t_delack))
		tcp_tmr_arm(c, &c->t_delack, now + c->st->cfg.delack);
}

static void ring_write(struct tcb *c, uint32_t seq, const uint8_t *p, uint32_t len)
{
	uint32_t pos = (c->rbuf_head + (seq - c->rcv_user)) % c->rbuf_size;
	uint32_t first = umin32(len, c->rbuf_size - pos);

	memcpy(c->rbuf + pos, p, first);
	memcpy(c->rbuf, p + first, len - first);
}

static void data_input(struct tcb *c, const struct tcp_seg *seg, uint64_t now)
{
	struct tcp_stats *ss = &c->st->stats;
	uint32_t seq = seg->seq, len = seg->len, right;
	const uint8_t *p = seg->data;
	bool fin = seg->flags & TCP_F_FIN;

	if (!len && !fin)
		return;
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_FIN_WAIT_1 &&
	    c->state != TCPS_FIN_WAIT_2) {
		/* the peer's FIN is behind us: nothing more can come */
		c->ack_now = true;
		return;
	}
	if (len > c->rcv_mss)
		c->rcv_mss = len;
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;

		dsack_note(c, seq, c->rcv_nxt);
		ss->dup_segs++;
		p += d;
		len -= d;
		seq = c->rcv_nxt;
		c->ack_now = true;
	}
	right = c->rcv_user + c->rbuf_size;
	if (seq_gt(seq + len, right)) {
		len = seq_lt(seq, right) ? right - seq : 0;
		fin = false;
		ss->beyond_wnd++;
		c->ack_now = true;
	}
	if (fin && !c->fin_rcvd) {
		c->fin_rcvd = true;
		c->rcv_fin_seq = seq + len;
	}
	if (c->fin_rcvd && seq_gt(seq + len, c->rcv_fin_seq))
		len = seq_lt(seq, c->rcv_fin_seq) ? c->rcv_fin_seq - seq : 0;

	if (len) {
		ring_write(c, seq, p, len);
		if (seq == c->rcv_nxt) {
			bool had_ooo = c->nooo;

			c->rcv_nxt += len;
			while (c->nooo && seq_le(c->ooo[0].start, c->rcv_nxt)) {
				c->rcv_nxt = seq_max(c->rcv_nxt, c->ooo[0].end);
				memmove(c->ooo, c->ooo + 1, (c->nooo - 1) * sizeof(c->ooo[0]));
				c->nooo--;
			}
			c->ooo_last = 0xff;
			if (had_ooo) /* RFC 5681: ACK at once when a hole fills */
				c->ack_now = true;
		} else {
			int i = tcp_range_add(c->ooo, &c->nooo, TCP_OOO_MAX, seq, seq + len);

			if (i >= 0)
				c->ooo_last = (uint8_t)i;
			ss->ooo_segs++;
			c->ack_now = true;
		}
	}
	rcv_done(c, now);
}

/*
 * RFC 2883: a first SACK block below the ACK, or inside the second block,
 * reports a duplicate the peer received. One inside the latest recovery
 * means a retransmission was needless: the hole was reordering, not loss.
 * DupThresh then rises past what the peer held when recovery began (Linux
 * raises tp->reordering alike), and once every retransmission of the
 * recovery proves needless, its window reduction is undone (RFC 3708).
 */
static void dsack_check(struct tcb *c, const struct tcp_seg *seg, uint32_t ack)
{
	uint32_t s = seg->sack[0].start, e = seg->sack[0].end;

	if (!seq_lt(s, e))
		return;
	if (!seq_le(e, ack) &&
	    !(seg->nsack > 1 && seq_ge(s, seg->sack[1].start) && seq_le(e, seg->sack[1].end)))
		return;
	if (!c->undo_ok || seq_lt(s, c->undo_seq) || seq_ge(s, c->recover))
		return;
	c->st->stats.spurious_retrans++;
	if (c->reordering <= c->rec_seen && c->reordering < TCP_REORDER_MAX)
		c->reordering++;
	if (c->undo_retrans && !--c->undo_retrans) {
		c->cwnd = umax32(c->cwnd, c->prior_cwnd);
		c->ssthresh = umax32(c->ssthresh, c->prior_ssthresh);
		c->in_recovery = false;
		c->undo_ok = false;
		c->st->stats.undos++;
	}
}

/* RFC 9293 3.10.7.4: the window comes from the newest segment, by SEG.SEQ, then SEG.ACK. */
static bool wnd_newer(const struct tcb *c, uint32_t seq, uint32_t ack)
{
	return seq_lt(c->snd_wl1, seq) || (c->snd_wl1 == seq && seq_le(c->snd_wl2, ack));
}

/*
 * SND.UNA moves to ack (> SND.UNA): the send ring, RTT, congestion window,
 * recovery, the RTO, the app's sent callback, our FIN. Returns false when the
 * connection ended here (the ACK of our FIN in LAST_ACK, or the app aborted).
 */
static bool snd_una_advance(struct tcb *c, uint32_t ack, uint64_t now)
{
	uint32_t mss = tcp_mss(c), acked = ack - c->snd_una, data = acked;
	bool fin_acked = c->fin_queued && seq_gt(ack, c->fin_seq);

	if (fin_acked)
		data--;
	if (data > c->sbuf_len)
		data = c->sbuf_len;
	c->sbuf_head = (c->sbuf_head + data) % c->sbuf_size;
	c->sbuf_len -= data;
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, ack))
		c->snd_nxt = ack;
	if (c->rtt_active && seq_gt(ack, c->rtt_seq)) {
		tcp_rtt_sample(c, now - c->rtt_start);
		c->rtt_active = false;
	}
	c->backoff = 0;
	c->retries = 0;
	c->persist_backoff = 0;
	c->dupacks = 0;
	tcp_range_trim(c->score, &c->nscore, ack);

	if (c->in_recovery) {
		if (seq_ge(ack, c->recover)) {
			/* RFC 6582 full ACK */
			c->in_recovery = false;
			c->cwnd = umin32(c->ssthresh, (c->snd_max - c->snd_una) + mss);
			c->high_rxt = c->snd_una;
		} else if (!c->sack_ok) {
			/* NewReno partial ACK: resend the next hole, deflate */
			c->snd_nxt = seq_max(c->snd_nxt,
					     c->snd_una + tcp_send_range(c, c->snd_una, mss, now));
			c->st->stats.retrans_segs++;
			c->undo_retrans++;
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			if (acked >= mss)
				c->cwnd += mss;
			c->cwnd = umax32(c->cwnd, mss);
		} else if (seq_le(c->high_rxt, c->snd_una)) {
			/* a partial ACK says the hole at SND.UNA is lost too */
			c->high_rxt = c->snd_una + tcp_send_range(c, c->snd_una, mss, now);
			c->st->stats.sack_retrans++;
			c->st->stats.retrans_segs++;
			c->undo_retrans++;
		}
	} else if (c->cwnd < c->ssthresh) {
		c->cwnd += umin32(acked, mss);
	} else {
		c->bytes_acked += acked;
		if (c->bytes_acked >= c->cwnd) {
			c->bytes_acked -= c->cwnd;
			c->cwnd += mss;
		}
	}
	if (c->cwnd > (1U << 30))
		c->cwnd = 1U << 30;
	if (c->snd_una == c->snd_max)
		tcp_tmr_cancel(c, &c->t_rto);
	else
		tcp_rto_arm(c, now);
	if (data && c->app && c->app->sent) {
		c->app->sent(c, data, tcp_snd_space(c));
		if (c->state == TCPS_CLOSED)
			return false;
	}
	if (fin_acked) {
		if (c->state == TCPS_FIN_WAIT_1) {
			tcp_set_state(c, TCPS_FIN_WAIT_2, now);
		} else if (c->state == TCPS_CLOSING) {
			tcp_set_state(c, TCPS_TIME_WAIT, now);
		} else if (c->state == TCPS_LAST_ACK) {
			tcp_set_state(c, TCPS_CLOSED, now);
			return false;
		}
	}
	return true;
}

/* Returns false when the connection ended here. */
static bool ack_input(struct tcb *c, const struct tcp_seg *seg, uint64_t now)
{
	uint32_t ack = seg->ack, mss = tcp_mss(c);
	bool wnd_changed = false;

	if (wnd_newer(c, seg->seq, ack)) {
		uint32_t w = (uint32_t)seg->wnd << c->snd_wscale;

		wnd_changed = w != c->snd_wnd;
		c->snd_wnd = w;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = ack;
		if (w > c->max_snd_wnd)
			c->max_snd_wnd = w;
	}
	if (c->sack_ok && seg->nsack) {
		dsack_check(c, seg, ack);
		tcp_sack_update(c, seg);
	}

	if (seq_gt(ack, c->snd_una)) {
		if (!snd_una_advance(c, ack, now))
			return false;
	} else if (ack == c->snd_una && seq_lt(c->snd_una, c->snd_nxt)) {
		/* RFC 5681's duplicate ACK; SACK information counts on any segment */
		bool dup = !seg->len && !(seg->flags & TCP_F_FIN) && (!wnd_changed || seg->nsack);

		if (dup && c->dupacks < 255)
			c->dupacks++;
		if (c->in_recovery) {
			if (dup && !c->sack_ok)
				c->cwnd += mss; /* Reno inflation: a segment left the network */
		} else if (c->dupacks >= c->reordering && seq_ge(c->snd_una, c->recover)) {
			tcp_enter_recovery(c, now);
		}
	}
	/* RFC 6675: SACKed data above SND.UNA can show the loss before three duplicates */
	if (!c->in_recovery && c->sack_ok && c->nscore && seq_ge(c->snd_una, c->recover) &&
	    seq_lt(c->snd_una, c->snd_nxt) && tcp_sacked_bytes(c) > (c->reordering - 1U) * mss)
		tcp_enter_recovery(c, now);
	return true;
}

static void timewait_input(struct tcb *c, const struct tcp_seg *seg, uint64_t now)
{
	if (seg->flags & TCP_F_RST) /* RFC 1337 */
		return;
	if ((seg->flags & TCP_F_FIN) && seg->seq + seg->len + 1 == c->rcv_nxt)
		tcp_tmr_arm(c, &c->t_wait, now + 2 * c->st->cfg.msl);
	c->ack_now = true;
}

void tcp_input(struct tcb *c, const struct tcp_seg *seg, uint64_t now)
{
	struct tcp_stats *ss = &c->st->stats;
	int check;

	if (c->state == TCPS_CLOSED)
		return;
	c->st->now = now;
	tcp_enter(c);
	ss->segs_in++;
	ss->bytes_in += seg->len;
	c->last_seen = now;
	if (c->state == TCPS_TIME_WAIT) {
		timewait_input(c, seg, now);
		goto out;
	}
	if (!(seg->flags & TCP_F_RST) && paws_reject(c, seg, now)) {
		ss->paws_drops++;
		c->ack_now = true;
		goto out;
	}
	check = seq_check(c, seg);
	if (check != 2 && !(seg->flags & (TCP_F_RST | TCP_F_SYN)) && seg->has_ts)
		ts_recent_take(c, seg->seq, seg->tsval, now);
	if (check) {
		if (seg->flags & TCP_F_RST)
			goto out;
		ss->dup_segs += check == 1;
		ss->beyond_wnd += check == 2;
		if (check == 1 && (seg->len || (seg->flags & TCP_F_FIN)))
			dsack_note(c, seg->seq, seg->seq + seg->len + !!(seg->flags & TCP_F_FIN));
		/* data must be answered (the peer may have lost our ACK); bare old ACKs are rate-limited */
		if (seg->len || (seg->flags & (TCP_F_FIN | TCP_F_SYN)))
			c->ack_now = true;
		else
			ratelimited_ack(c, now, NULL);
		goto out;
	}
	if (seg->flags & TCP_F_RST) {
		/* RFC 5961 3.2: only the exact sequence number resets */
		if (seg->seq == c->rcv_nxt) {
			ss->resets_in++;
			tcp_reset_conn(c, -ECONNRESET, now);
		} else {
			ratelimited_ack(c, now, &ss->challenge_acks);
		}
		goto out;
	}
	if (seg->flags & TCP_F_SYN) { /* RFC 5961 4.2 */
		ratelimited_ack(c, now, &ss->challenge_acks);
		goto out;
	}
	if (!(seg->flags & TCP_F_ACK))
		goto out;
	if (seq_gt(seg->ack, c->snd_max)) {
		c->ack_now = true;
		goto out;
	}
	if (seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) { /* RFC 5961 5.2 */
		ratelimited_ack(c, now, &ss->challenge_acks);
		goto out;
	}
	if (!ack_input(c, seg, now))
		goto out;
	data_input(c, seg, now);
	tcp_deliver(c, now);
out:
	tcp_leave(c, now);
}

/*
 * ---- what XDP took for us ----
 * Each call runs the steps tcp_input() runs for the segment XDP took (SEG.SEQ
 * = RCV.NXT, SEG.ACK = what the peer had acknowledged, the window
 * unchanged), and then counts the ACK that was due as sent: XDP sent it.
 */

static void taken_begin(struct tcb *c, uint32_t ack, uint32_t ts_recent, uint64_t now)
{
	c->st->now = now;
	tcp_enter(c);
	c->last_seen = now;
	ts_recent_take(c, c->rcv_nxt, seq_gt(ts_recent, c->ts_recent) ? ts_recent : c->ts_recent,
		       now);
	/* the newest segment for the window, though XDP keeps no window of the peer's for us */
	if (wnd_newer(c, c->rcv_nxt, ack)) {
		c->snd_wl1 = c->rcv_nxt;
		c->snd_wl2 = ack;
	}
}

static void taken_end(struct tcb *c, uint64_t now)
{
	if (c->state != TCPS_CLOSED) {
		tcp_deliver(c, now);
		tcp_ack_sent_elsewhere(c);
	}
	tcp_leave(c, now);
}

void tcp_peer_fin_taken(struct tcb *c, uint32_t ts_recent, uint64_t now)
{
	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_FIN_WAIT_1 &&
	    c->state != TCPS_FIN_WAIT_2)
		return;
	taken_begin(c, c->snd_una, ts_recent, now);
	if (!c->fin_rcvd) {
		c->fin_rcvd = true;
		c->rcv_fin_seq = c->rcv_nxt;
	}
	rcv_done(c, now);
	taken_end(c, now);
}

void tcp_our_fin_acked(struct tcb *c, uint32_t ts_recent, uint64_t now)
{
	uint32_t ack = c->snd_nxt;

	if (c->state != TCPS_FIN_WAIT_1 && c->state != TCPS_CLOSING && c->state != TCPS_LAST_ACK)
		return;
	taken_begin(c, ack, ts_recent, now);
	if (seq_gt(ack, c->snd_una))
		snd_una_advance(c, ack, now);
	taken_end(c, now);
}

void tcp_peer_reset(struct tcb *c, uint64_t now)
{
	if (c->state == TCPS_CLOSED || c->state == TCPS_TIME_WAIT)
		return;
	c->st->now = now;
	tcp_enter(c);
	c->last_seen = now;
	c->st->stats.resets_in++;
	tcp_reset_conn(c, -ECONNRESET, now);
	tcp_leave(c, now);
}

void tcp_timewait_restart(struct tcb *c, uint64_t when)
{
	if (c->state == TCPS_TIME_WAIT)
		tcp_tmr_arm(c, &c->t_wait, when + 2 * c->st->cfg.msl);
}
