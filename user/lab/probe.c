// SPDX-License-Identifier: GPL-2.0
/*
 * The prober's engine: non-blocking sockets on one epoll, a slot per open
 * connection. Every connection has the same timeout, so deadlines come in
 * start order and a list in start order finds the expired ones from its
 * head. Connect latency runs from just before connect() (the SYN leaves
 * within it) to the EPOLLOUT that reports the handshake done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "lab/probe.h"

#define NONE UINT32_MAX
#define NSEC 1000000000ULL
#define EVENTS 256
#define HEAD_MAX 16
#define START_BATCH 64 /* starts between two looks at the sockets */
#define FD_RESERVE 32ULL /* open files kept for stdio, epoll and the rest */

enum phase { FREE, CONNECTING, SENDING, READING };

struct pconn {
	int fd;
	uint32_t gen; /* tells a stale epoll event from the slot's next connection */
	enum phase phase;
	uint32_t prev, next; /* the open list, in start order */
	uint64_t sec;
	uint64_t start_ns, connect_ns;
	uint32_t sent, got;
	char head[HEAD_MAX]; /* the reply's first bytes (HTTP status line) */
};

struct probe {
	const struct probe_cfg *cfg;
	struct probe_result *res;
	probe_second_fn fn;
	void *ctx;
	int ep;
	char *req;
	uint32_t req_len;
	struct pconn *c;
	uint32_t *free_idx;
	uint32_t nfree, limit;
	uint32_t head, tail;
	uint64_t open;
	struct probe_bucket *secs;
	uint64_t nsecs, next_emit;
	bool all_started;
	uint64_t t0, timeout_ns;
	char buf[65536];
};

int probe_http_status(const char *head, size_t len)
{
	int i, st = 0;

	/* "HTTP/1.x NNN" */
	if (len < 12 || memcmp(head, "HTTP/", 5) || head[8] != ' ')
		return -1;
	for (i = 9; i < 12; i++) {
		if (head[i] < '0' || head[i] > '9')
			return -1;
		st = st * 10 + head[i] - '0';
	}
	return st;
}

static void list_del(struct probe *p, uint32_t i)
{
	struct pconn *c = &p->c[i];

	if (c->prev != NONE)
		p->c[c->prev].next = c->next;
	else
		p->head = c->next;
	if (c->next != NONE)
		p->c[c->next].prev = c->prev;
	else
		p->tail = c->prev;
}

static void list_add_tail(struct probe *p, uint32_t i)
{
	p->c[i].prev = p->tail;
	p->c[i].next = NONE;
	if (p->tail != NONE)
		p->c[p->tail].next = i;
	else
		p->head = i;
	p->tail = i;
}

static void sample(struct probe_samples *mine, struct probe_samples *all, double ms)
{
	/* out of memory loses a sample, never the count */
	if (probe_samples_add(mine, ms) || probe_samples_add(all, ms))
		pr_debug("probe: a latency sample lost (no memory)\n");
}

/* The connection in slot i ends: ok, or failed with cls (err: its errno, 0 if none). */
static void conn_end(struct probe *p, uint32_t i, bool ok, enum probe_fail cls, int err)
{
	struct pconn *c = &p->c[i];
	struct probe_bucket *b = &p->secs[c->sec], *all = &p->res->all;

	if (ok) {
		b->ok++;
		all->ok++;
		sample(&b->total, &all->total, (double)(clock_mono_ns() - c->start_ns) / 1e6);
	} else {
		b->failed[cls]++;
		all->failed[cls]++;
		if (cls == PROBE_OTHER && err > 0 && err < PROBE_ERRNO_MAX)
			p->res->other_errno[err]++;
	}
	b->pending--;
	all->pending--;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->phase = FREE;
	c->gen++;
	list_del(p, i);
	p->free_idx[p->nfree++] = i;
	p->open--;
}

static void conn_fail_errno(struct probe *p, uint32_t i, int err)
{
	enum probe_fail cls = probe_fail_of_errno(err, p->c[i].phase != CONNECTING);

	conn_end(p, i, false, cls, err);
}

static int conn_watch(struct probe *p, uint32_t i, int op, uint32_t events)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (uint64_t)p->c[i].gen << 32 | i,
	};

	return epoll_ctl(p->ep, op, p->c[i].fd, &ev) ? -errno : 0;
}

