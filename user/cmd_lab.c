// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff lab: attach, read and detach the helper XDP programs of
 * bpf/lab.bpf.c. They are attached through legacy netlink XDP (no bpf_link),
 * so they stay after we exit; `lab read` and `lab detach` find them again by
 * the interface's XDP program id and the program's name, from any process.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/lab.h>
#include "attach.h"
#include "iface.h"
#include "lab.skel.h"
#include "log.h"
#include "opts.h"

struct lab_stat_desc {
	const char *name;
	unsigned int progs; /* LAB_M() mask */
};

static const struct lab_stat_desc lab_stat_descs[LAB_S__COUNT] = {
#define LAB_STAT_DESC(id, name, progs, help) [LAB_S_##id] = { name, progs },
	LAB_STATS(LAB_STAT_DESC)
#undef LAB_STAT_DESC
};

static const char *const lab_prog_names[LAB__COUNT] = {
#define LAB_PROG_NAME(id, name) [LAB_##id] = name,
	LAB_PROGS(LAB_PROG_NAME)
#undef LAB_PROG_NAME
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff lab attach IFACE reflect|count|pass|drop [OPTIONS]\n"
		"       shakeoff lab read IFACE [--json]\n"
		"       shakeoff lab detach IFACE\n"
		"\n"
		"Helper XDP programs for tests and benchmarks. They stay attached after the\n"
		"command exits (netlink XDP, not a bpf_link) until `lab detach`, which removes\n"
		"nothing but a lab program. attach refuses an interface that already has an\n"
		"XDP program.\n"
		"\n"
		"Programs:\n"
		"  reflect  swap the Ethernet MACs and XDP_TX every frame\n"
		"  count    count TCP by kind (syn, synack, rst, fin, ack, tcp_other, not_tcp)\n"
		"           and pass everything\n"
		"  pass     count frames and XDP_PASS them (a veth only delivers XDP_TX frames\n"
		"           to a peer that runs an XDP program)\n"
		"  drop     drop a pseudo-random share of TCP segments with payload or FIN\n"
		"\n"
		"Attach options:\n"
		"  --drop-replies        count: drop what a flood gets back (SYN, SYN-ACK, RST)\n"
		"  --percent P           drop: share to drop, 0-100, fractions allowed (default 1)\n"
		"  --seed N              drop: seed of the per-CPU draws; the same seed gives\n"
		"                        the same drops on each CPU (default 1)\n"
		"  --xdp-mode MODE       native (default) or generic\n"
		"\n"
		"Read options:\n"
		"  --json                one JSON object instead of `name value` lines\n");
}

