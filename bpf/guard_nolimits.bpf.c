// SPDX-License-Identifier: GPL-2.0
/*
 * guard without its limits (source list, source table, SYN-ACK budgets,
 * per-port counters), for `make bench` only: xdp_cost runs it beside the
 * real guard in the same run, and the difference is what the limits cost
 * per SYN. Never attached.
 */
#define GUARD_BENCH_NO_LIMITS 1
#include "guard.bpf.c"
