// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <sys/types.h>

#include "trace/flag.h"

void trace_flag_reap(volatile __u32 *flag)
{
	__u32 pid = *flag;

	/* EPERM: it exists, only not ours to signal */
	if (pid && kill((pid_t)pid, 0) && errno == ESRCH)
		__sync_bool_compare_and_swap(flag, pid, 0);
}
