// SPDX-License-Identifier: GPL-2.0
#include <getopt.h>
#include <string.h>

#include "cmd/optab.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"

#define OPTAB_MAX 48 /* entries a table may hold, --help included */
#define HELP_COLUMN 28

/* which value-taking options this parse has seen, by key (keys are below 256) */
static bool seen[256];

void optab_reset(void)
{
	optind = 1;
	opterr = 0;
	memset(seen, 0, sizeof(seen));
}

int optab_next(int argc, char **argv, const char *cmd, const struct optab *t)
{
	struct option lo[OPTAB_MAX + 1];
	char so[2 * OPTAB_MAX + 2];
	size_t n = 0, s = 0;
	bool long_form;
	int c;

	so[s++] = ':'; /* a missing value is ':', told apart from an unknown option */
	for (; t[n].name && n < OPTAB_MAX; n++) {
		lo[n] = (struct option){ t[n].name, t[n].arg ? required_argument : no_argument,
					 NULL, t[n].key };
		if (t[n].brief) {
			so[s++] = (char)t[n].key;
			if (t[n].arg)
				so[s++] = ':';
		}
	}
	lo[n] = (struct option){ 0 };
	so[s] = '\0';
	optopt = 0;
	c = getopt_long(argc, argv, so, lo, NULL);
	if (c == -1)
		return OPTAB_END;
	/* a long option is named as typed; a letter in a cluster (-zw) by optopt */
	long_form = !strncmp(argv[optind - 1], "--", 2);
	if (c == ':') {
		if (long_form || optopt <= 0 || optopt > 127)
			usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		else
			usage_error(cmd, "option '-%c' needs a value", optopt);
		return OPTAB_ERROR;
	}
	if (c == '?') {
		if (long_form || optopt <= 0 || optopt > 127)
			usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		else
			usage_error(cmd, "unknown option '-%c'", optopt);
		return OPTAB_ERROR;
	}
	for (n = 0; t[n].name && n < OPTAB_MAX; n++) {
		if (t[n].key != c || !t[n].arg || t[n].repeat || c < 0 || c >= 256)
			continue;
		if (seen[c]) {
			usage_error(cmd, "option '--%s' given twice", t[n].name);
			return OPTAB_ERROR;
		}
		seen[c] = true;
	}
	return c;
}

int optab_iface(int argc, char **argv, const char *cmd, const char **ifname)
{
	int ifindex;

	if (optind + 1 != argc)
		return -usage_error(cmd, optind >= argc ? "missing IFACE" : "too many arguments");
	*ifname = argv[optind];
	ifindex = iface_index(*ifname);
	if (ifindex < 0) {
		pr_warn("unknown interface '%s'\n", *ifname);
		return -EXIT_USAGE;
	}
	return ifindex;
}

void optab_print(FILE *f, const struct optab *t)
{
	for (; t->name; t++) {
		const char *line = t->help, *nl;
		int w;

		if (t->brief)
			w = fprintf(f, "  -%c, --%s", t->key, t->name);
		else
			w = fprintf(f, "      --%s", t->name);
		if (t->arg)
			w += fprintf(f, " %s", t->arg);
		for (;;) {
			nl = strchr(line, '\n');
			if (w >= HELP_COLUMN - 1) {
				fputc('\n', f);
				w = 0;
			}
			fprintf(f, "%*s%.*s\n", HELP_COLUMN - w, "",
				(int)(nl ? nl - line : (long)strlen(line)), line);
			if (!nl)
				break;
			line = nl + 1;
			w = 0;
		}
	}
}
