/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pins: each interface's maps and links under SHAKEOFF_PIN_ROOT/NETNS/IFNAME,
 * NETNS the inode number of the network namespace (as `ls -iL
 * /proc/self/ns/net` or `stat -L -c %i /run/netns/NAME` show it): guards on
 * same-named interfaces of two namespaces that share one bpffs (nsenter
 * --net, systemd's NetworkNamespacePath=) never touch each other's pins.
 * For `shakeoff detach` and for a guard that restarts; the other commands
 * find programs and maps by id.
 */
#ifndef SHAKEOFF_PINS_H
#define SHAKEOFF_PINS_H

#include <stddef.h>

/* The inode number of this process's network namespace; 0 or -errno. */
int netns_ino(unsigned long long *ino);
/* SHAKEOFF_PIN_ROOT/NETNS/ifname into buf; -ENAMETOOLONG if it does not fit. */
int pin_dir_path(const char *ifname, char *buf, size_t len);
/*
 * A fresh, empty pin directory for ifname: bpffs mounted if it is not (an
 * `ip netns exec` shell has none), whatever an earlier run left removed.
 * Its path goes to buf. 0 or -errno.
 */
int pin_dir_prepare(const char *ifname, char *buf, size_t len);
/* Remove a pin directory, its pins, and its namespace's directory and the shared root once empty. */
void pin_dir_remove(const char *dir);

#endif /* SHAKEOFF_PINS_H */
