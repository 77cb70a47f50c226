// SPDX-License-Identifier: GPL-2.0
/*
 * guard without shakeoff trace's producers (bpf/lib/trace_prod.h), for
 * `make bench` only: xdp_cost runs it beside the real guard, trace flag off,
 * in the same run, and the difference is what the hooks cost when no trace
 * runs. Never attached.
 */
#define GUARD_BENCH_NO_TRACE 1
#include "guard.bpf.c"
