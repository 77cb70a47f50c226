// SPDX-License-Identifier: GPL-2.0
/* The fleet's echo listeners (see fleet_conn.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "core/log.h"
#include "lab/fleet_conn.h"
#include "lab/fleet_topo.h"

#define REQ_MAX 2048 /* more than a request of the client */

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
