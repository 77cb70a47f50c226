// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF fuzzer: frames through the real so_guard_xdp, so_guard_tc and
 * so_serve_xdp with BPF_PROG_TEST_RUN, as `shakeoff guard` and `shakeoff
 * serve` configured them (fz_target.c), every verdict checked against
 * invariants that hold whatever the frame (see check_run()). serve's flow
 * table lives across the run, so sequences on a tuple explore its states.
 *
 *   bpf_fuzz [--seconds S | --frames N] [--seed N] [--replay FILE]...
 *            [--regress FILE]... [--shakeoff PATH] [-v]
 *
 * A violation prints the frame (and for a sequence the frames before it on
 * its tuple) as replay lines, "TARGET HEX", which --replay runs again. The
 * last line is "N passed, N failed": frames without and with a violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/cookie.h>
#include <shakeoff/guard_stats.h>
#include <shakeoff/serve_abi.h>
#include <shakeoff/tcp_wire.h>

#include "fz.h"

#define TCX_NEXT (-1)
#define TCX_PASS 0
#define TCX_REDIRECT \
	7 /* TC_ACT_REDIRECT: guard's tc_requeue, a second segment of a handoff in flight */
#define STATS_MAX 64
/* The most a reply may outgrow its input: a SYN-ACK's options over a bare SYN. */
#define REPLY_GROWTH_MAX (4 * TCP_SYNACK_OPT_WORDS)
/* A blind forgery passes the cookie check with probability 2^-COOKIE_HASH_BITS. */
#define COOKIE_HASH_BITS (32 - COOKIE_HASH_SHIFT)

enum group {
	G_RUN, /* the test run itself worked */
	G_VERDICT, /* never XDP_ABORTED, a known verdict */
	G_COUNT, /* exactly one counter, by exactly one */
	G_UNTOUCHED, /* a frame not sent back is not changed */
	G_REPLY, /* a reply is a well-formed frame to the sender, checksums right */
	G_SIZE, /* reply <= input + REPLY_GROWTH_MAX */
	G_FLAGS, /* SYN-ACK only for a plain SYN; RSTs as RFC 793/5961 say */
	G_SILENCE, /* no reply where none may be sent */
	G_COOKIE, /* forged ACKs accepted at no more than the design rate */
	G_FLOWS, /* serve's flow table: valid states, half-open count */
	G__COUNT,
};

static const char *const group_names[G__COUNT] = {
	"run",	"verdict", "count",   "untouched", "reply",
	"size", "flags",   "silence", "cookie",	   "flows",
};

/* Cookies we saw in SYN-ACKs, as fingerprints of the ACKs answering them. */
struct legit_ent {
	uint64_t fp; /* 0: a free slot */
	uint64_t ns; /* when the SYN-ACK was last seen */
};

struct legit_gen {
	struct legit_ent *e;
	uint32_t n, cap; /* cap a power of 2 */
};

static struct {
	struct fz_target t[FZ__TARGETS];
	struct fz_gen gen;
	int flows_fd, halfopen_fd, serve_pid;
	int ncpu;
	__u64 passed[G__COUNT], failed[G__COUNT];
	__u64 frames, frames_bad, not_run, replies;
	__u64 verdicts[FZ__TARGETS][8];
	__u64 kinds[FZ__KINDS];
	__u64 forged_tries, forged_accepted;
	unsigned int printed;
	bool verbose;
	/* guard's and serve's counters after the last run (the maps move only with our runs) */
	__u64 cache[2][STATS_MAX];
	bool cached[2];
	struct legit_gen legit[2]; /* this generation and the last (legit_rotate()) */
	uint64_t legit_since; /* when legit[0] was started */
} fz;

/*
 * How long the ACK of a SYN-ACK we saw may carry a valid cookie: a cookie is
 * checked under the key of the slot its parity bit names, the current one or
 * the one before (cookie_slot()), so it dies at the end of the slot after the
 * one it was made in, at most 2 slots after it was sent. A second more for
 * bpf_ktime_get_coarse_ns() against our clock.
 */
#define LEGIT_KEEP_NS (2 * (1ULL << GUARD_SLOT_SHIFT) + 1000000000ULL)
#define LEGIT_CAP0 (1u << 16)

/* ---------------------------------------------------------------- helpers */

static void hex_line(const char *target, const uint8_t *d, size_t len)
{
	size_t i;

	printf("  replay: %s ", target);
	for (i = 0; i < len; i++)
		printf("%02x", d[i]);
	printf("\n");
}

