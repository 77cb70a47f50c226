/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The namespaces of `shakeoff lab fleet`: client, router and servers A and
 * B, named PREFIX<pid>-ROLE so that runs never collide and the leftovers of
 * a run that was killed (its pid gone) can be found and removed by the next.
 * Commands run through `ip`, as a user would type them.
 */
#ifndef SHAKEOFF_LAB_FLEET_TOPO_H
#define SHAKEOFF_LAB_FLEET_TOPO_H

#include <stdbool.h>
#include <sys/types.h>

#define FLEET_NS_PREFIX "sofl"
/* The run's key files and guard logs: /tmp/FLEET_WORK_PREFIX<pid>.XXXXXX */
#define FLEET_WORK_PREFIX "shakeoff-fleet."

enum fleet_role {
	FLEET_CLI = 0,
	FLEET_RTR = 1,
	FLEET_A = 2,
	FLEET_B = 3,
	FLEET__ROLES = 4,
};

/* The addresses of the topology (IPv4). */
#define FLEET_CLI_IP "10.97.1.2"
#define FLEET_RTR_CLI_IP "10.97.1.1"
#define FLEET_RTR_A_IP "10.97.2.1"
#define FLEET_A_IP "10.97.2.2"
#define FLEET_RTR_B_IP "10.97.3.1"
#define FLEET_B_IP "10.97.3.2"
#define FLEET_VIP "10.97.9.1" /* on both servers' s0 */
/* Interfaces: client c0 - r0 router ra - s0 of A, router rb - s0 of B */
#define FLEET_SRV_IF "s0"

struct fleet_topo {
	char ns[FLEET__ROLES][32];
	bool up[FLEET__ROLES];
};

/* "shakeoff lab fleet: MESSAGE" on stderr, one line. */
void fleet_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run a command line (words split at blanks, no quoting), output discarded; 0 if it exited 0. */
int fleet_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Remove the namespaces of runs whose process is gone; how many. */
int fleet_topo_reap_stale(void);
/* The same for their work directories in /tmp. */
int fleet_work_reap_stale(void);
/* Names for this process, then create and wire everything; 0 or -1 after a message. */
int fleet_topo_up(struct fleet_topo *t);
/* End every process left in the namespaces and delete them; safe to call twice. */
void fleet_topo_down(struct fleet_topo *t);
/* Make the calling thread's netns that of role; *saved gets the old one. 0 or -errno. */
int fleet_netns_enter(const struct fleet_topo *t, enum fleet_role role, int *saved);
/* Back to saved (from fleet_netns_enter) and close it. */
void fleet_netns_leave(int saved);
/* The ifindex and MAC of ifname in the current netns; 0 or -errno. */
int fleet_if_info(const char *ifname, int *ifindex, unsigned char mac[6]);

#endif /* SHAKEOFF_LAB_FLEET_TOPO_H */
