/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What guard and serve need from the running system, each requirement one
 * check with a verdict and a reason: `shakeoff check` prints them all, and
 * guard's start refuses on the same table of sysctls.
 */
#ifndef SHAKEOFF_SYSCHECK_H
#define SHAKEOFF_SYSCHECK_H

#include <stddef.h>
#include <linux/types.h>

enum check_status {
	CHECK_OK,
	CHECK_WARN, /* works, but not as well as it could */
	CHECK_MISSING, /* what needs it cannot run */
};

/* who needs a check's requirement; 0: information only */
#define NEED_GUARD (1U << 0)
#define NEED_SERVE (1U << 1)

struct check_item {
	const char *name;
	unsigned int needed_by;
	enum check_status status;
	char detail[192];
};

/* Sysctls that must not be 0 in guard's namespace (tcp_syncookies: 1 or 2), and why. */
struct guard_sysctl {
	const char *name;
	const char *why;
};
extern const struct guard_sysctl guard_sysctls[];
extern const size_t guard_nsysctls;

/*
 * Every check for interface ifname (ifindex) into items (at most max);
 * umem_bytes is what serve's AF_XDP UMEM on that interface locks. Returns
 * how many items were filled. Reads only: nothing is loaded, attached or
 * mounted.
 */
size_t syscheck_run(const char *ifname, int ifindex, __u64 umem_bytes, struct check_item *items,
		    size_t max);
const char *check_status_name(enum check_status s);

#endif /* SHAKEOFF_SYSCHECK_H */