/* Send what is left of the request; then wait for the reply. */
static void conn_send(struct probe *p, uint32_t i)
{
	struct pconn *c = &p->c[i];
	ssize_t n;
	int err;

	while (c->sent < p->req_len) {
		n = send(c->fd, p->req + c->sent, p->req_len - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return; /* EPOLLOUT again */
			conn_fail_errno(p, i, errno);
			return;
		}
		c->sent += (uint32_t)n;
	}
	/* echo: nothing more to say; an echo server that echoes until EOF can end its side now */
	if (!p->cfg->http)
		shutdown(c->fd, SHUT_WR);
	c->phase = READING;
	err = conn_watch(p, i, EPOLL_CTL_MOD, EPOLLIN);
	if (err)
		conn_end(p, i, false, PROBE_OTHER, -err);
}

static void conn_read(struct probe *p, uint32_t i)
{
	struct pconn *c = &p->c[i];
	ssize_t n;
	int st;

	for (;;) {
		n = recv(c->fd, p->buf, sizeof(p->buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_fail_errno(p, i, errno);
			return;
		}
		if (n == 0)
			break;
		if (c->got < HEAD_MAX)
			memcpy(c->head + c->got, p->buf,
			       (size_t)n < HEAD_MAX - c->got ? (size_t)n : HEAD_MAX - c->got);
		c->got = c->got + (uint32_t)n < c->got ? UINT32_MAX : c->got + (uint32_t)n;
		if (!p->cfg->http && c->got >= p->req_len) {
			conn_end(p, i, true, 0, 0);
			return;
		}
	}
	/* the peer closed */
	if (!p->cfg->http) {
		conn_end(p, i, false, PROBE_SHORT, 0);
		return;
	}
	st = probe_http_status(c->head, c->got < HEAD_MAX ? c->got : HEAD_MAX);
	conn_end(p, i, st >= 200 && st < 400, PROBE_SHORT, 0);
}

static void conn_connected(struct probe *p, uint32_t i)
{
	struct pconn *c = &p->c[i];
	struct probe_bucket *b = &p->secs[c->sec];

	c->connect_ns = clock_mono_ns();
	sample(&b->connect, &p->res->all.connect, (double)(c->connect_ns - c->start_ns) / 1e6);
	c->phase = SENDING;
	conn_send(p, i);
}

static void conn_event(struct probe *p, uint64_t data, uint32_t events)
{
	uint32_t i = (uint32_t)data, gen = (uint32_t)(data >> 32);
	struct pconn *c;
	socklen_t len = sizeof(int);
	int err = 0;

	if (i >= p->limit)
		return;
	c = &p->c[i];
	if (c->phase == FREE || c->gen != gen)
		return;
	switch (c->phase) {
	case CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err) {
			conn_fail_errno(p, i, err);
			return;
		}
		if (events & (EPOLLOUT | EPOLLHUP))
			conn_connected(p, i);
		return;
	case SENDING:
		conn_send(p, i);
		return;
	default:
		conn_read(p, i);
		return;
	}
}

/* Connection k starts now (or is skipped: at the open bound, or too late to matter). */
static void conn_start(struct probe *p, uint64_t k, bool too_late)
{
	const struct probe_cfg *cfg = p->cfg;
	uint64_t sec = probe_second_of(k, cfg->rate);
	struct probe_bucket *b = &p->secs[sec < p->nsecs ? sec : p->nsecs - 1];
	struct pconn *c;
	uint32_t i;
	int fd, err, one = 1;

	if (!p->nfree || too_late) {
		b->skipped++;
		p->res->all.skipped++;
		p->res->skipped_late += too_late;
		return;
	}
	b->attempted++;
	b->pending++;
	p->res->all.attempted++;
	p->res->all.pending++;
	i = p->free_idx[--p->nfree];
	c = &p->c[i];
	memset(c->head, 0, sizeof(c->head));
	c->sec = (uint64_t)(b - p->secs);
	c->sent = c->got = 0;
	c->phase = CONNECTING;
	c->fd = -1;
	list_add_tail(p, i);
	p->open++;
	if (p->open > p->res->inflight_max)
		p->res->inflight_max = p->open;
	c->start_ns = clock_mono_ns();
	fd = socket(cfg->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_end(p, i, false, PROBE_OTHER, errno);
		return;
	}
	c->fd = fd;
	if (cfg->has_src) {
		/* the port is chosen at connect(), by the 4-tuple: bind alone would use one up per source */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&cfg->src, cfg->src_len)) {
			conn_end(p, i, false, PROBE_OTHER, errno);
			return;
		}
	}
	if (connect(fd, (const struct sockaddr *)&cfg->dst, cfg->dst_len) == 0) {
		err = conn_watch(p, i, EPOLL_CTL_ADD, EPOLLOUT);
		if (err) {
			conn_end(p, i, false, PROBE_OTHER, -err);
			return;
		}
		conn_connected(p, i);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail_errno(p, i, errno);
		return;
	}
	err = conn_watch(p, i, EPOLL_CTL_ADD, EPOLLOUT);
	if (err)
		conn_end(p, i, false, PROBE_OTHER, -err);
}

