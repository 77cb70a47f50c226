// SPDX-License-Identifier: GPL-2.0
/* guard's controller: open -> check -> configure -> load -> pin -> attach, then timers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.skel.h"
#include "core/attach.h"
#include "core/clock.h"
#include "trace/flag.h"
#include "guard/coexist.h"
#include "guard/guard.h"
#include "guard/recent.h"
#include "core/iface.h"
#include "core/listeners.h"
#include "core/local_id.h"
#include "core/mapmem.h"
#include "core/log.h"
#include "core/percpu.h"
#include "core/pins.h"
#include "core/syscheck.h"
#include "core/sysenv.h"
#include "core/tcinfo.h"
#include "core/clock.h"
#include "core/version.h"
#include "core/jsonl.h"

static const char *const guard_prog_names[] = { GUARD_XDP_PROG_NAME, GUARD_TC_PROG_NAME };

static int guard_check_system(const struct guard_opts *o)
{
	char caps[64];
	size_t i;
	int err;

	err = sysenv_check_caps(caps, sizeof(caps));
	if (err == -EPERM) {
		pr_warn("missing %s: guard loads BPF programs and attaches them to %s\n", caps,
			o->ifname);
		return EXIT_USAGE;
	}
	err = sysenv_has_kfunc("bpf_sk_assign_tcp_reqsk");
	if (err) {
		pr_warn("kernel %s lacks bpf_sk_assign_tcp_reqsk: guard needs Linux 6.9 or later%s\n",
			sysenv_kernel_release(), err == -ENOENT ? "" : " (no BTF to check)");
		return EXIT_USAGE;
	}
	for (i = 0; i < guard_nsysctls; i++) {
		long v;

		if (sysctl_read(guard_sysctls[i].name, &v)) {
			pr_warn("Failed to read sysctl %s: %s\n", guard_sysctls[i].name,
				strerror(errno));
			return EXIT_USAGE;
		}
		if (v != 0)
			continue;
		if (!o->fix_sysctls) {
			pr_warn("%s=0 but %s: set it to 1, or pass --fix-sysctls\n",
				guard_sysctls[i].name, guard_sysctls[i].why);
			return EXIT_USAGE;
		}
		if (sysctl_write(guard_sysctls[i].name, 1)) {
			pr_warn("Failed to set %s=1: %s\n", guard_sysctls[i].name, strerror(errno));
			return EXIT_USAGE;
		}
		pr_info("set %s=1 (--fix-sysctls)\n", guard_sysctls[i].name);
	}
	return 0;
}

/* Refuse to share the interface, except with what a dead guard left behind. */
static int guard_check_iface(struct guard *g)
{
	const char *ifname = g->o->ifname;
	struct prog_ref p;
	char what[160];
	int err;

	if (!g->o->share.stage_path[0]) {
		err = xdp_hook_claim(g->ifindex, ifname, XDP_GUARD, &p);
		if (err)
			return err;
	} else if (xdp_prog_on(g->ifindex, &p) || strcmp(p.name, GUARD_XDP_PROG_NAME)) {
		/* a stage leaves the hook to the root program, whatever it is */
		memset(&p, 0, sizeof(p));
	}
	if (p.id) {
		struct guard_cfg cfg = {};
		__u32 zero = 0;
		int fd = prog_map_fd(p.id, GUARD_MAP_CFG);

		if (fd >= 0) {
			bpf_map_lookup_elem(fd, &zero, &cfg);
			close(fd);
		}
		if (pid_is_shakeoff(cfg.owner_pid) && (pid_t)cfg.owner_pid != getpid()) {
			pr_warn("a guard already runs on %s (pid %u); stop it first\n", ifname,
				cfg.owner_pid);
			return EXIT_USAGE;
		}
		pr_info("removing what a stopped guard (pid %u) left on %s\n", cfg.owner_pid,
			ifname);
		detach_named(g->ifindex, guard_prog_names, 2);
	}
	err = tc_ingress_foreign(g->ifindex, GUARD_TC_PROG_NAME, what, sizeof(what));
	if (err > 0) {
		pr_warn("%s already has TC ingress %s; shakeoff will not disturb it\n", ifname,
			what);
		return EXIT_USAGE;
	}
	if (err < 0)
		pr_debug("could not list TC filters on %s: %s\n", ifname, strerror(-err));
	return 0;
}

