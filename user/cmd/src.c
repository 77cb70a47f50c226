// SPDX-License-Identifier: GPL-2.0
/* shakeoff src: change a running guard's allow/deny source lists over its control socket. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/ctlsock.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "guard/limits.h"

static const struct optab src_opts[] = {
	OPTAB_HELP,
};

static void src_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff src IFACE list\n"
		   "       shakeoff src IFACE allow|deny|del CIDR...\n\n"
		   "Show or change the source prefixes the guard on IFACE allows or denies (its\n"
		   "allow and deny lists; CIDR: 10.0.0.0/8, 2001:db8::/32, a bare address), live,\n"
		   "through its control socket in this network namespace. allow and deny add a\n"
		   "rule or change the action of the same prefix; del removes it. The longest\n"
		   "matching prefix decides. Prints the rules in force afterwards, one a line.\n"
		   "A change lasts until guard's next reload (SIGHUP) or restart: put it in the\n"
		   "config file to keep it.\n\n"
		   "Options:\n");
	optab_print(f, src_opts);
}

/*
 * One page of "OK N +CIDR -CIDR ..." (the "OK " already cut by
 * ctl_guard_request's caller): the rules printed, how many in all; -1 if
 * the answer is not one.
 */
static int src_print_page(char *page, unsigned int *total)
{
	char *save = NULL, *tok = strtok_r(page, " ", &save), *end;
	int n = 0;

	if (!tok)
		return -1;
	*total = (unsigned int)strtoul(tok, &end, 10);
	if (*end)
		return -1;
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (tok[0] != '+' && tok[0] != '-')
			return -1;
		printf("%s %s\n", tok[0] == '+' ? "allow" : "deny", tok + 1);
		n++;
	}
	return n;
}

/* The request, then the rest of the list page by page ("src list FROM"); an exit code. */
static int src_request(const char *ifname, const char *line)
{
	char reply[CTL_LINE_MAX], req[64];
	unsigned int done = 0, total = 0;
	int err, n;

	err = ctl_guard_reply("src", ifname, line, reply, sizeof(reply));
	while (!err) {
		n = src_print_page(reply, &total);
		if (n < 0) {
			fprintf(stderr, "shakeoff src: %s: a bad answer from the guard\n", ifname);
			return 1;
		}
		done += (unsigned int)n;
		if (done >= total || !n)
			break;
		snprintf(req, sizeof(req), "src list %u", done);
		err = ctl_guard_reply("src", ifname, req, reply, sizeof(reply));
	}
	return err;
}

int cmd_src(int argc, char **argv)
{
	char line[CTL_LINE_MAX];
	const char *ifname, *verb;
	struct guard_src_rule r;
	size_t at;
	int c, i;

	optab_reset();
	while ((c = optab_next(argc, argv, "src", src_opts)) != OPTAB_END) {
		if (c == 'h') {
			src_usage(stdout);
			return 0;
		}
		return EXIT_USAGE;
	}
	if (optind >= argc)
		return usage_error("src", "missing IFACE");
	ifname = argv[optind];
	if (optind + 1 >= argc)
		return usage_error("src", "missing list, allow, deny or del");
	verb = argv[optind + 1];
	if (!strcmp(verb, "list")) {
		if (optind + 2 < argc)
			return usage_error("src", "unexpected argument '%s'", argv[optind + 2]);
	} else if (strcmp(verb, "allow") && strcmp(verb, "deny") && strcmp(verb, "del")) {
		return usage_error("src", "unknown request '%s' (list, allow, deny, del)", verb);
	} else if (optind + 2 >= argc) {
		return usage_error("src", "%s needs CIDR...", verb);
	}
	at = (size_t)snprintf(line, sizeof(line), "src %s", verb);
	for (i = optind + 2; i < argc; i++) {
		if (limits_rule_parse(argv[i], false, &r))
			return usage_error("src", "bad CIDR '%s'", argv[i]);
		at += (size_t)snprintf(line + at, sizeof(line) - at, " %s", argv[i]);
		if (at >= sizeof(line))
			return usage_error("src", "too many prefixes for one request");
	}
	if (iface_index(ifname) < 0) {
		pr_warn("unknown interface '%s'\n", ifname);
		return EXIT_USAGE;
	}
	return src_request(ifname, line);
}
