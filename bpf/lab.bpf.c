// SPDX-License-Identifier: GPL-2.0
/*
 * lab: small XDP programs for tests and benchmarks, attached one at a time by
 * `shakeoff lab attach` and left in place after it exits.
 *
 *   so_lab_reflect  swap the MACs and XDP_TX everything: the ceiling of the path
 *   so_lab_count    count TCP by flag kind; optionally drop replies (SYN, SYN-ACK, RST)
 *                   (a flood's replies that must not reach the client kernel)
 *   so_lab_pass     count and XDP_PASS (a veth peer needs an XDP program for
 *                   XDP_TX frames to arrive at all)
 *   so_lab_drop     drop a seeded pseudo-random share of TCP segments carrying
 *                   payload or FIN: a lossy link
 *
 * and one pair of TC programs (clsact, direct action), attached by
 * `shakeoff lab attach IFACE lossy` to both hooks of an interface:
 *
 *   so_lab_lossy_tx (egress) and so_lab_lossy_rx (ingress): a lossy,
 *                   reordering link in both directions. Each drops a seeded
 *                   share of TCP segments with payload or FIN and holds a
 *                   seeded share of data segments back, one at a time per
 *                   direction, until DEPTH later segments of the same flow
 *                   have passed (or a timeout): then the held segment goes
 *                   out right behind them. Ingress can also drop SYN-ACKs.
 *
 * A dropped or held frame is reported TC_ACT_STOLEN, not TC_ACT_SHOT: at
 * egress SHOT makes dev_queue_xmit() return NET_XMIT_DROP, and TCP, seeing
 * its transmission fail, simply sends the segment again at once, so nothing
 * would be lost or reordered on the wire. STOLEN reports success.
 *
 * Releasing a held segment rides on the frame that passes at that moment:
 * egress sends a clone of that frame first (bpf_clone_redirect to the same
 * device's egress) and then rewrites the frame itself into the held one;
 * ingress rewrites the frame into the held one, clones that to the device's
 * ingress backlog (delivered after the current frame and the rest of the
 * NAPI batch) and restores the frame. The clones carry LAB_TC_MARK so the
 * programs let them through when they meet them again. Egress frames of the
 * local stack carry a partial checksum (CHECKSUM_PARTIAL): only frames with
 * the same IP header length (same family) are rewritten into each other, so
 * the checksum offsets of the carrier fit the held frame.
 *
 * All count into one per-CPU lab_stats entry, read by `shakeoff lab read`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/consts.h"
#include "lib/parse.h"
#include <shakeoff/lab.h>

char LICENSE[] SEC("license") = "GPL";

/* count: drop SYN-ACKs and RSTs instead of passing them */
const volatile __u8 count_drop_replies = 0;
/* drop: a candidate is dropped when a 32-bit draw is below this (0..2^32) */
const volatile __u64 drop_threshold = 0;
const volatile __u64 drop_seed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lab_stats);
} lab_stats SEC(".maps");

/* lossy: hold back this share of data segments (0..2^32), release after reorder_depth */
const volatile __u64 reorder_threshold = 0;
const volatile __u32 reorder_depth = 3;
/* lossy: a held segment goes out with the next frame of its direction after this long */
const volatile __u64 hold_ns = 50000000;
/* lossy: drop this many SYN-ACKs at ingress */
const volatile __u32 drop_synacks = 0;

