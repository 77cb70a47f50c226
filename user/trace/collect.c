// SPDX-License-Identifier: GPL-2.0
/*
 * The trace collector (collect.h): loads the trace's observers, attaches
 * them as links (tcx on the interface, the socket tracepoint and fentries),
 * so they go with the process however it ends, and switches on the
 * producers of a guard or serve found on the interface by the attached
 * program's id. One epoll fd covers every ring buffer and, for serve, the
 * abstract unix socket its controller sends its own records to (what it
 * transmits over AF_XDP and its engine's states: SO_TRACE_CTL_SOCK).
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/serve_abi.h>
#include <shakeoff/tcp_state.h>
#include <shakeoff/trace.h>
#include "trace.skel.h"

#include "core/attach.h"
#include "core/stage.h"
#include "trace/collect.h"

/* Not in this libbpf's (1.1) UAPI headers (see core/attach.h). */
#define TRACE_BPF_TCX_EGRESS 47

/* libbpf names a custom data section's map after the section alone */
#define TRACE_FLAG_MAP ".data.trace"
#define TRACE_RB_MAP "trace_rb"

struct trace_collect {
	struct trace_bpf *skel;
	int tcx[2]; /* link fds: ingress, egress */
	struct bpf_link *sock;
	struct ring_buffer *rb;
	int ep; /* the ring buffers' epoll fd and ctl_fd */
	int ctl_fd; /* serve's controller's records, or -1 */
	int flag_fd; /* guard's or serve's .data.trace, or -1 */
	const char *producer;
	struct trace_filter f;
	trace_ev_fn fn;
	void *ctx;
	int delivered; /* during one poll */
};

/* One line "shakeoff trace: WHAT: strerror", and -errno. */
__attribute__((format(printf, 2, 3))) static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	err = err < 0 ? -err : err;
	fputs("shakeoff trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
}

/* The kernel's TCP_* (netinet/tcp.h) as enum tcp_state. */
static __u8 kstate(__u8 s)
{
	switch (s) {
	case TCP_ESTABLISHED:
		return TCPS_ESTABLISHED;
	case TCP_SYN_SENT:
		return TCPS_SYN_SENT;
	case TCP_SYN_RECV:
	case 12: /* TCP_NEW_SYN_RECV, a request socket */
		return TCPS_SYN_RCVD;
	case TCP_FIN_WAIT1:
		return TCPS_FIN_WAIT_1;
	case TCP_FIN_WAIT2:
		return TCPS_FIN_WAIT_2;
	case TCP_TIME_WAIT:
		return TCPS_TIME_WAIT;
	case TCP_CLOSE_WAIT:
		return TCPS_CLOSE_WAIT;
	case TCP_LAST_ACK:
		return TCPS_LAST_ACK;
	case TCP_LISTEN:
		return TCPS_LISTEN;
	case TCP_CLOSING:
		return TCPS_CLOSING;
	default:
		return TCPS_CLOSED;
	}
}

static bool v4mapped(const __u8 *a)
{
	static const __u8 pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, sizeof(pfx));
}

/* A v4-mapped address as IPv4 (first 4 bytes, the rest zero). */
static void unmap(__u8 *a)
{
	memmove(a, a + 12, 4);
	memset(a + 4, 0, 12);
}

/* The filter again, for the producers that report everything (guard's, serve's). */
static bool filter_ok(const struct trace_filter *f, const struct so_trace_ev *ev)
{
	if (f->port && ev->lport != f->port && ev->rport != f->port)
		return false;
	if (!f->has_peer || (ev->kind == SO_TRACE_STATE && !ev->rport))
		return true;
	return ev->family == f->family && !memcmp(ev->raddr, f->peer, f->family == 4 ? 4 : 16);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace_collect *tc = ctx;
	struct so_trace_ev ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	if (ev.kind == SO_TRACE_STATE && ev.src == SO_TRACE_SRC_SOCK) {
		ev.old_state = kstate(ev.old_state);
		ev.new_state = kstate(ev.new_state);
		/* a dual-stack socket's IPv4 peer: the segments say family 4 */
		if (ev.family == 6 && v4mapped(ev.raddr) && (v4mapped(ev.laddr) || !ev.rport)) {
			ev.family = 4;
			unmap(ev.raddr);
			if (v4mapped(ev.laddr))
				unmap(ev.laddr);
		}
	}
	if (!filter_ok(&tc->f, &ev))
		return 0;
	tc->delivered++;
	tc->fn(tc->ctx, &ev);
	return 0;
}

