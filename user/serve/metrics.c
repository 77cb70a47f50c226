// SPDX-License-Identifier: GPL-2.0
/*
 * serve's families: so_serve_xdp's verdicts grouped as guard's are (one
 * family per action, label reason), the flow table counted by state at each
 * scrape, and the half-open count XDP keeps. Everything runs in the metrics
 * thread, on map fds of its own: never struct serve, which the event loop owns.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "core/attach.h"
#include "core/log.h"
#include "core/percpu.h"
#include "core/stat_names.h"
#include "metrics/groups.h"
#include "metrics/metrics.h"
#include "serve/metrics.h"
#include "serve/serve_int.h"

#define FLOW_BATCH 1024

struct serve_metrics {
	struct metrics *m;
	struct metrics_source src;
	int stats_fd;
	int flows_fd;
	int halfopen_fd;
	__u64 max_flows;
	__u64 stats[SS__COUNT];
	__u64 flows[TCPS__COUNT]; /* entries by state at this scrape */
	bool flows_ok;
	__s64 halfopen;
	struct serve_flow_key keys[FLOW_BATCH];
	struct serve_flow vals[FLOW_BATCH];
};

static const char *const serve_stat_help[SS__COUNT] = {
#define SERVE_STAT_HELP(id, name, help) [SS_##id] = help,
	SERVE_STATS(SERVE_STAT_HELP)
#undef SERVE_STAT_HELP
};

#define GROUP(prefix)                                                 \
	{                                                             \
		prefix, serve_stat_names, serve_stat_help, SS__COUNT, \
			offsetof(struct serve_metrics, stats)         \
	}

static const struct counter_group verdicts[] = {
	GROUP("pass_"),
	GROUP("tx_"),
	GROUP("drop_"),
	GROUP("xsk_"),
};

static const unsigned int syn_ids[] = {
	SS_TX_SYNACK,	    SS_TX_SYNACK_COOKIE, SS_TX_SYNACK_FULL,   SS_TX_SYNACK_HALFOPEN_FULL,
	SS_TX_SYNACK_AGAIN, SS_DROP_SYN_NOKEY,	 SS_TX_CHALLENGE_SYN,
};
static const unsigned int synack_ids[] = {
	SS_TX_SYNACK,	    SS_TX_SYNACK_COOKIE, SS_TX_SYNACK_FULL, SS_TX_SYNACK_HALFOPEN_FULL,
	SS_TX_SYNACK_AGAIN,
};
static const unsigned int established_ids[] = {
	SS_DROP_ESTABLISHED,
	SS_DROP_COOKIE_ESTABLISHED,
	SS_XSK_HANDSHAKE_DATA,
};

#define SUM(ids)                                                                         \
	{                                                                                \
		ids, sizeof(ids) / sizeof(ids[0]), offsetof(struct serve_metrics, stats) \
	}
static const struct counter_sum syns = SUM(syn_ids), synacks = SUM(synack_ids),
				established = SUM(established_ids);

static void collect_flows(struct expo *e, void *ctx, const void *arg)
{
	const struct serve_metrics *sm = ctx;
	unsigned int s;

	(void)arg;
	if (!sm->flows_ok)
		return;
	/* every state, also at 0: a chart or a query sees a series from the start */
	for (s = TCPS_SYN_RCVD; s < TCPS__COUNT; s++)
		expo_u64(e, sm->flows[s], "state", tcp_state_name(s), NULL);
}

static void collect_flows_max(struct expo *e, void *ctx, const void *arg)
{
	const struct serve_metrics *sm = ctx;

	(void)arg;
	expo_u64(e, sm->max_flows, NULL);
}

static void collect_halfopen(struct expo *e, void *ctx, const void *arg)
{
	const struct serve_metrics *sm = ctx;

	(void)arg;
	expo_u64(e, sm->halfopen > 0 ? (__u64)sm->halfopen : 0, NULL);
}