/*
 * drop, lossy: xorshift64* states per CPU, so the sequence of each CPU is
 * reproducible; entry 0 for drop and lossy's egress, 1 for lossy's ingress.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} lab_rng SEC(".maps");

SHAKEOFF_INLINE struct lab_stats *stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lab_stats, &zero);
}

SEC("xdp")
int so_lab_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	if (!s)
		return XDP_ABORTED;
	s->c[LAB_S_RX]++;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	s->c[LAB_S_TX]++;
	return XDP_TX;
}

SHAKEOFF_INLINE enum lab_stat tcp_kind(int status, const struct frame *f)
{
	__u8 fl = f->tcp_flags;

	if (status == PARSE_NOT_TCP || status == PARSE_SHORT || status == PARSE_VLAN_DEEP)
		return LAB_S_NOT_TCP;
	if (status != PARSE_TCP)
		return LAB_S_TCP_OTHER;
	if (fl & TCP_F_RST)
		return LAB_S_RST;
	if (fl & TCP_F_SYN)
		return (fl & TCP_F_ACK) ? LAB_S_SYNACK : LAB_S_SYN;
	if (fl & TCP_F_FIN)
		return LAB_S_FIN;
	if ((fl & ~(TCP_F_ECE | TCP_F_CWR)) == TCP_F_ACK && !f->payload_len)
		return LAB_S_ACK;
	return LAB_S_TCP_OTHER;
}

SEC("xdp")
int so_lab_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	enum lab_stat kind;
	struct frame f;
	int status;

	if (!s)
		return XDP_ABORTED;
	s->c[LAB_S_RX]++;
	status = frame_parse(data, data_end, &f);
	kind = tcp_kind(status, &f);
	/* Bounded again: the verifier does not follow the enum through the branches. */
	if (kind < LAB_S__COUNT)
		s->c[kind]++;
	/* In a flood bench anything with SYN or RST coming back is a reply: the client kernel must not pay for it. */
	if (count_drop_replies &&
	    (kind == LAB_S_SYNACK || kind == LAB_S_RST || kind == LAB_S_SYN)) {
		s->c[LAB_S_DROP]++;
		return XDP_DROP;
	}
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}

SEC("xdp")
int so_lab_pass(struct xdp_md *ctx)
{
	struct lab_stats *s = stats_get();

	if (!s)
		return XDP_PASS;
	s->c[LAB_S_RX]++;
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}

SHAKEOFF_INLINE __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The next 32-bit draw of this CPU's stream idx; it starts from seed, CPU id and idx. */
SHAKEOFF_INLINE __u32 rng_next(__u32 idx)
{
	__u64 *state = bpf_map_lookup_elem(&lab_rng, &idx);
	__u64 x;

	if (!state)
		return 0xffffffff;
	x = *state;
	if (!x) {
		x = splitmix64(drop_seed ^ ((__u64)bpf_get_smp_processor_id() << 32) ^
			       ((__u64)idx << 48));
		if (!x)
			x = 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 0x2545f4914f6cdd1dULL) >> 32;
}

SEC("xdp")
int so_lab_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct lab_stats *s = stats_get();
	struct frame f;

	if (!s)
		return XDP_PASS;
	s->c[LAB_S_RX]++;
	if (frame_parse(data, data_end, &f) == PARSE_TCP &&
	    (f.payload_len || (f.tcp_flags & TCP_F_FIN))) {
		s->c[LAB_S_LOSSY]++;
		if (rng_next(0) < drop_threshold) {
			s->c[LAB_S_DROP]++;
			return XDP_DROP;
		}
	}
	s->c[LAB_S_PASS]++;
	return XDP_PASS;
}

/* ---- lossy ---- */

#ifndef TC_ACT_STOLEN
#define TC_ACT_STOLEN 4
#endif
/* lost on the wire: the sender must not learn of it (see the top of the file) */
#define LOSSY_GONE TC_ACT_STOLEN

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct lab_held);
} lab_held SEC(".maps");

/* ingress: a copy of the carrier frame while it is rewritten into the held one */
struct lab_scratch {
	__u8 buf[LAB_HELD_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lab_scratch);
} lab_scratch SEC(".maps");

/* SYN-ACKs seen at ingress, for --drop-synacks */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lab_synacks SEC(".maps");

/* Make skb len bytes long and copy buf over it; 0 or a negative error. */
SHAKEOFF_INLINE int skb_rewrite(struct __sk_buff *skb, void *buf, __u32 len)
{
	int err;

	if (len < ETH_HLEN || len > LAB_HELD_MAX)
		return -1;
	if (skb->len != len) {
		err = bpf_skb_change_tail(skb, len, 0);
		if (err)
			return err;
	}
	return bpf_skb_store_bytes(skb, 0, buf, len, BPF_F_RECOMPUTE_CSUM);
}

