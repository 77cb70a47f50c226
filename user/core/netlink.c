// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/netlink.h"

#define NL_BUF_SIZE 32768 /* the kernel's largest dump message (NLMSG_GOODSIZE ≤ 32 KiB) */

int nl_open(int protocol)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

int nl_dump(int fd, const struct nlmsghdr *req, nl_dump_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	int result = 0;

	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		if (n > (ssize_t)sizeof(buf))
			return -EMSGSIZE;
		len = (int)n;
		for (nlh = (const void *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return result;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EIO;
				return result ? result : e->error ? e->error : -EIO;
			}
			if (!result)
				result = cb(nlh, arg);
		}
	}
}

int nl_dump_once(int protocol, const struct nlmsghdr *req, nl_dump_cb cb, void *arg)
{
	int fd = nl_open(protocol), err;

	if (fd < 0)
		return fd;
	err = nl_dump(fd, req, cb, arg);
	close(fd);
	return err;
}