/* What serve's controller sent since the last poll: one record a datagram. */
static void ctl_drain(struct trace_collect *tc)
{
	struct so_trace_ev ev;
	ssize_t n;
	int i;

	/* bounded: a busy controller never keeps the rings waiting */
	for (i = 0; tc->ctl_fd >= 0 && i < 4096; i++) {
		n = recv(tc->ctl_fd, &ev, sizeof(ev), MSG_DONTWAIT);
		if (n < 0)
			break;
		if (n == (ssize_t)sizeof(ev) && ev.src == SO_TRACE_SRC_CTL)
			on_event(tc, &ev, sizeof(ev));
	}
}

/* serve's controller's socket (abstract, so per netns), in the epoll set. */
static int ctl_open(struct trace_collect *tc, const char *ifname)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct epoll_event e = { .events = EPOLLIN };
	int n, buf = 4 << 20;

	n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, SO_TRACE_CTL_SOCK, ifname);
	if (n < 0 || (size_t)n >= sizeof(a.sun_path) - 1)
		n = (int)sizeof(a.sun_path) - 2;
	tc->ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tc->ctl_fd < 0)
		return fail(errno, "cannot open a socket for serve's controller");
	/* room for bursts between polls (capped by net.core.rmem_max) */
	setsockopt(tc->ctl_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(tc->ctl_fd, (struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)))
		return fail(errno, "cannot bind @" SO_TRACE_CTL_SOCK, ifname);
	e.data.fd = tc->ctl_fd;
	if (epoll_ctl(tc->ep, EPOLL_CTL_ADD, tc->ctl_fd, &e))
		return fail(errno, "epoll");
	return 0;
}

static __u32 netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

static bool pid_alive(__u32 pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/*
 * guard's or serve's producers on ifindex: their ring buffer added to ours,
 * their flag set to our pid. Not running is fine (a plain kernel server).
 */
static int producers_on(struct trace_collect *tc, int ifindex, const char *ifname)
{
	static const struct {
		const char *prog, *what;
	} kinds[] = { { GUARD_XDP_PROG_NAME, "guard" }, { SERVE_XDP_PROG_NAME, "serve" } };
	struct prog_ref p;
	__u32 zero = 0, pid = (__u32)getpid(), was = 0;
	unsigned int i;
	int rb_fd, err;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!xdp_find_named(ifindex, kinds[i].prog, &p))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return 0;
	tc->flag_fd = prog_map_fd(p.id, TRACE_FLAG_MAP);
	rb_fd = prog_map_fd(p.id, TRACE_RB_MAP);
	if (tc->flag_fd < 0 || rb_fd < 0) {
		/* an older build of it: the observers still see what the kernel does */
		if (rb_fd >= 0)
			close(rb_fd);
		if (tc->flag_fd >= 0)
			close(tc->flag_fd);
		tc->flag_fd = -1;
		fprintf(stderr,
			"shakeoff trace: %s on %s has no trace producers: kernel view only\n",
			kinds[i].what, ifname);
		return 0;
	}
	if (!bpf_map_lookup_elem(tc->flag_fd, &zero, &was) && was != pid && pid_alive(was)) {
		close(rb_fd);
		close(tc->flag_fd);
		tc->flag_fd = -1;
		fprintf(stderr, "shakeoff trace: another trace (pid %u) collects from %s on %s\n",
			was, kinds[i].what, ifname);
		return -EBUSY;
	}
	if (!strcmp(kinds[i].what, "serve")) {
		err = ctl_open(tc, ifname);
		if (err) {
			close(rb_fd);
			return err;
		}
	}
	err = ring_buffer__add(tc->rb, rb_fd, on_event, tc);
	close(rb_fd); /* the ring buffer keeps its own mapping */
	if (err)
		return fail(err, "%s's ring buffer", kinds[i].what);
	/* whatever a killed trace left is stale: start from an empty ring */
	while (ring_buffer__consume(tc->rb) > 0)
		;
	if (bpf_map_update_elem(tc->flag_fd, &zero, &pid, BPF_ANY))
		return fail(errno, "cannot switch %s's producers on", kinds[i].what);
	tc->producer = kinds[i].what;
	return 0;
}

