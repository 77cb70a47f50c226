/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Both ends of `shakeoff lab fleet`'s legitimate connections: a kernel echo
 * listener for each server, and the client that opens connections at a
 * steady rate, each sending one request and expecting it echoed.
 */
#ifndef SHAKEOFF_LAB_FLEET_CONN_H
#define SHAKEOFF_LAB_FLEET_CONN_H

#include <signal.h>
#include <sys/types.h>

#include "lab/fleet_report.h"

/*
 * A listener on port in the calling thread's netns, served by a child
 * process (killed when we die); its pid, or -1 after a message.
 */
pid_t fleet_echo_start(unsigned int port);

/*
 * n connections to dst:port, one every 1/rate s, each given timeout_ms to
 * connect, send its request and read it back, at most that many open at
 * once; stops early when *stop is set. Counts into m (attempted,
 * completed, failed). 0, or -errno when no socket could be made.
 */
int fleet_connect_run(const char *dst, unsigned int port, unsigned int n, double rate,
		      int timeout_ms, volatile sig_atomic_t *stop, struct fleet_mode *m);

#endif /* SHAKEOFF_LAB_FLEET_CONN_H */
