// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.skel.h"
#include "core/log.h"
#include "guard/guard.h"
#include "guard/limits.h"

int limits_rule_parse(const char *cidr, bool deny, struct guard_src_rule *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (parse_cidr(cidr, &r->addr, &r->prefix))
		return -EINVAL;
	for (i = 0; i < 16; i++) {
		unsigned int bits = r->prefix > i * 8 ? r->prefix - i * 8 : 0;

		if (bits < 8)
			r->addr.bytes[i] &= (__u8)(0xff00 >> bits);
	}
	r->deny = deny;
	return 0;
}

static bool rule_same(const struct guard_src_rule *a, const struct guard_src_rule *b)
{
	return a->addr.family == b->addr.family && a->prefix == b->prefix &&
	       !memcmp(a->addr.bytes, b->addr.bytes, 16);
}

int limits_rule_add(struct guard_opts *o, const char *cidr, bool deny)
{
	struct guard_src_rule r;
	unsigned int i;

	if (limits_rule_parse(cidr, deny, &r))
		return -EINVAL;
	for (i = 0; i < o->nsrc_rules; i++) {
		if (rule_same(&o->src_rules[i], &r)) {
			o->src_rules[i].deny = deny;
			return 0;
		}
	}
	if (o->nsrc_rules >= GUARD_SRC_RULES_MAX)
		return -ENOSPC;
	o->src_rules[o->nsrc_rules++] = r;
	return 0;
}

__u16 limits_port_slot(unsigned int rank)
{
	return rank + 1 < GUARD_PORT_STATS_SLOTS ? rank + 1 : GUARD_PORT_STATS_OTHER;
}

/* A rule as guard_srclist's key: IPv4 as IPv4-mapped IPv6. */
static void rule_key(const struct guard_src_rule *r, struct guard_srclist_key *k)
{
	memset(k, 0, sizeof(*k));
	if (r->addr.family == AF_INET) {
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		memcpy(&k->addr[12], r->addr.bytes, 4);
		k->prefixlen = r->prefix + 96;
	} else {
		memcpy(k->addr, r->addr.bytes, 16);
		k->prefixlen = r->prefix;
	}
}

static bool key_in(const struct guard_srclist_key *k, const struct guard_srclist_key *keys,
		   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i].prefixlen == k->prefixlen && !memcmp(keys[i].addr, k->addr, 16))
			return true;
	return false;
}

/* Delete every entry of the trie that keys[0..n) does not hold. */
static int srclist_prune(int fd, const struct guard_srclist_key *keys, unsigned int n)
{
	struct guard_srclist_key *old = calloc(GUARD_SRC_RULES_MAX, sizeof(*old)), cur;
	unsigned int nold = 0, i;
	int err = 0;

	if (!old)
		return -ENOMEM;
	/* collect first: deleting while walking would restart the walk */
	while (nold < GUARD_SRC_RULES_MAX &&
	       !bpf_map_get_next_key(fd, nold ? &old[nold - 1] : NULL, &cur))
		old[nold++] = cur;
	for (i = 0; i < nold && !err; i++)
		if (!key_in(&old[i], keys, n) && bpf_map_delete_elem(fd, &old[i]) &&
		    errno != ENOENT)
			err = -errno;
	free(old);
	return err;
}

/* --synack-rate is for the host; XDP counts per CPU, like the RST budget. */
void limits_cfg_fill(const struct guard_opts *o, struct guard_cfg *cfg)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 1)
		ncpu = 1;
	cfg->synack_per_cpu = o->synack_rate ? (o->synack_rate + ncpu - 1) / ncpu : 0;
	cfg->synack_per_src = o->synack_rate_src;
	cfg->src_rules = o->nsrc_rules;
}

int limits_apply(struct guard *g, const struct guard_opts *o)
{
	int list_fd = bpf_map__fd(g->skel->maps.guard_srclist);
	int cfg_fd = bpf_map__fd(g->skel->maps.guard_cfg);
	struct guard_srclist_key *keys;
	struct guard_cfg cfg;
	unsigned int i;
	__u32 zero = 0;
	int err = 0;

	keys = calloc(o->nsrc_rules ? o->nsrc_rules : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		err = -errno;
		pr_warn("Failed to read map guard_cfg: %s\n", strerror(-err));
		goto out;
	}
	/* the new entries first, then the lookups on, then the old entries away */
	for (i = 0; i < o->nsrc_rules; i++) {
		struct guard_srclist_val v = { o->src_rules[i].deny ? SRC_DENY : SRC_ALLOW };

		rule_key(&o->src_rules[i], &keys[i]);
		if (bpf_map_update_elem(list_fd, &keys[i], &v, BPF_ANY)) {
			err = -errno;
			pr_warn("Failed to write map guard_srclist: %s\n", strerror(-err));
			goto out;
		}
	}
	limits_cfg_fill(o, &cfg);
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
		err = -errno;
		pr_warn("Failed to write map guard_cfg: %s\n", strerror(-err));
		goto out;
	}
	err = srclist_prune(list_fd, keys, o->nsrc_rules);
	if (err)
		pr_warn("Failed to remove old entries of guard_srclist: %s\n", strerror(-err));
	else
		pr_debug("limits: %u source rule(s), SYN-ACKs %u per CPU, %u per prefix\n",
			 o->nsrc_rules, cfg.synack_per_cpu, cfg.synack_per_src);
out:
	free(keys);
	return err;
}
