// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics thread: one poll() loop over the listening socket, a stop
 * pipe and a few connections. Each connection gets METRICS_DEADLINE_MS for
 * its whole exchange (a slow or silent client is cut off, never waited
 * for), one request, one answer, then close. At most METRICS_CLIENTS at a
 * time: a new one pushes out the oldest still silent (accept_one()).
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "metrics/http.h"
#include "metrics/metrics.h"

#ifndef SHAKEOFF_VERSION /* the Makefile sets it; a bare compile (clang-tidy) does not */
#define SHAKEOFF_VERSION "unknown"
#endif

#define METRICS_CLIENTS 8
#define METRICS_DEADLINE_MS 5000
#define METRICS_DRAIN_MS 1000

struct client {
	int fd; /* -1: slot free */
	__u64 deadline_ms;
	char req[HTTP_MAX_REQUEST];
	size_t len;
	struct mbuf out; /* the answer, once there is one */
	size_t sent;
	bool answering;
	bool draining; /* answer sent: reading what the client still sends until it closes */
};

struct metrics {
	const struct metrics_source *src;
	pthread_t thread;
	bool running;
	int lfd;
	int stop[2]; /* pipe: metrics_stop() writes a byte */
	double start_time; /* wall clock, seconds since the epoch */
	struct mbuf body; /* the latest /metrics text */
	struct client c[METRICS_CLIENTS];
};

static __u64 now_ms(void)
{
	return (__u64)(clock_mono_sec() * 1000.0);
}

int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *colon, *port;
	unsigned long p;
	char *end;
	size_t n;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - spec - 1);
		spec++;
		port = close + 2;
		hints.ai_family = AF_INET6;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return -EINVAL;
		n = (size_t)(colon - spec);
		port = colon + 1;
		hints.ai_family = AF_INET;
	}
	if (!n || n >= sizeof(host) || *port < '1' || *port > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = 0;
	if (getaddrinfo(host, port, &hints, &res))
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->sent = 0;
	c->answering = false;
	c->draining = false;
	mbuf_reset(&c->out);
}

static void collect_build_info(struct expo *e, void *ctx, const void *arg)
{
	const struct metrics *m = ctx;

	(void)arg;
	expo_u64(e, 1, "version", SHAKEOFF_VERSION, "command", m->src->command, NULL);
}

static void collect_start_time(struct expo *e, void *ctx, const void *arg)
{
	const struct metrics *m = ctx;

	(void)arg;
	expo_double(e, m->start_time, NULL);
}

/* What every command's /metrics starts with. */
static const struct metric_family process_families[] = {
	{ "shakeoff_build_info", METRIC_GAUGE,
	  "Always 1: the version and the command (guard, serve) serving these metrics", NULL,
	  collect_build_info },
	{ "shakeoff_start_time_seconds", METRIC_GAUGE,
	  "When the metrics endpoint started, seconds since the Unix epoch", NULL,
	  collect_start_time },
};

/* A short text answer. */
static void answer_text(struct client *c, int status, const char *extra, const char *text,
			bool head)
{
	http_answer(&c->out, status, "text/plain; charset=utf-8", extra, text, strlen(text), head);
}

/* The answer to a parsed request (status HTTP_OK) or to a refused one. */
static void client_answer(struct metrics *m, struct client *c, int status, const struct http_req *r)
{
	const struct metrics_source *s = m->src;

	c->answering = true;
	if (status == 405) {
		answer_text(c, 405, "Allow: GET, HEAD\r\n", "GET or HEAD only\n", false);
		return;
	}
	if (status != HTTP_OK) {
		answer_text(c, status, NULL, http_reason(status), false);
		return;
	}
	if (!strcmp(r->path, "/") || !strcmp(r->path, "/index.html")) {
		/* the page is a NUL-terminated array: the NUL is not sent */
		http_answer(&c->out, 200, "text/html; charset=utf-8", NULL, metrics_page,
			    metrics_page_len - 1, r->head);
		return;
	}
	if (strcmp(r->path, "/metrics")) {
		answer_text(c, 404, NULL, "not found: try / or /metrics\n", r->head);
		return;
	}
	mbuf_reset(&m->body);
	if (s->snapshot && s->snapshot(s->ctx)) {
		answer_text(c, 503, NULL, "counters unreadable\n", r->head);
		return;
	}
	expo_render(&m->body, process_families,
		    sizeof(process_families) / sizeof(process_families[0]), m, s->iface);
	expo_render(&m->body, s->families, s->nfamilies, s->ctx, s->iface);
	if (m->body.oom) {
		answer_text(c, 500, NULL, "out of memory\n", r->head);
		return;
	}
	http_answer(&c->out, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, m->body.p,
		    m->body.len, r->head);
}

static void client_read(struct metrics *m, struct client *c)
{
	struct http_req r;
	ssize_t n;
	int st;

	n = recv(c->fd, c->req + c->len, sizeof(c->req) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	st = http_parse(c->req, c->len, &r);
	if (st != HTTP_MORE)
		client_answer(m, c, st, &r);
}

static void client_write(struct client *c)
{
	ssize_t n;

	if (c->out.oom) {
		client_close(c);
		return;
	}
	/* MSG_NOSIGNAL: a client gone is no SIGPIPE (the controller exits on one) */
	n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent >= c->out.len) {
		/*
		 * Closing with unread bytes would send a RST that can destroy
		 * the answer in flight (a 431 to a client still sending): end
		 * our side, then read until the client closes or a second passes.
		 */
		shutdown(c->fd, SHUT_WR);
		c->answering = false;
		c->draining = true;
		if (c->deadline_ms > now_ms() + METRICS_DRAIN_MS)
			c->deadline_ms = now_ms() + METRICS_DRAIN_MS;
	}
}

