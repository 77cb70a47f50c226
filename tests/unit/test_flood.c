// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of bpf/flood.bpf.c and bpf/lab.bpf.c, the real objects driven
 * through BPF_PROG_TEST_RUN without live frames, so the frame comes back.
 *
 * flood: every kind and family runs FLOOD_RUNS times over input frames filled
 * with garbage that changes every run (live frames come back rewritten by
 * whoever received them, so the program must write every header byte); each
 * output is parsed and its IPv4 header and TCP checksums recomputed by pkt.h,
 * which shares no code with bpf/lib/csum.h. Sequential mode must walk
 * addresses, then ports, without gaps; the counters must match the runs.
 * SYN-ACKs are checked like SYNs (options, checksums, flags). The same seed
 * gives the same frames byte for byte, another seed others; a --src-pool of N
 * sends from exactly its N addresses; a mix's kinds come in its ratio; the
 * rate schedule (ramp, pulse, the end) and the mix and pool parsers are pure
 * functions, checked against hand-computed values.
 *
 * lab: a fixture table of frames with the verdict and counter each program
 * must produce, the reflector's MAC swap, and the drop program's rate and
 * determinism per seed. lossy (TC, both directions): drops, holding a data
 * segment back and sending it out behind DEPTH later segments of its flow
 * (egress: the frame that passes is rewritten into the held one; ingress:
 * the frame that passes comes out unchanged), the hold timeout, SYN-ACK
 * drops, our own clones passing untouched. What is lost is TC_ACT_STOLEN,
 * never TC_ACT_SHOT, which would tell a local sender to send it again.
 * These run in a network namespace of their own, whose loopback device
 * receives the clones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h> /* TC_ACT_* */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/flood.h>
#include <shakeoff/lab.h>
#include "flood.skel.h"
#include "lab.skel.h"

#include "cmd/flood_plan.h"
#include "cmd/flood_sched.h"
#include "core/percpu.h"
#include "core/stat_names.h"
#include "bpf_run.h"
#include "netns.h"
#include "pkt.h"
#include "testlib.h"

#define FLOOD_RUNS 200

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* ---- flood ---- */

struct flood_case {
	const char *desc;
	bool ipv6;
	int kind;
	const char *src; /* the prefix, host bits zero */
	unsigned int prefix;
	const char *dst;
	uint16_t dport;
	uint16_t sport_lo, sport_hi;
	bool sequential;
};

static const struct flood_case flood_cases[] = {
	{ "syn v4, random from /15", false, FLOOD_SYN, "198.18.0.0", 15, "10.1.2.3", 80, 1024,
	  65535, false },
	{ "ack v4, random from /24", false, FLOOD_ACK, "10.9.9.0", 24, "10.1.2.3", 443, 2000, 2999,
	  false },
	{ "rst v4, one source", false, FLOOD_RST, "10.9.9.7", 32, "10.1.2.3", 22, 5555, 5555,
	  false },
	{ "fin v4, random from /0", false, FLOOD_FIN, "0.0.0.0", 0, "10.1.2.3", 8080, 1, 65535,
	  false },
	{ "syn v4, sequential /30 x 3 ports", false, FLOOD_SYN, "10.7.0.4", 30, "10.1.2.3", 80, 100,
	  102, true },
	{ "syn v6, random from /64", true, FLOOD_SYN, "2001:db8::", 64, "fd00::2", 80, 1024, 65535,
	  false },
	{ "ack v6, random from /120", true, FLOOD_ACK, "2001:db8:1::", 120, "fd00::2", 443, 1024,
	  65535, false },
	{ "rst v6, one source", true, FLOOD_RST, "2001:db8:1::99", 128, "fd00::2", 9, 40000, 40010,
	  false },
	{ "fin v6, random from /32 (low 64 bits vary)", true, FLOOD_FIN, "2001:db8::", 32,
	  "fd00::2", 80, 1024, 65535, false },
	{ "ack v6, sequential /126 x 2 ports", true, FLOOD_ACK, "2001:db8::", 126, "fd00::2", 80, 7,
	  8, true },
	{ "synack v4, random from /16", false, FLOOD_SYNACK, "10.20.0.0", 16, "10.1.2.3", 40000, 80,
	  80, false },
	{ "synack v6, random from /64", true, FLOOD_SYNACK, "2001:db8:5::", 64, "fd00::2", 33333,
	  443, 443, false },
};

static uint8_t kind_flags(int kind)
{
	switch (kind) {
	case FLOOD_SYN:
		return PKT_SYN;
	case FLOOD_ACK:
		return PKT_ACK;
	case FLOOD_RST:
		return PKT_RST;
	case FLOOD_SYNACK:
		return PKT_SYN | PKT_ACK;
	default:
		return PKT_FIN | PKT_ACK;
	}
}

/* The kind of a frame, by its flags; -1 for none of ours. */
static int flags_kind(uint8_t flags)
{
	int k;

	for (k = 0; k < FLOOD_KINDS; k++)
		if (flags == kind_flags(k))
			return k;
	return -1;
}

static unsigned int host_bits(const struct flood_case *c)
{
	unsigned int bits = c->ipv6 ? 128 - c->prefix : 32 - c->prefix;

	return bits > 64 ? 64 : bits;
}

/* The varying part of a source address: its low host_bits() bits. */
static uint64_t host_part(const struct flood_case *c, const uint8_t *addr)
{
	unsigned int bits = host_bits(c);
	uint64_t v = c->ipv6 ? (uint64_t)pkt_get32(addr + 8) << 32 | pkt_get32(addr + 12) :
			       pkt_get32(addr);

	return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

/* Every bit above the varying ones is the prefix's. */
static bool in_prefix(const struct flood_case *c, const uint8_t *addr, const uint8_t *base)
{
	unsigned int alen = c->ipv6 ? 16 : 4, fixed = alen * 8 - host_bits(c), i;

	for (i = 0; i < fixed; i++) {
		uint8_t m = 0x80 >> (i % 8);

		if ((addr[i / 8] & m) != (base[i / 8] & m))
			return false;
	}
	return true;
}

/* What the table's cases leave at zero: the seed, the mix, the pool. */
struct flood_extra {
	uint64_t seed;
	const double *mix; /* FLOOD_KINDS weights, or NULL: c->kind only */
	uint32_t pool_n;
	const struct flood_addr *pool;
	uint64_t stream; /* the sender number every CPU's state holds */
};

static int flood_load_x(const struct flood_case *c, const uint8_t *base, const uint8_t *dst,
			const struct flood_extra *x, struct flood_bpf **skelp)
{
	struct flood_bpf *skel = flood_bpf__open();
	struct flood_cfg *cfg;
	unsigned int bits = host_bits(c);
	int err;

	*skelp = skel;
	if (!skel)
		return -errno;
	cfg = (struct flood_cfg *)&skel->rodata->flood_cfg;
	memcpy(cfg->dmac, mac_dst, 6);
	memcpy(cfg->smac, mac_src, 6);
	cfg->ipv6 = c->ipv6;
	cfg->kind = c->kind;
	cfg->sequential = c->sequential;
	memcpy(cfg->saddr, base, c->ipv6 ? 16 : 4);
	memcpy(cfg->daddr, dst, c->ipv6 ? 16 : 4);
	cfg->host_bits = bits;
	cfg->host_mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
	cfg->dport = htons(c->dport);
	cfg->sport_lo = c->sport_lo;
	cfg->sport_count = c->sport_hi - c->sport_lo + 1;
	if (x) {
		cfg->seed = x->seed;
		if (x->mix) {
			cfg->mixed = 1;
			flood_mix_cum(x->mix, cfg->mix_cum);
		}
		cfg->pool_n = x->pool_n;
		if (x->pool_n)
			bpf_map__set_max_entries(skel->maps.flood_pool, x->pool_n);
	}
	err = flood_bpf__load(skel);
	if (err)
		return err;
	if (x && x->stream) {
		int ncpu = libbpf_num_possible_cpus(), i;
		struct flood_state *v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;
		uint32_t zero = 0;

		if (!v)
			return -ENOMEM;
		for (i = 0; i < ncpu; i++)
			v[i].stream = x->stream;
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.flood_state), &zero, v, BPF_ANY);
		free(v);
		if (err)
			return -errno;
	}
	if (x && x->pool_n) {
		uint32_t i;

		for (i = 0; i < x->pool_n; i++)
			if (bpf_map_update_elem(bpf_map__fd(skel->maps.flood_pool), &i, &x->pool[i],
						BPF_ANY))
				return -errno;
	}
	return bpf_program__fd(skel->progs.so_flood);
}

