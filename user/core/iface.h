/* SPDX-License-Identifier: GPL-2.0 */
/* Facts about a network interface: index, MTU, MAC, addresses, neighbours. */
#ifndef SHAKEOFF_IFACE_H
#define SHAKEOFF_IFACE_H

#include <stdbool.h>

#include "core/opts.h"

/* ifindex of name, or a negative errno; prints nothing. */
int iface_index(const char *name);
int iface_mtu(const char *name);
/* 1 if the link is up and has carrier (IFF_UP, IFF_RUNNING), 0 if not, or -errno. */
int iface_link_up(const char *name);
int iface_mac(const char *name, __u8 mac[6]);
/*
 * Log a change of ifname's link state since the last call (*was_up: -1 at
 * first, then what the last call saw), as what (guard, serve) lives with it.
 */
void link_watch(int *was_up, const char *ifname, const char *what);
/* The interface's own addresses, both families; returns how many (at most max) or -errno. */
int iface_addrs(const char *name, struct ip_addr *out, unsigned int max);
/*
 * Every address of this host (network namespace) but loopback's, and each
 * IPv4 prefix's broadcast: sources no client has. Returns how many (at most
 * max; *truncated says some did not fit) or -errno.
 */
int host_addrs(struct ip_addr *out, unsigned int max, bool *truncated);
/* The kernel's neighbour entry (ARP/NDP) for dst on ifindex: its MAC; -ENOENT if none. */
int iface_neigh_lookup(int ifindex, const struct ip_addr *dst, __u8 mac[6]);

#endif /* SHAKEOFF_IFACE_H */