/* The frame of the current check, for violation reports. */
static struct {
	const struct fz_target *t;
	const uint8_t *in;
	size_t inlen;
	const uint8_t *out;
	size_t outlen;
	const struct fz_made *m;
	bool bad;
} cur;

static __attribute__((format(printf, 2, 3))) void violation(enum group g, const char *fmt, ...)
{
	va_list ap;

	fz.failed[g]++;
	if (cur.bad)
		return; /* one report per frame: its first violation */
	cur.bad = true;
	if (fz.printed++ >= 20)
		return;
	printf("VIOLATION [%s] %s: ", group_names[g], cur.t ? cur.t->name : "-");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (cur.m && cur.m->kind == FZ_KIND_SEQ) {
		const struct fz_flow *f = &fz.gen.flows[cur.m->flow];
		unsigned int n = f->nhist < 8 ? f->nhist : 8, i;

		printf("  (frame %u of a sequence on its tuple; the earlier ones first)\n", n);
		for (i = f->nhist - n; i + 1 < f->nhist; i++)
			hex_line(fz.t[f->hist_target[i % 8]].name, f->hist[i % 8],
				 f->hist_len[i % 8]);
	}
	hex_line(cur.t ? cur.t->name : "-", cur.in, cur.inlen);
	if (cur.out && cur.outlen) {
		size_t i;

		printf("  output: ");
		for (i = 0; i < cur.outlen; i++)
			printf("%02x", cur.out[i]);
		printf("\n");
	}
	fflush(stdout);
}

static void pass(enum group g)
{
	fz.passed[g]++;
}

#define CHECK(g, cond, ...)                        \
	do {                                       \
		if (cond)                          \
			pass(g);                   \
		else                               \
			violation(g, __VA_ARGS__); \
	} while (0)

static int stats_read(const struct fz_target *t, __u64 *sum)
{
	__u64 vals[STATS_MAX * 16];
	__u32 keys[STATS_MAX], count = t->nstats, out_batch, i;
	int c, err;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	if (fz.ncpu > 16)
		return -E2BIG;
	err = bpf_map_lookup_batch(t->stats_fd, NULL, &out_batch, keys, vals, &count, &o);
	if (err && errno != ENOENT)
		return -errno;
	if (count != t->nstats)
		return -EIO;
	memset(sum, 0, sizeof(*sum) * STATS_MAX);
	for (i = 0; i < count; i++)
		for (c = 0; c < fz.ncpu; c++)
			sum[keys[i]] += vals[i * (unsigned int)fz.ncpu + (unsigned int)c];
	return 0;
}