static int flood_load(const struct flood_case *c, const uint8_t *base, const uint8_t *dst,
		      struct flood_bpf **skelp)
{
	return flood_load_x(c, base, dst, NULL, skelp);
}

/* One output frame of case c, the run-th of the sequence. */
static bool flood_frame_ok_k(const struct flood_case *c, int kind, const uint8_t *base,
			     const uint8_t *dst, const uint8_t *buf, size_t len, unsigned int run)
{
	size_t tcp_len = flood_tcp_len(kind), alen = c->ipv6 ? 16 : 4;
	struct pkt_tcpopts o;
	struct pkt_view v;
	const char *why;
	uint16_t sport;

	why = pkt_parse(buf, len, &v);
	if (!ASSERT(!why, "run %u: not a TCP/IP frame: %s", run, why))
		return false;
	if (!ASSERT_EQ(len, flood_frame_len(c->ipv6, kind), "frame length") ||
	    !ASSERT_EQ(v.ipv6, c->ipv6, "family") ||
	    !ASSERT_MEM_EQ(v.eth->dst, mac_dst, 6, "destination MAC") ||
	    !ASSERT_MEM_EQ(v.eth->src, mac_src, 6, "source MAC") || !ASSERT_EQ(v.nvlan, 0, "VLANs"))
		return false;
	if (c->ipv6) {
		if (!ASSERT_EQ(ntohl(v.ip6->ver_tc_flow) >> 20, 0x600, "version, traffic class") ||
		    !ASSERT_EQ(ntohs(v.ip6->payload_len), tcp_len, "payload length") ||
		    !ASSERT_EQ(v.ip6->hop_limit, 64, "hop limit"))
			return false;
	} else {
		if (!ASSERT_EQ(v.ip4->ver_ihl, 0x45, "version, ihl") ||
		    !ASSERT_EQ(v.ip4->tos, 0, "tos") ||
		    !ASSERT_EQ(ntohs(v.ip4->tot_len), 20 + tcp_len, "total length") ||
		    !ASSERT_EQ(ntohs(v.ip4->frag_off), PKT_IP_DF, "DF, not a fragment") ||
		    !ASSERT_EQ(v.ip4->ttl, 64, "ttl") ||
		    !ASSERT_EQ(ntohs(v.ip4->check), pkt_ip4_csum(v.ip4, 20), "IPv4 checksum"))
			return false;
	}
	if (!ASSERT_MEM_EQ(pkt_daddr(&v), dst, alen, "destination address") ||
	    !ASSERT(in_prefix(c, pkt_saddr(&v), base), "run %u: source outside the prefix", run))
		return false;

	sport = ntohs(v.tcp->sport);
	if (!ASSERT(sport >= c->sport_lo && sport <= c->sport_hi, "run %u: sport %u out of range",
		    run, sport) ||
	    !ASSERT_EQ(ntohs(v.tcp->dport), c->dport, "destination port") ||
	    !ASSERT_EQ(v.tcp_hlen, tcp_len, "TCP header length") ||
	    !ASSERT_EQ(v.payload_len, 0, "payload") ||
	    !ASSERT_EQ(v.tcp->flags, kind_flags(kind), "flags") ||
	    !ASSERT_EQ(v.tcp->urg, 0, "urgent pointer") ||
	    !ASSERT_EQ(ntohs(v.tcp->check), pkt_tcp_csum_want(&v), "TCP checksum"))
		return false;
	if ((kind == FLOOD_SYN || kind == FLOOD_RST) && !ASSERT_EQ(v.tcp->ack, 0, "ack"))
		return false;
	if (flood_has_opts(kind)) {
		uint16_t win =
			kind == FLOOD_SYN ? (c->ipv6 ? 64800 : 64240) : (c->ipv6 ? 64260 : 65160);

		static const uint8_t order[] = { 2, 4, 5, 1, 1, 3, 3, 7 };

		pkt_tcp_opts(&v, &o);
		if (!ASSERT(!o.malformed && !o.other && !o.dup, "SYN options malformed") ||
		    !ASSERT(o.mss && o.sack && o.ts && o.ws, "SYN options missing") ||
		    !ASSERT_EQ(o.mss_val, c->ipv6 ? 1440 : 1460, "MSS") ||
		    !ASSERT_EQ(o.ws_val, 7, "window scale") ||
		    (kind == FLOOD_SYN && !ASSERT_EQ(o.tsecr, 0, "TSecr")) ||
		    !ASSERT_EQ(ntohs(v.tcp->window), win, "SYN or SYN-ACK window"))
			return false;
		/* Linux's order: MSS, SACK_PERM, TS, NOP, WS */
		if (!ASSERT_MEM_EQ(v.buf + v.l4_off + 20, order, 2, "MSS first") ||
		    !ASSERT_EQ(v.buf[v.l4_off + 24], 4, "SACK_PERM second") ||
		    !ASSERT_EQ(v.buf[v.l4_off + 26], 8, "TS third") ||
		    !ASSERT_MEM_EQ(v.buf + v.l4_off + 36, order + 4, 4, "NOP, WS last"))
			return false;
	} else if (kind != FLOOD_RST && !ASSERT_EQ(ntohs(v.tcp->window), 502, "window")) {
		return false;
	}
	if (c->sequential) {
		uint64_t nhosts = 1ULL << host_bits(c);

		if (!ASSERT_EQ(host_part(c, pkt_saddr(&v)), run % nhosts, "sequential host") ||
		    !ASSERT_EQ(sport,
			       c->sport_lo + (run / nhosts) % (c->sport_hi - c->sport_lo + 1),
			       "sequential port"))
			return false;
	}
	return true;
}

static bool flood_frame_ok(const struct flood_case *c, const uint8_t *base, const uint8_t *dst,
			   const uint8_t *buf, size_t len, unsigned int run)
{
	return flood_frame_ok_k(c, c->kind, base, dst, buf, len, run);
}

static void fill_garbage(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 29 + 0x5a);
}

_Static_assert(sizeof(struct flood_state) % sizeof(__u64) == 0, "flood_state is __u64 words");

static void flood_counters(struct flood_bpf *skel, uint64_t *tx, uint64_t *shorts)
{
	struct flood_state sum;
	uint32_t zero = 0;

	*tx = *shorts = 0;
	if (percpu_sum(bpf_map__fd(skel->maps.flood_state), &zero, (__u64 *)&sum,
		       sizeof(sum) / sizeof(__u64)))
		return;
	*tx = sum.tx;
	*shorts = sum.short_frame;
}

static void test_flood(const struct flood_case *c)
{
	uint8_t base[16] = {}, dst[16] = {}, in[128], out[256];
	struct tr_frame f = { .in = in, .out = out, .outcap = sizeof(out) };
	uint32_t flen = flood_frame_len(c->ipv6, c->kind), seq, seq_changes = 0, prev = 0;
	struct flood_bpf *skel = NULL;
	uint64_t tx, shorts;
	unsigned int run;
	int fd, err;

	tl_begin("flood: %s", c->desc);
	inet_pton(c->ipv6 ? AF_INET6 : AF_INET, c->src, base);
	inet_pton(c->ipv6 ? AF_INET6 : AF_INET, c->dst, dst);
	fd = flood_load(c, base, dst, &skel);
	if (!ASSERT(fd >= 0, "load: %s", strerror(-fd)))
		goto out;

	f.inlen = flen;
	for (run = 0; run < FLOOD_RUNS; run++) {
		fill_garbage(in, flen, run);
		err = tr_frame_run(fd, &f);
		if (!ASSERT(!err, "test run: %s", strerror(-err)) ||
		    !ASSERT_EQ(f.retval, XDP_TX, "verdict"))
			goto out;
		if (!flood_frame_ok(c, base, dst, out, f.outlen, run)) {
			tl_hexdump("input", in, flen);
			tl_hexdump("output", out, f.outlen);
			goto out;
		}
		seq = pkt_get32(out + flen - flood_tcp_len(c->kind) + 4);
		seq_changes += seq != prev;
		prev = seq;
	}
	if (!ASSERT(seq_changes > FLOOD_RUNS - 3, "sequence numbers barely vary (%u changes)",
		    seq_changes))
		goto out;

	/* A frame too short for the segment is aborted and counted, never written past. */
	f.inlen = flen - 1;
	err = tr_frame_run(fd, &f);
	if (!ASSERT(!err, "short run: %s", strerror(-err)) ||
	    !ASSERT_EQ(f.retval, XDP_ABORTED, "short frame verdict"))
		goto out;
	flood_counters(skel, &tx, &shorts);
	ASSERT_EQ(tx, FLOOD_RUNS, "tx counter");
	ASSERT_EQ(shorts, 1, "short_frame counter");
out:
	flood_bpf__destroy(skel);
	tl_end();
}

