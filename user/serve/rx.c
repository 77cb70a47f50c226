// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "serve/rx.h"
#include "core/clock.h"
#include "serve/conns.h"
#include "serve/frame.h"
#include "serve/serve_int.h"

void serve_rx(void *ctx, __u32 queue, void *data, __u32 len, __u32 headroom)
{
	struct serve *s = ctx;
	struct serve_flow v;
	struct frame_in p;
	struct conn *c;
	__u64 now = clock_mono_ns();
	/* the entry as XDP saw it with this segment, or read now */
	bool have_v = frame_meta_take(data, headroom, &v);

	s->rx_frames++;
	if (frame_parse(data, len, &p)) {
		s->rx_unknown++;
		return;
	}
	if (!have_v)
		s->rx_no_meta++;
	c = conn_find(&s->conns, &p.key);
	/* a segment for a block in TIME_WAIT may belong to a new connection on the tuple */
	if (c && (tcp_conn_state(&c->tcb) == TCPS_TIME_WAIT || c->released)) {
		have_v = have_v || !flow_entry_read(s, &p.key, &v);
		if (have_v && !conn_is_for(c, &v)) {
			conn_retire(s, c);
			c = NULL;
		}
	}
	if (!c) {
		if ((!have_v && flow_entry_read(s, &p.key, &v)) || v.state == TCPS_SYN_RCVD ||
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
		conn_import(c, &v, now);
	}
	c->queue = queue;
	tcp_input(&c->tcb, &p.seg, now);
}
