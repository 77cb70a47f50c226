// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/syscheck.h"
#include "core/sysenv.h"
#include "core/xdpfeat.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#define BPF_FS_MAGIC_NUM 0xcafe4a11
#define GUARD_KFUNC "bpf_sk_assign_tcp_reqsk"

const struct guard_sysctl guard_sysctls[] = {
	{ "net.ipv4.tcp_syncookies", "bpf_sk_assign_tcp_reqsk needs it on" },
	{ "net.ipv4.tcp_sack", "our SYN-ACKs grant SACK" },
	{ "net.ipv4.tcp_timestamps", "our SYN-ACKs grant timestamps" },
	{ "net.ipv4.tcp_window_scaling", "our SYN-ACKs grant window scaling" },
};
const size_t guard_nsysctls = sizeof(guard_sysctls) / sizeof(guard_sysctls[0]);

const char *check_status_name(enum check_status s)
{
	return s == CHECK_OK ? "ok" : s == CHECK_WARN ? "warn" : "missing";
}

struct checks {
	struct check_item *items;
	size_t n, max;
};

static void add(struct checks *c, const char *name, unsigned int needed_by,
		enum check_status status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct checks *c, const char *name, unsigned int needed_by,
		enum check_status status, const char *fmt, ...)
{
	struct check_item *it;
	va_list ap;

