/* SPDX-License-Identifier: GPL-2.0 */
/* What an interface's driver offers XDP, asked without attaching anything. */
#ifndef SHAKEOFF_XDPFEAT_H
#define SHAKEOFF_XDPFEAT_H

#include <stddef.h>
#include <linux/types.h>

/* The netdev family's xdp-features bits (linux/netdev.h, Linux 6.3+). */
#define XDPFEAT_BASIC (1ULL << 0) /* XDP_PASS/DROP/TX/ABORTED in the driver */
#define XDPFEAT_REDIRECT (1ULL << 1)
#define XDPFEAT_NDO_XMIT (1ULL << 2) /* can be the target of a redirect */
#define XDPFEAT_XSK_ZEROCOPY (1ULL << 3) /* AF_XDP without copies */

/* The driver's name (ethtool's "driver:") into buf; 0 or -errno. */
int xdpfeat_driver(const char *ifname, char *buf, size_t len);
/* The xdp-features of ifindex from the netdev generic netlink family; 0 or -errno
 * (-ENOENT: the kernel has no such family, before 6.3). */
int xdpfeat_query(int ifindex, __u64 *features);

#endif /* SHAKEOFF_XDPFEAT_H */
