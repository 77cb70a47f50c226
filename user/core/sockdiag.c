// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "core/log.h"
#include "core/netlink.h"
#include "core/sockdiag.h"

struct walk_ctx {
	sockdiag_cb cb;
	void *arg;
};

static int walk_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct walk_ctx *w = arg;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return 0;
	return w->cb(nlh, NLMSG_DATA(nlh), w->arg);
}

int sockdiag_walk(__u32 states, sockdiag_cb cb, void *arg)
{
	static const __u8 families[] = { AF_INET, AF_INET6 };
	struct walk_ctx w = { cb, arg };
	unsigned int i;
	int fd, err = 0;

	fd = nl_open(NETLINK_SOCK_DIAG);
	if (fd < 0) {
		pr_debug("Failed to open sock_diag socket: %s\n", strerror(-fd));
		return fd;
	}
	for (i = 0; i < sizeof(families); i++) {
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req_v2 req;
		} msg = {
			.nlh = {
				.nlmsg_len = sizeof(msg),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
				.nlmsg_seq = i + 1,
			},
			.req = {
				.sdiag_family = families[i],
				.sdiag_protocol = IPPROTO_TCP,
				.idiag_states = states,
			},
		};

		err = nl_dump(fd, &msg.nlh, walk_one, &w);
		if (err == -ENOENT && families[i] == AF_INET6)
			err = 0;
		if (err) {
			pr_debug("Failed to dump TCP sockets (%s): %s\n",
				 families[i] == AF_INET ? "IPv4" : "IPv6", strerror(-err));
			break;
		}
	}
	close(fd);
	return err;
}
