// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <bpf/libbpf.h>

#include "core/mapmem.h"

__u64 map_memlock(int fd)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

__u64 obj_maps_memlock(const struct bpf_object *obj, int skip_fd)
{
	struct bpf_map *m;
	__u64 sum = 0;

	bpf_object__for_each_map(m, obj)
	{
		int fd = bpf_map__fd(m);

		if (fd >= 0 && fd != skip_fd)
			sum += map_memlock(fd);
	}
	return sum;
}
