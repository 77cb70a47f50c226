// SPDX-License-Identifier: GPL-2.0
/*
 * guard_apply(): the running options to new ones, one area after another.
 * An area may refuse a change it cannot make live (check), and makes the
 * changes it can through the maps (apply), each logged on one line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.skel.h"
#include "core/iface.h"
#include "core/listeners.h"
#include "core/log.h"
#include "core/percpu.h"
#include "guard/apply.h"
#include "guard/limits.h"
#include "guard/recent.h"

struct apply_ctx {
	struct guard *g;
	const struct guard_opts *old;
	struct guard_opts *n;
	bool json;
	char *why;
	size_t len;
};

struct apply_area {
	const char *name;
	/* 0, or -EPERM with c->why set: the change cannot be made live */
	int (*check)(struct apply_ctx *c);
	/* the maps for this area: 1 changed (and logged), 0 nothing to do, or -errno */
	int (*apply)(struct apply_ctx *c);
};

static void apply_note(const struct apply_ctx *c, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line per kind of change: "IFACE: WHAT: DETAIL", or a JSON event. */
static void apply_note(const struct apply_ctx *c, const char *what, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (c->json)
		printf("{\"event\":\"changed\",\"iface\":\"%s\",\"what\":\"%s\",\"detail\":\"%s\"}\n",
		       c->g->o->ifname, what, detail);
	else
		printf("%s: %s: %s\n", c->g->o->ifname, what, detail);
	fflush(stdout);
}

static int refuse(struct apply_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct apply_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->len, fmt, ap);
	va_end(ap);
	return -EPERM;
}

static bool str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* What only a start sets up: the XDP attachment, the system check. */
static int check_start_only(struct apply_ctx *c)
{
	if (strcmp(c->old->ifname, c->n->ifname))
		return refuse(c, "the interface cannot change live (start another guard)");
	if (c->old->xdp_flags != c->n->xdp_flags)
		return refuse(c, "xdp-mode cannot change live (restart guard to change it)");
	if (c->old->fix_sysctls != c->n->fix_sysctls)
		return refuse(c, "fix-sysctls applies at start only (restart guard to change it)");
	if (strcmp(c->old->metrics, c->n->metrics))
		return refuse(c, "metrics cannot change live (restart guard to change it)");
	if (strcmp(c->old->share.next_prog, c->n->share.next_prog) ||
	    strcmp(c->old->share.next_pin, c->n->share.next_pin))
		return refuse(c,
			      "next-prog/next-pin cannot change live (restart guard to change it)");
	if (strcmp(c->old->share.stage_path, c->n->share.stage_path) ||
	    c->old->share.stage_index != c->n->share.stage_index)
		return refuse(c, "xdp-stage cannot change live (restart guard to change it)");
	return 0;
}

/*
 * Cookie keys. A key file's secret (a new one, or another file) rolls over
 * with the overlap of keys.h, so handshakes in flight on any host of the
 * fleet go on; random keys are this host's alone and cannot come back.
 */
static int check_keys(struct apply_ctx *c)
{
	struct key_file_id id;
	__u64 m[2];
	int err;

	if (c->old->key_file && !c->n->key_file)
		return refuse(c, "key-file cannot be dropped live (restart guard for random keys)");
	if (!c->n->key_file)
		return 0;
	err = keys_read_secret(c->n->key_file, m, &id);
	if (err)
		return refuse(c, "key file %s: %s", c->n->key_file, keys_strerror(err));
	return 0;
}

static int apply_keys(struct apply_ctx *c)
{
	struct key_source *ks = &c->g->keys;
	__u64 overlap_ns = c->n->key_overlap * 1000000000ULL;
	int changed = 0, err;

	if (overlap_ns != ks->overlap_ns) {
		ks->overlap_ns = overlap_ns;
		apply_note(c, "key-overlap", "%lu s", c->n->key_overlap);
		changed = 1;
	}
	if (!c->n->key_file)
		return changed;
	/* the same file: read again all the same (SIGHUP after an edit), logged by keys.c */
	err = keys_reload(ks, str_differ(c->old->key_file, c->n->key_file) ? c->n->key_file : NULL,
			  c->json);
	if (err < 0) {
		snprintf(c->why, c->len, "key file %s: %s", c->n->key_file, keys_strerror(err));
		return err;
	}
	return changed + err;
}

/* The whole value of one port: its flags and its counter slot (guard_portstat). */
static int port_write(int fd, __u32 port, __u8 flags, __u16 slot)
{
	struct guard_port v = { .flags = flags, .stats = slot };

	return bpf_map_update_elem(fd, &port, &v, BPF_ANY) ? -errno : 0;
}