static unsigned int ilog2_u64(__u64 v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* The window scale Linux would announce, from the largest receive buffer allowed. */
static int default_wscale(void)
{
	long rmem_max = 0, tcp_rmem[3] = { 0, 0, 0 };
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_rmem", "re");
	__u64 space;
	int ws;

	if (f) {
		if (fscanf(f, "%ld %ld %ld", &tcp_rmem[0], &tcp_rmem[1], &tcp_rmem[2]) != 3)
			tcp_rmem[2] = 0;
		fclose(f);
	}
	sysctl_read("net.core.rmem_max", &rmem_max);
	space = tcp_rmem[2] > rmem_max ? tcp_rmem[2] : rmem_max;
	ws = space ? (int)ilog2_u64(space) - 15 : 7;
	return ws < 0 ? 0 : ws > 14 ? 14 : ws;
}

/* --rst-rate is for the host; XDP counts per CPU (no shared counter per frame). */
static void guard_rst_budget(const struct guard_opts *o, struct guard_cfg *cfg)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 1)
		ncpu = 1;
	cfg->rst_per_cpu = o->rst_rate ? (o->rst_rate + ncpu - 1) / ncpu : 0;
	cfg->rst_per_src = o->rst_rate ? o->rst_rate_src : 0;
}

/*
 * Does this namespace's kernel grant a client's ECN request? Every non-zero
 * net.ipv4.tcp_ecn does (2: only when asked; 3..5 are AccECN's modes, which
 * answer a classic request with classic ECN). Read once, at start.
 */
static __u32 guard_ecn_allowed(void)
{
	long v = 0;

	return !sysctl_read("net.ipv4.tcp_ecn", &v) && v != 0;
}

static int guard_fill_cfg(struct guard *g, struct guard_cfg *cfg)
{
	const struct guard_opts *o = g->o;
	int mtu = iface_mtu(o->ifname);
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	if (mtu < 0) {
		pr_warn("Failed to read the MTU of %s: %s\n", o->ifname, strerror(-mtu));
		return 1;
	}
	for (i = 0; i < o->naddrs; i++) {
		const struct ip_addr *a = &o->addrs[i];

		if (a->family == AF_INET && cfg->naddr4 < GUARD_MAX_ADDRS)
			memcpy(&cfg->addr4[cfg->naddr4++], a->bytes, 4);
		else if (a->family == AF_INET6 && cfg->naddr6 < GUARD_MAX_ADDRS)
			memcpy(cfg->addr6[cfg->naddr6++], a->bytes, 16);
	}
	cfg->mss4 = o->mss ? o->mss : (unsigned int)mtu - 40;
	cfg->mss6 = o->mss ? (o->mss > 20 ? o->mss - 20 : o->mss) : (unsigned int)mtu - 60;
	if (o->mss && cfg->mss6 < 1220)
		cfg->mss6 = 1220;
	cfg->win4 = 65535 / cfg->mss4 * cfg->mss4;
	cfg->win6 = 65535 / cfg->mss6 * cfg->mss6;
	cfg->wscale = o->wscale >= 0 ? o->wscale : default_wscale();
	cfg->ttl = o->ttl;
	cfg->mode = o->mode;
	cfg->owner_pid = getpid();
	cfg->clock_offset_ns = g->clock_offset;
	guard_rst_budget(o, cfg);
	cfg->ecn = guard_ecn_allowed();
	/* src_rules too: at start limits_apply() fills guard_srclist before the attach */
	limits_cfg_fill(o, cfg);
	cfg->start_time_ns = g->start_time_ns;
	cfg->xdp_flags = o->xdp_flags;
	cfg->syn_threshold = o->syn_threshold > 0xffffffffUL ? 0xffffffffU : o->syn_threshold;
	cfg->key_source = g->keys.from_file ? GUARD_KEYS_FILE : GUARD_KEYS_RANDOM;
	snprintf(cfg->version, sizeof(cfg->version), "%s", SHAKEOFF_VERSION);
	/* Linux answers no frame to another MAC, and no source it has itself */
	return local_id_fill(&cfg->id, o->ifname);
}

