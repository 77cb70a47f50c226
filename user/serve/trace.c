// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <shakeoff/tcp_wire.h>
#include <shakeoff/trace.h>

#include "core/unaligned.h"
#include "serve/trace.h"

void serve_trace_init(struct serve_trace *t, volatile __u32 *on, const char *ifname)
{
	int n;

	memset(t, 0, sizeof(*t));
	t->on = on;
	t->fd = -1;
	t->addr.sun_family = AF_UNIX;
	/* abstract: sun_path[0] stays NUL */
	n = snprintf(t->addr.sun_path + 1, sizeof(t->addr.sun_path) - 1, SO_TRACE_CTL_SOCK, ifname);
	if (n < 0 || (size_t)n >= sizeof(t->addr.sun_path) - 1)
		n = (int)sizeof(t->addr.sun_path) - 2;
	t->alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

void serve_trace_fini(struct serve_trace *t)
{
	/* a serve that ended before its load never had one */
	if (t->on && t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Never waits: a collector that cannot keep up loses records, not the data path its time. */
static void send_ev(struct serve_trace *t, const struct so_trace_ev *ev)
{
	if (t->fd < 0) {
		t->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (t->fd < 0)
			return;
	}
	if (sendto(t->fd, ev, sizeof(*ev), MSG_DONTWAIT, (const struct sockaddr *)&t->addr,
		   t->alen) < 0)
		t->lost++;
}

static void ev_head(struct so_trace_ev *ev, const struct serve_flow_key *k, bool ipv6, __u8 kind)
{
	struct timespec ts;

	memset(ev, 0, sizeof(*ev));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev->ts_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	ev->kind = kind;
	ev->src = SO_TRACE_SRC_CTL;
	ev->dir = SO_TRACE_OUT;
	if (ipv6) {
		ev->family = 6;
		memcpy(ev->laddr, k->laddr, 16);
		memcpy(ev->raddr, k->raddr, 16);
	} else {
		ev->family = 4;
		memcpy(ev->laddr, &k->laddr[3], 4);
		memcpy(ev->raddr, &k->raddr[3], 4);
	}
	ev->lport = ntohs(k->lport);
	ev->rport = ntohs(k->rport);
}

/* The options frame_send_seg() or frame_send_synack() encoded, as the record's fields. */
static void ev_opts(struct so_trace_ev *ev, const __u8 *o, __u32 olen)
{
	__u32 i = 0;

	while (i < olen && o[i] != TCP_OPT_EOL) {
		__u8 kind = o[i], l;

		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= olen)
			break;
		l = o[i + 1];
		if (l < 2 || i + l > olen)
			break;
		if (kind == TCP_OPT_MSS && l == TCP_OLEN_MSS) {
			ev->opt_flags |= SO_TRACE_OPT_MSS;
			ev->mss = get_be16(o + i + 2);
		} else if (kind == TCP_OPT_WS && l == TCP_OLEN_WS) {
			ev->opt_flags |= SO_TRACE_OPT_WSCALE;
			ev->wscale = o[i + 2];
		} else if (kind == TCP_OPT_SACK_PERM) {
			ev->opt_flags |= SO_TRACE_OPT_SACK_PERM;
		} else if (kind == TCP_OPT_TS && l == TCP_OLEN_TS) {
			ev->opt_flags |= SO_TRACE_OPT_TS;
			ev->tsval = get_be32(o + i + 2);
			ev->tsecr = get_be32(o + i + 6);
		} else if (kind == TCP_OPT_SACK) {
			ev->opt_flags |= SO_TRACE_OPT_SACK;
			ev->sack_blocks = (__u8)((l - 2) / TCP_OLEN_SACK_BLOCK);
		}
		i += l;
	}
}

void serve_trace_tx(struct serve_trace *t, const struct serve_flow_key *k, bool ipv6, __u32 seq,
		    __u32 ack, __u8 flags, __u16 wnd, const __u8 *opts, __u32 olen, __u32 len)
{
	struct so_trace_ev ev;

	ev_head(&ev, k, ipv6, SO_TRACE_SEG);
	ev.act = SO_TRACE_ACT_SEEN;
	ev.tcp_flags = flags;
	ev.seq = seq;
	ev.ack = ack;
	ev.len = len;
	ev.win = wnd;
	ev_opts(&ev, opts, olen);
	send_ev(t, &ev);
}

void serve_trace_state(struct serve_trace *t, const struct serve_flow_key *k, bool ipv6,
		       enum tcp_state old, enum tcp_state s)
{
	struct so_trace_ev ev;

	ev_head(&ev, k, ipv6, SO_TRACE_STATE);
	ev.old_state = (__u8)old;
	ev.new_state = (__u8)s;
	send_ev(t, &ev);
}
