// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "core/iface.h"
#include "core/log.h"
#include "core/netlink.h"

int iface_index(const char *name)
{
	unsigned int idx;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	idx = if_nametoindex(name);
	return idx ? (int)idx : -ENODEV;
}

static int iface_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	memset(ifr, 0, sizeof(*ifr));
	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	strcpy(ifr->ifr_name, name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int iface_mtu(const char *name)
{
	struct ifreq ifr;
	int err = iface_ioctl(name, SIOCGIFMTU, &ifr);

	return err ? err : ifr.ifr_mtu;
}

int iface_link_up(const char *name)
{
	struct ifreq ifr;
	int err = iface_ioctl(name, SIOCGIFFLAGS, &ifr);

	if (err)
		return err;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

void link_watch(int *was_up, const char *ifname, const char *what)
{
	int up = iface_link_up(ifname);

	if (up < 0 || up == *was_up)
		return;
	if (*was_up >= 0) {
		if (up)
			pr_info("%s: link up again; %s carries on\n", ifname, what);
		else
			pr_warn("%s: link down; %s stays attached and resumes when it is back\n",
				ifname, what);
	}
	*was_up = up;
}

int iface_mac(const char *name, __u8 mac[6])
{
	struct ifreq ifr;
	int err = iface_ioctl(name, SIOCGIFHWADDR, &ifr);

	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

int iface_addrs(const char *name, struct ip_addr *out, unsigned int max)
{
	struct ifaddrs *ifa_list, *ifa;
	unsigned int n = 0;

	if (getifaddrs(&ifa_list) < 0)
		return -errno;
	for (ifa = ifa_list; ifa && n < max; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, name))
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET;
			memcpy(out[n].bytes, &sin->sin_addr, 4);
			n++;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET6;
			memcpy(out[n].bytes, &sin6->sin6_addr, 16);
			n++;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}

/* One address into out[*n] unless it is there already; 0 when out is full. */
static int addr_put(struct ip_addr *out, unsigned int max, unsigned int *n, int family,
		    const void *bytes)
{
	unsigned int i, len = family == AF_INET ? 4 : 16;

	for (i = 0; i < *n; i++)
		if (out[i].family == family && !memcmp(out[i].bytes, bytes, len))
			return 1;
	if (*n >= max)
		return 0;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].family = family;
	memcpy(out[*n].bytes, bytes, len);
	(*n)++;
	return 1;
}

int host_addrs(struct ip_addr *out, unsigned int max, bool *truncated)
{
	struct ifaddrs *ifa_list, *ifa;
	unsigned int n = 0;

	*truncated = false;
	if (getifaddrs(&ifa_list) < 0)
		return -errno;
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || (ifa->ifa_flags & IFF_LOOPBACK))
			continue; /* 127/8 and ::1 are martians to every check already */
		if (ifa->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;
			const struct sockaddr_in *mask = (const void *)ifa->ifa_netmask;
			__u32 a = sin->sin_addr.s_addr, bcast;

			if (!addr_put(out, max, &n, AF_INET, &a))
				*truncated = true;
			/* Linux adds the prefix's broadcast route for prefixes shorter than /31 */
			if (mask && ntohl(mask->sin_addr.s_addr) < 0xfffffffeU) {
				bcast = a | ~mask->sin_addr.s_addr;
				if (!addr_put(out, max, &n, AF_INET, &bcast))
					*truncated = true;
			}
			if ((ifa->ifa_flags & IFF_BROADCAST) && ifa->ifa_broadaddr) {
				sin = (const void *)ifa->ifa_broadaddr;
				if (sin->sin_addr.s_addr &&
				    !addr_put(out, max, &n, AF_INET, &sin->sin_addr.s_addr))
					*truncated = true;
			}
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;

			if (!addr_put(out, max, &n, AF_INET6, &sin6->sin6_addr))
				*truncated = true;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}

struct neigh_query {
	int ifindex;
	const struct ip_addr *dst;
	__u8 *mac;
};

/* One RTM_NEWNEIGH entry: 1 (MAC copied) if it resolves the query's address, else 0. */
static int neigh_match(const struct nlmsghdr *nh, void *arg)
{
	const struct neigh_query *q = arg;
	const struct ndmsg *nd = NLMSG_DATA(nh);
	int alen = q->dst->family == AF_INET ? 4 : 16;
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	bool dst_ok = false, mac_ok = false;
	const struct rtattr *rta;
	__u8 found[6];

	if (nh->nlmsg_type != RTM_NEWNEIGH || len < 0 || nd->ndm_ifindex != q->ifindex ||
	    nd->ndm_family != q->dst->family)
		return 0;
	if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED) || nd->ndm_state == NUD_NONE)
		return 0;
	for (rta = (const void *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd))); RTA_OK(rta, len);
	     rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_DST && RTA_PAYLOAD(rta) == (unsigned int)alen) {
			dst_ok = !memcmp(RTA_DATA(rta), q->dst->bytes, alen);
		} else if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6) {
			memcpy(found, RTA_DATA(rta), 6);
			mac_ok = true;
		}
	}
	if (!dst_ok || !mac_ok)
		return 0;
	memcpy(q->mac, found, 6);
	return 1;
}

int iface_neigh_lookup(int ifindex, const struct ip_addr *dst, __u8 mac[6])
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETNEIGH,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.nd = { .ndm_family = dst->family },
	};
	struct neigh_query q = { .ifindex = ifindex, .dst = dst, .mac = mac };
	int err = nl_dump_once(NETLINK_ROUTE, &req.nh, neigh_match, &q);

	if (err < 0)
		return err;
	return err ? 0 : -ENOENT;
}
