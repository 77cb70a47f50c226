/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands. Each gets argv with argv[0] = its own name and returns an exit code. */
#ifndef SHAKEOFF_CMDS_H
#define SHAKEOFF_CMDS_H

#include <stddef.h>

int cmd_guard(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_flood(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_src(int argc, char **argv);
/* `lab run` (user/lab/run.c) and `lab fleet` (user/lab/fleet.c), argv[0] = "run" / "fleet" */
int cmd_lab_run(int argc, char **argv);
int cmd_lab_fleet(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/*
 * A request line to the guard on ifname over its control socket (cmd/ports.c):
 * the answer's text on stdout, 0; or 1 after one line (as "shakeoff CMD: ...").
 */
int ctl_guard_request(const char *cmd, const char *ifname, const char *line);
/* The same with the answer's text (after "OK ") into out, not printed. */
int ctl_guard_reply(const char *cmd, const char *ifname, const char *line, char *out, size_t len);

#endif /* SHAKEOFF_CMDS_H */
