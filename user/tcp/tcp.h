/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller's TCP engine: one connection after the handshake (XDP did
 * the handshake), in user space, with no I/O of its own.
 *
 * The glue parses a frame into a struct tcp_seg and calls tcp_input(); the
 * engine answers through ops->emit() with segments the glue turns into
 * frames. What the peer sent that XDP took and answered on its own (a FIN,
 * the ACK of our FIN, a RST) the glue reports with tcp_peer_fin_taken(),
 * tcp_our_fin_acked(), tcp_peer_reset() and tcp_timewait_restart(); it reads
 * a connection through tcp_conn_state() and tcp_conn_info(), never its
 * fields. Time is a caller-supplied monotonic clock in nanoseconds: the glue
 * calls tcp_stack_run_timers() when tcp_stack_next_timer() is due. Nothing is
 * global, so any number of stacks and connections coexist; each connection's
 * memory is bounded by the configured buffer sizes.
 *
 * Sequence space: after tcp_conn_init() SND.UNA = SND.NXT = ISS + 1 and
 * RCV.NXT = IRS + 1 (the SYNs took one number each); a FIN takes one more.
 */
#ifndef SHAKEOFF_TCP_H
#define SHAKEOFF_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shakeoff/tcp_state.h>
#include <shakeoff/tcp_wire.h>

#include "tcp/timer_heap.h"

#define TCP_OOO_MAX 16 /* out-of-order ranges held by the receiver */
#define TCP_SCORE_MAX 32 /* SACKed ranges remembered by the sender */
#define TCP_REORDER_MAX 64 /* highest DupThresh reordering may raise it to, segments */

#define TCP_MS(x) ((uint64_t)(x)*1000000ULL)
#define TCP_SEC(x) ((uint64_t)(x)*1000000000ULL)

struct tcp_range {
	uint32_t start, end; /* [start, end) in sequence space */
};

/* A parsed segment, host byte order. Input: what arrived. Output: what to build. */
struct tcp_seg {
	uint32_t seq, ack;
	uint8_t flags; /* TCP_F_* */
	uint16_t wnd; /* as on the wire, unscaled */
	bool has_ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tcp_range sack[TCP_SACK_BLOCKS_MAX];
	const uint8_t *data; /* output: valid only during emit() */
	uint32_t len;
};

struct tcp_cfg {
	uint32_t snd_buf; /* bytes of unacknowledged + unsent data per connection */
	uint32_t rcv_buf; /* bytes of undelivered + out-of-order data per connection */
	uint64_t msl; /* TIME_WAIT lasts 2 * msl */
	uint64_t delack; /* delayed ACK timeout */
	uint64_t rto_init, rto_min, rto_max;
	uint64_t idle; /* no segment for this long: abort with RST (0: never) */
	uint64_t challenge_gap; /* at most one challenge ACK per connection per gap */
	unsigned int max_retries; /* RTO expiries in a row before giving up */
	unsigned int ts_shift; /* TSval tick = 2^ts_shift ns (20: guard's ~1.05 ms) */
	uint32_t init_cwnd_segs;
};

void tcp_cfg_default(struct tcp_cfg *cfg);

struct tcb;

/*
 * What an application sees; all optional except data. Callbacks run inside
 * the engine: they may call tcp_send(), tcp_close(), tcp_abort(), and what
 * they queue goes out when the engine returns to the glue.
 */
struct tcp_app {
	void (*open)(struct tcb *c);
	/*
	 * In-order bytes; return how many were taken. The rest is offered again
	 * later (with later segments, or at tcp_recv_resume()).
	 */
	size_t (*data)(struct tcb *c, const uint8_t *buf, size_t len);
	/*
	 * The peer acknowledged `acked` more bytes of data (our FIN not counted);
	 * `space` is the room now free in the send buffer (tcp_snd_space()): an
	 * app that writes more than tcp_send() took refills from here.
	 */
	void (*sent)(struct tcb *c, size_t acked, size_t space);
	/* The peer sent FIN: no more data will come; we may still send. */
	void (*close)(struct tcb *c);
	/* The connection is over for the app (0: closed, -ECONNRESET, -ETIMEDOUT). */
	void (*done)(struct tcb *c, int err);
};

