/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pins: each interface's maps and links under SHAKEOFF_PIN_ROOT/IFNAME, for
 * `shakeoff stats`, `conns` and `detach` and for a guard that restarts.
 */
#ifndef SHAKEOFF_PINS_H
#define SHAKEOFF_PINS_H

#include <stddef.h>

/* SHAKEOFF_PIN_ROOT/ifname into buf; -ENAMETOOLONG if it does not fit. */
int pin_dir_path(const char *ifname, char *buf, size_t len);
/*
 * A fresh, empty pin directory for ifname: bpffs mounted if it is not (an
 * `ip netns exec` shell has none), whatever an earlier run left removed.
 * Its path goes to buf. 0 or -errno.
 */
int pin_dir_prepare(const char *ifname, char *buf, size_t len);
/* Remove a pin directory, its pins, and the shared root once it is empty. */
void pin_dir_remove(const char *dir);

#endif /* SHAKEOFF_PINS_H */
