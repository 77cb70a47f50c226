/* SPDX-License-Identifier: GPL-2.0 */
/* rtnetlink and sock_diag dumps: the one request/receive loop. */
#ifndef SHAKEOFF_NETLINK_H
#define SHAKEOFF_NETLINK_H

#include <linux/netlink.h>

/* Called for each message of the dump; 0 goes on, anything else is the dump's result. */
typedef int (*nl_dump_cb)(const struct nlmsghdr *nlh, void *arg);

/* A netlink socket of protocol (NETLINK_ROUTE, NETLINK_SOCK_DIAG); fd or -errno. */
int nl_open(int protocol);
/*
 * Send the dump request req (its nlmsg_len, type, flags and seq filled in)
 * on fd and give cb every message that answers it, up to NLMSG_DONE. Once cb
 * returns nonzero the rest is read and dropped, so fd can take the next
 * request. Returns cb's nonzero value, 0 at the end of the dump, the
 * kernel's error from an NLMSG_ERROR, or -errno.
 */
int nl_dump(int fd, const struct nlmsghdr *req, nl_dump_cb cb, void *arg);
/* nl_open + nl_dump + close. */
int nl_dump_once(int protocol, const struct nlmsghdr *req, nl_dump_cb cb, void *arg);

#endif /* SHAKEOFF_NETLINK_H */
