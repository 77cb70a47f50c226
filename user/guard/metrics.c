// SPDX-License-Identifier: GPL-2.0
/*
 * guard's families. The verdict counters of guard_stats.h go to one family
 * per stage and action, the counter's name minus the prefix as label reason,
 * so "drops by reason" is sum by (reason) (rate(shakeoff_guard_xdp_drop_total[1m])).
 * A new counter named by the same scheme lands in its family without a
 * change here. Everything runs in the metrics thread, on fds of its own.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/attach.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/percpu.h"
#include "core/stat_names.h"
#include "guard/counters.h"
#include "guard/guard.h"
#include "guard/metrics.h"
#include "guard/views.h"
#include "metrics/groups.h"
#include "metrics/metrics.h"

#define NPORTS 65536
#define PORTS_FULL_NS (5 * 1000000000ULL)
#define TOP_SOURCES 10
#define PORT_WORDS (sizeof(struct guard_port_stats) / sizeof(__u64))

struct guard_metrics {
	struct metrics *m;
	struct metrics_source src;
	int stats_fd;
	int ports_fd;
	__u64 stats[GS__COUNT];
	bool ports_ok; /* ports read at this scrape */
	struct guard_port ports[NPORTS];
	__u32 keys[NPORTS]; /* the batch lookup's keys */
	__u16 flagged[NPORTS]; /* ports with flags at the last full read */
	unsigned int nflagged;
	__u64 full_read_ns; /* when guard_ports was last read whole */
	int portstat_fd;
	int cfg_fd;
	struct guard_views views; /* guard_srcs mapped, for the top sources */
	struct guard_port_stats slots[GUARD_PORT_STATS_SLOTS]; /* summed over the CPUs */
	bool slots_ok;
	struct guard_src_view top[TOP_SOURCES];
	int ntop; /* < 0: not read */
	struct guard_cfg cfg;
	bool cfg_ok;
	unsigned int ncpu;
};

#define GROUP(prefix)                                                 \
	{                                                             \
		prefix, guard_stat_names, guard_stat_help, GS__COUNT, \
			offsetof(struct guard_metrics, stats)         \
	}

/* The verdict families, in the order of guard_families[]. */
static const struct counter_group verdicts[] = {
	GROUP("xdp_pass_"),
	GROUP("xdp_tx_"),
	GROUP("xdp_drop_"),
	GROUP("tc_"),
};

static const unsigned int syn_ids[] = {
	GS_XDP_TX_SYNACK,     GS_XDP_TX_RST_NO_LISTENER, GS_XDP_PASS_SYN_CALM,
	GS_XDP_PASS_SYN_CONN, GS_XDP_DROP_SYN_FIN,	 GS_XDP_DROP_SYN_RST,
};

static const struct counter_sum syns = { syn_ids, sizeof(syn_ids) / sizeof(syn_ids[0]),
					 offsetof(struct guard_metrics, stats) };

/* Port gauges: arg is the flag; listener flags get the label family. */
static void collect_port_flag(struct expo *e, void *ctx, const void *arg)
{
	const struct guard_metrics *gm = ctx;
	unsigned int flag = *(const unsigned int *)arg, p;
	char port[8];

	if (!gm->ports_ok)
		return;
	for (p = 0; p < NPORTS; p++) {
		__u8 f = gm->ports[p].flags;

		if (!(f & PORT_PROTECTED))
			continue;
		snprintf(port, sizeof(port), "%u", p);
		if (flag == PORT_LISTEN4) {
			expo_u64(e, !!(f & PORT_LISTEN4), "port", port, "family", "ipv4", NULL);
			expo_u64(e, !!(f & PORT_LISTEN6), "port", port, "family", "ipv6", NULL);
		} else {
			expo_u64(e, !!(f & flag), "port", port, NULL);
		}
	}
}

/*
 * Per-port counters: arg is the offset of the counter in guard_port_stats.
 * Ports with a slot of their own by number; the ports beyond the bound
 * share slot GUARD_PORT_STATS_OTHER, one sample port="other".
 */
