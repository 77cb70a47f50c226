/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The prober's engine: real kernel TCP connections to one address, started
 * on a steady schedule (connection k at t0 + k/rate, however many are still
 * in flight), each one connect, a small request, its reply, close. Every
 * connection ends as ok or with one failure class (lab/probe_stats.h); the
 * figures of each second go to a callback once all of that second's
 * connections have ended, in order.
 */
#ifndef SHAKEOFF_LAB_PROBE_H
#define SHAKEOFF_LAB_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lab/probe_stats.h"

#define PROBE_ERRNO_MAX 256 /* errnos counted by name for "other" */
#define PROBE_HOST_MAX 64

struct probe_cfg {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	bool has_src;
	struct sockaddr_storage src; /* port 0: the kernel picks one */
	socklen_t src_len;
	double rate; /* connections per second */
	double duration; /* seconds of starts */
	double timeout; /* seconds from a connection's start to its full reply */
	unsigned int request; /* echo mode: bytes sent, the same expected back */
	bool http; /* GET / instead; the reply read to its end, status 2xx/3xx */
	char host[PROBE_HOST_MAX]; /* the Host header */
	unsigned int max_inflight; /* a start finding this many open is skipped */
};

struct probe_result {
	struct probe_bucket all;
	uint64_t other_errno[PROBE_ERRNO_MAX];
	double sched_s; /* time the schedule ran: the duration, or less after a signal */
	double elapsed_s; /* wall time of the whole run, the last replies included */
	double late_max_ms; /* the latest start after its scheduled time */
	uint64_t skipped_late; /* of all.skipped: more than the timeout behind schedule */
	uint64_t inflight_max; /* the most connections open at once */
	unsigned int inflight_limit; /* the bound in effect (max_inflight, open files) */
	bool interrupted;
};

/* Second t's figures; the bucket's samples are freed after the call. */
typedef void (*probe_second_fn)(void *ctx, uint64_t t, struct probe_bucket *b);

/*
 * Run the schedule until its end (plus at most timeout for the last
 * connections) or until *stop is set (connections still open are closed and
 * counted as unfinished). 0, or -errno if it could not run (after one line
 * on stderr). The caller frees res->all with probe_bucket_free().
 */
int probe_run(const struct probe_cfg *cfg, const volatile sig_atomic_t *stop, probe_second_fn fn,
	      void *ctx, struct probe_result *res);

/* The HTTP status of a reply's first bytes ("HTTP/1.1 200 ..."), or -1. */
int probe_http_status(const char *head, size_t len);

#endif /* SHAKEOFF_LAB_PROBE_H */
