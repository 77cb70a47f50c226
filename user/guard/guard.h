/* SPDX-License-Identifier: GPL-2.0 */
/* A running guard: the loaded programs, their configuration, attachments and pins. */
#ifndef SHAKEOFF_GUARD_H
#define SHAKEOFF_GUARD_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>

#include "guard/keys.h"
#include "guard/limits.h"
#include "core/opts.h"
#include "core/stage.h"

struct guard_bpf;

struct guard_opts {
	const char *ifname;
	bool ports[65536];
	unsigned int nports;
	struct ip_addr addrs[2 * GUARD_MAX_ADDRS];
	unsigned int naddrs;
	bool addrs_auto; /* no --addr: the interface's own, followed as they change */
	int mode; /* enum guard_cookie_mode */
	unsigned long syn_threshold; /* SYN/s per port that turns cookies on (auto) */
	__u32 xdp_flags; /* 0, XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	unsigned int mss; /* 0: from the MTU */
	int wscale; /* -1: as Linux would choose from tcp_rmem */
	unsigned int ttl;
	unsigned long rst_rate; /* RSTs to stray segments per second, all sources; 0: none */
	unsigned long rst_rate_src; /* ... per source /24 or /64 */
	unsigned long synack_rate; /* cookie SYN-ACKs per second, all sources; 0: no limit */
	unsigned long synack_rate_src; /* ... per source /24 or /64; 0: no limit */
	struct guard_src_rule src_rules[GUARD_SRC_RULES_MAX]; /* --allow, --deny */
	unsigned int nsrc_rules;
	const char *key_file;
	unsigned long key_overlap; /* seconds a key-file rollover accepts both secrets, per phase */
	bool fix_sysctls;
	struct coexist_opts share; /* --next-prog, --next-pin, --xdp-stage */
	char metrics[64]; /* --metrics ADDR:PORT, "": none (a copy: a config file's text goes) */
};

struct guard {
	struct guard_opts *o; /* the caller's; guard_apply() moves it to a new one */
	struct guard_bpf *skel;
	int ifindex;
	int link_up; /* for link_watch() */
	int xdp_link;
	int tc_link;
	__u32 xdp_prog_id;
	char pin_dir[128];
	struct key_source keys;
	__s64 clock_offset;
	struct guard_recent *recent; /* guard_recent, mapped */
	unsigned int reseed_ms; /* since TIME_WAIT sockets were last marked */
	__u16 *port_list; /* the protected ports, ascending */
	unsigned int nports;
	bool *listen4; /* [65536] */
	bool *listen6;
	/* auto mode */
	__u64 *syn_prev; /* per protected port: SYNs counted at the last tick */
	__u8 *calm_ticks; /* per protected port: ticks below threshold/2 while under attack */
	struct xdp_next next; /* --next-prog / --next-pin */
	struct xdp_stage stage; /* --xdp-stage (map_fd -1: none) */
};

/*
 * Check the system, load, configure, pin and attach. Returns 0, or an exit
 * code (EXIT_USAGE for what the user must fix, 1 otherwise) after printing
 * one line saying why.
 */
int guard_start(struct guard *g, struct guard_opts *o);
/* Keys, listeners, flood detection. tick_ms: time since the last call. Returns 0 or an exit code. */
int guard_tick(struct guard *g, unsigned int tick_ms, bool json);
int guard_stats_fd(const struct guard *g);
/*
 * guard_cfg from g->o and the interface (MTU, MAC, the host's addresses),
 * written whole in one update, and only if it differs from the map's.
 * Returns 1 written, 0 unchanged, or -errno after printing why.
 */
int guard_write_cfg(struct guard *g);
/* The kernel memory guard's maps take (fixed sizes: no option changes them). */
__u64 guard_maps_memlock(const struct guard *g);
/* Detach exactly what we attached and remove our pins. */
void guard_stop(struct guard *g);

#endif /* SHAKEOFF_GUARD_H */