static uint64_t fingerprint(const struct fz_pkt *p, uint32_t seq, uint32_t ack)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t b[44];
	size_t i;

	memcpy(b, p->saddr, 16);
	memcpy(b + 16, p->daddr, 16);
	memcpy(b + 32, &p->sport, 2);
	memcpy(b + 34, &p->dport, 2);
	memcpy(b + 36, &seq, 4);
	memcpy(b + 40, &ack, 4);
	for (i = 0; i < sizeof(b); i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h | 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct legit_ent *legit_slot(const struct legit_gen *g, uint64_t fp)
{
	uint32_t i = (uint32_t)fp & (g->cap - 1);

	while (g->e[i].fp && g->e[i].fp != fp)
		i = (i + 1) & (g->cap - 1);
	return &g->e[i];
}

static void legit_grow(struct legit_gen *g)
{
	struct legit_gen n = { .cap = g->cap ? g->cap * 2 : LEGIT_CAP0 };
	uint32_t i;

	n.e = calloc(n.cap, sizeof(*n.e));
	if (!n.e) {
		perror("fuzz: legit set");
		exit(1);
	}
	for (i = 0; i < g->cap; i++)
		if (g->e[i].fp) {
			*legit_slot(&n, g->e[i].fp) = g->e[i];
			n.n++;
		}
	free(g->e);
	*g = n;
}

/*
 * The set of SYN-ACKs seen must not forget one while its ACK may still pass
 * a cookie check: forgotten, a replayed or mutated ACK of a real handshake
 * (sequences and the mutation pool send them again for a long time) would
 * count as a forgery that passed. The set used to be cleared when 3/4 full
 * (~786 000 SYN-ACKs seen, every ~9 M frames): the flows of the sequence pool
 * and the pooled ACKs then made ~90 "forged" ACKs accepted per clearing (505
 * in a 50 M-frame run, none in 1 M). Now two generations of LEGIT_KEEP_NS
 * each, growing as needed: an entry lives at least LEGIT_KEEP_NS, and counts
 * as legit only that long, so an ACK accepted after its cookie expired is a
 * forgery again.
 */
static void legit_rotate(uint64_t now)
{
	if (!fz.legit[0].cap)
		legit_grow(&fz.legit[0]);
	if (!fz.legit[1].cap)
		legit_grow(&fz.legit[1]);
	if (!fz.legit_since)
		fz.legit_since = now;
	if (now - fz.legit_since < LEGIT_KEEP_NS)
		return;
	free(fz.legit[1].e);
	fz.legit[1] = fz.legit[0];
	memset(&fz.legit[0], 0, sizeof(fz.legit[0]));
	legit_grow(&fz.legit[0]);
	fz.legit_since = now;
}

static void legit_add(uint64_t fp)
{
	uint64_t now = mono_ns();
	struct legit_ent *e;

	legit_rotate(now);
	if ((fz.legit[0].n + 1) * 4ULL > fz.legit[0].cap * 3ULL)
		legit_grow(&fz.legit[0]);
	e = legit_slot(&fz.legit[0], fp);
	if (!e->fp)
		fz.legit[0].n++;
	e->fp = fp;
	e->ns = now;
}

static bool legit_has(uint64_t fp)
{
	uint64_t now = mono_ns();
	int g;

	legit_rotate(now);
	for (g = 0; g < 2; g++) {
		const struct legit_ent *e = legit_slot(&fz.legit[g], fp);

		if (e->fp)
			return now - e->ns <= LEGIT_KEEP_NS;
	}
	return false;
}

/* ---------------------------------------------------------------- reply checks */

static bool group_mac(const uint8_t *m)
{
	return m[0] & 1;
}

static bool zero_mac(const uint8_t *m)
{
	static const uint8_t z[6];

	return !memcmp(m, z, 6);
}

static const char other_mac[] = "the frame is for another host's MAC";

/* Why no reply may answer p, or NULL if one may. */
static const char *reply_forbidden(const struct fz_pkt *p, const struct fz_target *t)
{
	if (group_mac(p->smac) || zero_mac(p->smac))
		return "the source MAC is a group or zero address";
	if (group_mac(p->dmac))
		return "the destination MAC is a group address";
	if (memcmp(p->dmac, t->ifc->mac, 6))
		return other_mac;
	if (p->nvlan > 2)
		return "more than 2 VLAN tags";
	if (!p->ipv)
		return "no whole IP header";
	if (p->ip_len_beyond)
		return "the IP length is beyond the frame";
	if (p->ipv == 4 && !p->ip4_csum_ok)
		return "a bad IPv4 header checksum";
	if (p->srcroute)
		return "an LSRR/SSRR option";
	if (p->frag)
		return "an IP fragment";
	if (p->ip6_ext_bad)
		return "an IPv6 routing/fragment/unknown extension header";
	if (!p->tcp)
		return "no whole TCP header";
	if (!p->tcp_csum_ok && !p->tcp_csum_partial)
		return "a bad TCP checksum";
	if (fz_src_martian(p))
		return "a martian source address";
	if (!p->sport)
		return "source port 0";
	if ((p->flags & FZ_F_SYN) && (p->flags & (FZ_F_FIN | FZ_F_RST)))
		return "SYN with FIN or RST";
	return NULL;
}

static void check_reply(const struct fz_target *t, const struct fz_pkt *in, const uint8_t *in_d,
			const uint8_t *out, size_t outlen, int stat)
{
	size_t alen = in->ipv == 6 ? 16 : 4;
	const char *why = reply_forbidden(in, t);
	struct fz_pkt o;
	uint8_t f;

	CHECK(G_SILENCE, !why, "a reply to a frame with %s", why);
	if (why)
		return;
	CHECK(G_SIZE, outlen <= in->len + REPLY_GROWTH_MAX, "reply of %zu bytes to %zu", outlen,
	      in->len);
	fz_parse(out, outlen, &o);
	if (!o.tcp) {
		violation(G_REPLY, "the reply does not parse as TCP");
		return;
	}
	CHECK(G_REPLY, !memcmp(o.dmac, in->smac, 6) && !memcmp(o.smac, in->dmac, 6),
	      "reply MACs are not the input's swapped");
	CHECK(G_REPLY, o.nvlan == in->nvlan && !memcmp(out + 12, in_d + 12, (size_t)in->nvlan * 4),
	      "reply VLAN tags differ from the input's");
	CHECK(G_REPLY, o.ipv == in->ipv, "reply IP version %d to %d", o.ipv, in->ipv);
	CHECK(G_REPLY,
	      !memcmp(o.saddr, in->daddr, alen) && !memcmp(o.daddr, in->saddr, alen) &&
		      o.sport == in->dport && o.dport == in->sport,
	      "reply addresses/ports are not the input's swapped");
	if (o.ipv == 4)
		CHECK(G_REPLY, o.ihl == 20 && o.ip4_csum_ok && !o.frag && o.proto == 6,
		      "reply IPv4 header (ihl %d, checksum %s)", o.ihl,
		      o.ip4_csum_ok ? "ok" : "bad");
	else
		CHECK(G_REPLY, o.l4 == o.l3 + 40, "reply IPv6 with extension headers");
	CHECK(G_REPLY, !o.ip_len_beyond && o.ip_end == outlen,
	      "reply frame of %zu bytes, its IP packet ends at %zu", outlen, o.ip_end);
	CHECK(G_REPLY, o.tcp_csum_ok, "reply TCP checksum wrong");
	CHECK(G_REPLY, o.payload == 0, "reply carries %u payload bytes", o.payload);
	CHECK(G_REPLY, fz_tcp_opts_ok(out, &o), "reply TCP options malformed");

	f = o.flags;
	CHECK(G_FLAGS, !(f & FZ_F_FIN), "reply with FIN (flags %#x)", f);
	if (f & FZ_F_SYN) {
		bool plain = (in->flags & (FZ_F_SYN | FZ_F_ACK | FZ_F_RST | FZ_F_FIN)) == FZ_F_SYN;

		CHECK(G_FLAGS, plain, "SYN-ACK to a segment with flags %#x", in->flags);
		CHECK(G_FLAGS, (f & 0x3f) == (FZ_F_SYN | FZ_F_ACK), "reply flags %#x with SYN", f);
		if (!(t->xdp && t->nstats == SS__COUNT && stat == SS_TX_SYNACK_AGAIN))
			CHECK(G_FLAGS, o.ack == in->seq + 1, "SYN-ACK ack %#x for a SYN at %#x",
			      o.ack, in->seq);
	} else if (f & FZ_F_RST) {
		uint32_t want =
			in->seq + in->payload + !!(in->flags & FZ_F_SYN) + !!(in->flags & FZ_F_FIN);

		CHECK(G_FLAGS, !(in->flags & FZ_F_RST), "a RST answers a RST");
		if (in->flags & FZ_F_ACK)
			CHECK(G_FLAGS, (f & 0x3f) == FZ_F_RST && o.seq == in->ack,
			      "RST to an ACK: flags %#x seq %#x, want RST at the ack %#x", f, o.seq,
			      in->ack);
		else
			CHECK(G_FLAGS,
			      (f & 0x3f) == (FZ_F_RST | FZ_F_ACK) && o.seq == 0 && o.ack == want,
			      "RST to a segment without ACK: flags %#x seq %#x ack %#x, want RST|ACK "
			      "seq 0 ack %#x",
			      f, o.seq, o.ack, want);
	} else {
		/* a bare ACK: serve's challenge and duplicate ACKs; guard sends none */
		CHECK(G_FLAGS, t->nstats == SS__COUNT && (f & 0x3f) == FZ_F_ACK, "reply flags %#x",
		      f);
	}
}

/* ---------------------------------------------------------------- one run */

static const char *stat_name(const struct fz_target *t, int id)
{
	return id >= 0 && (unsigned int)id < t->nstats ? t->stat_names[id] : "?";
}

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Does the counter's name agree with the verdict? */
static bool verdict_named(const struct fz_target *t, int stat, int v)
{
	const char *n = stat_name(t, stat);

	if (!t->xdp)
		return prefix(n, "tc_") && (v == TCX_NEXT || v == TCX_PASS ||
					    (v == TCX_REDIRECT && !strcmp(n, "tc_requeue")));
	if (t->nstats == GS__COUNT)
		n += 4; /* "xdp_" */
	if (prefix(n, "tx_"))
		return v == XDP_TX;
	if (prefix(n, "pass_"))
		return v == XDP_PASS;
	if (prefix(n, "drop_"))
		return v == XDP_DROP;
	if (prefix(n, "xsk_"))
		return v == XDP_REDIRECT;
	return false;
}

/* Has serve a live entry for the tuple of p (as flow_key_make() keys it)? */
static bool serve_flow_live(const struct fz_pkt *p)
{
	struct serve_flow_key k = {};
	struct serve_flow v;

	if (p->ipv == 6) {
		memcpy(k.raddr, p->saddr, 16);
		memcpy(k.laddr, p->daddr, 16);
	} else {
		k.raddr[2] = k.laddr[2] = htonl(0xffff);
		memcpy(&k.raddr[3], p->saddr, 4);
		memcpy(&k.laddr[3], p->daddr, 4);
	}
	k.rport = htons(p->sport);
	k.lport = htons(p->dport);
	return !bpf_map_lookup_elem_flags(fz.flows_fd, &k, &v, BPF_F_LOCK) &&
	       v.state != TCPS_CLOSED;
}

/*
 * no_flow: serve had no live entry for the frame's tuple before the run (so a
 * pure ACK went to serve_cookie_ack()); only looked up for serve's pure ACKs.
 */
static void cookie_account(const struct fz_target *t, const struct fz_pkt *in, int stat,
			   const uint8_t *out, size_t outlen, int verdict, bool no_flow)
{
	bool serve = t->nstats == SS__COUNT, tried = false, accepted = false;
	bool pure_ack = in->tcp && (in->flags & (FZ_F_SYN | FZ_F_ACK | FZ_F_RST)) == FZ_F_ACK;

	if (verdict == XDP_TX && outlen && t->xdp &&
	    (serve ? stat == SS_TX_SYNACK_COOKIE || stat == SS_TX_SYNACK_FULL ||
			     stat == SS_TX_SYNACK_HALFOPEN_FULL :
		     stat == GS_XDP_TX_SYNACK)) {
		struct fz_pkt o;

		fz_parse(out, outlen, &o);
		legit_add(fingerprint(in, in->seq + 1, o.seq + 1));
		return;
	}
	if (!pure_ack || legit_has(fingerprint(in, in->seq, in->ack)))
		return;
	if (!t->xdp) {
		tried = stat == GS_TC_HANDOFF || stat == GS_TC_KFUNC_ERROR ||
			stat == GS_TC_BAD_COOKIE;
		accepted = stat == GS_TC_HANDOFF || stat == GS_TC_KFUNC_ERROR;
	} else if (!serve) {
		tried = stat == GS_XDP_PASS_COOKIE_ACK || stat == GS_XDP_DROP_BAD_COOKIE;
		accepted = stat == GS_XDP_PASS_COOKIE_ACK;
	} else {
		/* an over-count of tries when serve is not in cookie mode: a looser bound */
		tried = stat == SS_DROP_COOKIE_ESTABLISHED || stat == SS_TX_RST_TABLE_FULL ||
			stat == SS_TX_RST_NO_FLOW || stat == SS_DROP_NO_FLOW ||
			stat == SS_DROP_NO_FLOW_LIMITED;
		accepted = stat == SS_DROP_COOKIE_ESTABLISHED || stat == SS_TX_RST_TABLE_FULL;
		/*
		 * A valid cookie on an ACK with data or FIN goes to the socket
		 * (xsk_handshake_data, drop_no_xsk if the redirect fails), an
		 * insert error after it is drop_insert_race: counters the flow
		 * path shares, so taken as a cookie's only with no entry before.
		 */
		if (no_flow && (stat == SS_XSK_HANDSHAKE_DATA || stat == SS_DROP_NO_XSK ||
				stat == SS_DROP_INSERT_RACE))
			tried = accepted = true;
	}
	fz.forged_tries += tried;
	fz.forged_accepted += accepted;
	if (accepted && fz.verbose)
		violation(G_COOKIE, "a forged ACK accepted (%s); within the rate so far?",
			  stat_name(t, stat));
}

static void check_run(int ti, const uint8_t *in, size_t inlen, const struct fz_made *m)
{
	const struct fz_target *t = &fz.t[ti];
	int ci = t->nstats == SS__COUNT;
	uint8_t out[FZ_FRAME_MAX + 64];
	__u64 after[STATS_MAX];
	struct xdp_md md = { .data_end = (__u32)inlen };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)inlen,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	struct fz_pkt p;
	unsigned int i, moved = 0;
	int err, stat = -1, v;
	bool no_flow = false;
	size_t outlen, meta = 0;
	__u64 total = 0;

	memset(&cur, 0, sizeof(cur));
	cur.t = t;
	cur.in = in;
	cur.inlen = inlen;
	cur.m = m;
	if (t->xdp) {
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
		o.ctx_out = &md;
		o.ctx_size_out = sizeof(md);
	}
	if (!fz.cached[ci]) {
		if (stats_read(t, fz.cache[ci])) {
			violation(G_RUN, "Failed to read the counters");
			return;
		}
		fz.cached[ci] = true;
	}
	if (t->xdp && t->nstats == SS__COUNT) {
		fz_parse(in, inlen, &p);
		no_flow = p.tcp && (p.flags & (FZ_F_SYN | FZ_F_ACK | FZ_F_RST)) == FZ_F_ACK &&
			  !serve_flow_live(&p);
	}
	err = bpf_prog_test_run_opts(t->prog_fd, &o);
	if (err) {
		/* test_run refuses frames under an Ethernet header; nothing ran */
		fz_parse(in, inlen, &p);
		if (inlen < 14 || (!t->xdp && errno == EINVAL && !p.ipv)) {
			fz.not_run++;
			return;
		}
		violation(G_RUN, "BPF_PROG_TEST_RUN failed: %s", strerror(errno));
		return;
	}
	pass(G_RUN);
	fz.frames++;
	v = (int)o.retval;
	if (t->xdp)
		meta = md.data - md.data_meta;
	outlen = o.data_size_out;
	cur.out = out;
	cur.outlen = outlen;
	fz.verdicts[ti][(unsigned int)(v + 1) & 7]++;

	if (stats_read(t, after)) {
		violation(G_RUN, "Failed to read the counters");
		fz.cached[ci] = false;
		return;
	}
	for (i = 0; i < t->nstats; i++) {
		__u64 d = after[i] - fz.cache[ci][i];

		total += d;
		if (d) {
			moved++;
			stat = (int)i;
		}
	}
	memcpy(fz.cache[ci], after, sizeof(after));
	CHECK(G_COUNT, total == 1 && moved == 1, "counters moved by %llu in all, %u of them",
	      (unsigned long long)total, moved);

	if (t->xdp)
		CHECK(G_VERDICT, v == XDP_DROP || v == XDP_PASS || v == XDP_TX || v == XDP_REDIRECT,
		      "verdict %d%s", v, v == XDP_ABORTED ? " (XDP_ABORTED)" : "");
	else
		CHECK(G_VERDICT, v == TCX_NEXT || v == TCX_PASS || v == TCX_REDIRECT,
		      "TC verdict %d", v);
	if (moved == 1)
		CHECK(G_VERDICT, verdict_named(t, stat, v), "verdict %d counted as %s", v,
		      stat_name(t, stat));

	fz_parse(in, inlen, &p);
	if (t->xdp && v == XDP_TX) {
		fz.replies++;
		check_reply(t, &p, in, out + meta, outlen - meta, stat);
	} else {
		/* passed, dropped or redirected: the frame as it came (after any metadata) */
		CHECK(G_UNTOUCHED, outlen - meta == inlen && !memcmp(out + meta, in, inlen),
		      "the frame changed (%zu bytes in, %zu out after %zu of metadata)", inlen,
		      outlen - meta, meta);
	}
	cookie_account(t, &p, stat, out + meta, outlen - meta, v, no_flow);
	if (m)
		fz_gen_learn(&fz.gen, m, v == XDP_TX && t->xdp ? out + meta : NULL, outlen - meta);
	if (cur.bad)
		fz.frames_bad++;
}