static int guard_scan_listeners(struct guard *g)
{
	bool *n4, *n6;
	unsigned int i;
	int err, fd = bpf_map__fd(g->skel->maps.guard_ports);

	n4 = calloc(65536, sizeof(bool));
	n6 = calloc(65536, sizeof(bool));
	if (!n4 || !n6) {
		free(n4);
		free(n6);
		return -ENOMEM;
	}
	err = listeners_scan(g->o->ports, g->o->addrs, g->o->naddrs, n4, n6);
	for (i = 0; !err && i < g->nports; i++) {
		__u32 port = g->port_list[i];
		struct guard_port v;

		if (n4[port] == g->listen4[port] && n6[port] == g->listen6[port])
			continue;
		if (bpf_map_lookup_elem(fd, &port, &v)) {
			err = -errno;
			break;
		}
		v.flags &= ~(PORT_LISTEN4 | PORT_LISTEN6);
		v.flags |= (n4[port] ? PORT_LISTEN4 : 0) | (n6[port] ? PORT_LISTEN6 : 0);
		if (bpf_map_update_elem(fd, &port, &v, BPF_ANY)) {
			err = -errno;
			break;
		}
		pr_debug("port %u: listener v4 %d v6 %d\n", port, n4[port], n6[port]);
		g->listen4[port] = n4[port];
		g->listen6[port] = n6[port];
	}
	free(n4);
	free(n6);
	return err;
}

int guard_write_cfg(struct guard *g)
{
	int fd = bpf_map__fd(g->skel->maps.guard_cfg);
	struct guard_cfg cfg, cur;
	__u32 zero = 0;

	if (guard_fill_cfg(g, &cfg))
		return -EINVAL;
	if (!bpf_map_lookup_elem(fd, &zero, &cur)) {
		cfg.slot_override = cur.slot_override; /* a test's, not ours to reset */
		if (!memcmp(&cfg, &cur, sizeof(cfg)))
			return 0;
	}
	/* one update of the whole value: XDP never reads a mix of two configurations' fields */
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY)) {
		pr_warn("Failed to write map guard_cfg: %s\n", strerror(errno));
		return -errno;
	}
	pr_debug("cfg: %u IPv4 + %u IPv6 addresses, mss %u/%u, wscale %u, ttl %u\n", cfg.naddr4,
		 cfg.naddr6, cfg.mss4, cfg.mss6, cfg.wscale, cfg.ttl);
	return 1;
}

static int guard_configure(struct guard *g)
{
	unsigned int i;
	int err;

	if (guard_write_cfg(g) < 0)
		return 1;
	for (i = 0; i < g->nports; i++) {
		__u32 port = g->port_list[i];
		struct guard_port v = { .flags = PORT_PROTECTED, .stats = limits_port_slot(i) };

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.guard_ports), &port, &v,
					BPF_ANY)) {
			pr_warn("Failed to write map guard_ports: %s\n", strerror(errno));
			return 1;
		}
	}
	err = keys_refresh(bpf_map__fd(g->skel->maps.guard_keys), &g->keys,
			   slot_now(g->clock_offset));
	if (err < 0) {
		pr_warn("Failed to write map guard_keys: %s\n", strerror(-err));
		return 1;
	}
	err = guard_scan_listeners(g);
	if (err) {
		pr_warn("Failed to list TCP listeners: %s\n", strerror(-err));
		return 1;
	}
	if (limits_apply(g, g->o))
		return 1;
	return 0;
}

static int guard_pin(struct guard *g)
{
	struct bpf_map *map;
	char path[256];
	int err;

	err = pin_dir_prepare(g->o->ifname, g->pin_dir, sizeof(g->pin_dir));
	if (err) {
		pr_warn("Failed to prepare pin directory %s: %s\n", g->pin_dir, strerror(-err));
		g->pin_dir[0] = '\0';
		return 1;
	}
	bpf_object__for_each_map(map, g->skel->obj)
	{
		/* the object's own .bss and .data ("guard_bp.bss") are not for other processes */
		if (!strncmp(bpf_map__name(map), "guard_", 6) && !bpf_map__is_internal(map)) {
			snprintf(path, sizeof(path), "%s/%s", g->pin_dir, bpf_map__name(map));
			err = bpf_map__pin(map, path);
			if (err) {
				pr_warn("Failed to pin map %s: %s\n", path, strerror(-err));
				return 1;
			}
		}
	}
	return 0;
}

static int guard_attach(struct guard *g)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int err;

	/* TC first: a cookie ACK must never find XDP without the handoff behind it. */
	g->tc_link = tcx_link_attach(bpf_program__fd(g->skel->progs.so_guard_tc), g->ifindex);
	if (g->tc_link < 0) {
		pr_warn("Failed to attach TC ingress program to %s: %s\n", g->o->ifname,
			strerror(-g->tc_link));
		return 1;
	}
	if (g->stage.map_fd >= 0) {
		err = guard_coexist_enter(g);
		if (err)
			return err;
		goto pin;
	}
	g->xdp_link = xdp_link_attach(bpf_program__fd(g->skel->progs.so_guard_xdp), g->ifindex,
				      g->o->xdp_flags);
	if (g->xdp_link < 0) {
		pr_warn("Failed to attach XDP program to %s%s: %s\n", g->o->ifname,
			g->o->xdp_flags == XDP_FLAGS_DRV_MODE ? " in native mode" : "",
			strerror(-g->xdp_link));
		return 1;
	}
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(g->skel->progs.so_guard_xdp), &info, &len))
		g->xdp_prog_id = info.id;