/* ---- flood: seeds, pools, mixes ---- */

#define SEED_RUNS 300
#define MIX_RUNS 10000
#define FRAME_MAX 96

/* n frames of a loaded case, each checked; outs[i * FRAME_MAX], lens[i]; kinds counted. */
static bool flood_collect(const struct flood_case *c, const struct flood_extra *x, unsigned int n,
			  uint8_t *outs, uint32_t *lens, uint64_t kinds[FLOOD_KINDS],
			  uint64_t tx_kinds[FLOOD_KINDS])
{
	uint8_t base[16] = {}, dst[16] = {}, in[FRAME_MAX];
	struct tr_frame f = { .in = in, .outcap = FRAME_MAX };
	struct flood_case chk = *c;
	struct flood_bpf *skel = NULL;
	struct flood_state sum;
	bool ok = false;
	unsigned int i;
	uint32_t zero = 0;
	int fd, err, kind;

	/* a pool's walk is not the prefix's: the caller checks it */
	chk.sequential = c->sequential && !(x && x->pool_n);
	inet_pton(c->ipv6 ? AF_INET6 : AF_INET, c->src, base);
	inet_pton(c->ipv6 ? AF_INET6 : AF_INET, c->dst, dst);
	fd = flood_load_x(c, base, dst, x, &skel);
	if (!ASSERT(fd >= 0, "load: %s", strerror(-fd)))
		goto out;
	/* as long as the longest kind, like `shakeoff flood` makes a mixed run's frames */
	f.inlen = flood_frame_len(c->ipv6, x && x->mix ? FLOOD_SYN : c->kind);
	memset(kinds, 0, sizeof(uint64_t) * FLOOD_KINDS);
	for (i = 0; i < n; i++) {
		fill_garbage(in, f.inlen, i);
		f.out = outs + (size_t)i * FRAME_MAX;
		err = tr_frame_run(fd, &f);
		if (!ASSERT(!err, "test run: %s", strerror(-err)) ||
		    !ASSERT_EQ(f.retval, XDP_TX, "verdict"))
			goto out;
		lens[i] = f.outlen;
		kind = f.outlen > 14 + (c->ipv6 ? 40 : 20) + 13 ?
			       flags_kind(outs[(size_t)i * FRAME_MAX + 14 + (c->ipv6 ? 40 : 20) +
					       13]) :
			       -1;
		if (!ASSERT(kind >= 0, "frame %u: not one of our kinds", i) ||
		    !flood_frame_ok_k(&chk, kind, base, dst, f.out, f.outlen, i)) {
			tl_hexdump("output", f.out, f.outlen);
			goto out;
		}
		kinds[kind]++;
	}
	if (tx_kinds) {
		if (!ASSERT(!percpu_sum(bpf_map__fd(skel->maps.flood_state), &zero, (__u64 *)&sum,
					sizeof(sum) / sizeof(__u64)),
			    "read flood_state"))
			goto out;
		memcpy(tx_kinds, sum.kind_tx, sizeof(sum.kind_tx));
	}
	ok = true;
out:
	flood_bpf__destroy(skel);
	return ok;
}

static const double mix_all[FLOOD_KINDS] = { 1, 1, 1, 1, 1 };

static void test_flood_seed(bool ipv6)
{
	static uint8_t a[SEED_RUNS * FRAME_MAX], b[SEED_RUNS * FRAME_MAX],
		c2[SEED_RUNS * FRAME_MAX];
	static uint32_t la[SEED_RUNS], lb[SEED_RUNS], lc[SEED_RUNS];
	const struct flood_case c = { "mixed",
				      ipv6,
				      FLOOD_SYN,
				      ipv6 ? "2001:db8::" : "10.50.0.0",
				      ipv6 ? 64 : 16,
				      ipv6 ? "fd00::2" : "10.1.2.3",
				      80,
				      1024,
				      65535,
				      false };
	struct flood_extra x = { .seed = 42, .mix = mix_all };
	uint64_t kinds[FLOOD_KINDS];
	unsigned int i, same = 0;

	tl_begin("flood %s: seed 42 twice gives the same %u frames (every kind), seed 43 others; "
		 "sender 1 its own, the same twice",
		 ipv6 ? "v6" : "v4", SEED_RUNS);
	if (!flood_collect(&c, &x, SEED_RUNS, a, la, kinds, NULL) ||
	    !flood_collect(&c, &x, SEED_RUNS, b, lb, kinds, NULL))
		goto out;
	for (i = 0; i < FLOOD_KINDS; i++)
		if (!ASSERT(kinds[i] > 0, "no %s in %u frames", flood_kind_name(i), SEED_RUNS))
			goto out;
	for (i = 0; i < SEED_RUNS; i++)
		if (!ASSERT_EQ(la[i], lb[i], "same seed: frame length") ||
		    !ASSERT(!memcmp(a + i * FRAME_MAX, b + i * FRAME_MAX, la[i]),
			    "same seed: frame %u differs", i))
			goto out;
	x.seed = 43;
	if (!flood_collect(&c, &x, SEED_RUNS, c2, lc, kinds, NULL))
		goto out;
	for (i = 0; i < SEED_RUNS; i++)
		same += la[i] == lc[i] && !memcmp(a + i * FRAME_MAX, c2 + i * FRAME_MAX, la[i]);
	if (!ASSERT_EQ(same, 0, "seed 43: frames equal to seed 42's"))
		goto out;
	/* another sender's stream (--threads): its own sequence, the same each time */
	x.seed = 42;
	x.stream = 1;
	if (!flood_collect(&c, &x, SEED_RUNS, b, lb, kinds, NULL) ||
	    !flood_collect(&c, &x, SEED_RUNS, c2, lc, kinds, NULL))
		goto out;
	for (same = 0, i = 0; i < SEED_RUNS; i++) {
		same += la[i] == lb[i] && !memcmp(a + i * FRAME_MAX, b + i * FRAME_MAX, la[i]);
		if (!ASSERT(lb[i] == lc[i] && !memcmp(b + i * FRAME_MAX, c2 + i * FRAME_MAX, lb[i]),
			    "sender 1 twice: frame %u differs", i))
			goto out;
	}
	ASSERT_EQ(same, 0, "sender 1: frames equal to sender 0's");
out:
	tl_end();
}

/* Index of addr in pool, or -1. */
static int pool_find(const struct flood_addr *pool, uint32_t n, const uint8_t *addr, size_t alen)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(pool[i].a, addr, alen))
			return (int)i;
	return -1;
}

#define POOL_N 50
#define POOL_RUNS 5000

