/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to serve's flow table, batched for so_serve_ctl: the kernel runs
 * up to SERVE_CTL_OPS of them per system call (BPF_PROG_TEST_RUN), each under
 * its entry's lock, and writes back each one's result. Whoever adds a change
 * says what its success means: a counter to count it in, or (PUBLISH) where
 * to note the state it wrote.
 */
#ifndef SHAKEOFF_SERVE_CTL_H
#define SHAKEOFF_SERVE_CTL_H

#include <linux/types.h>
#include <shakeoff/serve_abi.h>

struct ctl_batch {
	struct serve_ctl req; /* what so_serve_ctl runs */
	__u64 *count[SERVE_CTL_OPS]; /* counted when the op succeeds, or NULL */
	__u8 *seen[SERVE_CTL_OPS]; /* PUBLISH: set to want[] when it succeeds, or NULL */
	__u8 want[SERVE_CTL_OPS];
	int prog_fd; /* so_serve_ctl */
	const char *ifname; /* for the warning */
	__u64 failed; /* runs that failed (their changes are lost) */
};

void ctl_init(struct ctl_batch *b, int prog_fd, const char *ifname);
/*
 * A change to the entry of connection (k, iss, irs), run at the next
 * ctl_flush() (at once first if the batch is full); the caller fills in the
 * kind's fields. *count (if count) counts it once it succeeds.
 */
struct serve_ctl_op *ctl_add(struct ctl_batch *b, __u8 kind, const struct serve_flow_key *k,
			     __u32 iss, __u32 irs, __u64 *count);
/* op, a PUBLISH with its state filled in: once it succeeds, *seen = that state. */
void ctl_note_seen(struct ctl_batch *b, const struct serve_ctl_op *op, __u8 *seen);
/* seen is going away: the waiting changes that would write it are dropped. */
void ctl_forget(struct ctl_batch *b, const __u8 *seen);
/* Run the waiting changes and take note of their outcome. */
void ctl_flush(struct ctl_batch *b);

#endif /* SHAKEOFF_SERVE_CTL_H */
