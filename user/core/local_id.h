/* SPDX-License-Identifier: GPL-2.0 */
/* Filling struct local_id (include/shakeoff/local_id.h): what this host is on the wire. */
#ifndef SHAKEOFF_CORE_LOCAL_ID_H
#define SHAKEOFF_CORE_LOCAL_ID_H

#include <shakeoff/local_id.h>

/* Add addr (AF_INET: 4 bytes, AF_INET6: 16) to id's lists and filter; 0, or -1 when full. */
int local_id_add(struct local_id *id, int family, const void *addr);
/*
 * id from scratch: every address of this network namespace but loopback's,
 * each IPv4 prefix's broadcast, and ifname's MAC. Returns 0, or 1 after
 * printing why.
 */
int local_id_fill(struct local_id *id, const char *ifname);

#endif /* SHAKEOFF_CORE_LOCAL_ID_H */
