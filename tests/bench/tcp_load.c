// SPDX-License-Identifier: GPL-2.0
/*
 * A TCP load client on plain kernel sockets, one thread, for
 * scripts/bench_serve.sh: the same client against shakeoff serve and against
 * the kernel (tests/bench/epoll_echo.c).
 *
 *   tcp_load rate    --dst IP --port N [--seconds S] [--size B] [--parallel K]
 *       connections per second: connect, send B (64) bytes, read the echo,
 *       close (the client closes first); for S (5) seconds. One connection
 *       at a time (blocking calls), or with --parallel K, K in flight from
 *       this one thread (non-blocking, epoll). Also the p50/p99/max of a
 *       whole connection and the p50/p99 of its connect(), of its echo
 *       (send until the echo is read) and of its close()
 *   tcp_load bulk    --dst IP --port N [--seconds S] [--mb M] [--app echo|discard]
 *       one flow: send for S seconds or M MiB, whichever ends first, then
 *       shutdown(SHUT_WR) and wait for the server's FIN. echo: every byte must
 *       come back in order (checked); discard: the server's FIN after ours
 *       says it took everything. Rate = payload / (connect .. FIN)
 *   tcp_load latency --dst IP --port N [--seconds S] [--size B]
 *       echo round trip over one connection (TCP_NODELAY): write B (32)
 *       bytes, read them back, repeat for S seconds; min/p50/p99/p99.9
 *   tcp_load hold    --dst IP --port N --conns K [--seconds S]
 *       open K connections, one B-byte echo on each, print "held K", hold
 *       them idle until SIGTERM/SIGINT (or S seconds, default 120), close all
 *   tcp_load sizes
 *       the serve controller's TCP engine: sizeof(struct tcb), buffer config
 *
 * --src IP[,IP...] binds each connection to the next of these local addresses
 * (the port is still connect()'s choice): each address has its own ephemeral
 * ports, which a fast client with tcp_tw_reuse otherwise runs out of.
 * Every mode prints one JSON line on stdout (after "held K" for hold).
 * Socket operations time out after --timeout-ms (1000): a connection that
 * stalls counts as an error and the run goes on. Exit status 1 when a mode
 * could not run at all (or bulk data came back wrong).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* TCP_NODELAY; netinet/tcp.h clashes with the engine's enum tcp_state */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "tcp/tcp.h" /* sizes mode: the serve controller's engine */

#define TL_MAX_SAMPLES (4u << 20)

#define TL_MAX_SRC 16

struct tl_opts {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	struct sockaddr_storage src[TL_MAX_SRC]; /* --src: local addresses, round robin */
	unsigned int nsrc;
	double seconds;
	unsigned long size;
	unsigned long mb;
	unsigned long conns;
	unsigned long parallel;
	int timeout_ms;
	bool discard;
};

static volatile sig_atomic_t tl_stop;

static void tl_on_signal(int sig)
{
	(void)sig;
	tl_stop = 1;
}

static double tl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t tl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ip:port into ss; the address length, or 0 if ip is no address. */
static socklen_t tl_parse_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	return 0;
}

/* --src a,b,c: local addresses of the destination's family. 0 or -1. */
static int tl_parse_src(struct tl_opts *o, char *list)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsrc == TL_MAX_SRC || !tl_parse_addr(&o->src[o->nsrc], tok, 0) ||
		    o->src[o->nsrc].ss_family != o->dst.ss_family)
			return -1;
		o->nsrc++;
	}
	return 0;
}

/*
 * The next --src address, bound without a port (IP_BIND_ADDRESS_NO_PORT):
 * connect() still picks the port, from each address's own port space, so
 * more addresses lift the client's ephemeral-port ceiling.
 */
static int tl_bind_src(const struct tl_opts *o, int fd)
{
	static unsigned int next;
	const struct sockaddr_storage *a;
	int one = 1;

	if (!o->nsrc)
		return 0;
	a = &o->src[next++ % o->nsrc];
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)a,
		    a->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					      sizeof(struct sockaddr_in6));
}

