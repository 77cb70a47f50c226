// SPDX-License-Identifier: GPL-2.0
/* shakeoff ports: change a running guard's protected ports over its control socket. */
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

static const struct optab ports_opts[] = {
	OPTAB_HELP,
};

static void ports_usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff ports IFACE list\n"
		"       shakeoff ports IFACE add|del PORTS\n\n"
		"Show or change the ports the guard on IFACE protects (PORTS: 80,443,8000-8010),\n"
		"live, through its control socket in this network namespace. Prints the ports\n"
		"protected afterwards. A change lasts until guard's next reload (SIGHUP) or\n"
		"restart: put it in the config file to keep it.\n\n"
		"Options:\n");
	optab_print(f, ports_opts);
}

int ctl_guard_reply(const char *cmd, const char *ifname, const char *line, char *out, size_t len)
{
	char name[128], reply[CTL_LINE_MAX];
	int err;

	ctlsock_name("guard", ifname, name, sizeof(name));
	err = ctlsock_request(name, line, reply, sizeof(reply));
	if (err == -ECONNREFUSED || err == -ENOENT) {
		fprintf(stderr, "shakeoff %s: no guard on %s\n", cmd, ifname);
		return 1;
	}
	if (err) {
		fprintf(stderr, "shakeoff %s: Failed to ask the guard on %s: %s\n", cmd, ifname,
			strerror(-err));
		return 1;
	}
	if (!strncmp(reply, "OK", 2) && (reply[2] == '\0' || reply[2] == ' ')) {
		snprintf(out, len, "%s", reply[2] ? reply + 3 : "");
		return 0;
	}
	fprintf(stderr, "shakeoff %s: %s: %s\n", cmd, ifname,
		!strncmp(reply, "ERR ", 4) ? reply + 4 : reply);
	return 1;
}

int ctl_guard_request(const char *cmd, const char *ifname, const char *line)
{
	char out[CTL_LINE_MAX];
	int err = ctl_guard_reply(cmd, ifname, line, out, sizeof(out));

	if (!err && out[0])
		printf("%s\n", out);
	return err;
}

int cmd_ports(int argc, char **argv)
{
	char line[CTL_LINE_MAX];
	const char *ifname, *verb;
	unsigned int count;
	bool *p;
	int c;

	optab_reset();
	while ((c = optab_next(argc, argv, "ports", ports_opts)) != OPTAB_END) {
		if (c == 'h') {
			ports_usage(stdout);
			return 0;
		}
		return EXIT_USAGE;
	}
	if (optind >= argc)
		return usage_error("ports", "missing IFACE");
	ifname = argv[optind];
	if (optind + 1 >= argc)
		return usage_error("ports", "missing list, add or del");
	verb = argv[optind + 1];
	if (!strcmp(verb, "list")) {
		if (optind + 2 < argc)
			return usage_error("ports", "unexpected argument '%s'", argv[optind + 2]);
		snprintf(line, sizeof(line), "ports list");
	} else if (!strcmp(verb, "add") || !strcmp(verb, "del")) {
		if (optind + 2 >= argc)
			return usage_error("ports", "%s needs PORTS", verb);
		if (optind + 3 < argc)
			return usage_error("ports", "unexpected argument '%s'", argv[optind + 3]);
		p = calloc(65536, sizeof(bool));
		if (!p)
			return 1;
		if (parse_port_list(argv[optind + 2], p, &count)) {
			free(p);
			return usage_error("ports", "bad port list '%s'", argv[optind + 2]);
		}
		free(p);
		if (snprintf(line, sizeof(line), "ports %s %s", verb, argv[optind + 2]) >=
		    (int)sizeof(line))
			return usage_error("ports", "port list too long");
	} else {
		return usage_error("ports", "unknown request '%s' (list, add, del)", verb);
	}
	if (iface_index(ifname) < 0) {
		pr_warn("unknown interface '%s'\n", ifname);
		return EXIT_USAGE;
	}
	return ctl_guard_request("ports", ifname, line);
}
