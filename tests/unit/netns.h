/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A network namespace of the test's own with lo up, so BPF_PROG_TEST_RUN and
 * sockets touch nothing of the machine's. Include after defining _GNU_SOURCE.
 */
#ifndef SHAKEOFF_TEST_NETNS_H
#define SHAKEOFF_TEST_NETNS_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* 0 or -errno. */
static inline int netns_lo_up(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -errno;
	close(fd);
	return err;
}

#endif /* SHAKEOFF_TEST_NETNS_H */