/* A blocking socket connected to the server, timeouts set; -1 on failure. */
static int tl_connect(const struct tl_opts *o)
{
	struct timeval tv = { .tv_sec = o->timeout_ms / 1000,
			      .tv_usec = (o->timeout_ms % 1000) * 1000 };
	int fd = socket(o->dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tl_bind_src(o, fd) || connect(fd, (const struct sockaddr *)&o->dst, o->dst_len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR && !tl_stop)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int tl_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR && !tl_stop)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* One echo exchange of len bytes: 0, or -1 if it failed or came back different. */
static int tl_echo_once(int fd, const unsigned char *msg, unsigned char *back, size_t len)
{
	if (tl_write_all(fd, msg, len) || tl_read_all(fd, back, len))
		return -1;
	return memcmp(msg, back, len) ? -1 : 0;
}

static int tl_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double tl_pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p / 100.0 * (n - 1) + 0.5);
	return v[i < n ? i : n - 1] / 1000.0;
}

/* ---- rate --------------------------------------------------------------- */

struct tl_lat {
	uint64_t *v;
	size_t n;
};

static void tl_lat_add(struct tl_lat *l, uint64_t ns)
{
	if (l->v && l->n < TL_MAX_SAMPLES)
		l->v[l->n++] = ns;
}

static void tl_lat_sort(struct tl_lat *l)
{
	if (l->v)
		qsort(l->v, l->n, sizeof(*l->v), tl_cmp_u64);
}

/* Sequential: one connection at a time, blocking calls; connect and echo timed apart. */
static int tl_rate_seq(const struct tl_opts *o, unsigned long *ok, unsigned long *err_connect,
		       unsigned long *err_echo, struct tl_lat *conn, struct tl_lat *lconn,
		       struct tl_lat *lecho, struct tl_lat *lclose)
{
	unsigned char msg[4096], back[4096];
	double end = tl_now() + o->seconds;
	size_t i;

	for (i = 0; i < o->size; i++)
		msg[i] = 'a' + i % 26;
	while (tl_now() < end && !tl_stop) {
		uint64_t s = tl_now_ns(), c, e;
		int fd = tl_connect(o);

		if (fd < 0) {
			(*err_connect)++;
			continue;
		}
		c = tl_now_ns();
		if (tl_echo_once(fd, msg, back, o->size)) {
			(*err_echo)++;
			close(fd);
			continue;
		}
		e = tl_now_ns();
		close(fd);
		(*ok)++;
		tl_lat_add(lconn, c - s);
		tl_lat_add(lecho, e - c);
		tl_lat_add(lclose, tl_now_ns() - e);
		tl_lat_add(conn, tl_now_ns() - s);
	}
	return 0;
}

/*
 * One thread, K connections in flight (non-blocking, epoll): each slot
 * connects, sends, reads the echo, closes and starts over. A slot stuck for
 * longer than the timeout is closed and counted as an error.
 */
struct tl_slot {
	int fd;
	bool sent;
	size_t got;
	uint64_t start, connected;
};

static int tl_slot_start(const struct tl_opts *o, int ep, struct tl_slot *sl,
			 unsigned long *err_connect)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = sl };
	int one = 1;

	for (int tries = 0; tries < 8; tries++) {
		int fd = socket(o->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			break;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		sl->start = tl_now_ns();
		if (tl_bind_src(o, fd) ||
		    (connect(fd, (const struct sockaddr *)&o->dst, o->dst_len) &&
		     errno != EINPROGRESS)) {
			close(fd);
			(*err_connect)++;
			continue;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			break;
		}
		sl->fd = fd;
		sl->sent = false;
		sl->got = 0;
		return 0;
	}
	sl->fd = -1;
	return -1;
}