/* What the glue provides. */
struct tcp_ops {
	void (*emit)(void *ctx, struct tcb *c, const struct tcp_seg *seg);
	/* CLOSED: the glue may now tcp_conn_fini() and free c (not from inside this call). */
	void (*release)(void *ctx, struct tcb *c);
	/* Optional: c changed state (the handshake's ESTABLISHED at tcp_conn_init() not told). */
	void (*state)(void *ctx, struct tcb *c, enum tcp_state old, enum tcp_state s);
};

struct tcp_stats {
	uint64_t segs_in, segs_out, bytes_in, bytes_out;
	uint64_t retrans_segs, rto_fired, fast_retrans, sack_retrans;
	uint64_t dup_segs, ooo_segs, beyond_wnd, paws_drops;
	uint64_t challenge_acks, resets_in, probes;
	uint64_t spurious_retrans; /* retransmissions the peer's D-SACK showed needless */
	uint64_t undos; /* recoveries undone: every retransmission of them was needless */
};

struct tcp_stack {
	struct tcp_cfg cfg;
	const struct tcp_ops *ops;
	void *ctx;
	struct tmr_heap timers;
	struct tcp_stats stats;
	uint64_t now; /* the time of the entry point running: what app callbacks pass on */
	uint8_t scratch[65536]; /* a segment that wraps around the send ring */
};

int tcp_stack_init(struct tcp_stack *st, const struct tcp_cfg *cfg, const struct tcp_ops *ops,
		   void *ctx);
void tcp_stack_fini(struct tcp_stack *st);
uint64_t tcp_stack_next_timer(const struct tcp_stack *st);
void tcp_stack_run_timers(struct tcp_stack *st, uint64_t now);

/* What the handshake negotiated (from the flow entry XDP wrote). */
struct tcp_conn_params {
	uint32_t iss, irs;
	uint16_t peer_mss; /* from the peer's SYN (536 if absent) */
	uint16_t our_mss; /* what we announced */
	uint8_t snd_wscale; /* the peer's shift (0 without scaling) */
	uint8_t rcv_wscale; /* ours (0 without scaling) */
	bool sack_ok, ts_ok;
	uint32_t ts_recent; /* the peer's last TSval */
	uint32_t ts_offset; /* our TSval = (now >> ts_shift) + ts_offset */
	uint16_t peer_wnd; /* raw window of the handshake's final ACK */
	uint16_t our_wnd; /* the window our SYN-ACK offered (0: the whole receive buffer) */
};

struct tcb {
	struct tcp_stack *st;
	const struct tcp_app *app;
	void *app_data; /* the app's */
	void *glue; /* the glue's (flow key, socket, ...) */
	enum tcp_state state;

	/* send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint16_t peer_mss;
	uint8_t snd_wscale, rcv_wscale;
	bool sack_ok, ts_ok;
	/* send buffer: a ring holding the bytes from SND.UNA on */
	uint8_t *sbuf;
	uint32_t sbuf_size, sbuf_head, sbuf_len;
	bool fin_queued; /* the app closed: FIN at fin_seq */
	uint32_t write_start; /* first byte of the latest write into an idle buffer */
	uint32_t fin_seq;
	/* congestion control and loss recovery */
	uint32_t cwnd, ssthresh, bytes_acked, recover, high_rxt;
	uint8_t dupacks;
	uint8_t reordering; /* DupThresh, segments: 3, raised when the peer shows reordering */
	bool in_recovery;
	/* undoing a recovery that D-SACKs show was needless (RFC 3708's detection) */
	bool undo_ok; /* the latest recovery may still be undone (no RTO since) */
	uint8_t rec_seen; /* segments the peer had beyond the hole when it began */
	uint16_t undo_retrans; /* its retransmissions not yet D-SACKed */
	uint32_t undo_seq; /* SND.UNA when it began */
	uint32_t prior_cwnd, prior_ssthresh;
	struct tcp_range score[TCP_SCORE_MAX]; /* SACKed by the peer, sorted */
	uint8_t nscore;
	/* RTT (RFC 6298): one timed segment at a time, never a retransmitted one */
	uint64_t srtt, rttvar, rto;
	bool rtt_valid, rtt_active;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint8_t backoff, retries, persist_backoff;

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_user, rcv_adv, last_ack_sent, rcv_mss;
	uint8_t *rbuf;
	uint32_t rbuf_size, rbuf_head; /* rbuf_head holds RCV.USER */
	struct tcp_range ooo[TCP_OOO_MAX]; /* held out of order, sorted */
	struct tcp_range dsack; /* RFC 2883: a duplicate to report in the next ACK */
	bool dsack_pending;
	uint8_t nooo, ooo_last; /* ooo_last: the range the latest segment went to */
	bool fin_rcvd; /* peer's FIN seen (maybe not yet in order) */
	uint32_t rcv_fin_seq;
	bool fin_in; /* peer's FIN consumed: RCV.NXT is past it */
	bool fin_told, done_told, released, delivering, ack_now;
	/* timestamps */
	uint32_t ts_recent, ts_offset;
	uint64_t ts_recent_at, last_challenge, last_seen;

