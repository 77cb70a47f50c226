/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's limits on the SYNs it answers: the --allow/--deny source list,
 * the table of source prefixes (top talkers; the per-prefix SYN-ACK
 * budget) and the SYN-ACK budget of all sources, per CPU like the RST
 * budget (guard_rst.h, whose bucket code this shares). Without them a
 * spoofed SYN flood makes guard a reflector at 1:1. Layouts:
 * include/shakeoff/guard_limits.h.
 */
#ifndef SHAKEOFF_BPF_GUARD_LIMITS_H
#define SHAKEOFF_BPF_GUARD_LIMITS_H

#include "guard_maps.h"
#include "guard_rst.h"
#include "parse.h"

#ifdef GUARD_BENCH_NO_LIMITS
/* bpf/guard_nolimits.bpf.c: the same programs without the limits, to measure what they cost */
SHAKEOFF_INLINE __u32 src_list_action(const struct guard_cfg *cfg, const struct frame *f)
{
	return 0;
}

SHAKEOFF_INLINE int src_owns(const struct guard_src *s, const struct frame *f)
{
	return 0;
}

SHAKEOFF_INLINE struct guard_src *src_count_syn(const struct frame *f, __u64 now_ns)
{
	return NULL;
}

SHAKEOFF_INLINE int synack_budget_take(const struct guard_cfg *cfg, struct guard_src *s,
				       __u64 now_ns)
{
	return GS__COUNT;
}

SHAKEOFF_INLINE void port_stat_xdp(__u32 slot, int syn, int verdict, enum guard_stat why)
{
}

SHAKEOFF_INLINE void port_stat_handoff(__u32 slot)
{
}
#else
/* The --allow/--deny action for f's source (enum guard_src_action); 0: no rule. */
SHAKEOFF_INLINE __u32 src_list_action(const struct guard_cfg *cfg, const struct frame *f)
{
	struct guard_srclist_key k;
	const struct guard_srclist_val *v;

	if (!cfg->src_rules)
		return 0;
	/* field by field: an initialiser would be copied from a .rodata map guard pins */
	__builtin_memset(&k, 0, sizeof(k));
	k.prefixlen = 128;
	if (f->ipv6) {
		__builtin_memcpy(k.addr, f->saddr, 16);
	} else {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], &f->saddr[0], 4);
	}
	v = bpf_map_lookup_elem(&guard_srclist, &k);
	return v ? v->action : 0;
}

/* f's source prefix as guard_src.prefix holds it. */
SHAKEOFF_INLINE void src_prefix(const struct frame *f, __be32 *p0, __be32 *p1)
{
	*p0 = f->ipv6 ? f->saddr[0] : f->saddr[0] & bpf_htonl(0xffffff00);
	*p1 = f->ipv6 ? f->saddr[1] : 0;
}

/* Does slot s belong to f's source prefix? */
SHAKEOFF_INLINE int src_owns(const struct guard_src *s, const struct frame *f)
{
	__be32 p0, p1;

	src_prefix(f, &p0, &p1);
	return s->family == (f->ipv6 ? 6 : 4) && s->prefix[0] == p0 && s->prefix[1] == p1;
}

/*
 * Count f's SYN in its guard_srcs slot (the owner rule: struct guard_src);
 * returns the slot, or NULL. Races between CPUs are tolerated (see there).
 */
SHAKEOFF_INLINE struct guard_src *src_count_syn(const struct frame *f, __u64 now_ns)
{
	__u32 win = now_ns >> GUARD_SRC_SHIFT, slot = src_prefix_hash(f) & (GUARD_SRC_SLOTS - 1);
	struct guard_src *s = bpf_map_lookup_elem(&guard_srcs, &slot);
	__be32 p0, p1;

	if (!s)
		return NULL;
	if (s->window != win) {
		int next = s->window + 1 == win;

		s->prev_syn = next ? s->syn : 0;
		s->prev_synack = next ? s->synack : 0;
		/* the owner holds the slot for as many SYNs of others as it sent */
		s->score = s->prev_syn;
		s->syn = 0;
		s->synack = 0;
		s->window = win;
	}
	if (src_owns(s, f)) {
		s->syn++;
		s->score++;
	} else if (!s->score) {
		src_prefix(f, &p0, &p1);
		s->family = f->ipv6 ? 6 : 4;
		s->prefix[0] = p0;
		s->prefix[1] = p1;
		s->syn = 1;
		s->synack = 0;
		s->prev_syn = 0;
		s->prev_synack = 0;
		s->score = 1;
	} else {
		s->score--;
	}
	return s;
}

/*
 * May guard answer a SYN from slot s's prefix now? GS__COUNT if so (taken
 * from both budgets), else the drop. The per-CPU budget is checked first
 * and taken last, so a prefix over its own budget does not spend it.
 */
SHAKEOFF_INLINE int synack_budget_take(const struct guard_cfg *cfg, struct guard_src *s,
				       __u64 now_ns)
{
	__u32 win = now_ns >> GUARD_SRC_SHIFT, zero = 0;
	struct guard_rst_bucket *cpu = NULL;

	if (cfg->synack_per_cpu) {
		cpu = bpf_map_lookup_elem(&guard_synackcpu, &zero);
		if (!cpu || (cpu->window == win && cpu->count >= cfg->synack_per_cpu))
			return GS_XDP_DROP_SYNACK_RATE;
	}
	if (cfg->synack_per_src && s && !rst_bucket_take(&s->budget, win, cfg->synack_per_src))
		return GS_XDP_DROP_SYNACK_SRC;
	if (cpu)
		rst_bucket_take(cpu, win, cfg->synack_per_cpu);
	return GS__COUNT;
}

/* Count a frame to a protected port under its port's slot (struct guard_port.stats). */
SHAKEOFF_INLINE void port_stat_xdp(__u32 slot, int syn, int verdict, enum guard_stat why)
{
	struct guard_port_stats *p = bpf_map_lookup_elem(&guard_portstat, &slot);

	if (!p)
		return;
	p->syn += syn;
	if (why == GS_XDP_TX_SYNACK) {
		p->synack++;
	} else if (verdict == XDP_TX) {
		p->rst++;
	} else if (verdict == XDP_PASS) {
		p->pass++;
	} else {
		p->drop++;
		if (why == GS_XDP_DROP_SYNACK_RATE || why == GS_XDP_DROP_SYNACK_SRC)
			p->limited++;
		else if (why == GS_XDP_DROP_DENIED)
			p->denied++;
	}
}

SHAKEOFF_INLINE void port_stat_handoff(__u32 slot)
{
	struct guard_port_stats *p = bpf_map_lookup_elem(&guard_portstat, &slot);

	if (p)
		p->handoff++;
}

#endif /* GUARD_BENCH_NO_LIMITS */

#endif /* SHAKEOFF_BPF_GUARD_LIMITS_H */
