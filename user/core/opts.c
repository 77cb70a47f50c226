// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h> /* XDP_FLAGS_* */

#include "core/opts.h"

int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	double v;
	char *end;

	if (!s || !*s || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

void port_list_str(const bool ports[65536], char *buf, size_t len)
{
	unsigned int i = 0, lo;
	size_t o = 0;

	buf[0] = '\0';
	while (i < 65536 && o < len) {
		if (!ports[i]) {
			i++;
			continue;
		}
		for (lo = i; i + 1 < 65536 && ports[i + 1]; i++)
			;
		if (lo == i)
			o += snprintf(buf + o, len - o, "%s%u", o ? "," : "", lo);
		else
			o += snprintf(buf + o, len - o, "%s%u-%u", o ? "," : "", lo, i);
		i++;
	}
	if (o >= len && len > 4)
		strcpy(buf + len - 4, "...");
}

int parse_port_range(const char *s, __u16 *lo, __u16 *hi)
{
	char buf[32], *dash;
	unsigned long a, b;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_ulong(buf, 1, 65535, &a))
		return -EINVAL;
	b = a;
	if (dash && parse_ulong(dash, 1, 65535, &b))
		return -EINVAL;
	if (b < a)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

int parse_port_list(const char *s, bool ports[65536], unsigned int *count)
{
	unsigned int n = 0, p;
	const char *tok = s, *end;
	char one[16];
	__u16 lo, hi;

	if (!s || !*s)
		return -EINVAL;
	/* every item between commas is a port or a range: ",80", "80,,81" and "80," are not */
	for (;;) {
		end = strchr(tok, ',');
		if (!end)
			end = tok + strlen(tok);
		if (end == tok || (size_t)(end - tok) >= sizeof(one))
			return -EINVAL;
		memcpy(one, tok, end - tok);
		one[end - tok] = '\0';
		if (parse_port_range(one, &lo, &hi))
			return -EINVAL;
		for (p = lo; p <= hi; p++) {
			n += !ports[p];
			ports[p] = true;
		}
		if (!*end)
			break;
		tok = end + 1;
	}
	*count = n;
	return 0;
}

int parse_ip(const char *s, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int parse_cidr(const char *s, struct ip_addr *a, unsigned int *prefix)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long p;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_ip(buf, a))
		return -EINVAL;
	p = a->family == AF_INET ? 32 : 128;
	if (slash && parse_ulong(slash, 0, p, &p))
		return -EINVAL;
	*prefix = p;
	return 0;
}

int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			 &tail) != 6)
		return -EINVAL;
	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

const char *ip_str(const struct ip_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int parse_xdp_mode(const char *s, __u32 *flags)
{
	if (!strcmp(s, "native"))
		*flags = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(s, "generic"))
		*flags = XDP_FLAGS_SKB_MODE;
	else
		return -EINVAL;
	return 0;
}

static const char *usage_origin;

void usage_set_origin(const char *where)
{
	usage_origin = where;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line, so scripts and journald keep the reason and the hint together */
	if (usage_origin) /* the file's line is the hint */
		fprintf(stderr, "shakeoff %s: %s: %s\n", cmd, usage_origin, msg);
	else
		fprintf(stderr, "shakeoff %s: %s (try 'shakeoff %s --help')\n", cmd, msg, cmd);
	return EXIT_USAGE;
}
