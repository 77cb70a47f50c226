/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `lab run` measures and writes: counters read from /proc of the
 * calling network namespace or the machine, and the results folder's rows
 * (samples.csv, steps.jsonl), one format for the runner and the report.
 */
#ifndef SHAKEOFF_LAB_SAMPLE_H
#define SHAKEOFF_LAB_SAMPLE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* The prober's failure causes, in samples.csv's and the probe's order. */
#define SAMPLE_FAILS 5
extern const char *const sample_fail_names[SAMPLE_FAILS];

/* One second of one step: a row of samples.csv. */
struct sample_row {
	unsigned long t; /* second of the step, from 1 */
	unsigned long attempted, ok;
	unsigned long failed[SAMPLE_FAILS];
	double connect_p50_ms, connect_p99_ms;
	double flood_pps, synack_pps;
	double cpu_softirq_pct, cpu_process_pct;
};

#define SAMPLE_MAX_DROPS 24

/* One step: a line of steps.jsonl. */
struct step_result {
	const char *defence, *kind;
	unsigned long rate;
	double achieved_pps, duration_s;
	unsigned long attempted, ok;
	unsigned long failed[SAMPLE_FAILS];
	double p50, p90, p99, max; /* connect ms; negative: none */
	double softirq_pct, process_pct;
	double softirq_all_pct; /* every CPU's softirq, in % of one CPU: XDP on veth runs on the sender's */
	unsigned long long synack_sent;
	int ndrops;
	char drop_names[SAMPLE_MAX_DROPS][48];
	unsigned long long drops[SAMPLE_MAX_DROPS];
	const char *skipped; /* why the step did not run, or NULL */
	const char *note; /* what went wrong in a step that ran, or NULL */
};

void samples_csv_header(FILE *f);
void samples_csv_row(FILE *f, const char *defence, const char *kind, unsigned long rate,
		     const struct sample_row *r);
void steps_json_line(FILE *f, const struct step_result *s);
/* Add a named drop counter to s (summed if the name is there already). */
void step_add_drop(struct step_result *s, const char *name, unsigned long long n);

/* CPU cpu's (-1: all CPUs') softirq and total ticks from /proc/stat. 0 or -errno. */
int cpu_ticks(int cpu, unsigned long long *softirq, unsigned long long *total);
/* utime + stime of pid in ticks; 0 if it is gone. */
unsigned long long proc_ticks(pid_t pid);
/* rx and tx packets of ifname in the calling netns (/proc/net/dev). 0 or -errno. */
int netdev_packets(const char *ifname, unsigned long long *rx, unsigned long long *tx);
/*
 * A TCP counter of the calling netns by nstat's name without its table
 * ("SyncookiesSent" from TcpExt, "ListenDrops" ...), from /proc/net/netstat
 * and /proc/net/snmp; 0 if not found.
 */
unsigned long long netstat_counter(const char *name);

/*
 * The number after "key": in a JSON line (the first such key, at any
 * depth); false if absent or not a number.
 */
bool json_number(const char *line, const char *key, double *out);

#endif /* SHAKEOFF_LAB_SAMPLE_H */
