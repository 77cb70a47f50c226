// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "core/opts.h" /* EXIT_USAGE */
#include "core/stage.h"

/* Not in this libbpf's (6.1) UAPI headers under every name: the flag xdp.frags sets. */
#ifndef BPF_F_XDP_HAS_FRAGS
#define BPF_F_XDP_HAS_FRAGS (1U << 5)
#endif

/* Slots of a root's PROG_ARRAY looked at when searching it (a root has a few stages). */
#define STAGE_SCAN_MAX 256

/* What a bpffs object is: "bpf-prog", "bpf-map", ... ("" if not BPF). */
static void bpf_fd_kind(int fd, char *kind, size_t len)
{
	char link[64], target[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	kind[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		if (!strncmp(target, "anon_inode:", 11))
			snprintf(kind, len, "%s", target + 11);
	}
}

static int next_prog_id(struct xdp_next *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(n->prog_fd, &info, &len))
		return -errno;
	n->prog_id = info.id;
	memcpy(n->name, info.name, sizeof(n->name) - 1);
	return info.type == BPF_PROG_TYPE_XDP ? 0 : -EPROTOTYPE;
}

static int next_open_pinned(struct xdp_next *n, const char *path)
{
	char kind[32];
	int err;

	n->prog_fd = bpf_obj_get(path);
	if (n->prog_fd < 0) {
		pr_warn("Failed to open --next-pin %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	bpf_fd_kind(n->prog_fd, kind, sizeof(kind));
	if (strcmp(kind, "bpf-prog")) {
		pr_warn("--next-pin %s is a pinned %s, not a program\n", path,
			kind[0] ? kind : "object");
		return EXIT_USAGE;
	}
	err = next_prog_id(n);
	if (err) {
		pr_warn("--next-pin %s: %s\n", path,
			err == -EPROTOTYPE ? "not an XDP program" : strerror(-err));
		return EXIT_USAGE;
	}
	return 0;
}

static int next_open_object(struct xdp_next *n, const char *spec)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .kernel_log_level = log_get_level() >= LOG_DEBUG ? 4 : 0);
	struct bpf_program *p, *pick = NULL;
	char file[512], *colon;
	const char *want = NULL;
	struct bpf_map *m;
	int nxdp = 0, err;

	snprintf(file, sizeof(file), "%s", spec);
	colon = strrchr(file, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		want = colon + 1;
	}
	n->obj = bpf_object__open_file(file, &oo);
	err = libbpf_get_error(n->obj);
	if (err) {
		n->obj = NULL;
		pr_warn("Failed to open --next-prog %s: %s\n", file, strerror(-err));
		return EXIT_USAGE;
	}
	bpf_object__for_each_program(p, n->obj)
	{
		bool xdp = bpf_program__type(p) == BPF_PROG_TYPE_XDP;

		nxdp += xdp;
		if (xdp && (want ? !strcmp(bpf_program__name(p), want) : !pick))
			pick = p;
	}
	if (!pick || (!want && nxdp > 1)) {
		if (want)
			pr_warn("--next-prog %s has no XDP program '%s'\n", file, want);
		else if (nxdp > 1)
			pr_warn("--next-prog %s has %d XDP programs: name one as %s:PROG\n", file,
				nxdp, file);
		else
			pr_warn("--next-prog %s has no XDP program\n", file);
		return EXIT_USAGE;
	}
	bpf_object__for_each_program(p, n->obj) bpf_program__set_autoload(p, p == pick);
	/*
	 * A tail call's target must match its array's owner (our program): the
	 * same attach type, and frags support off (xdp.frags programs run on
	 * linear frames just as well).
	 */
	bpf_program__set_expected_attach_type(pick, BPF_XDP);
	bpf_program__set_flags(pick, bpf_program__flags(pick) & ~BPF_F_XDP_HAS_FRAGS);
	/* its maps live with this process, not pinned where they would outlive it */
	bpf_object__for_each_map(m, n->obj) bpf_map__set_pin_path(m, NULL);
	if (bpf_object__load(n->obj)) {
		pr_warn("Failed to load --next-prog %s program %s: %s (run with -v for the verifier log)\n",
			file, bpf_program__name(pick), strerror(errno));
		return EXIT_USAGE;
	}
	n->prog_fd = bpf_program__fd(pick);
	err = next_prog_id(n);
	if (err) {
		pr_warn("Failed to query --next-prog %s: %s\n", file, strerror(-err));
		return 1;
	}
	return 0;
}

int xdp_next_open(struct xdp_next *n, const char *spec, bool object)
{
	memset(n, 0, sizeof(*n));
	n->prog_fd = -1;
	return object ? next_open_object(n, spec) : next_open_pinned(n, spec);
}

