/* SPDX-License-Identifier: GPL-2.0 */
/* guard's maps. Layouts and names come from include/shakeoff/guard_abi.h. */
#ifndef SHAKEOFF_BPF_GUARD_MAPS_H
#define SHAKEOFF_BPF_GUARD_MAPS_H

#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_cfg);
} guard_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GUARD_KEY_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_key);
} guard_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct guard_port);
} guard_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GS__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} guard_stats SEC(".maps");

/* SYNs per destination port (auto mode), read by the controller to detect floods. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} guard_synrate SEC(".maps");

/* 4-tuples seen closing or handed off lately (see struct guard_recent); the controller maps it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, GUARD_RECENT_BUCKETS);
	__type(key, __u32);
	__type(value, struct guard_recent);
} guard_recent SEC(".maps");

/* Handoffs in flight (see GUARD_INFLIGHT_NS): 4-tuple -> when. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GUARD_INFLIGHT_ENTRIES);
	__type(key, struct guard_tuple);
	__type(value, __u64);
} guard_inflight SEC(".maps");

/* RST budgets for stray segments: per source prefix (shared slots) and per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GUARD_RST_SRC_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_rst_bucket);
} guard_rst_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_rst_bucket);
} guard_rst_cpu SEC(".maps");

/* What guard passes, tail-called at index 0 if the controller put a program there (--next-prog). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} guard_next SEC(".maps");
/* Counters per protected port (struct guard_port.stats picks the slot). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_PORT_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_port_stats);
} guard_portstat SEC(".maps");

/* Source prefixes by SYN rate, and their SYN-ACK budget (see struct guard_src); mapped by views. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, GUARD_SRC_SLOTS);
	__type(key, __u32);
	__type(value, struct guard_src);
} guard_srcs SEC(".maps");

/* The SYN-ACK budget of all sources, per CPU (--synack-rate). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct guard_rst_bucket);
} guard_synackcpu SEC(".maps");

/* --allow and --deny source prefixes. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, GUARD_SRC_RULES_MAX);
	__type(key, struct guard_srclist_key);
	__type(value, struct guard_srclist_val);
} guard_srclist SEC(".maps");

#endif /* SHAKEOFF_BPF_GUARD_MAPS_H */
