/* SPDX-License-Identifier: GPL-2.0 */
/* Built-in applications on the TCP engine's interface (struct tcp_app). */
#ifndef SHAKEOFF_TCP_APPS_H
#define SHAKEOFF_TCP_APPS_H

#include "tcp/tcp.h"

/* Sends back what arrives; takes only what fits the send buffer, so a slow reader slows the writer. Closes after the peer does. */
extern const struct tcp_app tcp_app_echo;
/* Takes everything, sends nothing; closes after the peer does. */
extern const struct tcp_app tcp_app_discard;

/* Closes its side as soon as the connection opens; takes what arrives (close-path tests). */
extern const struct tcp_app tcp_app_close;

/* By name ("echo", "discard", "close"); NULL if unknown. */
const struct tcp_app *tcp_app_by_name(const char *name);

#endif /* SHAKEOFF_TCP_APPS_H */
