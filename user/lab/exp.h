/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An experiment of `shakeoff lab run`: its settings, read from the
 * experiment file (conffile.c: every key is a long option of `lab run`) and
 * the command line over it, and the sweep they describe: for each defence,
 * for each flood kind, for each rate, one step.
 */
#ifndef SHAKEOFF_LAB_EXP_H
#define SHAKEOFF_LAB_EXP_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmd/optab.h"

#define EXP_MAX_LIST 16
#define EXP_DEFAULT_PREFIX "solab"

enum exp_defence {
	DEF_NONE,
	DEF_SYNCOOKIES_1,
	DEF_SYNCOOKIES_2,
	DEF_SYNPROXY,
	DEF_GUARD_ALWAYS,
	DEF_GUARD_AUTO,
	DEF_SERVE,
	DEF__N
};

enum exp_server { SRV_KERNEL_HTTP, SRV_KERNEL_ECHO, SRV_SERVE };

struct exp {
	char name[64];
	char file[PATH_MAX]; /* the experiment file ("" when none) */
	bool fleet; /* type = fleet: the file is `lab fleet`'s */
	enum exp_server server;
	int defences[EXP_MAX_LIST];
	int ndef;
	char kinds[EXP_MAX_LIST][16];
	int nkind;
	unsigned long rates[EXP_MAX_LIST];
	int nrate;
	unsigned long step_s, settle_s;
	unsigned long probe_rate, probe_request, probe_timeout_s;
	unsigned long port;
	char src[64]; /* flood sources (CIDR); "" = flood's default */
	unsigned long src_pool; /* 0 = not given */
	char pattern[16]; /* "" = flood's default (constant) */
	unsigned long seed;
	bool has_seed;
	int family; /* 4 or 6 */
	char prefix[16]; /* namespace names: PREFIX-srv ... */
	char out[PATH_MAX]; /* results folder; "" = results/NAME-TIME */
	bool no_report;
};

/* One step of the sweep. */
struct exp_step {
	int index; /* 0-based */
	int defence;
	const char *kind;
	unsigned long rate;
};

extern const char *const exp_defence_names[DEF__N];
extern const struct optab exp_optab[];

/*
 * Settings from argv ("run" [options] [EXPERIMENT]), the file's keys under
 * the command line's. *experiment: the operand (NULL if none). 0, or
 * EXIT_USAGE after one line (FILE:LINE for a file's key).
 */
int exp_load(int argc, char **argv, struct exp *e, const char **experiment);
/* The same from a file's text in memory (the unit tests); name stands for the file. */
int exp_load_text(const char *text, const char *name, struct exp *e);
void exp_defaults(struct exp *e);
/* Defaults the command line and file left open, checks across keys: 0 or EXIT_USAGE. */
int exp_finish(struct exp *e);

int exp_steps(const struct exp *e);
/* Step i (0-based) of the sweep: defence outermost, then kind, then rate. */
void exp_step(const struct exp *e, int i, struct exp_step *s);
/* Seconds the sweep takes, setup included, for the progress line and --help. */
unsigned long exp_estimate_s(const struct exp *e);
/* The settings as a JSON object (meta.json "settings"). */
void exp_settings_json(FILE *f, const struct exp *e);

#endif /* SHAKEOFF_LAB_EXP_H */