SHAKEOFF_INLINE bool held_flow(const struct lab_held *h, const struct frame *f)
{
	return h->ipv6 == f->ipv6 && h->sport == f->sport && h->dport == f->dport &&
	       h->saddr[0] == f->saddr[0] && h->daddr[0] == f->daddr[0] &&
	       h->saddr[1] == f->saddr[1] && h->daddr[1] == f->daddr[1] &&
	       h->saddr[2] == f->saddr[2] && h->daddr[2] == f->daddr[2] &&
	       h->saddr[3] == f->saddr[3] && h->daddr[3] == f->daddr[3];
}

/* held_release: what became of the carrier when the held segment could not go out */
enum {
	RELEASE_OK = 0,
	RELEASE_LOST = 1, /* the held segment is lost, the carrier is intact */
	RELEASE_DAMAGED = 2, /* the carrier is half rewritten: drop it */
};

/*
 * Send the held segment of h (owned by this CPU: state BUSY) right after the
 * frame skb. h is empty after, whatever happened.
 */
SHAKEOFF_INLINE int held_release(struct __sk_buff *skb, struct lab_held *h, int dir)
{
	__u32 mark = skb->mark, zero = 0, len = skb->len, hlen = h->len;
	struct lab_scratch *sc;
	int ret = RELEASE_LOST;

	if (hlen < ETH_HLEN || hlen > LAB_HELD_MAX)
		goto out;
	if (dir == LAB_DIR_OUT) {
		/* the carrier first, then the carrier turned into the held frame */
		skb->mark = LAB_TC_MARK;
		if (bpf_clone_redirect(skb, skb->ifindex, 0)) {
			skb->mark = mark;
			goto out;
		}
		skb->mark = mark;
		/* the carrier is out already: a failure now loses only the held one */
		ret = skb_rewrite(skb, h->buf, hlen) ? RELEASE_DAMAGED : RELEASE_OK;
		goto out;
	}
	/* ingress: the clone waits in the backlog, so the clone is the held frame */
	sc = bpf_map_lookup_elem(&lab_scratch, &zero);
	if (!sc || len < ETH_HLEN || len > LAB_HELD_MAX)
		goto out;
	if (bpf_skb_load_bytes(skb, 0, sc->buf, len))
		goto out;
	if (skb_rewrite(skb, h->buf, hlen)) {
		ret = RELEASE_DAMAGED;
		goto out;
	}
	skb->mark = LAB_TC_MARK;
	ret = bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS) ? RELEASE_LOST : RELEASE_OK;
	skb->mark = mark;
	if (skb_rewrite(skb, sc->buf, len))
		ret = RELEASE_DAMAGED;
out:
	__sync_lock_test_and_set(&h->state, LAB_HELD_EMPTY);
	return ret;
}

/* Hold skb (a single data segment of flow f) back in h; 0 when it is held. */
SHAKEOFF_INLINE int held_take(struct __sk_buff *skb, struct lab_held *h, const struct frame *f)
{
	__u32 len = skb->len;

	if (len < ETH_HLEN || len > LAB_HELD_MAX)
		return -1;
	if (__sync_val_compare_and_swap(&h->state, LAB_HELD_EMPTY, LAB_HELD_BUSY) != LAB_HELD_EMPTY)
		return -1;
	if (bpf_skb_load_bytes(skb, 0, h->buf, len)) {
		__sync_lock_test_and_set(&h->state, LAB_HELD_EMPTY);
		return -1;
	}
	h->len = len;
	h->left = reorder_depth;
	h->ipv6 = f->ipv6;
	h->sport = f->sport;
	h->dport = f->dport;
	__builtin_memcpy(h->saddr, f->saddr, sizeof(h->saddr));
	__builtin_memcpy(h->daddr, f->daddr, sizeof(h->daddr));
	h->since_ns = bpf_ktime_get_ns();
	__sync_lock_test_and_set(&h->state, LAB_HELD_FULL);
	return 0;
}

