/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching to an interface and finding what is attached, by the kernel's own
 * records (program ids on the interface, link ids) rather than by pins: pins
 * live in a bpffs that another `ip netns exec` cannot see.
 */
#ifndef SHAKEOFF_ATTACH_H
#define SHAKEOFF_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Not in this libbpf's (6.1) UAPI headers; the kernel has them since 6.6. */
#define SHAKEOFF_BPF_TCX_INGRESS 46
#define SHAKEOFF_BPF_LINK_TYPE_TCX 11

struct prog_ref {
	__u32 id; /* 0: none */
	char name[16];
};

/* The XDP program on ifindex, if any (any attach mode). */
int xdp_prog_on(int ifindex, struct prog_ref *p);
/*
 * The mode the kernel runs ifindex's XDP program in, as bpf_xdp_query()'s
 * attach_mode says: "native" (driver), "generic" (skb), "offload" (hw),
 * "multi" (more than one mode at once), or "none".
 */
const char *xdp_attach_mode(int ifindex);
/* tcx ingress programs on ifindex: fills up to max, returns the count or -errno. */
int tcx_progs_on(int ifindex, struct prog_ref *out, int max);
int prog_ref_by_id(__u32 id, struct prog_ref *p);

/* Attach as bpf_links; return the link fd or -errno. mode: 0, XDP_FLAGS_DRV_MODE or _SKB_MODE. */
int xdp_link_attach(int prog_fd, int ifindex, __u32 mode);
int tcx_link_attach(int prog_fd, int ifindex);

/*
 * Detach from ifindex every XDP or tcx-ingress link, and a legacy XDP
 * attachment, whose program is named one of names[0..n). Returns how many
 * attachments were removed, or -errno.
 */
int detach_named(int ifindex, const char *const *names, int n);

/* Who holds an interface's XDP hook, told by the program's name. */
enum xdp_holder {
	XDP_FREE,
	XDP_GUARD,
	XDP_SERVE,
	XDP_LAB,
	XDP_FOREIGN, /* not shakeoff's: never replaced */
};

/*
 * May self attach to ifindex's XDP hook? The program there goes to p. 0 if
 * the hook is free or holds self's own kind (the caller decides whether that
 * one is alive); else EXIT_USAGE (or 1 if the query failed) after a one-line
 * message naming what is there.
 */
int xdp_hook_claim(int ifindex, const char *ifname, enum xdp_holder self, struct prog_ref *p);

/*
 * Is program prog_id still on ifname's (ifindex's) XDP hook? 0 if so; else 1
 * after one line saying what happened: the interface is gone, or the
 * program was detached by someone else (shakeoff detach, ip link).
 */
int xdp_still_attached(int ifindex, const char *ifname, __u32 prog_id, const char *what);

/* fd of the map called name used by program id, or -ENOENT. */
int prog_map_fd(__u32 prog_id, const char *name);
/* The value at key of that map into value: 0, or -errno (-ENOENT: no such map). */
int prog_map_lookup(__u32 prog_id, const char *name, const void *key, void *value);

#endif /* SHAKEOFF_ATTACH_H */
