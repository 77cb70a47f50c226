// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/percpu.h"

int percpu_sum(int map_fd, const void *key, __u64 *out, unsigned int nwords)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned int c, w;
	__u64 *vals;
	int err = 0;

	memset(out, 0, nwords * sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	/* each CPU's value is rounded up to 8 bytes: u64 words need no padding */
	vals = calloc((size_t)ncpu * nwords, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, key, vals))
		err = -errno;
	else
		for (c = 0; c < (unsigned int)ncpu; c++)
			for (w = 0; w < nwords; w++)
				out[w] += vals[(size_t)c * nwords + w];
	free(vals);
	return err;
}

int percpu_sum_array(int map_fd, __u64 *out, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		__u32 key = i;

		err = percpu_sum(map_fd, &key, &out[i], 1);
		if (err)
			return err;
	}
	return 0;
}
