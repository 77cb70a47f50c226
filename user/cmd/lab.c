// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff lab: attach, read and detach the helper programs of
 * bpf/lab.bpf.c. The XDP ones are attached through legacy netlink XDP (no
 * bpf_link), the TC pair of `lossy` as legacy cls_bpf filters under a clsact
 * qdisc, so they stay after we exit; `lab read` and `lab detach` find them
 * again by the interface's XDP program id, or the filters' fixed handle and
 * priority, and the programs' names, from any process.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/lab.h>
#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/attach.h"
#include "core/iface.h"
#include "lab.skel.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/percpu.h"
#include "core/stat_names.h"
#include "core/tcinfo.h"
#include "core/jsonl.h"
#include "lab/report.h"

static const char *const lab_prog_names[LAB__COUNT] = {
#define LAB_PROG_NAME(id, name) [LAB_##id] = name,
	LAB_PROGS(LAB_PROG_NAME)
#undef LAB_PROG_NAME
};

static const struct optab attach_optab[] = {
	{ "drop-replies", 'r', NULL, "count: drop what a flood gets back (SYN, SYN-ACK, RST)" },
	{ "percent", 'p', "P", "drop: share to drop, 0-100, fractions allowed (default 1)" },
	{ "seed", 's', "N",
	  "drop, lossy: seed of the per-CPU draws; the same seed\ngives the same drops on each CPU (default 1)" },
	{ "drop-percent", 'D', "P", "lossy: share of segments to drop (default 0)" },
	{ "reorder-percent", 'R', "R", "lossy: share of data segments to hold back (default 0)" },
	{ "reorder-depth", 'K', "K", "lossy: later segments that pass a held one (default 3)" },
	{ "hold-ms", 'H', "MS",
	  "lossy: a held segment goes out with the next frame of\nits direction after MS even if fewer passed (default 50)" },
	{ "drop-synacks", 'S', "N", "lossy: drop the first N SYN-ACKs arriving (default 0)" },
	{ "xdp-mode", 'm', "MODE", "native (default) or generic" },
	OPTAB_HELP,
};

static const struct optab read_optab[] = {
	{ "json", 'j', NULL, "one JSON object instead of `name value` lines" },
	OPTAB_HELP,
};

static const struct optab detach_optab[] = { OPTAB_HELP };

static void usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff lab attach IFACE reflect|count|pass|drop|lossy [OPTIONS]\n"
		   "       shakeoff lab read IFACE [--json]\n"
		   "       shakeoff lab detach IFACE\n"
		   "       shakeoff lab report DIR [--json] [--no-plots]\n"
		   "\n"
		   "Helper programs for tests and benchmarks. They stay attached after the\n"
		   "command exits (netlink XDP, not a bpf_link; lossy: TC filters under a clsact\n"
		   "qdisc) until `lab detach`, which removes nothing but lab programs (and the\n"
		   "clsact qdisc once no filter is left in it). attach refuses an interface that\n"
		   "already has an XDP program (lossy: that already has lossy); lossy is TC and\n"
		   "goes beside any XDP program.\n"
		   "\n"
		   "Programs:\n"
		   "  reflect  swap the Ethernet MACs and XDP_TX every frame\n"
		   "  count    count TCP by kind (syn, synack, rst, fin, ack, tcp_other, not_tcp)\n"
		   "           and pass everything\n"
		   "  pass     count frames and XDP_PASS them (a veth only delivers XDP_TX frames\n"
		   "           to a peer that runs an XDP program)\n"
		   "  drop     drop a pseudo-random share of TCP segments with payload or FIN\n"
		   "  lossy    TC, both directions: drop a share of TCP segments with payload or\n"
		   "           FIN, and hold a share of data segments back until DEPTH later\n"
		   "           segments of the flow have passed (reordering), one at a time per\n"
		   "           direction; out_* counters are egress, in_* ingress\n"
		   "\n"
		   "Attach options:\n");
	optab_print(f, attach_optab);
	fprintf(f, "\nRead options:\n");
	optab_print(f, read_optab);
}

