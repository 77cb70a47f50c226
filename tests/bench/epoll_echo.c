// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel reference for scripts/bench_serve.sh: a single-threaded Linux
 * epoll TCP server, echo or discard, the same application shakeoff serve's
 * --app runs, on kernel sockets.
 *
 *   epoll_echo [--port N] [--app echo|discard] [--backlog N]
 *
 * Listens on [::]:N (IPv4 and IPv6), prints "listening on port N" when ready,
 * stops on SIGINT/SIGTERM. Level-triggered epoll; every readable connection
 * is read into one shared 64 KiB buffer and written straight back; only what
 * the socket would not take is kept per connection (and the connection is not
 * read again until it went out), so an idle connection costs this process
 * nothing and all its memory is the kernel's. The peer's FIN: close() once
 * nothing is pending, as serve's echo app closes its side after the peer's.
 * On exit one line of counters (connections accepted, bytes in/out).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define EE_BUF (64 * 1024)
#define EE_EVENTS 256

struct ee_conn {
	int fd;
	bool eof; /* the peer sent FIN */
	size_t off, len; /* pending echo bytes in buf */
	unsigned char *buf; /* allocated only when a write came up short */
};

static volatile sig_atomic_t ee_exiting;
static unsigned char ee_rbuf[EE_BUF];
static unsigned long long ee_accepted, ee_bytes_in, ee_bytes_out;

static void ee_on_signal(int sig)
{
	(void)sig;
	ee_exiting = 1;
}

static void ee_close(struct ee_conn *c)
{
	close(c->fd);
	free(c->buf);
	free(c);
}

/* Write what is pending; false when the socket is full (or broken: then c->eof). */
static bool ee_flush(struct ee_conn *c)
{
	while (c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->eof = true, c->len = 0;
			return false;
		}
		ee_bytes_out += n;
		c->off += n;
		c->len -= n;
	}
	return true;
}

/* Returns false when the connection is to be closed. */
static bool ee_readable(struct ee_conn *c, bool echo)
{
	int rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		ssize_t n = recv(c->fd, ee_rbuf, sizeof(ee_rbuf), 0), w = 0;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0) {
			c->eof = true;
			return false;
		}
		ee_bytes_in += n;
		if (!echo)
			continue;
		while (w < n) {
			ssize_t k = send(c->fd, ee_rbuf + w, n - w, MSG_NOSIGNAL);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno != EAGAIN)
				return false;
			if (k < 0)
				break;
			ee_bytes_out += k;
			w += k;
		}
		if (w < n) { /* the socket is full: keep the rest, stop reading */
			if (!c->buf && !(c->buf = malloc(EE_BUF)))
				return false;
			memcpy(c->buf, ee_rbuf + w, n - w);
			c->off = 0;
			c->len = n - w;
			return true;
		}
		if (n < (ssize_t)sizeof(ee_rbuf))
			return true;
	}
	return true;
}

static void ee_usage(FILE *f)
{
	fprintf(f, "Usage: epoll_echo [--port N] [--app echo|discard] [--backlog N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "port", required_argument, NULL, 'p' },
						  { "app", required_argument, NULL, 'a' },
						  { "backlog", required_argument, NULL, 'b' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	struct epoll_event ev, evs[EE_EVENTS];
	struct sigaction sig = { .sa_handler = ee_on_signal };
	struct rlimit rl;
	int port = 7, backlog = 4096, lfd, ep, one = 1, zero = 0, c, i, n;
	bool echo = true;

	while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'a':
			if (strcmp(optarg, "echo") && strcmp(optarg, "discard")) {
				ee_usage(stderr);
				return 2;
			}
			echo = !strcmp(optarg, "echo");
			break;
		case 'b':
			backlog = atoi(optarg);
			break;
		case 'h':
			ee_usage(stdout);
			return 0;
		default:
			ee_usage(stderr);
			return 2;
		}
	}
	if (port <= 0 || port > 65535 || backlog <= 0) {
		ee_usage(stderr);
		return 2;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);

	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	sa.sin6_port = htons(port);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, backlog)) {
		perror("bind/listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* NULL: the listener */
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("epoll");
		return 1;
	}
	printf("listening on port %d (%s)\n", port, echo ? "echo" : "discard");
	fflush(stdout);

	while (!ee_exiting) {
		n = epoll_wait(ep, evs, EE_EVENTS, 200);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct ee_conn *cn = evs[i].data.ptr;

			if (!cn) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					cn = calloc(1, sizeof(*cn));
					if (!cn) {
						close(fd);
						continue;
					}
					cn->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.ptr = cn;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
						ee_close(cn);
						continue;
					}
					ee_accepted++;
				}
				continue;
			}
			if (cn->len) { /* waiting for room to write the rest */
				if (!(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
					continue;
				if (!ee_flush(cn)) {
					if (!cn->eof)
						continue;
					ee_close(cn); /* broken */
					continue;
				}
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.ptr = cn;
				epoll_ctl(ep, EPOLL_CTL_MOD, cn->fd, &ev);
			}
			if (!ee_readable(cn, echo)) {
				ee_close(cn); /* EOF (nothing pending) or error */
				continue;
			}
			if (cn->len) {
				ev.events = EPOLLOUT;
				ev.data.ptr = cn;
				epoll_ctl(ep, EPOLL_CTL_MOD, cn->fd, &ev);
			}
		}
	}
	fprintf(stderr, "epoll_echo: accepted %llu, bytes in %llu, out %llu\n", ee_accepted,
		ee_bytes_in, ee_bytes_out);
	return 0;
}
