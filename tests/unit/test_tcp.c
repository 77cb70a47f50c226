// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the controller's TCP engine (user/tcp/) and its timer
 * heap, without any network: the test plays the peer, feeds parsed segments
 * to tcp_input(), records what the engine emits, and moves a hand-driven
 * clock. The last case wires two engines back to back through a seeded lossy,
 * reordering in-memory link and echoes 10 MB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp/tcp.h"
#include "apps/apps.h"
#include "core/clock.h"
#include "tcp/timer_heap.h"

#include "testlib.h"

/* through void *: the member sits inside a type, aligned as the type is */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define ISS 5000u /* ours */
#define IRS 1000u /* the peer's */
#define MAXOUT 4096

/* ---- fixture: one engine connection, the test as its peer ---- */

struct fx {
	struct tcp_stack st;
	struct tcp_ops ops;
	struct tcp_app app;
	struct tcb c;
	uint64_t now;
	struct tcp_seg out[MAXOUT];
	unsigned int nout, seen;
	uint8_t *pool;
	size_t pool_used;
	uint8_t *rx;
	size_t rxlen, take; /* take: most bytes the app accepts per call */
	bool peer_closed, done, released;
	int done_err;
	uint8_t states[16]; /* what ops->state told, new states in order */
	unsigned int nstates, state_bad; /* state_bad: a change whose old was not the last new */
};

static struct fx F;

static uint8_t pat(uint32_t off)
{
	return (uint8_t)(off * 7 + 3 + (off >> 8));
}

static void fx_emit(void *ctx, struct tcb *c, const struct tcp_seg *seg)
{
	struct fx *f = ctx;
	struct tcp_seg *o;

	(void)c;
	if (f->nout >= MAXOUT)
		return;
	o = &f->out[f->nout++];
	*o = *seg;
	if (seg->len && f->pool_used + seg->len <= (64u << 20)) {
		memcpy(f->pool + f->pool_used, seg->data, seg->len);
		o->data = f->pool + f->pool_used;
		f->pool_used += seg->len;
	}
}

static void fx_release(void *ctx, struct tcb *c)
{
	(void)c;
	((struct fx *)ctx)->released = true;
}

static void fx_state(void *ctx, struct tcb *c, enum tcp_state old, enum tcp_state s)
{
	struct fx *f = ctx;
	uint8_t last = f->nstates ? f->states[f->nstates - 1] : TCPS_ESTABLISHED;

	(void)c;
	if (old != last || old == s)
		f->state_bad++;
	if (f->nstates < sizeof(f->states))
		f->states[f->nstates++] = (uint8_t)s;
}

static size_t fx_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	struct fx *f = c->app_data;
	size_t n = len < f->take ? len : f->take;

	if (f->rxlen + n > (16u << 20))
		n = 0;
	memcpy(f->rx + f->rxlen, buf, n);
	f->rxlen += n;
	return n;
}

static void fx_close(struct tcb *c)
{
	((struct fx *)c->app_data)->peer_closed = true;
}

static void fx_done(struct tcb *c, int err)
{
	struct fx *f = c->app_data;

	f->done = true;
	f->done_err = err;
}

struct fx_opt {
	uint16_t peer_mss;
	bool ts, sack;
	uint8_t snd_ws, rcv_ws;
	uint16_t peer_wnd;
	uint32_t rcv_buf, snd_buf;
	bool idle;
};

static void fx_init(const struct fx_opt *o)
{
	struct tcp_cfg cfg;
	struct tcp_conn_params p = {
		.iss = ISS,
		.irs = IRS,
		.peer_mss = o && o->peer_mss ? o->peer_mss : 1000,
		.our_mss = 1000,
		.snd_wscale = o ? o->snd_ws : 0,
		.rcv_wscale = o ? o->rcv_ws : 0,
		.sack_ok = o && o->sack,
		.ts_ok = o && o->ts,
		.ts_recent = 1000,
		.ts_offset = 0,
		.peer_wnd = o && o->peer_wnd ? o->peer_wnd : 65535,
	};

	if (F.pool)
		tcp_stack_fini(&F.st);
	free(F.pool);
	free(F.rx);
	memset(&F, 0, sizeof(F));
	F.pool = malloc(64u << 20);
	F.rx = malloc(16u << 20);
	F.take = SIZE_MAX;
	F.now = TCP_SEC(100);
	tcp_cfg_default(&cfg);
	cfg.msl = TCP_SEC(1);
	cfg.ts_shift = 20;
	if (o && o->rcv_buf)
		cfg.rcv_buf = o->rcv_buf;
	if (!o || !o->idle)
		cfg.idle = 0;
	if (o && o->snd_buf)
		cfg.snd_buf = o->snd_buf;
	F.ops.emit = fx_emit;
	F.ops.release = fx_release;
	F.ops.state = fx_state;
	F.app.data = fx_data;
	F.app.close = fx_close;
	F.app.done = fx_done;
	tcp_stack_init(&F.st, &cfg, &F.ops, &F);
	tcp_conn_init(&F.st, &F.c, &p, &F.app, F.now);
	F.c.app_data = &F;
}

static void fx_fini(void)
{
	tcp_conn_fini(&F.c);
}

static void advance(uint64_t dt)
{
	uint64_t end = F.now + dt, t;

	while ((t = tcp_stack_next_timer(&F.st)) <= end) {
		F.now = t > F.now ? t : F.now;
		tcp_stack_run_timers(&F.st, F.now);
	}
	F.now = end;
}

/* The peer sends: seq/len relative to IRS+1, ack absolute. */
static struct tcp_seg pseg(uint32_t rel, uint32_t len, uint32_t ack, uint8_t flags)
{
	static uint8_t buf[65536];
	struct tcp_seg s = { 0 };
	uint32_t i;

	for (i = 0; i < len && i < sizeof(buf); i++)
		buf[i] = pat(rel + i);
	s.seq = IRS + 1 + rel;
	s.ack = ack;
	s.flags = flags;
	s.wnd = 65535;
	s.data = buf;
	s.len = len;
	if (F.c.ts_ok) {
		s.has_ts = true;
		s.tsval = 2000 + (uint32_t)(F.now / TCP_MS(1)) % 100000;
		s.tsecr = 1;
	}
	return s;
}

static void in(uint32_t rel, uint32_t len, uint32_t ack, uint8_t flags)
{
	struct tcp_seg s = pseg(rel, len, ack, flags);

	tcp_input(&F.c, &s, F.now);
}

static void in_ack(uint32_t ack, uint16_t wnd)
{
	struct tcp_seg s = pseg(F.c.rcv_nxt - IRS - 1, 0, ack, TCP_F_ACK);

	s.wnd = wnd;
	tcp_input(&F.c, &s, F.now);
}

/* New segments since the last call. */
static unsigned int fresh(const struct tcp_seg **first)
{
	unsigned int n = F.nout - F.seen;

	*first = &F.out[F.seen];
	F.seen = F.nout;
	return n;
}

static const struct tcp_seg *last_out(void)
{
	return F.nout ? &F.out[F.nout - 1] : NULL;
}

static bool rx_is_pattern(size_t len)
{
	size_t i;

	if (F.rxlen != len)
		return false;
	for (i = 0; i < len; i++)
		if (F.rx[i] != pat((uint32_t)i))
			return false;
	return true;
}

static void send_pattern(uint32_t len)
{
	static uint8_t buf[1 << 20];
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(i);
	tcp_send(&F.c, buf, len, F.now);
}

/* ---- timer heap ---- */

struct ttest {
	struct tmr t;
	uint64_t fired_at;
	int fired;
	unsigned int seq;
};

static unsigned int fire_seq;

