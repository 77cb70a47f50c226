// SPDX-License-Identifier: GPL-2.0
#include "core/stat_names.h"

#define NAME3(id, name, help) [GS_##id] = name,
#define HELP3(id, name, help) [GS_##id] = help,
const char *const guard_stat_names[GS__COUNT] = { GUARD_STATS(NAME3) };
const char *const guard_stat_help[GS__COUNT] = { GUARD_STATS(HELP3) };
#undef NAME3
#undef HELP3

#define NAME3(id, name, help) [SS_##id] = name,
#define HELP3(id, name, help) [SS_##id] = help,
const char *const serve_stat_names[SS__COUNT] = { SERVE_STATS(NAME3) };
const char *const serve_stat_help[SS__COUNT] = { SERVE_STATS(HELP3) };
#undef NAME3
#undef HELP3

#define NAME4(id, name, progs, help) [LAB_S_##id] = name,
#define PROGS4(id, name, progs, help) [LAB_S_##id] = progs,
const char *const lab_stat_names[LAB_S__COUNT] = { LAB_STATS(NAME4) };
const unsigned int lab_stat_progs[LAB_S__COUNT] = { LAB_STATS(PROGS4) };
#undef NAME4
#undef PROGS4