/* ---------------------------------------------------------------- flow table */

static bool laddr_ours(const struct serve_flow_key *k)
{
	const struct fz_iface *ifc = &fz_serve_if;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(k->laddr, mapped, 12))
		return !memcmp((const uint8_t *)k->laddr + 12, ifc->addr4, 4);
	return !memcmp(k->laddr, ifc->addr6, 16);
}

static void check_flows(void)
{
	struct serve_flow_key k, next;
	struct serve_flow v;
	__s64 halfopen = 0;
	__u32 zero = 0;
	long syn_rcvd = 0, n = 0;
	int st, err;
	void *prev = NULL;

	memset(&cur, 0, sizeof(cur));
	cur.t = &fz.t[FZ_SERVE_XDP];
	/* the controller stopped: its walk's changes are whole between system calls */
	kill(fz.serve_pid, SIGSTOP);
	waitpid(fz.serve_pid, &st, WUNTRACED);
	while (!(err = bpf_map_get_next_key(fz.flows_fd, prev, &next))) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem_flags(fz.flows_fd, &k, &v, BPF_F_LOCK))
			continue;
		n++;
		syn_rcvd += v.state == TCPS_SYN_RCVD;
		CHECK(G_FLOWS, v.state >= TCPS_SYN_RCVD && v.state < TCPS__COUNT,
		      "a flow entry in state %u", v.state);
		CHECK(G_FLOWS, !(v.flags & ~(SF_TS | SF_SACK | SF_WSCALE | SF_COOKIE)),
		      "flow flags %#x", v.flags);
		CHECK(G_FLOWS,
		      (v.flags & SF_WSCALE) ? v.snd_wscale <= 14 && v.rcv_wscale <= 14 :
					      !v.snd_wscale && !v.rcv_wscale,
		      "flow window scales %u/%u (flags %#x)", v.snd_wscale, v.rcv_wscale, v.flags);
		CHECK(G_FLOWS, k.lport == htons(7) && laddr_ours(&k) && k.rport,
		      "a flow entry for a tuple serve does not serve");
	}
	bpf_map_lookup_elem(fz.halfopen_fd, &zero, &halfopen);
	CHECK(G_FLOWS, halfopen == syn_rcvd,
	      "serve_halfopen says %lld, the table holds %ld SYN_RCVD", (long long)halfopen,
	      syn_rcvd);
	kill(fz.serve_pid, SIGCONT);
	if (fz.verbose)
		printf("flows: %ld entries, %ld SYN_RCVD\n", n, syn_rcvd);
}

