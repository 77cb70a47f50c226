/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The namespaces of one `lab run`: a bridge in PREFIX-rtr joins PREFIX-srv
 * (srv0), PREFIX-cli (cli0, the prober) and PREFIX-att (att0, the flood).
 * Each bridge port runs a pass-through XDP program, since a veth drops the
 * XDP_TX frames of flood, guard and serve unless its peer runs XDP; the one
 * to the server is `lab count`, whose synack counter is the SYN-ACKs the
 * server sent (the `pass` of the others only counts frames). The
 * server's default route points at the attacker, so replies to spoofed
 * sources leave the server and are counted, then dropped there.
 */
#ifndef SHAKEOFF_LAB_TOPO_H
#define SHAKEOFF_LAB_TOPO_H

#include <stdbool.h>
#include <sys/types.h>

enum topo_ns { NS_SRV, NS_CLI, NS_ATT, NS_RTR, NS__N };

#define TOPO_SRV_IF "srv0"
#define TOPO_ATT_IF "att0"
#define TOPO_SRV_MAC "02:5e:00:00:00:01"
#define TOPO_RTR_SRV_IF "r-srv"
#define TOPO_RTR_ATT_IF "r-att"

struct lab_topo {
	char prefix[16];
	char ns[NS__N][32];
	int nsfd[NS__N];
	int home_fd; /* the runner's own netns, to come back to */
	bool up;
};

/* The server's address in family 4 or 6. */
const char *topo_srv_ip(int family);

void topo_names(struct lab_topo *t, const char *prefix);
/* Create everything (after topo_down() of leftovers). 0, or -1 after one line. */
int topo_up(struct lab_topo *t, const char *shakeoff, int cpus);
/* End every process in the namespaces, remove them. Safe on leftovers of a killed run. */
void topo_down(struct lab_topo *t);
/* Move the calling thread into namespace ns / back home. 0 or -errno. */
int topo_enter(const struct lab_topo *t, enum topo_ns ns);
void topo_leave(const struct lab_topo *t);

/*
 * Start argv in namespace ns (through `ip netns exec`, which execs it, so the
 * pid is the command's), on CPU cpu (-1: any), in its own process group (a
 * Ctrl-C reaches the runner, which ends it), stdout to out_fd and stderr to
 * err_fd (-1: /dev/null). The pid, or -1.
 */
pid_t topo_spawn(const struct lab_topo *t, enum topo_ns ns, int cpu, int out_fd, int err_fd,
		 const char *const *argv);
/* Run argv there and wait: its exit status, or -1. Output to /dev/null unless out_fd >= 0. */
int topo_run(const struct lab_topo *t, enum topo_ns ns, int out_fd, const char *const *argv);
/* TERM pid, KILL it after wait_ms, reap it. */
void topo_stop(pid_t pid, int wait_ms);
/* Whether a TCP socket listens on port in ns (IPv4 or IPv6). */
bool topo_listening(const struct lab_topo *t, enum topo_ns ns, unsigned int port);

#endif /* SHAKEOFF_LAB_TOPO_H */
