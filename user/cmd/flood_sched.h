/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When a flood's frames are due: --rate shaped by --pattern, as pure
 * functions of time so the senders' pacing and the unit tests read the same
 * schedule.
 */
#ifndef SHAKEOFF_FLOOD_SCHED_H
#define SHAKEOFF_FLOOD_SCHED_H

enum flood_pattern {
	FLOOD_CONSTANT = 0, /* rate all along */
	FLOOD_RAMP = 1, /* linearly from 0 to rate over ramp_s, then rate */
	FLOOD_PULSE = 2, /* rate for on_s, nothing for off_s, over and over */
};

struct flood_sched {
	enum flood_pattern pattern;
	double rate; /* frames per second (while on), > 0 */
	double ramp_s; /* ramp: its length, > 0 */
	double on_s, off_s; /* pulse: the periods, on_s > 0, off_s >= 0 */
	double end_s; /* > 0: nothing is due after it (the run's --duration); 0: no end */
};

const char *flood_pattern_name(enum flood_pattern p);
/* The pattern called s, or -1. */
int flood_pattern_parse(const char *s);
/* Frames due from the start up to t seconds after it (not rounded; 0 for t <= 0). */
double flood_sched_due(const struct flood_sched *s, double t);
/* The earliest time at which n frames are due; INFINITY if never (after end_s). */
double flood_sched_when(const struct flood_sched *s, double n);

#endif /* SHAKEOFF_FLOOD_SCHED_H */
