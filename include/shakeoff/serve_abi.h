/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything bpf/serve.bpf.c and the serve controller share: map names, the
 * flow table's key and value, configuration, counters with their names.
 * Each structure is defined here once; BPF code includes this after
 * vmlinux.h, user space after linux/types.h.
 *
 * Byte order is noted per field: "be" fields are in network byte order as
 * they appear on the wire, everything else is host order. Every field names
 * its writer: XDP (so_serve_xdp), CTL (the controller), or both.
 *
 * Division of labour (issue 3): XDP answers the handshake and the teardown
 * segments listed in bpf/serve.bpf.c with XDP_TX and makes those state
 * transitions; the controller owns the data path (RCV.NXT and SND.* while
 * data moves), every timer, and the transitions it makes itself (its own
 * FIN: FIN_WAIT_1 / LAST_ACK; a FIN or an ACK of our FIN that XDP redirected
 * to it because something was outstanding). Segments XDP does not answer go
 * to the controller over AF_XDP (serve_xsks, one socket per RX queue).
 */
#ifndef SHAKEOFF_SERVE_ABI_H
#define SHAKEOFF_SERVE_ABI_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#include <linux/bpf.h> /* struct bpf_spin_lock */
#endif

#include <shakeoff/local_id.h>

#include "guard_abi.h" /* struct guard_key, GUARD_KEY_SLOTS, GUARD_SLOT_SHIFT: the cookie is guard's */
#include "tcp_state.h" /* serve_flow.state */

/* Program name as the kernel stores it; guard refuses interfaces with a so_serve* program. */
#define SERVE_XDP_PROG_NAME "so_serve_xdp"

/* Map names, as the kernel stores them (at most 15 characters). */
#define SERVE_MAP_FLOWS "serve_flows" /* HASH serve_flow_key -> serve_flow */
#define SERVE_MAP_XSKS "serve_xsks" /* XSKMAP, index = RX queue */
#define SERVE_MAP_CFG "serve_cfg" /* ARRAY[1] struct serve_cfg */
#define SERVE_MAP_KEYS "serve_keys" /* ARRAY[GUARD_KEY_SLOTS] struct guard_key */
#define SERVE_MAP_STATS "serve_stats" /* PERCPU_ARRAY[SS__COUNT] __u64 */
#define SERVE_MAP_HALFOPEN "serve_halfopen" /* ARRAY[1] __s64: SYN_RCVD entries */
#define SERVE_MAP_RSTLIM "serve_rstlim" /* PERCPU_ARRAY[1] struct serve_rstlim (XDP only) */
#define SERVE_MAP_NEXT "serve_next" /* PROG_ARRAY[1]: the program what serve passes goes to */

/* Defaults the controller may change before load (bpf_map__set_max_entries). */
#define SERVE_DEFAULT_MAX_FLOWS 65536 /* --max-flows */
#define SERVE_DEFAULT_XSK_QUEUES 64 /* serve_xsks entries: at least the RX queue count */

#define SERVE_MAX_ADDRS 16 /* served local addresses per family */
#define SERVE_MAX_PORTS 8 /* served local ports */

/*
 * TSval clock: ticks of 2^20 ns (1.05 ms, within RFC 7323's 1 ms..1 s) of
 * CLOCK_MONOTONIC, plus the flow's ts_off. The controller computes
 *   TSval = (__u32)(clock_gettime(CLOCK_MONOTONIC) ns >> SERVE_TS_SHIFT) + ts_off
 * so both sides' TSvals of a flow are one monotonic sequence.
 */
#define SERVE_TS_SHIFT 20

/* serve_flow.flags: what the handshake negotiated. Written by XDP at creation only. */
enum serve_flow_flags {
	SF_TS = 1 << 0, /* timestamps (RFC 7323): every non-RST segment carries TSopt */
	SF_SACK = 1 << 1, /* SACK permitted both ways */
	SF_WSCALE = 1 << 2, /* window scaling: snd_wscale / rcv_wscale apply */
	SF_COOKIE = 1 << 3, /* created from a SYN cookie (MSS from the cookie table) */
};

