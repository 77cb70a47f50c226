// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff trace's own observers, loaded by the collector
 * (user/trace/collect.c) for as long as a trace runs:
 *
 *   so_trace_in, so_trace_out  tcx ingress and egress of the traced
 *                    interface: every TCP segment of the filter, as seen
 *                    (what the kernel receives and what it sends); always
 *                    TCX_NEXT, so guard's program beside them is untouched
 *   so_trace_state   tp_btf/inet_sock_set_state: the local sockets' state
 *                    changes (the kernel's TCP_* numbers; the collector names
 *                    them TCPS_*)
 *
 * The tracepoint never says TIME_WAIT: tcp_time_wait() hands the socket to a
 * timewait socket and closes the full one, FIN_WAIT_2 or CLOSING -> CLOSE.
 * That CLOSE is told from a reset's or a timeout's by what the socket has
 * seen (the peer's FIN, no error). Neither fentry nor kprobes are at hand on
 * every kernel we run on; the timewait socket's own end is not reported.
 *
 * Filter (set before load): the port (either side's), the peer address, the
 * network namespace of the sockets (the tracepoints fire for every one).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "lib/consts.h"
#include "lib/trace_emit.h"

char LICENSE[] SEC("license") = "GPL";

#define TRACE_AF_INET 2
#define TRACE_AF_INET6 10
#define TRACE_TCP_FIN_WAIT2 5
#define TRACE_TCP_TIME_WAIT 6
#define TRACE_TCP_CLOSE 7
#define TRACE_TCP_CLOSING 11
#define TRACE_RCV_SHUTDOWN 1

const volatile __u16 filter_port; /* 0: any */
const volatile __u8 filter_family; /* 0, 4 or 6: of the peer */
const volatile __u8 filter_peer[16];
const volatile __u32 filter_netns; /* the namespace's inode number */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} trace_events SEC(".maps");

/*
 * Sockets reported, with their local port: closing unbinds the port
 * (inet_put_port()) before the tracepoint's CLOSE, which would miss the
 * filter without it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u16);
} traced_socks SEC(".maps");

SHAKEOFF_INLINE int peer_ok(const struct so_trace_ev *ev)
{
	int i;

	if (filter_port && ev->lport != filter_port && ev->rport != filter_port)
		return 0;
	if (!filter_family)
		return 1;
	/* a listener has no peer yet: its LISTEN belongs to every connection */
	if (ev->kind == SO_TRACE_STATE && !ev->rport)
		return 1;
	if (ev->family != filter_family)
		return 0;
#pragma unroll
	for (i = 0; i < 16; i++)
		if (ev->raddr[i] != filter_peer[i])
			return 0;
	return 1;
}

SHAKEOFF_INLINE int observe(struct __sk_buff *skb, __u8 src, __u8 dir)
{
	struct so_trace_ev ev;

	if (trace_skb_fill(skb, &ev, dir) || !peer_ok(&ev))
		return TCX_NEXT;
	ev.src = src;
	ev.act = SO_TRACE_ACT_SEEN;
	bpf_ringbuf_output(&trace_events, &ev, sizeof(ev), 0);
	return TCX_NEXT;
}

SEC("tc")
int so_trace_in(struct __sk_buff *skb)
{
	return observe(skb, SO_TRACE_SRC_TC_IN, SO_TRACE_IN);
}

SEC("tc")
int so_trace_out(struct __sk_buff *skb)
{
	return observe(skb, SO_TRACE_SRC_TC_OUT, SO_TRACE_OUT);
}

/* A state record of the socket whose common part is c, or -1 if it is not ours. */
SHAKEOFF_INLINE int sock_fill(struct so_trace_ev *ev, const struct sock_common *c, int oldstate,
			      int newstate)
{
	__u16 family = BPF_CORE_READ(c, skc_family);

	if (family != TRACE_AF_INET && family != TRACE_AF_INET6)
		return -1;
	if (BPF_CORE_READ(c, skc_net.net, ns.inum) != filter_netns)
		return -1;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->kind = SO_TRACE_STATE;
	ev->src = SO_TRACE_SRC_SOCK;
	/* raw kernel states: the collector converts them */
	ev->old_state = oldstate;
	ev->new_state = newstate;
	ev->lport = BPF_CORE_READ(c, skc_num);
	ev->rport = bpf_ntohs(BPF_CORE_READ(c, skc_dport));
	if (family == TRACE_AF_INET) {
		ev->family = 4;
		bpf_core_read(ev->laddr, 4, &c->skc_rcv_saddr);
		bpf_core_read(ev->raddr, 4, &c->skc_daddr);
	} else {
		/* the collector turns v4-mapped addresses into IPv4 */
		ev->family = 6;
		bpf_core_read(ev->laddr, 16, &c->skc_v6_rcv_saddr);
		bpf_core_read(ev->raddr, 16, &c->skc_v6_daddr);
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(so_trace_state, const struct sock *sk, int oldstate, int newstate)
{
	struct so_trace_ev ev;
	__u64 key = (__u64)sk;
	__u16 *lport;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	/* tcp_time_wait()'s handover (see the top) */
	if (newstate == TRACE_TCP_CLOSE &&
	    (oldstate == TRACE_TCP_FIN_WAIT2 || oldstate == TRACE_TCP_CLOSING) &&
	    (sk->sk_shutdown & TRACE_RCV_SHUTDOWN) && !sk->sk_err)
		newstate = TRACE_TCP_TIME_WAIT;
	if (sock_fill(&ev, &sk->__sk_common, oldstate, newstate))
		return 0;
	lport = bpf_map_lookup_elem(&traced_socks, &key);
	if (lport && !ev.lport)
		ev.lport = *lport;
	if (!peer_ok(&ev))
		return 0;
	if (newstate == TRACE_TCP_CLOSE || newstate == TRACE_TCP_TIME_WAIT)
		bpf_map_delete_elem(&traced_socks, &key);
	else if (!lport)
		bpf_map_update_elem(&traced_socks, &key, &ev.lport, BPF_ANY);
	bpf_ringbuf_output(&trace_events, &ev, sizeof(ev), 0);
	return 0;
}