/* ---------------------------------------------------------------- replay */

static int target_by_name(const char *name)
{
	int i;

	for (i = 0; i < FZ__TARGETS; i++)
		if (!strcmp(fz.t[i].name, name))
			return i;
	return -1;
}

/* Lines "TARGET HEX" (# comments): each frame run and checked, in order. */
static int replay_file(const char *path)
{
	char line[4096], name[32];
	uint8_t buf[FZ_FRAME_MAX];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f) {
		fprintf(stderr, "fuzz: Failed to open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hex = line, *end;
		size_t len = 0;
		int t;

		while (*hex == ' ')
			hex++;
		if (*hex == '#' || *hex == '\n' || !*hex)
			continue;
		if (!strncmp(hex, "replay: ", 8))
			hex += 8;
		if (sscanf(hex, "%31s", name) != 1 || (t = target_by_name(name)) < 0) {
			fprintf(stderr, "fuzz: %s: no target in: %s", path, line);
			continue;
		}
		hex += strlen(name);
		while (*hex == ' ')
			hex++;
		end = hex;
		while (end[0] && end[1] && len < sizeof(buf)) {
			unsigned int b;

			if (sscanf(end, "%2x", &b) != 1)
				break;
			buf[len++] = (uint8_t)b;
			end += 2;
		}
		check_run(t, buf, len, NULL);
		n++;
	}
	fclose(f);
	printf("replayed %d frame(s) from %s\n", n, path);
	return 0;
}