	if (c->n >= c->max)
		return;
	it = &c->items[c->n++];
	it->name = name;
	it->needed_by = needed_by;
	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

static bool cap_effective(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

static void check_kernel(struct checks *c)
{
	struct stat st;
	struct btf *btf;
	int err;

	add(c, "kernel", 0, CHECK_OK, "Linux %s", sysenv_kernel_release());
	if (stat("/sys/kernel/btf/vmlinux", &st)) {
		add(c, "btf", NEED_GUARD | NEED_SERVE, CHECK_MISSING,
		    "no /sys/kernel/btf/vmlinux: a kernel built with CONFIG_DEBUG_INFO_BTF is needed");
	} else {
		add(c, "btf", NEED_GUARD | NEED_SERVE, CHECK_OK, "/sys/kernel/btf/vmlinux");
	}
	err = sysenv_has_kfunc(GUARD_KFUNC);
	if (!err)
		add(c, "kfunc", NEED_GUARD, CHECK_OK, GUARD_KFUNC " in the kernel's BTF");
	else
		add(c, "kfunc", NEED_GUARD, CHECK_MISSING, GUARD_KFUNC " %s: Linux 6.9 or later",
		    err == -ENOENT ? "is not in the kernel's BTF" : "cannot be looked up (no BTF)");
	/* struct tcx_entry came with tcx links (6.6); without BTF, by the release */
	btf = btf__load_vmlinux_btf();
	if (!libbpf_get_error(btf)) {
		bool tcx = btf__find_by_name_kind(btf, "tcx_entry", BTF_KIND_STRUCT) > 0;

		btf__free(btf);
		add(c, "tcx", NEED_GUARD, tcx ? CHECK_OK : CHECK_MISSING,
		    tcx ? "tcx links (struct tcx_entry in the kernel's BTF)" :
			  "no tcx links (Linux 6.6+, CONFIG_NET_XGRESS): guard's TC program needs one");
	} else {
		unsigned int maj = 0, min = 0;
		bool tcx = sscanf(sysenv_kernel_release(), "%u.%u", &maj, &min) == 2 &&
			   (maj > 6 || (maj == 6 && min >= 6));

		add(c, "tcx", NEED_GUARD, tcx ? CHECK_OK : CHECK_MISSING, "Linux %s %s",
		    sysenv_kernel_release(), tcx ? "is 6.6 or later" : "is older than 6.6");
	}
}

static void check_xdp(struct checks *c, const char *ifname, int ifindex)
{
	char drv[64] = "unknown";
	__u64 feat = 0;
	int err;

	if (xdpfeat_driver(ifname, drv, sizeof(drv)))
		snprintf(drv, sizeof(drv), "unknown");
	err = xdpfeat_query(ifindex, &feat);
	if (err) {
		add(c, "xdp", NEED_GUARD | NEED_SERVE, CHECK_WARN,
		    "driver %s: native: unknown (%s), generic: yes", drv, strerror(-err));
		return;
	}
	if (!(feat & XDPFEAT_BASIC)) {
		add(c, "xdp", NEED_GUARD | NEED_SERVE, CHECK_WARN,
		    "driver %s has no native XDP: generic (skb) mode only, slower", drv);
		return;
	}
	add(c, "xdp", NEED_GUARD | NEED_SERVE, CHECK_OK,
	    "driver %s: native: yes%s%s%s, generic: yes; AF_XDP zero-copy: %s", drv,
	    feat & (XDPFEAT_REDIRECT | XDPFEAT_NDO_XMIT) ? " (" : "",
	    feat & XDPFEAT_REDIRECT ?
		    (feat & XDPFEAT_NDO_XMIT ? "redirect, ndo_xmit" : "redirect") :
	    feat & XDPFEAT_NDO_XMIT ? "ndo_xmit" :
				      "",
	    feat & (XDPFEAT_REDIRECT | XDPFEAT_NDO_XMIT) ? ")" : "",
	    feat & XDPFEAT_XSK_ZEROCOPY ? "yes" : "no (copy mode)");
}

static void check_caps(struct checks *c)
{
	bool sys_admin = cap_effective(CAP_SYS_ADMIN);
	struct statfs st;
	int fd;

	/* CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON */
	add(c, "cap_bpf", NEED_GUARD | NEED_SERVE,
	    cap_effective(CAP_BPF) || sys_admin ? CHECK_OK : CHECK_MISSING,
	    "CAP_BPF: load BPF programs and maps");
	add(c, "cap_perfmon", NEED_GUARD | NEED_SERVE,
	    cap_effective(CAP_PERFMON) || sys_admin ? CHECK_OK : CHECK_MISSING,
	    "CAP_PERFMON: the verifier refuses guard's and serve's programs without it");
	add(c, "cap_net_admin", NEED_GUARD | NEED_SERVE,
	    cap_effective(CAP_NET_ADMIN) ? CHECK_OK : CHECK_MISSING,
	    "CAP_NET_ADMIN: attach XDP and tcx programs, set sysctls");
	add(c, "cap_sys_admin", NEED_GUARD | NEED_SERVE, sys_admin ? CHECK_OK : CHECK_MISSING,
	    "CAP_SYS_ADMIN: find programs by id (the watch on our XDP program, stats, "
	    "detach), mount bpffs");
	add(c, "cap_net_raw", NEED_SERVE, cap_effective(CAP_NET_RAW) ? CHECK_OK : CHECK_MISSING,
	    "CAP_NET_RAW: open AF_XDP sockets");

	if (!statfs("/sys/fs/bpf", &st) && (unsigned long)st.f_type == BPF_FS_MAGIC_NUM)
		add(c, "bpffs", NEED_GUARD, CHECK_OK, "mounted on /sys/fs/bpf");
	else
		add(c, "bpffs", NEED_GUARD, sys_admin ? CHECK_OK : CHECK_MISSING,
		    "not mounted on /sys/fs/bpf: guard mounts it at start%s",
		    sys_admin ? "" : ", which needs CAP_SYS_ADMIN");

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		add(c, "af_xdp", NEED_SERVE, CHECK_OK, "AF_XDP sockets open");
	} else {
		add(c, "af_xdp", NEED_SERVE, CHECK_MISSING, "AF_XDP socket: %s%s", strerror(errno),
		    errno == EAFNOSUPPORT ? " (kernel without CONFIG_XDP_SOCKETS)" : "");
	}
}

static void check_memlock(struct checks *c, __u64 umem_bytes)
{
	struct rlimit rl = {};
	char lim[32];

	getrlimit(RLIMIT_MEMLOCK, &rl);
	if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(lim, sizeof(lim), "unlimited");
	else
		snprintf(lim, sizeof(lim), "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
	/* BPF maps are charged to the memory cgroup (5.11+); an AF_XDP UMEM to RLIMIT_MEMLOCK */
	if (cap_effective(CAP_IPC_LOCK))
		add(c, "memlock", NEED_SERVE, CHECK_OK,
		    "RLIMIT_MEMLOCK %s, CAP_IPC_LOCK: serve's UMEM (%llu MiB) is not limited", lim,
		    (unsigned long long)umem_bytes >> 20);
	else
		add(c, "memlock", NEED_SERVE,
		    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= umem_bytes ? CHECK_OK :
										CHECK_MISSING,
		    "RLIMIT_MEMLOCK %s for serve's UMEM of %llu MiB (no CAP_IPC_LOCK); BPF maps "
		    "are charged to the memory cgroup",
		    lim, (unsigned long long)umem_bytes >> 20);
}

static void check_sysctls(struct checks *c)
{
	size_t i;
	long v;
	int err;

	for (i = 0; i < guard_nsysctls; i++) {
		const char *name = guard_sysctls[i].name;

		err = sysctl_read(name, &v);
		if (err)
			add(c, name, NEED_GUARD, CHECK_MISSING, "cannot be read: %s",
			    strerror(-err));
		else if (v == 0)
			add(c, name, NEED_GUARD, CHECK_MISSING,
			    "0, but %s: set it to 1, or run guard with --fix-sysctls",
			    guard_sysctls[i].why);
		else
			add(c, name, NEED_GUARD, CHECK_OK, "%ld", v);
	}
	err = sysctl_read("net.ipv4.tcp_ecn", &v);
	if (err)
		add(c, "net.ipv4.tcp_ecn", 0, CHECK_WARN, "cannot be read: %s", strerror(-err));
	else
		add(c, "net.ipv4.tcp_ecn", 0, CHECK_OK, "%ld%s", v,
		    v == 1 ? " (ECN asked for and accepted)" :
		    v == 2 ? " (ECN accepted when the client asks)" :
			     " (no ECN)");
}

size_t syscheck_run(const char *ifname, int ifindex, __u64 umem_bytes, struct check_item *items,
		    size_t max)
{
	struct checks c = { items, 0, max };

	check_kernel(&c);
	check_xdp(&c, ifname, ifindex);
	check_caps(&c);
	check_memlock(&c, umem_bytes);
	check_sysctls(&c);
	return c.n;
}