static void ttest_fn(struct tmr *t, uint64_t now)
{
	struct ttest *x = container_of(t, struct ttest, t);

	x->fired++;
	x->fired_at = now;
	x->seq = fire_seq++;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_timer_many(void)
{
	enum { N = 20000 };
	struct tmr_heap h;
	struct ttest *x = calloc(N, sizeof(*x));
	uint64_t when[N], prev_when = 0;
	unsigned int i, prev_seq = 0, order_bad = 0, wrong = 0;
	unsigned int *by_seq = calloc(N, sizeof(*by_seq));

	tl_begin("timer: 20000 timers, a third cancelled, a third moved, fire in time order");
	tmr_heap_init(&h);
	rng_state = 42;
	fire_seq = 0;
	for (i = 0; i < N; i++) {
		tmr_setup(&x[i].t, ttest_fn);
		when[i] = 1000 + rng() % 100000;
		if (!ASSERT(tmr_arm(&h, &x[i].t, when[i]) == 0, "arm %u", i))
			goto out;
	}
	if (!ASSERT_EQ(h.n, N, "armed"))
		goto out;
	for (i = 0; i < N; i += 3)
		tmr_cancel(&h, &x[i].t);
	for (i = 1; i < N; i += 3) {
		when[i] = 500 + rng() % 200000;
		tmr_arm(&h, &x[i].t, when[i]);
	}
	if (!ASSERT_EQ(h.n, N - (N + 2) / 3, "armed after cancel"))
		goto out;
	tmr_run(&h, 50000);
	if (!ASSERT(tmr_next(&h) > 50000, "next after a run is later"))
		goto out;
	tmr_run(&h, 1000000);
	if (!ASSERT_EQ(tmr_next(&h), TMR_NEVER, "heap empty"))
		goto out;
	for (i = 0; i < N; i++) {
		if (i % 3 == 0) {
			wrong += x[i].fired != 0;
			continue;
		}
		wrong += x[i].fired != 1;
		by_seq[x[i].seq] = i;
	}
	if (!ASSERT_EQ(wrong, 0, "timers fired the wrong number of times"))
		goto out;
	for (i = 0; i < fire_seq; i++) {
		unsigned int k = by_seq[i];

		if (when[k] < prev_when)
			order_bad++;
		prev_when = when[k];
		(void)prev_seq;
	}
	ASSERT_EQ(order_bad, 0, "out-of-order firings");
	ASSERT_EQ(fire_seq, N - (N + 2) / 3, "fired");
out:
	tmr_heap_fini(&h);
	free(x);
	free(by_seq);
	tl_end();
}

static void test_timer_ties(void)
{
	struct tmr_heap h;
	struct ttest x[5];
	unsigned int i;

	tl_begin(
		"timer: equal times fire in arming order; re-arm moves to the back; cancel twice is harmless");
	tmr_heap_init(&h);
	fire_seq = 0;
	for (i = 0; i < 5; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		tmr_setup(&x[i].t, ttest_fn);
		tmr_arm(&h, &x[i].t, 100);
	}
	tmr_arm(&h, &x[1].t, 100); /* re-armed: now last */
	tmr_cancel(&h, &x[3].t);
	tmr_cancel(&h, &x[3].t);
	ASSERT(!tmr_armed(&x[3].t), "cancelled is unarmed");
	ASSERT_EQ(tmr_run(&h, 99), 0, "nothing before its time");
	ASSERT_EQ(tmr_run(&h, 100), 4, "four fired");
	ASSERT_EQ(x[0].seq, 0, "x0 first");
	ASSERT_EQ(x[2].seq, 1, "x2 second");
	ASSERT_EQ(x[4].seq, 2, "x4 third");
	ASSERT_EQ(x[1].seq, 3, "re-armed x1 last");
	ASSERT_EQ(x[3].fired, 0, "cancelled never fires");
	ASSERT(tmr_reserve(&h, 1000) == 0 && h.cap >= 1000, "reserve grows the heap");
	tmr_heap_fini(&h);
	tl_end();
}

/* ---- sequence numbers and ACKs ---- */

static void test_seq_basics(void)
{
	const struct tcp_seg *o;

	fx_init(NULL);
	tl_begin("SYN consumed one number each way; 20 bytes from 1001 are acked with 1021");
	ASSERT_EQ(F.c.snd_nxt, ISS + 1, "SND.NXT after the handshake");
	ASSERT_EQ(F.c.snd_una, ISS + 1, "SND.UNA");
	ASSERT_EQ(F.c.rcv_nxt, IRS + 1, "RCV.NXT");
	in(0, 20, ISS + 1, TCP_F_ACK | TCP_F_PSH);
	ASSERT_EQ(F.c.rcv_nxt, 1021, "RCV.NXT after 20 bytes at 1001");
	ASSERT(rx_is_pattern(20), "20 bytes delivered");
	ASSERT_EQ(F.nout, 0, "ACK delayed");
	advance(TCP_MS(40));
	if (ASSERT_EQ(F.nout, 1, "delayed ACK after 40 ms")) {
		o = last_out();
		ASSERT_EQ(o->ack, 1021, "ack");
		ASSERT_EQ(o->seq, ISS + 1, "seq");
		ASSERT_EQ(o->flags, TCP_F_ACK, "flags");
	}
	/* and the other way */
	send_pattern(20);
	o = last_out();
	ASSERT(o && o->seq == ISS + 1 && o->len == 20, "20 bytes sent at ISS+1");
	in_ack(ISS + 21, 65535);
	ASSERT_EQ(F.c.snd_una, ISS + 21, "SND.UNA after ack 5021");
	ASSERT_EQ(F.c.sbuf_len, 0, "send buffer empty");
	ASSERT(!tmr_armed(&F.c.t_rto), "RTO stopped");
	tl_end();
	fx_fini();
}

/* ---- reassembly, table driven ---- */

struct rs_step {
	uint32_t rel, len;
};

struct rs_case {
	const char *desc;
	uint32_t rcv_buf;
	struct rs_step steps[8];
	unsigned int nsteps;
	uint32_t want_rcv_nxt; /* relative */
	uint32_t want_delivered;
	uint64_t want_dup, want_ooo, want_beyond;
};

static const struct rs_case rs_cases[] = {
	{ "in order", 0, { { 0, 100 }, { 100, 100 }, { 200, 50 } }, 3, 250, 250, 0, 0, 0 },
	{ "out of order", 0, { { 100, 100 }, { 200, 100 }, { 0, 100 } }, 3, 300, 300, 0, 2, 0 },
	{ "overlapping", 0, { { 0, 150 }, { 100, 150 }, { 50, 250 } }, 3, 300, 300, 2, 0, 0 },
	{ "duplicates",
	  0,
	  { { 0, 100 }, { 0, 100 }, { 50, 50 }, { 0, 100 } },
	  4,
	  100,
	  100,
	  3,
	  0,
	  0 },
	{ "overlapping out of order",
	  0,
	  { { 300, 100 }, { 200, 150 }, { 100, 50 }, { 120, 100 }, { 0, 110 } },
	  5,
	  400,
	  400,
	  0,
	  4,
	  0 },
	{ "beyond the window dropped or cut",
	  1000,
	  { { 1200, 100 }, { 900, 200 }, { 0, 900 } },
	  3,
	  1000,
	  1000,
	  0,
	  1,
	  2 },
	{ "gap stays until filled",
	  0,
	  { { 0, 100 }, { 200, 100 }, { 300, 100 } },
	  3,
	  100,
	  100,
	  0,
	  2,
	  0 },
};

static void test_reassembly(void)
{
	unsigned int i, j;

	for (i = 0; i < sizeof(rs_cases) / sizeof(rs_cases[0]); i++) {
		const struct rs_case *rc = &rs_cases[i];
		struct fx_opt o = { .rcv_buf = rc->rcv_buf };

		fx_init(&o);
		tl_begin("reassembly: %s", rc->desc);
		for (j = 0; j < rc->nsteps; j++)
			in(rc->steps[j].rel, rc->steps[j].len, ISS + 1, TCP_F_ACK);
		ASSERT_EQ(F.c.rcv_nxt - IRS - 1, rc->want_rcv_nxt, "RCV.NXT (relative)");
		ASSERT(rx_is_pattern(rc->want_delivered), "delivered %zu bytes, want %u in order",
		       F.rxlen, rc->want_delivered);
		ASSERT_EQ(F.st.stats.dup_segs, rc->want_dup, "duplicates counted");
		ASSERT_EQ(F.st.stats.ooo_segs, rc->want_ooo, "held out of order");
		ASSERT_EQ(F.st.stats.beyond_wnd, rc->want_beyond, "beyond the window");
		if (rc->want_dup || rc->want_ooo || rc->want_beyond)
			ASSERT(F.nout > 0 && last_out()->ack == F.c.rcv_nxt,
			       "answered with an immediate ACK");
		tl_end();
		fx_fini();
	}
}

static void test_sack_blocks(void)
{
	const struct tcp_seg *o;
	struct fx_opt opt = { .sack = true, .ts = true };

	fx_init(&opt);
	tl_begin("SACK blocks: latest first, then the others; three with timestamps");
	in(0, 100, ISS + 1, TCP_F_ACK);
	in(200, 100, ISS + 1, TCP_F_ACK);
	o = last_out();
	if (ASSERT(o && o->nsack == 1, "one block after the first hole")) {
		ASSERT_EQ(o->ack, IRS + 1 + 100, "ack at the hole");
		ASSERT_EQ(o->sack[0].start, IRS + 1 + 200, "block start");
		ASSERT_EQ(o->sack[0].end, IRS + 1 + 300, "block end");
	}
	in(400, 100, ISS + 1, TCP_F_ACK);
	in(600, 100, ISS + 1, TCP_F_ACK);
	in(800, 100, ISS + 1, TCP_F_ACK);
	in(500, 50, ISS + 1, TCP_F_ACK); /* joins 400..500: latest block 400..550 */
	o = last_out();
	if (ASSERT(o && o->nsack == 3, "three blocks (timestamps take the room of the fourth)")) {
		ASSERT_EQ(o->sack[0].start, IRS + 1 + 400, "latest first: start");
		ASSERT_EQ(o->sack[0].end, IRS + 1 + 550, "latest first: end");
		ASSERT_EQ(o->sack[1].start, IRS + 1 + 200, "then the lowest");
		ASSERT_EQ(o->sack[2].start, IRS + 1 + 600, "then the next");
		ASSERT(o->has_ts, "timestamps on the ACK");
	}
	in(100, 100, ISS + 1, TCP_F_ACK);
	o = last_out();
	ASSERT(o && o->ack == IRS + 1 + 300 && o->nsack == 3,
	       "hole filled: ack 300, three blocks left");
	tl_end();
	fx_fini();

	fx_init(&opt);
	tl_begin("D-SACK (RFC 2883): a duplicate is reported first, once");
	in(0, 100, ISS + 1, TCP_F_ACK);
	in(0, 100, ISS + 1, TCP_F_ACK);
	o = last_out();
	if (ASSERT(o && o->nsack == 1, "one block: the duplicate")) {
		ASSERT_EQ(o->ack, IRS + 1 + 100, "ack unchanged");
		ASSERT_EQ(o->sack[0].start, IRS + 1, "D-SACK start");
		ASSERT_EQ(o->sack[0].end, IRS + 1 + 100, "D-SACK end");
	}
	in(200, 100, ISS + 1, TCP_F_ACK);
	o = last_out();
	ASSERT(o && o->nsack == 1 && o->sack[0].start == IRS + 1 + 200,
	       "next ACK: only the out-of-order block, the duplicate is not repeated");
	in(50, 100, ISS + 1, TCP_F_ACK); /* 50..100 old, 100..150 new */
	o = last_out();
	ASSERT(o && o->nsack == 2 && o->sack[0].start == IRS + 1 + 50 &&
		       o->sack[0].end == IRS + 1 + 100 && o->sack[1].start == IRS + 1 + 200,
	       "partly old segment: its old part first, then the held block");
	tl_end();
	fx_fini();
}

/* ---- FIN and the close paths ---- */

static void test_peer_fin_half_close(void)
{
	const struct tcp_seg *o, *s;
	unsigned int n, i;

	fx_init(NULL);
	tl_begin(
		"half-close: peer's FIN takes one number, we keep sending, then close (LAST_ACK -> CLOSED)");
	in(0, 10, ISS + 1, TCP_F_ACK | TCP_F_FIN);
	ASSERT_EQ(F.c.rcv_nxt, IRS + 1 + 11, "RCV.NXT past data and FIN");
	ASSERT_EQ(F.c.state, TCPS_CLOSE_WAIT, "CLOSE_WAIT");
	ASSERT(F.peer_closed && rx_is_pattern(10), "app got the data, then the close");
	o = last_out();
	ASSERT(o && o->ack == IRS + 12, "FIN acked at once");
	fresh(&s);
	send_pattern(3500);
	n = fresh(&s);
	if (ASSERT_EQ(n, 4, "3500 bytes in four segments of MSS 1000")) {
		for (i = 0; i < 4; i++)
			ASSERT_EQ(s[i].seq, ISS + 1 + 1000 * i, "segment seq");
		ASSERT_EQ(s[3].len, 500, "tail");
		ASSERT(s[3].flags & TCP_F_PSH, "PSH on the tail");
	}
	in(11, 0, ISS + 1 + 3500, TCP_F_ACK);
	tcp_close(&F.c, F.now);
	ASSERT_EQ(F.c.state, TCPS_LAST_ACK, "LAST_ACK");
	o = last_out();
	ASSERT(o && (o->flags & TCP_F_FIN) && o->seq == ISS + 1 + 3500, "FIN at the end of data");
	in(11, 0, ISS + 1 + 3501, TCP_F_ACK);
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "CLOSED");
	ASSERT(F.released && F.done && F.done_err == 0, "released, app told");
	tl_end();
	fx_fini();
}

