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
 *
 * lab: a fixture table of frames with the verdict and counter each program
 * must produce, the reflector's MAC swap, and the drop program's rate and
 * determinism per seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/flood.h>
#include <shakeoff/lab.h>
#include "flood.skel.h"
#include "lab.skel.h"

#include "pkt.h"
#include "testlib.h"

#define FLOOD_RUNS 200

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static int ncpu;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

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
	default:
		return PKT_FIN | PKT_ACK;
	}
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

static int flood_load(const struct flood_case *c, const uint8_t *base, const uint8_t *dst,
		      struct flood_bpf **skelp)
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
	err = flood_bpf__load(skel);
	return err ? err : bpf_program__fd(skel->progs.so_flood);
}

/* One output frame of case c, the run-th of the sequence. */
static bool flood_frame_ok(const struct flood_case *c, const uint8_t *base, const uint8_t *dst,
			   const uint8_t *buf, size_t len, unsigned int run)
{
	size_t tcp_len = flood_tcp_len(c->kind), alen = c->ipv6 ? 16 : 4;
	struct pkt_tcpopts o;
	struct pkt_view v;
	const char *why;
	uint16_t sport;

	why = pkt_parse(buf, len, &v);
	if (!ASSERT(!why, "run %u: not a TCP/IP frame: %s", run, why))
		return false;
	if (!ASSERT_EQ(len, flood_frame_len(c->ipv6, c->kind), "frame length") ||
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
	    !ASSERT_EQ(v.tcp->flags, kind_flags(c->kind), "flags") ||
	    !ASSERT_EQ(v.tcp->urg, 0, "urgent pointer") ||
	    !ASSERT_EQ(ntohs(v.tcp->check), pkt_tcp_csum_want(&v), "TCP checksum"))
		return false;
	if ((c->kind == FLOOD_SYN || c->kind == FLOOD_RST) && !ASSERT_EQ(v.tcp->ack, 0, "ack"))
		return false;
	if (c->kind == FLOOD_SYN) {
		static const uint8_t order[] = { 2, 4, 5, 1, 1, 3, 3, 7 };

		pkt_tcp_opts(&v, &o);
		if (!ASSERT(!o.malformed && !o.other && !o.dup, "SYN options malformed") ||
		    !ASSERT(o.mss && o.sack && o.ts && o.ws, "SYN options missing") ||
		    !ASSERT_EQ(o.mss_val, c->ipv6 ? 1440 : 1460, "MSS") ||
		    !ASSERT_EQ(o.ws_val, 7, "window scale") || !ASSERT_EQ(o.tsecr, 0, "TSecr") ||
		    !ASSERT_EQ(ntohs(v.tcp->window), c->ipv6 ? 64800 : 64240, "SYN window"))
			return false;
		/* Linux's order: MSS, SACK_PERM, TS, NOP, WS */
		if (!ASSERT_MEM_EQ(v.buf + v.l4_off + 20, order, 2, "MSS first") ||
		    !ASSERT_EQ(v.buf[v.l4_off + 24], 4, "SACK_PERM second") ||
		    !ASSERT_EQ(v.buf[v.l4_off + 26], 8, "TS third") ||
		    !ASSERT_MEM_EQ(v.buf + v.l4_off + 36, order + 4, 4, "NOP, WS last"))
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

static void fill_garbage(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 29 + 0x5a);
}

static void flood_counters(struct flood_bpf *skel, uint64_t *tx, uint64_t *shorts)
{
	struct flood_state vals[ncpu];
	uint32_t zero = 0;
	int cpu;

	*tx = *shorts = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.flood_state), &zero, vals))
		return;
	for (cpu = 0; cpu < ncpu; cpu++) {
		*tx += vals[cpu].tx;
		*shorts += vals[cpu].short_frame;
	}
}

static void test_flood(const struct flood_case *c)
{
	uint8_t base[16] = {}, dst[16] = {}, in[128], out[256];
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

	for (run = 0; run < FLOOD_RUNS; run++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = flen,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		fill_garbage(in, flen, run);
		err = bpf_prog_test_run_opts(fd, &opts);
		if (!ASSERT(!err, "test run: %s", strerror(-err)) ||
		    !ASSERT_EQ(opts.retval, XDP_TX, "verdict"))
			goto out;
		if (!flood_frame_ok(c, base, dst, out, opts.data_size_out, run)) {
			tl_hexdump("input", in, flen);
			tl_hexdump("output", out, opts.data_size_out);
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
	{
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = flen - 1,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		err = bpf_prog_test_run_opts(fd, &opts);
		if (!ASSERT(!err, "short run: %s", strerror(-err)) ||
		    !ASSERT_EQ(opts.retval, XDP_ABORTED, "short frame verdict"))
			goto out;
	}
	flood_counters(skel, &tx, &shorts);
	ASSERT_EQ(tx, FLOOD_RUNS, "tx counter");
	ASSERT_EQ(shorts, 1, "short_frame counter");
out:
	flood_bpf__destroy(skel);
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

static int lab_load(struct lab_bpf **skelp, enum lab_prog prog, bool drop_replies,
		    uint64_t threshold, uint64_t seed)
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
	for (i = 0; i < LAB__COUNT; i++)
		bpf_program__set_autoload(progs[i], i == (int)prog);
	skel->rodata->count_drop_replies = drop_replies;
	skel->rodata->drop_threshold = threshold;
	skel->rodata->drop_seed = seed;
	err = lab_bpf__load(skel);
	return err ? err : bpf_program__fd(progs[prog]);
}

static int lab_counters(struct lab_bpf *skel, struct lab_stats *sum)
{
	struct lab_stats vals[ncpu];
	uint32_t zero = 0;
	int cpu, k, err;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.lab_stats), &zero, vals);
	for (cpu = 0; !err && cpu < ncpu; cpu++)
		for (k = 0; k < LAB_S__COUNT; k++)
			sum->c[k] += vals[cpu].c[k];
	return err;
}

static int lab_run(int fd, const uint8_t *in, size_t len, uint8_t *out, uint32_t *out_len,
		   uint32_t *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = PKT_MAX, .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &opts);

	*verdict = opts.retval;
	if (out_len)
		*out_len = opts.data_size_out;
	return err;
}

static const char *const lab_stat_names[LAB_S__COUNT] = {
#define LAB_STAT_NAME(id, name, progs, help) [LAB_S_##id] = name,
	LAB_STATS(LAB_STAT_NAME)
#undef LAB_STAT_NAME
};

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

int main(void)
{
	cpu_set_t set;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	if (geteuid()) {
		printf("test_flood needs root to load BPF programs\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	/* so_lab_drop keeps one random stream per CPU: stay on one to compare runs */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "Failed to count possible CPUs: %s\n", strerror(-ncpu));
		return 1;
	}

	for (i = 0; i < sizeof(flood_cases) / sizeof(flood_cases[0]); i++)
		test_flood(&flood_cases[i]);
	for (i = 0; i < sizeof(lab_rows) / sizeof(lab_rows[0]); i++)
		test_lab_count(&lab_rows[i], false);
	for (i = 0; i < sizeof(lab_rows) / sizeof(lab_rows[0]); i++)
		test_lab_count(&lab_rows[i], true);
	test_lab_reflect();
	test_lab_pass();
	test_lab_drop();
	return tl_summary();
}
