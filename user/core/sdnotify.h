/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's readiness protocol without libsystemd: one datagram of
 * "KEY=VALUE" lines to the unix socket in $NOTIFY_SOCKET (a path, or an
 * abstract name written with a leading '@'). Without $NOTIFY_SOCKET every
 * call is a no-op, so the commands call these unconditionally.
 */
#ifndef SHAKEOFF_SDNOTIFY_H
#define SHAKEOFF_SDNOTIFY_H

/* Send state (e.g. "READY=1\nSTATUS=..."); 0 if sent or no socket is set, else -errno. */
int sd_notify_send(const char *state);
/* READY=1 with a STATUS= line: the service is attached and doing its job. */
int sd_notify_ready(const char *status);
/* RELOADING=1 before re-reading the configuration; sd_notify_ready() after it. */
int sd_notify_reloading(void);
/* STOPPING=1 as shutdown begins. */
int sd_notify_stopping(void);
/* STATUS=... alone, for a state worth seeing in systemctl status. */
int sd_notify_status(const char *status);

#endif /* SHAKEOFF_SDNOTIFY_H */