/* ifindex of name; a message and -EXIT_USAGE if there is no such interface. */
static int lab_iface(const char *name)
{
	int ifindex = iface_index(name);

	if (ifindex < 0) {
		pr_warn("no interface named '%s'\n", name);
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
	struct xdp_slot slots[3];
	struct prog_ref p;
	int n, i, prog;

	n = xdp_slots(ifindex, slots);
	if (n < 0)
		return n;
	snprintf(other, other_len, "%s", "");
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

static const struct option attach_opts[] = {
	{ "drop-replies", no_argument, NULL, 'r' }, { "percent", required_argument, NULL, 'p' },
	{ "seed", required_argument, NULL, 's' },   { "xdp-mode", required_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },	    {}
};

static int lab_attach(int argc, char **argv)
{
	const char *cmd = "lab attach";
	bool drop_replies = false, have_percent = false, have_seed = false;
	__u32 mode_flag = XDP_FLAGS_DRV_MODE;
	unsigned long seed = 1;
	double percent = 1.0;
	struct lab_bpf *skel = NULL;
	struct bpf_program *progs[LAB__COUNT];
	struct xdp_slot slots[3];
	int opt, ifindex, prog, i, n, err;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", attach_opts, NULL)) != -1) {
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
		case 'm':
			if (!strcmp(optarg, "native"))
				mode_flag = XDP_FLAGS_DRV_MODE;
			else if (!strcmp(optarg, "generic"))
				mode_flag = XDP_FLAGS_SKB_MODE;
			else
				return usage_error(cmd,
						   "--xdp-mode wants native or generic, got '%s'",
						   optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error(cmd, "option '%s' wants a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd, "wants IFACE and a program (reflect, count, pass, drop)");
	for (prog = 0; prog < LAB__COUNT; prog++)
		if (!strcmp(argv[optind + 1], lab_prog_names[prog]))
			break;
	if (prog == LAB__COUNT)
		return usage_error(cmd, "unknown program '%s' (reflect, count, pass, drop)",
				   argv[optind + 1]);
	if (drop_replies && prog != LAB_COUNT)
		return usage_error(cmd, "--drop-replies is for count only");
	if ((have_percent || have_seed) && prog != LAB_DROP)
		return usage_error(cmd, "--percent and --seed are for drop only");
	ifindex = lab_iface(argv[optind]);
	if (ifindex < 0)
		return -ifindex;

	n = xdp_slots(ifindex, slots);
	if (n < 0) {
		pr_warn("Failed to query XDP on %s: %s\n", argv[optind], strerror(-n));
		return 1;
	}
	if (n > 0) {
		struct prog_ref p;

		if (prog_ref_by_id(slots[0].id, &p))
			snprintf(p.name, sizeof(p.name), "?");
		pr_warn("%s already has an XDP program: %s (id %u, %s); detach it first\n",
			argv[optind], p.name, slots[0].id, slots[0].mode);
		return EXIT_USAGE;
	}

	skel = lab_bpf__open();
	if (!skel) {
		pr_warn("Failed to open BPF object lab: %s\n", strerror(errno));
		return 1;
	}
	progs[LAB_REFLECT] = skel->progs.so_lab_reflect;
	progs[LAB_COUNT] = skel->progs.so_lab_count;
	progs[LAB_PASS] = skel->progs.so_lab_pass;
	progs[LAB_DROP] = skel->progs.so_lab_drop;
	for (i = 0; i < LAB__COUNT; i++)
		bpf_program__set_autoload(progs[i], i == prog);
	skel->rodata->count_drop_replies = drop_replies;
	skel->rodata->drop_threshold = (__u64)llround(percent / 100.0 * 4294967296.0);
	skel->rodata->drop_seed = seed;

	err = lab_bpf__load(skel);
	if (err) {
		pr_warn("Failed to load BPF program %s%s: %s\n", LAB_PROG_PREFIX,
			lab_prog_names[prog], strerror(-err));
		err = 1;
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
	struct lab_stats *vals = NULL;
	int map_fd, ncpus, err, cpu, k;

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
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		err = ncpus;
		goto out;
	}
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals) {
		err = -ENOMEM;
		goto out;
	}
	err = bpf_map_lookup_elem(map_fd, &zero, vals);
	if (err)
		goto out;
	for (cpu = 0; cpu < ncpus; cpu++)
		for (k = 0; k < LAB_S__COUNT; k++)
			sum->c[k] += vals[cpu].c[k];
out:
	free(vals);
	close(map_fd);
	return err;
}

static const struct option read_opts[] = { { "json", no_argument, NULL, 'j' },
					   { "help", no_argument, NULL, 'h' },
					   {} };

static int lab_read(int argc, char **argv)
{
	const char *cmd = "lab read";
	char other[BPF_OBJ_NAME_LEN + 16];
	struct xdp_slot slot;
	struct lab_stats sum;
	bool json = false;
	int opt, ifindex, prog, err, k, first = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", read_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error(cmd, "option '%s' wants a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error(cmd, "wants exactly one IFACE");
	ifindex = lab_iface(argv[optind]);
	if (ifindex < 0)
		return -ifindex;

	prog = lab_find(ifindex, &slot, other, sizeof(other));
	if (prog == -ENOENT) {
		if (other[0])
			pr_warn("%s runs XDP program %s, not a lab program\n", argv[optind], other);
		else
			pr_warn("no XDP program on %s\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (prog < 0) {
		pr_warn("Failed to query XDP on %s: %s\n", argv[optind], strerror(-prog));
		return 1;
	}
	err = lab_stats_read(slot.id, &sum);
	if (err) {
		pr_warn("Failed to read map %s of program id %u: %s\n", LAB_MAP_STATS, slot.id,
			err == -EPROTO ? "unexpected layout" : strerror(-err));
		return 1;
	}

	if (json) {
		printf("{\"iface\":\"%s\",\"program\":\"%s\",\"prog_id\":%u,\"mode\":\"%s\","
		       "\"counters\":{",
		       argv[optind], lab_prog_names[prog], slot.id, slot.mode);
		for (k = 0; k < LAB_S__COUNT; k++) {
			if (!(lab_stat_descs[k].progs & (1U << prog)))
				continue;
			printf("%s\"%s\":%llu", first ? "" : ",", lab_stat_descs[k].name,
			       (unsigned long long)sum.c[k]);
			first = 0;
		}
		printf("}}\n");
		return 0;
	}
	printf("%-10s %s\n", "program", lab_prog_names[prog]);
	for (k = 0; k < LAB_S__COUNT; k++)
		if (lab_stat_descs[k].progs & (1U << prog))
			printf("%-10s %llu\n", lab_stat_descs[k].name,
			       (unsigned long long)sum.c[k]);
	return 0;
}

static const struct option detach_opts[] = { { "help", no_argument, NULL, 'h' }, {} };

static int lab_detach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	const char *cmd = "lab detach";
	char other[BPF_OBJ_NAME_LEN + 16];
	struct xdp_slot slot;
	int opt, ifindex, prog, fd, err;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", detach_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error(cmd, "option '%s' wants a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error(cmd, "wants exactly one IFACE");
	ifindex = lab_iface(argv[optind]);
	if (ifindex < 0)
		return -ifindex;

	prog = lab_find(ifindex, &slot, other, sizeof(other));
	if (prog == -ENOENT) {
		if (other[0]) {
			pr_warn("%s runs XDP program %s, not a lab program; left alone\n",
				argv[optind], other);
			return EXIT_USAGE;
		}
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
	return usage_error("lab", "unknown subcommand '%s' (attach, read, detach)", argv[1]);
}
