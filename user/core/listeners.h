/* SPDX-License-Identifier: GPL-2.0 */
/* Which guarded ports have a kernel TCP listener behind them, asked of sock_diag. */
#ifndef SHAKEOFF_LISTENERS_H
#define SHAKEOFF_LISTENERS_H

#include <stdbool.h>

#include "core/opts.h"

/* Scan the calling thread's network namespace for TCP listeners (sock_diag:
 * NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY dump with inet_diag_req_v2,
 * idiag_states = 1 << TCP_LISTEN, for AF_INET and AF_INET6).
 * For every port p with want[p] set: out4[p] = a listener accepts IPv4
 * connections to at least one of addrs[0..naddrs) on port p; out6[p] the same
 * for IPv6. A listener bound to the wildcard address counts for every address;
 * an AF_INET6 wildcard listener without IPV6_V6ONLY (INET_DIAG_SKV6ONLY
 * attribute = 0) also accepts IPv4; a listener bound to a specific address
 * counts only for that address (IPv4-mapped ::ffff:a.b.c.d binds count as IPv4).
 * naddrs = 0 means any address of the family.
 * out4/out6 are arrays of 65536 bools, cleared first. Returns 0 or -errno. */
int listeners_scan(const bool *want, const struct ip_addr *addrs, unsigned int naddrs, bool *out4,
		   bool *out6);

#endif /* SHAKEOFF_LISTENERS_H */
