/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything the BPF programs and user space share about guard: map names,
 * map key/value layouts, configuration. Each structure is defined here once;
 * the BPF side includes this after vmlinux.h, user space after linux/types.h.
 *
 * Byte order is noted per field: "be" fields are in network byte order as
 * they appear on the wire, everything else is host order.
 */
#ifndef SHAKEOFF_GUARD_ABI_H
#define SHAKEOFF_GUARD_ABI_H

#ifndef __bpf__
#include <linux/types.h> /* BPF code has these from vmlinux.h */
#endif

#include <shakeoff/local_id.h>

#define SHAKEOFF_PIN_ROOT "/sys/fs/bpf/shakeoff"

/* Program names as the kernel stores them (at most 15 characters). */
#define GUARD_XDP_PROG_NAME "so_guard_xdp"
#define GUARD_TC_PROG_NAME "so_guard_tc"

/* Map names, as the kernel stores them (at most 15 characters). */
#define GUARD_MAP_CFG "guard_cfg"
#define GUARD_MAP_KEYS "guard_keys"
#define GUARD_MAP_PORTS "guard_ports"
#define GUARD_MAP_STATS "guard_stats"
#define GUARD_MAP_SYNRATE "guard_synrate"
#define GUARD_MAP_RECENT "guard_recent"
#define GUARD_MAP_RST_SRC "guard_rst_src"
#define GUARD_MAP_RST_CPU "guard_rst_cpu"
#define GUARD_MAP_NEXT "guard_next" /* PROG_ARRAY[1]: the program what guard passes goes to */
#define GUARD_MAP_PORT_STATS "guard_portstat"
#define GUARD_MAP_SRCS "guard_srcs"
#define GUARD_MAP_SRCLIST "guard_srclist"
#define GUARD_MAP_SYNACK_CPU "guard_synackcpu"

/* Protected addresses per family; an interface rarely has more. */
#ifndef GUARD_MAX_ADDRS
#define GUARD_MAX_ADDRS 16
#endif

/* Key slots kept in guard_keys, indexed by slot & (GUARD_KEY_SLOTS - 1). */
#define GUARD_KEY_SLOTS 4

/* A cookie time slot is 2^36 ns (68.7 s): a shift, not a division, per SYN. */
#define GUARD_SLOT_SHIFT 36

/*
 * XDP leaves its finding in 4 bytes of metadata in front of a segment it
 * passes, so the TC program need not look the socket up a second time.
 * Without metadata (a driver that has none) TC looks for itself.
 */
#define GUARD_HINT_MAGIC 0x53480000U
#define GUARD_HINT_CONN (GUARD_HINT_MAGIC | 1) /* a kernel socket owns it */
#define GUARD_HINT_COOKIE (GUARD_HINT_MAGIC | 2) /* a valid cookie ACK */
#define GUARD_HINT_KERNEL (GUARD_HINT_MAGIC | 3) /* left to the kernel (auto mode, calm) */

/*
 * guard_recent: 4-tuples whose connection a FIN or a handoff showed lately,
 * or the controller found in TIME_WAIT (at start and every few seconds), so
 * a SYN on one of them is checked against the kernel's sockets (TIME_WAIT
 * reuse) without a socket lookup per SYN. A bucket per tuple hash, a cache
 * line of ways; each way holds (tag << 16) | stamp, tag the hash's high
 * half, stamp the time in units of 2^GUARD_RECENT_SHIFT ns of
 * CLOCK_MONOTONIC; 0 is empty. A hit costs one lookup, a miss (every
 * spoofed SYN) nothing but the bucket's read.
 */
#define GUARD_RECENT_BUCKETS 65536
#define GUARD_RECENT_WAYS 16
#define GUARD_RECENT_SHIFT 30
/* How long a tuple stays recent: 66 units, 70.9 s, past Linux's 60 s TIME_WAIT. */
#define GUARD_RECENT_UNITS 66

struct guard_recent {
	__u32 way[GUARD_RECENT_WAYS];
};

