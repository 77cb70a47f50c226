/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One report, two renderings: a JSON line (json_ts() first) or indented
 * "key: value" text with the same keys, so a field is added once and shows in
 * both. Text: a nested object is a "key:" line with its fields indented under
 * it; a list of values is one "key: a, b" line; a list of objects is one
 * "- k: v, k: v" line per object (objects in a list hold values only).
 */
#ifndef SHAKEOFF_REPORT_H
#define SHAKEOFF_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define REPORT_DEPTH 8

struct report {
	FILE *f;
	bool json;
	int depth; /* open containers; 0: the top object */
	char kind[REPORT_DEPTH]; /* 'o' object, 'l' list, 'i' object inside a list (text: inline) */
	unsigned int count[REPORT_DEPTH]; /* members written so far */
};

/* Open the top object; text: a "title:" line, its fields under it. */
void report_begin(struct report *r, FILE *f, bool json, const char *title);
/* Close every container and end the line (JSON) or the block (text). */
void report_end(struct report *r);
/* A nested object or list under key (key ignored inside a list). */
void report_obj(struct report *r, const char *key);
void report_list(struct report *r, const char *key);
void report_close(struct report *r);
void report_str(struct report *r, const char *key, const char *v);
void report_u64(struct report *r, const char *key, __u64 v);
void report_bool(struct report *r, const char *key, bool v);
/* A number with decimals (JSON number; text with that many places). */
void report_num(struct report *r, const char *key, double v, int decimals);

/*
 * The fields every controller's report has: pid, alive (a shakeoff process
 * of that pid runs), uptime_s (from start_ns, CLOCK_REALTIME), version.
 */
void report_owner(struct report *r, __u32 pid, __u64 start_ns, const char *version);
/* A list "key" of addresses: n4 IPv4 (wire order) then n6 IPv6, each at most max. */
void report_addrs(struct report *r, const char *key, const __be32 *addr4, __u32 n4,
		  const __be32 (*addr6)[4], __u32 n6, __u32 max);

#endif /* SHAKEOFF_REPORT_H */
