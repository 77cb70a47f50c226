/* SPDX-License-Identifier: GPL-2.0 */
/* The options guard and serve share for living with other XDP programs (core/stage.h). */
#ifndef SHAKEOFF_CMD_COEXIST_OPTS_H
#define SHAKEOFF_CMD_COEXIST_OPTS_H

#include <linux/types.h>

#include "core/stage.h"

/* Option keys without a letter. */
enum { OPT_NEXT_PROG = 0x1c01, OPT_NEXT_PIN, OPT_XDP_STAGE };

/* The three optab entries; WHO is "guard" or "serve" (a string literal). */
// clang-format off
#define COEXIST_OPTAB(WHO)							\
	{ "next-prog", OPT_NEXT_PROG, "FILE.o[:PROG]",				\
	  "hand every frame " WHO " passes to this XDP program\n"		\
	  "(a tail call; PROG: which one in FILE)" },				\
	{ "next-pin", OPT_NEXT_PIN, "PATH",					\
	  "... or to the XDP program pinned at PATH" },				\
	{ "xdp-stage", OPT_XDP_STAGE, "PATH[:INDEX]",				\
	  "attach no XDP program: be entry INDEX (default 0) of\n"		\
	  "the root program's PROG_ARRAY pinned at PATH" }
// clang-format on

/*
 * Option c (optarg) of cmd into o if it is one of them: 1 if it was, 0 if
 * not, EXIT_USAGE after a usage line.
 */
int coexist_opt(const char *cmd, int c, struct coexist_opts *o);
/* After the parse: the combinations that make no sense. 0 or EXIT_USAGE after a usage line. */
int coexist_opts_check(const char *cmd, const struct coexist_opts *o, __u32 xdp_flags);

#endif /* SHAKEOFF_CMD_COEXIST_OPTS_H */