/* ---------------------------------------------------------------- main */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: bpf_fuzz [--seconds S | --frames N] [--seed N] [--replay FILE]...\n"
			"                [--regress FILE]... [--shakeoff PATH] [-v]\n");
	exit(2);
}

static int pick_target(void)
{
	uint32_t x = fz_below(&fz.gen.rng, 100);

	return x < 45 ? FZ_GUARD_XDP : x < 55 ? FZ_GUARD_TC : FZ_SERVE_XDP;
}

int main(int argc, char **argv)
{
	const char *shakeoff = "./shakeoff", *replays[16], *regress[16];
	double seconds = 0, start, elapsed, expected, allowed;
	unsigned long long frames = 0, seed = 1, n;
	int nreplay = 0, nregress = 0, i, rc;
	__u64 all_passed = 0, all_failed = 0;
	uint8_t buf[FZ_FRAME_MAX];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--replay") && i + 1 < argc && nreplay < 16)
			replays[nreplay++] = argv[++i];
		else if (!strcmp(argv[i], "--regress") && i + 1 < argc && nregress < 16)
			regress[nregress++] = argv[++i];
		else if (!strcmp(argv[i], "--shakeoff") && i + 1 < argc)
			shakeoff = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			fz.verbose = true;
		else
			usage();
	}
	if (!seconds && !frames && !nreplay)
		frames = 1000000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fz.ncpu = libbpf_num_possible_cpus();
	if (fz.ncpu <= 0)
		return 1;
	if (fz_setup(shakeoff, fz.t, &fz.flows_fd, &fz.halfopen_fd, &fz.serve_pid)) {
		fz_teardown();
		printf("0 passed, 1 failed\n");
		return 1;
	}
	fz_gen_init(&fz.gen, seed);
	for (i = 0; i < nregress; i++)
		replay_file(regress[i]);
	for (i = 0; i < nreplay; i++)
		replay_file(replays[i]);
	if (nreplay && !seconds && !frames)
		goto done;
	printf("fuzzing: seed %llu, %s %g\n", seed, frames ? "frames" : "seconds",
	       frames ? (double)frames : seconds);
	start = now_s();
	for (n = 0;; n++) {
		struct fz_made m;
		size_t len;
		int t;

		if (frames && n >= frames)
			break;
		if (seconds && !(n & 1023) && now_s() - start >= seconds)
			break;
		t = pick_target();
		len = fz_gen_frame(&fz.gen, t, buf, &m);
		fz.kinds[m.kind]++;
		check_run(t, buf, len, &m);
		if ((n & 65535) == 65535)
			check_flows();
		if (fz.verbose && (n & 0xfffff) == 0xfffff)
			printf("%llu frames, %.0f/s\n", n + 1, (double)(n + 1) / (now_s() - start));
	}
	elapsed = now_s() - start;
	check_flows();
	printf("%llu frames in %.1f s: %.0f frames/s (random %llu, struct %llu, mutated %llu, "
	       "sequence %llu); %llu replies\n",
	       (unsigned long long)fz.frames, elapsed, (double)fz.frames / elapsed,
	       (unsigned long long)fz.kinds[FZ_KIND_RANDOM],
	       (unsigned long long)fz.kinds[FZ_KIND_STRUCT],
	       (unsigned long long)fz.kinds[FZ_KIND_MUTATE],
	       (unsigned long long)fz.kinds[FZ_KIND_SEQ], (unsigned long long)fz.replies);
	for (i = 0; i < FZ__TARGETS; i++)
		printf("  %-9s drop %llu pass %llu tx %llu redirect %llu tcx_next %llu\n",
		       fz.t[i].name, (unsigned long long)fz.verdicts[i][XDP_DROP + 1],
		       (unsigned long long)fz.verdicts[i][XDP_PASS + 1],
		       (unsigned long long)fz.verdicts[i][XDP_TX + 1],
		       (unsigned long long)fz.verdicts[i][XDP_REDIRECT + 1],
		       (unsigned long long)fz.verdicts[i][0]);
