// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only root program (tests/integration/test_coexist.sh): what another
 * loader's XDP program does to run guard or serve as a stage. It counts each
 * frame in rt_seen, tail-calls index 0 of its PROG_ARRAY rt_stages (pinned
 * by the test) and passes the frame when the index is empty.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} rt_stages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rt_seen SEC(".maps");

SEC("xdp")
int rt_root(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&rt_seen, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_tail_call(ctx, &rt_stages, 0);
	return XDP_PASS;
}
