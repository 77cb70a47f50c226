/* SPDX-License-Identifier: GPL-2.0 */
/* What the running system must offer: privileges, kernel features, sysctls, bpffs. */
#ifndef SHAKEOFF_SYSENV_H
#define SHAKEOFF_SYSENV_H

#include <stdbool.h>
#include <stddef.h>

/* 0 if we hold CAP_BPF and CAP_NET_ADMIN; else -EPERM with the missing ones named in buf. */
int sysenv_check_caps(char *buf, size_t len);
/*
 * 0 if we may open programs and maps by id (BPF_*_GET_FD_BY_ID wants
 * CAP_SYS_ADMIN; CAP_BPF is not enough), as stats, status and conns do;
 * else -EPERM with what is missing named in buf.
 */
int sysenv_check_read_caps(char *buf, size_t len);
/* 0 if vmlinux BTF has the kfunc; -ENOENT if not; -errno if BTF cannot be read. */
int sysenv_has_kfunc(const char *name);
/* The running kernel's release string ("6.18.0"), for messages. */
const char *sysenv_kernel_release(void);
/* Read/write an integer sysctl given as "net.ipv4.tcp_sack"; -errno on failure. */
int sysctl_read(const char *name, long *val);
int sysctl_write(const char *name, long val);
/* Mount bpffs on /sys/fs/bpf if something else (or nothing) is there; 0 or -errno. */
int bpffs_ensure(void);
/* mkdir -p */
int mkdir_p(const char *path);
/* Is process pid alive and a shakeoff? */
bool pid_is_shakeoff(int pid);

#endif /* SHAKEOFF_SYSENV_H */
