// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/sockios.h>

#include "core/netlink.h"
#include "core/xdpfeat.h"

/* linux/netdev.h is not in Debian 12's linux-libc-dev: the uapi values */
#define NETDEV_FAMILY_NAME "netdev"
#define NETDEV_CMD_DEV_GET 1
#define NETDEV_A_DEV_IFINDEX 1
#define NETDEV_A_DEV_XDP_FEATURES 3

int xdpfeat_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd, err = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (char *)&info;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	if (!err)
		snprintf(buf, len, "%.*s", (int)sizeof(info.driver), info.driver);
	return err;
}

struct genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
};

/* The attributes of one generic netlink message, after its genlmsghdr. */
static const struct nlattr *genl_attr(const struct nlmsghdr *nlh, int type)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int left = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	while (left >= (int)sizeof(struct nlattr)) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < sizeof(*a) || a->nla_len > left)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
		left -= NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *name = genl_attr(nlh, CTRL_ATTR_FAMILY_NAME);
	const struct nlattr *id = genl_attr(nlh, CTRL_ATTR_FAMILY_ID);

	if (!name || !id || strcmp((const char *)(name + 1), NETDEV_FAMILY_NAME))
		return 0;
	memcpy(arg, id + 1, sizeof(__u16));
	return 1;
}

struct dev_find {
	int ifindex;
	__u64 features;
};

static int dev_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *ifi = genl_attr(nlh, NETDEV_A_DEV_IFINDEX);
	const struct nlattr *feat = genl_attr(nlh, NETDEV_A_DEV_XDP_FEATURES);
	struct dev_find *d = arg;
	__u32 idx;

	if (!ifi || !feat || feat->nla_len < NLA_HDRLEN + sizeof(__u64))
		return 0;
	memcpy(&idx, ifi + 1, sizeof(idx));
	if ((int)idx != d->ifindex)
		return 0;
	memcpy(&d->features, feat + 1, sizeof(d->features));
	return 1;
}

int xdpfeat_query(int ifindex, __u64 *features)
{
	struct genl_req req = {
		.nlh = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = GENL_ID_CTRL,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 },
	};
	struct dev_find d = { .ifindex = ifindex };
	__u16 family = 0;
	int fd = nl_open(NETLINK_GENERIC), err;

	if (fd < 0)
		return fd;
	err = nl_dump(fd, &req.nlh, family_cb, &family);
	if (err == 1) {
		req.nlh.nlmsg_type = family;
		req.nlh.nlmsg_seq = 2;
		req.g.cmd = NETDEV_CMD_DEV_GET;
		err = nl_dump(fd, &req.nlh, dev_cb, &d);
		err = err == 1 ? 0 : err ? err : -ENODEV;
	} else {
		err = err ? err : -ENOENT;
	}
	close(fd);
	if (!err)
		*features = d.features;
	return err;
}
