// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <linux/inet_diag.h>
#include <shakeoff/guard_abi.h>

#include "core/log.h"
#include "core/sockdiag.h"
#include "guard/recent.h"

#define RECENT_MAP_BYTES ((size_t)GUARD_RECENT_BUCKETS * sizeof(struct guard_recent))

struct guard_recent *recent_map(int map_fd)
{
	void *p = mmap(NULL, RECENT_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);

	if (p == MAP_FAILED) {
		pr_warn("Failed to map guard_recent: %s\n", strerror(errno));
		return NULL;
	}
	return p;
}

void recent_unmap(struct guard_recent *r)
{
	if (r)
		munmap(r, RECENT_MAP_BYTES);
}

struct seed_ctx {
	struct guard_recent *r;
	const bool *ports;
	__u32 units;
	int n;
};

/* A socket's address as XDP's frame holds it: IPv4, also v4-mapped IPv6, in word 0. */
static void frame_addr(const struct inet_diag_msg *m, const __be32 *a, __u32 out[4])
{
	memset(out, 0, 4 * sizeof(out[0]));
	if (m->idiag_family == AF_INET || (!a[0] && !a[1] && a[2] == htonl(0xffff))) {
		out[0] = m->idiag_family == AF_INET ? a[0] : a[3];
		return;
	}
	memcpy(out, a, 4 * sizeof(out[0]));
}

static int seed_one(const struct nlmsghdr *nlh, const struct inet_diag_msg *m, void *arg)
{
	struct seed_ctx *c = arg;
	__u32 cli[4], srv[4], h;

	(void)nlh;
	if (!c->ports[ntohs(m->id.idiag_sport)])
		return 0;
	/* the client's segments: from the socket's remote end to its local one */
	frame_addr(m, m->id.idiag_dst, cli);
	frame_addr(m, m->id.idiag_src, srv);
	h = guard_recent_hash(cli, srv, m->id.idiag_dport, m->id.idiag_sport);
	guard_recent_put(&c->r[h & (GUARD_RECENT_BUCKETS - 1)], h >> 16, c->units);
	c->n++;
	return 0;
}

int recent_seed(struct guard_recent *r, const bool *ports, __u32 states)
{
	struct seed_ctx c = { .r = r, .ports = ports };
	struct timespec ts;
	int err;

	/* XDP stamps with bpf_ktime_get_coarse_ns(): the same clock */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	c.units = guard_recent_units((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	err = sockdiag_walk(states, seed_one, &c);
	return err ? err : c.n;
}
