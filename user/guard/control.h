/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests to a running guard over its control socket (core/ctlsock.h,
 * named "shakeoff/guard/IFACE"), one line each:
 *   ports list            -> "OK 80,443"
 *   ports add|del PORTS   -> "OK 80,443,8080" (the ports now protected)
 *   src list [FROM]       -> "OK 2 +10.0.0.0/8 -10.1.0.0/16" (how many rules,
 *                            then from rule FROM as many as fit: + allow, - deny)
 *   src allow|deny|del CIDR...  -> as "src list" after the change
 * and an error as "ERR reason". A change becomes new options, applied by
 * guard_apply() as a reload's are; it lasts until the next reload or restart.
 */
#ifndef SHAKEOFF_GUARD_CONTROL_H
#define SHAKEOFF_GUARD_CONTROL_H

#include <stddef.h>

#include "guard/guard.h"

#define CONTROL_OK 0 /* reply holds the answer ("OK ...") */
#define CONTROL_CHANGE 1 /* n holds cur with the change, reply the answer once it is applied */
#define CONTROL_ERR -1 /* reply holds "ERR reason" */

/* n starts as a copy of cur made by the caller (strings shared). */
int control_parse(const char *line, const struct guard_opts *cur, struct guard_opts *n, char *reply,
		  size_t len);
/* "OK PORTS": what o protects. */
void control_ports_reply(const struct guard_opts *o, char *reply, size_t len);
/* "OK N RULES": o's source rules from the from-th on, as many as fit in len. */
void control_src_reply(const struct guard_opts *o, unsigned int from, char *reply, size_t len);

#endif /* SHAKEOFF_GUARD_CONTROL_H */