/*
 * The hash of a 4-tuple as a client's segment carries it: its source (the
 * client), destination (us), ports; addresses as four wire-order words
 * (IPv4 in [0], the rest 0), ports wire order. Not keyed: a collision costs
 * a socket lookup, nothing else.
 */
static inline __u32 guard_recent_hash(const __u32 *saddr, const __u32 *daddr, __u16 sport,
				      __u16 dport)
{
	__u32 s = saddr[0] ^ saddr[1] ^ saddr[2] ^ saddr[3];
	__u32 d = daddr[0] ^ daddr[1] ^ daddr[2] ^ daddr[3];
	__u32 h = s * 0x9e3779b1U ^ d;

	h ^= ((__u32)sport << 16) | dport;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	return h ^ (h >> 16);
}

static inline __u32 guard_recent_units(__u64 mono_ns)
{
	return (__u32)(mono_ns >> GUARD_RECENT_SHIFT) & 0xffff;
}

/* How many units ago a way was stamped (16-bit clock arithmetic). */
static inline __u32 guard_recent_age(__u32 way, __u32 units)
{
	return (units - way) & 0xffff;
}

/* Does bucket b hold tag, stamped within GUARD_RECENT_UNITS? */
static inline int guard_recent_has(const struct guard_recent *b, __u32 tag, __u32 units)
{
	__u32 i;

	for (i = 0; i < GUARD_RECENT_WAYS; i++) {
		__u32 w = b->way[i];

		if (w && (w >> 16) == tag && guard_recent_age(w, units) <= GUARD_RECENT_UNITS)
			return 1;
	}
	return 0;
}

/*
 * Stamp tag in b: the first way that holds it, is empty or has expired;
 * with none, the way the tag's low bits name. (A search for the oldest way
 * made the verifier walk every order of ages.)
 */
static inline void guard_recent_put(struct guard_recent *b, __u32 tag, __u32 units)
{
	__u32 i;

	for (i = 0; i < GUARD_RECENT_WAYS; i++) {
		__u32 w = b->way[i];

		if (!w || (w >> 16) == tag || guard_recent_age(w, units) > GUARD_RECENT_UNITS) {
			b->way[i] = (tag << 16) | units;
			return;
		}
	}
	b->way[tag & (GUARD_RECENT_WAYS - 1)] = (tag << 16) | units;
}

/*
 * RSTs to stray segments (an ACK or FIN for no connection), as the kernel
 * would send them, within two budgets: per CPU (guard_rst_cpu) and per
 * source prefix, /24 or /64, hashed into GUARD_RST_SRC_SLOTS shared slots
 * (guard_rst_src). A budget is a count per window of 2^GUARD_RST_SHIFT ns.
 */
#define GUARD_RST_SRC_SLOTS 8192
#define GUARD_RST_SHIFT 30

struct guard_rst_bucket {
	__u32 window; /* the window the count is for */
	__u32 count; /* RSTs sent in it */
};

#include <shakeoff/guard_limits.h>

/*
 * guard_inflight: 4-tuples TC handed off within GUARD_INFLIGHT_NS. A second
 * segment of the same handshake (the first data, an ACK retransmitted) that
 * reaches TC on another CPU before the kernel has hashed the new socket
 * would make a second one, which the kernel then throws away with the
 * segment (and the client waits for a retransmission). It is queued once
 * more instead (bpf_redirect to the same ingress, GUARD_RETRY_MARK set in
 * skb->mark so it happens once), and then meets the new socket.
 */
#define GUARD_INFLIGHT_ENTRIES 16384
#define GUARD_INFLIGHT_NS 50000000ULL
/* Bit 30 of skb->mark is guard's in TC: a segment arriving with it is taken as queued once. */
#define GUARD_RETRY_MARK 0x40000000U

struct guard_tuple {
	__be32 saddr[4]; /* IPv4 in [0] (be) */
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
};

enum guard_cookie_mode {
	GUARD_COOKIES_ALWAYS = 0, /* every SYN answered at XDP */
	GUARD_COOKIES_AUTO = 1, /* SYNs go to the kernel until a port is under attack */
};

enum guard_key_source {
	GUARD_KEYS_RANDOM = 0, /* fresh random keys per slot, this host's own */
	GUARD_KEYS_FILE = 1, /* derived from --key-file's secret and the wall clock */
};

