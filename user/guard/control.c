// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/control.h"

void control_ports_reply(const struct guard_opts *o, char *reply, size_t len)
{
	char ports[900];

	port_list_str(o->ports, ports, sizeof(ports));
	snprintf(reply, len, "OK %s", ports);
}

static int control_ports(char *args, const struct guard_opts *cur, struct guard_opts *n,
			 char *reply, size_t len)
{
	char *save = NULL, *verb = strtok_r(args, " \t", &save);
	char *list = strtok_r(NULL, " \t", &save);
	bool *p;
	unsigned int i, count = 0;

	if (!verb || strtok_r(NULL, " \t", &save) || ((!list) != !strcmp(verb, "list"))) {
		snprintf(reply, len, "ERR usage: ports list | ports add|del PORTS");
		return CONTROL_ERR;
	}
	if (!strcmp(verb, "list")) {
		control_ports_reply(cur, reply, len);
		return CONTROL_OK;
	}
	if (strcmp(verb, "add") && strcmp(verb, "del")) {
		snprintf(reply, len, "ERR unknown ports request '%s' (add, del, list)", verb);
		return CONTROL_ERR;
	}
	p = calloc(65536, sizeof(bool));
	if (!p) {
		snprintf(reply, len, "ERR out of memory");
		return CONTROL_ERR;
	}
	if (parse_port_list(list, p, &count)) {
		free(p);
		snprintf(reply, len, "ERR bad port list '%s'", list);
		return CONTROL_ERR;
	}
	n->nports = 0;
	for (i = 0; i < 65536; i++) {
		n->ports[i] = verb[0] == 'a' ? cur->ports[i] || p[i] : cur->ports[i] && !p[i];
		n->nports += n->ports[i];
	}
	free(p);
	if (!n->nports) {
		snprintf(reply, len, "ERR that would leave no port protected");
		return CONTROL_ERR;
	}
	return CONTROL_CHANGE;
}

int control_parse(const char *line, const struct guard_opts *cur, struct guard_opts *n, char *reply,
		  size_t len)
{
	char buf[1024], *what, *rest;

	snprintf(buf, sizeof(buf), "%s", line);
	what = strtok_r(buf, " \t", &rest);
	if (what && !strcmp(what, "ports"))
		return control_ports(rest, cur, n, reply, len);
	/*
	 * "src allow|deny|del|list CIDR" goes here: the limits helper's source
	 * lists, changed in a copy of the options like the ports above.
	 */
	snprintf(reply, len, "ERR unknown request '%s'", what ? what : "");
	return CONTROL_ERR;
}
