/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counter ids of guard_stats (a per-CPU array, one __u64 per id) and the
 * names user space prints for them. Every verdict the programs take is
 * counted under exactly one of these reasons.
 */
#ifndef SHAKEOFF_GUARD_STATS_H
#define SHAKEOFF_GUARD_STATS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

/* X(id, name, help) */
#define GUARD_STATS(X)                                                                             \
	/* XDP: passed to the kernel untouched */                                                  \
	X(XDP_PASS_NOT_TCP, "xdp_pass_not_tcp", "not IPv4/IPv6 TCP")                               \
	X(XDP_PASS_UNPROTECTED, "xdp_pass_unprotected", "TCP not for a protected address/port")    \
	X(XDP_PASS_UNPARSED, "xdp_pass_unparsed", "headers too short to classify")                 \
	X(XDP_PASS_CONN, "xdp_pass_conn", "segment of a connection the kernel owns")               \
	X(XDP_PASS_COOKIE_ACK, "xdp_pass_cookie_ack", "ACK with a valid cookie, to the handoff")   \
	X(XDP_PASS_SYN_CALM, "xdp_pass_syn_calm", "auto mode: SYN left to the kernel")             \
	X(XDP_PASS_NOKEY, "xdp_pass_nokey",                                                        \
	  "no key for this slot (controller gone?): guard steps aside")                            \
	X(XDP_PASS_SYN_CONN, "xdp_pass_syn_conn",                                                  \
	  "SYN on a 4-tuple a kernel socket holds (TIME_WAIT reuse)")                              \
	X(XDP_PASS_CALM_ACK, "xdp_pass_calm_ack", "auto mode, calm: non-cookie ACK to the kernel") \
	/* XDP: answered */                                                                        \
	X(XDP_TX_SYNACK, "xdp_tx_synack", "SYN answered with a cookie SYN-ACK")                    \
	X(XDP_TX_RST_NO_LISTENER, "xdp_tx_rst_no_listener", "SYN to a port nobody listens on")     \
	X(XDP_TX_RST_STRAY, "xdp_tx_rst_stray", "ACK/FIN for no connection: RST, as Linux sends")  \
	X(XDP_TX_RST_TW_COOKIE, "xdp_tx_rst_tw_cookie",                                            \
	  "cookie ACK met a TIME_WAIT socket (port reuse guard missed): RST, no hang")             \
	/* XDP: dropped */                                                                         \
	X(XDP_DROP_BAD_COOKIE, "xdp_drop_bad_cookie",                                              \
	  "ACK for no connection, cookie invalid, RST budget spent")                               \
	X(XDP_DROP_NO_CONN, "xdp_drop_no_conn",                                                    \
	  "RST, or segment without ACK to a listener, for no connection (as Linux)")               \
	X(XDP_DROP_STRAY_LIMIT, "xdp_drop_stray_limit",                                            \
	  "segment without ACK for no socket, RST budget spent")                                   \
	X(XDP_DROP_TCP_CSUM, "xdp_drop_tcp_csum", "bad TCP checksum on a segment guard answers")   \
	X(XDP_DROP_SRC_SELF, "xdp_drop_src_self",                                                  \
	  "source is this host's address or an IPv4 broadcast")                                    \
	X(XDP_DROP_SYN_FIN, "xdp_drop_syn_fin", "SYN with FIN")                                    \
	X(XDP_DROP_SYN_RST, "xdp_drop_syn_rst", "SYN with RST")                                    \
	X(XDP_DROP_SPORT_ZERO, "xdp_drop_sport_zero", "source port 0")                             \
	X(XDP_DROP_MARTIAN, "xdp_drop_martian", "martian/loopback/multicast/own source address")   \
	X(XDP_DROP_L2_MULTICAST, "xdp_drop_l2_multicast", "frame to a broadcast/multicast MAC")    \
	X(XDP_DROP_L2_OTHER_HOST, "xdp_drop_l2_other_host",                                        \
	  "frame to another host's MAC (Linux drops it, PACKET_OTHERHOST)")                        \
	X(XDP_DROP_L2_BAD_SRC, "xdp_drop_l2_bad_src", "frame from a broadcast/multicast/zero MAC") \
	X(XDP_DROP_IP_LEN, "xdp_drop_ip_len", "IP length beyond the frame (Linux drops it)")       \
	X(XDP_DROP_IP_CSUM, "xdp_drop_ip_csum", "bad IPv4 header checksum (Linux drops it)")       \
	X(XDP_DROP_IP_SRCROUTE, "xdp_drop_ip_srcroute",                                            \
	  "IPv4 source route, LSRR/SSRR (Linux drops it)")                                         \
	X(XDP_DROP_VLAN_DEEP, "xdp_drop_vlan_deep", "more VLAN tags than guard walks (2)")         \
	X(XDP_DROP_FRAGMENT, "xdp_drop_fragment", "IP fragment of TCP to a protected address")     \
	X(XDP_DROP_IP6_EXT, "xdp_drop_ip6_ext", "IPv6 extension header we do not walk")            \
	X(XDP_DROP_MALFORMED, "xdp_drop_malformed", "bad IP/TCP header length")                    \
	X(XDP_DROP_NO_ROOM, "xdp_drop_no_room", "frame could not be resized for the reply")        \
	X(XDP_DROP_SYNACK_RATE, "xdp_drop_synack_rate",                                            \
	  "SYN over the SYN-ACK budget of all sources (--synack-rate)")                            \
	X(XDP_DROP_SYNACK_SRC, "xdp_drop_synack_src",                                              \
	  "SYN over its source /24 or /64's SYN-ACK budget (--synack-rate-src)")                   \
	X(XDP_DROP_DENIED, "xdp_drop_denied",                                                      \
	  "SYN or segment guard would answer, from a --deny prefix")                               \
	/* TC handoff */                                                                           \
	X(TC_PASS, "tc_pass", "not a cookie ACK to a listener: left alone")                        \
	X(TC_PASS_HINT, "tc_pass_hint", "XDP's metadata says a kernel socket owns it: left alone") \
	X(TC_HANDOFF, "tc_handoff", "cookie ACK handed to the listener")                           \
	X(TC_REQUEUE, "tc_requeue",                                                                \
	  "segment of a handshake another CPU hands off right now: queued once more")              \
	X(TC_NO_LISTENER, "tc_no_listener", "cookie ACK but no listener: kernel answers RST")      \
	X(TC_BAD_COOKIE, "tc_bad_cookie", "ACK to a listener with an invalid cookie")              \
	X(TC_KFUNC_ERROR, "tc_kfunc_error", "bpf_sk_assign_tcp_reqsk failed: kernel answers RST")

enum guard_stat {
#define GUARD_STAT_ENUM(id, name, help) GS_##id,
	GUARD_STATS(GUARD_STAT_ENUM)
#undef GUARD_STAT_ENUM
		GS__COUNT,
};

#endif /* SHAKEOFF_GUARD_STATS_H */
