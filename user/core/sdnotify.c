// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/log.h"
#include "core/sdnotify.h"

int sd_notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n, len = strlen(state);
	socklen_t salen;
	ssize_t sent;
	int fd, err = 0;

	if (!path || !path[0])
		return 0;
	n = strlen(path);
	/* a path, or "@name" for the abstract namespace (a leading NUL, not counted by strlen) */
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		pr_debug("NOTIFY_SOCKET '%s' is neither a path nor an abstract name\n", path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (sent < 0)
		err = -errno;
	else if ((size_t)sent != len)
		err = -EMSGSIZE;
	close(fd);
	if (err)
		pr_debug("Failed to notify %s: %s\n", path, strerror(-err));
	return err;
}

static int sd_notify_with_status(const char *head, const char *status)
{
	char buf[512];

	if (!status)
		return sd_notify_send(head);
	snprintf(buf, sizeof(buf), "%s\nSTATUS=%s", head, status);
	return sd_notify_send(buf);
}

int sd_notify_ready(const char *status)
{
	return sd_notify_with_status("READY=1", status);
}

int sd_notify_reloading(void)
{
	struct timespec ts;
	char buf[64];

	/* systemd 253+ wants the monotonic time with RELOADING=1; older ones ignore it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000ULL);
	return sd_notify_send(buf);
}

int sd_notify_stopping(void)
{
	return sd_notify_send("STOPPING=1");
}

int sd_notify_status(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "STATUS=%s", status);
	return sd_notify_send(buf);
}