static void test_flood_pool(bool ipv6, bool sequential)
{
	static uint8_t outs[POOL_RUNS * FRAME_MAX];
	static uint32_t lens[POOL_RUNS];
	const struct flood_case c = { "pool",
				      ipv6,
				      FLOOD_SYN,
				      ipv6 ? "2001:db8::" : "10.60.0.0",
				      ipv6 ? 64 : 16,
				      ipv6 ? "fd00::2" : "10.1.2.3",
				      80,
				      2000,
				      2009,
				      sequential };
	struct flood_addr pool[POOL_N];
	struct flood_cfg cfg = {};
	uint32_t hits[POOL_N] = {}, distinct = 0, i;
	size_t alen = ipv6 ? 16 : 4, l3 = 14 + (ipv6 ? 8 : 12);
	struct flood_extra x = { .seed = 7, .pool_n = POOL_N, .pool = pool };
	uint64_t kinds[FLOOD_KINDS];
	int j;

	tl_begin("flood %s --src-pool %d%s: exactly its %d addresses, %s", ipv6 ? "v6" : "v4",
		 POOL_N, sequential ? " --sequential" : "", POOL_N,
		 sequential ? "in order, then the next port" : "over 5000 frames");
	cfg.ipv6 = ipv6;
	inet_pton(ipv6 ? AF_INET6 : AF_INET, c.src, cfg.saddr);
	cfg.host_bits = ipv6 ? 64 : 16;
	cfg.host_mask = ipv6 ? ~0ULL : 0xffff;
	if (!ASSERT(!flood_pool_draw(&cfg, x.seed, POOL_N, pool), "draw the pool") ||
	    !flood_collect(&c, &x, POOL_RUNS, outs, lens, kinds, NULL))
		goto out;
	for (i = 0; i < POOL_RUNS; i++) {
		const uint8_t *f = outs + (size_t)i * FRAME_MAX;

		j = pool_find(pool, POOL_N, f + l3, alen);
		if (!ASSERT(j >= 0, "frame %u: source not in the pool", i))
			goto out;
		distinct += !hits[j]++;
		if (sequential && (!ASSERT_EQ((uint32_t)j, i % POOL_N, "sequential: pool entry") ||
				   !ASSERT_EQ((uint32_t)(f[14 + (ipv6 ? 40 : 20)] << 8 |
							 f[15 + (ipv6 ? 40 : 20)]),
					      2000 + (i / POOL_N) % 10, "sequential: source port")))
			goto out;
	}
	ASSERT_EQ(distinct, POOL_N, "distinct sources");
out:
	tl_end();
}

static void test_flood_pool_draw(void)
{
	struct flood_addr *a = calloc(256, sizeof(*a)), *b = calloc(256, sizeof(*b));
	struct flood_cfg cfg = { .host_bits = 8, .host_mask = 0xff };
	uint32_t i, j;

	tl_begin("flood_pool_draw: distinct, in the prefix, the same per seed; a /24 holds 256");
	if (!ASSERT(a && b, "memory"))
		goto out;
	inet_pton(AF_INET, "10.70.1.0", cfg.saddr);
	if (!ASSERT(!flood_pool_draw(&cfg, 1, 256, a), "256 of a /24") ||
	    !ASSERT_EQ(flood_pool_draw(&cfg, 1, 257, b), -EINVAL, "257 of a /24"))
		goto out;
	for (i = 0; i < 256; i++) {
		if (!ASSERT_EQ(ntohl(a[i].a[0]) >> 8, 0x0a4601, "in 10.70.1.0/24"))
			goto out;
		for (j = 0; j < i; j++)
			if (!ASSERT(a[i].a[0] != a[j].a[0], "entries %u and %u the same", i, j))
				goto out;
	}
	if (!ASSERT(!flood_pool_draw(&cfg, 1, 100, b), "100 of a /24") ||
	    !ASSERT(!memcmp(a, b, 100 * sizeof(*a)), "seed 1 twice: another pool") ||
	    !ASSERT(!flood_pool_draw(&cfg, 2, 100, b), "seed 2") ||
	    !ASSERT(memcmp(a, b, 100 * sizeof(*a)), "seed 2: the same pool as seed 1"))
		goto out;
out:
	free(a);
	free(b);
	tl_end();
}

static void test_flood_mix(bool ipv6)
{
	static uint8_t outs[MIX_RUNS * FRAME_MAX];
	static uint32_t lens[MIX_RUNS];
	static const double w[FLOOD_KINDS] = {
		[FLOOD_SYN] = 70, [FLOOD_ACK] = 20, [FLOOD_RST] = 10
	};
	double want[FLOOD_KINDS] = {};
	const struct flood_case c = { "mix",
				      ipv6,
				      FLOOD_SYN,
				      ipv6 ? "2001:db8::" : "10.80.0.0",
				      ipv6 ? 64 : 16,
				      ipv6 ? "fd00::2" : "10.1.2.3",
				      80,
				      1024,
				      65535,
				      false };
	struct flood_extra x = { .seed = 9 };
	uint64_t kinds[FLOOD_KINDS], tx[FLOOD_KINDS];
	double got;
	int k;

	tl_begin("flood %s --mix syn=70,ack=20,rst=10: within 2 points over %d frames, counted",
		 ipv6 ? "v6" : "v4", MIX_RUNS);
	if (!ASSERT(!flood_mix_parse("syn=70,ack=20,rst=10", want), "parse the mix"))
		goto out;
	for (k = 0; k < FLOOD_KINDS; k++)
		if (!ASSERT(want[k] == w[k], "parsed weight of %s", flood_kind_name(k)))
			goto out;
	x.mix = want;
	if (!flood_collect(&c, &x, MIX_RUNS, outs, lens, kinds, tx))
		goto out;
	for (k = 0; k < FLOOD_KINDS; k++) {
		got = 100.0 * kinds[k] / MIX_RUNS;
		tl_note("%s: %.2f %% (want %.0f)", flood_kind_name(k), got, w[k]);
		if (!ASSERT(fabs(got - w[k]) <= 2, "%s: %.2f %%, want %.0f +- 2",
			    flood_kind_name(k), got, w[k]) ||
		    !ASSERT_EQ(tx[k], kinds[k], "kind_tx counter"))
			goto out;
	}
out:
	tl_end();
}

static void test_flood_mix_parse(void)
{
	static const char *const bad[] = { "",	      "syn",	     "syn=",	"syn=-1",
					   "syn=0",   "syn=1,syn=2", "mixed=1", "foo=1",
					   "syn=1,,", "syn=1;ack=1", "ack=x" };
	double w[FLOOD_KINDS];
	__u64 cum[FLOOD_KINDS];
	size_t i;

	tl_begin("flood --mix: parsed, refused, and its thresholds");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ASSERT(flood_mix_parse(bad[i], w), "'%s' accepted", bad[i]))
			goto out;
	if (!ASSERT(!flood_mix_parse("syn=70,ack=20,rst=10", w), "syn=70,ack=20,rst=10"))
		goto out;
	flood_mix_cum(w, cum);
	ASSERT_EQ(cum[FLOOD_SYN], (__u64)llround(0.7 * 4294967296.0), "syn threshold");
	ASSERT_EQ(cum[FLOOD_ACK], (__u64)llround(0.9 * 4294967296.0), "ack threshold");
	ASSERT_EQ(cum[FLOOD_RST], 1ULL << 32, "rst threshold (the last weighed)");
	ASSERT_EQ(cum[FLOOD_SYNACK], 1ULL << 32, "synack threshold");
	if (!ASSERT(!flood_mix_parse("synack=3", w), "synack=3"))
		goto out;
	flood_mix_cum(w, cum);
	ASSERT(cum[FLOOD_SYN] == 0 && cum[FLOOD_FIN] == 0 && cum[FLOOD_SYNACK] == 1ULL << 32,
	       "synack only: every draw a SYN-ACK");
	ASSERT_EQ(flood_kind_parse("synack"), FLOOD_SYNACK, "kind synack");
	ASSERT_EQ(flood_kind_parse("mixed"), FLOOD_MIXED, "kind mixed");
	ASSERT_EQ(flood_kind_parse("syn-ack"), -1, "kind syn-ack");
out:
	tl_end();
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-6 * (1 + fabs(b));
}

#define ASSERT_NEAR(a, b, what) \
	ASSERT(near(a, b), "%s: %.9g, want %.9g", what, (double)(a), (double)(b))

/* when() inverts due() wherever the rate is not 0; due() never falls. */
static bool sched_consistent(const struct flood_sched *s, double t_max)
{
	double t, prev = 0, d;

	for (t = 0.001; t <= t_max; t += 0.0137) {
		d = flood_sched_due(s, t);
		if (!ASSERT(d >= prev, "due falls at %.4f", t) ||
		    !ASSERT(flood_sched_when(s, d) <= t + 1e-9, "when(due(%.4f)) later", t))
			return false;
		prev = d;
	}
	return true;
}

