// SPDX-License-Identifier: GPL-2.0
/*
 * server = kernel-echo: a plain kernel TCP server in the server namespace
 * that returns the first read of each connection and closes, one connection
 * at a time (the prober's requests are small; a silent client waits at most
 * a second).
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/log.h"
#include "lab/defence.h"

static void echo_loop(int lfd)
{
	char buf[65536];

	for (;;) {
		struct timeval tv = { 1, 0 };
		int c = accept(lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		n = read(c, buf, sizeof(buf));
		/* a reply that does not go out is the prober's "short"; nothing to do here */
		if (n > 0 && write(c, buf, (size_t)n) < 0)
			pr_debug("echo: write: %s\n", strerror(errno));
		close(c);
	}
}

pid_t echo_start(const struct lab_topo *t, unsigned int port, int cpu)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int one = 1, zero = 0, lfd;
	pid_t pid = fork();

	if (pid)
		return pid;
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (topo_enter(t, NS_SRV))
		_exit(1);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		_exit(1);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4096))
		_exit(1);
	echo_loop(lfd);
	_exit(0);
}