static int tl_rate_par(const struct tl_opts *o, unsigned long *ok, unsigned long *err_connect,
		       unsigned long *err_echo, struct tl_lat *conn, struct tl_lat *lconn,
		       struct tl_lat *lecho, struct tl_lat *lclose)
{
	unsigned char msg[4096], back[4096];
	struct tl_slot *slots = calloc(o->parallel, sizeof(*slots));
	struct epoll_event evs[256];
	uint64_t timeout = (uint64_t)o->timeout_ms * 1000000ULL, last_scan;
	double end = tl_now() + o->seconds;
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i;
	unsigned long k, active;

	if (!slots || ep < 0)
		return 1;
	for (k = 0; k < o->size; k++)
		msg[k] = 'a' + k % 26;
	for (k = 0, active = 0; k < o->parallel; k++) {
		slots[k].fd = -1;
		if (!tl_slot_start(o, ep, &slots[k], err_connect))
			active++;
	}
	last_scan = tl_now_ns();
	/* after the deadline no slot starts again; the ones in flight finish (uncounted) */
	while (active && !tl_stop) {
		bool over = tl_now() >= end;
		uint64_t now;

		if (over && tl_now() >= end + o->timeout_ms / 1000.0)
			break;

		n = epoll_wait(ep, evs, 256, 50);
		if (n < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++) {
			struct tl_slot *sl = evs[i].data.ptr;
			bool fail = false, done = false;

			if (sl->fd < 0)
				continue;
			if (!sl->sent) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(sl->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || (evs[i].events & (EPOLLERR | EPOLLHUP))) {
					(*err_connect)++;
					close(sl->fd);
					sl->fd = -1;
					if (over || tl_slot_start(o, ep, sl, err_connect))
						active--;
					continue;
				}
				sl->connected = tl_now_ns();
				/* 64 bytes go out whole into an empty send buffer */
				if (send(sl->fd, msg, o->size, MSG_NOSIGNAL) != (ssize_t)o->size) {
					fail = true;
				} else {
					struct epoll_event ev = { .events = EPOLLIN,
								  .data.ptr = sl };

					sl->sent = true;
					epoll_ctl(ep, EPOLL_CTL_MOD, sl->fd, &ev);
				}
			} else {
				ssize_t r = recv(sl->fd, back + sl->got, o->size - sl->got, 0);

				if (r > 0) {
					if (memcmp(back + sl->got, msg + sl->got, r))
						fail = true;
					sl->got += r;
					done = sl->got == o->size;
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					fail = true;
				}
			}
			if (!fail && !done)
				continue;
			now = tl_now_ns();
			close(sl->fd);
			sl->fd = -1;
			if (over) {
				active--;
				continue;
			}
			if (fail) {
				(*err_echo)++;
			} else {
				uint64_t closed = tl_now_ns();

				(*ok)++;
				tl_lat_add(conn, closed - sl->start);
				tl_lat_add(lconn, sl->connected - sl->start);
				tl_lat_add(lecho, now - sl->connected);
				tl_lat_add(lclose, closed - now);
			}
			if (tl_slot_start(o, ep, sl, err_connect))
				active--;
		}
		now = tl_now_ns();
		if (now - last_scan > 100000000ULL) {
			last_scan = now;
			for (k = 0; k < o->parallel && !over; k++) {
				if (slots[k].fd < 0 || now - slots[k].start < timeout)
					continue;
				close(slots[k].fd);
				if (slots[k].sent)
					(*err_echo)++;
				else
					(*err_connect)++;
				slots[k].fd = -1;
				if (tl_slot_start(o, ep, &slots[k], err_connect))
					active--;
			}
		}
	}
	for (k = 0; k < o->parallel; k++)
		if (slots[k].fd >= 0)
			close(slots[k].fd);
	close(ep);
	free(slots);
	return 0;
}