/* ifindex of name; a message and -EXIT_USAGE if there is no such interface. */
static int lab_iface(const char *name)
{
	int ifindex = iface_index(name);

	if (ifindex < 0) {
		pr_warn("unknown interface '%s'\n", name);
		return -EXIT_USAGE;
	}
	return ifindex;
}

/* Index of the lab program called name, or -1. */
static int lab_prog_by_name(const char *name)
{
	size_t plen = strlen(LAB_PROG_PREFIX);
	int i;

	if (strncmp(name, LAB_PROG_PREFIX, plen))
		return -1;
	for (i = 0; i < LAB__COUNT; i++)
		if (!strcmp(name + plen, lab_prog_names[i]))
			return i;
	return -1;
}

/* One attached XDP program: its id and the mode flag that detaches it. */
struct xdp_slot {
	__u32 id;
	__u32 mode_flag;
	const char *mode;
};

/* The programs attached to ifindex, at most one per mode; returns how many or -errno. */
static int xdp_slots(int ifindex, struct xdp_slot slots[3])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err, n = 0;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.drv_prog_id)
		slots[n++] = (struct xdp_slot){ q.drv_prog_id, XDP_FLAGS_DRV_MODE, "native" };
	if (q.skb_prog_id)
		slots[n++] = (struct xdp_slot){ q.skb_prog_id, XDP_FLAGS_SKB_MODE, "generic" };
	if (q.hw_prog_id)
		slots[n++] = (struct xdp_slot){ q.hw_prog_id, XDP_FLAGS_HW_MODE, "offload" };
	return n;
}

/* The first lab program on ifindex; -ENOENT if there is none, the name of a foreign one in other. */
static int lab_find(int ifindex, struct xdp_slot *slot, char *other, size_t other_len)
{
	struct xdp_slot slots[3] = {};
	struct prog_ref p;
	int n, i, prog;

	snprintf(other, other_len, "%s", "");
	n = xdp_slots(ifindex, slots);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (prog_ref_by_id(slots[i].id, &p))
			continue; /* gone meanwhile */
		prog = lab_prog_by_name(p.name);
		if (prog >= 0) {
			*slot = slots[i];
			return prog;
		}
		snprintf(other, other_len, "%s (id %u)", p.name, slots[i].id);
	}
	return -ENOENT;
}

/* lossy's two filters: where they sit and what they are called */
static const struct {
	enum bpf_tc_attach_point point;
	const char *prog;
	const char *hook;
} lab_tc_hooks[2] = {
	[LAB_DIR_OUT] = { BPF_TC_EGRESS, LAB_TC_PROG_OUT, "egress" },
	[LAB_DIR_IN] = { BPF_TC_INGRESS, LAB_TC_PROG_IN, "ingress" },
};

/* The program id of the filter at lab's handle/priority on one hook, 0 if none. */
static __u32 lab_tc_query(int ifindex, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = lab_tc_hooks[dir].point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = LAB_TC_HANDLE, .priority = LAB_TC_PRIO);

	if (bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

/* Ids of lossy's programs on ifindex (0 where absent); returns how many are ours. */
static int lab_tc_find(int ifindex, __u32 ids[2])
{
	struct prog_ref p;
	int dir, n = 0;

	for (dir = 0; dir < 2; dir++) {
		ids[dir] = lab_tc_query(ifindex, dir);
		if (ids[dir] && (prog_ref_by_id(ids[dir], &p) ||
				 strncmp(p.name, lab_tc_hooks[dir].prog, BPF_OBJ_NAME_LEN - 1)))
			ids[dir] = 0; /* gone meanwhile, or someone else's filter */
		n += !!ids[dir];
	}
	return n;
}

/* Remove lossy's filters from ifindex, and the clsact qdisc if nothing else is in it. */
static int lab_tc_detach(int ifindex, const char *ifname, const __u32 ids[2])
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	int dir, err, left;

	for (dir = 0; dir < 2; dir++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = LAB_TC_HANDLE, .priority = LAB_TC_PRIO);

		if (!ids[dir])
			continue;
		hook.attach_point = lab_tc_hooks[dir].point;
		err = bpf_tc_detach(&hook, &opts);
		if (err && err != -ENOENT) {
			pr_warn("Failed to detach TC program %s from %s %s: %s\n",
				lab_tc_hooks[dir].prog, ifname, lab_tc_hooks[dir].hook,
				strerror(-err));
			return 1;
		}
	}
	left = tc_clsact_filters(ifindex);
	if (left == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -EINVAL)
			pr_warn("Failed to remove the clsact qdisc of %s: %s\n", ifname,
				strerror(-err));
	}
	pr_info("detached %s%s from %s (TC)\n", LAB_PROG_PREFIX, lab_prog_names[LAB_LOSSY], ifname);
	return 0;
}

