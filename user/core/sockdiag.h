/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's TCP sockets by state, asked of sock_diag (NETLINK_SOCK_DIAG). */
#ifndef SHAKEOFF_SOCKDIAG_H
#define SHAKEOFF_SOCKDIAG_H

#include <linux/types.h>
#include <linux/netlink.h>

struct inet_diag_msg;

/* Called per socket; nlh for its attributes. Returns 0 to go on. */
typedef int (*sockdiag_cb)(const struct nlmsghdr *nlh, const struct inet_diag_msg *m, void *arg);

/*
 * Every TCP socket of the calling thread's network namespace whose state is
 * in states (a mask of 1 << TCP_*), IPv4 then IPv6, to cb. A kernel without
 * IPv6 has no AF_INET6 handler: no IPv6 sockets. Returns 0, cb's nonzero
 * value, or -errno.
 */
int sockdiag_walk(__u32 states, sockdiag_cb cb, void *arg);

#endif /* SHAKEOFF_SOCKDIAG_H */
