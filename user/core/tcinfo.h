/* SPDX-License-Identifier: GPL-2.0 */
/* What else sits on an interface's TC ingress hook, so we can warn before sharing it. */
#ifndef SHAKEOFF_TCINFO_H
#define SHAKEOFF_TCINFO_H

#include <stddef.h>

/* Find a TC ingress program or filter on ifindex that is not ours.
 * Looks at (a) tcx ingress programs: bpf_prog_query_opts(ifindex, BPF_TCX_INGRESS, ...) and
 * their names via bpf_prog_get_fd_by_id + bpf_obj_get_info_by_fd; (b) classic filters under
 * the clsact or ingress qdisc: rtnetlink RTM_GETTFILTER dump with tcm_ifindex = ifindex and
 * tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS) (also works for the ingress qdisc,
 * ffff:fff1), reading TCA_KIND and for "bpf" filters TCA_BPF_NAME / TCA_BPF_ID from TCA_OPTIONS.
 * Programs named skip_name (may be NULL) are ours and ignored; the kernel keeps 15 characters
 * of a program name, and a "bpf" filter also counts as ours when its TCA_BPF_NAME is
 * skip_name or "skip_name:..." (as libbpf's bpf_tc_attach and iproute2 write it).
 * On finding one: writes a one-line description into buf ("tcx program 'NAME' (id N)",
 * "tc filter bpf 'NAME' (id N) pref P", "tc filter u32 pref P") and returns 1.
 * Returns 0 when there is none, -errno on failure. */
int tc_ingress_foreign(int ifindex, const char *skip_name, char *buf, size_t len);
/* How many filters sit under ifindex's clsact qdisc (both hooks), or -errno. */
int tc_clsact_filters(int ifindex);

#endif /* SHAKEOFF_TCINFO_H */
