/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP connection states (RFC 9293 names), one vocabulary for serve's flow
 * table (XDP writes serve_flow.state), the controller's TCP engine and
 * everything that prints a state. The values are ABI: flow entries hold them.
 * The prefix is BSD's (tcp_fsm.h): the kernel's TCP_ESTABLISHED and friends
 * are in vmlinux.h and <netinet/tcp.h> with other values.
 */
#ifndef SHAKEOFF_TCP_STATE_H
#define SHAKEOFF_TCP_STATE_H

#include <shakeoff/inline.h>

enum tcp_state {
	TCPS_CLOSED = 0, /* flow table: an entry being deleted, treated as "no flow" */
	TCPS_SYN_RCVD = 1,
	TCPS_ESTABLISHED = 2,
	TCPS_FIN_WAIT_1 = 3, /* we sent FIN, not yet acknowledged */
	TCPS_FIN_WAIT_2 = 4,
	TCPS_CLOSING = 5,
	TCPS_TIME_WAIT = 6,
	TCPS_CLOSE_WAIT = 7,
	TCPS_LAST_ACK = 8,
	TCPS__COUNT,
	/* States no flow entry holds: a trace's ladder names them (shakeoff trace). */
	TCPS_LISTEN = 16,
	TCPS_SYN_SENT = 17,
};

/* The RFC name, "?" for a value out of range. A switch: BPF objects keep no string table. */
SHAKEOFF_INLINE const char *tcp_state_name(unsigned int s)
{
	switch (s) {
	case TCPS_CLOSED:
		return "CLOSED";
	case TCPS_SYN_RCVD:
		return "SYN_RCVD";
	case TCPS_ESTABLISHED:
		return "ESTABLISHED";
	case TCPS_FIN_WAIT_1:
		return "FIN_WAIT_1";
	case TCPS_FIN_WAIT_2:
		return "FIN_WAIT_2";
	case TCPS_CLOSING:
		return "CLOSING";
	case TCPS_TIME_WAIT:
		return "TIME_WAIT";
	case TCPS_CLOSE_WAIT:
		return "CLOSE_WAIT";
	case TCPS_LAST_ACK:
		return "LAST_ACK";
	case TCPS_LISTEN:
		return "LISTEN";
	case TCPS_SYN_SENT:
		return "SYN_SENT";
	default:
		return "?";
	}
}

#endif /* SHAKEOFF_TCP_STATE_H */
