// SPDX-License-Identifier: GPL-2.0
/*
 * user/core/sdnotify.c against a socket of our own, as systemd's: the
 * datagrams each call sends to a path and to an abstract name, and that no
 * $NOTIFY_SOCKET (or one that is no address) sends nothing and fails nothing
 * that matters to the caller.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/sdnotify.h"
#include "testlib.h"

/* A datagram socket bound to addr ("/path" or "@name"); fd or -1. */
static int listener(const char *addr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(addr);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, addr, n);
	if (addr[0] == '@')
		sa.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram on fd as a string; "" if none is waiting. */
static const char *next(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void calls_on(const char *addr)
{
	char buf[512];
	int fd = listener(addr);

	if (!ASSERT(fd >= 0, "bind %s: %s", addr, strerror(errno)))
		return;
	setenv("NOTIFY_SOCKET", addr, 1);
	ASSERT_EQ(sd_notify_ready("attached"), 0, "sd_notify_ready");
	ASSERT(!strcmp(next(fd, buf, sizeof(buf)), "READY=1\nSTATUS=attached"), "ready: '%s'", buf);
	ASSERT_EQ(sd_notify_ready(NULL), 0, "sd_notify_ready(NULL)");
	ASSERT(!strcmp(next(fd, buf, sizeof(buf)), "READY=1"), "ready alone: '%s'", buf);
	ASSERT_EQ(sd_notify_reloading(), 0, "sd_notify_reloading");
	ASSERT(!strncmp(next(fd, buf, sizeof(buf)), "RELOADING=1\nMONOTONIC_USEC=", 27) &&
		       strtoull(buf + 27, NULL, 10) > 0,
	       "reloading: '%s'", buf);
	ASSERT_EQ(sd_notify_status("3 ports"), 0, "sd_notify_status");
	ASSERT(!strcmp(next(fd, buf, sizeof(buf)), "STATUS=3 ports"), "status: '%s'", buf);
	ASSERT_EQ(sd_notify_stopping(), 0, "sd_notify_stopping");
	ASSERT(!strcmp(next(fd, buf, sizeof(buf)), "STOPPING=1"), "stopping: '%s'", buf);
	ASSERT(!strcmp(next(fd, buf, sizeof(buf)), ""), "one datagram per call, then '%s'", buf);
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	char path[64], abstract[64];

	snprintf(path, sizeof(path), "/tmp/shakeoff-sdnotify-%d.sock", (int)getpid());
	snprintf(abstract, sizeof(abstract), "@shakeoff-sdnotify-%d", (int)getpid());

	tl_begin("sdnotify: each call's datagram to a socket path");
	unlink(path);
	calls_on(path);
	unlink(path);
	tl_end();

	tl_begin("sdnotify: the same to an abstract name (@)");
	calls_on(abstract);
	tl_end();

	tl_begin("sdnotify: no NOTIFY_SOCKET is a no-op; a bad one or no listener an error");
	unsetenv("NOTIFY_SOCKET");
	ASSERT_EQ(sd_notify_ready("x"), 0, "unset");
	setenv("NOTIFY_SOCKET", "", 1);
	ASSERT_EQ(sd_notify_ready("x"), 0, "empty");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ASSERT_EQ(sd_notify_ready("x"), -EINVAL, "not a path");
	setenv("NOTIFY_SOCKET", path, 1);
	ASSERT(sd_notify_ready("x") < 0, "no listener on %s", path);
	unsetenv("NOTIFY_SOCKET");
	tl_end();
	return tl_summary();
}