static void test_active_close_timewait(void)
{
	const struct tcp_seg *o;
	unsigned int before;

	fx_init(NULL);
	tl_begin(
		"active close: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT; 2MSL restarts on a retransmitted FIN");
	send_pattern(100);
	tcp_close(&F.c, F.now);
	o = last_out();
	ASSERT(o && o->seq == ISS + 101 && !o->len && (o->flags & TCP_F_FIN), "FIN after the data");
	ASSERT_EQ(F.c.state, TCPS_FIN_WAIT_1, "FIN_WAIT_1");
	in(0, 0, ISS + 1 + 100, TCP_F_ACK);
	ASSERT_EQ(F.c.state, TCPS_FIN_WAIT_1, "data acked, FIN not: still FIN_WAIT_1");
	in(0, 0, ISS + 1 + 101, TCP_F_ACK);
	ASSERT_EQ(F.c.state, TCPS_FIN_WAIT_2, "FIN acked: FIN_WAIT_2");
	in(0, 0, ISS + 102, TCP_F_ACK | TCP_F_FIN);
	ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "TIME_WAIT");
	o = last_out();
	ASSERT(o && o->ack == IRS + 2 && o->flags == TCP_F_ACK, "peer FIN acked");
	advance(TCP_MS(1500));
	ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "still TIME_WAIT at 1.5 s (2MSL = 2 s)");
	before = F.nout;
	in(0, 0, ISS + 102, TCP_F_ACK | TCP_F_FIN);
	ASSERT_EQ(F.nout, before + 1, "retransmitted FIN acked again");
	advance(TCP_MS(1999));
	ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "2MSL restarted from the retransmitted FIN");
	advance(TCP_MS(1));
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "CLOSED after 2MSL");
	ASSERT(F.released, "released");
	/* what shakeoff trace draws for serve: every change once, in order */
	ASSERT(F.nstates == 4 && F.states[0] == TCPS_FIN_WAIT_1 && F.states[1] == TCPS_FIN_WAIT_2 &&
		       F.states[2] == TCPS_TIME_WAIT && F.states[3] == TCPS_CLOSED && !F.state_bad,
	       "ops->state told FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT, CLOSED, each from the last");
	tl_end();
	fx_fini();
}

static void test_simultaneous_close(void)
{
	const struct tcp_seg *o;

	fx_init(NULL);
	tl_begin("simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT");
	tcp_close(&F.c, F.now);
	o = last_out();
	ASSERT(o && o->flags == (TCP_F_FIN | TCP_F_ACK) && o->seq == ISS + 1, "our FIN");
	in(0, 0, ISS + 1, TCP_F_ACK | TCP_F_FIN); /* crossed: theirs does not ack ours */
	ASSERT_EQ(F.c.state, TCPS_CLOSING, "CLOSING");
	o = last_out();
	ASSERT(o && o->ack == IRS + 2 && o->seq == ISS + 2, "their FIN acked");
	in(1, 0, ISS + 2, TCP_F_ACK);
	ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "TIME_WAIT");
	advance(TCP_SEC(2));
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "CLOSED");
	tl_end();
	fx_fini();

	fx_init(NULL);
	tl_begin("close: FIN_WAIT_1 and a FIN acking ours go straight to TIME_WAIT");
	tcp_close(&F.c, F.now);
	in(0, 0, ISS + 2, TCP_F_ACK | TCP_F_FIN);
	ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "TIME_WAIT");
	tl_end();
	fx_fini();

	fx_init(NULL);
	tl_begin("close: a lost FIN is retransmitted by the RTO");
	tcp_close(&F.c, F.now);
	F.seen = F.nout;
	advance(TCP_SEC(1));
	o = last_out();
	ASSERT(F.nout == F.seen + 1 && o->flags == (TCP_F_FIN | TCP_F_ACK) && o->seq == ISS + 1,
	       "FIN again after 1 s");
	in(0, 0, ISS + 2, TCP_F_ACK);
	ASSERT_EQ(F.c.state, TCPS_FIN_WAIT_2, "FIN_WAIT_2");
	tl_end();
	fx_fini();
}

static void test_rst(void)
{
	const struct tcp_seg *o;
	unsigned int before;

	fx_init(NULL);
	tl_begin(
		"RST (RFC 5961): in-window gets a challenge ACK, outside is dropped, exact resets");
	in(0, 100, ISS + 1, TCP_F_ACK);
	F.seen = F.nout;
	in(500, 0, 0, TCP_F_RST);
	o = last_out();
	ASSERT(F.nout == F.seen + 1 && o->flags == TCP_F_ACK && o->ack == IRS + 101,
	       "challenge ACK at RCV.NXT");
	ASSERT_EQ(F.c.state, TCPS_ESTABLISHED, "still ESTABLISHED");
	before = F.nout;
	in(600, 0, 0, TCP_F_RST);
	ASSERT_EQ(F.nout, before, "second challenge within 500 ms rate-limited");
	in(200000, 0, 0, TCP_F_RST);
	ASSERT_EQ(F.nout, before, "RST outside the window: nothing");
	advance(TCP_SEC(1));
	before = F.nout;
	in(100, 0, ISS + 1, TCP_F_SYN);
	ASSERT_EQ(F.nout, before + 1, "SYN on the flow: challenge ACK");
	ASSERT_EQ(F.st.stats.challenge_acks, 2, "challenge ACKs counted");
	in(100, 0, 0, TCP_F_RST);
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "exact RST: CLOSED");
	ASSERT(F.done && F.done_err == -ECONNRESET && F.released, "app told ECONNRESET, released");
	tl_end();
	fx_fini();
}

/* ---- what XDP took for us: the calls, against the segment through tcp_input() ---- */

/* The connection as far as a teardown moves it, and what the event emitted. */
struct snap {
	struct tcp_conn_info ci;
	uint32_t last_ack_sent, snd_wl1, snd_wl2;
	bool wait_armed, delack_armed, rto_armed;
	uint64_t wait_when;
	bool peer_closed, done, released;
	int done_err;
	unsigned int acks, others; /* bare ACKs, and any other segment */
};

