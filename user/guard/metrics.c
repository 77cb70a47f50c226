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

#include "core/attach.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stat_names.h"
#include "guard/counters.h"
#include "guard/guard.h"
#include "guard/metrics.h"
#include "metrics/groups.h"
#include "metrics/metrics.h"

#define NPORTS 65536
#define PORTS_FULL_NS (5 * 1000000000ULL)

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

	gm->ports_ok = read_ports(gm);
	return guard_counters_read(gm->stats_fd, gm->stats);
}

int guard_metrics_start(struct guard_metrics **gmp, const struct guard *g, const char *spec)
{
	struct guard_metrics *gm = calloc(1, sizeof(*gm));
	int err;

	*gmp = NULL;
	if (!gm)
		return 1;
	gm->stats_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_STATS);
	gm->ports_fd = prog_map_fd(g->xdp_prog_id, GUARD_MAP_PORTS);
	if (gm->stats_fd < 0 || gm->ports_fd < 0) {
		pr_warn("Failed to open guard's maps for --metrics: %s\n",
			strerror(-(gm->stats_fd < 0 ? gm->stats_fd : gm->ports_fd)));
		guard_metrics_stop(gm);
		return 1;
	}
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
	free(gm);
}
