// SPDX-License-Identifier: GPL-2.0
/*
 * Until `shakeoff lab fleet` is built in (user/lab/fleet.c defines the real
 * one, which wins at link time), a fleet experiment is refused in one line.
 */
#include <stdio.h>

#include "cmd/cmds.h"

__attribute__((weak)) int cmd_lab_fleet(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shakeoff lab run: fleet experiments are not built in\n");
	return 1;
}
