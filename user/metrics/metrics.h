/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --metrics ADDR:PORT: an HTTP endpoint in a thread of its own that serves
 * the Prometheus text format at /metrics and a live page at /. A command
 * gives it a source: its families (expo.h) and a snapshot function called
 * once per scrape, both run in the metrics thread. Sources read BPF maps
 * through file descriptors of their own, never the controller's structures,
 * so the controller's thread and this one share nothing but the kernel.
 */
#ifndef SHAKEOFF_METRICS_METRICS_H
#define SHAKEOFF_METRICS_METRICS_H

#include <sys/socket.h>

#include "metrics/expo.h"

struct metrics_source {
	const char *command; /* "guard", "serve": build_info's label */
	const char *iface;
	const struct metric_family *families;
	unsigned int nfamilies;
	/* Read what the families print, once per scrape; 0 or -errno (the scrape gets a 503). */
	int (*snapshot)(void *ctx);
	void *ctx;
};

struct metrics;

/*
 * "IPv4:PORT" or "[IPv6]:PORT", numeric, port 1-65535. 0 or -EINVAL: the
 * caller prints a usage error (exit 2).
 */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len);
/*
 * Bind spec and serve src from a new thread. 0, or an exit code after one
 * line saying why (1: the address is in use or not ours; 2: a bad spec).
 * src must outlive metrics_stop().
 */
int metrics_start(struct metrics **mp, const char *spec, const struct metrics_source *src);
/* Stop the thread, close every connection and the socket. NULL is fine. */
void metrics_stop(struct metrics *m);

/* The page served at / (page.c, made from page.html at build time). */
extern const unsigned char metrics_page[];
extern const unsigned int metrics_page_len;

#endif /* SHAKEOFF_METRICS_METRICS_H */
