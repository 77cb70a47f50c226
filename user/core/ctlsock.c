// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/capability.h>

#include "core/ctlsock.h"

#define CTL_TIMEOUT_MS 1000 /* a client writes its line at once; a silent one is dropped */
#define CTL_REFUSED_MS 100
#define CTL_ANSWER_MS 5000 /* the answer comes after the change is made: allow a busy host */

void ctlsock_name(const char *what, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "shakeoff/%s/%s", what, ifname);
}

static socklen_t ctl_addr(const char *name, struct sockaddr_un *sun)
{
	size_t n = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n > sizeof(sun->sun_path) - 1)
		n = sizeof(sun->sun_path) - 1;
	/* sun_path[0] = '\0': the abstract namespace, bound to the network namespace */
	memcpy(sun->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int ctlsock_listen(const char *name)
{
	struct sockaddr_un sun;
	socklen_t alen = ctl_addr(name, &sun);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, alen) || listen(fd, 8)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Root, or CAP_NET_ADMIN in the effective set (bit 12 of /proc/PID/status CapEff). */
static bool peer_allowed(int cfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char path[64], line[256];
	bool ok = false;
	FILE *f;

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cred.pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long caps;

		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			ok = caps & (1ULL << CAP_NET_ADMIN);
			break;
		}
	}
	fclose(f);
	return ok;
}

/* Up to a newline (dropped) or EOF, each read within ms; the length or -errno. */
static int read_line(int fd, char *line, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r;

		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		r = read(fd, line + n, len - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return (int)strlen(line);
}

int ctlsock_accept(int lfd, char *line, size_t len)
{
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), err;
	bool allowed;

	if (cfd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	allowed = peer_allowed(cfd);
	/*
	 * The line first, also from a client refused (closing on unread data
	 * resets the connection before it reads the answer); a refused one
	 * gets less time, so it cannot hold the caller's loop for long.
	 */
	err = read_line(cfd, line, len, allowed ? CTL_TIMEOUT_MS : CTL_REFUSED_MS);
	if (err < 0 && allowed) {
		close(cfd);
		return err;
	}
	if (!allowed) {
		ctlsock_reply(cfd, "ERR needs root or CAP_NET_ADMIN");
		return -EPERM;
	}
	return cfd;
}

void ctlsock_reply(int cfd, const char *text)
{
	char buf[CTL_LINE_MAX + 2];
	int n = snprintf(buf, sizeof(buf), "%s\n", text);

	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	/* a client that went away is no concern of ours: MSG_NOSIGNAL, no SIGPIPE */
	if (send(cfd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing to do: the answer is lost with the client */
	}
	close(cfd);
}

int ctlsock_request(const char *name, const char *line, char *reply, size_t len)
{
	struct sockaddr_un sun;
	socklen_t alen = ctl_addr(name, &sun);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;
	char buf[CTL_LINE_MAX + 2];
	size_t n;

	if (fd < 0)
		return -errno;
	n = (size_t)snprintf(buf, sizeof(buf), "%s\n", line);
	if (n >= sizeof(buf)) {
		close(fd);
		return -E2BIG;
	}
	if (connect(fd, (struct sockaddr *)&sun, alen) ||
	    send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
		err = -errno;
	else if (read_line(fd, reply, len, CTL_ANSWER_MS) <= 0)
		err = -EPROTO; /* guard ended before it answered */
	close(fd);
	return err;
}
