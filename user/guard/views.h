/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guard's views beyond the global counters: per protected port, and the top
 * source prefixes by SYN rate. Readers for `shakeoff stats`, status and
 * metrics; they work from any process that can reach guard's maps (found
 * through the program on the interface, or handed over as fds by the guard
 * process itself). Layouts: include/shakeoff/guard_limits.h.
 */
#ifndef SHAKEOFF_GUARD_VIEWS_H
#define SHAKEOFF_GUARD_VIEWS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>

/* The maps the views read. Open with views_open() or views_from_fds(), end with views_close(). */
struct guard_views {
	int ports_fd; /* guard_ports */
	int portstat_fd; /* guard_portstat */
	int srcs_fd; /* guard_srcs */
	const struct guard_src *srcs; /* guard_srcs, mapped read-only */
	bool own_fds; /* views_close() closes the fds */
};

/* A protected port and its counters, summed over the CPUs. */
struct guard_port_view {
	__u16 port;
	__u16 slot; /* GUARD_PORT_STATS_OTHER: c is shared by every port beyond the bound */
	struct guard_port_stats c;
};

/* A source prefix and its rates over the last complete window (1.07 s). */
struct guard_src_view {
	__u8 addr[16]; /* the prefix, network order; IPv4 in the first 4 */
	int family; /* AF_INET, AF_INET6 */
	unsigned int prefix_len; /* 24 or 64 */
	double syn_rate; /* SYNs per second guard handled from it */
	double synack_rate; /* cookie SYN-ACKs per second it was sent */
};

/*
 * The maps of the guard on ifindex, through its XDP program (else its TC
 * program). 0, -ENOENT (no guard), -EPERM or another -errno.
 */
int views_open(int ifindex, struct guard_views *v);
/* ... of the guard whose XDP or TC program has id prog_id. */
int views_open_id(__u32 prog_id, struct guard_views *v);
/* The same from fds the caller keeps (the guard process: bpf_map__fd() of its skeleton). */
int views_from_fds(struct guard_views *v, int ports_fd, int portstat_fd, int srcs_fd);
void views_close(struct guard_views *v);

/*
 * Every protected port, ascending, with its slot's counters, into
 * out[0..max). Returns how many ports are protected (may exceed max), or
 * -errno.
 */
int views_ports(const struct guard_views *v, struct guard_port_view *out, unsigned int max);
/* One port's counters: 0, -ENOENT (not protected) or -errno. */
int views_port(const struct guard_views *v, __u16 port, struct guard_port_view *out);

/*
 * The n source prefixes with the highest SYN rate (above 0), highest first,
 * into out[0..n). Returns how many, or -errno.
 */
int views_top(const struct guard_views *v, struct guard_src_view *out, unsigned int n);

/* "10.0.0.0/24", "2001:db8::/64": s's prefix into buf. */
const char *views_src_str(const struct guard_src_view *s, char *buf, size_t len);

/*
 * Text: a table, one line per port (then a line "other" if ports share
 * slot 0). JSON: an array of objects {"port","syn","synack",...}; "shared":
 * true on ports counted together in the "other" slot.
 */
void views_print_ports(FILE *f, const struct guard_port_view *p, unsigned int n, bool json);
/* Text: a table, rates with two decimals. JSON: [{"prefix":"10.0.0.0/24","syn_rate":..}] */
void views_print_top(FILE *f, const struct guard_src_view *s, unsigned int n, bool json);

/*
 * What `shakeoff stats --ports --top N` adds: the sections asked for (top 0:
 * none), in text after the counters, in JSON as members to put into the
 * object being printed (",\"ports\":[...],\"top_sources\":[...]"). 0 or
 * -errno (after a pr_warn line).
 */
int views_print(FILE *f, const struct guard_views *v, bool ports, unsigned int top, bool json);

#endif /* SHAKEOFF_GUARD_VIEWS_H */