/*
 * Flow table key: the 4-tuple as the client sends it. IPv4 addresses are
 * IPv4-mapped IPv6 (::ffff:a.b.c.d), so one key type serves both families.
 */
struct serve_flow_key {
	__be32 raddr[4]; /* remote (client) address (be) */
	__be32 laddr[4]; /* local (our) address (be) */
	__be16 rport; /* remote port (be) */
	__be16 lport; /* local port (be) */
};

/*
 * Flow table value, 64 bytes. Key + value as stored: 36 + 64 = 100 bytes.
 * The kernel's HASH map adds its own: a 48-byte struct htab_elem header and
 * the key rounded up to 40 (152 bytes per preallocated element) plus a
 * 16-byte bucket per entry: 168 bytes per --max-flows entry, measured from
 * the map's memlock (65536 entries: 11011264 bytes).
 *
 * Concurrency. XDP does every read-modify-write of an entry under `lock`
 * (bpf_spin_lock around its whole decision). The controller reads with
 * BPF_MAP_LOOKUP_ELEM + BPF_F_LOCK (or the walk's BPF_MAP_LOOKUP_BATCH +
 * BPF_F_LOCK), so it never sees a torn entry, and makes every change through
 * so_serve_ctl (struct serve_ctl below): a compare-and-set under the same
 * lock, so no write of the controller can undo a transition XDP made in
 * between. Who writes what:
 *   - XDP only: flags, wscales, iss, irs, ts_off, mss, peer_mac (at creation),
 *     ts_recent, oow_tick, last_ns.
 *   - XDP while SYN_RCVD (the controller only reads a SYN_RCVD entry, and
 *     expires it when it gives up: SERVE_CTL_EXPIRE, which also takes it off
 *     serve_halfopen).
 *   - XDP at its teardown transitions (state, rcv_nxt + 1 for a FIN, snd_una
 *     = snd_nxt for the ACK of our FIN); otherwise the controller (snd_*,
 *     rcv_*, state for its own transitions: SERVE_CTL_PUBLISH, applied only
 *     while the entry is still in the state the controller last saw).
 * XDP takes a teardown transition only when nothing is outstanding either
 * way, as it reads the entry: an entry the controller has not brought up to
 * date shows less sent and less received than the peer has seen, so the
 * peer's FIN or ACK does not match it and XDP redirects rather than answers.
 * XDP deletes an entry by setting state CLOSED under the lock, then deleting;
 * anyone who sees CLOSED treats the flow as gone.
 */
struct serve_flow {
	struct bpf_spin_lock lock; /* taken by XDP; BPF_F_LOCK from the controller */
	__u8 state; /* enum tcp_state; XDP and CTL (see above) */
	__u8 flags; /* enum serve_flow_flags; XDP at creation */
	__u8 snd_wscale; /* the peer's window shift (0 without SF_WSCALE); XDP at creation */
	__u8 rcv_wscale; /* our window shift (0 without SF_WSCALE); XDP at creation */
	__u32 iss; /* our initial sequence number; XDP at creation */
	__u32 irs; /* the peer's initial sequence number; XDP at creation */
	__u32 snd_una; /* oldest unacknowledged seq; XDP at creation/ESTABLISHED and
			* when it takes the ACK of our FIN, else CTL */
	__u32 snd_nxt; /* next seq we send (incl. our FIN once sent); XDP at creation, else CTL */
	__u32 rcv_nxt; /* next seq expected (incl. the peer's FIN once taken); XDP at
			* creation and when it takes a FIN, else CTL */
	__u32 snd_wnd; /* the peer's window in bytes (scaled); XDP at creation/ESTABLISHED, else CTL */
	__u32 rcv_wnd; /* the window we last advertised, bytes; XDP at creation, else CTL */
	__u32 ts_recent; /* TS.Recent (RFC 7323 4.3); XDP only (it sees every segment) */
	__u32 ts_off; /* added to the TSval clock for this flow; XDP at creation */
	__u16 mss; /* the peer's MSS (its option, or 536/1220; the cookie table's
		    * rounding for SF_COOKIE); XDP at creation */
	__u8 peer_mac[6]; /* the client's MAC as its SYN/ACK came; XDP at creation */
	__u32 oow_tick; /* TSval-clock tick (no offset) of the last challenge / duplicate
			 * ACK or SYN-ACK retransmission XDP sent: rate limit; XDP only */
	__u64 last_ns; /* CLOCK_MONOTONIC ns of the last segment XDP saw; in TIME_WAIT
			* the 2MSL timer runs from here (a retransmitted FIN restarts it); XDP */
};