int xdp_next_from(struct xdp_next *n, const struct coexist_opts *o)
{
	if (!o->next_prog[0] && !o->next_pin[0]) {
		memset(n, 0, sizeof(*n));
		n->prog_fd = -1;
		return 0;
	}
	return xdp_next_open(n, o->next_prog[0] ? o->next_prog : o->next_pin, o->next_prog[0]);
}

int xdp_next_install(const struct xdp_next *n, int array_fd, const char *what)
{
	__u32 zero = 0;

	if (!bpf_map_update_elem(array_fd, &zero, &n->prog_fd, BPF_ANY)) {
		pr_debug("%s passes to next program %s (id %u)\n", what, n->name, n->prog_id);
		return 0;
	}
	if (errno == EINVAL) {
		pr_warn("the kernel refused next program '%s' as %s's tail call: it must be a plain XDP program (no frags, not device-bound, not sleepable)\n",
			n->name, what);
		return EXIT_USAGE;
	}
	pr_warn("Failed to set next program '%s': %s\n", n->name, strerror(errno));
	return 1;
}

void xdp_next_close(struct xdp_next *n)
{
	if (n->obj)
		bpf_object__close(n->obj);
	else if (n->prog_fd >= 0)
		close(n->prog_fd);
	memset(n, 0, sizeof(*n));
	n->prog_fd = -1;
}

int xdp_stage_parse(const char *arg, char *path, size_t len, __u32 *index)
{
	const char *colon = strrchr(arg, ':');
	unsigned long v = 0;
	size_t plen = colon ? (size_t)(colon - arg) : strlen(arg);

	if (colon && parse_ulong(colon + 1, 0, 0xffffffffUL, &v))
		return -EINVAL;
	if (!plen || plen >= len)
		return -EINVAL;
	memcpy(path, arg, plen);
	path[plen] = '\0';
	*index = v;
	return 0;
}

int xdp_stage_open(struct xdp_stage *st, const char *path, __u32 index, struct prog_ref *occupant)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), id;
	char kind[32];

	memset(occupant, 0, sizeof(*occupant));
	st->path = path;
	st->index = index;
	st->prog_id = 0;
	st->root_uses = -1;
	st->map_fd = bpf_obj_get(path);
	if (st->map_fd < 0) {
		pr_warn("Failed to open --xdp-stage %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	bpf_fd_kind(st->map_fd, kind, sizeof(kind));
	if (strcmp(kind, "bpf-map") || bpf_obj_get_info_by_fd(st->map_fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_PROG_ARRAY) {
		pr_warn("--xdp-stage %s is not a pinned BPF_MAP_TYPE_PROG_ARRAY\n", path);
		return EXIT_USAGE;
	}
	if (index >= info.max_entries) {
		pr_warn("--xdp-stage %s has %u entries: no index %u\n", path, info.max_entries,
			index);
		return EXIT_USAGE;
	}
	/* a PROG_ARRAY looked up from user space gives the program's id */
	if (!bpf_map_lookup_elem(st->map_fd, &index, &id) && id)
		prog_ref_by_id(id, occupant);
	return 0;
}

int xdp_stage_enter(struct xdp_stage *st, int prog_fd, __u32 prog_id, const char *what)
{
	if (bpf_map_update_elem(st->map_fd, &st->index, &prog_fd, BPF_ANY)) {
		if (errno == EINVAL) {
			pr_warn("the kernel refused %s as a tail call of %s: its owner is not a plain XDP program (frags, attach type, JIT or sleepable differ)\n",
				what, st->path);
			return EXIT_USAGE;
		}
		pr_warn("Failed to enter %s at %s:%u: %s\n", what, st->path, st->index,
			strerror(errno));
		return 1;
	}
	st->prog_id = prog_id;
	return 0;
}

/* Does the program on ifindex's XDP hook use map_fd's map (tail-call into it)? */
static int root_uses_map(int ifindex, int map_fd, struct prog_ref *root)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info mi = {};
	__u32 map_ids[32], len = sizeof(info), mlen = sizeof(mi), i;
	int fd, err;

	if (xdp_prog_on(ifindex, root) || !root->id || bpf_obj_get_info_by_fd(map_fd, &mi, &mlen))
		return 0;
	fd = bpf_prog_get_fd_by_id(root->id);
	if (fd < 0)
		return 0;
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)map_ids;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	for (i = 0; !err && i < info.nr_map_ids && i < 32; i++)
		if (map_ids[i] == mi.id)
			return 1;
	return 0;
}