static int tl_rate(const struct tl_opts *o)
{
	struct tl_lat conn = { malloc(TL_MAX_SAMPLES * sizeof(uint64_t)), 0 };
	struct tl_lat lconn = { malloc(TL_MAX_SAMPLES * sizeof(uint64_t)), 0 };
	struct tl_lat lecho = { malloc(TL_MAX_SAMPLES * sizeof(uint64_t)), 0 };
	struct tl_lat lclose = { malloc(TL_MAX_SAMPLES * sizeof(uint64_t)), 0 };
	unsigned long ok = 0, err_connect = 0, err_echo = 0;
	double t0, t;
	int err;

	if (o->size > 4096 || !o->size)
		return 1;
	t0 = tl_now();
	if (o->parallel > 1)
		err = tl_rate_par(o, &ok, &err_connect, &err_echo, &conn, &lconn, &lecho, &lclose);
	else
		err = tl_rate_seq(o, &ok, &err_connect, &err_echo, &conn, &lconn, &lecho, &lclose);
	t = tl_now() - t0;
	if (o->parallel > 1 && t > o->seconds)
		t = o->seconds; /* what finished in the drain after the deadline is not counted */
	if (err) {
		fprintf(stderr, "tcp_load: rate: %s\n", strerror(errno));
		return 1;
	}
	tl_lat_sort(&conn);
	tl_lat_sort(&lconn);
	tl_lat_sort(&lecho);
	tl_lat_sort(&lclose);
	printf("{\"mode\":\"rate\",\"parallel\":%lu,\"conns\":%lu,\"seconds\":%.3f,\"rate\":%.0f,"
	       "\"err_connect\":%lu,\"err_echo\":%lu,\"conn_p50_us\":%.1f,\"conn_p99_us\":%.1f,"
	       "\"conn_max_us\":%.1f,\"connect_p50_us\":%.1f,\"connect_p99_us\":%.1f,"
	       "\"echo_p50_us\":%.1f,\"echo_p99_us\":%.1f,\"close_p50_us\":%.1f,"
	       "\"close_p99_us\":%.1f}\n",
	       o->parallel > 1 ? o->parallel : 1, ok, t, ok / t, err_connect, err_echo,
	       tl_pct_us(conn.v, conn.n, 50), tl_pct_us(conn.v, conn.n, 99),
	       tl_pct_us(conn.v, conn.n, 100), tl_pct_us(lconn.v, lconn.n, 50),
	       tl_pct_us(lconn.v, lconn.n, 99), tl_pct_us(lecho.v, lecho.n, 50),
	       tl_pct_us(lecho.v, lecho.n, 99), tl_pct_us(lclose.v, lclose.n, 50),
	       tl_pct_us(lclose.v, lclose.n, 99));
	free(conn.v);
	free(lconn.v);
	free(lecho.v);
	free(lclose.v);
	return 0;
}

/* ---- bulk --------------------------------------------------------------- */

/*
 * The stream both ways: byte at offset off is tl_pattern[off % TL_PAT_PERIOD],
 * pseudo-random with a prime period, so loss, duplication or reordering of
 * any segment shows; sent straight from the table, checked with memcmp().
 */
#define TL_PAT_PERIOD 65521u
#define TL_CHUNK (256u * 1024)
static unsigned char tl_pattern[TL_PAT_PERIOD + TL_CHUNK];

static void tl_pattern_init(void)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < TL_PAT_PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		tl_pattern[i] = (unsigned char)x;
	}
	for (; i < sizeof(tl_pattern); i++)
		tl_pattern[i] = tl_pattern[i - TL_PAT_PERIOD];
}

