/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The budgets of the RSTs guard sends to stray segments (an ACK or FIN for
 * no connection, which Linux answers with a RST): per source prefix, /24 or
 * /64, in shared hashed slots, and per CPU. Linux bounds its own answers to
 * out-of-window segments the same way (tcp_invalid_ratelimit, and the
 * global challenge-ACK limit); without a bound a spoofed ACK flood would make
 * guard a reflector. Layout: include/shakeoff/guard_abi.h.
 */
#ifndef SHAKEOFF_BPF_GUARD_RST_H
#define SHAKEOFF_BPF_GUARD_RST_H

#include "guard_maps.h"
#include "parse.h"

/* A hash of f's source prefix, /24 or /64 (the RST and SYN-ACK budgets' slots). */
SHAKEOFF_INLINE __u32 src_prefix_hash(const struct frame *f)
{
	__u32 p = f->ipv6 ? f->saddr[0] ^ (f->saddr[1] * 0x9e3779b1U) :
			    f->saddr[0] & bpf_htonl(0xffffff00);

	p *= 0x85ebca6bU;
	return p ^ (p >> 15);
}

SHAKEOFF_INLINE __u32 rst_src_slot(const struct frame *f)
{
	return src_prefix_hash(f) & (GUARD_RST_SRC_SLOTS - 1);
}

/* Take one from bucket b's budget of `limit` in window `win`; 0 if it is spent. */
SHAKEOFF_INLINE int rst_bucket_take(struct guard_rst_bucket *b, __u32 win, __u32 limit)
{
	if (b->window != win) {
		b->window = win;
		b->count = 0;
	}
	if (b->count >= limit)
		return 0;
	b->count++;
	return 1;
}

/* May guard send f's sender a RST now? Takes from both budgets when it may. */
SHAKEOFF_INLINE int rst_budget_take(const struct guard_cfg *cfg, const struct frame *f,
				    __u64 now_ns)
{
	__u32 win = now_ns >> GUARD_RST_SHIFT, zero = 0, slot = rst_src_slot(f);
	struct guard_rst_bucket *src, *cpu;

	if (!cfg->rst_per_cpu || !cfg->rst_per_src)
		return 0;
	src = bpf_map_lookup_elem(&guard_rst_src, &slot);
	cpu = bpf_map_lookup_elem(&guard_rst_cpu, &zero);
	if (!src || !cpu)
		return 0;
	/* the per-CPU count first: a source over its budget must not spend the CPU's */
	if (cpu->window == win && cpu->count >= cfg->rst_per_cpu)
		return 0;
	if (!rst_bucket_take(src, win, cfg->rst_per_src))
		return 0;
	return rst_bucket_take(cpu, win, cfg->rst_per_cpu);
}

#endif /* SHAKEOFF_BPF_GUARD_RST_H */