#define SERVE_FLOW_KEY_SIZE 36
#define SERVE_FLOW_VALUE_SIZE 64
_Static_assert(sizeof(struct serve_flow_key) == SERVE_FLOW_KEY_SIZE, "serve_flow_key size");
_Static_assert(sizeof(struct serve_flow) == SERVE_FLOW_VALUE_SIZE, "serve_flow is 64 bytes");

/*
 * What XDP tells the controller about a flow with every segment it redirects:
 * its entry as XDP left it, in the 32 bytes of XDP metadata that end where the
 * frame starts (AF_XDP copies metadata along in copy mode). The controller
 * learns a new flow without a map lookup, and checks that a segment is for the
 * connection it holds (iss/irs) without one. XDP writes it after unlocking the
 * entry; the controller zeroes `magic` once read, so a frame without metadata
 * (bpf_xdp_adjust_meta refused) never shows an older frame's; it then falls
 * back to BPF_MAP_LOOKUP_ELEM. 32 bytes: the most every kernel since 4.15
 * accepts.
 */
#define SERVE_META_MAGIC 0xa5
struct serve_xsk_meta {
	__u32 iss; /* the entry's fields, as in struct serve_flow */
	__u32 irs;
	__u32 ts_recent;
	__u32 ts_off;
	__u64 last_ns;
	__u16 snd_wnd; /* the peer's window as on the wire (unscaled) */
	__u16 mss;
	__u8 state;
	__u8 flags;
	__u8 wscales; /* snd_wscale << 4 | rcv_wscale */
	__u8 magic; /* SERVE_META_MAGIC; last, next to the frame */
};

#define SERVE_META_SIZE 32
_Static_assert(sizeof(struct serve_xsk_meta) == SERVE_META_SIZE, "serve_xsk_meta is 32 bytes");

/*
 * so_serve_ctl: the controller's changes to the flow table, made in the kernel
 * under each entry's lock. A BPF_PROG_TYPE_SYSCALL program run with
 * BPF_PROG_TEST_RUN, ctx = struct serve_ctl (copied back with each op's
 * result): up to SERVE_CTL_OPS changes per system call. Every op names the
 * connection by its 4-tuple and (iss, irs), so it never touches a newer
 * connection on the same tuple.
 */
#define SERVE_CTL_PROG_NAME "so_serve_ctl"
#define SERVE_CTL_OPS 16

enum serve_ctl_kind {
	SERVE_CTL_NONE = 0,
	SERVE_CTL_DELETE = 1, /* the connection is over: delete its entry, whatever its state */
	SERVE_CTL_EXPIRE = 2, /* delete a SYN_RCVD entry if still SYN_RCVD; serve_halfopen - 1 */
	SERVE_CTL_PUBLISH = 3, /* write state, snd_*, rcv_* if the state is still seen_state */
};