/* The observers: loaded with the filter, attached as links. */
static int observers_on(struct trace_collect *tc, int ifindex, const char *ifname)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct trace_bpf *s;
	int err;

	s = trace_bpf__open();
	if (!s)
		return fail(errno, "cannot open the trace's BPF object");
	tc->skel = s;
	s->rodata->filter_port = tc->f.port;
	s->rodata->filter_netns = netns_inode();
	if (tc->f.has_peer) {
		s->rodata->filter_family = tc->f.family;
		memcpy((void *)s->rodata->filter_peer, tc->f.peer, 16);
	}
	err = trace_bpf__load(s);
	if (err)
		return fail(err, "cannot load the trace's BPF programs");
	tc->tcx[0] = bpf_link_create(bpf_program__fd(s->progs.so_trace_in), ifindex,
				     SHAKEOFF_BPF_TCX_INGRESS, NULL);
	if (tc->tcx[0] < 0)
		return fail(errno, "cannot attach to %s's TC ingress", ifname);
	tc->tcx[1] = bpf_link_create(bpf_program__fd(s->progs.so_trace_out), ifindex,
				     TRACE_BPF_TCX_EGRESS, NULL);
	if (tc->tcx[1] < 0)
		return fail(errno, "cannot attach to %s's TC egress", ifname);
	tc->sock = bpf_program__attach(s->progs.so_trace_state);
	if (!tc->sock)
		return fail(errno, "cannot attach to sock:inet_sock_set_state");
	tc->rb = ring_buffer__new(bpf_map__fd(s->maps.trace_events), on_event, tc, NULL);
	if (!tc->rb)
		return fail(errno, "cannot map the trace's ring buffer");
	tc->ep = epoll_create1(EPOLL_CLOEXEC);
	e.data.fd = ring_buffer__epoll_fd(tc->rb);
	if (tc->ep < 0 || epoll_ctl(tc->ep, EPOLL_CTL_ADD, e.data.fd, &e))
		return fail(errno, "epoll");
	return 0;
}

int trace_collect_open(struct trace_collect **out, const char *ifname, const struct trace_filter *f,
		       trace_ev_fn fn, void *ctx)
{
	struct trace_collect *tc;
	int ifindex, err;

	*out = NULL;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return fail(errno, "%s", ifname);
	tc = calloc(1, sizeof(*tc));
	if (!tc)
		return fail(ENOMEM, "out of memory");
	tc->tcx[0] = tc->tcx[1] = tc->flag_fd = tc->ep = tc->ctl_fd = -1;
	tc->producer = "";
	tc->f = *f;
	tc->fn = fn;
	tc->ctx = ctx;
	err = observers_on(tc, ifindex, ifname);
	if (!err)
		err = producers_on(tc, ifindex, ifname);
	if (err) {
		trace_collect_close(tc);
		return err;
	}
	*out = tc;
	return 0;
}

int trace_collect_fd(const struct trace_collect *tc)
{
	return tc->ep;
}

int trace_collect_poll(struct trace_collect *tc, int timeout_ms)
{
	int err;

	struct epoll_event e[2];

	tc->delivered = 0;
	if (epoll_wait(tc->ep, e, 2, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	err = ring_buffer__consume(tc->rb);
	if (err < 0 && err != -EINTR)
		return err;
	ctl_drain(tc);
	return tc->delivered;
}

const char *trace_collect_producer(const struct trace_collect *tc)
{
	return tc->producer;
}

void trace_collect_close(struct trace_collect *tc)
{
	__u32 zero = 0, pid = (__u32)getpid(), now = 0, off = 0;
	int i;

	if (!tc)
		return;
	/* clear the flag only if it is still ours (another trace may have taken it over) */
	if (tc->flag_fd >= 0) {
		if (!bpf_map_lookup_elem(tc->flag_fd, &zero, &now) && now == pid)
			bpf_map_update_elem(tc->flag_fd, &zero, &off, BPF_ANY);
		close(tc->flag_fd);
	}
	if (tc->ctl_fd >= 0)
		close(tc->ctl_fd);
	if (tc->ep >= 0)
		close(tc->ep);
	ring_buffer__free(tc->rb);
	bpf_link__destroy(tc->sock);
	for (i = 0; i < 2; i++)
		if (tc->tcx[i] >= 0)
			close(tc->tcx[i]);
	trace_bpf__destroy(tc->skel);
	free(tc);
}
