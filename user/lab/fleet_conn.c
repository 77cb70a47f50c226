// SPDX-License-Identifier: GPL-2.0
/* The fleet's echo listeners and its connecting client (see fleet_conn.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "core/log.h"
#include "lab/fleet_conn.h"
#include "lab/fleet_topo.h"

#define REQ_MAX 64

static void echo_loop(int lfd)
{
	struct timeval tv = { .tv_sec = 2 };
	char buf[REQ_MAX];
	ssize_t len;
	int c;

	for (;;) {
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		len = recv(c, buf, sizeof(buf), 0);
		/* a failed send ends the connection all the same: the client counts it */
		if (len > 0)
			(void)!send(c, buf, (size_t)len, MSG_NOSIGNAL);
		close(c);
	}
}

pid_t fleet_echo_start(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((__u16)port) };
	int fd, one = 1;
	pid_t pid;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 256)) {
		fleet_err("Failed to listen on port %u: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fleet_err("Failed to fork the echo listener: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		echo_loop(fd);
		_exit(0);
	}
	close(fd);
	return pid;
}

enum slot_state { SLOT_IDLE, SLOT_CONNECTING, SLOT_READING };

struct slot {
	int fd;
	enum slot_state state;
	size_t got, want;
	double deadline;
	char req[REQ_MAX], buf[REQ_MAX];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void slot_end(struct slot *s, struct fleet_mode *m, int cause)
{
	if (cause < 0)
		m->completed++;
	else
		m->failed[cause]++;
	close(s->fd);
	s->fd = -1;
	s->state = SLOT_IDLE;
}

/* Open connection number i into s; false if the socket failed at once (counted). */
static int slot_open(struct slot *s, const struct sockaddr_in *dst, unsigned int i, double timeout,
		     struct fleet_mode *m)
{
	int err;

	m->attempted++;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	s->want = (size_t)snprintf(s->req, sizeof(s->req), "shakeoff fleet %u\n", i);
	s->got = 0;
	s->deadline = now_s() + timeout;
	s->state = SLOT_CONNECTING;
	if (!connect(s->fd, (const struct sockaddr *)dst, sizeof(*dst)) || errno == EINPROGRESS)
		return 0;
	err = errno;
	slot_end(s, m, fleet_cause_of_errno(err));
	return 0;
}

/* s's socket is ready (revents): move on, or end it. */
static void slot_step(struct slot *s, short revents, struct fleet_mode *m)
{
	socklen_t len = sizeof(int);
	int err = 0;
	ssize_t n;

	if (s->state == SLOT_CONNECTING) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			slot_end(s, m, fleet_cause_of_errno(err ? err : errno));
			return;
		}
		if (send(s->fd, s->req, s->want, MSG_NOSIGNAL) != (ssize_t)s->want) {
			slot_end(s, m, fleet_cause_of_errno(errno));
			return;
		}
		s->state = SLOT_READING;
		return;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	n = recv(s->fd, s->buf + s->got, sizeof(s->buf) - s->got, 0);
	if (n < 0) {
		if (errno != EAGAIN)
			slot_end(s, m, fleet_cause_of_errno(errno));
		return;
	}
	s->got += (size_t)n;
	if (s->got >= s->want)
		slot_end(s, m, memcmp(s->buf, s->req, s->want) ? FLEET_C_OTHER : -1);
	else if (!n)
		slot_end(s, m, FLEET_C_SHORT);
}

int fleet_connect_run(const char *dst, unsigned int port, unsigned int n, double rate,
		      int timeout_ms, volatile sig_atomic_t *stop, struct fleet_mode *m)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((__u16)port) };
	double timeout = timeout_ms / 1e3, t0 = now_s(), t;
	unsigned int started = 0, open = 0, i, k;
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	struct slot *s = calloc(n, sizeof(*s));
	int err = 0, wait_ms;

	if (!pfd || !s) {
		free(pfd);
		free(s);
		return -ENOMEM;
	}
	inet_pton(AF_INET, dst, &a.sin_addr);
	for (i = 0; i < n; i++)
		s[i].fd = -1;
	while (!*stop && (started < n || open)) {
		t = now_s();
		/* a steady rate: connection i at t0 + i / rate, late ones at once */
		while (started < n && t >= t0 + started / rate) {
			err = slot_open(&s[started], &a, started, timeout, m);
			if (err)
				goto out;
			started++;
		}
		open = 0;
		wait_ms = started < n ? (int)((t0 + started / rate - t) * 1e3) + 1 : 100;
		for (i = 0; i < started; i++) {
			if (s[i].state == SLOT_IDLE)
				continue;
			if (t >= s[i].deadline) {
				slot_end(&s[i], m, FLEET_C_TIMEOUT);
				continue;
			}
			pfd[open].fd = s[i].fd;
			pfd[open].events = s[i].state == SLOT_CONNECTING ? POLLOUT : POLLIN;
			pfd[open].revents = 0;
			open++;
		}
		if (!open && started >= n)
			break;
		if (poll(pfd, open, wait_ms < 100 ? wait_ms : 100) < 0 && errno != EINTR) {
			err = -errno;
			goto out;
		}
		for (i = 0, k = 0; i < started && k < open; i++) {
			if (s[i].state == SLOT_IDLE || s[i].fd != pfd[k].fd)
				continue;
			if (pfd[k].revents)
				slot_step(&s[i], pfd[k].revents, m);
			k++;
		}
	}
out:
	for (i = 0; i < n; i++)
		if (s[i].fd >= 0)
			slot_end(&s[i], m, FLEET_C_TIMEOUT);
	m->duration_s = now_s() - t0;
	free(pfd);
	free(s);
	return err;
}
