/* SPDX-License-Identifier: GPL-2.0 */
/* guard as `shakeoff status` shows it: read from its maps, found by program id. */
#ifndef SHAKEOFF_GUARD_STATUS_H
#define SHAKEOFF_GUARD_STATUS_H

#include <linux/types.h>

#include "core/report.h"

/*
 * guard's fields for the report of one interface: owner, cookies, ports
 * with their listeners, addresses, keys, limits. prog_id: guard's XDP
 * program (or its TC program when only that is left). 0 or -errno.
 */
int guard_status(struct report *r, __u32 prog_id);

#endif /* SHAKEOFF_GUARD_STATUS_H */
