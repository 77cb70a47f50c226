// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "core/attach.h"
#include "core/log.h"
#include "core/percpu.h"
#include "guard/views.h"
#include "core/stage.h"

#define SRCS_BYTES ((size_t)GUARD_SRC_SLOTS * sizeof(struct guard_src))
#define PORT_WORDS (sizeof(struct guard_port_stats) / sizeof(__u64))
/* a window of guard_srcs in seconds */
#define SRC_WINDOW_S ((double)(1ULL << GUARD_SRC_SHIFT) / 1e9)

_Static_assert(sizeof(struct guard_port_stats) % sizeof(__u64) == 0, "port counters are words");
/* the kernel lays an mmapable array's values out 8-byte aligned */
_Static_assert(sizeof(struct guard_src) % 8 == 0, "guard_srcs values are read as an array");

static int views_map(struct guard_views *v)
{
	void *p;

	v->srcs = NULL;
	if (v->srcs_fd < 0)
		return 0;
	p = mmap(NULL, SRCS_BYTES, PROT_READ, MAP_SHARED, v->srcs_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	v->srcs = p;
	return 0;
}

int views_from_fds(struct guard_views *v, int ports_fd, int portstat_fd, int srcs_fd)
{
	v->ports_fd = ports_fd;
	v->portstat_fd = portstat_fd;
	v->srcs_fd = srcs_fd;
	v->own_fds = false;
	return views_map(v);
}

int views_open_id(__u32 prog_id, struct guard_views *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->own_fds = true;
	v->ports_fd = prog_map_fd(prog_id, GUARD_MAP_PORTS);
	v->portstat_fd = prog_map_fd(prog_id, GUARD_MAP_PORT_STATS);
	/* the TC program shares the maps: the sources are XDP's all the same */
	v->srcs_fd = prog_map_fd(prog_id, GUARD_MAP_SRCS);
	err = v->ports_fd < 0 ? v->ports_fd : v->portstat_fd < 0 ? v->portstat_fd : 0;
	err = err ?: views_map(v);
	if (err)
		views_close(v);
	return err;
}

int views_open(int ifindex, struct guard_views *v)
{
	struct prog_ref p, tc[16];
	__u32 id = 0;
	int i, n;

	memset(v, 0, sizeof(*v));
	v->ports_fd = v->portstat_fd = v->srcs_fd = -1;
	/* on the hook, or a stage of the root program there (--xdp-stage) */
	if (!xdp_find_named(ifindex, GUARD_XDP_PROG_NAME, &p)) {
		id = p.id;
	} else {
		n = tcx_progs_on(ifindex, tc, 16);
		for (i = 0; i < n && !id; i++)
			if (!strcmp(tc[i].name, GUARD_TC_PROG_NAME))
				id = tc[i].id;
	}
	if (!id)
		return -ENOENT;
	return views_open_id(id, v);
}

void views_close(struct guard_views *v)
{
	if (v->srcs)
		munmap((void *)v->srcs, SRCS_BYTES);
	if (v->own_fds) {
		if (v->ports_fd >= 0)
			close(v->ports_fd);
		if (v->portstat_fd >= 0)
			close(v->portstat_fd);
		if (v->srcs_fd >= 0)
			close(v->srcs_fd);
	}
	memset(v, 0, sizeof(*v));
	v->ports_fd = v->portstat_fd = v->srcs_fd = -1;
}

static int port_fill(const struct guard_views *v, __u16 port, __u16 slot,
		     struct guard_port_view *out)
{
	__u32 key = slot;

	out->port = port;
	out->slot = slot;
	return percpu_sum(v->portstat_fd, &key, (__u64 *)&out->c, PORT_WORDS);
}

int views_port(const struct guard_views *v, __u16 port, struct guard_port_view *out)
{
	struct guard_port p;
	__u32 key = port;

	if (bpf_map_lookup_elem(v->ports_fd, &key, &p))
		return -errno;
	if (!(p.flags & PORT_PROTECTED))
		return -ENOENT;
	return port_fill(v, port, p.stats, out);
}

int views_ports(const struct guard_views *v, struct guard_port_view *out, unsigned int max)
{
	struct guard_port *all = calloc(65536, sizeof(*all));
	__u32 *keys = calloc(65536, sizeof(*keys)), count = 65536, port;
	int n = 0, err = 0;

	if (!all || !keys) {
		err = -ENOMEM;
		goto out;
	}
	/* one syscall for the whole array; a kernel without batch ops gets a lookup per port */
	if (bpf_map_lookup_batch(v->ports_fd, NULL, &port, keys, all, &count, NULL) &&
	    errno != ENOENT) {
		for (port = 0; port < 65536; port++)
			if (bpf_map_lookup_elem(v->ports_fd, &port, &all[port])) {
				err = -errno;
				goto out;
			}
	} else {
		/* an array's batch comes back in key order, every key */
		if (count != 65536) {
			err = -EIO;
			goto out;
		}
	}
	for (port = 0; port < 65536; port++) {
		if (!(all[port].flags & PORT_PROTECTED))
			continue;
		if ((unsigned int)n < max) {
			err = port_fill(v, port, all[port].stats, &out[n]);
			if (err)
				goto out;
		}
		n++;
	}
out:
	free(all);
	free(keys);
	return err ? err : n;
}

static __u32 window_now(void)
{
	struct timespec ts;

	/* the clock bpf_ktime_get_coarse_ns() reads */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u32)((((__u64)ts.tv_sec * 1000000000ULL) + ts.tv_nsec) >> GUARD_SRC_SHIFT);
}

