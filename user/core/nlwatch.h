/* SPDX-License-Identifier: GPL-2.0 */
/* Address and link changes of this network namespace, as rtnetlink announces them. */
#ifndef SHAKEOFF_NLWATCH_H
#define SHAKEOFF_NLWATCH_H

/* A non-blocking socket in the IPv4/IPv6 address and link groups; fd or -errno. */
int nlwatch_open(void);
/*
 * Read what is queued. 1: an address or a link changed (or messages were
 * lost: the queue overflowed, so anything may have), 0: nothing, -errno.
 */
int nlwatch_drain(int fd);

#endif /* SHAKEOFF_NLWATCH_H */
