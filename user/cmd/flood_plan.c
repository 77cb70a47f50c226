// SPDX-License-Identifier: GPL-2.0
/*
 * The kinds of `shakeoff flood` and their mix, and its source pool: N
 * distinct addresses of --src drawn once from the seed's pool stream (a
 * botnet of N hosts), which the BPF program then picks from per frame.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cmd/flood_plan.h"
#include "core/opts.h"

static const char *const kind_names[FLOOD_KINDS + 1] = {
	[FLOOD_SYN] = "syn", [FLOOD_ACK] = "ack",	[FLOOD_RST] = "rst",
	[FLOOD_FIN] = "fin", [FLOOD_SYNACK] = "synack", [FLOOD_MIXED] = "mixed",
};

const char *flood_kind_name(int kind)
{
	return kind >= 0 && kind <= FLOOD_MIXED ? kind_names[kind] : "?";
}

int flood_kind_parse(const char *s)
{
	int k;

	for (k = 0; k <= FLOOD_MIXED; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

int flood_mix_parse(const char *s, double w[FLOOD_KINDS])
{
	bool seen[FLOOD_KINDS] = {};
	char buf[256], *item, *save = NULL, *eq;
	double total = 0;
	int k;

	/* strtok_r would skip empty items */
	if (strlen(s) >= sizeof(buf) || !*s || *s == ',' || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,"))
		return -1;
	strcpy(buf, s);
	memset(w, 0, sizeof(double) * FLOOD_KINDS);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		k = flood_kind_parse(item);
		if (k < 0 || k >= FLOOD_KINDS || seen[k] || parse_double(eq + 1, 0, 1e9, &w[k]))
			return -1;
		seen[k] = true;
		total += w[k];
	}
	return total > 0 ? 0 : -1;
}

void flood_mix_cum(const double w[FLOOD_KINDS], __u64 cum[FLOOD_KINDS])
{
	double total = 0, acc = 0;
	int k, last = 0;

	for (k = 0; k < FLOOD_KINDS; k++) {
		total += w[k];
		if (w[k] > 0)
			last = k;
	}
	for (k = 0; k < FLOOD_KINDS; k++) {
		acc += w[k];
		/* from the last kind with a weight on, every draw is below */
		cum[k] = k >= last ? 1ULL << 32 : (__u64)llround(acc / total * 4294967296.0);
	}
}

/* The address of host number h of cfg's prefix. */
static void pool_addr(const struct flood_cfg *cfg, __u64 h, struct flood_addr *a)
{
	memcpy(a->a, cfg->saddr, sizeof(a->a));
	if (cfg->ipv6) {
		a->a[2] |= htonl(h >> 32);
		a->a[3] |= htonl((__u32)h);
	} else {
		a->a[0] |= htonl((__u32)h);
		a->a[1] = a->a[2] = a->a[3] = 0;
	}
}

int flood_pool_draw(const struct flood_cfg *cfg, __u64 seed, __u32 n, struct flood_addr *out)
{
	__u64 key = flood_stream_key(seed, FLOOD_POOL_STREAM), cap = 2, h, slot, j, tries;
	__u64 *set;
	__u8 *used;
	__u32 got = 0;

	if (!n || (cfg->host_bits < 64 && n > 1ULL << cfg->host_bits))
		return -EINVAL;
	while (cap < 2ULL * n)
		cap <<= 1;
	set = calloc(cap, sizeof(*set));
	used = calloc(cap, 1);
	if (!set || !used) {
		free(set);
		free(used);
		return -ENOMEM;
	}
	/* rejection of repeats; a pool as large as its prefix takes about n ln n draws */
	tries = 64ULL * n + 4096;
	for (j = 0; got < n && j < tries; j++) {
		h = flood_draw(key, j, 0) & cfg->host_mask;
		for (slot = flood_mix64(h) & (cap - 1); used[slot] && set[slot] != h;
		     slot = (slot + 1) & (cap - 1))
			;
		if (used[slot])
			continue;
		used[slot] = 1;
		set[slot] = h;
		pool_addr(cfg, h, &out[got++]);
	}
	free(set);
	free(used);
	return got == n ? 0 : -EAGAIN;
}