/* Attach lossy's two programs of the loaded skel to ifindex; 0 or an exit code. */
static int lab_tc_attach(struct lab_bpf *skel, int ifindex, const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int fds[2] = { bpf_program__fd(skel->progs.so_lab_lossy_tx),
		       bpf_program__fd(skel->progs.so_lab_lossy_rx) };
	int dir, err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_warn("Failed to create a clsact qdisc on %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	for (dir = 0; dir < 2; dir++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = LAB_TC_HANDLE, .priority = LAB_TC_PRIO,
			    .prog_fd = fds[dir]);

		hook.attach_point = lab_tc_hooks[dir].point;
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			pr_warn("Failed to attach TC program %s to %s %s: %s\n",
				lab_tc_hooks[dir].prog, ifname, lab_tc_hooks[dir].hook,
				strerror(-err));
			if (dir) {
				__u32 ids[2] = { 1, 0 };

				lab_tc_detach(ifindex, ifname, ids);
			}
			return err == -EEXIST ? EXIT_USAGE : 1;
		}
	}
	return 0;
}

static int lab_attach(int argc, char **argv)
{
	const char *cmd = "lab attach";
	bool drop_replies = false, have_percent = false, have_seed = false, have_lossy = false;
	__u32 mode_flag = XDP_FLAGS_DRV_MODE, tc_ids[2];
	unsigned long seed = 1, depth = 3, hold_ms = 50, synacks = 0;
	double percent = 1.0, drop_pct = 0, reorder_pct = 0;
	struct lab_bpf *skel = NULL;
	struct bpf_program *progs[LAB__COUNT];
	struct prog_ref here;
	int opt, ifindex, prog, i, err;

	optab_reset();
	while ((opt = optab_next(argc, argv, cmd, attach_optab)) != OPTAB_END) {
		switch (opt) {
		case 'r':
			drop_replies = true;
			break;
		case 'p':
			if (parse_double(optarg, 0, 100, &percent))
				return usage_error(cmd, "--percent wants 0-100, got '%s'", optarg);
			have_percent = true;
			break;
		case 's':
			if (parse_ulong(optarg, 0, ULONG_MAX, &seed))
				return usage_error(cmd, "--seed wants a number, got '%s'", optarg);
			have_seed = true;
			break;
		case 'D':
			if (parse_double(optarg, 0, 100, &drop_pct))
				return usage_error(cmd, "--drop-percent wants 0-100, got '%s'",
						   optarg);
			have_lossy = true;
			break;
		case 'R':
			if (parse_double(optarg, 0, 100, &reorder_pct))
				return usage_error(cmd, "--reorder-percent wants 0-100, got '%s'",
						   optarg);
			have_lossy = true;
			break;
		case 'K':
			if (parse_ulong(optarg, 1, 1000, &depth))
				return usage_error(cmd, "--reorder-depth wants 1-1000, got '%s'",
						   optarg);
			have_lossy = true;
			break;
		case 'H':
			if (parse_ulong(optarg, 1, 60000, &hold_ms))
				return usage_error(cmd, "--hold-ms wants 1-60000, got '%s'",
						   optarg);
			have_lossy = true;
			break;
		case 'S':
			if (parse_ulong(optarg, 0, UINT32_MAX, &synacks))
				return usage_error(cmd, "--drop-synacks wants a count, got '%s'",
						   optarg);
			have_lossy = true;
			break;
		case 'm':
			if (parse_xdp_mode(optarg, &mode_flag))
				return usage_error(cmd, "--xdp-mode takes native or generic");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd,
				   "wants IFACE and a program (reflect, count, pass, drop, lossy)");
	for (prog = 0; prog < LAB__COUNT; prog++)
		if (!strcmp(argv[optind + 1], lab_prog_names[prog]))
			break;
	if (prog == LAB__COUNT)
		return usage_error(cmd, "unknown program '%s' (reflect, count, pass, drop, lossy)",
				   argv[optind + 1]);
	if (drop_replies && prog != LAB_COUNT)
		return usage_error(cmd, "--drop-replies is for count only");
	if (have_percent && prog != LAB_DROP)
		return usage_error(cmd, "--percent is for drop only (lossy: --drop-percent)");
	if (have_seed && prog != LAB_DROP && prog != LAB_LOSSY)
		return usage_error(cmd, "--seed is for drop and lossy only");
	if (have_lossy && prog != LAB_LOSSY)
		return usage_error(cmd, "--drop-percent, --reorder-percent, --reorder-depth, "
					"--hold-ms and --drop-synacks are for lossy only");
	ifindex = lab_iface(argv[optind]);
	if (ifindex < 0)
		return -ifindex;
	if (prog == LAB_LOSSY) {
		if (lab_tc_find(ifindex, tc_ids)) {
			pr_warn("%s already has lab lossy (TC); detach it first\n", argv[optind]);
			return EXIT_USAGE;
		}
		if (lab_tc_query(ifindex, LAB_DIR_OUT) || lab_tc_query(ifindex, LAB_DIR_IN)) {
			pr_warn("%s has a foreign TC filter at handle/priority %#x\n", argv[optind],
				LAB_TC_HANDLE);
			return EXIT_USAGE;
		}
		goto load;
	}

	err = xdp_hook_claim(ifindex, argv[optind], XDP_LAB, &here);
	if (err)
		return err;
	if (here.id) {
		pr_warn("%s already has lab program %s (id %u); run `shakeoff lab detach %s` first\n",
			argv[optind], here.name, here.id, argv[optind]);
		return EXIT_USAGE;
	}

load:
	skel = lab_bpf__open();
	if (!skel) {
		pr_warn("Failed to open BPF object lab: %s\n", strerror(errno));
		return 1;
	}
	progs[LAB_REFLECT] = skel->progs.so_lab_reflect;
	progs[LAB_COUNT] = skel->progs.so_lab_count;
	progs[LAB_PASS] = skel->progs.so_lab_pass;
	progs[LAB_DROP] = skel->progs.so_lab_drop;
	progs[LAB_LOSSY] = skel->progs.so_lab_lossy_tx;
	for (i = 0; i < LAB__COUNT; i++)
		bpf_program__set_autoload(progs[i], i == prog);
	bpf_program__set_autoload(skel->progs.so_lab_lossy_rx, prog == LAB_LOSSY);
	skel->rodata->count_drop_replies = drop_replies;
	skel->rodata->drop_threshold =
		(__u64)llround((prog == LAB_LOSSY ? drop_pct : percent) / 100.0 * 4294967296.0);
	skel->rodata->drop_seed = seed;
	skel->rodata->reorder_threshold = (__u64)llround(reorder_pct / 100.0 * 4294967296.0);
	skel->rodata->reorder_depth = depth;
	skel->rodata->hold_ns = hold_ms * 1000000ULL;
	skel->rodata->drop_synacks = synacks;

	err = lab_bpf__load(skel);
	if (err) {
		pr_warn("Failed to load BPF program %s%s: %s\n", LAB_PROG_PREFIX,
			lab_prog_names[prog], strerror(-err));
		err = 1;
		goto out;
	}
	if (prog == LAB_LOSSY) {
		err = lab_tc_attach(skel, ifindex, argv[optind]);
		if (!err)
			pr_info("attached %s%s to %s (TC ingress and egress): drop %g%%, "
				"reorder %g%% by %lu, hold %lu ms, seed %lu\n",
				LAB_PROG_PREFIX, lab_prog_names[prog], argv[optind], drop_pct,
				reorder_pct, depth, hold_ms, seed);
		goto out;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(progs[prog]),
			     mode_flag | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		pr_warn("Failed to attach XDP program %s%s to %s: %s\n", LAB_PROG_PREFIX,
			lab_prog_names[prog], argv[optind], strerror(-err));
		if (err == -EOPNOTSUPP && mode_flag == XDP_FLAGS_DRV_MODE)
			pr_warn("the driver has no native XDP; try --xdp-mode generic\n");
		err = (err == -EOPNOTSUPP || err == -EBUSY || err == -EEXIST) ? EXIT_USAGE : 1;
		goto out;
	}
	pr_info("attached %s%s to %s (%s)\n", LAB_PROG_PREFIX, lab_prog_names[prog], argv[optind],
		mode_flag == XDP_FLAGS_DRV_MODE ? "native" : "generic");
out:
	lab_bpf__destroy(skel);
	return err;
}

/* Sum lab_stats over CPUs, from the map the program with id prog_id uses. */
static int lab_stats_read(__u32 prog_id, struct lab_stats *sum)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	int map_fd, err;

	memset(sum, 0, sizeof(*sum));
	map_fd = prog_map_fd(prog_id, LAB_MAP_STATS);
	if (map_fd < 0)
		return map_fd;
	err = bpf_obj_get_info_by_fd(map_fd, &info, &len);
	if (err)
		goto out;
	/* A program built from another lab.h would have us sum the wrong counters. */
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.value_size != sizeof(*sum)) {
		err = -EPROTO;
		goto out;
	}
	err = percpu_sum(map_fd, &zero, sum->c, LAB_S__COUNT);