static void snap_take(struct snap *p, unsigned int from)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	tcp_conn_info(&F.c, &p->ci);
	p->last_ack_sent = F.c.last_ack_sent;
	p->snd_wl1 = F.c.snd_wl1;
	p->snd_wl2 = F.c.snd_wl2;
	p->wait_armed = tmr_armed(&F.c.t_wait);
	p->wait_when = p->wait_armed ? F.c.t_wait.when : 0;
	p->delack_armed = tmr_armed(&F.c.t_delack);
	p->rto_armed = tmr_armed(&F.c.t_rto);
	p->peer_closed = F.peer_closed;
	p->done = F.done;
	p->released = F.released;
	p->done_err = F.done_err;
	for (i = from; i < F.nout; i++) {
		if (F.out[i].flags == TCP_F_ACK && !F.out[i].len)
			p->acks++;
		else
			p->others++;
	}
}

static bool snap_same(const struct snap *a, const struct snap *b)
{
	bool ok = true;

	ok &= ASSERT_EQ(b->ci.state, a->ci.state, "state");
	ok &= ASSERT_EQ(b->ci.rcv_nxt, a->ci.rcv_nxt, "RCV.NXT");
	ok &= ASSERT_EQ(b->ci.snd_una, a->ci.snd_una, "SND.UNA");
	ok &= ASSERT_EQ(b->ci.snd_nxt, a->ci.snd_nxt, "SND.NXT");
	ok &= ASSERT_EQ(b->ci.snd_wnd, a->ci.snd_wnd, "SND.WND");
	ok &= ASSERT_EQ(b->ci.rcv_wnd, a->ci.rcv_wnd, "RCV.WND offered");
	ok &= ASSERT_EQ(b->ci.ts_recent, a->ci.ts_recent, "TS.Recent");
	ok &= ASSERT_EQ(b->last_ack_sent, a->last_ack_sent, "Last.ACK.sent");
	ok &= ASSERT_EQ(b->snd_wl1, a->snd_wl1, "SND.WL1");
	ok &= ASSERT_EQ(b->snd_wl2, a->snd_wl2, "SND.WL2");
	ok &= ASSERT_EQ(b->wait_armed, a->wait_armed, "2MSL timer");
	ok &= ASSERT_EQ(b->wait_when, a->wait_when, "2MSL deadline");
	ok &= ASSERT_EQ(b->delack_armed, a->delack_armed, "delayed ACK timer");
	ok &= ASSERT_EQ(b->rto_armed, a->rto_armed, "RTO timer");
	ok &= ASSERT_EQ(b->peer_closed, a->peer_closed, "app's close callback");
	ok &= ASSERT_EQ(b->done, a->done, "app's done callback");
	ok &= ASSERT_EQ(b->done_err, a->done_err, "done's error");
	ok &= ASSERT_EQ(b->released, a->released, "released");
	ok &= ASSERT_EQ(b->others, a->others, "other segments");
	return ok;
}

#define TAKEN_TSVAL 777777u /* newer than anything the fixture's peer sends */

/* Where the event finds the connection: 10 bytes in and acknowledged, then a close path. */
enum taken_from { FROM_EST, FROM_FW1, FROM_FW2, FROM_CLOSING, FROM_LAST_ACK };

static void taken_setup(enum taken_from from)
{
	struct fx_opt o = { .ts = true };

	fx_init(&o);
	in(0, 10, ISS + 1, TCP_F_ACK | TCP_F_PSH);
	advance(TCP_MS(40)); /* the delayed ACK */
	if (from == FROM_FW1 || from == FROM_FW2 || from == FROM_CLOSING)
		tcp_close(&F.c, F.now);
	if (from == FROM_FW2)
		in(10, 0, ISS + 2, TCP_F_ACK);
	if (from == FROM_CLOSING || from == FROM_LAST_ACK)
		in(10, 0, ISS + 1, TCP_F_ACK | TCP_F_FIN);
	if (from == FROM_LAST_ACK)
		tcp_close(&F.c, F.now);
	advance(TCP_MS(7));
}

enum taken_event { EV_PEER_FIN, EV_FIN_ACKED, EV_BOTH };

/* The event as a segment through tcp_input() (ref) or as the calls XDP's glue makes. */
static void taken_event(enum taken_event ev, bool ref)
{
	struct tcp_conn_info ci;
	struct tcp_seg s;

	tcp_conn_info(&F.c, &ci);
	if (ref) {
		s = pseg(ci.rcv_nxt - IRS - 1, 0, ev == EV_PEER_FIN ? ci.snd_una : ci.snd_nxt,
			 TCP_F_ACK | (ev == EV_FIN_ACKED ? 0 : TCP_F_FIN));
		s.wnd = (uint16_t)(ci.snd_wnd >> F.c.snd_wscale);
		s.tsval = TAKEN_TSVAL;
		tcp_input(&F.c, &s, F.now);
		return;
	}
	if (ev != EV_PEER_FIN)
		tcp_our_fin_acked(&F.c, TAKEN_TSVAL, F.now);
	if (ev != EV_FIN_ACKED)
		tcp_peer_fin_taken(&F.c, TAKEN_TSVAL, F.now);
}

static void taken_case(const char *desc, enum taken_from from, enum taken_event ev,
		       enum tcp_state want, unsigned int ref_acks)
{
	struct snap ref, got;
	unsigned int mark;

	tl_begin("%s", desc);
	taken_setup(from);
	mark = F.nout;
	taken_event(ev, true);
	snap_take(&ref, mark);
	fx_fini();

	taken_setup(from);
	mark = F.nout;
	taken_event(ev, false);
	snap_take(&got, mark);
	if (ASSERT_EQ(got.ci.state, want, "state reached") &&
	    ASSERT_EQ(ref.acks, ref_acks, "ACKs the segment itself earns") &&
	    ASSERT_EQ(got.acks + got.others, 0, "nothing emitted: XDP acknowledged") &&
	    snap_same(&ref, &got) && want == TCPS_TIME_WAIT) {
		advance(2 * TCP_SEC(1) - 1);
		ASSERT_EQ(F.c.state, TCPS_TIME_WAIT, "TIME_WAIT until 2MSL from the call");
		advance(1);
		ASSERT(F.c.state == TCPS_CLOSED && F.released, "then CLOSED, released");
	}
	tl_end();
	fx_fini();
}

static void test_peer_fin_taken(void)
{
	taken_case("tcp_peer_fin_taken: ESTABLISHED -> CLOSE_WAIT as the FIN would, no ACK",
		   FROM_EST, EV_PEER_FIN, TCPS_CLOSE_WAIT, 1);
	taken_case("tcp_peer_fin_taken: FIN_WAIT_1 -> CLOSING as the FIN would, no ACK", FROM_FW1,
		   EV_PEER_FIN, TCPS_CLOSING, 1);
	taken_case("tcp_peer_fin_taken: FIN_WAIT_2 -> TIME_WAIT (2MSL) as the FIN would, no ACK",
		   FROM_FW2, EV_PEER_FIN, TCPS_TIME_WAIT, 1);

	tl_begin(
		"tcp_peer_fin_taken: close callback, TS.Recent taken; the app's FIN still goes out");
	taken_setup(FROM_EST);
	F.seen = F.nout;
	tcp_peer_fin_taken(&F.c, TAKEN_TSVAL, F.now);
	ASSERT(F.peer_closed && !F.done, "close told, not done");
	ASSERT_EQ(F.c.ts_recent, TAKEN_TSVAL, "TS.Recent from the entry");
	ASSERT_EQ(F.c.rcv_nxt, IRS + 12, "RCV.NXT past the FIN");
	ASSERT_EQ(F.nout, F.seen, "no ACK");
	tcp_close(&F.c, F.now);
	ASSERT(F.nout == F.seen + 1 && (last_out()->flags & TCP_F_FIN) &&
		       last_out()->ack == IRS + 12 && last_out()->tsecr == TAKEN_TSVAL,
	       "our FIN acks theirs, echoes the TSval XDP saw");
	tcp_peer_fin_taken(&F.c, TAKEN_TSVAL + 1, F.now);
	ASSERT(F.c.state == TCPS_LAST_ACK && F.c.rcv_nxt == IRS + 12, "LAST_ACK: nothing to take");
	tl_end();
	fx_fini();
}

static void test_our_fin_acked(void)
{
	taken_case("tcp_our_fin_acked: FIN_WAIT_1 -> FIN_WAIT_2 as the ACK would", FROM_FW1,
		   EV_FIN_ACKED, TCPS_FIN_WAIT_2, 0);
	taken_case("tcp_our_fin_acked: CLOSING -> TIME_WAIT (2MSL) as the ACK would", FROM_CLOSING,
		   EV_FIN_ACKED, TCPS_TIME_WAIT, 0);
	taken_case("tcp_our_fin_acked: LAST_ACK -> CLOSED, done(0), released, as the ACK would",
		   FROM_LAST_ACK, EV_FIN_ACKED, TCPS_CLOSED, 0);
	taken_case("tcp_our_fin_acked + tcp_peer_fin_taken: FIN_WAIT_1 -> TIME_WAIT as a FIN "
		   "acking ours would, no ACK",
		   FROM_FW1, EV_BOTH, TCPS_TIME_WAIT, 1);

	tl_begin("tcp_our_fin_acked: nothing in ESTABLISHED or CLOSE_WAIT");
	taken_setup(FROM_EST);
	F.seen = F.nout;
	tcp_our_fin_acked(&F.c, TAKEN_TSVAL, F.now);
	ASSERT(F.c.state == TCPS_ESTABLISHED && F.c.snd_una == ISS + 1 && F.nout == F.seen,
	       "ESTABLISHED, SND.UNA kept");
	tl_end();
	fx_fini();
}