enum serve_ctl_result {
	SERVE_CTL_OK = 0,
	SERVE_CTL_GONE = 1, /* no entry (or one being deleted) */
	SERVE_CTL_OTHER = 2, /* the tuple holds another connection (iss/irs differ) */
	SERVE_CTL_MOVED = 3, /* XDP moved the state on: nothing written, `state` says where */
};

struct serve_ctl_op {
	struct serve_flow_key key;
	__u8 kind; /* enum serve_ctl_kind */
	__u8 seen_state; /* PUBLISH: the entry's state as the controller last saw it */
	__u8 state; /* PUBLISH: the state to write. Out: the entry's state as found */
	__u8 result; /* out: enum serve_ctl_result */
	__u32 iss; /* the connection: must match the entry's */
	__u32 irs;
	__u32 snd_una; /* PUBLISH: the controller's fields (struct serve_flow) */
	__u32 snd_nxt;
	__u32 rcv_nxt;
	__u32 snd_wnd;
	__u32 rcv_wnd;
};

struct serve_ctl {
	__u32 n; /* ops used */
	__u32 pad;
	struct serve_ctl_op ops[SERVE_CTL_OPS];
};

_Static_assert(sizeof(struct serve_ctl_op) == 68, "serve_ctl_op: 4-byte fields only");

enum serve_syn_mode {
	SERVE_SYN_AUTO = 0, /* stateful until half_open_max SYN_RCVD entries, then cookies */
	SERVE_SYN_STATE = 1, /* SYN_RCVD entry per SYN; cookies at half_open_max or a full table */
	SERVE_SYN_COOKIE = 2, /* stateless cookie SYN-ACK; the flow is made by the final ACK */
};

enum serve_no_flow {
	SERVE_NO_FLOW_RST = 0, /* answer like a closed port (rate-limited per CPU) */
	SERVE_NO_FLOW_DROP = 1,
};

/* serve_cfg, a single-entry array written by the controller before attach. */
struct serve_cfg {
	__be32 addr4[SERVE_MAX_ADDRS]; /* served local IPv4 addresses (be) */
	__be32 addr6[SERVE_MAX_ADDRS][4]; /* served local IPv6 addresses (be) */
	__u32 naddr4; /* entries used in addr4 */
	__u32 naddr6; /* entries used in addr6 */
	__u16 ports[SERVE_MAX_PORTS]; /* served local ports (host order) */
	__u32 nports; /* entries used in ports */
	__u16 mss4; /* MSS we announce over IPv4 */
	__u16 mss6; /* MSS we announce over IPv6 */
	__u16 win; /* SYN-ACK window (unscaled); the flow's first rcv_wnd */
	__u8 wscale; /* window scale we announce */
	__u8 ttl; /* IPv4 TTL and IPv6 hop limit of what XDP sends */
	__u8 syn_mode; /* enum serve_syn_mode */
	__u8 no_flow; /* enum serve_no_flow */
	__u16 pad0;
	__u32 half_open_max; /* auto, state: cookies while this many SYN_RCVD entries */
	__u32 rst_per_sec; /* no-flow RSTs per CPU per second; 0: none sent */
	__u32 oow_gap_ms; /* per flow: at least this long between challenge / duplicate
			   * ACKs (Linux tcp_invalid_ratelimit: 500) */
	__u32 pad1;
	struct local_id id; /* sources no client has, our MAC */
	__s64 clock_offset_ns; /* CLOCK_TAI - CLOCK_MONOTONIC, for wall-clock cookie slots */
	__u64 slot_override; /* non-zero: cookie slot instead of the clock (tests) */
	__u64 now_override_ns; /* non-zero: XDP's clock reads this (tests) */
};

/* serve_rstlim: XDP's per-CPU budget of no-flow RSTs. */
struct serve_rstlim {
	__u64 window_ns; /* start of the current one-second window */
	__u64 sent; /* RSTs sent in it */
};