out:
	close(map_fd);
	return err;
}

/* One program's counters as JSON members or `name value` lines. */
static void lab_stats_print(const struct lab_stats *sum, int prog, bool json)
{
	int k, first = 1;

	for (k = 0; k < LAB_S__COUNT; k++) {
		if (!(lab_stat_progs[k] & (1U << prog)))
			continue;
		if (json)
			printf("%s\"%s\":%llu", first ? "" : ",", lab_stat_names[k],
			       (unsigned long long)sum->c[k]);
		else
			printf("%-13s %llu\n", lab_stat_names[k], (unsigned long long)sum->c[k]);
		first = 0;
	}
}

static int lab_read(int argc, char **argv)
{
	const char *cmd = "lab read", *ifname;
	char other[BPF_OBJ_NAME_LEN + 16];
	struct xdp_slot slot;
	struct lab_stats sum, tcsum;
	bool json = false;
	__u32 tc_ids[2], tc_id;
	int opt, ifindex, prog, err, ntc;

	optab_reset();
	while ((opt = optab_next(argc, argv, cmd, read_optab)) != OPTAB_END) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	ifindex = optab_iface(argc, argv, cmd, &ifname);
	if (ifindex < 0)
		return -ifindex;

	ntc = lab_tc_find(ifindex, tc_ids);
	prog = lab_find(ifindex, &slot, other, sizeof(other));
	if (prog == -ENOENT && !ntc) {
		if (other[0])
			pr_warn("%s runs XDP program %s, not a lab program\n", argv[optind], other);
		else
			pr_warn("no XDP program on %s\n", argv[optind]);
		return 1; /* nothing of ours to read, as stats and conns say it */
	}
	if (prog < 0 && prog != -ENOENT) {
		pr_warn("Failed to query XDP on %s: %s\n", argv[optind], strerror(-prog));
		return 1;
	}
	if (prog >= 0) {
		err = lab_stats_read(slot.id, &sum);
		if (err) {
			pr_warn("Failed to read map %s of program id %u: %s\n", LAB_MAP_STATS,
				slot.id, err == -EPROTO ? "unexpected layout" : strerror(-err));
			return 1;
		}
	}
	/* Both TC programs share their maps: either one leads to the counters. */
	tc_id = tc_ids[LAB_DIR_IN] ? tc_ids[LAB_DIR_IN] : tc_ids[LAB_DIR_OUT];
	if (ntc) {
		err = lab_stats_read(tc_id, &tcsum);
		if (err) {
			pr_warn("Failed to read map %s of program id %u: %s\n", LAB_MAP_STATS,
				tc_id, err == -EPROTO ? "unexpected layout" : strerror(-err));
			return 1;
		}
	}

	if (json) {
		printf("%s,\"iface\":\"%s\"", json_ts(), argv[optind]);
		if (prog >= 0) {
			printf(",\"program\":\"%s\",\"prog_id\":%u,\"mode\":\"%s\",\"counters\":{",
			       lab_prog_names[prog], slot.id, slot.mode);
			lab_stats_print(&sum, prog, true);
			printf("}");
		}
		if (ntc) {
			printf(",\"tc\":{\"program\":\"%s\",\"egress_id\":%u,\"ingress_id\":%u,"
			       "\"counters\":{",
			       lab_prog_names[LAB_LOSSY], tc_ids[LAB_DIR_OUT], tc_ids[LAB_DIR_IN]);
			lab_stats_print(&tcsum, LAB_LOSSY, true);
			printf("}}");
		}
		printf("}\n");
		return 0;
	}
	if (prog >= 0) {
		printf("%-13s %s\n", "program", lab_prog_names[prog]);
		lab_stats_print(&sum, prog, false);
	}
	if (ntc) {
		printf("%-13s %s (TC)\n", "program", lab_prog_names[LAB_LOSSY]);
		lab_stats_print(&tcsum, LAB_LOSSY, false);
	}
	return 0;
}