static void test_peer_reset(void)
{
	tl_begin("tcp_peer_reset: CLOSED, done(-ECONNRESET), released, nothing emitted");
	taken_setup(FROM_EST);
	F.seen = F.nout;
	tcp_peer_reset(&F.c, F.now);
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "CLOSED");
	ASSERT(F.done && F.done_err == -ECONNRESET && F.released && !F.peer_closed,
	       "done(-ECONNRESET), released, no close callback");
	ASSERT_EQ(F.nout, F.seen, "no segment");
	ASSERT(tcp_stack_next_timer(&F.st) == TMR_NEVER, "no timer left");
	tl_end();
	fx_fini();

	tl_begin("tcp_peer_reset: TIME_WAIT ignores it (RFC 1337)");
	taken_setup(FROM_FW2);
	in(10, 0, ISS + 2, TCP_F_ACK | TCP_F_FIN);
	F.done = false;
	tcp_peer_reset(&F.c, F.now);
	ASSERT(F.c.state == TCPS_TIME_WAIT && !F.done, "still TIME_WAIT");
	tl_end();
	fx_fini();
}

/* ---- the sent callback: an app that writes more than the send buffer holds ---- */

struct bulk {
	uint32_t total, written, acked, calls, bad_space;
};

static struct bulk B;

static void bulk_fill(struct tcb *c)
{
	static uint8_t buf[1 << 16];

	while (B.written < B.total) {
		uint32_t i,
			n = B.total - B.written < sizeof(buf) ? B.total - B.written : sizeof(buf);
		long k;

		for (i = 0; i < n; i++)
			buf[i] = pat(B.written + i);
		k = tcp_send(c, buf, n, tcp_now(c));
		if (k <= 0)
			break;
		B.written += (uint32_t)k;
	}
	if (B.written == B.total)
		tcp_close(c, tcp_now(c));
}

static void bulk_sent(struct tcb *c, size_t acked, size_t space)
{
	B.calls++;
	B.acked += (uint32_t)acked;
	B.bad_space += space != tcp_snd_space(c);
	bulk_fill(c);
}

static void test_sent_callback(void)
{
	struct fx_opt o = { .snd_buf = 16384 };
	uint32_t got = 0, fin_at = 0;
	unsigned int rounds = 0;
	bool order = true;

	fx_init(&o);
	tl_begin("sent callback: bytes newly acked and the room free; 1 MB through a 16 KB buffer");
	memset(&B, 0, sizeof(B));
	B.total = 1 << 20;
	F.app.sent = bulk_sent;
	bulk_fill(&F.c);
	ASSERT_EQ(B.written, 16384, "the first write fills the buffer");
	/* the peer acks whatever arrives, in order, until our FIN */
	while (!fin_at && rounds++ < 10000) {
		const struct tcp_seg *s;
		unsigned int n = fresh(&s), i;
		uint32_t j;

		for (i = 0; i < n; i++) {
			for (j = 0; j < s[i].len && order; j++)
				order = s[i].data[j] == pat(s[i].seq - ISS - 1 + j);
			if (s[i].seq - ISS - 1 == got)
				got += s[i].len;
			if (s[i].flags & TCP_F_FIN)
				fin_at = s[i].seq + s[i].len;
		}
		if (!n)
			break;
		in_ack(ISS + 1 + got, 65535);
	}
	ASSERT(order && got == B.total, "1 MB sent in order (%u bytes)", got);
	ASSERT_EQ(B.acked, B.total, "acked bytes add up to what was written");
	ASSERT(B.calls > 1 && !B.bad_space, "called %u times, space = tcp_snd_space()", B.calls);
	ASSERT_EQ(F.c.state, TCPS_FIN_WAIT_1, "closed after the last write");
	B.calls = 0;
	in_ack(fin_at + 1, 65535);
	ASSERT(F.c.state == TCPS_FIN_WAIT_2 && B.calls == 0, "the ACK of our FIN alone: no call");
	tl_end();
	F.app.sent = NULL;
	fx_fini();
}

static void test_paws(void)
{
	struct tcp_seg s;
	const struct tcp_seg *o;

	struct fx_opt opt = { .ts = true };

	fx_init(&opt);
	tl_begin("PAWS: an old TSval is dropped and answered; timestamps on every segment");
	s = pseg(0, 100, ISS + 1, TCP_F_ACK);
	s.tsval = 999; /* TS.Recent is 1000 */
	tcp_input(&F.c, &s, F.now);
	ASSERT_EQ(F.rxlen, 0, "nothing delivered");
	ASSERT_EQ(F.st.stats.paws_drops, 1, "PAWS drop counted");
	o = last_out();
	ASSERT(o && o->ack == IRS + 1 && o->has_ts && o->tsecr == 1000,
	       "ACK with TSecr = TS.Recent");
	s.tsval = 1500;
	tcp_input(&F.c, &s, F.now);
	ASSERT(rx_is_pattern(100), "fresh TSval accepted");
	ASSERT_EQ(F.c.ts_recent, 1500, "TS.Recent updated");
	send_pattern(10);
	o = last_out();
	ASSERT(o && o->has_ts && o->tsecr == 1500 && o->tsval == (uint32_t)(F.now >> 20),
	       "data carries TSval (now >> 20) and TSecr");
	ASSERT_EQ(o->len, 10, "payload");
	send_pattern(5000);
	o = last_out();
	ASSERT_EQ(F.out[F.nout - 2].len, 988, "segments are MSS - 12 with timestamps");
	tl_end();
	fx_fini();
}

/* ---- delayed ACK ---- */

static void test_delayed_ack(void)
{
	fx_init(NULL);
	tl_begin(
		"delayed ACK: second full segment acked at once, a lone one after 40 ms, a reply carries it");
	in(0, 1000, ISS + 1, TCP_F_ACK);
	ASSERT_EQ(F.nout, 0, "first segment: no ACK yet");
	in(1000, 1000, ISS + 1, TCP_F_ACK);
	ASSERT(F.nout == 1 && last_out()->ack == IRS + 2001, "second: ACK at once");
	in(2000, 1000, ISS + 1, TCP_F_ACK);
	advance(TCP_MS(39));
	ASSERT_EQ(F.nout, 1, "not before 40 ms");
	advance(TCP_MS(1));
	ASSERT(F.nout == 2 && last_out()->ack == IRS + 3001, "after 40 ms");
	in(3000, 100, ISS + 1, TCP_F_ACK);
	send_pattern(50);
	ASSERT(F.nout == 3 && last_out()->len == 50 && last_out()->ack == IRS + 3101,
	       "data piggybacks the ACK");
	ASSERT(!tmr_armed(&F.c.t_delack), "delayed ACK timer cancelled");
	tl_end();
	fx_fini();
}

/* ---- RTO ---- */

struct rtt_case {
	uint64_t sample_ms;
	uint64_t srtt_us, rttvar_us, rto_us;
};

static void test_rto_calc(void)
{
	static const struct rtt_case steps[] = {
		{ 100, 100000, 50000, 300000 },
		{ 200, 112500, 62500, 362500 },
		{ 100, 110937, 50000, 310937 },
		{ 10, 98320, 62734, 349257 },
	};
	unsigned int i;

	fx_init(NULL);
	tl_begin("RTO (RFC 6298): SRTT/RTTVAR from timed segments; 200 ms floor");
	for (i = 0; i < 4; i++) {
		send_pattern(100);
		advance(TCP_MS(steps[i].sample_ms));
		in_ack(F.c.snd_nxt, 65535);
		ASSERT_EQ(F.c.srtt / 1000, steps[i].srtt_us, "SRTT us");
		ASSERT_EQ(F.c.rttvar / 1000, steps[i].rttvar_us, "RTTVAR us");
		ASSERT_EQ(F.c.rto / 1000, steps[i].rto_us, "RTO us");
	}
	for (i = 0; i < 20; i++) {
		send_pattern(100);
		advance(TCP_MS(1));
		in_ack(F.c.snd_nxt, 65535);
	}
	ASSERT_EQ(F.c.rto, TCP_MS(200), "RTO floor 200 ms");
	tl_end();
	fx_fini();
}

