/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server and the defences of `lab run`, in the server namespace: the
 * kernel's SYN cookies (tcp_syncookies 0, 1, 2), nft synproxy, shakeoff guard
 * (always, auto) and shakeoff serve. A defence the machine cannot run is
 * skipped with the reason, not a failure of the run.
 */
#ifndef SHAKEOFF_LAB_DEFENCE_H
#define SHAKEOFF_LAB_DEFENCE_H

#include <stddef.h>

#include "lab/run.h"

/* The kernel server (nginx or the echo server) up and listening: 0, or -1 after one line. */
int lab_server_start(struct lab_run *r);
void lab_server_stop(struct lab_run *r);
/* Defence d in place: 0, or -1 with why ("nft synproxy: ...") for the results. */
int defence_start(struct lab_run *r, int d, char *why, size_t len);
void defence_stop(struct lab_run *r, int d);

/* The echo server of server = kernel-echo, in a child (echo.c): its pid, or -1. */
pid_t echo_start(const struct lab_topo *t, unsigned int port, int cpu);

#endif /* SHAKEOFF_LAB_DEFENCE_H */
