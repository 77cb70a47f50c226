/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subcommands' options, declared once as a table that both the parser
 * (getopt_long underneath) and the usage text read, so --help always lists
 * exactly what the command accepts.
 */
#ifndef SHAKEOFF_OPTAB_H
#define SHAKEOFF_OPTAB_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h> /* optarg, optind */

struct optab {
	const char *name; /* long name, without the dashes; NULL ends the table */
	int key; /* what optab_next() returns; a letter is also accepted as -KEY if brief */
	const char *arg; /* the value's name in --help ("N", "IP"); NULL: a flag */
	const char *help; /* one or more lines, separated by '\n' */
	bool brief; /* also takes the one-letter form -KEY */
	bool repeat; /* may be given more than once (each value counts); else twice is an error */
};

/* Every table ends with this entry: --help / -h, returned as 'h'. */
#define OPTAB_HELP                                \
	{ "help", 'h', NULL, "this text", true }, \
	{                                         \
		NULL, 0, NULL, NULL, false        \
	}

/* A number macro as a string, for help texts: "default " OPTAB_STR(DEFAULT_X). */
#define OPTAB_STR_(x) #x
#define OPTAB_STR(x) OPTAB_STR_(x)

/* What optab_next() returns besides an entry's key. */
#define OPTAB_END -1 /* no more options; optind is the first operand */
#define OPTAB_ERROR -2 /* unknown option or a missing value: a usage line was printed */

/*
 * The next option of argv for command cmd ("guard", "lab attach"). Start a
 * parse with optab_reset(). The value of an option is in optarg.
 */
int optab_next(int argc, char **argv, const char *cmd, const struct optab *t);
void optab_reset(void);
/*
 * After the options: the one IFACE operand. Its ifindex, or -EXIT_USAGE
 * after a one-line message (missing, more than one, no such interface).
 */
int optab_iface(int argc, char **argv, const char *cmd, const char **ifname);
/* The "Options:" block of --help: each entry's forms, value and help, aligned. */
void optab_print(FILE *f, const struct optab *t);

#endif /* SHAKEOFF_OPTAB_H */
