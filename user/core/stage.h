/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sharing an interface's XDP hook without a dispatcher, by tail calls:
 *   next:  the program guard or serve hands what it passes to (index 0 of
 *          its own 1-entry PROG_ARRAY, guard_next / serve_next);
 *   stage: guard or serve as a program another loader's root XDP program
 *          tail-calls, at an index of the root's pinned PROG_ARRAY
 *          (the convention is in README.md, "Sharing the interface").
 */
#ifndef SHAKEOFF_STAGE_H
#define SHAKEOFF_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "core/attach.h"

struct bpf_object;

/* What the user asked for (--next-prog, --next-pin, --xdp-stage), guard and serve alike. */
struct coexist_opts {
	/* copies: a config file's text is gone after the parse, and a reload compares them */
	char next_prog[256]; /* FILE.o[:PROG]; "": none */
	char next_pin[256]; /* PATH of a pinned XDP program; "": none */
	char stage_path[256]; /* "": attach XDP ourselves */
	__u32 stage_index;
};

struct xdp_next {
	struct bpf_object *obj; /* --next-prog: kept open for the program's maps */
	int prog_fd; /* -1: none */
	__u32 prog_id;
	char name[16];
};

/*
 * The next program: from an object file "FILE.o[:PROG]" (object true) or a
 * pinned program (object false). 0, or EXIT_USAGE after one line saying why.
 */
int xdp_next_open(struct xdp_next *n, const char *spec, bool object);
/* The one o asks for (--next-prog or --next-pin), if any: 0 with n->prog_fd -1 if none. */
int xdp_next_from(struct xdp_next *n, const struct coexist_opts *o);
/* Put it at index 0 of the tail-call array array_fd. 0, or EXIT_USAGE (incompatible) or 1 after a message. */
int xdp_next_install(const struct xdp_next *n, int array_fd, const char *what);
void xdp_next_close(struct xdp_next *n);

struct xdp_stage {
	int map_fd; /* the root's PROG_ARRAY; -1: not a stage */
	__u32 index;
	__u32 prog_id; /* ours, once entered */
	const char *path;
	int root_uses; /* the hook's program uses the array: 1, 0, -1 not yet known */
};

/* "PATH[:INDEX]" (INDEX default 0) into path and index; -EINVAL if malformed. */
int xdp_stage_parse(const char *arg, char *path, size_t len, __u32 *index);
/*
 * Open the pinned PROG_ARRAY at path and say who holds index: *occupant is
 * its program (id 0: free). 0, or EXIT_USAGE after one line saying why.
 */
int xdp_stage_open(struct xdp_stage *st, const char *path, __u32 index, struct prog_ref *occupant);
/* Put prog_fd (id prog_id) at the index. 0, or EXIT_USAGE (incompatible owner) or 1 after a message. */
int xdp_stage_enter(struct xdp_stage *st, int prog_fd, __u32 prog_id, const char *what);
/*
 * Still at the index, and the interface still there? 0, else 1 after one
 * line. Says once when the interface's XDP program stops (or starts) using
 * the array: frames no longer reach us, but the root may come back.
 */
int xdp_stage_still(struct xdp_stage *st, int ifindex, const char *ifname, const char *what);
/* Our XDP program still runs: at the stage's index (st->map_fd >= 0), else on the hook. */
int xdp_ours_still(struct xdp_stage *st, int ifindex, const char *ifname, __u32 prog_id,
		   const char *what);
/* Remove exactly our entry (nothing if another program took the index). */
void xdp_stage_leave(struct xdp_stage *st);

/*
 * The program called name on ifindex's XDP hook, or one tail call below it
 * (in a PROG_ARRAY the hook's program uses). 0 and p filled, or -ENOENT.
 */
int xdp_find_named(int ifindex, const char *name, struct prog_ref *p);
/*
 * Remove programs named names[0..n) from the PROG_ARRAYs of ifindex's XDP
 * program (stages a killed guard or serve left). Returns how many.
 */
int stage_remove_named(int ifindex, const char *const *names, int n);

#endif /* SHAKEOFF_STAGE_H */
