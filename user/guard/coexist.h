/* SPDX-License-Identifier: GPL-2.0 */
/* guard sharing its interface: a next program (--next-prog/--next-pin), a root's stage (--xdp-stage). */
#ifndef SHAKEOFF_GUARD_COEXIST_H
#define SHAKEOFF_GUARD_COEXIST_H

struct guard;

/* Before guard's own load: the stage's index free (or a dead guard's), the next program loaded. */
int guard_coexist_prepare(struct guard *g);
/* After load: the next program into guard_next. */
int guard_coexist_next(struct guard *g);
/* Stage mode: so_guard_xdp into the root's array (instead of an XDP attachment). */
int guard_coexist_enter(struct guard *g);
/* Is so_guard_xdp still where guard put it (on the interface, or at the index)? 0 if so. */
int guard_coexist_alive(struct guard *g);
void guard_coexist_stop(struct guard *g);

#endif /* SHAKEOFF_GUARD_COEXIST_H */