/*
 * Counter slots stay with their port across changes (a port's counts never
 * jump to another): the slots the kept ports hold are taken, an added port
 * gets the lowest free one, zeroed first, or shares "other" when none is left.
 */
static int port_slots_used(const struct apply_ctx *c, int fd, bool *used)
{
	struct guard_port v;
	__u32 i;

	for (i = 0; i < 65536; i++) {
		if (!c->n->ports[i] || !c->old->ports[i])
			continue;
		if (bpf_map_lookup_elem(fd, &i, &v))
			return -errno;
		if (v.stats < GUARD_PORT_STATS_SLOTS)
			used[v.stats] = true;
	}
	return 0;
}

static __u16 port_slot_take(const struct guard *g, bool *used)
{
	int fd = bpf_map__fd(g->skel->maps.guard_portstat);
	int ncpu = libbpf_num_possible_cpus();
	struct guard_port_stats *zero;
	__u32 s;

	for (s = 1; s < GUARD_PORT_STATS_SLOTS && used[s]; s++)
		;
	if (s == GUARD_PORT_STATS_SLOTS)
		return GUARD_PORT_STATS_OTHER;
	used[s] = true;
	zero = calloc(ncpu > 0 ? ncpu : 1, sizeof(*zero));
	if (zero)
		bpf_map_update_elem(fd, &s, zero, BPF_ANY);
	free(zero);
	return s;
}

/* SYNs guard_synrate has counted for port so far: where a rate starts from. */
static __u64 syn_count(const struct guard *g, __u32 port)
{
	__u64 sum = 0;

	percpu_sum(bpf_map__fd(g->skel->maps.guard_synrate), &port, &sum, 1);
	return sum;
}

/*
 * Ports: the added ones are written with their listener flags in the same
 * update (a SYN never finds a protected port without them and gets a RST),
 * after their kernel sockets are marked in guard_recent; the removed ones go
 * to 0, so XDP passes them. Kept ports are not touched.
 */
static int apply_ports(struct apply_ctx *c)
{
	struct guard *g = c->g;
	int fd = bpf_map__fd(g->skel->maps.guard_ports);
	bool *add = calloc(65536, sizeof(bool)), *del = calloc(65536, sizeof(bool));
	bool *n4 = calloc(65536, sizeof(bool)), *n6 = calloc(65536, sizeof(bool));
	__u16 *list = calloc(c->n->nports ? c->n->nports : 1, sizeof(*list));
	__u64 *prev = calloc(c->n->nports ? c->n->nports : 1, sizeof(*prev));
	__u8 *calm = calloc(c->n->nports ? c->n->nports : 1, sizeof(*calm));
	unsigned int i, j = 0, nadd = 0, ndel = 0, k = 0;
	bool used[GUARD_PORT_STATS_SLOTS] = { false };
	char sadd[256], sdel[256];
	int err = -ENOMEM;

	if (!add || !del || !n4 || !n6 || !list || !prev || !calm)
		goto out;
	for (i = 0; i < 65536; i++) {
		add[i] = c->n->ports[i] && !c->old->ports[i];
		del[i] = !c->n->ports[i] && c->old->ports[i];
		nadd += add[i];
		ndel += del[i];
	}
	err = 0;
	if (!nadd && !ndel)
		goto out;
	err = port_slots_used(c, fd, used);
	if (err) {
		snprintf(c->why, c->len, "Failed to read map guard_ports: %s", strerror(-err));
		goto out;
	}
	if (nadd) {
		err = listeners_scan(add, c->n->addrs, c->n->naddrs, n4, n6);
		if (err) {
			snprintf(c->why, c->len, "Failed to list TCP listeners: %s",
				 strerror(-err));
			goto out;
		}
		if (recent_seed(g->recent, add, RECENT_SEED_STATES) < 0)
			pr_warn("Failed to list TCP sockets of the added ports\n");
	}
	for (i = 0; i < 65536 && !err; i++) {
		if (add[i]) {
			err = port_write(fd, i,
					 PORT_PROTECTED | (n4[i] ? PORT_LISTEN4 : 0) |
						 (n6[i] ? PORT_LISTEN6 : 0),
					 port_slot_take(g, used));
			g->listen4[i] = n4[i];
			g->listen6[i] = n6[i];
		} else if (del[i]) {
			err = port_write(fd, i, 0, 0);
			g->listen4[i] = false;
			g->listen6[i] = false;
		}
	}
	if (err) {
		snprintf(c->why, c->len, "Failed to write map guard_ports: %s", strerror(-err));
		goto out;
	}
	/* the per-port state of auto mode stays with its port */
	for (i = 0; i < 65536; i++) {
		if (!c->n->ports[i])
			continue;
		while (j < g->nports && g->port_list[j] < i)
			j++;
		list[k] = i;
		if (j < g->nports && g->port_list[j] == i) {
			prev[k] = g->syn_prev[j];
			calm[k] = g->calm_ticks[j];
		} else {
			prev[k] = syn_count(g, i);
		}
		k++;
	}
	free(g->port_list);
	free(g->syn_prev);
	free(g->calm_ticks);
	g->port_list = list;
	g->syn_prev = prev;
	g->calm_ticks = calm;
	g->nports = k;
	list = NULL;
	prev = NULL;
	calm = NULL;
	port_list_str(add, sadd, sizeof(sadd));
	port_list_str(del, sdel, sizeof(sdel));
	apply_note(c, "ports", "%s%s%s%s%s%s%u protected", nadd ? "added " : "", sadd,
		   nadd ? "; " : "", ndel ? "removed " : "", sdel, ndel ? "; " : "", k);
	err = 1;
out:
	free(add);
	free(del);
	free(n4);
	free(n6);
	free(list);
	free(prev);
	free(calm);
	return err;
}