/*
 * Counter ids of serve_stats (per-CPU, one __u64 each) and their names. Every
 * verdict so_serve_xdp takes is counted under exactly one of these.
 * X(id, name, help)
 */
#define SERVE_STATS(X)                                                                            \
	/* passed to the kernel untouched */                                                      \
	X(PASS_NOT_TCP, "pass_not_tcp", "not IPv4/IPv6 TCP")                                      \
	X(PASS_UNSERVED, "pass_unserved", "TCP not for a served address/port")                    \
	X(PASS_UNPARSED, "pass_unparsed", "headers too short to classify")                        \
	/* dropped before any flow lookup */                                                      \
	X(DROP_FRAGMENT, "drop_fragment", "IP fragment to a served address")                      \
	X(DROP_IP6_EXT, "drop_ip6_ext", "IPv6 extension header we do not walk")                   \
	X(DROP_MALFORMED, "drop_malformed", "bad IP/TCP header length")                           \
	X(DROP_L2_MULTICAST, "drop_l2_multicast", "frame to a broadcast/multicast MAC")           \
	X(DROP_L2_BAD_SRC, "drop_l2_bad_src", "frame from a broadcast/multicast/zero MAC")        \
	X(DROP_L2_OTHER_HOST, "drop_l2_other_host",                                               \
	  "frame to another host's MAC (Linux drops it, PACKET_OTHERHOST)")                       \
	X(DROP_SRC_SELF, "drop_src_self", "source is this host's address or an IPv4 broadcast")   \
	X(DROP_TCP_CSUM, "drop_tcp_csum", "bad TCP checksum (Linux drops it)")                    \
	X(DROP_IP_LEN, "drop_ip_len", "IP length beyond the frame (Linux drops it)")              \
	X(DROP_IP_CSUM, "drop_ip_csum", "bad IPv4 header checksum (Linux drops it)")              \
	X(DROP_IP_SRCROUTE, "drop_ip_srcroute", "IPv4 source route, LSRR/SSRR (Linux drops it)")  \
	X(DROP_VLAN_DEEP, "drop_vlan_deep", "more VLAN tags than serve walks (2)")                \
	X(DROP_SPORT_ZERO, "drop_sport_zero", "source port 0")                                    \
	X(DROP_MARTIAN, "drop_martian", "martian/loopback/multicast/own source address")          \
	X(DROP_BAD_FLAGS, "drop_bad_flags", "SYN with FIN or RST")                                \
	X(DROP_NO_ROOM, "drop_no_room", "frame could not be resized for the reply")               \
	/* handshake */                                                                           \
	X(TX_SYNACK, "tx_synack", "SYN: SYN_RCVD entry made, SYN-ACK sent")                       \
	X(TX_SYNACK_COOKIE, "tx_synack_cookie", "SYN: cookie SYN-ACK (cookie mode, auto busy)")   \
	X(TX_SYNACK_FULL, "tx_synack_full", "SYN: flow table full, cookie SYN-ACK instead")       \
	X(TX_SYNACK_HALFOPEN_FULL, "tx_synack_halfopen_full",                                     \
	  "SYN, state mode: --max-half-open reached, cookie SYN-ACK instead")                     \
	X(TX_SYNACK_AGAIN, "tx_synack_again", "duplicate SYN in SYN_RCVD: SYN-ACK again")         \
	X(DROP_SYN_NOKEY, "drop_syn_nokey", "cookie SYN-ACK needed, no key for this slot")        \
	X(DROP_INSERT_RACE, "drop_insert_race", "flow entry exists already: another CPU made it") \
	X(DROP_ESTABLISHED, "drop_established", "final ACK: SYN_RCVD -> ESTABLISHED")             \
	X(DROP_COOKIE_ESTABLISHED, "drop_cookie_established",                                     \
	  "valid cookie ACK: flow created ESTABLISHED")                                           \
	X(TX_RST_BAD_ACK, "tx_rst_bad_ack", "SYN_RCVD: ACK fails the handshake, RST at its ack")  \
	X(TX_RST_TABLE_FULL, "tx_rst_table_full", "valid cookie ACK but the table is full: RST")  \
	/* teardown */                                                                            \
	X(TX_ACK_FIN_CLOSE_WAIT, "tx_ack_fin_close_wait", "FIN: ACK, ESTABLISHED -> CLOSE_WAIT")  \
	X(TX_ACK_FIN_CLOSING, "tx_ack_fin_closing", "FIN: ACK, FIN_WAIT_1 -> CLOSING")            \
	X(TX_ACK_FIN_TIME_WAIT, "tx_ack_fin_time_wait", "FIN: ACK, FIN_WAIT_1/2 -> TIME_WAIT")    \
	X(TX_ACK_FIN_AGAIN, "tx_ack_fin_again", "FIN again in TIME_WAIT: ACK, 2MSL restarted")    \
	X(DROP_FIN_ACKED_FW2, "drop_fin_acked_fw2", "ACK of our FIN: FIN_WAIT_1 -> FIN_WAIT_2")   \
	X(DROP_FIN_ACKED_TW, "drop_fin_acked_tw", "ACK of our FIN: CLOSING -> TIME_WAIT")         \
	X(DROP_FIN_ACKED_CLOSED, "drop_fin_acked_closed", "ACK of our FIN: LAST_ACK -> deleted")  \
	X(DROP_TIME_WAIT, "drop_time_wait", "other segment in TIME_WAIT")                         \
	/* RFC 5961, RFC 7323 */                                                                  \
	X(DROP_RST_CLOSE, "drop_rst_close", "RST at RCV.NXT: flow deleted")                       \
	X(DROP_RST_OUTSIDE, "drop_rst_outside", "RST outside the receive window")                 \
	X(TX_CHALLENGE_RST, "tx_challenge_rst", "RST inside the window: challenge ACK")           \
	X(TX_CHALLENGE_SYN, "tx_challenge_syn", "SYN on a synchronized flow: challenge ACK")      \
	X(TX_ACK_PAWS, "tx_ack_paws", "PAWS: old timestamp, duplicate ACK")                       \
	X(TX_ACK_OUT_OF_WINDOW, "tx_ack_out_of_window", "SYN_RCVD: seq outside the window, ACK")  \
	X(DROP_RATE_LIMITED, "drop_rate_limited", "challenge/duplicate ACK rate-limited")         \
	X(DROP_NO_ACK_FLAG, "drop_no_ack_flag", "no ACK flag on a synchronized flow")             \
	/* no flow */                                                                             \
	X(TX_RST_NO_FLOW, "tx_rst_no_flow", "segment for no flow: RST as a closed port")          \
	X(DROP_NO_FLOW, "drop_no_flow", "segment for no flow: dropped (option, or a RST)")        \
	X(DROP_NO_FLOW_LIMITED, "drop_no_flow_limited", "segment for no flow: RST rate-limited")  \
	/* to the controller */                                                                   \
	X(XSK_DATA, "xsk_data", "data segment to the controller")                                 \
	X(XSK_ACK, "xsk_ack", "ACK without data to the controller")                               \
	X(XSK_FIN, "xsk_fin", "FIN with something outstanding to the controller")                 \
	X(XSK_HANDSHAKE_DATA, "xsk_handshake_data",                                               \
	  "final ACK with data/FIN: flow ESTABLISHED, segment to the controller")                 \
	X(DROP_NO_XSK, "drop_no_xsk", "for the controller, but no AF_XDP socket on this queue")

enum serve_stat {
#define SERVE_STAT_ENUM(id, name, help) SS_##id,
	SERVE_STATS(SERVE_STAT_ENUM)
#undef SERVE_STAT_ENUM
		SS__COUNT,
};

#endif /* SHAKEOFF_SERVE_ABI_H */