int xdp_stage_still(struct xdp_stage *st, int ifindex, const char *ifname, const char *what)
{
	char name[IF_NAMESIZE];
	struct prog_ref root;
	__u32 id = 0;
	int uses;

	if (!if_indextoname(ifindex, name)) {
		pr_warn("%s is gone (the interface was removed); %s stops\n", ifname, what);
		return 1;
	}
	if (bpf_map_lookup_elem(st->map_fd, &st->index, &id) || id != st->prog_id) {
		pr_warn("%s's entry %s:%u was removed or replaced by someone else; %s stops\n",
			what, st->path, st->index, what);
		return 1;
	}
	uses = root_uses_map(ifindex, st->map_fd, &root);
	if (uses != st->root_uses) {
		if (!uses && root.id)
			pr_warn("%s's XDP program '%s' does not tail-call %s: no frames reach %s until one does\n",
				ifname, root.name, st->path, what);
		else if (!uses)
			pr_warn("%s has no XDP program: no frames reach %s until a root tail-calls %s\n",
				ifname, what, st->path);
		else if (st->root_uses == 0)
			pr_info("%s's XDP program '%s' tail-calls %s again\n", ifname, root.name,
				st->path);
		st->root_uses = uses;
	}
	return 0;
}

int xdp_ours_still(struct xdp_stage *st, int ifindex, const char *ifname, __u32 prog_id,
		   const char *what)
{
	if (st->map_fd >= 0)
		return xdp_stage_still(st, ifindex, ifname, what);
	return xdp_still_attached(ifindex, ifname, prog_id, what);
}

void xdp_stage_leave(struct xdp_stage *st)
{
	__u32 id = 0;

	if (st->map_fd < 0)
		return;
	/* not atomic: a loader replacing the entry between the two loses it (it said "ours") */
	if (st->prog_id && !bpf_map_lookup_elem(st->map_fd, &st->index, &id) && id == st->prog_id)
		bpf_map_delete_elem(st->map_fd, &st->index);
	close(st->map_fd);
	st->map_fd = -1;
	st->prog_id = 0;
}

/*
 * Call fn for each program in the PROG_ARRAYs ifindex's XDP program uses,
 * until it returns non-zero (returned). fn may delete the entry.
 */
static int stage_walk(int ifindex,
		      int (*fn)(int map_fd, __u32 key, const struct prog_ref *p, void *arg),
		      void *arg)
{
	struct bpf_prog_info info = {};
	__u32 map_ids[32], len = sizeof(info), i, k;
	struct prog_ref root, p;
	int fd, ret = 0;

	if (xdp_prog_on(ifindex, &root) || !root.id)
		return 0;
	fd = bpf_prog_get_fd_by_id(root.id);
	if (fd < 0)
		return 0;
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.nr_map_ids = 0;
	close(fd);
	for (i = 0; i < info.nr_map_ids && i < 32 && !ret; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi), id;
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) && mi.type == BPF_MAP_TYPE_PROG_ARRAY)
			for (k = 0; k < mi.max_entries && k < STAGE_SCAN_MAX && !ret; k++)
				if (!bpf_map_lookup_elem(mfd, &k, &id) && id &&
				    !prog_ref_by_id(id, &p))
					ret = fn(mfd, k, &p, arg);
		close(mfd);
	}
	return ret;
}

struct find_arg {
	const char *name;
	struct prog_ref *out;
};

static int find_one(int map_fd, __u32 key, const struct prog_ref *p, void *arg)
{
	struct find_arg *a = arg;

	(void)map_fd;
	(void)key;
	if (strncmp(p->name, a->name, 15))
		return 0;
	*a->out = *p;
	return 1;
}

int xdp_find_named(int ifindex, const char *name, struct prog_ref *p)
{
	struct find_arg a = { name, p };

	if (!xdp_prog_on(ifindex, p) && p->id && !strncmp(p->name, name, 15))
		return 0;
	memset(p, 0, sizeof(*p));
	return stage_walk(ifindex, find_one, &a) ? 0 : -ENOENT;
}

struct remove_arg {
	const char *const *names;
	int n, removed;
};

static int remove_one(int map_fd, __u32 key, const struct prog_ref *p, void *arg)
{
	struct remove_arg *a = arg;
	int i;

	for (i = 0; i < a->n; i++)
		if (!strncmp(p->name, a->names[i], 15) && !bpf_map_delete_elem(map_fd, &key)) {
			a->removed++;
			break;
		}
	return 0;
}

int stage_remove_named(int ifindex, const char *const *names, int n)
{
	struct remove_arg a = { names, n, 0 };

	stage_walk(ifindex, remove_one, &a);
	return a.removed;
}
