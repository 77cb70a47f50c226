/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `shakeoff lab fleet` measured and how it says so: the tally of one
 * key mode, failure causes, and the text, JSON-lines, fleet.json and
 * fleet.md forms. No I/O but the FILE given.
 */
#ifndef SHAKEOFF_LAB_FLEET_REPORT_H
#define SHAKEOFF_LAB_FLEET_REPORT_H

#include <stdbool.h>
#include <stdio.h>

/* Why a connection failed; X(id, name): the prober's classes (lab/probe_stats.h), in its order. */
#define FLEET_CAUSES(X)       \
	X(TIMEOUT, "timeout") \
	X(RST, "rst")         \
	X(REFUSED, "refused") \
	X(SHORT, "short")     \
	X(OTHER, "other")

enum fleet_cause {
#define FLEET_CAUSE_ENUM(id, name) FLEET_C_##id,
	FLEET_CAUSES(FLEET_CAUSE_ENUM)
#undef FLEET_CAUSE_ENUM
		FLEET_C__COUNT,
};

const char *fleet_cause_name(enum fleet_cause c);

enum fleet_keys {
	FLEET_KEYS_SHARED = 0, /* both guards read one key file */
	FLEET_KEYS_SEPARATE = 1, /* each guard its own secret */
};

const char *fleet_keys_name(enum fleet_keys k);

struct fleet_mode {
	enum fleet_keys keys;
	unsigned int attempted;
	unsigned int completed;
	unsigned int failed[FLEET_C__COUNT];
	unsigned long long syn_to_a; /* the router's counters over the mode */
	unsigned long long rest_to_b;
	double duration_s;
};

/* Shared keys: every connection completes; separate keys: none does. */
bool fleet_mode_as_expected(const struct fleet_mode *m);

/* What the run was asked to do, for fleet.json and the headings. */
struct fleet_settings {
	unsigned int connections;
	double rate;
	double timeout_s;
	unsigned int port;
	const char *started; /* ISO 8601 UTC */
};

/* "keys shared: 20 attempted, 20 completed, 0 failed (...)\n" */
void fleet_print_text(FILE *f, const struct fleet_mode *m);
/* One JSON line {"ts":..,"event":"mode",...} */
void fleet_print_jsonl(FILE *f, const struct fleet_mode *m);
/* One JSON line {"ts":..,"event":"summary","modes":N,"as_expected":..} */
void fleet_print_summary(FILE *f, const struct fleet_mode *m, int n);
/* fleet.json: {"experiment":"fleet","started":..,"settings":{..},"modes":[..],"as_expected":..} */
void fleet_write_json(FILE *f, const struct fleet_settings *s, const struct fleet_mode *m, int n);
/* fleet.md: a heading, the settings and one table row per mode. */
void fleet_write_md(FILE *f, const struct fleet_settings *s, const struct fleet_mode *m, int n);

#endif /* SHAKEOFF_LAB_FLEET_REPORT_H */
