/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel memory BPF maps take, as the kernel accounts it. */
#ifndef SHAKEOFF_MAPMEM_H
#define SHAKEOFF_MAPMEM_H

#include <linux/types.h>

struct bpf_object;

/* A map's kernel memory as /proc reports it (fdinfo "memlock:"); 0 if unknown. */
__u64 map_memlock(int fd);
/* The sum over obj's loaded maps, but the map with fd skip_fd (-1: none). */
__u64 obj_maps_memlock(const struct bpf_object *obj, int skip_fd);

#endif /* SHAKEOFF_MAPMEM_H */
