/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names (and guard's help texts) of every counter set, made once from the X-macro
 * lists in include/shakeoff/ (GUARD_STATS, SERVE_STATS, LAB_STATS): what
 * stats, metrics and tests print. Index with GS_*, SS_*, LAB_S_*.
 */
#ifndef SHAKEOFF_STAT_NAMES_H
#define SHAKEOFF_STAT_NAMES_H

#include <shakeoff/guard_stats.h>
#include <shakeoff/lab.h>
#include <shakeoff/serve_abi.h>

extern const char *const guard_stat_names[GS__COUNT];
extern const char *const guard_stat_help[GS__COUNT];
extern const char *const serve_stat_names[SS__COUNT];
extern const char *const serve_stat_help[SS__COUNT];
extern const char *const lab_stat_names[LAB_S__COUNT];
/* LAB_M() mask of the lab programs that move each lab counter */
extern const unsigned int lab_stat_progs[LAB_S__COUNT];

#endif /* SHAKEOFF_STAT_NAMES_H */
