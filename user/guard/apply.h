/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live changes of a running guard: a reload (SIGHUP), a runtime request
 * (shakeoff ports) and the interface's address changes all end here, in one
 * path from the running options to new ones, area by area, through the maps,
 * without detaching.
 */
#ifndef SHAKEOFF_GUARD_APPLY_H
#define SHAKEOFF_GUARD_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "guard/guard.h"

/*
 * Move g from g->o to n (the caller keeps both; g->o is n on success).
 * First every area may refuse (an option that cannot change live): then
 * nothing changes, why holds one line, and the result is -EPERM. Then each
 * area writes its maps and logs one line per kind of change (a JSON event
 * with json). Returns how many kinds changed, or -errno (why says what
 * failed; the old options are put back as far as they go).
 */
int guard_apply(struct guard *g, struct guard_opts *n, bool json, char *why, size_t len);

/*
 * The interface's addresses or MAC, or the host's addresses, may have
 * changed (netlink said so): follow them. With addrs_auto, g->o->addrs
 * becomes the interface's addresses (logged per address); guard_cfg's own
 * sources and MAC are refreshed in any case. Returns 0 or -errno.
 */
int guard_follow_iface(struct guard *g, bool json);

#endif /* SHAKEOFF_GUARD_APPLY_H */
