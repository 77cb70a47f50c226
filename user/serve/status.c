// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <shakeoff/serve_abi.h>

#include "core/attach.h"
#include "core/opts.h"
#include "serve/status.h"

static const char *const syn_modes[] = { "auto", "state", "cookie" };

/* A map's max_entries, 0 if it cannot be read. */
static __u32 map_max_entries(__u32 prog_id, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = prog_map_fd(prog_id, name);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

int serve_status(struct report *r, __u32 prog_id)
{
	struct serve_cfg cfg = {};
	__s64 halfopen = 0;
	__u32 zero = 0, i;
	int fd, err;

	err = prog_map_lookup(prog_id, SERVE_MAP_CFG, &zero, &cfg);
	if (err)
		return err;
	cfg.version[sizeof(cfg.version) - 1] = '\0';
	fd = prog_map_fd(prog_id, SERVE_MAP_HALFOPEN);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &halfopen);
		close(fd);
	}
	report_owner(r, cfg.owner_pid, cfg.start_time_ns, cfg.version);
	report_str(r, "syn_mode", cfg.syn_mode < 3 ? syn_modes[cfg.syn_mode] : "?");
	report_list(r, "ports");
	for (i = 0; i < cfg.nports && i < SERVE_MAX_PORTS; i++)
		report_u64(r, NULL, cfg.ports[i]);
	report_close(r);
	report_addrs(r, "addrs", cfg.addr4, cfg.naddr4, cfg.addr6, cfg.naddr6, SERVE_MAX_ADDRS);
	report_u64(r, "half_open", halfopen > 0 ? (__u64)halfopen : 0);
	report_obj(r, "limits");
	report_u64(r, "max_flows", map_max_entries(prog_id, SERVE_MAP_FLOWS));
	report_u64(r, "max_half_open", cfg.half_open_max);
	report_u64(r, "rst_rate_per_cpu", cfg.rst_per_sec);
	report_close(r);
	return 0;
}
