/* SPDX-License-Identifier: GPL-2.0 */
/* Facts about a network interface. */
#ifndef SHAKEOFF_IFACE_H
#define SHAKEOFF_IFACE_H

#include "core/opts.h"

/* ifindex of name, or a negative errno; prints nothing. */
int iface_index(const char *name);
int iface_mtu(const char *name);
int iface_mac(const char *name, __u8 mac[6]);
/* The interface's own addresses, both families; returns how many (at most max) or -errno. */
int iface_addrs(const char *name, struct ip_addr *out, unsigned int max);

#endif /* SHAKEOFF_IFACE_H */
