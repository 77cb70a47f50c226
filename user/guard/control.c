// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/control.h"
#include "guard/limits.h"

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
	control_ports_reply(n, reply, len);
	return CONTROL_CHANGE;
}

void control_src_reply(const struct guard_opts *o, unsigned int from, char *reply, size_t len)
{
	size_t at = (size_t)snprintf(reply, len, "OK %u", o->nsrc_rules);
	char addr[64], rule[80];
	unsigned int i;

	for (i = from; i < o->nsrc_rules; i++) {
		const struct guard_src_rule *r = &o->src_rules[i];
		int n = snprintf(rule, sizeof(rule), " %c%s/%u", r->deny ? '-' : '+',
				 ip_str(&r->addr, addr, sizeof(addr)), r->prefix);

		/* the rest on the next page: the client asks "src list FROM" */
		if (at + (size_t)n >= len)
			break;
		memcpy(reply + at, rule, (size_t)n + 1);
		at += (size_t)n;
	}
}

/* Remove cidr's rule from n (the prefix after its host bits are cleared); absent: no change. */
static int src_del(struct guard_opts *n, const char *cidr)
{
	struct guard_src_rule r;
	unsigned int i;

	if (limits_rule_parse(cidr, false, &r))
		return -EINVAL;
	for (i = 0; i < n->nsrc_rules; i++) {
		const struct guard_src_rule *x = &n->src_rules[i];

		if (x->addr.family == r.addr.family && x->prefix == r.prefix &&
		    !memcmp(x->addr.bytes, r.addr.bytes, 16)) {
			memmove(&n->src_rules[i], &n->src_rules[i + 1],
				(n->nsrc_rules - i - 1) * sizeof(n->src_rules[0]));
			n->nsrc_rules--;
			break;
		}
	}
	return 0;
}

static int control_src(char *args, const struct guard_opts *cur, struct guard_opts *n, char *reply,
		       size_t len)
{
	char *save = NULL, *verb = strtok_r(args, " \t", &save), *cidr, *end;
	unsigned long from = 0;
	int err = 0;

	if (!verb) {
		snprintf(reply, len, "ERR usage: src list [FROM] | src allow|deny|del CIDR...");
		return CONTROL_ERR;
	}
	if (!strcmp(verb, "list")) {
		cidr = strtok_r(NULL, " \t", &save);
		if (cidr) {
			errno = 0;
			from = strtoul(cidr, &end, 10);
			if (errno || *end || strtok_r(NULL, " \t", &save)) {
				snprintf(reply, len, "ERR usage: src list [FROM]");
				return CONTROL_ERR;
			}
		}
		control_src_reply(cur,
				  from < cur->nsrc_rules ? (unsigned int)from : cur->nsrc_rules,
				  reply, len);
		return CONTROL_OK;
	}
	if (strcmp(verb, "allow") && strcmp(verb, "deny") && strcmp(verb, "del")) {
		snprintf(reply, len, "ERR unknown src request '%s' (list, allow, deny, del)", verb);
		return CONTROL_ERR;
	}
	cidr = strtok_r(NULL, " \t", &save);
	if (!cidr) {
		snprintf(reply, len, "ERR src %s needs CIDR...", verb);
		return CONTROL_ERR;
	}
	for (; cidr && !err; cidr = strtok_r(NULL, " \t", &save))
		err = !strcmp(verb, "del") ? src_del(n, cidr) :
					     limits_rule_add(n, cidr, verb[0] == 'd');
	if (err == -ENOSPC) {
		snprintf(reply, len, "ERR the source list is full (%u rules)", GUARD_SRC_RULES_MAX);
		return CONTROL_ERR;
	}
	if (err) {
		snprintf(reply, len, "ERR bad CIDR");
		return CONTROL_ERR;
	}
	control_src_reply(n, 0, reply, len);
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
	if (what && !strcmp(what, "src"))
		return control_src(rest, cur, n, reply, len);
	snprintf(reply, len, "ERR unknown request '%s'", what ? what : "");
	return CONTROL_ERR;
}