static __u64 port_word(const struct guard_port_stats *c, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static void collect_port_stat(struct expo *e, void *ctx, const void *arg)
{
	const struct guard_metrics *gm = ctx;
	size_t off = *(const size_t *)arg;
	bool other = false;
	unsigned int p;
	char port[8];

	if (!gm->ports_ok || !gm->slots_ok)
		return;
	for (p = 0; p < NPORTS; p++) {
		const struct guard_port *gp = &gm->ports[p];

		if (!(gp->flags & PORT_PROTECTED))
			continue;
		if (gp->stats == GUARD_PORT_STATS_OTHER || gp->stats >= GUARD_PORT_STATS_SLOTS) {
			other = true;
			continue;
		}
		snprintf(port, sizeof(port), "%u", p);
		expo_u64(e, port_word(&gm->slots[gp->stats], off), "port", port, NULL);
	}
	if (other)
		expo_u64(e, port_word(&gm->slots[GUARD_PORT_STATS_OTHER], off), "port", "other",
			 NULL);
}

#define PORT_STAT(field) static const size_t port_##field = offsetof(struct guard_port_stats, field)
PORT_STAT(syn);
PORT_STAT(synack);
PORT_STAT(rst);
PORT_STAT(pass);
PORT_STAT(drop);
PORT_STAT(limited);
PORT_STAT(denied);
PORT_STAT(handoff);

/* Top sources: arg true for the SYN-ACK rate, false for the SYN rate. */
static void collect_top(struct expo *e, void *ctx, const void *arg)
{
	const struct guard_metrics *gm = ctx;
	bool synack = *(const bool *)arg;
	char prefix[64];
	int i;

	for (i = 0; i < gm->ntop; i++)
		expo_double(e, synack ? gm->top[i].synack_rate : gm->top[i].syn_rate, "prefix",
			    views_src_str(&gm->top[i], prefix, sizeof(prefix)), NULL);
}

static const bool top_syn = false, top_synack = true;

static void collect_budget(struct expo *e, void *ctx, const void *arg)
{
	const struct guard_metrics *gm = ctx;

	(void)arg;
	if (!gm->cfg_ok)
		return;
	expo_u64(e, (__u64)gm->cfg.synack_per_cpu * gm->ncpu, "scope", "global", NULL);
	expo_u64(e, gm->cfg.synack_per_src, "scope", "source", NULL);
}

static void collect_rules(struct expo *e, void *ctx, const void *arg)
{
	const struct guard_metrics *gm = ctx;

	(void)arg;
	if (gm->cfg_ok)
		expo_u64(e, gm->cfg.src_rules, NULL);
}

static const unsigned int flag_protected = PORT_PROTECTED, flag_listen = PORT_LISTEN4,
			  flag_attack = PORT_UNDER_ATTACK;

/* One entry per family: what /metrics shows, in this order. */
static const struct metric_family guard_families[] = {
	{ "shakeoff_guard_xdp_pass_total", METRIC_COUNTER,
	  "Packets guard's XDP program passed to the kernel untouched, by reason",
	  counter_group_help, counter_group_collect, &verdicts[0] },
	{ "shakeoff_guard_xdp_tx_total", METRIC_COUNTER,
	  "Packets guard's XDP program answered (XDP_TX), by reason", counter_group_help,
	  counter_group_collect, &verdicts[1] },
	{ "shakeoff_guard_xdp_drop_total", METRIC_COUNTER,
	  "Packets guard's XDP program dropped, by reason", counter_group_help,
	  counter_group_collect, &verdicts[2] },
	{ "shakeoff_guard_tc_total", METRIC_COUNTER,
	  "Packets guard's TC ingress program saw, by verdict (handoff: a cookie ACK handed to the listener)",
	  counter_group_help, counter_group_collect, &verdicts[3] },
	{ "shakeoff_guard_syn_total", METRIC_COUNTER,
	  "SYNs to protected ports, whatever the verdict: xdp_tx synack and rst_no_listener, xdp_pass syn_calm and syn_conn, xdp_drop syn_fin and syn_rst",
	  NULL, counter_sum_collect, &syns },
	{ "shakeoff_guard_port_protected", METRIC_GAUGE, "1 for each port guard protects", NULL,
	  collect_port_flag, &flag_protected },
	{ "shakeoff_guard_port_listener", METRIC_GAUGE,
	  "1 if a kernel listener takes the protected port over this address family", NULL,
	  collect_port_flag, &flag_listen },
	{ "shakeoff_guard_port_under_attack", METRIC_GAUGE,
	  "1 while the protected port's SYN rate is above --syn-threshold (cookies auto)", NULL,
	  collect_port_flag, &flag_attack },
	{ "shakeoff_guard_port_syn_total", METRIC_COUNTER,
	  "SYNs that reached guard's SYN stage, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_syn },
	{ "shakeoff_guard_port_synack_total", METRIC_COUNTER,
	  "Cookie SYN-ACKs sent, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_synack },
	{ "shakeoff_guard_port_rst_total", METRIC_COUNTER,
	  "RSTs sent (no listener, stray segments), per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_rst },
	{ "shakeoff_guard_port_pass_total", METRIC_COUNTER,
	  "Segments XDP passed to the kernel, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_pass },
	{ "shakeoff_guard_port_drop_total", METRIC_COUNTER,
	  "Segments XDP dropped, any reason, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_drop },
	{ "shakeoff_guard_port_limited_total", METRIC_COUNTER,
	  "SYNs dropped over a SYN-ACK budget, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_limited },
	{ "shakeoff_guard_port_denied_total", METRIC_COUNTER,
	  "Segments dropped from a denied source prefix, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_denied },
	{ "shakeoff_guard_port_handoff_total", METRIC_COUNTER,
	  "Cookie ACKs TC handed to the listener, per protected port (port other: the ports beyond the first 63, together)",
	  NULL, collect_port_stat, &port_handoff },
	{ "shakeoff_guard_source_syn_rate", METRIC_GAUGE,
	  "SYNs per second from the source prefixes (/24, /64) sending the most, over the last window of 1.07 s (top 10)",
	  NULL, collect_top, &top_syn },
	{ "shakeoff_guard_source_synack_rate", METRIC_GAUGE,
	  "Cookie SYN-ACKs per second to the same top source prefixes", NULL, collect_top,
	  &top_synack },
	{ "shakeoff_guard_synack_budget", METRIC_GAUGE,
	  "Cookie SYN-ACKs allowed per window of 1.07 s: scope global (--synack-rate, per CPU times the CPUs) and per source prefix (--synack-rate-src); 0: no limit",
	  NULL, collect_budget, NULL },
	{ "shakeoff_guard_source_rules", METRIC_GAUGE,
	  "Allow and deny rules of source prefixes in force (--allow, --deny, shakeoff src)", NULL,
	  collect_rules, NULL },
};

const char *guard_metrics_family_of(unsigned int id, const char **reason)
{
	size_t i;

	for (i = 0; i < sizeof(guard_families) / sizeof(guard_families[0]); i++) {
		if (guard_families[i].collect != counter_group_collect)
			continue;
		*reason = counter_group_reason(guard_families[i].arg, id);
		if (*reason)
			return guard_families[i].name;
	}
	return NULL;
}

/* All of guard_ports in one batch (65536 entries: ~40 ms); false if it cannot be read. */
static bool read_ports_full(struct guard_metrics *gm)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 out_batch = 0, count, done = 0, p;
	void *in = NULL;
	int err;

	while (done < NPORTS) {
		count = NPORTS - done;
		err = bpf_map_lookup_batch(gm->ports_fd, in, &out_batch, gm->keys + done,
					   gm->ports + done, &count, &opts);
		done += count;
		if (err && (errno != ENOENT || done != NPORTS))
			return false;
		if (err)
			break;
		in = &out_batch;
	}
	gm->nflagged = 0;
	for (p = 0; p < NPORTS; p++)
		if (gm->ports[p].flags)
			gm->flagged[gm->nflagged++] = (__u16)p;
	return true;
}

/*
 * The ports' flags: the ports flagged at the last full read looked up one
 * by one (their flags change: listeners, attacks), the whole array every
 * PORTS_FULL_NS (ports added or removed by the controller).
 */
static bool read_ports(struct guard_metrics *gm)
{
	__u64 now = clock_mono_ns();
	unsigned int i;
	__u32 key;

	if (!gm->full_read_ns || now - gm->full_read_ns >= PORTS_FULL_NS) {
		if (!read_ports_full(gm))
			return false;
		gm->full_read_ns = now;
		return true;
	}
	for (i = 0; i < gm->nflagged; i++) {
		key = gm->flagged[i];
		if (bpf_map_lookup_elem(gm->ports_fd, &key, &gm->ports[key]))
			return false;
	}
	return true;
}

static int guard_snapshot(void *ctx)
{
	struct guard_metrics *gm = ctx;

	__u32 slot, zero = 0;

	gm->ports_ok = read_ports(gm);
	gm->slots_ok = true;
	for (slot = 0; slot < GUARD_PORT_STATS_SLOTS && gm->slots_ok; slot++)
		gm->slots_ok =
			!percpu_sum(gm->portstat_fd, &slot, (__u64 *)&gm->slots[slot], PORT_WORDS);
	gm->ntop = views_top(&gm->views, gm->top, TOP_SOURCES);
	gm->cfg_ok = !bpf_map_lookup_elem(gm->cfg_fd, &zero, &gm->cfg);
	return guard_counters_read(gm->stats_fd, gm->stats);
}

int guard_metrics_start(struct guard_metrics **gmp, const struct guard *g, const char *spec)
{
	struct guard_metrics *gm = calloc(1, sizeof(*gm));
	int err, srcs_fd, ncpu;

	*gmp = NULL;
	if (!gm)
		return 1;
	gm->views.srcs_fd = -1;
	gm->stats_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_STATS);
	gm->ports_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_PORTS);
	gm->portstat_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_PORT_STATS);
	gm->cfg_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_CFG);
	srcs_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_SRCS);
	err = gm->stats_fd < 0	  ? gm->stats_fd :
	      gm->ports_fd < 0	  ? gm->ports_fd :
	      gm->portstat_fd < 0 ? gm->portstat_fd :
	      gm->cfg_fd < 0	  ? gm->cfg_fd :
	      srcs_fd < 0	  ? srcs_fd :
			    views_from_fds(&gm->views, gm->ports_fd, gm->portstat_fd, srcs_fd);
	if (err) {
		pr_warn("Failed to open guard's maps for --metrics: %s\n", strerror(-err));
		if (srcs_fd >= 0)
			close(srcs_fd);
		gm->views.srcs_fd = -1;
		guard_metrics_stop(gm);
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	gm->ncpu = ncpu > 0 ? (unsigned int)ncpu : 1;
	gm->src = (struct metrics_source){
		.command = "guard",
		.iface = g->o->ifname,
		.families = guard_families,
		.nfamilies = sizeof(guard_families) / sizeof(guard_families[0]),
		.snapshot = guard_snapshot,
		.ctx = gm,
	};
	err = metrics_start(&gm->m, spec, &gm->src);
	if (err) {
		guard_metrics_stop(gm);
		return err;
	}
	*gmp = gm;
	return 0;
}

void guard_metrics_stop(struct guard_metrics *gm)
{
	if (!gm)
		return;
	metrics_stop(gm->m);
	if (gm->stats_fd >= 0)
		close(gm->stats_fd);
	if (gm->ports_fd >= 0)
		close(gm->ports_fd);
	if (gm->portstat_fd >= 0)
		close(gm->portstat_fd);
	if (gm->cfg_fd >= 0)
		close(gm->cfg_fd);
	/* views_from_fds() does not own the fds: srcs_fd is ours to close */
	if (gm->views.srcs_fd >= 0)
		close(gm->views.srcs_fd);
	views_close(&gm->views);
	free(gm);
}
