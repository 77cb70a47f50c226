/* SPDX-License-Identifier: GPL-2.0 */
/* shakeoff lab scenario: the textbook TCP cases played on a namespace pair. */
#ifndef SHAKEOFF_LAB_SCENARIO_H
#define SHAKEOFF_LAB_SCENARIO_H

#include <stdio.h>

/* argv[0] = "scenario"; an exit code (0, 1 a check failed or no run, 2 usage). */
int cmd_lab_scenario(int argc, char **argv);
/* The usage lines `shakeoff lab --help` prints for it. */
void lab_scenario_usage(FILE *f);
/* Its "Scenario options:" block there. */
void lab_scenario_options(FILE *f);

#endif /* SHAKEOFF_LAB_SCENARIO_H */