static bool addr_in(const struct ip_addr *a, const struct ip_addr *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i].family == a->family &&
		    !memcmp(set[i].bytes, a->bytes, a->family == AF_INET ? 4 : 16))
			return true;
	return false;
}

/* "added A B; removed C" between two address lists; 0 if they hold the same. */
static int addrs_diff(const struct ip_addr *o, unsigned int no, const struct ip_addr *n,
		      unsigned int nn, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned int i, changes = 0;
	size_t off = 0;
	int pass;

	buf[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		const struct ip_addr *from = pass ? o : n, *to = pass ? n : o;
		unsigned int nfrom = pass ? no : nn, nto = pass ? nn : no, first = 1;

		for (i = 0; i < nfrom && off < len; i++) {
			const char *sep = " ";

			if (addr_in(&from[i], to, nto))
				continue;
			if (first)
				sep = !pass ? "added " : changes ? "; removed " : "removed ";
			off += snprintf(buf + off, len - off, "%s%s", sep,
					ip_str(&from[i], ip, sizeof(ip)));
			first = 0;
			changes++;
		}
	}
	return changes;
}

static int apply_addrs(struct apply_ctx *c)
{
	char d[512];

	if (!addrs_diff(c->old->addrs, c->old->naddrs, c->n->addrs, c->n->naddrs, d, sizeof(d)))
		return 0;
	apply_note(c, "addresses", "%s; %u protected", d, c->n->naddrs);
	return 1;
}

/* Auto mode's per-port state starts afresh when the mode changes. */
static int apply_cookies(struct apply_ctx *c)
{
	struct guard *g = c->g;
	int fd = bpf_map__fd(g->skel->maps.guard_ports);
	unsigned int i;

	if (c->old->mode == c->n->mode && c->old->syn_threshold == c->n->syn_threshold)
		return 0;
	for (i = 0; c->old->mode != c->n->mode && i < g->nports; i++) {
		__u32 port = g->port_list[i];
		struct guard_port v;

		g->syn_prev[i] = syn_count(g, port);
		g->calm_ticks[i] = 0;
		if (bpf_map_lookup_elem(fd, &port, &v))
			continue;
		if (!(v.flags & PORT_UNDER_ATTACK))
			continue;
		v.flags &= ~PORT_UNDER_ATTACK;
		if (bpf_map_update_elem(fd, &port, &v, BPF_ANY)) {
			snprintf(c->why, c->len, "Failed to write map guard_ports: %s",
				 strerror(errno));
			return -errno;
		}
	}
	if (c->n->mode == GUARD_COOKIES_AUTO)
		apply_note(c, "cookies", "auto, above %lu SYN/s per port", c->n->syn_threshold);
	else
		apply_note(c, "cookies", "always");
	return 1;
}

static int apply_replies(struct apply_ctx *c)
{
	char mss[16], ws[16];

	if (c->old->mss == c->n->mss && c->old->wscale == c->n->wscale && c->old->ttl == c->n->ttl)
		return 0;
	snprintf(mss, sizeof(mss), "%u", c->n->mss);
	snprintf(ws, sizeof(ws), "%d", c->n->wscale);
	apply_note(c, "replies", "mss %s, wscale %s, ttl %u", c->n->mss ? mss : "from the MTU",
		   c->n->wscale >= 0 ? ws : "as Linux", c->n->ttl);
	return 1;
}

static int apply_rst(struct apply_ctx *c)
{
	if (c->old->rst_rate == c->n->rst_rate && c->old->rst_rate_src == c->n->rst_rate_src)
		return 0;
	apply_note(c, "rst-rate", "%lu/s, %lu/s per source prefix", c->n->rst_rate,
		   c->n->rst_rate_src);
	return 1;
}