static void client_drain(struct client *c)
{
	ssize_t n = recv(c->fd, c->req, sizeof(c->req), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		client_close(c);
}

/*
 * A new connection takes a free slot, or the slot of the client that has
 * waited longest without sending a whole request: silent clients cannot
 * keep a scraper out, only make each other go sooner.
 */
static void accept_one(struct metrics *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *victim = NULL;
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < METRICS_CLIENTS && !victim; i++)
		if (m->c[i].fd < 0)
			victim = &m->c[i];
	for (i = 0; i < METRICS_CLIENTS && !victim; i++)
		if (!m->c[i].answering && !m->c[i].draining &&
		    (!victim || m->c[i].deadline_ms < victim->deadline_ms))
			victim = &m->c[i];
	if (!victim) {
		close(fd); /* every slot is sending an answer: the new one retries */
		return;
	}
	if (victim->fd >= 0)
		client_close(victim);
	victim->fd = fd;
	victim->deadline_ms = now_ms() + METRICS_DEADLINE_MS;
}

static void *metrics_thread(void *arg)
{
	struct metrics *m = arg;
	struct pollfd pfd[2 + METRICS_CLIENTS];
	int slot[2 + METRICS_CLIENTS];

	for (;;) {
		__u64 now = now_ms(), next = now + 1000;
		int i, n = 0;

		pfd[n++] = (struct pollfd){ .fd = m->stop[0], .events = POLLIN };
		for (i = 0; i < METRICS_CLIENTS; i++) {
			struct client *c = &m->c[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {
				client_close(c);
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			slot[n] = i;
			pfd[n++] = (struct pollfd){ .fd = c->fd,
						    .events = c->answering ? POLLOUT : POLLIN };
		}
		slot[n] = -1;
		pfd[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, (int)(next - now)) < 0 && errno != EINTR) {
			pr_warn("Failed to poll the metrics sockets: %s; metrics stop\n",
				strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		for (i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (slot[i] < 0)
				accept_one(m);
			else if (m->c[slot[i]].answering)
				client_write(&m->c[slot[i]]);
			else if (m->c[slot[i]].draining)
				client_drain(&m->c[slot[i]]);
			else
				client_read(m, &m->c[slot[i]]);
		}
		for (i = 0; i < METRICS_CLIENTS; i++)
			if (m->c[i].fd >= 0 && m->c[i].answering)
				client_write(&m->c[i]); /* most answers go out at once */
	}
	return NULL;
}

/* The listening socket into *fdp: 0, or an exit code after a message. */
static int metrics_listen(const char *spec, int *fdp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (metrics_addr_parse(spec, &ss, &len)) {
		pr_warn("--metrics takes IPv4:PORT or [IPv6]:PORT, not '%s'\n", spec);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_warn("Failed to create the metrics socket: %s\n", strerror(errno));
		return 1;
	}
	/* a restart binds again at once, despite the old run's TIME_WAIT connections */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::]:PORT means IPv6 only: bound only where told */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		pr_warn("Failed to bind --metrics %s: %s\n", spec, strerror(errno));
		close(fd);
		return 1;
	}
	*fdp = fd;
	return 0;
}

int metrics_start(struct metrics **mp, const char *spec, const struct metrics_source *src)
{
	struct metrics *m = calloc(1, sizeof(*m));
	sigset_t all, old;
	int i, err;

	*mp = NULL;
	if (!m)
		return 1;
	m->src = src;
	m->stop[0] = m->stop[1] = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	m->lfd = -1;
	err = metrics_listen(spec, &m->lfd);
	if (err) {
		free(m);
		return err;
	}
	if (pipe2(m->stop, O_CLOEXEC)) {
		pr_warn("Failed to create the metrics stop pipe: %s\n", strerror(errno));
		metrics_stop(m);
		return 1;
	}
	m->start_time = (double)time(NULL);
	/* signals stay with the controller's thread: it owns SIGINT/SIGTERM */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&m->thread, NULL, metrics_thread, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pr_warn("Failed to start the metrics thread: %s\n", strerror(err));
		metrics_stop(m);
		return 1;
	}
	m->running = true;
	*mp = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	int i;

	if (!m)
		return;
	if (m->running) {
		if (write(m->stop[1], "x", 1) != 1)
			pr_warn("Failed to stop the metrics thread: %s\n", strerror(errno));
		pthread_join(m->thread, NULL);
	}
	for (i = 0; i < METRICS_CLIENTS; i++) {
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
		mbuf_free(&m->c[i].out);
	}
	if (m->stop[0] >= 0)
		close(m->stop[0]);
	if (m->stop[1] >= 0)
		close(m->stop[1]);
	if (m->lfd >= 0)
		close(m->lfd);
	mbuf_free(&m->body);
	free(m);
}
