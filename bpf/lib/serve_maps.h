/* SPDX-License-Identifier: GPL-2.0 */
/* serve's maps. Layouts and names come from include/shakeoff/serve_abi.h. */
#ifndef SHAKEOFF_BPF_SERVE_MAPS_H
#define SHAKEOFF_BPF_SERVE_MAPS_H

#include <shakeoff/serve_abi.h>

/* max_entries is --max-flows, set by the controller before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SERVE_DEFAULT_MAX_FLOWS);
	__type(key, struct serve_flow_key);
	__type(value, struct serve_flow);
} serve_flows SEC(".maps");

/* One AF_XDP socket per RX queue; max_entries at least the queue count. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SERVE_DEFAULT_XSK_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} serve_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct serve_cfg);
} serve_cfg SEC(".maps");

/* Cookie keys, written by the controller exactly like guard_keys. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GUARD_KEY_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_key);
} serve_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} serve_stats SEC(".maps");

/* SYN_RCVD entries: XDP adds and removes its own; the controller removes those it expires. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} serve_halfopen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct serve_rstlim);
} serve_rstlim SEC(".maps");

/* What serve passes, tail-called at index 0 if the controller put a program there (--next-prog). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} serve_next SEC(".maps");

#endif /* SHAKEOFF_BPF_SERVE_MAPS_H */