static const struct metric_family serve_families[] = {
	{ "shakeoff_serve_xdp_pass_total", METRIC_COUNTER,
	  "Packets serve's XDP program passed to the kernel untouched, by reason",
	  counter_group_help, counter_group_collect, &verdicts[0] },
	{ "shakeoff_serve_xdp_tx_total", METRIC_COUNTER,
	  "Packets serve's XDP program answered (XDP_TX), by reason", counter_group_help,
	  counter_group_collect, &verdicts[1] },
	{ "shakeoff_serve_xdp_drop_total", METRIC_COUNTER,
	  "Packets serve's XDP program consumed or refused (XDP_DROP), by reason: a handshake's final ACK is consumed (established)",
	  counter_group_help, counter_group_collect, &verdicts[2] },
	{ "shakeoff_serve_xdp_redirect_total", METRIC_COUNTER,
	  "Packets serve's XDP program sent to the controller over AF_XDP, by reason",
	  counter_group_help, counter_group_collect, &verdicts[3] },
	{ "shakeoff_serve_syn_total", METRIC_COUNTER,
	  "SYNs to the served port, whatever the verdict (SYN-ACKs, drop syn_nokey, tx challenge_syn)",
	  NULL, counter_sum_collect, &syns },
	{ "shakeoff_serve_synack_total", METRIC_COUNTER,
	  "SYN-ACKs XDP sent: stateful, cookie, table or half-open bound full, again", NULL,
	  counter_sum_collect, &synacks },
	{ "shakeoff_serve_established_total", METRIC_COUNTER,
	  "Handshakes completed: flows that became ESTABLISHED in XDP", NULL, counter_sum_collect,
	  &established },
	{ "shakeoff_serve_flows", METRIC_GAUGE, "Flow table entries by TCP state", NULL,
	  collect_flows },
	{ "shakeoff_serve_flows_max", METRIC_GAUGE, "Flow table size (--max-flows)", NULL,
	  collect_flows_max },
	{ "shakeoff_serve_half_open", METRIC_GAUGE,
	  "SYN_RCVD entries as XDP counts them against --max-half-open", NULL, collect_halfopen },
};

const char *serve_metrics_family_of(unsigned int id, const char **reason)
{
	size_t i;

	for (i = 0; i < sizeof(serve_families) / sizeof(serve_families[0]); i++) {
		if (serve_families[i].collect != counter_group_collect)
			continue;
		*reason = counter_group_reason(serve_families[i].arg, id);
		if (*reason)
			return serve_families[i].name;
	}
	return NULL;
}

/* The flow table by state, in batches; false if it cannot be read. */
static bool count_flows(struct serve_metrics *sm)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct serve_flow_key batch;
	void *in = NULL;
	__u32 count, i;
	int err;

	memset(sm->flows, 0, sizeof(sm->flows));
	for (;;) {
		count = FLOW_BATCH;
		err = bpf_map_lookup_batch(sm->flows_fd, in, &batch, sm->keys, sm->vals, &count,
					   &opts);
		if (err && errno != ENOENT)
			return false;
		for (i = 0; i < count; i++)
			if (sm->vals[i].state < TCPS__COUNT)
				sm->flows[sm->vals[i].state]++;
		if (err)
			return true; /* ENOENT: the walk is over */
		in = &batch;
	}
}

static int serve_snapshot(void *ctx)
{
	struct serve_metrics *sm = ctx;
	__u32 zero = 0;

	sm->flows_ok = count_flows(sm);
	if (bpf_map_lookup_elem(sm->halfopen_fd, &zero, &sm->halfopen))
		sm->halfopen = 0;
	return percpu_sum_array(sm->stats_fd, sm->stats, SS__COUNT);
}

int serve_metrics_start(struct serve_metrics **smp, const struct serve *s, const char *spec)
{
	struct serve_metrics *sm = calloc(1, sizeof(*sm));
	int err;

	*smp = NULL;
	if (!sm)
		return 1;
	sm->stats_fd = prog_map_fd(s->xdp_prog_id, SERVE_MAP_STATS);
	sm->flows_fd = prog_map_fd(s->xdp_prog_id, SERVE_MAP_FLOWS);
	sm->halfopen_fd = prog_map_fd(s->xdp_prog_id, SERVE_MAP_HALFOPEN);
	if (sm->stats_fd < 0 || sm->flows_fd < 0 || sm->halfopen_fd < 0) {
		pr_warn("Failed to open serve's maps for --metrics: %s\n",
			strerror(-(sm->stats_fd < 0 ? sm->stats_fd :
				   sm->flows_fd < 0 ? sm->flows_fd :
						      sm->halfopen_fd)));
		serve_metrics_stop(sm);
		return 1;
	}
	sm->max_flows = s->o->max_flows;
	sm->src = (struct metrics_source){
		.command = "serve",
		.iface = s->o->ifname,
		.families = serve_families,
		.nfamilies = sizeof(serve_families) / sizeof(serve_families[0]),
		.snapshot = serve_snapshot,
		.ctx = sm,
	};
	err = metrics_start(&sm->m, spec, &sm->src);
	if (err) {
		serve_metrics_stop(sm);
		return err;
	}
	*smp = sm;
	return 0;
}

void serve_metrics_stop(struct serve_metrics *sm)
{
	if (!sm)
		return;
	metrics_stop(sm->m);
	if (sm->stats_fd >= 0)
		close(sm->stats_fd);
	if (sm->flows_fd >= 0)
		close(sm->flows_fd);
	if (sm->halfopen_fd >= 0)
		close(sm->halfopen_fd);
	free(sm);
}