static int tl_bulk(const struct tl_opts *o)
{
	static unsigned char rbuf[TL_CHUNK];
	uint64_t limit = o->mb ? o->mb << 20 : UINT64_MAX, sent = 0, rcvd = 0;
	bool shut = false, eof = false, bad = false, stalled = false;
	double t0 = tl_now(), t, send_end = t0 + o->seconds, last_progress;
	struct pollfd pfd;
	int fd;

	tl_pattern_init();
	fd = tl_connect(o);
	if (fd < 0) {
		fprintf(stderr, "tcp_load: connect: %s\n", strerror(errno));
		return 1;
	}
	last_progress = t0;
	pfd.fd = fd;
	while (!eof && !tl_stop) {
		t = tl_now();
		if (!shut && (sent >= limit || t >= send_end)) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (t - last_progress > 5.0) { /* nothing moved for 5 s: give up */
			stalled = true;
			break;
		}
		pfd.events = POLLIN | (shut ? 0 : POLLOUT);
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (!shut && (pfd.revents & POLLOUT)) {
			size_t want = TL_CHUNK;
			ssize_t n;

			if (limit - sent < want)
				want = limit - sent;
			n = send(fd, tl_pattern + sent % TL_PAT_PERIOD, want,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				sent += n;
				last_progress = tl_now();
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				break;
			}
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);

			if (n == 0) {
				eof = true;
			} else if (n > 0) {
				if (o->discard || rcvd + n > sent ||
				    memcmp(rbuf, tl_pattern + rcvd % TL_PAT_PERIOD, n))
					bad = true;
				rcvd += n;
				last_progress = tl_now();
			} else if (errno != EAGAIN && errno != EINTR) {
				break;
			}
		}
	}
	t = tl_now() - t0;
	close(fd);
	if (!o->discard && rcvd != sent)
		bad = true;
	printf("{\"mode\":\"bulk\",\"app\":\"%s\",\"sent\":%llu,\"received\":%llu,\"seconds\":%.3f,"
	       "\"mbit_s\":%.1f,\"complete\":%s,\"intact\":%s}\n",
	       o->discard ? "discard" : "echo", (unsigned long long)sent, (unsigned long long)rcvd,
	       t, sent * 8 / t / 1e6, eof && !stalled ? "true" : "false", bad ? "false" : "true");
	return bad || !eof ? 1 : 0;
}

/* ---- latency ------------------------------------------------------------ */