static void test_rto_backoff_karn(void)
{
	const struct tcp_seg *s;
	uint64_t t0;
	unsigned int n;

	fx_init(NULL);
	tl_begin(
		"RTO: first at 1 s, doubles each time, Karn takes no sample from a retransmission");
	send_pattern(500);
	t0 = F.now;
	fresh(&s);
	advance(TCP_MS(999));
	ASSERT_EQ(fresh(&s), 0, "nothing before 1 s");
	advance(TCP_MS(1));
	n = fresh(&s);
	ASSERT(n == 1 && s->seq == ISS + 1 && s->len == 500, "retransmitted at 1 s");
	advance(TCP_MS(1999));
	ASSERT_EQ(fresh(&s), 0, "second backoff: not before 2 s more");
	advance(TCP_MS(1));
	ASSERT_EQ(fresh(&s), 1, "again at 3 s");
	advance(TCP_MS(4000));
	ASSERT_EQ(fresh(&s), 1, "again at 7 s");
	ASSERT_EQ(F.now - t0, TCP_SEC(7), "clock");
	ASSERT_EQ(F.c.cwnd, 1000, "cwnd one segment after RTO");
	ASSERT_EQ(F.c.ssthresh, 2000, "ssthresh max(flight/2, 2 MSS)");
	in_ack(ISS + 501, 65535);
	ASSERT(!F.c.rtt_valid, "no RTT sample from the retransmitted segment");
	ASSERT_EQ(F.c.backoff, 0, "backoff cleared by progress");
	send_pattern(100);
	advance(TCP_MS(300));
	in_ack(F.c.snd_nxt, 65535);
	ASSERT(F.c.rtt_valid && F.c.srtt == TCP_MS(300), "a fresh segment is timed again");
	tl_end();
	fx_fini();

	fx_init(NULL);
	tl_begin("RTO: gives up after 15 retries with RST, app told ETIMEDOUT");
	send_pattern(100);
	advance(TCP_SEC(3600));
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "CLOSED");
	ASSERT(last_out() && (last_out()->flags & TCP_F_RST), "RST sent");
	ASSERT(F.done_err == -ETIMEDOUT && F.released, "ETIMEDOUT, released");
	ASSERT_EQ(F.st.stats.rto_fired, 15, "15 retransmissions");
	tl_end();
	fx_fini();
}

/* ---- fast retransmit, NewReno, SACK ---- */

static void test_fast_retransmit_newreno(void)
{
	const struct tcp_seg *s;
	unsigned int n;

	fx_init(NULL);
	tl_begin(
		"fast retransmit on the third duplicate ACK (Reno cwnd), NewReno partial ACK, full ACK");
	send_pattern(10000);
	n = fresh(&s);
	ASSERT_EQ(n, 10, "initial window: 10 segments");
	in_ack(ISS + 1 + 1000, 65535); /* segment 2 and 5 lost */
	fresh(&s);
	in_ack(ISS + 1 + 1000, 65535);
	in_ack(ISS + 1 + 1000, 65535);
	ASSERT_EQ(fresh(&s), 0, "two duplicates: nothing");
	in_ack(ISS + 1 + 1000, 65535);
	n = fresh(&s);
	ASSERT(n >= 1 && s[0].seq == ISS + 1 + 1000 && s[0].len == 1000, "third: segment 2 resent");
	ASSERT(F.c.in_recovery, "in recovery");
	ASSERT_EQ(F.c.ssthresh, 4500, "ssthresh = flight/2");
	ASSERT_EQ(F.st.stats.fast_retrans, 1, "counted");
	in_ack(ISS + 1 + 4000, 65535); /* partial: up to the next hole */
	n = fresh(&s);
	ASSERT(n >= 1 && s[0].seq == ISS + 1 + 4000, "partial ACK: hole at 4000 resent at once");
	ASSERT(F.c.in_recovery, "still in recovery");
	in_ack(F.c.recover, 65535);
	ASSERT(!F.c.in_recovery, "full ACK ends recovery");
	ASSERT(F.c.cwnd <= F.c.ssthresh, "cwnd deflated to ssthresh");
	tl_end();
	fx_fini();
}

/* An ACK of una SACKing [ISS+1+from, ISS+1+to), and a D-SACK block first when dfrom < dto. */
static void in_sack(uint32_t una, uint32_t from, uint32_t to, uint32_t dfrom, uint32_t dto)
{
	struct tcp_seg a = pseg(0, 0, una, TCP_F_ACK);

	if (dfrom < dto) {
		a.sack[a.nsack].start = ISS + 1 + dfrom;
		a.sack[a.nsack++].end = ISS + 1 + dto;
	}
	if (from < to) {
		a.sack[a.nsack].start = ISS + 1 + from;
		a.sack[a.nsack++].end = ISS + 1 + to;
	}
	tcp_input(&F.c, &a, F.now);
}

static void test_reordering(void)
{
	struct fx_opt opt = { .sack = true };
	const struct tcp_seg *s;
	uint32_t cwnd0, ssthresh0;
	unsigned int n, i;

	fx_init(&opt);
	tl_begin("reordering: a D-SACKed retransmission raises DupThresh and undoes the recovery");
	send_pattern(10000);
	fresh(&s);
	cwnd0 = F.c.cwnd;
	ssthresh0 = F.c.ssthresh;
	/* segment 1 (1000-2000) comes 3 segments late: 2, 3, 4 SACKed first */
	in_sack(ISS + 1 + 1000, 2000, 3000, 0, 0);
	in_sack(ISS + 1 + 1000, 2000, 4000, 0, 0);
	ASSERT(!F.c.in_recovery, "two duplicates: no recovery yet");
	in_sack(ISS + 1 + 1000, 2000, 5000, 0, 0);
	n = fresh(&s);
	ASSERT(F.c.in_recovery && n >= 1 && s[0].seq == ISS + 1 + 1000,
	       "three: segment 1 resent (DupThresh 3)");
	ASSERT(F.c.cwnd < cwnd0, "window reduced");
	/* the rest arrives, then the late original, then the retransmission: a duplicate */
	for (i = 6; i <= 10; i++)
		in_sack(ISS + 1 + 1000, 2000, i * 1000, 0, 0);
	in_sack(ISS + 1 + 10000, 0, 0, 0, 0);
	in_sack(ISS + 1 + 10000, 0, 0, 1000, 2000);
	ASSERT_EQ(F.st.stats.spurious_retrans, 1, "needless retransmission counted");
	ASSERT_EQ(F.st.stats.undos, 1, "recovery undone");
	ASSERT_EQ(F.c.reordering, 4, "DupThresh raised past the 3 segments the peer held");
	ASSERT(F.c.cwnd >= cwnd0 && F.c.ssthresh >= ssthresh0, "window restored: %u/%u", F.c.cwnd,
	       F.c.ssthresh);
	ASSERT(!F.c.in_recovery, "out of recovery");
	in_ack(F.c.snd_nxt, 65535);
	fresh(&s);

	/* the same reordering again: no retransmission now */
	send_pattern(10000);
	fresh(&s);
	{
		uint32_t b = F.c.snd_una - ISS - 1;

		in_sack(F.c.snd_una, b + 1000, b + 2000, 0, 0);
		in_sack(F.c.snd_una, b + 1000, b + 3000, 0, 0);
		in_sack(F.c.snd_una, b + 1000, b + 4000, 0, 0);
		n = fresh(&s);
		for (i = 0; i < n; i++)
			ASSERT(s[i].seq != F.c.snd_una,
			       "segment at SND.UNA resent on 3 duplicates");
		ASSERT(!F.c.in_recovery, "no recovery on 3 duplicates with DupThresh 4");
		/* a real loss still recovers: a fourth duplicate */
		in_sack(F.c.snd_una, b + 1000, b + 5000, 0, 0);
		n = fresh(&s);
		ASSERT(F.c.in_recovery && n >= 1 && s[0].seq == F.c.snd_una,
		       "fourth duplicate: fast retransmit");
		/* a timeout says DupThresh waited too long: back to 3 */
		advance(TCP_SEC(5));
		ASSERT(F.st.stats.rto_fired >= 1, "RTO fired");
		ASSERT_EQ(F.c.reordering, 3, "DupThresh after an RTO");
	}
	tl_end();
	fx_fini();

	fx_init(&opt);
	tl_begin("reordering: a D-SACK outside the latest recovery changes nothing");
	send_pattern(5000);
	fresh(&s);
	in_ack(ISS + 1 + 5000, 65535);
	in_sack(ISS + 1 + 5000, 0, 0, 1000, 2000);
	ASSERT_EQ(F.st.stats.spurious_retrans, 0, "no recovery, nothing needless");
	ASSERT_EQ(F.c.reordering, 3, "DupThresh stays 3");
	tl_end();
	fx_fini();
}

static void test_sack_retransmit(void)
{
	struct fx_opt opt = { .sack = true };
	const struct tcp_seg *s;
	struct tcp_seg a;
	unsigned int n, i, holes = 0, other = 0;

	fx_init(&opt);
	tl_begin("SACK: holes retransmitted from the scoreboard, SACKed data not resent");
	send_pattern(10000);
	fresh(&s);
	/* received: 0-1000, 2000-4000, 5000-10000; lost: 1000-2000 and 4000-5000 */
	a = pseg(0, 0, ISS + 1 + 1000, TCP_F_ACK);
	a.nsack = 2;
	a.sack[0].start = ISS + 1 + 5000;
	a.sack[0].end = ISS + 1 + 10000;
	a.sack[1].start = ISS + 1 + 2000;
	a.sack[1].end = ISS + 1 + 4000;
	tcp_input(&F.c, &a, F.now);
	n = fresh(&s);
	for (i = 0; i < n; i++) {
		if (s[i].len && (s[i].seq == ISS + 1 + 1000 || s[i].seq == ISS + 1 + 4000))
			holes++;
		else if (s[i].len && s[i].seq < ISS + 1 + 10000)
			other++;
	}
	ASSERT(F.c.in_recovery, "SACKed bytes above the hole start recovery on one ACK");
	ASSERT_EQ(holes, 2, "both holes resent");
	ASSERT_EQ(other, 0, "nothing SACKed resent");
	a.ack = ISS + 1 + 4000;
	a.nsack = 1;
	tcp_input(&F.c, &a, F.now);
	a.ack = ISS + 1 + 10000;
	a.nsack = 0;
	tcp_input(&F.c, &a, F.now);
	ASSERT(!F.c.in_recovery && F.c.nscore == 0, "done, scoreboard empty");
	ASSERT_EQ(F.st.stats.rto_fired, 0, "no RTO");
	tl_end();
	fx_fini();
}