static void test_flood_sched(void)
{
	struct flood_sched c = { FLOOD_CONSTANT, 1000, 0, 0, 0, 2 };
	struct flood_sched r = { FLOOD_RAMP, 1000, 2, 0, 0, 0 };
	struct flood_sched p = { FLOOD_PULSE, 1000, 0, 0.2, 0.3, 2 };

	tl_begin("flood schedule: constant, ramp and pulse, due and when, clipped at the end");
	ASSERT_NEAR(flood_sched_due(&c, 0.5), 500, "constant due(0.5)");
	ASSERT_NEAR(flood_sched_due(&c, 3), 2000, "constant due(3) after the end");
	ASSERT_NEAR(flood_sched_when(&c, 500), 0.5, "constant when(500)");
	ASSERT_NEAR(flood_sched_when(&c, 2000), 2, "constant when(2000)");
	ASSERT(isinf(flood_sched_when(&c, 2001)), "constant when(2001): never");
	ASSERT_NEAR(flood_sched_due(&c, -1), 0, "constant due(-1)");

	/* rate(t) = 1000 t / 2: due(t) = 250 t^2 up to 2 s, then 1000 more per second */
	ASSERT_NEAR(flood_sched_due(&r, 1), 250, "ramp due(1)");
	ASSERT_NEAR(flood_sched_due(&r, 2), 1000, "ramp due(2)");
	ASSERT_NEAR(flood_sched_due(&r, 3), 2000, "ramp due(3): at the full rate");
	ASSERT_NEAR(flood_sched_due(&r, 1.5) - flood_sched_due(&r, 1.49), 7.475, "ramp 1.49-1.5");
	ASSERT_NEAR(flood_sched_when(&r, 250), 1, "ramp when(250)");
	ASSERT_NEAR(flood_sched_when(&r, 1), sqrt(0.004), "ramp when(1)");
	ASSERT_NEAR(flood_sched_when(&r, 1500), 2.5, "ramp when(1500)");

	/* 200 ms at 1000/s, 300 ms of nothing: 200 per 500 ms */
	ASSERT_NEAR(flood_sched_due(&p, 0.1), 100, "pulse due(0.1)");
	ASSERT_NEAR(flood_sched_due(&p, 0.2), 200, "pulse due(0.2)");
	ASSERT_NEAR(flood_sched_due(&p, 0.45), 200, "pulse due(0.45): off");
	ASSERT_NEAR(flood_sched_due(&p, 0.6), 300, "pulse due(0.6): on again");
	ASSERT_NEAR(flood_sched_due(&p, 5), 800, "pulse due(5): 4 periods by the end");
	ASSERT_NEAR(flood_sched_when(&p, 200), 0.2, "pulse when(200)");
	ASSERT_NEAR(flood_sched_when(&p, 201), 0.501, "pulse when(201): the next on period");
	ASSERT_NEAR(flood_sched_when(&p, 400), 0.7, "pulse when(400)");
	ASSERT(isinf(flood_sched_when(&p, 801)), "pulse when(801): never");

	ASSERT(sched_consistent(&c, 3), "constant consistent");
	ASSERT(sched_consistent(&r, 4), "ramp consistent");
	ASSERT(sched_consistent(&p, 3), "pulse consistent");
	ASSERT_EQ(flood_pattern_parse("pulse"), FLOOD_PULSE, "pattern pulse");
	ASSERT_EQ(flood_pattern_parse("sine"), -1, "pattern sine");
	tl_end();
}

/* ---- lab ---- */

struct lab_row {
	const char *desc;
	bool ipv6;
	uint8_t l4proto; /* 0: TCP */
	uint8_t flags;
	uint16_t payload;
	uint16_t ethertype; /* non-zero: not IP at all */
	enum lab_stat kind; /* the count program's counter */
	bool reply; /* dropped by count --drop-replies */
	bool lossy; /* a drop program candidate */
};

static const struct lab_row lab_rows[] = {
	{ "SYN", false, 0, PKT_SYN, 0, 0, LAB_S_SYN, true, false },
	{ "SYN v6", true, 0, PKT_SYN, 0, 0, LAB_S_SYN, true, false },
	{ "SYN-ACK", false, 0, PKT_SYN | PKT_ACK, 0, 0, LAB_S_SYNACK, true, false },
	{ "SYN-ACK v6", true, 0, PKT_SYN | PKT_ACK, 0, 0, LAB_S_SYNACK, true, false },
	{ "RST", false, 0, PKT_RST, 0, 0, LAB_S_RST, true, false },
	{ "RST-ACK v6", true, 0, PKT_RST | PKT_ACK, 0, 0, LAB_S_RST, true, false },
	{ "pure ACK", false, 0, PKT_ACK, 0, 0, LAB_S_ACK, false, false },
	{ "pure ACK v6", true, 0, PKT_ACK, 0, 0, LAB_S_ACK, false, false },
	{ "FIN-ACK", false, 0, PKT_FIN | PKT_ACK, 0, 0, LAB_S_FIN, false, true },
	{ "data PSH-ACK", false, 0, PKT_PSH | PKT_ACK, 100, 0, LAB_S_TCP_OTHER, false, true },
	{ "data ACK v6", true, 0, PKT_ACK, 1, 0, LAB_S_TCP_OTHER, false, true },
	{ "UDP", false, PKT_IPPROTO_UDP, 0, 8, 0, LAB_S_NOT_TCP, false, false },
	{ "ARP", false, 0, 0, 28, PKT_ETH_P_ARP, LAB_S_NOT_TCP, false, false },
};

static size_t lab_frame(const struct lab_row *r, uint8_t *buf, size_t cap)
{
	static const uint8_t a4[4] = { 10, 0, 0, 1 }, b4[4] = { 10, 0, 0, 2 };
	static const uint8_t a6[16] = { 0xfd, [15] = 1 }, b6[16] = { 0xfd, [15] = 2 };
	struct pkt_spec s = {};

	memcpy(s.dmac, mac_dst, 6);
	memcpy(s.smac, mac_src, 6);
	s.ethertype = r->ethertype;
	s.ipv6 = r->ipv6;
	s.l4proto = r->l4proto;
	memcpy(s.saddr, r->ipv6 ? a6 : a4, r->ipv6 ? 16 : 4);
	memcpy(s.daddr, r->ipv6 ? b6 : b4, r->ipv6 ? 16 : 4);
	s.sport = 40000;
	s.dport = 80;
	s.seq = 1000;
	s.ack = r->flags & PKT_ACK ? 2000 : 0;
	s.flags = r->flags;
	s.window = 502;
	s.payload_len = r->payload;
	return pkt_build(&s, buf, cap, NULL);
}

/* lossy's settings (lab_load leaves them at the program's defaults for the others) */
struct lossy_cfg {
	uint64_t reorder_threshold;
	uint32_t depth;
	uint64_t hold_ns;
	uint32_t drop_synacks;
};

static int lab_load_cfg(struct lab_bpf **skelp, enum lab_prog prog, bool drop_replies,
			uint64_t threshold, uint64_t seed, const struct lossy_cfg *lc)
{
	struct lab_bpf *skel = lab_bpf__open();
	struct bpf_program *progs[LAB__COUNT];
	int i, err;

	*skelp = skel;
	if (!skel)
		return -errno;
	progs[LAB_REFLECT] = skel->progs.so_lab_reflect;
	progs[LAB_COUNT] = skel->progs.so_lab_count;
	progs[LAB_PASS] = skel->progs.so_lab_pass;
	progs[LAB_DROP] = skel->progs.so_lab_drop;
	progs[LAB_LOSSY] = skel->progs.so_lab_lossy_tx;
	for (i = 0; i < LAB__COUNT; i++)
		bpf_program__set_autoload(progs[i], i == (int)prog);
	bpf_program__set_autoload(skel->progs.so_lab_lossy_rx, prog == LAB_LOSSY);
	skel->rodata->count_drop_replies = drop_replies;
	skel->rodata->drop_threshold = threshold;
	skel->rodata->drop_seed = seed;
	if (lc) {
		skel->rodata->reorder_threshold = lc->reorder_threshold;
		skel->rodata->reorder_depth = lc->depth;
		skel->rodata->hold_ns = lc->hold_ns;
		skel->rodata->drop_synacks = lc->drop_synacks;
	}
	err = lab_bpf__load(skel);
	return err ? err : bpf_program__fd(progs[prog]);
}

static int lab_load(struct lab_bpf **skelp, enum lab_prog prog, bool drop_replies,
		    uint64_t threshold, uint64_t seed)
{
	return lab_load_cfg(skelp, prog, drop_replies, threshold, seed, NULL);
}

