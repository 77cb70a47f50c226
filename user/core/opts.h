/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsing of option values; every parser returns 0 or -EINVAL. */
#ifndef SHAKEOFF_OPTS_H
#define SHAKEOFF_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

/* Exit codes: 2 for anything the user can fix by changing the command or the system. */
#define EXIT_USAGE 2

struct ip_addr {
	int family; /* AF_INET or AF_INET6 */
	__u8 bytes[16]; /* network order; IPv4 in the first 4 */
};

int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int parse_double(const char *s, double min, double max, double *out);
/* "80,443,8000-8010": sets ports[port] = true for each, *count = how many. */
int parse_port_list(const char *s, bool ports[65536], unsigned int *count);
/* The reverse: "80,443,8000-8010" into buf (cut short with "..." if it does not fit). */
void port_list_str(const bool ports[65536], char *buf, size_t len);
int parse_port_range(const char *s, __u16 *lo, __u16 *hi);
int parse_ip(const char *s, struct ip_addr *a);
/* "10.0.0.0/8", "2001:db8::/64"; a bare address is a /32 or /128. */
int parse_cidr(const char *s, struct ip_addr *a, unsigned int *prefix);
int parse_mac(const char *s, __u8 mac[6]);
/* --xdp-mode: "native" -> XDP_FLAGS_DRV_MODE, "generic" -> XDP_FLAGS_SKB_MODE. */
int parse_xdp_mode(const char *s, __u32 *flags);
const char *ip_str(const struct ip_addr *a, char *buf, size_t len);

/* Print "shakeoff CMD: MESSAGE (try 'shakeoff CMD --help')" on one line; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Until reset with NULL, usage_error() names where (a config file's "FILE:LINE") instead of the hint. */
void usage_set_origin(const char *where);

#endif /* SHAKEOFF_OPTS_H */