/* ---- windows ---- */

static void test_zero_window_persist(void)
{
	const struct tcp_seg *s;
	unsigned int n;

	fx_init(NULL);
	tl_begin("zero window: persist probes with backoff, data flows when the window reopens");
	send_pattern(100);
	in_ack(ISS + 101, 0);
	ASSERT_EQ(F.c.snd_wnd, 0, "window closed");
	fresh(&s);
	send_pattern(3000);
	ASSERT_EQ(fresh(&s), 0, "nothing sent into a zero window");
	ASSERT(tmr_armed(&F.c.t_persist), "persist timer");
	advance(F.c.t_persist.when - F.now);
	n = fresh(&s);
	ASSERT(n == 1 && s->len == 1 && s->seq == ISS + 101, "one-byte probe");
	in_ack(ISS + 101, 0);
	advance(TCP_MS(F.c.rto / TCP_MS(1) * 2 - 1));
	ASSERT_EQ(fresh(&s), 0, "second probe backs off");
	advance(TCP_MS(1));
	ASSERT_EQ(fresh(&s), 1, "second probe");
	in_ack(ISS + 101, 65535);
	n = fresh(&s);
	ASSERT(n == 3 && s[0].seq == ISS + 101 && s[2].len == 1000,
	       "window open: all 3000 bytes go");
	ASSERT(!tmr_armed(&F.c.t_persist) && tmr_armed(&F.c.t_rto), "persist off, RTO on");
	tl_end();
	fx_fini();

	{
		struct fx_opt o = { .rcv_buf = 4000 };

		fx_init(&o);
	}
	tl_begin("zero window, receiver side: probe answered, app drains, window update sent");
	F.take = 0;
	in(0, 1000, ISS + 1, TCP_F_ACK);
	in(1000, 1000, ISS + 1, TCP_F_ACK);
	in(2000, 1000, ISS + 1, TCP_F_ACK);
	in(3000, 1000, ISS + 1, TCP_F_ACK);
	ASSERT(last_out() && last_out()->wnd == 0 && last_out()->ack == IRS + 4001,
	       "window 0 advertised");
	in(4000, 1, ISS + 1, TCP_F_ACK);
	ASSERT(last_out()->wnd == 0 && last_out()->ack == IRS + 4001,
	       "probe answered, byte not taken");
	F.take = SIZE_MAX;
	n = F.nout;
	tcp_recv_resume(&F.c, F.now);
	ASSERT(F.nout == n + 1 && last_out()->wnd == 4000, "window update after the app drained");
	ASSERT(rx_is_pattern(4000), "data intact");
	tl_end();
	fx_fini();
}

static void test_window_scaling(void)
{
	struct fx_opt o = { .snd_ws = 7, .rcv_ws = 7, .peer_wnd = 10 };

	fx_init(&o);
	tl_begin(
		"window scaling: peer's shifted by its scale, ours by ours; WL1/WL2 ignore older segments");
	ASSERT_EQ(F.c.snd_wnd, 1280, "SND.WND = 10 << 7");
	in(0, 100, ISS + 1, TCP_F_ACK);
	advance(TCP_MS(40));
	ASSERT_EQ(last_out()->wnd, (256 * 1024) >> 7, "RCV.WND >> 7");
	{
		struct tcp_seg s = pseg(0, 0, ISS + 1, TCP_F_ACK); /* older seq than WL1 */

		s.wnd = 1;
		tcp_input(&F.c, &s, F.now);
		ASSERT_EQ(F.c.snd_wnd, 65535u << 7, "window from an older segment ignored");
	}
	tl_end();
	fx_fini();
}

/* ---- apps and back-to-back ---- */

struct frame {
	struct tmr t;
	struct link *l;
	int to; /* 0: A, 1: B */
	struct tcp_seg seg;
	uint8_t data[];
};

struct host {
	struct tcp_stack st;
	struct tcb c;
	struct tcp_ops ops;
	struct link *l;
	int id;
	bool released;
	/* client side */
	uint64_t sent, rcvd, sum_sent, sum_rcvd, total;
};

struct link {
	struct tmr_heap wire;
	struct host h[2];
	uint64_t now;
	unsigned int loss_pm, reorder_pm; /* per mille */
	uint64_t frames, lost, reordered;
};

static void frame_arrive(struct tmr *t, uint64_t now)
{
	struct frame *f = container_of(t, struct frame, t);
	struct host *h = &f->l->h[f->to];

	f->seg.data = f->data;
	if (h->c.st && h->c.state != TCPS_CLOSED)
		tcp_input(&h->c, &f->seg, now);
	free(f);
}

static void link_emit(void *ctx, struct tcb *c, const struct tcp_seg *seg)
{
	struct host *h = ctx;
	struct link *l = h->l;
	struct frame *f;
	uint64_t delay = TCP_MS(1) + rng() % TCP_MS(1) / 4;

	(void)c;
	l->frames++;
	if (rng() % 1000 < l->loss_pm) {
		l->lost++;
		return;
	}
	if (rng() % 1000 < l->reorder_pm) {
		delay += TCP_MS(2); /* behind a couple of dozen segments */
		l->reordered++;
	}
	f = malloc(sizeof(*f) + seg->len);
	tmr_setup(&f->t, frame_arrive);
	f->l = l;
	f->to = !h->id;
	f->seg = *seg;
	if (seg->len)
		memcpy(f->data, seg->data, seg->len);
	tmr_arm(&l->wire, &f->t, l->now + delay);
}

static void link_release(void *ctx, struct tcb *c)
{
	(void)c;
	((struct host *)ctx)->released = true;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static uint8_t stream_byte(uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)(x >> 56 ^ x >> 23);
}

static size_t client_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	struct host *h = c->app_data;

	h->sum_rcvd = fnv(h->sum_rcvd, buf, len);
	h->rcvd += len;
	if (h->rcvd == h->total)
		tcp_close(c, tcp_now(c));
	return len;
}

static const struct tcp_app client_app = { .data = client_data };

static void client_pump(struct host *h)
{
	uint8_t buf[16384];

	while (h->sent < h->total && tcp_snd_space(&h->c) && h->c.state == TCPS_ESTABLISHED) {
		size_t n = sizeof(buf), i;
		long w;

		if (n > h->total - h->sent)
			n = h->total - h->sent;
		if (n > tcp_snd_space(&h->c))
			n = tcp_snd_space(&h->c);
		for (i = 0; i < n; i++)
			buf[i] = stream_byte(h->sent + i);
		w = tcp_send(&h->c, buf, n, h->l->now);
		if (w <= 0)
			break;
		h->sum_sent = fnv(h->sum_sent, buf, (size_t)w);
		h->sent += (uint64_t)w;
	}
}