static int lab_detach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	const char *cmd = "lab detach", *ifname;
	char other[BPF_OBJ_NAME_LEN + 16];
	struct xdp_slot slot;
	__u32 tc_ids[2];
	int opt, ifindex, prog, fd, err, ntc;

	optab_reset();
	while ((opt = optab_next(argc, argv, cmd, detach_optab)) != OPTAB_END) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	ifindex = optab_iface(argc, argv, cmd, &ifname);
	if (ifindex < 0)
		return -ifindex;

	ntc = lab_tc_find(ifindex, tc_ids);
	if (ntc && lab_tc_detach(ifindex, argv[optind], tc_ids))
		return 1;
	prog = lab_find(ifindex, &slot, other, sizeof(other));
	if (prog == -ENOENT) {
		if (other[0]) {
			pr_warn("%s runs XDP program %s, not a lab program; left alone\n",
				argv[optind], other);
			return EXIT_USAGE;
		}
		if (!ntc)
			pr_info("no XDP program on %s, nothing to detach\n", argv[optind]);
		return 0;
	}
	if (prog < 0) {
		pr_warn("Failed to query XDP on %s: %s\n", argv[optind], strerror(-prog));
		return 1;
	}
	/* Detach only that very program: a concurrent replacement makes this fail. */
	fd = bpf_prog_get_fd_by_id(slot.id);
	if (fd < 0) {
		pr_warn("Failed to open program id %u: %s\n", slot.id, strerror(errno));
		return 1;
	}
	aopts.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, slot.mode_flag | XDP_FLAGS_REPLACE, &aopts);
	close(fd);
	if (err) {
		pr_warn("Failed to detach XDP program %s%s from %s: %s\n", LAB_PROG_PREFIX,
			lab_prog_names[prog], argv[optind], strerror(-err));
		return 1;
	}
	pr_info("detached %s%s from %s\n", LAB_PROG_PREFIX, lab_prog_names[prog], argv[optind]);
	return 0;
}

int cmd_lab(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "attach"))
		return lab_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "read"))
		return lab_read(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return lab_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_lab_report(argc - 1, argv + 1);
	return usage_error("lab", "unknown subcommand '%s' (attach, read, detach, report)",
			   argv[1]);
}