static uint64_t sched_ns(const struct probe *p, uint64_t k)
{
	return p->t0 + (uint64_t)((double)k * 1e9 / p->cfg->rate);
}

/*
 * The starts that are due at now, from k on; returns the next k. At most
 * START_BATCH at a time, so replies and timeouts are seen between them when
 * the client falls behind, and a start more than the timeout behind its
 * schedule is skipped: the client's CPU could not keep up, and a burst of
 * late starts would not be the steady load asked for.
 */
static uint64_t starts_due(struct probe *p, uint64_t k, uint64_t total, uint64_t now)
{
	uint64_t t, late;
	int n;

	for (n = 0; n < START_BATCH && k < total && (t = sched_ns(p, k)) <= now; n++, k++) {
		late = now - t;
		if ((double)late / 1e6 > p->res->late_max_ms)
			p->res->late_max_ms = (double)late / 1e6;
		conn_start(p, k, late > p->timeout_ns);
		now = clock_mono_ns();
	}
	return k;
}

static void expire(struct probe *p, uint64_t now)
{
	while (p->head != NONE && now >= p->c[p->head].start_ns + p->timeout_ns)
		conn_end(p, p->head, false, PROBE_TIMEOUT, 0);
}

/*
 * Hand over every second that is over and has no connection left open;
 * with final, all the rest that began (their open connections become unfinished).
 */
static void emit(struct probe *p, uint64_t now, bool final)
{
	struct probe_bucket *b;

	while (p->next_emit < p->nsecs) {
		b = &p->secs[p->next_emit];
		/* once every start is made, a second without open connections is complete */
		if (!final &&
		    ((!p->all_started && now < p->t0 + (p->next_emit + 1) * NSEC) || b->pending))
			return;
		if (final && p->t0 + p->next_emit * NSEC > now)
			return; /* a signal ended the run before this second began */
		if (final && b->pending) {
			b->unfinished += b->pending;
			b->pending = 0;
		}
		p->fn(p->ctx, p->next_emit, b);
		probe_bucket_free(b);
		p->next_emit++;
	}
}

/* Open files allow this many connections; the soft limit is raised to the hard one first. */
static uint32_t fd_limit(uint32_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur - FD_RESERVE >= want)
		return want;
	return rl.rlim_cur > 2 * FD_RESERVE ? (uint32_t)(rl.rlim_cur - FD_RESERVE) :
					      (uint32_t)FD_RESERVE;
}

static int probe_setup(struct probe *p)
{
	const struct probe_cfg *cfg = p->cfg;
	uint64_t total = probe_total_of(cfg->rate, cfg->duration);
	uint32_t i;

	p->limit = fd_limit(cfg->max_inflight);
	p->res->inflight_limit = p->limit;
	p->nsecs = total ? probe_second_of(total - 1, cfg->rate) + 1 : 1;
	p->secs = calloc(p->nsecs, sizeof(*p->secs));
	p->c = calloc(p->limit, sizeof(*p->c));
	p->free_idx = calloc(p->limit, sizeof(*p->free_idx));
	if (cfg->http) {
		p->req = malloc(256 + PROBE_HOST_MAX);
		if (p->req)
			p->req_len = (uint32_t)snprintf(p->req, 256 + PROBE_HOST_MAX,
							"GET / HTTP/1.1\r\nHost: %s\r\n"
							"User-Agent: shakeoff-probe\r\n"
							"Connection: close\r\n\r\n",
							cfg->host);
	} else {
		p->req = malloc(cfg->request);
		p->req_len = cfg->request;
		for (i = 0; p->req && i < cfg->request; i++)
			p->req[i] = (char)('a' + i % 26);
	}
	if (!p->secs || !p->c || !p->free_idx || !p->req)
		return -ENOMEM;
	for (i = 0; i < p->limit; i++) {
		p->c[i].fd = -1;
		p->free_idx[i] = p->limit - 1 - i;
	}
	p->nfree = p->limit;
	p->head = p->tail = NONE;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	return p->ep < 0 ? -errno : 0;
}