pin:
	if (g->pin_dir[0]) {
		snprintf(path, sizeof(path), "%s/link_xdp", g->pin_dir);
		err = g->xdp_link >= 0 ? bpf_obj_pin(g->xdp_link, path) : 0;
		snprintf(path, sizeof(path), "%s/link_tc", g->pin_dir);
		err = err ?: bpf_obj_pin(g->tc_link, path);
		if (err)
			pr_warn("Failed to pin links in %s: %s\n", g->pin_dir, strerror(errno));
	}
	return 0;
}

/* After the start, TIME_WAIT only (FINs and handoffs mark the rest), this often. */
#define RECENT_RESEED_MS 5000

/*
 * The kernel's sockets on the protected ports before the first SYN: a
 * client reusing the port of a connection older than this guard must reach
 * the kernel's TIME_WAIT (or open) socket, not a cookie.
 */
static int guard_recent_start(struct guard *g)
{
	int n;

	g->recent = recent_map(bpf_map__fd(g->skel->maps.guard_recent));
	if (!g->recent)
		return 1;
	n = recent_seed(g->recent, g->o->ports, RECENT_SEED_STATES);
	if (n < 0)
		pr_warn("Failed to list TCP sockets: %s (no 4-tuple in use marked)\n",
			strerror(-n));
	else
		pr_debug("marked %d 4-tuple(s) the kernel holds\n", n);
	return 0;
}

int guard_start(struct guard *g, struct guard_opts *o)
{
	unsigned int i;
	int err;

	memset(g, 0, sizeof(*g));
	g->o = o;
	g->xdp_link = -1;
	g->tc_link = -1;
	g->next.prog_fd = -1;
	g->stage.map_fd = -1;
	g->ifindex = iface_index(o->ifname);
	/* the state at start, so a flap before the first tick is seen whole */
	g->link_up = iface_link_up(o->ifname);
	if (g->ifindex < 0) {
		pr_warn("unknown interface '%s'\n", o->ifname);
		return EXIT_USAGE;
	}
	err = guard_check_system(o);
	if (err)
		return err;
	if (o->key_file) {
		err = keys_from_file(o->key_file, &g->keys);
		if (err) {
			pr_warn("Failed to read key file %s: %s\n", o->key_file,
				keys_strerror(err));
			return EXIT_USAGE;
		}
	} else {
		keys_random(&g->keys);
	}
	g->keys.who = o->ifname;
	g->keys.overlap_ns = o->key_overlap * 1000000000ULL;
	g->clock_offset = clock_tai_offset();
	g->start_time_ns = (__u64)clock_ns(CLOCK_REALTIME);

	g->port_list = calloc(o->nports, sizeof(*g->port_list));
	g->listen4 = calloc(65536, sizeof(bool));
	g->listen6 = calloc(65536, sizeof(bool));
	g->syn_prev = calloc(o->nports, sizeof(*g->syn_prev));
	g->calm_ticks = calloc(o->nports, sizeof(*g->calm_ticks));
	if (!g->port_list || !g->listen4 || !g->listen6 || !g->syn_prev || !g->calm_ticks)
		return 1;
	for (i = 0; i < 65536; i++)
		if (o->ports[i])
			g->port_list[g->nports++] = i;

	err = guard_check_iface(g);
	err = err ?: guard_coexist_prepare(g);
	if (err)
		return err;

	{
		/* With -vv, the verifier's statistics for each program, also on success. */
		LIBBPF_OPTS(bpf_object_open_opts, oo,
			    .kernel_log_level = log_get_level() >= LOG_TRACE ? 4 : 0);

		g->skel = guard_bpf__open_opts(&oo);
		if (!g->skel || guard_bpf__load(g->skel)) {
			pr_warn("Failed to load guard's BPF programs: %s (run with -v for the verifier log)\n",
				strerror(errno));
			return 1;
		}
	}
	err = guard_configure(g);
	err = err ?: guard_coexist_next(g);
	err = err ?: guard_recent_start(g);
	err = err ?: guard_pin(g);
	err = err ?: guard_attach(g);
	if (err)
		return err;
	return 0;
}

