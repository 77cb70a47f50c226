// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the controller's TCP engine (user/tcp/): a connection
 * built as serve builds it after XDP's handshake, then fed what the input
 * decodes to, op by op: segments (flags, seq/ack near the connection's own
 * edges or anywhere, windows, timestamps, SACK blocks, data), the clock
 * moving and timers firing, the app sending, closing, aborting, and the
 * transitions XDP reports (peer FIN taken, our FIN acked, peer reset,
 * TIME_WAIT restart). Under ASan+UBSan; after every op the connection's
 * sequence space must still be ordered, and every emitted segment's data
 * must come from the send buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"

struct in {
	const uint8_t *d;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->d++;
	in->n--;
	return v;
}

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) << 8 | u8(in));
}

static uint32_t u32(struct in *in)
{
	return (uint32_t)u16(in) << 16 | u16(in);
}

static struct {
	struct tcp_stack st;
	struct tcb c;
	bool released, live;
	bool greedy; /* the app takes all data offered */
	uint64_t now;
} h;

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) >= 0;
}

static void emit(void *ctx, struct tcb *c, const struct tcp_seg *seg)
{
	struct tcp_conn_info i;

	(void)ctx;
	tcp_conn_info(c, &i);
	if (seg->flags & TCP_F_RST)
		return;
	/* data that goes out comes from the send buffer, which holds SND.UNA on */
	if (seg->len) {
		CHECK(seg->data != NULL);
		CHECK(seq_le(i.snd_una, seg->seq));
		CHECK(seq_le(seg->seq + seg->len, i.snd_una + c->sbuf_len));
	}
}

static void release(void *ctx, struct tcb *c)
{
	(void)ctx;
	(void)c;
	h.released = true;
}

static const struct tcp_ops ops = { .emit = emit, .release = release };

static size_t app_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	size_t take = h.greedy ? len : len / 2;

	if (take)
		tcp_send(c, buf, take, tcp_now(c)); /* echo */
	return take;
}

static void app_close(struct tcb *c)
{
	tcp_close(c, tcp_now(c));
}

static const struct tcp_app app = { .data = app_data, .close = app_close };

static void check_conn(void)
{
	struct tcp_conn_info i;

	tcp_conn_info(&h.c, &i);
	CHECK((unsigned int)i.state < TCPS__COUNT);
	CHECK(seq_le(i.snd_una, i.snd_nxt));
	CHECK(seq_le(i.snd_nxt, i.snd_max));
	CHECK(seq_le(i.iss + 1, i.snd_una) || i.state == TCPS_CLOSED);
	CHECK(h.c.sbuf_len <= h.c.sbuf_size);
}

static void segment(struct in *in)
{
	struct tcp_conn_info i;
	struct tcp_seg s = { 0 };
	static uint8_t data[2048];
	uint8_t mode = u8(in), k;

	tcp_conn_info(&h.c, &i);
	s.flags = u8(in);
	s.seq = (mode & 1) ? u32(in) : i.rcv_nxt + (uint32_t)(int16_t)u16(in);
	s.ack = (mode & 2) ? u32(in) : i.snd_una + (uint32_t)(int16_t)u16(in);
	s.wnd = u16(in);
	if (mode & 4) {
		s.has_ts = true;
		s.tsval = i.ts_recent + (uint32_t)(int16_t)u16(in);
		s.tsecr = u32(in);
	}
	if (mode & 8) {
		s.nsack = u8(in) % (TCP_SACK_BLOCKS_MAX + 1);
		for (k = 0; k < s.nsack; k++) {
			s.sack[k].start = i.snd_una + (uint32_t)(int16_t)u16(in);
			s.sack[k].end = s.sack[k].start + u16(in);
		}
	}
	s.len = (mode & 0x10) ? u16(in) % sizeof(data) : 0;
	memset(data, mode, s.len);
	s.data = data;
	tcp_input(&h.c, &s, h.now);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct in in = { d, n };
	struct tcp_conn_params p = { 0 };
	struct tcp_cfg cfg;
	uint8_t opts = u8(&in);
	unsigned int ops_left = 256;

	tcp_cfg_default(&cfg);
	cfg.ts_shift = 20;
	memset(&h, 0, sizeof(h));
	h.now = TCP_SEC(100);
	if (tcp_stack_init(&h.st, &cfg, &ops, NULL))
		return 0;
	p.iss = u32(&in);
	p.irs = u32(&in);
	p.peer_mss = u16(&in);
	p.our_mss = 1460;
	p.ts_ok = opts & 1;
	p.sack_ok = opts & 2;
	if (opts & 4) {
		p.snd_wscale = u8(&in) % 15;
		p.rcv_wscale = 7;
	}
	p.ts_recent = u32(&in);
	p.ts_offset = u32(&in);
	p.peer_wnd = u16(&in);
	p.our_wnd = 64240;
	h.greedy = opts & 8;
	if (tcp_conn_init(&h.st, &h.c, &p, &app, h.now)) {
		tcp_stack_fini(&h.st);
		return 0;
	}
	h.live = true;
	while (in.n && ops_left-- && !h.released) {
		uint8_t op = u8(&in);

		switch (op % 12) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			segment(&in);
			break;
		case 5:
			h.now += TCP_MS(u16(&in));
			tcp_stack_run_timers(&h.st, h.now);
			break;
		case 6: {
			static uint8_t buf[8192];
			size_t len = u16(&in) % sizeof(buf);

			memset(buf, 'x', len);
			tcp_send(&h.c, buf, len, h.now);
			break;
		}
		case 7:
			tcp_close(&h.c, h.now);
			break;
		case 8:
			if (op & 0x80)
				tcp_abort(&h.c, h.now);
			else
				tcp_recv_resume(&h.c, h.now);
			break;
		case 9: {
			/* what the glue reports only when XDP could take it: nothing outstanding */
			struct tcp_conn_info i;

			tcp_conn_info(&h.c, &i);
			if (i.snd_una == i.snd_max && !h.c.nooo)
				tcp_peer_fin_taken(&h.c, u32(&in), h.now);
			break;
		}
		case 10: {
			struct tcp_conn_info i;

			tcp_conn_info(&h.c, &i);
			if (op & 0x80)
				tcp_peer_reset(&h.c, h.now);
			else if (h.c.fin_queued && i.snd_max == h.c.fin_seq + 1)
				tcp_our_fin_acked(&h.c, u32(&in), h.now);
			break;
		}
		default:
			tcp_timewait_restart(&h.c, h.now);
			break;
		}
		if (!h.released)
			check_conn();
	}
	/* let every timer run out, as a connection left alone would */
	for (ops_left = 0; ops_left < 64 && !h.released && tcp_stack_next_timer(&h.st);
	     ops_left++) {
		h.now = tcp_stack_next_timer(&h.st);
		tcp_stack_run_timers(&h.st, h.now);
	}
	tcp_conn_fini(&h.c);
	tcp_stack_fini(&h.st);
	return 0;
}
