/* SPDX-License-Identifier: GPL-2.0 */
/* One `lab run` in progress: what the runner, the server and the defences share. */
#ifndef SHAKEOFF_LAB_RUN_H
#define SHAKEOFF_LAB_RUN_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "lab/exp.h"
#include "lab/topo.h"

/* A problem, as one line "shakeoff lab run: ..." (whatever the log level). */
#define lab_warn(...) fprintf(stderr, "shakeoff lab run: " __VA_ARGS__)

struct lab_run {
	struct exp *e;
	struct lab_topo topo;
	char out[PATH_MAX]; /* the results folder */
	char self[PATH_MAX]; /* this shakeoff binary, for guard, serve, flood, probe */
	int cpus; /* online CPUs */
	int srv_cpu, load_cpu; /* the server's CPU and the flood's and prober's (-1: any) */
	pid_t server_pid; /* nginx or the echo server; 0 for serve */
	pid_t defence_pid; /* guard or serve while their defence runs */
};

#endif /* SHAKEOFF_LAB_RUN_H */
