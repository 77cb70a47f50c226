/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A command's control socket: an abstract unix stream socket (no file; one
 * per network namespace, so `ip netns exec NS shakeoff ...` finds the one in
 * NS and two namespaces never collide), one request line in, one answer
 * line out, then closed. Only root or a holder of CAP_NET_ADMIN is heard.
 */
#ifndef SHAKEOFF_CTLSOCK_H
#define SHAKEOFF_CTLSOCK_H

#include <stddef.h>

#define CTL_LINE_MAX 1024

/* The abstract name of what's control socket for ifname: "shakeoff/WHAT/IFNAME". */
void ctlsock_name(const char *what, const char *ifname, char *buf, size_t len);
/* Listen on name (non-blocking); fd or -errno (-EADDRINUSE: someone else has it). */
int ctlsock_listen(const char *name);
/*
 * Take one waiting client: its request line (without the newline) into
 * line; the client's fd, to answer with ctlsock_reply(). A client without
 * the right is answered and closed here (-EPERM); -EAGAIN: none waiting.
 */
int ctlsock_accept(int lfd, char *line, size_t len);
/* Send one line (a newline is added) and close cfd. */
void ctlsock_reply(int cfd, const char *text);
/*
 * Client side: send line to name, the answer line into reply. 0, or
 * -ECONNREFUSED / -ENOENT when nothing listens, or -errno.
 */
int ctlsock_request(const char *name, const char *line, char *reply, size_t len);

#endif /* SHAKEOFF_CTLSOCK_H */