/* guard_ports value flags, one entry per destination port (index: host order). */
enum guard_port_flags {
	PORT_PROTECTED = 1 << 0, /* set by the controller from --ports */
	PORT_LISTEN4 = 1 << 1, /* a kernel listener accepts IPv4 on this port */
	PORT_LISTEN6 = 1 << 2, /* a kernel listener accepts IPv6 on this port */
	PORT_UNDER_ATTACK = 1 << 3, /* auto mode: SYN rate above the threshold */
};

struct guard_port {
	__u8 flags; /* enum guard_port_flags; written by the controller only */
	__u8 pad;
	__u16 stats; /* the port's slot in guard_portstat (GUARD_PORT_STATS_OTHER: shared) */
};

/*
 * One cookie key. The controller writes slots ahead of time into the array
 * entry (slot & (GUARD_KEY_SLOTS - 1)) that no accepted slot uses, so readers
 * never see a half-written key. A key-file rollover (user/guard/keys.h) is
 * the exception: it rewrites the entries in use, where k0/k1 changes only
 * when signing moves to another secret (a SYN answered during that write
 * may get a cookie no key verifies; its client sends the SYN again).
 */
struct guard_key {
	__u64 slot; /* the time slot this key belongs to */
	__u64 k0; /* SipHash key, first half: signs and verifies */
	__u64 k1; /* SipHash key, second half */
	/* during a rollover the other secret's key, tried when k0/k1 fails; 0, 0: none */
	__u64 a0;
	__u64 a1;
};

/* guard_cfg, a single-entry array written by the controller before attach. */
struct guard_cfg {
	__be32 addr4[GUARD_MAX_ADDRS]; /* protected IPv4 addresses (be) */
	__be32 addr6[GUARD_MAX_ADDRS][4]; /* protected IPv6 addresses (be) */
	__u32 naddr4; /* entries used in addr4 */
	__u32 naddr6; /* entries used in addr6 */
	__u16 mss4; /* MSS we announce over IPv4 */
	__u16 mss6; /* MSS we announce over IPv6 */
	__u16 win4; /* SYN-ACK window over IPv4 (unscaled) */
	__u16 win6; /* SYN-ACK window over IPv6 (unscaled) */
	__u8 wscale; /* window scale we announce */
	__u8 ttl; /* IPv4 TTL and IPv6 hop limit of our replies */
	__u8 mode; /* enum guard_cookie_mode */
	__u8 pad0;
	__u32 owner_pid; /* pid of the controller that attached us */
	__s64 clock_offset_ns; /* CLOCK_TAI - CLOCK_MONOTONIC, for wall-clock slots */
	__u32 rst_per_cpu; /* stray-segment RSTs per CPU per window; 0: none */
	__u32 rst_per_src; /* ... per source prefix per window; 0: none */
	__u32 synack_per_cpu; /* cookie SYN-ACKs per CPU per window (GUARD_SRC_SHIFT); 0: no limit */
	__u32 synack_per_src; /* ... per source prefix slot (guard_srcs) per window; 0: no limit */
	__u32 src_rules; /* entries in guard_srclist; 0: it is not looked up */
	__u32 ecn; /* 1: a SYN's ECN request may be granted (net.ipv4.tcp_ecn not 0) */
	/* For `shakeoff status` (the maps are all it has); BPF never reads these. */
	__u64 start_time_ns; /* CLOCK_REALTIME when the controller started */
	__u32 xdp_flags; /* the XDP mode asked for: 0 (native where the driver has it), or
			  * XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE */
	__u32 syn_threshold; /* auto mode: SYN/s per port that turns cookies on */
	__u8 key_source; /* enum guard_key_source */
	__u8 pad1[7];
	char version[16]; /* shakeoff's version, NUL-terminated */
	struct local_id id; /* sources no client has, our MAC */
	/* last, so a test can write it as the value's last 8 bytes (test_faults.sh) */
	__u64 slot_override; /* non-zero: use this slot instead of the clock (tests) */
};

#endif /* SHAKEOFF_GUARD_ABI_H */
