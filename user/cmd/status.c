// SPDX-License-Identifier: GPL-2.0
/* shakeoff status: what shakeoff runs on each interface, read from the kernel by program id. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <shakeoff/guard_abi.h>
#include <shakeoff/lab.h>
#include <shakeoff/serve_abi.h>

#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/attach.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/report.h"
#include "core/sysenv.h"
#include "guard/status.h"
#include "serve/status.h"
#include "core/stage.h"

#define STATUS_TC_MAX 16

static const struct optab status_opts[] = {
	{ "json", 'j', NULL, "one JSON line per interface" },
	OPTAB_HELP,
};

static void status_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff status [IFACE] [--json]\n\n"
		   "Show what shakeoff runs on IFACE, or on every interface of this network\n"
		   "namespace: guard, serve, lab or nothing; XDP mode, pid, uptime, program ids,\n"
		   "protected ports and their listeners, addresses, cookies, keys, limits.\n"
		   "Works from any process in the namespace, also another `ip netns exec`.\n\n"
		   "Options:\n");
	optab_print(f, status_opts);
}

static bool is_lab(const char *name)
{
	return !strncmp(name, LAB_PROG_PREFIX, strlen(LAB_PROG_PREFIX));
}

/*
 * What runs on the interface, by its programs' names; *prog: the one to read
 * maps through; *stage: guard's or serve's program one tail call below a root
 * program of someone else's (--xdp-stage), else its id stays 0.
 */
static const char *status_runs(int ifindex, const struct prog_ref *xdp, const struct prog_ref *tc,
			       int ntc, __u32 *prog, struct prog_ref *stage)
{
	int i;

	*prog = xdp->id;
	if (xdp->id && strcmp(xdp->name, GUARD_XDP_PROG_NAME) &&
	    strcmp(xdp->name, SERVE_XDP_PROG_NAME)) {
		if (!xdp_find_named(ifindex, GUARD_XDP_PROG_NAME, stage)) {
			*prog = stage->id;
			return "guard";
		}
		if (!xdp_find_named(ifindex, SERVE_XDP_PROG_NAME, stage)) {
			*prog = stage->id;
			return "serve";
		}
		stage->id = 0;
	}
	if (xdp->id) {
		if (!strcmp(xdp->name, GUARD_XDP_PROG_NAME))
			return "guard";
		if (!strcmp(xdp->name, SERVE_XDP_PROG_NAME))
			return "serve";
		if (is_lab(xdp->name))
			return "lab";
	}
	for (i = 0; i < ntc; i++) {
		*prog = tc[i].id;
		/* guard's TC program alone: its XDP program was removed by someone else */
		if (!strcmp(tc[i].name, GUARD_TC_PROG_NAME))
			return "guard";
		if (is_lab(tc[i].name))
			return "lab";
	}
	*prog = 0;
	return xdp->id || ntc ? "other" : "nothing";
}

static void status_one(int ifindex, const char *ifname, bool json)
{
	struct prog_ref xdp = {}, stage = {}, tc[STATUS_TC_MAX];
	const char *runs;
	struct report r;
	int i, ntc, err = 0;
	__u32 prog;

	xdp_prog_on(ifindex, &xdp);
	ntc = tcx_progs_on(ifindex, tc, STATUS_TC_MAX);
	if (ntc < 0)
		ntc = 0;
	runs = status_runs(ifindex, &xdp, tc, ntc, &prog, &stage);
	report_begin(&r, stdout, json, ifname);
	if (json)
		report_str(&r, "iface", ifname);
	report_str(&r, "runs", runs);
	if (xdp.id) {
		report_obj(&r, "xdp");
		report_str(&r, "mode", xdp_attach_mode(ifindex));
		report_u64(&r, "prog_id", xdp.id);
		report_str(&r, "prog", xdp.name);
		if (stage.id) {
			/* guard or serve as a stage of this root program (--xdp-stage) */
			report_u64(&r, "stage_prog_id", stage.id);
			report_str(&r, "stage_prog", stage.name);
		}
		report_close(&r);
	}
	if (ntc) {
		report_list(&r, "tc");
		for (i = 0; i < ntc; i++) {
			report_obj(&r, NULL);
			report_u64(&r, "prog_id", tc[i].id);
			report_str(&r, "prog", tc[i].name);
			report_close(&r);
		}
		report_close(&r);
	}
	if (!strcmp(runs, "guard"))
		err = guard_status(&r, prog);
	else if (!strcmp(runs, "serve"))
		err = serve_status(&r, prog);
	if (err)
		report_str(&r, "error", strerror(-err));
	report_end(&r);
}

int cmd_status(int argc, char **argv)
{
	struct if_nameindex *ifs, *it;
	char caps[64];
	bool json = false;
	int c, ifindex;

	optab_reset();
	while ((c = optab_next(argc, argv, "status", status_opts)) != OPTAB_END) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			status_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind + 1]);
	if (sysenv_check_read_caps(caps, sizeof(caps))) {
		pr_warn("missing %s: status reads shakeoff's programs and maps by id\n", caps);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		const char *ifname;

		ifindex = optab_iface(argc, argv, "status", &ifname);
		if (ifindex < 0)
			return -ifindex;
		status_one(ifindex, ifname, json);
		return 0;
	}
	ifs = if_nameindex();
	if (!ifs) {
		pr_warn("Failed to list interfaces: %s\n", strerror(errno));
		return 1;
	}
	for (it = ifs; it->if_index; it++)
		status_one((int)it->if_index, it->if_name, json);
	if_freenameindex(ifs);
	return 0;
}
