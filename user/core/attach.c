// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/lab.h>
#include <shakeoff/serve_abi.h>

#include "core/attach.h"
#include "core/log.h"
#include "core/opts.h" /* EXIT_USAGE */

int prog_ref_by_id(__u32 id, struct prog_ref *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	memset(p, 0, sizeof(*p));
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return -errno;
	p->id = id;
	memcpy(p->name, info.name, sizeof(p->name) - 1);
	return 0;
}

int xdp_prog_on(int ifindex, struct prog_ref *p)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 id;
	int err;

	memset(p, 0, sizeof(*p));
	/* per mode: bpf_xdp_query_id() says 0 when programs sit in two modes at once */
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	return id ? prog_ref_by_id(id, p) : 0;
}

const char *xdp_attach_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return "none";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	default:
		return "none";
	}
}

int tcx_progs_on(int ifindex, struct prog_ref *out, int max)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);
	__u32 ids[64];
	int i, n = 0;

	q.prog_ids = ids;
	q.prog_cnt = 64;
	if (bpf_prog_query_opts(ifindex, SHAKEOFF_BPF_TCX_INGRESS, &q))
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < (int)q.prog_cnt && n < max; i++)
		if (!prog_ref_by_id(ids[i], &out[n]))
			n++;
	return n;
}

int xdp_link_attach(int prog_fd, int ifindex, __u32 mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

int tcx_link_attach(int prog_fd, int ifindex)
{
	int fd = bpf_link_create(prog_fd, ifindex, SHAKEOFF_BPF_TCX_INGRESS, NULL);

	return fd < 0 ? -errno : fd;
}

static bool name_in(const char *name, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(name, names[i], 15))
			return true;
	return false;
}

int detach_named(int ifindex, const char *const *names, int n)
{
	struct prog_ref here[17], p;
	int nhere, removed = 0, i;
	__u32 id = 0;

	/*
	 * Interface indexes repeat across network namespaces and link info does
	 * not say which one a link is in: only links whose program is attached
	 * here, on this interface of this namespace, are ours to remove.
	 */
	nhere = tcx_progs_on(ifindex, here, 16);
	if (nhere < 0)
		nhere = 0;
	if (!xdp_prog_on(ifindex, &here[nhere]) && here[nhere].id)
		nhere++;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		bool attached_here = false;
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    (info.type != BPF_LINK_TYPE_XDP && info.type != SHAKEOFF_BPF_LINK_TYPE_TCX) ||
		    /* xdp.ifindex and tcx.ifindex share the union's first word */
		    info.xdp.ifindex != (__u32)ifindex) {
			close(fd);
			continue;
		}
		for (i = 0; i < nhere; i++)
			if (here[i].id == info.prog_id && name_in(here[i].name, names, n))
				attached_here = true;
		if (attached_here) {
			if (bpf_link_detach(fd))
				pr_warn("Failed to detach link %u: %s\n", id, strerror(errno));
			else
				removed++;
		}
		close(fd);
	}

	/* A legacy (netlink) XDP attachment has no link. */
	if (!xdp_prog_on(ifindex, &p) && p.id && name_in(p.name, names, n)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o);
		__u32 modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, 0 };
		size_t k;

		for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
			if (!bpf_xdp_detach(ifindex, modes[k], &o)) {
				removed++;
				break;
			}
	}
	return removed;
}

int prog_map_fd(__u32 prog_id, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 map_ids[32], len = sizeof(info), i;
	int fd, err;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)map_ids;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 32; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) && !strncmp(mi.name, name, 15))
			return mfd;
		close(mfd);
	}
	return -ENOENT;
}

int xdp_still_attached(int ifindex, const char *ifname, __u32 prog_id, const char *what)
{
	struct prog_ref p;
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name)) {
		pr_warn("%s is gone (the interface was removed); %s stops\n", ifname, what);
		return 1;
	}
	if (xdp_prog_on(ifindex, &p) || p.id != prog_id) {
		/* the interface may have gone between the two questions: ask again */
		if (!if_indextoname(ifindex, name))
			pr_warn("%s is gone (the interface was removed); %s stops\n", ifname, what);
		else
			pr_warn("%s's XDP program was removed from %s by someone else; %s stops\n",
				what, ifname, what);
		return 1;
	}
	return 0;
}

static enum xdp_holder xdp_holder_of(const struct prog_ref *p)
{
	if (!p->id)
		return XDP_FREE;
	if (!strcmp(p->name, GUARD_XDP_PROG_NAME))
		return XDP_GUARD;
	if (!strcmp(p->name, SERVE_XDP_PROG_NAME))
		return XDP_SERVE;
	if (!strncmp(p->name, LAB_PROG_PREFIX, strlen(LAB_PROG_PREFIX)))
		return XDP_LAB;
	return XDP_FOREIGN;
}

static const char *holder_cmd(enum xdp_holder h)
{
	switch (h) {
	case XDP_GUARD:
		return "guard";
	case XDP_SERVE:
		return "serve";
	case XDP_LAB:
		return "lab";
	default:
		return "?";
	}
}

int xdp_hook_claim(int ifindex, const char *ifname, enum xdp_holder self, struct prog_ref *p)
{
	enum xdp_holder h;
	int err = xdp_prog_on(ifindex, p);

	if (err) {
		pr_warn("Failed to query XDP on %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	h = xdp_holder_of(p);
	if (h == XDP_FREE || h == self)
		return 0;
	if (h == XDP_FOREIGN)
		pr_warn("%s already has XDP program '%s' (id %u); shakeoff will not replace it\n",
			ifname, p->name, p->id);
	else
		pr_warn("%s runs %s's %s (id %u): %s and %s cannot share an interface\n", ifname,
			holder_cmd(h), p->name, p->id, holder_cmd(self), holder_cmd(h));
	return EXIT_USAGE;
}

int prog_map_lookup(__u32 prog_id, const char *name, const void *key, void *value)
{
	int fd = prog_map_fd(prog_id, name), err;

	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, key, value) ? -errno : 0;
	close(fd);
	return err;
}