	unsigned int depth; /* nesting of entry points (input, timer, app calls) */
	struct tmr t_rto, t_persist, t_delack, t_wait, t_idle;
};

/* Set up c for an established flow: buffers allocated, timers reserved. 0 or -ENOMEM. */
int tcp_conn_init(struct tcp_stack *st, struct tcb *c, const struct tcp_conn_params *p,
		  const struct tcp_app *app, uint64_t now);
void tcp_conn_fini(struct tcb *c);

void tcp_input(struct tcb *c, const struct tcp_seg *seg, uint64_t now);

/* App calls. send returns bytes queued (may be short), or -EPIPE after close. */
long tcp_send(struct tcb *c, const void *buf, size_t len, uint64_t now);
/* Our side is done sending: FIN after the queued data. */
void tcp_close(struct tcb *c, uint64_t now);
/* RST now, CLOSED. */
void tcp_abort(struct tcb *c, uint64_t now);
/* Offer held in-order data to the app again (after it returned short). */
void tcp_recv_resume(struct tcb *c, uint64_t now);

/*
 * What XDP took from the peer and answered itself, told to the engine. XDP
 * takes a FIN, or the ACK of our FIN, only when nothing else is outstanding
 * either way (the FIN at RCV.NXT, everything we sent but our FIN
 * acknowledged), and a RST only at RCV.NXT. XDP sent the ACK where one was
 * due: these calls send none (data or a FIN the app queues meanwhile still
 * goes out). Each is what the segment would have done in tcp_input(), also
 * to the app; in any other state than those named they do nothing.
 * ts_recent: the entry's TS.Recent (the newer of it and ours is kept, by the
 * RFC 7323 rule).
 */
/* The peer's FIN: RCV.NXT + 1; ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 -> CLOSING,
 * FIN_WAIT_2 -> TIME_WAIT (2MSL from now); the app's close (and done) callback. */
void tcp_peer_fin_taken(struct tcb *c, uint32_t ts_recent, uint64_t now);
/* The ACK of our FIN (SND.UNA = SND.NXT): FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT
 * (2MSL from now), LAST_ACK -> CLOSED; the app's sent and done callbacks as due. */
void tcp_our_fin_acked(struct tcb *c, uint32_t ts_recent, uint64_t now);
/* A RST at RCV.NXT: CLOSED, done(-ECONNRESET). Not in TIME_WAIT (RFC 1337). */
void tcp_peer_reset(struct tcb *c, uint64_t now);
/* XDP answered a retransmitted FIN in TIME_WAIT itself at `when`: restart 2MSL from there. */
void tcp_timewait_restart(struct tcb *c, uint64_t when);

/* What the glue reads of a connection (sequence numbers in host order). */
struct tcp_conn_info {
	enum tcp_state state;
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt;
	uint32_t snd_max; /* the highest sequence number sent + 1 (our FIN once sent) */
	uint32_t snd_wnd; /* the peer's window, scaled */
	uint32_t rcv_nxt;
	uint32_t rcv_wnd; /* the right edge we last offered - RCV.NXT (mod 2^32) */
	uint32_t ts_recent; /* the TSval our next TSecr echoes */
};

void tcp_conn_info(const struct tcb *c, struct tcp_conn_info *info);

static inline enum tcp_state tcp_conn_state(const struct tcb *c)
{
	return c->state;
}

/* The current time inside an app callback. */
static inline uint64_t tcp_now(const struct tcb *c)
{
	return c->st->now;
}

static inline uint32_t tcp_snd_space(const struct tcb *c)
{
	return c->sbuf_size - c->sbuf_len;
}

#endif /* SHAKEOFF_TCP_H */
