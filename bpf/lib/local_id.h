/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks on struct local_id (include/shakeoff/local_id.h) both XDP
 * programs make before they answer a frame: is it for our MAC, is its
 * source one no client has.
 */
#ifndef SHAKEOFF_BPF_LOCAL_ID_H
#define SHAKEOFF_BPF_LOCAL_ID_H

#include <shakeoff/local_id.h>
#include "addr.h"
#include "parse.h"

/*
 * A unicast frame to another host's MAC (promiscuous mode, a bridge): Linux
 * drops it before IP, and a reply would carry that host's MAC as its source.
 * Group destinations are the screen's (SCREEN_L2_MULTICAST).
 */
SHAKEOFF_INLINE int local_to_other_host(const struct local_id *id, const struct frame *f)
{
	if (!(id->mac[0] | id->mac[1] | id->mac[2]))
		return 0;
	return f->dmac[0] != id->mac[0] || f->dmac[1] != id->mac[1] || f->dmac[2] != id->mac[2];
}

/*
 * Is f's source one of id's addresses? Global: the list walks'
 * data-dependent exits, inlined, multiplied the states of everything after
 * them past the verifier's limit.
 */
__noinline int local_src_listed(const struct local_id *id, const struct frame *f)
{
	if (!id || !f)
		return 1;
	return addr_listed(id->self4, id->nself4, id->self6, id->nself6, LOCAL_MAX_SELF, f,
			   f->saddr);
}

/* This host's own address or an IPv4 broadcast as the source: one load unless its bit is set. */
SHAKEOFF_INLINE int local_src_self(const struct local_id *id, const struct frame *f)
{
	__u32 bit = local_self_bit(f->saddr, f->ipv6);

	if (!((id->self_bloom[(bit >> 6) & 3] >> (bit & 63)) & 1))
		return 0;
	return local_src_listed(id, f);
}

#endif /* SHAKEOFF_BPF_LOCAL_ID_H */
