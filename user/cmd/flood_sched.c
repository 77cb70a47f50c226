// SPDX-License-Identifier: GPL-2.0
/*
 * The rate schedule of `shakeoff flood`. due(t) is the integral of the rate
 * from 0 to t; when(n) its inverse (the first t with due(t) >= n). A sender
 * sends what is due by the end of its next tick, then sleeps until the
 * schedule has caught up with what it sent; clipping the schedule at the
 * run's end keeps the total within rate x duration.
 */
#include <math.h>
#include <string.h>

#include "cmd/flood_sched.h"

static const char *const pattern_names[] = { "constant", "ramp", "pulse" };

const char *flood_pattern_name(enum flood_pattern p)
{
	return (unsigned int)p < sizeof(pattern_names) / sizeof(pattern_names[0]) ?
		       pattern_names[p] :
		       "?";
}

int flood_pattern_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(pattern_names) / sizeof(pattern_names[0]); i++)
		if (!strcmp(s, pattern_names[i]))
			return (int)i;
	return -1;
}

/* due(t) without the end. */
static double due_open(const struct flood_sched *s, double t)
{
	double r = s->rate, period, k, in;

	if (t <= 0)
		return 0;
	switch (s->pattern) {
	case FLOOD_RAMP:
		if (t < s->ramp_s)
			return r * t * t / (2 * s->ramp_s);
		return r * s->ramp_s / 2 + r * (t - s->ramp_s);
	case FLOOD_PULSE:
		period = s->on_s + s->off_s;
		k = floor(t / period);
		in = t - k * period;
		return r * (k * s->on_s + fmin(in, s->on_s));
	default:
		return r * t;
	}
}

double flood_sched_due(const struct flood_sched *s, double t)
{
	if (s->end_s > 0 && t > s->end_s)
		t = s->end_s;
	return due_open(s, t);
}

/* when(n) without the end. */
static double when_open(const struct flood_sched *s, double n)
{
	double r = s->rate, ramp_n, per_on, k, rest;

	if (n <= 0)
		return 0;
	switch (s->pattern) {
	case FLOOD_RAMP:
		ramp_n = r * s->ramp_s / 2;
		if (n <= ramp_n)
			return sqrt(2 * s->ramp_s * n / r);
		return s->ramp_s + (n - ramp_n) / r;
	case FLOOD_PULSE:
		per_on = r * s->on_s;
		k = floor(n / per_on);
		rest = n - k * per_on;
		/* a whole number of on periods (up to rounding): due at the end of the last one */
		if (rest <= 1e-9 * per_on)
			return (k - 1) * (s->on_s + s->off_s) + s->on_s;
		return k * (s->on_s + s->off_s) + rest / r;
	default:
		return n / r;
	}
}

double flood_sched_when(const struct flood_sched *s, double n)
{
	double t = when_open(s, n);

	if (s->end_s > 0 && t > s->end_s)
		return INFINITY;
	return t;
}
