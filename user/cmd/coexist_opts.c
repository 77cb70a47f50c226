// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "cmd/coexist_opts.h"
#include "cmd/optab.h"
#include "core/opts.h"

int coexist_opt(const char *cmd, int c, struct coexist_opts *o)
{
	switch (c) {
	case OPT_NEXT_PROG:
		if (snprintf(o->next_prog, sizeof(o->next_prog), "%s", optarg) >=
		    (int)sizeof(o->next_prog))
			return usage_error(cmd, "--next-prog: path too long");
		return 1;
	case OPT_NEXT_PIN:
		if (snprintf(o->next_pin, sizeof(o->next_pin), "%s", optarg) >=
		    (int)sizeof(o->next_pin))
			return usage_error(cmd, "--next-pin: path too long");
		return 1;
	case OPT_XDP_STAGE:
		if (xdp_stage_parse(optarg, o->stage_path, sizeof(o->stage_path), &o->stage_index))
			return usage_error(cmd, "bad --xdp-stage '%s' (PATH[:INDEX])", optarg);
		return 1;
	default:
		return 0;
	}
}

int coexist_opts_check(const char *cmd, const struct coexist_opts *o, __u32 xdp_flags)
{
	if (o->next_prog[0] && o->next_pin[0])
		return usage_error(cmd, "--next-prog and --next-pin exclude each other");
	if (o->stage_path[0] && xdp_flags)
		return usage_error(cmd, "--xdp-mode is the root program's with --xdp-stage");
	return 0;
}