/* Everything of guard_cfg at once (addresses, mode, replies, RST budgets): one update. */
static int apply_cfg(struct apply_ctx *c)
{
	int err = guard_write_cfg(c->g);

	if (err < 0)
		snprintf(c->why, c->len, "Failed to write map guard_cfg: %s", strerror(-err));
	return err < 0 ? err : 0; /* the areas above logged what changed */
}

/* --synack-rate[-src], --allow, --deny: the lists and budgets (guard_cfg's part goes with "cfg"). */
static int apply_limits(struct apply_ctx *c)
{
	const struct guard_opts *o = c->old, *n = c->n;
	int err;

	if (o->synack_rate == n->synack_rate && o->synack_rate_src == n->synack_rate_src &&
	    o->nsrc_rules == n->nsrc_rules &&
	    !memcmp(o->src_rules, n->src_rules, n->nsrc_rules * sizeof(n->src_rules[0])))
		return 0;
	err = limits_apply(c->g, n);
	if (err) {
		snprintf(c->why, c->len, "Failed to write the source list: %s", strerror(-err));
		return err < 0 ? err : -EIO;
	}
	apply_note(c, "limits", "synack-rate %lu/s, %lu/s per source prefix; %u allow/deny rule(s)",
		   n->synack_rate, n->synack_rate_src, n->nsrc_rules);
	return 1;
}

/* In order. Another area plugs in as one more entry. */
static const struct apply_area apply_areas[] = {
	{ "start-only", check_start_only, NULL },
	{ "keys", check_keys, apply_keys },
	{ "ports", NULL, apply_ports },
	{ "addresses", NULL, apply_addrs },
	{ "cookies", NULL, apply_cookies },
	{ "replies", NULL, apply_replies },
	{ "rst", NULL, apply_rst },
	{ "limits", NULL, apply_limits },
	{ "cfg", NULL, apply_cfg },
};

#define N_AREAS (sizeof(apply_areas) / sizeof(apply_areas[0]))

static int apply_run(struct apply_ctx *c)
{
	int err, changed = 0;
	size_t i;

	c->g->o = c->n;
	for (i = 0; i < N_AREAS; i++) {
		if (!apply_areas[i].apply)
			continue;
		err = apply_areas[i].apply(c);
		if (err < 0)
			return err;
		changed += err;
	}
	return changed;
}

int guard_apply(struct guard *g, struct guard_opts *n, bool json, char *why, size_t len)
{
	struct guard_opts *old = g->o;
	struct apply_ctx c = { g, old, n, json, why, len };
	struct apply_ctx back = { g, n, old, json, why, len };
	char first[256];
	size_t i;
	int err;

	why[0] = '\0';
	for (i = 0; i < N_AREAS; i++) {
		if (!apply_areas[i].check)
			continue;
		err = apply_areas[i].check(&c);
		if (err)
			return err;
	}
	err = apply_run(&c);
	if (err >= 0)
		return err;
	/* best effort: the areas that changed go back; why keeps the first failure */
	back.why = first;
	back.len = sizeof(first);
	apply_run(&back);
	return err;
}

int guard_follow_iface(struct guard *g, bool json)
{
	struct guard_opts *o = g->o;
	struct ip_addr now[2 * GUARD_MAX_ADDRS], keep[2 * GUARD_MAX_ADDRS];
	struct apply_ctx c = { g, o, o, json, NULL, 0 };
	unsigned int i, n4 = 0, n6 = 0, nkeep = 0;
	char d[512];
	int n, err;

	if (iface_index(o->ifname) != g->ifindex)
		return 0; /* gone (or another by its name): guard_tick() says so and stops */
	if (o->addrs_auto) {
		n = iface_addrs(o->ifname, now, 2 * GUARD_MAX_ADDRS);
		if (n < 0) {
			pr_warn("Failed to list the addresses of %s: %s\n", o->ifname,
				strerror(-n));
			return n;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			unsigned int *cnt = now[i].family == AF_INET ? &n4 : &n6;

			if (*cnt >= GUARD_MAX_ADDRS)
				continue; /* guard_cfg holds no more; the first ones stay */
			(*cnt)++;
			keep[nkeep++] = now[i];
		}
		if (addrs_diff(o->addrs, o->naddrs, keep, nkeep, d, sizeof(d))) {
			memcpy(o->addrs, keep, nkeep * sizeof(keep[0]));
			o->naddrs = nkeep;
			apply_note(&c, "addresses", "%s; %u protected", d, nkeep);
		}
	}
	err = guard_write_cfg(g);
	if (err > 0)
		pr_debug("%s: guard_cfg refreshed (addresses, the host's own, MAC)\n", o->ifname);
	return err < 0 ? err : 0;
}