static int tl_latency(const struct tl_opts *o)
{
	unsigned char msg[4096], back[4096];
	uint64_t *lat = malloc(TL_MAX_SAMPLES * sizeof(*lat));
	unsigned long errors = 0;
	size_t n = 0, i;
	double end;
	int fd;

	if (!lat || o->size > sizeof(msg) || !o->size)
		return 1;
	fd = tl_connect(o);
	if (fd < 0) {
		fprintf(stderr, "tcp_load: connect: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < o->size; i++)
		msg[i] = 'A' + i % 26;
	/* a few round trips first: out of slow start and delayed-ACK modes */
	for (i = 0; i < 100; i++)
		if (tl_echo_once(fd, msg, back, o->size))
			errors++;
	end = tl_now() + o->seconds;
	while (n < TL_MAX_SAMPLES && !tl_stop && !errors) {
		uint64_t s = tl_now_ns();

		if (tl_echo_once(fd, msg, back, o->size)) {
			errors++;
			break;
		}
		lat[n++] = tl_now_ns() - s;
		if (!(n & 63) && tl_now() >= end)
			break;
	}
	close(fd);
	qsort(lat, n, sizeof(*lat), tl_cmp_u64);
	printf("{\"mode\":\"latency\",\"samples\":%zu,\"errors\":%lu,\"min_us\":%.1f,"
	       "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
	       n, errors, tl_pct_us(lat, n, 0), tl_pct_us(lat, n, 50), tl_pct_us(lat, n, 99),
	       tl_pct_us(lat, n, 99.9), tl_pct_us(lat, n, 100));
	free(lat);
	return errors ? 1 : 0;
}

/* ---- hold --------------------------------------------------------------- */

static int tl_hold(const struct tl_opts *o)
{
	unsigned char msg[4096], back[4096];
	int *fds = calloc(o->conns, sizeof(int));
	unsigned long held = 0, failed = 0, i;
	struct rlimit rl;
	double end;

	if (!fds || o->size > sizeof(msg) || !o->size)
		return 1;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(msg, 'h', o->size);
	for (i = 0; i < o->conns && !tl_stop; i++) {
		int fd = tl_connect(o);

		if (fd < 0 || tl_echo_once(fd, msg, back, o->size)) {
			if (fd >= 0)
				close(fd);
			failed++;
			continue;
		}
		fds[held++] = fd;
	}
	printf("held %lu\n", held);
	fflush(stdout);
	end = tl_now() + o->seconds;
	while (!tl_stop && tl_now() < end)
		usleep(100000);
	for (i = 0; i < held; i++)
		close(fds[i]);
	printf("{\"mode\":\"hold\",\"held\":%lu,\"failed\":%lu}\n", held, failed);
	free(fds);
	return held ? 0 : 1;
}

/* ---- sizes -------------------------------------------------------------- */

static int tl_sizes(void)
{
	struct tcp_cfg cfg;

	tcp_cfg_default(&cfg);
	printf("{\"mode\":\"sizes\",\"tcb\":%zu,\"tcp_stack\":%zu,\"snd_buf\":%u,\"rcv_buf\":%u,"
	       "\"timer_slots\":5,\"timer_slot\":%zu}\n",
	       sizeof(struct tcb), sizeof(struct tcp_stack), cfg.snd_buf, cfg.rcv_buf,
	       sizeof(struct tmr *));
	return 0;
}

static void tl_usage(FILE *f)
{
	fprintf(f, "Usage: tcp_load rate|bulk|latency|hold --dst IP --port N [--src IP[,IP...]]\n"
		   "                [--seconds S]"
		   " [--size B] [--mb M] [--app echo|discard] [--conns K]\n"
		   "                [--parallel K] [--timeout-ms MS]\n"
		   "       tcp_load sizes\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "dst", required_argument, NULL, 'd' },
						  { "src", required_argument, NULL, 'S' },
						  { "port", required_argument, NULL, 'p' },
						  { "seconds", required_argument, NULL, 's' },
						  { "size", required_argument, NULL, 'b' },
						  { "mb", required_argument, NULL, 'm' },
						  { "app", required_argument, NULL, 'a' },
						  { "conns", required_argument, NULL, 'c' },
						  { "parallel", required_argument, NULL, 'P' },
						  { "timeout-ms", required_argument, NULL, 't' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct tl_opts o = { .seconds = 5, .timeout_ms = 1000, .conns = 1000 };
	struct sigaction sa = { .sa_handler = tl_on_signal };
	const char *mode, *dst = NULL;
	char *src = NULL;
	int port = 0, c;
	bool have_seconds = false;

	if (argc < 2) {
		tl_usage(stderr);
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dst = optarg;
			break;
		case 'S':
			src = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			o.seconds = atof(optarg);
			have_seconds = true;
			break;
		case 'b':
			o.size = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o.mb = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			o.discard = !strcmp(optarg, "discard");
			break;
		case 'c':
			o.conns = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			o.parallel = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			break;
		case 'h':
			tl_usage(stdout);
			return 0;
		default:
			tl_usage(stderr);
			return 2;
		}
	}
	if (!strcmp(mode, "sizes"))
		return tl_sizes();
	if (!dst || port <= 0 || port > 65535 || !(o.dst_len = tl_parse_addr(&o.dst, dst, port)) ||
	    (src && tl_parse_src(&o, src)) || o.seconds <= 0 || o.timeout_ms <= 0) {
		tl_usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "rate")) {
		if (!o.size)
			o.size = 64;
		return tl_rate(&o);
	}
	if (!strcmp(mode, "bulk"))
		return tl_bulk(&o);
	if (!strcmp(mode, "latency")) {
		if (!o.size)
			o.size = 32;
		return tl_latency(&o);
	}
	if (!strcmp(mode, "hold")) {
		if (!have_seconds)
			o.seconds = 120;
		if (!o.size)
			o.size = 64;
		return tl_hold(&o);
	}
	tl_usage(stderr);
	return 2;
}