/* Auto mode: move ports in and out of PORT_UNDER_ATTACK by their SYN rate. */
static int guard_flood_check(struct guard *g, unsigned int tick_ms, bool json)
{
	int rate_fd = bpf_map__fd(g->skel->maps.guard_synrate);
	int ports_fd = bpf_map__fd(g->skel->maps.guard_ports);
	unsigned int i;
	int err;

	if (!tick_ms)
		return 0;
	for (i = 0; i < g->nports; i++) {
		__u32 port = g->port_list[i];
		struct guard_port v;
		__u64 sum;
		double rate;
		bool attack;

		err = percpu_sum(rate_fd, &port, &sum, 1);
		if (err)
			return err;
		if (bpf_map_lookup_elem(ports_fd, &port, &v))
			return -errno;
		rate = (sum - g->syn_prev[i]) * 1000.0 / tick_ms;
		g->syn_prev[i] = sum;
		attack = v.flags & PORT_UNDER_ATTACK;
		if (!attack && rate > g->o->syn_threshold) {
			v.flags |= PORT_UNDER_ATTACK;
			g->calm_ticks[i] = 0;
		} else if (attack && rate < g->o->syn_threshold / 2.0) {
			/* Calm for a few seconds before trusting the kernel again. */
			if (++g->calm_ticks[i] * tick_ms < 3000)
				continue;
			v.flags &= ~PORT_UNDER_ATTACK;
		} else {
			g->calm_ticks[i] = 0;
			continue;
		}
		if (bpf_map_update_elem(ports_fd, &port, &v, BPF_ANY))
			return -errno;
		if (json)
			printf("%s,\"event\":\"%s\",\"iface\":\"%s\",\"port\":%u,\"syn_rate\":%.0f}\n",
			       json_ts(), attack ? "calm" : "flood", g->o->ifname, port, rate);
		else
			printf("%s: port %u %s (%.0f SYN/s)\n", g->o->ifname, port,
			       attack ? "calm again: SYNs go to the kernel" :
					"under SYN flood: answering with cookies",
			       rate);
		fflush(stdout);
	}
	return 0;
}

int guard_tick(struct guard *g, unsigned int tick_ms, bool json)
{
	int err;

	if (guard_coexist_alive(g))
		return 1;
	link_watch(&g->link_up, g->o->ifname, "guard");
	trace_flag_reap(&g->skel->data_trace->trace_on);
	keys_poll(&g->keys, clock_mono_ns(), json);
	err = keys_refresh(bpf_map__fd(g->skel->maps.guard_keys), &g->keys,
			   slot_now(g->clock_offset));
	if (err < 0) {
		pr_warn("Failed to rotate cookie keys: %s\n", strerror(-err));
		return 1;
	}
	if (err > 0)
		pr_debug("wrote %d cookie key(s)\n", err);
	g->reseed_ms += tick_ms;
	if (g->reseed_ms >= RECENT_RESEED_MS) {
		g->reseed_ms = 0;
		err = recent_seed(g->recent, g->o->ports, 1U << TCP_TIME_WAIT);
		if (err < 0)
			pr_warn("Failed to list TIME_WAIT sockets: %s\n", strerror(-err));
	}
	err = guard_scan_listeners(g);
	if (err)
		pr_warn("Failed to list TCP listeners: %s\n", strerror(-err));
	if (g->o->mode == GUARD_COOKIES_AUTO) {
		err = guard_flood_check(g, tick_ms, json);
		if (err)
			pr_warn("Failed to read SYN rates: %s\n", strerror(-err));
	}
	return 0;
}

__u64 guard_maps_memlock(const struct guard *g)
{
	return obj_maps_memlock(g->skel->obj, -1);
}

int guard_stats_fd(const struct guard *g)
{
	return bpf_map__fd(g->skel->maps.guard_stats);
}

void guard_stop(struct guard *g)
{
	/* XDP first: cookie ACKs already on their way still meet the handoff. */
	if (g->xdp_link >= 0) {
		bpf_link_detach(g->xdp_link);
		close(g->xdp_link);
	}
	guard_coexist_stop(g);
	if (g->tc_link >= 0) {
		bpf_link_detach(g->tc_link);
		close(g->tc_link);
	}
	if (g->pin_dir[0])
		pin_dir_remove(g->pin_dir);
	recent_unmap(g->recent);
	guard_bpf__destroy(g->skel);
	free(g->port_list);
	free(g->listen4);
	free(g->listen6);
	free(g->syn_prev);
	free(g->calm_ticks);
	memset(g, 0, sizeof(*g));
	g->xdp_link = -1;
	g->tc_link = -1;
	g->next.prog_fd = -1;
	g->stage.map_fd = -1;
}
