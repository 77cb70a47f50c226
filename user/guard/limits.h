/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's limits from user space: the --allow/--deny source prefixes, the
 * SYN-ACK budgets (--synack-rate, --synack-rate-src) and the per-port
 * counter slots. guard_start() applies them; the config reload (SIGHUP) and
 * the runtime command call limits_apply() again on a running guard.
 * Layouts: include/shakeoff/guard_limits.h.
 */
#ifndef SHAKEOFF_GUARD_LIMITS_USER_H
#define SHAKEOFF_GUARD_LIMITS_USER_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>

#include "core/opts.h"

struct guard;
struct guard_opts;

/* Defaults of --synack-rate and --synack-rate-src (SYN-ACKs per second; 0: no limit). */
#define LIMITS_SYNACK_RATE 1000000
#define LIMITS_SYNACK_RATE_SRC 10000

/* One --allow or --deny prefix. */
struct guard_src_rule {
	struct ip_addr addr; /* host bits cleared */
	unsigned int prefix; /* 0-32 (IPv4), 0-128 (IPv6) */
	bool deny; /* false: allow */
};

/*
 * "10.0.0.0/8", "2001:db8::/32", a bare address (/32, /128) into *r, host
 * bits cleared. 0 or -EINVAL.
 */
int limits_rule_parse(const char *cidr, bool deny, struct guard_src_rule *r);

/*
 * Add a rule to o's list (o->src_rules, o->nsrc_rules): the same prefix
 * given again takes the later action. 0, -EINVAL (bad CIDR) or -ENOSPC
 * (GUARD_SRC_RULES_MAX reached).
 */
int limits_rule_add(struct guard_opts *o, const char *cidr, bool deny);

/*
 * The guard_portstat slot of the rank-th protected port (0-based, ports
 * ascending): its own below GUARD_PORT_STATS_SLOTS - 1, else the shared
 * GUARD_PORT_STATS_OTHER. Whoever writes guard_ports sets .stats from it.
 */
__u16 limits_port_slot(unsigned int rank);

/*
 * The limits' fields of guard_cfg from o: the budgets per CPU and per
 * prefix, src_rules. Whoever fills a whole guard_cfg (guard_fill_cfg())
 * calls it, so a rewrite of the configuration keeps the limits.
 */
void limits_cfg_fill(const struct guard_opts *o, struct guard_cfg *cfg);

/*
 * Replace the allow/deny list and the SYN-ACK budgets of the running guard
 * g with o's (o->src_rules, o->synack_rate, o->synack_rate_src; nothing
 * else of o is read). Prefixes in both lists keep working throughout; one
 * leaving the list stops matching at its delete. 0 or -errno (with one
 * pr_warn line); on error the guard keeps a mix of old and new entries and
 * the old budgets.
 */
int limits_apply(struct guard *g, const struct guard_opts *o);

#endif /* SHAKEOFF_GUARD_LIMITS_USER_H */