static void probe_teardown(struct probe *p)
{
	uint64_t s;

	for (s = p->next_emit; p->secs && s < p->nsecs; s++)
		probe_bucket_free(&p->secs[s]);
	free(p->secs);
	free(p->c);
	free(p->free_idx);
	free(p->req);
	if (p->ep >= 0)
		close(p->ep);
}

/* The connections still open when a signal ends the run. */
static void abandon(struct probe *p)
{
	struct pconn *c;

	while (p->head != NONE) {
		c = &p->c[p->head];
		p->res->all.unfinished++;
		p->res->all.pending--;
		close(c->fd);
		c->phase = FREE;
		list_del(p, p->head);
		p->open--;
	}
}

int probe_run(const struct probe_cfg *cfg, const volatile sig_atomic_t *stop, probe_second_fn fn,
	      void *ctx, struct probe_result *res)
{
	struct probe *p = calloc(1, sizeof(*p));
	uint64_t total = probe_total_of(cfg->rate, cfg->duration), k = 0, now, wake, end;
	struct epoll_event evs[EVENTS];
	struct timespec ts;
	int n, j, err;

	memset(res, 0, sizeof(*res));
	if (!p)
		return -ENOMEM;
	p->cfg = cfg;
	p->res = res;
	p->fn = fn;
	p->ctx = ctx;
	p->ep = -1;
	p->timeout_ns = (uint64_t)(cfg->timeout * 1e9);
	err = probe_setup(p);
	if (err) {
		fprintf(stderr, "shakeoff probe: Failed to set up: %s\n", strerror(-err));
		probe_teardown(p);
		free(p);
		return err;
	}
	p->t0 = clock_mono_ns();
	end = p->t0 + (uint64_t)(cfg->duration * 1e9);
	for (;;) {
		now = clock_mono_ns();
		if (*stop) {
			res->interrupted = true;
			break;
		}
		k = starts_due(p, k, total, now);
		p->all_started = k == total;
		now = clock_mono_ns();
		expire(p, now);
		emit(p, now, false);
		if (k == total && !p->open && p->next_emit == p->nsecs)
			break;
		/* sleep until the next start, deadline or second boundary */
		wake = k < total ? sched_ns(p, k) : UINT64_MAX;
		if (p->head != NONE && p->c[p->head].start_ns + p->timeout_ns < wake)
			wake = p->c[p->head].start_ns + p->timeout_ns;
		if (p->next_emit < p->nsecs && p->t0 + (p->next_emit + 1) * NSEC < wake)
			wake = p->t0 + (p->next_emit + 1) * NSEC;
		if (wake < now)
			wake = now;
		/* at most 100 ms, so a signal is seen soon */
		if (wake - now > 100000000ULL)
			wake = now + 100000000ULL;
		ts.tv_sec = (time_t)((wake - now) / NSEC);
		ts.tv_nsec = (long)((wake - now) % NSEC);
		n = epoll_pwait2(p->ep, evs, EVENTS, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			fprintf(stderr, "shakeoff probe: Failed to wait for events: %s\n",
				strerror(errno));
			break;
		}
		for (j = 0; j < n; j++)
			conn_event(p, evs[j].data.u64, evs[j].events);
	}
	now = clock_mono_ns();
	res->sched_s = (double)((now < end ? now : end) - p->t0) / 1e9;
	res->elapsed_s = (double)(now - p->t0) / 1e9;
	abandon(p);
	emit(p, now, true);
	probe_teardown(p);
	free(p);
	return err;
}
