// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "core/listeners.h"
#include "core/log.h"
#include "core/sockdiag.h"

struct scan_ctx {
	const bool *want;
	const struct ip_addr *addrs;
	unsigned int naddrs;
	bool *out4;
	bool *out6;
};

/* bytes == NULL: the wildcard address, which matches every address of the family. */
static bool addr_wanted(const struct scan_ctx *c, int family, const __u8 *bytes)
{
	size_t n = family == AF_INET ? 4 : 16;
	unsigned int i;

	if (!c->naddrs)
		return true;
	for (i = 0; i < c->naddrs; i++) {
		if (c->addrs[i].family != family)
			continue;
		if (!bytes || !memcmp(c->addrs[i].bytes, bytes, n))
			return true;
	}
	return false;
}

static bool v6only_attr(const struct nlmsghdr *nlh, const struct inet_diag_msg *m)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct rtattr *rta = (const struct rtattr *)(m + 1);

	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(rta) >= 1)
			return *(const __u8 *)RTA_DATA(rta);
	return false;
}

static void listener_add(const struct scan_ctx *c, const struct nlmsghdr *nlh)
{
	static const __u8 zero[16], v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	const __u8 *src = (const __u8 *)m->id.idiag_src;
	__u16 port;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return;
	port = ntohs(m->id.idiag_sport);
	if (!c->want[port])
		return;

	if (m->idiag_family == AF_INET) {
		if (!memcmp(src, zero, 4))
			src = NULL;
		if (addr_wanted(c, AF_INET, src))
			c->out4[port] = true;
	} else if (m->idiag_family == AF_INET6) {
		if (!memcmp(src, zero, 16)) {
			if (addr_wanted(c, AF_INET6, NULL))
				c->out6[port] = true;
			if (!v6only_attr(nlh, m) && addr_wanted(c, AF_INET, NULL))
				c->out4[port] = true;
		} else if (!memcmp(src, v4mapped, 12)) {
			if (addr_wanted(c, AF_INET, src + 12))
				c->out4[port] = true;
		} else if (addr_wanted(c, AF_INET6, src)) {
			c->out6[port] = true;
		}
	}
}

static int listener_cb(const struct nlmsghdr *nlh, const struct inet_diag_msg *m, void *arg)
{
	(void)m;
	listener_add(arg, nlh);
	return 0;
}

int listeners_scan(const bool *want, const struct ip_addr *addrs, unsigned int naddrs, bool *out4,
		   bool *out6)
{
	struct scan_ctx c = {
		.want = want,
		.addrs = addrs,
		.naddrs = naddrs,
		.out4 = out4,
		.out6 = out6,
	};
	int err;

	memset(out4, 0, 65536 * sizeof(*out4));
	memset(out6, 0, 65536 * sizeof(*out6));
	err = sockdiag_walk(1 << TCP_LISTEN, listener_cb, &c);
	if (err)
		pr_debug("Failed to list TCP listeners: %s\n", strerror(-err));
	return err;
}
