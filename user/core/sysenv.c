// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/sysenv.h"
#include "core/log.h"
#include <linux/types.h>

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define BPF_FS_MAGIC_NUM 0xcafe4a11

int sysenv_check_caps(char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	bool bpf, admin;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	bpf = data[CAP_BPF / 32].effective & (1U << (CAP_BPF % 32));
	/* Kernels before CAP_BPF (5.8) wanted CAP_SYS_ADMIN instead. */
	bpf = bpf || (data[0].effective & (1U << CAP_SYS_ADMIN));
	admin = data[0].effective & (1U << CAP_NET_ADMIN);
	if (bpf && admin)
		return 0;
	snprintf(buf, len, "%s%s%s", bpf ? "" : "CAP_BPF", !bpf && !admin ? " and " : "",
		 admin ? "" : "CAP_NET_ADMIN");
	return -EPERM;
}

int sysenv_check_read_caps(char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (data[0].effective & (1U << CAP_SYS_ADMIN))
		return 0;
	snprintf(buf, len, "CAP_SYS_ADMIN");
	return -EPERM;
}

int sysenv_has_kfunc(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id, err;

	err = libbpf_get_error(btf);
	if (err)
		return err;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id > 0 ? 0 : -ENOENT;
}

const char *sysenv_kernel_release(void)
{
	static struct utsname u;

	if (uname(&u))
		return "unknown";
	return u.release;
}

static void sysctl_path(const char *name, char *path, size_t len)
{
	size_t i, n = snprintf(path, len, "/proc/sys/%s", name);

	for (i = strlen("/proc/sys/"); i < n && i < len; i++)
		if (path[i] == '.')
			path[i] = '/';
}

int sysctl_read(const char *name, long *val)
{
	char path[256];
	FILE *f;
	int ok;

	sysctl_path(name, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

int sysctl_write(const char *name, long val)
{
	char path[256];
	FILE *f;
	int err = 0;

	sysctl_path(name, path, sizeof(path));
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", val) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

int bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && (unsigned long)st.f_type == BPF_FS_MAGIC_NUM)
		return 0;
	/* ip netns exec mounts a fresh /sys without bpffs: bring our own. */
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	pr_debug("mounted bpffs on /sys/fs/bpf\n");
	return 0;
}

int mkdir_p(const char *path)
{
	char buf[512];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		if (i < n)
			buf[i] = '/';
	}
	return 0;
}

bool pid_is_shakeoff(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "shakeoff", 8);
}
