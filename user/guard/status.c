// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <shakeoff/guard_abi.h>

#include "core/attach.h"
#include "core/opts.h"
#include "guard/keys.h"
#include "guard/status.h"
#include "guard/views.h"

/* guard_ports' flags of every port: one batch lookup, or one lookup per entry if that fails. */
static void ports_read(int fd, __u8 *flags)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 *keys = calloc(65536, sizeof(*keys)), out = 0, n = 65536, k;
	struct guard_port *all = calloc(65536, sizeof(*all));
	struct guard_port v;
	bool ok;

	ok = keys && all &&
	     (!bpf_map_lookup_batch(fd, NULL, &out, keys, all, &n, &bo) || errno == ENOENT) &&
	     n == 65536;
	/* an array's keys come back in order; anything else: ask one by one */
	for (k = 0; ok && k < n; k++)
		ok = keys[k] == k;
	for (k = 0; k < 65536; k++)
		flags[k] = ok ? all[k].flags : bpf_map_lookup_elem(fd, &k, &v) ? 0 : v.flags;
	free(keys);
	free(all);
}

/* Each protected port: its listeners, and its counters when views has them. */
static void ports_report(struct report *r, const __u8 *flags, bool auto_mode,
			 const struct guard_views *v)
{
	struct guard_port_view pv;
	unsigned int p;

	report_list(r, "ports");
	for (p = 0; p < 65536; p++) {
		if (!(flags[p] & PORT_PROTECTED))
			continue;
		report_obj(r, NULL);
		report_u64(r, "port", p);
		report_bool(r, "listen4", flags[p] & PORT_LISTEN4);
		report_bool(r, "listen6", flags[p] & PORT_LISTEN6);
		if (auto_mode)
			report_bool(r, "under_attack", flags[p] & PORT_UNDER_ATTACK);
		if (v && !views_port(v, p, &pv)) {
			/* ports past the counter slots share one set: say so */
			if (pv.slot == GUARD_PORT_STATS_OTHER)
				report_bool(r, "counters_shared", true);
			report_u64(r, "syn", pv.c.syn);
			report_u64(r, "synack", pv.c.synack);
			report_u64(r, "handoff", pv.c.handoff);
			report_u64(r, "drop", pv.c.drop);
			report_u64(r, "limited", pv.c.limited);
			report_u64(r, "denied", pv.c.denied);
		}
		report_close(r);
	}
	report_close(r);
}

static void cookies_report(struct report *r, const struct guard_cfg *cfg, const __u8 *flags)
{
	unsigned int p;

	report_obj(r, "cookies");
	report_str(r, "mode", cfg->mode == GUARD_COOKIES_AUTO ? "auto" : "always");
	if (cfg->mode == GUARD_COOKIES_AUTO) {
		report_u64(r, "syn_threshold", cfg->syn_threshold);
		report_list(r, "under_attack");
		for (p = 0; p < 65536; p++)
			if ((flags[p] & (PORT_PROTECTED | PORT_UNDER_ATTACK)) ==
			    (PORT_PROTECTED | PORT_UNDER_ATTACK))
				report_u64(r, NULL, p);
		report_close(r);
	}
	report_close(r);
}

/* The slot XDP checks cookies against now, and whether guard_keys holds its key. */
static void keys_report(struct report *r, const struct guard_cfg *cfg, __u32 prog_id)
{
	__u64 slot = cfg->slot_override ? cfg->slot_override : slot_now(cfg->clock_offset_ns);
	struct guard_key k = {};
	__u32 idx = slot & (GUARD_KEY_SLOTS - 1);
	int fd = prog_map_fd(prog_id, GUARD_MAP_KEYS);
	bool have = false;

	if (fd >= 0) {
		have = !bpf_map_lookup_elem(fd, &idx, &k) && k.slot == slot;
		close(fd);
	}
	report_obj(r, "keys");
	report_str(r, "source", cfg->key_source == GUARD_KEYS_FILE ? "key-file" : "random");
	report_u64(r, "slot", slot);
	report_bool(r, "key_present", have);
	report_close(r);
}

/* Every limit guard applies, one field each, in packets per second (and the list's size). */
static void limits_report(struct report *r, const struct guard_cfg *cfg)
{
	int ncpu = libbpf_num_possible_cpus();

	report_obj(r, "limits");
	report_u64(r, "rst_rate", (__u64)cfg->rst_per_cpu * (ncpu > 0 ? ncpu : 1));
	report_u64(r, "rst_rate_per_cpu", cfg->rst_per_cpu);
	report_u64(r, "rst_rate_src", cfg->rst_per_src);
	report_u64(r, "synack_rate", (__u64)cfg->synack_per_cpu * (ncpu > 0 ? ncpu : 1));
	report_u64(r, "synack_rate_per_cpu", cfg->synack_per_cpu);
	report_u64(r, "synack_rate_src", cfg->synack_per_src);
	report_u64(r, "src_rules", cfg->src_rules);
	report_close(r);
}

/* The source prefixes with the most SYNs per second in guard's last window. */
#define STATUS_TOP 5

static void top_report(struct report *r, const struct guard_views *v)
{
	struct guard_src_view top[STATUS_TOP];
	char buf[INET6_ADDRSTRLEN + 8];
	struct ip_addr a;
	int i, n = views_top(v, top, STATUS_TOP);

	report_list(r, "top_sources");
	for (i = 0; i < n; i++) {
		size_t len;

		a.family = top[i].family;
		memcpy(a.bytes, top[i].addr, top[i].family == AF_INET ? 4 : 16);
		ip_str(&a, buf, sizeof(buf));
		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "/%u", top[i].prefix_len);
		report_obj(r, NULL);
		report_str(r, "prefix", buf);
		report_num(r, "syn_rate", top[i].syn_rate, 2);
		report_num(r, "synack_rate", top[i].synack_rate, 2);
		report_close(r);
	}
	report_close(r);
}

static const char *xdp_asked(__u32 flags)
{
	return flags & XDP_FLAGS_SKB_MODE ? "generic" :
	       flags & XDP_FLAGS_DRV_MODE ? "native" :
					    "default";
}

int guard_status(struct report *r, __u32 prog_id)
{
	struct guard_views v;
	bool have_views;
	struct guard_cfg cfg = {};
	__u32 zero = 0;
	__u8 *flags;
	int fd, err;

	err = prog_map_lookup(prog_id, GUARD_MAP_CFG, &zero, &cfg);
	if (err)
		return err;
	cfg.version[sizeof(cfg.version) - 1] = '\0';
	flags = calloc(65536, 1);
	if (!flags)
		return -ENOMEM;
	fd = prog_map_fd(prog_id, GUARD_MAP_PORTS);
	if (fd >= 0) {
		ports_read(fd, flags);
		close(fd);
	}
	report_owner(r, cfg.owner_pid, cfg.start_time_ns, cfg.version);
	report_str(r, "xdp_mode_asked", xdp_asked(cfg.xdp_flags));
	cookies_report(r, &cfg, flags);
	have_views = !views_open_id(prog_id, &v);
	ports_report(r, flags, cfg.mode == GUARD_COOKIES_AUTO, have_views ? &v : NULL);
	report_addrs(r, "addrs", cfg.addr4, cfg.naddr4, cfg.addr6, cfg.naddr6, GUARD_MAX_ADDRS);
	keys_report(r, &cfg, prog_id);
	limits_report(r, &cfg);
	if (have_views) {
		top_report(r, &v);
		views_close(&v);
	}
	free(flags);
	return 0;
}