/* A slot's counts over the last complete window, or 0 if it saw nothing lately. */
static void src_rates(const struct guard_src *s, __u32 win, double *syn, double *synack)
{
	__u32 a = 0, b = 0;

	if (s->window == win) {
		a = s->prev_syn;
		b = s->prev_synack;
	} else if (s->window + 1 == win) {
		a = s->syn;
		b = s->synack;
	}
	*syn = a / SRC_WINDOW_S;
	*synack = b / SRC_WINDOW_S;
}

int views_top(const struct guard_views *v, struct guard_src_view *out, unsigned int n)
{
	__u32 win = window_now(), i;
	unsigned int got = 0, j;

	if (!v->srcs || !n)
		return 0;
	for (i = 0; i < GUARD_SRC_SLOTS; i++) {
		const struct guard_src *s = &v->srcs[i];
		struct guard_src_view c = {};

		if (s->family != 4 && s->family != 6)
			continue;
		src_rates(s, win, &c.syn_rate, &c.synack_rate);
		if (c.syn_rate <= 0)
			continue;
		c.family = s->family == 4 ? AF_INET : AF_INET6;
		c.prefix_len = s->family == 4 ? 24 : 64;
		memcpy(c.addr, s->prefix, sizeof(s->prefix));
		/* insertion into the sorted top n */
		for (j = got; j > 0 && out[j - 1].syn_rate < c.syn_rate; j--)
			if (j < n)
				out[j] = out[j - 1];
		if (j < n) {
			out[j] = c;
			if (got < n)
				got++;
		}
	}
	return got;
}

const char *views_src_str(const struct guard_src_view *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(s->family, s->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, s->prefix_len);
	return buf;
}