SHAKEOFF_INLINE int lossy(struct __sk_buff *skb, int dir)
{
	struct lab_stats *s = stats_get();
	__u32 idx = dir, zero = 0, segs;
	struct lab_held *h;
	void *data, *data_end;
	bool later = false, data_seg;
	struct frame f = {}; /* IPv4 fills only saddr[0], daddr[0]: the rest must compare equal */
	int err;

	if (!s)
		return TC_ACT_OK;
	if (skb->mark == LAB_TC_MARK) {
		/* one of our clones coming round again */
		skb->mark = 0;
		return TC_ACT_OK;
	}
	s->c[LAB_S_RX]++;
	/* the headers in the linear part, for direct access */
	bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (frame_parse(data, data_end, &f) != PARSE_TCP)
		return TC_ACT_OK;

	if (dir == LAB_DIR_IN && drop_synacks &&
	    (f.tcp_flags & (TCP_F_SYN | TCP_F_ACK | TCP_F_RST)) == (TCP_F_SYN | TCP_F_ACK)) {
		__u64 *n = bpf_map_lookup_elem(&lab_synacks, &zero);

		if (n && __sync_fetch_and_add(n, 1) < drop_synacks) {
			s->c[LAB_S_SYNACK_DROP]++;
			return LOSSY_GONE;
		}
	}

	h = bpf_map_lookup_elem(&lab_held, &idx);
	if (!h)
		return TC_ACT_OK;
	data_seg = f.payload_len && !(f.tcp_flags & (TCP_F_SYN | TCP_F_RST));
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	if (f.payload_len || (f.tcp_flags & TCP_F_FIN)) {
		s->c[dir == LAB_DIR_OUT ? LAB_S_OUT_SEGS : LAB_S_IN_SEGS] += segs;
		if (rng_next(idx) < drop_threshold) {
			s->c[dir == LAB_DIR_OUT ? LAB_S_OUT_DROP : LAB_S_IN_DROP] += segs;
			return LOSSY_GONE;
		}
		/* a later segment of the held one's flow: count it down */
		if (data_seg && h->state == LAB_HELD_FULL && held_flow(h, &f) &&
		    __sync_fetch_and_add(&h->left, -1) == 1)
			later = true;
	}
	if (h->state == LAB_HELD_FULL && segs == 1 && h->ipv6 == f.ipv6 &&
	    (later || bpf_ktime_get_ns() - h->since_ns > hold_ns) &&
	    __sync_val_compare_and_swap(&h->state, LAB_HELD_FULL, LAB_HELD_BUSY) == LAB_HELD_FULL) {
		err = held_release(skb, h, dir);
		if (err != RELEASE_OK) {
			s->c[LAB_S_RELEASE_ERR]++;
			return err == RELEASE_DAMAGED ? LOSSY_GONE : TC_ACT_OK;
		}
		if (dir == LAB_DIR_OUT)
			s->c[later ? LAB_S_OUT_REORDERED : LAB_S_OUT_LATE]++;
		else
			s->c[later ? LAB_S_IN_REORDERED : LAB_S_IN_LATE]++;
		return TC_ACT_OK;
	}
	if (data_seg && segs == 1 && h->state == LAB_HELD_EMPTY &&
	    rng_next(idx) < reorder_threshold && !held_take(skb, h, &f)) {
		s->c[dir == LAB_DIR_OUT ? LAB_S_OUT_HELD : LAB_S_IN_HELD]++;
		return LOSSY_GONE;
	}
	return TC_ACT_OK;
}

SEC("tc")
int so_lab_lossy_tx(struct __sk_buff *skb)
{
	return lossy(skb, LAB_DIR_OUT);
}

SEC("tc")
int so_lab_lossy_rx(struct __sk_buff *skb)
{
	return lossy(skb, LAB_DIR_IN);
}
