/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard_recent kept in step with the kernel: the 4-tuples of its sockets on
 * the protected ports, so a SYN reusing one goes to the kernel even when
 * guard did not see that connection close (it started later, or the mark
 * was pushed out). See include/shakeoff/guard_abi.h.
 */
#ifndef SHAKEOFF_GUARD_RECENT_H
#define SHAKEOFF_GUARD_RECENT_H

#include <stdbool.h>
#include <linux/types.h>
#include <netinet/tcp.h> /* TCP_ESTABLISHED ... */

struct guard_recent;

/* The map's array, mapped (BPF_F_MMAPABLE); NULL after printing why. */
struct guard_recent *recent_map(int map_fd);
void recent_unmap(struct guard_recent *r);
/*
 * Mark every kernel TCP socket in states (1 << TCP_*) whose local port is
 * protected (ports[65536]). Returns how many, or -errno.
 */
/* Every TCP state but LISTEN and CLOSE: a socket a SYN on its 4-tuple would meet. */
#define RECENT_SEED_STATES                                                        \
	((1U << TCP_ESTABLISHED) | (1U << TCP_SYN_RECV) | (1U << TCP_FIN_WAIT1) | \
	 (1U << TCP_FIN_WAIT2) | (1U << TCP_TIME_WAIT) | (1U << TCP_CLOSE_WAIT) | \
	 (1U << TCP_LAST_ACK) | (1U << TCP_CLOSING))

int recent_seed(struct guard_recent *r, const bool *ports, __u32 states);

#endif /* SHAKEOFF_GUARD_RECENT_H */
