// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/attach.h" /* SHAKEOFF_BPF_TCX_INGRESS */
#include "core/log.h"
#include "core/netlink.h"
#include "core/tcinfo.h"

#define PROG_NAME_MAX (BPF_OBJ_NAME_LEN - 1)

static bool prog_name_ours(const char *name, const char *skip)
{
	if (!skip || !*skip)
		return false;
	/* The kernel truncates program names; a cut-off name still is ours. */
	return !strncmp(name, skip, PROG_NAME_MAX) &&
	       (strlen(name) == PROG_NAME_MAX || !strcmp(name, skip));
}

/* libbpf's bpf_tc_attach names the filter "PROG:[ID]", iproute2 "OBJ:[SECTION]". */
static bool filter_name_ours(const char *name, const char *skip)
{
	size_t n;

	if (!skip || !*skip)
		return false;
	n = strlen(skip);
	return !strncmp(name, skip, n) && (name[n] == '\0' || name[n] == ':');
}

static int prog_name_by_id(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	err = err ? -errno : 0;
	close(fd);
	if (!err)
		snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	return err;
}

static int tcx_foreign(int ifindex, const char *skip_name, char *buf, size_t len)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	__u32 ids[64], i;
	int err;

	q.prog_ids = ids;
	q.prog_cnt = 64;
	err = bpf_prog_query_opts(ifindex, SHAKEOFF_BPF_TCX_INGRESS, &q);
	if (err) {
		err = -errno;
		/* EINVAL: a kernel without tcx, where nothing can be attached there either. */
		if (err == -EINVAL)
			return 0;
		/* ENOSPC: more than 64 programs; the first 64 ids were still copied. */
		if (err != -ENOSPC)
			return err;
		q.prog_cnt = 64;
	}
	for (i = 0; i < q.prog_cnt && i < 64; i++) {
		/* A program detached since the query is no longer there to share the hook. */
		if (prog_name_by_id(ids[i], name))
			continue;
		if (prog_name_ours(name, skip_name))
			continue;
		snprintf(buf, len, "tcx program '%s' (id %u)", name, ids[i]);
		return 1;
	}
	return 0;
}

/* One RTM_NEWTFILTER message: 1 and a description if it is a foreign filter, else 0. */
static int filter_foreign(const struct nlmsghdr *nlh, const char *skip_name, char *buf, size_t len)
{
	const struct tcmsg *t = NLMSG_DATA(nlh);
	int alen = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	const struct rtattr *rta, *options = NULL;
	char kind[32] = "", fname[256] = "", pname[BPF_OBJ_NAME_LEN] = "";
	unsigned int pref;
	__u32 id = 0;

	if (alen < 0)
		return 0;
	pref = TC_H_MAJ(t->tcm_info) >> 16;
	for (rta = TCA_RTA(t); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == TCA_KIND)
			snprintf(kind, sizeof(kind), "%.*s", (int)RTA_PAYLOAD(rta),
				 (const char *)RTA_DATA(rta));
		else if (rta->rta_type == TCA_OPTIONS)
			options = rta;
	}
	if (!*kind)
		return 0;
	if (strcmp(kind, "bpf")) {
		snprintf(buf, len, "tc filter %s pref %u", kind, pref);
		return 1;
	}

	/* The dump opens each classifier with a header message without options; the
	 * filters follow, each with its program. */
	if (!options)
		return 0;
	alen = RTA_PAYLOAD(options);
	for (rta = RTA_DATA(options); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type == TCA_BPF_NAME)
			snprintf(fname, sizeof(fname), "%.*s", (int)RTA_PAYLOAD(rta),
				 (const char *)RTA_DATA(rta));
		else if (rta->rta_type == TCA_BPF_ID && RTA_PAYLOAD(rta) >= sizeof(__u32))
			memcpy(&id, RTA_DATA(rta), sizeof(id));
	}
	if (id && !prog_name_by_id(id, pname) && prog_name_ours(pname, skip_name))
		return 0;
	if (*fname && filter_name_ours(fname, skip_name))
		return 0;
	if (!id)
		snprintf(buf, len, "tc filter bpf (classic) pref %u", pref);
	else
		snprintf(buf, len, "tc filter bpf '%s' (id %u) pref %u", *fname ? fname : pname, id,
			 pref);
	return 1;
}

struct foreign_query {
	const char *skip_name;
	char *buf;
	size_t len;
};

static int filter_foreign_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct foreign_query *q = arg;

	if (nlh->nlmsg_type != RTM_NEWTFILTER)
		return 0;
	return filter_foreign(nlh, q->skip_name, q->buf, q->len);
}

/* One RTM_GETTFILTER dump of ifindex's hook under parent. */
static int filter_dump(int fd, int ifindex, __u32 parent, __u32 seq, nl_dump_cb cb, void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct tcmsg t;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.t = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = parent,
		},
	};

	return nl_dump(fd, &msg.nlh, cb, arg);
}

static int filters_foreign(int ifindex, const char *skip_name, char *buf, size_t len)
{
	struct foreign_query q = { .skip_name = skip_name, .buf = buf, .len = len };
	int fd = nl_open(NETLINK_ROUTE), err;

	if (fd < 0)
		return fd;
	err = filter_dump(fd, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), 1,
			  filter_foreign_cb, &q);
	close(fd);
	/* No clsact/ingress qdisc, hence no filters. */
	if (err == -EINVAL || err == -ENOENT || err == -EOPNOTSUPP)
		err = 0;
	return err;
}

static int filter_count_cb(const struct nlmsghdr *nlh, void *arg)
{
	/* a filter with a handle; the bare classifier headers have none */
	if (nlh->nlmsg_type == RTM_NEWTFILTER &&
	    ((const struct tcmsg *)NLMSG_DATA(nlh))->tcm_handle)
		(*(int *)arg)++;
	return 0;
}

int tc_clsact_filters(int ifindex)
{
	static const __u32 parents[2] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					  TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	int fd = nl_open(NETLINK_ROUTE), i, n = 0, err = 0;

	if (fd < 0)
		return fd;
	for (i = 0; i < 2 && !err; i++)
		err = filter_dump(fd, ifindex, parents[i], i + 1, filter_count_cb, &n);
	close(fd);
	return err ? err : n;
}

int tc_ingress_foreign(int ifindex, const char *skip_name, char *buf, size_t len)
{
	char dummy[1];
	int err;

	if (!buf || !len) {
		buf = dummy;
		len = sizeof(dummy);
	}
	err = tcx_foreign(ifindex, skip_name, buf, len);
	if (err < 0) {
		pr_debug("Failed to query tcx ingress programs on ifindex %d: %s\n", ifindex,
			 strerror(-err));
		return err;
	}
	if (err)
		return err;
	err = filters_foreign(ifindex, skip_name, buf, len);
	if (err < 0)
		pr_debug("Failed to dump tc ingress filters on ifindex %d: %s\n", ifindex,
			 strerror(-err));
	return err;
}
