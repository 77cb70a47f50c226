// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only frags-aware root (tests/integration/test_coexist.sh): the same
 * as root_tailcall.bpf.c but loaded with BPF_F_XDP_HAS_FRAGS, which the
 * kernel compares on every tail call: neither it can be guard's next program
 * (guard's array belongs to a plain XDP program), nor can guard be its stage.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fr_stages SEC(".maps");

SEC("xdp.frags")
int fr_root(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &fr_stages, 0);
	return XDP_PASS;
}
