// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <time.h>

#include "core/jsonl.h"

const char *json_ts(void)
{
	static __thread char buf[40];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "{\"ts\":%lld.%03ld", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000000);
	return buf;
}
