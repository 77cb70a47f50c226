// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.skel.h"
#include "core/attach.h"
#include "core/log.h"
#include "core/stage.h"
#include "core/sysenv.h"
#include "guard/coexist.h"
#include "guard/guard.h"

/* The pid of the guard whose so_guard_xdp is prog_id (0 if unknown). */
static __u32 guard_owner(__u32 prog_id)
{
	struct guard_cfg cfg = {};
	__u32 zero = 0;
	int fd = prog_map_fd(prog_id, GUARD_MAP_CFG);

	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &cfg);
		close(fd);
	}
	return cfg.owner_pid;
}

/* The index must be free, or hold what a stopped guard left (replaced, its TC removed). */
static int guard_stage_check(struct guard *g)
{
	static const char *const tc_name[] = { GUARD_TC_PROG_NAME };
	const struct guard_opts *o = g->o;
	struct prog_ref p;
	__u32 pid;
	int err;

	err = xdp_stage_open(&g->stage, o->share.stage_path, o->share.stage_index, &p);
	if (err || !p.id)
		return err;
	if (strcmp(p.name, GUARD_XDP_PROG_NAME)) {
		pr_warn("%s:%u holds XDP program '%s' (id %u); shakeoff will not replace it\n",
			o->share.stage_path, o->share.stage_index, p.name, p.id);
		return EXIT_USAGE;
	}
	pid = guard_owner(p.id);
	if (pid_is_shakeoff(pid) && (pid_t)pid != getpid()) {
		pr_warn("a guard already runs at %s:%u (pid %u); stop it first\n",
			o->share.stage_path, o->share.stage_index, pid);
		return EXIT_USAGE;
	}
	pr_info("replacing what a stopped guard (pid %u) left at %s:%u\n", pid, o->share.stage_path,
		o->share.stage_index);
	detach_named(g->ifindex, tc_name, 1);
	return 0;
}

int guard_coexist_prepare(struct guard *g)
{
	const struct guard_opts *o = g->o;
	int err = 0;

	if (o->share.stage_path[0])
		err = guard_stage_check(g);
	return err ?: xdp_next_from(&g->next, &o->share);
}

int guard_coexist_next(struct guard *g)
{
	if (g->next.prog_fd < 0)
		return 0;
	return xdp_next_install(&g->next, bpf_map__fd(g->skel->maps.guard_next), "guard");
}

int guard_coexist_enter(struct guard *g)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(g->skel->progs.so_guard_xdp);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		pr_warn("Failed to query program %s: %s\n", GUARD_XDP_PROG_NAME, strerror(errno));
		return 1;
	}
	g->xdp_prog_id = info.id;
	return xdp_stage_enter(&g->stage, fd, info.id, "guard");
}

int guard_coexist_alive(struct guard *g)
{
	return xdp_ours_still(&g->stage, g->ifindex, g->o->ifname, g->xdp_prog_id, "guard");
}

void guard_coexist_stop(struct guard *g)
{
	xdp_stage_leave(&g->stage);
	xdp_next_close(&g->next);
}
