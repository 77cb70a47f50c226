/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The servers' side of `shakeoff lab fleet`'s legitimate connections: a
 * kernel echo listener that returns each connection's first read and closes
 * (the client is the prober's engine, lab/probe.h).
 */
#ifndef SHAKEOFF_LAB_FLEET_CONN_H
#define SHAKEOFF_LAB_FLEET_CONN_H

#include <sys/types.h>

/*
 * A listener on port in the calling thread's netns, served by a child
 * process (killed when we die); its pid, or -1 after a message.
 */
pid_t fleet_echo_start(unsigned int port);

#endif /* SHAKEOFF_LAB_FLEET_CONN_H */