void views_print_ports(FILE *f, const struct guard_port_view *p, unsigned int n, bool json)
{
	bool other = false;
	unsigned int i;

	if (json) {
		fputc('[', f);
		for (i = 0; i < n; i++) {
			const struct guard_port_stats *c = &p[i].c;

			fprintf(f,
				"%s{\"port\":%u,\"shared\":%s,\"syn\":%llu,\"synack\":%llu,"
				"\"rst\":%llu,\"pass\":%llu,\"drop\":%llu,\"limited\":%llu,"
				"\"denied\":%llu,\"handoff\":%llu}",
				i ? "," : "", p[i].port,
				p[i].slot == GUARD_PORT_STATS_OTHER ? "true" : "false",
				(unsigned long long)c->syn, (unsigned long long)c->synack,
				(unsigned long long)c->rst, (unsigned long long)c->pass,
				(unsigned long long)c->drop, (unsigned long long)c->limited,
				(unsigned long long)c->denied, (unsigned long long)c->handoff);
		}
		fputc(']', f);
		return;
	}
	fprintf(f, "%-7s %14s %14s %12s %14s %14s %12s %12s %12s\n", "port", "syn", "synack", "rst",
		"pass", "drop", "limited", "denied", "handoff");
	for (i = 0; i < n; i++) {
		const struct guard_port_stats *c = &p[i].c;

		if (p[i].slot == GUARD_PORT_STATS_OTHER) {
			other = true;
			continue;
		}
		fprintf(f, "%-7u %14llu %14llu %12llu %14llu %14llu %12llu %12llu %12llu\n",
			p[i].port, (unsigned long long)c->syn, (unsigned long long)c->synack,
			(unsigned long long)c->rst, (unsigned long long)c->pass,
			(unsigned long long)c->drop, (unsigned long long)c->limited,
			(unsigned long long)c->denied, (unsigned long long)c->handoff);
	}
	for (i = 0; other && i < n; i++) {
		const struct guard_port_stats *c = &p[i].c;

		if (p[i].slot != GUARD_PORT_STATS_OTHER)
			continue;
		/* the shared slot once, for every port beyond the bound */
		fprintf(f, "%-7s %14llu %14llu %12llu %14llu %14llu %12llu %12llu %12llu\n",
			"other", (unsigned long long)c->syn, (unsigned long long)c->synack,
			(unsigned long long)c->rst, (unsigned long long)c->pass,
			(unsigned long long)c->drop, (unsigned long long)c->limited,
			(unsigned long long)c->denied, (unsigned long long)c->handoff);
		fprintf(f, "(other: the ports beyond the first %d, counted together)\n",
			GUARD_PORT_STATS_SLOTS - 1);
		break;
	}
}

void views_print_top(FILE *f, const struct guard_src_view *s, unsigned int n, bool json)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned int i;

	if (json) {
		fputc('[', f);
		for (i = 0; i < n; i++)
			fprintf(f, "%s{\"prefix\":\"%s\",\"syn_rate\":%.2f,\"synack_rate\":%.2f}",
				i ? "," : "", views_src_str(&s[i], buf, sizeof(buf)), s[i].syn_rate,
				s[i].synack_rate);
		fputc(']', f);
		return;
	}
	fprintf(f, "%-44s %14s %14s\n", "source", "syn/s", "synack/s");
	for (i = 0; i < n; i++)
		fprintf(f, "%-44s %14.2f %14.2f\n", views_src_str(&s[i], buf, sizeof(buf)),
			s[i].syn_rate, s[i].synack_rate);
	if (!n)
		fprintf(f, "(no SYNs answered by guard in the last %.2f s)\n", SRC_WINDOW_S);
}

int views_print(FILE *f, const struct guard_views *v, bool ports, unsigned int top, bool json)
{
	struct guard_port_view *pv = NULL;
	struct guard_src_view *sv = NULL;
	int np = 0, ns = 0, err = 0;

	if (ports) {
		pv = calloc(65536, sizeof(*pv));
		np = pv ? views_ports(v, pv, 65536) : -ENOMEM;
		if (np < 0) {
			err = np;
			pr_warn("Failed to read guard's per-port counters: %s\n", strerror(-err));
			goto out;
		}
	}
	if (top) {
		sv = calloc(top, sizeof(*sv));
		ns = sv ? views_top(v, sv, top) : -ENOMEM;
		if (ns < 0) {
			err = ns;
			pr_warn("Failed to read guard's source prefixes: %s\n", strerror(-err));
			goto out;
		}
	}
	if (ports) {
		fputs(json ? ",\"ports\":" : "\nper port:\n", f);
		views_print_ports(f, pv, np, json);
	}
	if (top) {
		if (json)
			fputs(",\"top_sources\":", f);
		else
			fprintf(f, "\ntop %u source prefixes by SYN rate:\n", top);
		views_print_top(f, sv, ns, json);
	}
out:
	free(pv);
	free(sv);
	return err;
}
