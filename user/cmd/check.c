// SPDX-License-Identifier: GPL-2.0
/* shakeoff check: what guard and serve need from this system, and whether it is there. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/jsonl.h"
#include "cmd/optab.h"
#include "core/opts.h"
#include "core/syscheck.h"
#include "serve/serve_int.h"
#include "serve/xsk.h"

#define CHECK_MAX 32

static const struct optab check_opts[] = {
	{ "json", 'j', NULL, "one JSON object on stdout" },
	OPTAB_HELP,
};

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff check IFACE [--json]\n\n"
		   "Report which kernel features, capabilities and sysctls guard and serve need\n"
		   "on IFACE (in this network namespace) and whether each is present: one line\n"
		   "per check, ok, warn or missing, and why. Nothing is loaded or attached.\n"
		   "Exit status: 0 if guard can run, 1 if something guard needs is missing,\n"
		   "2 on a usage error or an unknown IFACE.\n\n"
		   "Options:\n");
	optab_print(f, check_opts);
}

static const char *needed_name(unsigned int n)
{
	if (n == (NEED_GUARD | NEED_SERVE))
		return "guard+serve";
	return n == NEED_GUARD ? "guard" : n == NEED_SERVE ? "serve" : "info";
}

/* Whether the program of need can run: nothing it needs is missing. */
static bool ready(const struct check_item *it, size_t n, unsigned int need)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((it[i].needed_by & need) && it[i].status == CHECK_MISSING)
			return false;
	return true;
}

static void print_json(const char *ifname, const struct check_item *it, size_t n)
{
	size_t i;

	printf("%s,\"iface\":", json_ts());
	json_quote(stdout, ifname);
	printf(",\"guard_ready\":%s,\"serve_ready\":%s,\"checks\":[",
	       ready(it, n, NEED_GUARD) ? "true" : "false",
	       ready(it, n, NEED_SERVE) ? "true" : "false");
	for (i = 0; i < n; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_quote(stdout, it[i].name);
		printf(",\"status\":\"%s\",\"needed_by\":\"%s\",\"detail\":",
		       check_status_name(it[i].status), needed_name(it[i].needed_by));
		json_quote(stdout, it[i].detail);
		putchar('}');
	}
	printf("]}\n");
}

static void print_text(const char *ifname, const struct check_item *it, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%-8s %-28s %-12s %s\n", check_status_name(it[i].status), it[i].name,
		       needed_name(it[i].needed_by), it[i].detail);
	printf("guard on %s: %s; serve on %s: %s\n", ifname,
	       ready(it, n, NEED_GUARD) ? "can run" : "cannot run", ifname,
	       ready(it, n, NEED_SERVE) ? "can run" : "cannot run");
}

int cmd_check(int argc, char **argv)
{
	struct check_item items[CHECK_MAX];
	bool json = false;
	const char *ifname;
	int c, ifindex, nq;
	size_t n;

	optab_reset();
	while ((c = optab_next(argc, argv, "check", check_opts)) != OPTAB_END) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	ifindex = optab_iface(argc, argv, "check", &ifname);
	if (ifindex < 0)
		return -ifindex;
	/* serve opens one AF_XDP socket per receive queue, each with its own UMEM */
	nq = xsk_iface_rx_queues(ifname);
	if (nq < 1)
		nq = 1;
	if (nq > SERVE_MAX_PORTS_XSK)
		nq = SERVE_MAX_PORTS_XSK;
	n = syscheck_run(ifname, ifindex, (__u64)nq * XSK_DEFAULT_FRAMES * XSK_FRAME_SIZE, items,
			 CHECK_MAX);
	if (json)
		print_json(ifname, items, n);
	else
		print_text(ifname, items, n);
	return ready(items, n, NEED_GUARD) ? 0 : 1;
}
