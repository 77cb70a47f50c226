/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands. Each gets argv with argv[0] = its own name and returns an exit code. */
#ifndef SHAKEOFF_CMDS_H
#define SHAKEOFF_CMDS_H

int cmd_guard(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_flood(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_conns(int argc, char **argv);

#endif /* SHAKEOFF_CMDS_H */
