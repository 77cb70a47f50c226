// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/iface.h"

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
			struct sockaddr_in *sin = (struct sockaddr_in *)ifa->ifa_addr;

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET;
			memcpy(out[n].bytes, &sin->sin_addr, 4);
			n++;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ifa->ifa_addr;

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET6;
			memcpy(out[n].bytes, &sin6->sin6_addr, 16);
			n++;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}