static void test_back_to_back(uint64_t seed, bool sack, bool ts, unsigned int loss_pm,
			      unsigned int reorder_pm)
{
	static struct link L;
	struct tcp_cfg cfg;
	struct tcp_conn_params pa = {
		.iss = 0xfffff000u, /* wraps during the transfer */
		.irs = 77,
		.peer_mss = 1460,
		.our_mss = 1460,
		.snd_wscale = 7,
		.rcv_wscale = 7,
		.sack_ok = sack,
		.ts_ok = ts,
		.ts_recent = 5,
		.peer_wnd = 2048,
	};
	struct tcp_conn_params pb = pa;
	uint64_t t0;
	double secs;
	uint64_t steps = 0, limit = TCP_SEC(600);
	int i;

	tl_begin(
		"back to back: 10 MB echoed, %.1f%% loss, %.1f%% reordering, SACK %s, TS %s, seed %llu",
		loss_pm / 10.0, reorder_pm / 10.0, sack ? "on" : "off", ts ? "on" : "off",
		(unsigned long long)seed);
	memset(&L, 0, sizeof(L));
	rng_state = seed;
	L.loss_pm = loss_pm;
	L.reorder_pm = reorder_pm;
	L.now = TCP_SEC(1);
	tmr_heap_init(&L.wire);
	tcp_cfg_default(&cfg);
	cfg.msl = TCP_SEC(1);
	pb.iss = 77;
	pb.irs = 0xfffff000u;
	pb.ts_recent = 1;
	for (i = 0; i < 2; i++) {
		L.h[i].l = &L;
		L.h[i].id = i;
		L.h[i].ops.emit = link_emit;
		L.h[i].ops.release = link_release;
		tcp_stack_init(&L.h[i].st, &cfg, &L.h[i].ops, &L.h[i]);
	}
	L.h[0].total = 10u << 20;
	L.h[0].sum_sent = L.h[0].sum_rcvd = 0xcbf29ce484222325ULL;
	tcp_conn_init(&L.h[1].st, &L.h[1].c, &pb, apps_find("echo")->app, L.now);
	tcp_conn_init(&L.h[0].st, &L.h[0].c, &pa, &client_app, L.now);
	L.h[0].c.app_data = &L.h[0];
	t0 = clock_mono_ns();
	while (!(L.h[0].released && L.h[1].released) && L.now < limit) {
		uint64_t next;

		client_pump(&L.h[0]);
		next = tmr_next(&L.wire);
		for (i = 0; i < 2; i++) {
			uint64_t t = tcp_stack_next_timer(&L.h[i].st);

			if (t < next)
				next = t;
		}
		if (next == TMR_NEVER)
			break;
		if (next > L.now) {
			if (getenv("TCP_DEBUG") && next - L.now > TCP_MS(100))
				fprintf(stderr,
					"gap %.3f s at %.3f: A una %u nxt %u max %u wnd %u cwnd %u rec %d sb %u | B una %u nxt %u max %u wnd %u cwnd %u rec %d sb %u rb %u\n",
					(double)(next - L.now) / 1e9, (double)L.now / 1e9,
					L.h[0].c.snd_una, L.h[0].c.snd_nxt, L.h[0].c.snd_max,
					L.h[0].c.snd_wnd, L.h[0].c.cwnd, L.h[0].c.in_recovery,
					L.h[0].c.sbuf_len, L.h[1].c.snd_una, L.h[1].c.snd_nxt,
					L.h[1].c.snd_max, L.h[1].c.snd_wnd, L.h[1].c.cwnd,
					L.h[1].c.in_recovery, L.h[1].c.sbuf_len,
					L.h[1].c.rcv_nxt - L.h[1].c.rcv_user);
			L.now = next;
		}
		tmr_run(&L.wire, L.now);
		for (i = 0; i < 2; i++)
			tcp_stack_run_timers(&L.h[i].st, L.now);
		steps++;
	}
	secs = (double)(clock_mono_ns() - t0) / 1e9;
	ASSERT_EQ(L.h[0].sent, 10u << 20, "client sent");
	ASSERT_EQ(L.h[0].rcvd, 10u << 20, "client got the echo");
	ASSERT(L.h[0].sum_sent == L.h[0].sum_rcvd, "checksums %016llx %016llx",
	       (unsigned long long)L.h[0].sum_sent, (unsigned long long)L.h[0].sum_rcvd);
	ASSERT(L.h[0].released && L.h[1].released, "both closed (client through TIME_WAIT)");
	ASSERT(L.frames > 0 && L.lost > 0 && L.reordered > 0, "the link did lose and reorder");
	printf("     %llu frames, %llu lost, %llu reordered; simulated %.2f s; wall %.2f s (%.0f MB/s "
	       "echoed); retrans A %llu B %llu, RTO A %llu B %llu, fast A %llu B %llu\n",
	       (unsigned long long)L.frames, (unsigned long long)L.lost,
	       (unsigned long long)L.reordered, (double)(L.now - TCP_SEC(1)) / 1e9, secs,
	       20.0 / secs, (unsigned long long)L.h[0].st.stats.retrans_segs,
	       (unsigned long long)L.h[1].st.stats.retrans_segs,
	       (unsigned long long)L.h[0].st.stats.rto_fired,
	       (unsigned long long)L.h[1].st.stats.rto_fired,
	       (unsigned long long)L.h[0].st.stats.fast_retrans,
	       (unsigned long long)L.h[1].st.stats.fast_retrans);
	(void)steps;
	for (i = 0; i < 2; i++) {
		tcp_conn_fini(&L.h[i].c);
		tcp_stack_fini(&L.h[i].st);
	}
	while (L.wire.n) {
		struct frame *f = container_of(L.wire.v[0], struct frame, t);

		tmr_cancel(&L.wire, &f->t);
		free(f);
	}
	tmr_heap_fini(&L.wire);
	tl_end();
}

static void test_apps(void)
{
	char names[64];
	size_t i;

	fx_init(NULL);
	tl_begin("apps: one table, found by name; discard takes all and closes after the peer");
	ASSERT(apps_find("echo") && apps_find("discard") && apps_find("close"),
	       "echo, discard, close");
	ASSERT(apps_find("http") == NULL, "unknown");
	for (i = 0; i < apps_count; i++)
		ASSERT(apps_find(apps_table[i].name) == &apps_table[i] && apps_table[i].help &&
			       apps_table[i].app && apps_table[i].app->data,
		       "row %zu: found by its name, with help and a data callback", i);
	ASSERT(!strcmp(apps_names(names, sizeof(names), " or "), "echo, discard or close"),
	       "names listed: '%s'", names);
	ASSERT(!strcmp(apps_names(names, 12, ", "), "echo, disca"), "cut to the buffer: '%s'",
	       names);
	F.c.app = apps_find("discard")->app;
	in(0, 3000, ISS + 1, TCP_F_ACK);
	in(3000, 0, ISS + 1, TCP_F_ACK | TCP_F_FIN);
	ASSERT_EQ(F.c.state, TCPS_LAST_ACK, "discard closed after the peer: LAST_ACK");
	ASSERT(last_out() && (last_out()->flags & TCP_F_FIN) && last_out()->ack == IRS + 3002,
	       "our FIN acks theirs");
	tl_end();
	fx_fini();
}

static void test_idle(void)
{
	struct fx_opt o = { .idle = true };

	fx_init(&o);
	tl_begin("idle timeout: activity pushes it back; silence ends in RST and ETIMEDOUT");
	advance(TCP_SEC(300));
	in(0, 10, ISS + 1, TCP_F_ACK);
	advance(TCP_SEC(500));
	ASSERT_EQ(F.c.state, TCPS_ESTABLISHED,
		  "alive 800 s after start, 500 s after the last segment");
	advance(TCP_SEC(100));
	ASSERT_EQ(F.c.state, TCPS_CLOSED, "closed 600 s after the last segment");
	ASSERT(last_out() && (last_out()->flags & TCP_F_RST) && F.done_err == -ETIMEDOUT,
	       "RST, ETIMEDOUT");
	tl_end();
	fx_fini();
}

static unsigned int many_emitted;

static void many_emit(void *ctx, struct tcb *c, const struct tcp_seg *seg)
{
	(void)ctx;
	(void)c;
	many_emitted += seg->flags == TCP_F_ACK && seg->ack == IRS + 101;
}

static void test_many_conns(void)
{
	enum { N = 5000 };
	static const struct tcp_ops ops = { .emit = many_emit };
	struct tcp_stack *st = malloc(sizeof(*st));
	struct tcb *c = calloc(N, sizeof(*c));
	struct tcp_cfg cfg;
	struct tcp_conn_params p = { .iss = ISS, .irs = IRS, .peer_mss = 1460, .peer_wnd = 65535 };
	uint8_t data[100] = { 0 };
	struct tcp_seg s = { .seq = IRS + 1,
			     .ack = ISS + 1,
			     .flags = TCP_F_ACK,
			     .wnd = 65535,
			     .data = data,
			     .len = 100 };
	unsigned int i, ok = 0;

	tl_begin(
		"5000 connections in one stack, 8 KB buffers each: delayed ACKs all fire at 40 ms");
	tcp_cfg_default(&cfg);
	cfg.snd_buf = cfg.rcv_buf = 4096;
	tcp_stack_init(st, &cfg, &ops, NULL);
	many_emitted = 0;
	for (i = 0; i < N; i++)
		ok += tcp_conn_init(st, &c[i], &p, apps_find("discard")->app, TCP_SEC(1)) == 0;
	ASSERT_EQ(ok, N, "connections set up");
	for (i = 0; i < N; i++)
		tcp_input(&c[i], &s, TCP_SEC(1) + i * 1000);
	ASSERT_EQ(st->timers.n, 2 * N, "an idle and a delayed-ACK timer each");
	tcp_stack_run_timers(st, TCP_SEC(1) + TCP_MS(39));
	ASSERT_EQ(many_emitted, 0, "none before 40 ms");
	tcp_stack_run_timers(st, TCP_SEC(1) + TCP_MS(46));
	ASSERT_EQ(many_emitted, N, "every connection acked its 100 bytes");
	for (i = 0; i < N; i++)
		tcp_conn_fini(&c[i]);
	ASSERT_EQ(st->timers.n, 0, "no timer left");
	ASSERT_EQ(st->timers.reserved, 0, "reservations returned");
	tcp_stack_fini(st);
	free(c);
	free(st);
	tl_end();
}

int main(void)
{
	test_timer_ties();
	test_timer_many();
	test_seq_basics();
	test_reassembly();
	test_sack_blocks();
	test_delayed_ack();
	test_peer_fin_half_close();
	test_active_close_timewait();
	test_simultaneous_close();
	test_rst();
	test_peer_fin_taken();
	test_our_fin_acked();
	test_peer_reset();
	test_sent_callback();
	test_paws();
	test_rto_calc();
	test_rto_backoff_karn();
	test_fast_retransmit_newreno();
	test_reordering();
	test_sack_retransmit();
	test_zero_window_persist();
	test_window_scaling();
	test_apps();
	test_idle();
	test_many_conns();
	test_back_to_back(2024, true, true, 20, 20);
	test_back_to_back(7, true, true, 20, 20);
	test_back_to_back(99, true, false, 20, 20);
	test_back_to_back(5, false, true, 20, 20);
	test_back_to_back(11, false, false, 10, 10);
	test_back_to_back(3, true, true, 50, 50);
	if (F.pool)
		tcp_stack_fini(&F.st);
	free(F.pool);
	free(F.rx);
	return tl_summary();
}