done:
	/* Poisson: the design rate's mean plus six standard deviations, and three for luck */
	expected = (double)fz.forged_tries / (double)(1ULL << COOKIE_HASH_BITS);
	allowed = expected + 6 * sqrt(expected) + 3;
	memset(&cur, 0, sizeof(cur));
	CHECK(G_COOKIE, (double)fz.forged_accepted <= allowed,
	      "%llu forged ACKs accepted of %llu, the design rate 2^-%d allows %.1f",
	      (unsigned long long)fz.forged_accepted, (unsigned long long)fz.forged_tries,
	      COOKIE_HASH_BITS, allowed);
	printf("cookie: %llu forged ACKs reached a cookie check, %llu accepted (design rate 2^-%d: "
	       "%.3f expected, at most %.1f allowed)\n",
	       (unsigned long long)fz.forged_tries, (unsigned long long)fz.forged_accepted,
	       COOKIE_HASH_BITS, expected, allowed);
	fz_teardown();
	for (i = 0; i < G__COUNT; i++) {
		printf("%-10s %llu passed, %llu failed\n", group_names[i],
		       (unsigned long long)fz.passed[i], (unsigned long long)fz.failed[i]);
		all_failed += fz.failed[i];
	}
	all_passed = fz.frames - fz.frames_bad;
	rc = all_failed ? 1 : 0;
	printf("%llu frames run, %llu violations (%llu not run: no Ethernet or, for TC, no IP "
	       "header)\n",
	       (unsigned long long)fz.frames, (unsigned long long)all_failed,
	       (unsigned long long)fz.not_run);
	printf("%llu passed, %llu failed\n", (unsigned long long)all_passed,
	       (unsigned long long)(all_failed ? (fz.frames_bad ? fz.frames_bad : 1) : 0));
	return rc;
}
