/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's and serve's side of a tracer's flag (bpf/lib/trace_prod.h): it
 * holds the collecting tracer's pid. A tracer killed with -9 cannot clear
 * it; the controller that owns the flag does, once the pid is gone, so its
 * producers stop parsing frames into a ring nobody reads.
 */
#ifndef SHAKEOFF_TRACE_FLAG_H
#define SHAKEOFF_TRACE_FLAG_H

#include <linux/types.h>

/* Clear *flag (the skeleton's mmapped trace_on) if it names a process that is gone. */
void trace_flag_reap(volatile __u32 *flag);

#endif /* SHAKEOFF_TRACE_FLAG_H */