static int lab_counters(struct lab_bpf *skel, struct lab_stats *sum)
{
	uint32_t zero = 0;

	return percpu_sum(bpf_map__fd(skel->maps.lab_stats), &zero, sum->c, LAB_S__COUNT);
}

/* One frame through a lab program (out: PKT_MAX bytes): the verdict and what came out. */
static int lab_run(int fd, const uint8_t *in, size_t len, uint8_t *out, uint32_t *out_len,
		   uint32_t *verdict)
{
	struct tr_frame f = { .in = in, .inlen = len, .out = out, .outcap = PKT_MAX };
	int err = tr_frame_run(fd, &f);

	*verdict = f.retval;
	if (out_len)
		*out_len = f.outlen;
	return err;
}

/* One row through count (or count --drop-replies): its verdict and exactly its counters. */
static void test_lab_count(const struct lab_row *r, bool drop_replies)
{
	struct lab_bpf *skel = NULL;
	struct lab_stats got, want = {};
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint32_t verdict, out_len;
	bool drop = drop_replies && r->reply;
	size_t len;
	int fd, k;

	tl_begin("lab count%s: %s", drop_replies ? " --drop-replies" : "", r->desc);
	len = lab_frame(r, in, sizeof(in));
	fd = lab_load(&skel, LAB_COUNT, drop_replies, 0, 0);
	if (!ASSERT(len, "frame did not build") || !ASSERT(fd >= 0, "load: %s", strerror(-fd)))
		goto out;
	if (!ASSERT(!lab_run(fd, in, len, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, drop ? XDP_DROP : XDP_PASS, "verdict"))
		goto out;
	if (!drop && !ASSERT_MEM_EQ(out, in, len, "frame"))
		goto out;
	want.c[LAB_S_RX] = 1;
	want.c[r->kind] = 1;
	want.c[drop ? LAB_S_DROP : LAB_S_PASS] = 1;
	if (!ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	for (k = 0; k < LAB_S__COUNT; k++)
		ASSERT_EQ(got.c[k], want.c[k], lab_stat_names[k]);
out:
	lab_bpf__destroy(skel);
	tl_end();
}

static void test_lab_reflect(void)
{
	struct lab_bpf *skel = NULL;
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint32_t verdict, out_len;
	struct lab_stats got;
	size_t len;
	int fd;

	tl_begin("lab reflect: MACs swapped, the rest untouched, XDP_TX");
	len = lab_frame(&lab_rows[0], in, sizeof(in));
	fd = lab_load(&skel, LAB_REFLECT, false, 0, 0);
	if (!ASSERT(fd >= 0, "load: %s", strerror(-fd)) ||
	    !ASSERT(!lab_run(fd, in, len, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, XDP_TX, "verdict") || !ASSERT_EQ(out_len, len, "length") ||
	    !ASSERT_MEM_EQ(out, in + 6, 6, "destination MAC") ||
	    !ASSERT_MEM_EQ(out + 6, in, 6, "source MAC") ||
	    !ASSERT_MEM_EQ(out + 12, in + 12, len - 12, "rest of the frame") ||
	    !ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	ASSERT_EQ(got.c[LAB_S_RX], 1, "rx");
	ASSERT_EQ(got.c[LAB_S_TX], 1, "tx");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

static void test_lab_pass(void)
{
	struct lab_bpf *skel = NULL;
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint32_t verdict, out_len;
	struct lab_stats got;
	size_t len;
	int fd;

	tl_begin("lab pass: XDP_PASS, frame untouched, counted");
	len = lab_frame(&lab_rows[2], in, sizeof(in));
	fd = lab_load(&skel, LAB_PASS, false, 0, 0);
	if (!ASSERT(fd >= 0, "load: %s", strerror(-fd)) ||
	    !ASSERT(!lab_run(fd, in, len, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, XDP_PASS, "verdict") || !ASSERT_EQ(out_len, len, "length") ||
	    !ASSERT_MEM_EQ(out, in, len, "frame") ||
	    !ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	ASSERT_EQ(got.c[LAB_S_RX], 1, "rx");
	ASSERT_EQ(got.c[LAB_S_PASS], 1, "pass");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

#define DROP_RUNS 2000

/*
 * DROP_RUNS data segments and then one frame of every row through a fresh
 * so_lab_drop; decided[i] is 1 where segment i was dropped. Returns how many
 * were, or -1.
 */
static int drop_run(double percent, uint64_t seed, uint8_t *decided, struct lab_stats *got)
{
	uint64_t threshold = (uint64_t)(percent / 100.0 * 4294967296.0 + 0.5);
	struct lab_bpf *skel = NULL;
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint32_t verdict;
	int fd, n = -1, i;
	size_t len, r;

	fd = lab_load(&skel, LAB_DROP, false, threshold, seed);
	if (!ASSERT(fd >= 0, "load: %s", strerror(-fd)))
		goto out;
	len = lab_frame(&lab_rows[9], in, sizeof(in));
	for (n = 0, i = 0; i < DROP_RUNS; i++) {
		if (!ASSERT(!lab_run(fd, in, len, out, NULL, &verdict), "test run")) {
			n = -1;
			goto out;
		}
		decided[i] = verdict == XDP_DROP;
		n += decided[i];
	}
	/* what is not a candidate always passes */
	for (r = 0; r < sizeof(lab_rows) / sizeof(lab_rows[0]); r++) {
		if (lab_rows[r].lossy)
			continue;
		len = lab_frame(&lab_rows[r], in, sizeof(in));
		if (!ASSERT(!lab_run(fd, in, len, out, NULL, &verdict), "test run") ||
		    !ASSERT(verdict == XDP_PASS, "%s: verdict %u, want XDP_PASS", lab_rows[r].desc,
			    verdict)) {
			n = -1;
			goto out;
		}
	}
	if (!ASSERT(!lab_counters(skel, got), "read lab_stats"))
		n = -1;
out:
	lab_bpf__destroy(skel);
	return n;
}

static void test_lab_drop(void)
{
	static uint8_t a[DROP_RUNS], b[DROP_RUNS], c[DROP_RUNS];
	size_t others = 0, r;
	struct lab_stats got;
	int n;

	for (r = 0; r < sizeof(lab_rows) / sizeof(lab_rows[0]); r++)
		others += !lab_rows[r].lossy;

	tl_begin("lab drop --percent 0: nothing dropped");
	n = drop_run(0, 1, a, &got);
	ASSERT_EQ(n, 0, "dropped");
	tl_end();

	tl_begin("lab drop --percent 100: every data/FIN segment, nothing else");
	n = drop_run(100, 1, a, &got);
	if (ASSERT_EQ(n, DROP_RUNS, "dropped")) {
		ASSERT_EQ(got.c[LAB_S_RX], DROP_RUNS + others, "rx");
		ASSERT_EQ(got.c[LAB_S_LOSSY], DROP_RUNS, "lossy");
		ASSERT_EQ(got.c[LAB_S_DROP], DROP_RUNS, "drop");
		ASSERT_EQ(got.c[LAB_S_PASS], others, "pass");
	}
	tl_end();

	/* 1.5% of 2000 is 30; the bounds are far outside any plausible binomial draw */
	tl_begin("lab drop --percent 1.5: about 30 of 2000, the same for the same seed");
	n = drop_run(1.5, 42, a, &got);
	ASSERT(n >= 10 && n <= 55, "dropped %d of %d", n, DROP_RUNS);
	n = drop_run(1.5, 42, b, &got);
	ASSERT(n >= 0 && !memcmp(a, b, DROP_RUNS), "same seed, other drops");
	n = drop_run(1.5, 43, c, &got);
	ASSERT(n >= 0 && memcmp(a, c, DROP_RUNS), "another seed, the same drops");
	tl_end();

	tl_begin("lab drop --percent 50: about half");
	n = drop_run(50, 7, a, &got);
	ASSERT(n >= 900 && n <= 1100, "dropped %d of %d", n, DROP_RUNS);
	tl_end();
}

/* ---- lab lossy (TC) ---- */

#define LOSSY_FULL 4294967296ULL /* a threshold that every draw is below */

/* A TCP frame of flow (sport) with seq and payload bytes; flags PKT_*. */
static size_t lossy_frame(bool ipv6, uint16_t sport, uint32_t seq, uint8_t flags, uint16_t payload,
			  uint8_t *buf)
{
	struct lab_row r = { "", ipv6, 0, flags, payload, 0, LAB_S_TCP_OTHER, false, false };
	size_t len = lab_frame(&r, buf, PKT_MAX);

	/* lab_frame's ports and seq, made this frame's own */
	if (len) {
		size_t l4 = 14 + (ipv6 ? 40 : 20);

		pkt_put16(buf + l4, sport);
		buf[l4 + 4] = seq >> 24;
		buf[l4 + 5] = seq >> 16;
		buf[l4 + 6] = seq >> 8;
		buf[l4 + 7] = seq;
	}
	return len;
}

/* One frame through a lossy program: the verdict and what came out. */
static int lossy_run(int fd, const uint8_t *in, size_t len, uint32_t mark, uint8_t *out,
		     uint32_t *out_len, uint32_t *verdict)
{
	struct __sk_buff ctx = { .mark = mark };
	struct tr_frame f = { .in = in,
			      .inlen = len,
			      .out = out,
			      .outcap = PKT_MAX,
			      .ctx = &ctx,
			      .ctx_size = sizeof(ctx) };
	int err = tr_frame_run(fd, &f);

	*verdict = f.retval;
	*out_len = f.outlen;
	return err;
}

/* The clones go to the device the frame came from: under BPF_PROG_TEST_RUN
 * that is the loopback device of our namespace, so give us one of our own, up. */
static bool lossy_netns(void)
{
	int err;

	tl_begin("lab lossy: a network namespace of our own for the clones");
	err = netns_lo_up();
	ASSERT(!err, "network namespace with lo up: %s", strerror(-err));
	return tl_end();
}

static int lossy_load(struct lab_bpf **skel, uint64_t drop, uint64_t reorder, uint32_t depth,
		      uint64_t hold_ns, uint32_t synacks, uint64_t seed, int fds[2])
{
	struct lossy_cfg lc = { reorder, depth, hold_ns, synacks };
	int fd = lab_load_cfg(skel, LAB_LOSSY, false, drop, seed, &lc);

	if (fd < 0)
		return fd;
	fds[LAB_DIR_OUT] = bpf_program__fd((*skel)->progs.so_lab_lossy_tx);
	fds[LAB_DIR_IN] = bpf_program__fd((*skel)->progs.so_lab_lossy_rx);
	return 0;
}

static void test_lossy_drop(void)
{
	static const char *const dirs[2] = { "egress", "ingress" };
	static const enum lab_stat segs_c[2] = { LAB_S_OUT_SEGS, LAB_S_IN_SEGS };
	static const enum lab_stat drop_c[2] = { LAB_S_OUT_DROP, LAB_S_IN_DROP };
	struct lab_bpf *skel = NULL;
	uint8_t in[PKT_MAX], out[PKT_MAX];
	uint32_t verdict, out_len;
	struct lab_stats got;
	int fds[2], dir, i, err;
	size_t len;

	tl_begin("lab lossy --drop-percent 100: data and FIN dropped both ways, the rest passes");
	err = lossy_load(&skel, LOSSY_FULL, 0, 3, 50000000, 0, 1, fds);
	if (!ASSERT(!err, "load: %s", strerror(-err)))
		goto out;
	for (dir = 0; dir < 2; dir++) {
		for (i = 0; i < (int)(sizeof(lab_rows) / sizeof(lab_rows[0])); i++) {
			len = lab_frame(&lab_rows[i], in, sizeof(in));
			if (!ASSERT(!lossy_run(fds[dir], in, len, 0, out, &out_len, &verdict),
				    "test run") ||
			    !ASSERT(verdict == (lab_rows[i].lossy ? TC_ACT_STOLEN : TC_ACT_OK),
				    "%s %s: verdict %u", dirs[dir], lab_rows[i].desc, verdict))
				goto out;
			if (verdict == TC_ACT_OK && !ASSERT_MEM_EQ(out, in, len, "frame untouched"))
				goto out;
		}
	}
	if (!ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	for (dir = 0; dir < 2; dir++) {
		ASSERT_EQ(got.c[segs_c[dir]], 3, lab_stat_names[segs_c[dir]]);
		ASSERT_EQ(got.c[drop_c[dir]], 3, lab_stat_names[drop_c[dir]]);
	}
	ASSERT_EQ(got.c[LAB_S_RX], 2 * sizeof(lab_rows) / sizeof(lab_rows[0]), "rx");
	ASSERT_EQ(got.c[LAB_S_OUT_HELD] + got.c[LAB_S_IN_HELD], 0, "held");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

static int held_read(struct lab_bpf *skel, int dir, struct lab_held *h)
{
	uint32_t key = dir;

	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.lab_held), &key, h);
}

/*
 * --reorder-percent 100 --reorder-depth 3: the first data segment is held,
 * three later ones of its flow pass (a segment of another flow and a pure ACK
 * of its own do not count), and with the third the held one comes out.
 */
static void test_lossy_reorder(bool ingress)
{
	int dir = ingress ? LAB_DIR_IN : LAB_DIR_OUT;
	enum lab_stat held_c = ingress ? LAB_S_IN_HELD : LAB_S_OUT_HELD;
	enum lab_stat reord_c = ingress ? LAB_S_IN_REORDERED : LAB_S_OUT_REORDERED;
	static uint8_t first[PKT_MAX], in[PKT_MAX], out[PKT_MAX];
	static struct lab_held h;
	struct lab_bpf *skel = NULL;
	uint32_t verdict, out_len;
	struct lab_stats got;
	size_t flen, len;
	int fds[2], i, err;

	tl_begin("lab lossy %s --reorder-percent 100 --reorder-depth 3: held, out behind 3",
		 ingress ? "ingress" : "egress");
	err = lossy_load(&skel, 0, LOSSY_FULL, 3, 60ULL * 1000000000ULL, 0, 1, fds);
	if (!ASSERT(!err, "load: %s", strerror(-err)))
		goto out;
	/* the held one is longer than the last carrier, shorter than the others */
	flen = lossy_frame(false, 40000, 1000, PKT_ACK | PKT_PSH, 700, first);
	if (!ASSERT(!lossy_run(fds[dir], first, flen, 0, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_STOLEN, "first data segment held (verdict)") ||
	    !ASSERT(!held_read(skel, dir, &h), "read lab_held") ||
	    !ASSERT_EQ(h.state, LAB_HELD_FULL, "held state") ||
	    !ASSERT_EQ(h.len, flen, "held len") ||
	    !ASSERT_MEM_EQ(h.buf, first, flen, "held frame") || !ASSERT_EQ(h.left, 3, "left"))
		goto out;
	/* another flow's data and our own pure ACK pass and do not count (both could be held:
	 * the slot is taken) */
	len = lossy_frame(false, 40001, 5000, PKT_ACK, 1000, in);
	if (!ASSERT(!lossy_run(fds[dir], in, len, 0, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "other flow's data verdict") ||
	    !ASSERT_MEM_EQ(out, in, len, "other flow's data untouched"))
		goto out;
	len = lossy_frame(false, 40000, 1700, PKT_ACK, 0, in);
	if (!ASSERT(!lossy_run(fds[dir], in, len, 0, out, &out_len, &verdict), "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "pure ACK verdict"))
		goto out;
	for (i = 0; i < 3; i++) {
		uint16_t pl = i < 2 ? 1000 : 300;

		len = lossy_frame(false, 40000, 1700 + i * 1000, PKT_ACK, pl, in);
		if (!ASSERT(!lossy_run(fds[dir], in, len, 0, out, &out_len, &verdict),
			    "test run") ||
		    !ASSERT(verdict == TC_ACT_OK, "later segment %d: verdict %u", i + 1, verdict))
			goto out;
		if (i < 2) {
			if (!ASSERT_EQ(out_len, len, "later segment length") ||
			    !ASSERT_MEM_EQ(out, in, len, "later segment untouched"))
				goto out;
			continue;
		}
		/* egress: the carrier went out as a clone, the frame itself is now the held
		 * one; ingress: the held one went to the backlog, the frame is itself again */
		if (ingress) {
			if (!ASSERT_EQ(out_len, len, "carrier length") ||
			    !ASSERT_MEM_EQ(out, in, len, "carrier restored"))
				goto out;
		} else if (!ASSERT_EQ(out_len, flen, "released length") ||
			   !ASSERT_MEM_EQ(out, first, flen, "released frame is the held one")) {
			goto out;
		}
	}
	if (!ASSERT(!held_read(skel, dir, &h), "read lab_held") ||
	    !ASSERT_EQ(h.state, LAB_HELD_EMPTY, "slot empty again") ||
	    !ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	ASSERT_EQ(got.c[held_c], 1, lab_stat_names[held_c]);
	ASSERT_EQ(got.c[reord_c], 1, lab_stat_names[reord_c]);
	ASSERT_EQ(got.c[LAB_S_OUT_LATE] + got.c[LAB_S_IN_LATE], 0, "late");
	ASSERT_EQ(got.c[LAB_S_RELEASE_ERR], 0, "release_err");
	/* our clone, seen again: passed untouched, not counted */
	if (!ASSERT(!lossy_run(fds[dir], first, flen, LAB_TC_MARK, out, &out_len, &verdict),
		    "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "marked clone verdict") ||
	    !ASSERT_MEM_EQ(out, first, flen, "marked clone untouched") ||
	    !ASSERT(!held_read(skel, dir, &h), "read lab_held") ||
	    !ASSERT_EQ(h.state, LAB_HELD_EMPTY, "a marked clone is never held"))
		goto out;
	ASSERT(!lab_counters(skel, &got), "read lab_stats");
	ASSERT_EQ(got.c[held_c], 1, "marked clone not counted");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

/* After the hold timeout the next frame of the direction and family carries it out. */
static void test_lossy_timeout(void)
{
	static uint8_t first[PKT_MAX], in[PKT_MAX], out[PKT_MAX];
	struct lab_bpf *skel = NULL;
	uint32_t verdict, out_len;
	struct lab_stats got;
	size_t flen, len;
	int fds[2], err;

	tl_begin("lab lossy egress: the hold timeout releases on any frame of the family");
	err = lossy_load(&skel, 0, LOSSY_FULL, 3, 1, 0, 1, fds);
	if (!ASSERT(!err, "load: %s", strerror(-err)))
		goto out;
	flen = lossy_frame(false, 40000, 1000, PKT_ACK, 500, first);
	if (!ASSERT(!lossy_run(fds[LAB_DIR_OUT], first, flen, 0, out, &out_len, &verdict),
		    "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_STOLEN, "held"))
		goto out;
	/* IPv6 cannot carry an IPv4 frame (checksum offsets): passes, nothing released */
	len = lossy_frame(true, 50000, 1, PKT_ACK, 0, in);
	if (!ASSERT(!lossy_run(fds[LAB_DIR_OUT], in, len, 0, out, &out_len, &verdict),
		    "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "IPv6 ACK verdict") ||
	    !ASSERT_MEM_EQ(out, in, len, "IPv6 ACK untouched"))
		goto out;
	/* a pure ACK of another IPv4 flow */
	len = lossy_frame(false, 40002, 1, PKT_ACK, 0, in);
	if (!ASSERT(!lossy_run(fds[LAB_DIR_OUT], in, len, 0, out, &out_len, &verdict),
		    "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "carrier verdict") ||
	    !ASSERT_EQ(out_len, flen, "released length") ||
	    !ASSERT_MEM_EQ(out, first, flen, "released frame") ||
	    !ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	ASSERT_EQ(got.c[LAB_S_OUT_LATE], 1, "out_late");
	ASSERT_EQ(got.c[LAB_S_OUT_REORDERED], 0, "out_reordered");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

static void test_lossy_synacks(void)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	struct lab_bpf *skel = NULL;
	uint32_t verdict, out_len;
	struct lab_stats got;
	int fds[2], err, i;
	size_t len;

	tl_begin("lab lossy --drop-synacks 2: the first two SYN-ACKs in, none out");
	err = lossy_load(&skel, 0, 0, 3, 50000000, 2, 1, fds);
	if (!ASSERT(!err, "load: %s", strerror(-err)))
		goto out;
	len = lossy_frame(false, 7, 1000, PKT_SYN | PKT_ACK, 0, in);
	for (i = 0; i < 3; i++)
		if (!ASSERT(!lossy_run(fds[LAB_DIR_IN], in, len, 0, out, &out_len, &verdict),
			    "test run") ||
		    !ASSERT(verdict == (i < 2 ? TC_ACT_STOLEN : TC_ACT_OK),
			    "ingress SYN-ACK %d: verdict %u", i + 1, verdict))
			goto out;
	if (!ASSERT(!lossy_run(fds[LAB_DIR_OUT], in, len, 0, out, &out_len, &verdict),
		    "test run") ||
	    !ASSERT_EQ(verdict, TC_ACT_OK, "egress SYN-ACK verdict") ||
	    !ASSERT(!lab_counters(skel, &got), "read lab_stats"))
		goto out;
	ASSERT_EQ(got.c[LAB_S_SYNACK_DROP], 2, "synack_drop");
out:
	lab_bpf__destroy(skel);
	tl_end();
}

/* Drops and holds of 2000 segments of one flow: a bitmap per run. */
static int lossy_pattern(uint64_t seed, uint8_t *decided)
{
	static uint8_t in[PKT_MAX], out[PKT_MAX];
	struct lab_bpf *skel = NULL;
	uint32_t verdict, out_len;
	int fds[2], i, n = -1;
	size_t len;

	/* 10% drops, 10% holds, released behind 3 */
	if (lossy_load(&skel, LOSSY_FULL / 10, LOSSY_FULL / 10, 3, 60ULL * 1000000000ULL, 0, seed,
		       fds))
		goto out;
	for (n = 0, i = 0; i < DROP_RUNS; i++) {
		len = lossy_frame(false, 40000, 1000 + i * 100, PKT_ACK, 100, in);
		if (lossy_run(fds[LAB_DIR_OUT], in, len, 0, out, &out_len, &verdict)) {
			n = -1;
			goto out;
		}
		decided[i] = verdict == TC_ACT_STOLEN;
		n += decided[i];
	}
out:
	lab_bpf__destroy(skel);
	return n;
}

static void test_lossy_seed(void)
{
	static uint8_t a[DROP_RUNS], b[DROP_RUNS], c[DROP_RUNS];
	int n;

	tl_begin("lab lossy: the same seed, the same drops and holds; another seed, others");
	n = lossy_pattern(42, a);
	/* about 10% dropped plus about 10% of the rest held while the slot is free */
	ASSERT(n >= 200 && n <= 500, "dropped or held %d of %d", n, DROP_RUNS);
	n = lossy_pattern(42, b);
	ASSERT(n >= 0 && !memcmp(a, b, DROP_RUNS), "same seed, other decisions");
	n = lossy_pattern(43, c);
	ASSERT(n >= 0 && memcmp(a, c, DROP_RUNS), "another seed, the same decisions");
	tl_end();
}

int main(void)
{
	cpu_set_t set;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(tr_libbpf_print);
	if (geteuid()) {
		tl_begin("test_flood");
		tl_skip("needs root to load BPF programs");
		tl_end();
		return tl_summary();
	}
	/* so_lab_drop keeps one random stream per CPU: stay on one to compare runs */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);

	for (i = 0; i < sizeof(flood_cases) / sizeof(flood_cases[0]); i++)
		test_flood(&flood_cases[i]);
	test_flood_seed(false);
	test_flood_seed(true);
	test_flood_pool_draw();
	test_flood_pool(false, false);
	test_flood_pool(true, false);
	test_flood_pool(false, true);
	test_flood_mix(false);
	test_flood_mix(true);
	test_flood_mix_parse();
	test_flood_sched();
	for (i = 0; i < sizeof(lab_rows) / sizeof(lab_rows[0]); i++)
		test_lab_count(&lab_rows[i], false);
	for (i = 0; i < sizeof(lab_rows) / sizeof(lab_rows[0]); i++)
		test_lab_count(&lab_rows[i], true);
	test_lab_reflect();
	test_lab_pass();
	test_lab_drop();
	if (lossy_netns()) {
		test_lossy_drop();
		test_lossy_reorder(false);
		test_lossy_reorder(true);
		test_lossy_timeout();
		test_lossy_synacks();
		test_lossy_seed();
	}
	return tl_summary();
}
