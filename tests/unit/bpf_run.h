/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames through the real BPF programs with BPF_PROG_TEST_RUN, for the unit
 * tests: the one place that fills bpf_test_run_opts and reads counters.
 *
 *   tr_frame_run()   one frame in, verdict and output frame back
 *   struct tr_prog   a program and the per-CPU counter array it moves
 *   tr_run(), tr_run_spec()   a frame (given, or built from a pkt_spec)
 *                    through a tr_prog, the counters read before and after:
 *                    r->delta[id]
 *   tr_expect_verdict(), tr_expect_counter()   the usual checks of a run
 *   tr_check_reply() the framing every reply must have
 *   tr_dump()        input, verdict, counters moved and output, noted under
 *                    the case's FAIL line
 *   tr_case_begin(), tr_case_end()   a testlib case whose runs are all dumped
 *                    when it fails
 *
 * Counters are summed over the CPUs by user/core/percpu.c and named by
 * user/core/stat_names.c, like the controller's own stats.
 */
#ifndef SHAKEOFF_TEST_BPF_RUN_H
#define SHAKEOFF_TEST_BPF_RUN_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/percpu.h"
#include "pkt.h"
#include "testlib.h"

/* For libbpf_set_print(): libbpf's warnings on stderr, its debug output not. */
static inline int tr_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* TCX verdicts (uapi enum tcx_action_base, newer than the installed headers). */
#define TR_TCX_NEXT (-1)
#define TR_TCX_PASS 0
#define TR_TCX_DROP 2
#define TR_TCX_REDIRECT 7

/* Room for the largest counter set a run keeps deltas of. */
#define TR_COUNTERS_MAX 64

/* One BPF_PROG_TEST_RUN of a frame; in, out and ctx are the caller's. */
struct tr_frame {
	const void *in;
	size_t inlen;
	void *out; /* or NULL */
	size_t outcap;
	void *ctx; /* optional context (struct xdp_md, struct __sk_buff), read back */
	size_t ctx_size;
	/* filled in by tr_frame_run() */
	int retval;
	uint32_t outlen; /* test_run hands back the frame from its XDP metadata on */
};

/* 0 or -errno (BPF_PROG_TEST_RUN's own error, e.g. -EINVAL for a frame under 14 bytes). */
static inline int tr_frame_run(int prog_fd, struct tr_frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->in, .data_size_in = f->inlen,
		    .data_out = f->out, .data_size_out = f->out ? f->outcap : 0, .ctx_in = f->ctx,
		    .ctx_size_in = f->ctx_size, .ctx_out = f->ctx, .ctx_size_out = f->ctx_size,
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	f->retval = (int)o.retval;
	f->outlen = o.data_size_out;
	return err;
}

/* A program under test and the per-CPU array of __u64 counters it moves. */
struct tr_prog {
	struct bpf_program *prog;
	bool xdp; /* verdicts are XDP_*, else TCX_* */
	bool xdp_meta; /* hand it a struct xdp_md and report the metadata's length */
	struct bpf_map *counters;
	const char *const *names; /* of the counters, e.g. guard_stat_names */
	unsigned int ncounters;
};

/* One run: the frame that went in, what came out, how the counters moved. */
struct tr_run {
	const struct tr_prog *p;
	const char *what; /* names the run in failure output */
	uint8_t in[PKT_MAX];
	size_t inlen;
	bool ran;
	int err;
	int retval;
	uint8_t out[PKT_MAX];
	uint32_t outlen;
	uint32_t metalen; /* out starts with this much XDP metadata (xdp_meta programs) */
	int64_t delta[TR_COUNTERS_MAX];
};

/* Runs of the current tr_case_begin() case, dumped by tr_case_end() if it fails. */
static struct {
	bool on;
	int n;
	const struct tr_run *runs[8];
} tr_case __attribute__((unused));

static inline const char *tr_verdict_name(bool xdp, int v)
{
	static char buf[32];

	if (xdp) {
		switch (v) {
		case XDP_ABORTED:
			return "XDP_ABORTED";
		case XDP_DROP:
			return "XDP_DROP";
		case XDP_PASS:
			return "XDP_PASS";
		case XDP_TX:
			return "XDP_TX";
		case XDP_REDIRECT:
			return "XDP_REDIRECT";
		}
	} else {
		switch (v) {
		case TR_TCX_NEXT:
			return "TCX_NEXT";
		case TR_TCX_PASS:
			return "TCX_PASS";
		case TR_TCX_DROP:
			return "TCX_DROP";
		case TR_TCX_REDIRECT:
			return "TCX_REDIRECT";
		}
	}
	snprintf(buf, sizeof(buf), "%d", v);
	return buf;
}

static inline const char *tr_what(const struct tr_run *r)
{
	return r->what ? r->what : "frame";
}

/*
 * tr_run() and the checks after it are macros around *_at() functions, so
 * that a failure names the line of the test that asked, not one of this file.
 */
static inline bool tr_counters_read(const struct tr_prog *p, __u64 *sum, const char *file, int line)
{
	int err = percpu_sum_array(bpf_map__fd(p->counters), sum, p->ncounters);

	return tl_check(!err, file, line, "Failed to read %s: %s", bpf_map__name(p->counters),
			strerror(-err));
}

/* Run r->in (r->inlen bytes) through p; true if the run happened and the counters were read. */
#define tr_run(r, p, what) tr_run_at(r, p, what, __FILE__, __LINE__)

static inline bool tr_run_at(struct tr_run *r, const struct tr_prog *p, const char *what,
			     const char *file, int line)
{
	__u64 before[TR_COUNTERS_MAX], after[TR_COUNTERS_MAX];
	struct xdp_md md = { .data_end = (__u32)r->inlen };
	struct tr_frame f = {
		.in = r->in, .inlen = r->inlen, .out = r->out, .outcap = sizeof(r->out)
	};
	unsigned int id;

	r->p = p;
	r->what = what;
	r->ran = false;
	r->metalen = 0;
	memset(r->delta, 0, sizeof(r->delta));
	if (tr_case.on && tr_case.n < (int)(sizeof(tr_case.runs) / sizeof(tr_case.runs[0])))
		tr_case.runs[tr_case.n++] = r;
	if (!tl_check(p->ncounters <= TR_COUNTERS_MAX, file, line, "%u counters, room for %d",
		      p->ncounters, TR_COUNTERS_MAX))
		return false;
	if (p->xdp_meta) {
		f.ctx = &md;
		f.ctx_size = sizeof(md);
	}
	if (!tr_counters_read(p, before, file, line))
		return false;
	r->err = tr_frame_run(bpf_program__fd(p->prog), &f);
	r->ran = true;
	r->retval = f.retval;
	r->outlen = f.outlen;
	if (p->xdp_meta)
		r->metalen = md.data - md.data_meta;
	if (!tr_counters_read(p, after, file, line))
		return false;
	for (id = 0; id < p->ncounters; id++)
		r->delta[id] = (int64_t)(after[id] - before[id]);
	return tl_check(!r->err, file, line, "%s: BPF_PROG_TEST_RUN failed: %s", tr_what(r),
			strerror(-r->err));
}

/* Build the frame s describes into r->in and run it. */
#define tr_run_spec(r, p, s, what) tr_run_spec_at(r, p, s, what, __FILE__, __LINE__)

static inline bool tr_run_spec_at(struct tr_run *r, const struct tr_prog *p,
				  const struct pkt_spec *s, const char *what, const char *file,
				  int line)
{
	r->inlen = pkt_build(s, r->in, sizeof(r->in), NULL);
	if (!tl_check(r->inlen, file, line, "%s: frame does not fit the buffer",
		      what ? what : "frame"))
		return false;
	return tr_run_at(r, p, what, file, line);
}

#define tr_expect_verdict(r, verdict) tr_expect_verdict_at(r, verdict, __FILE__, __LINE__)

static inline bool tr_expect_verdict_at(const struct tr_run *r, int verdict, const char *file,
					int line)
{
	return tl_check(r->retval == verdict, file, line, "%s: verdict: expected %s, got %s",
			tr_what(r), tr_verdict_name(r->p->xdp, verdict),
			tr_verdict_name(r->p->xdp, r->retval));
}

/* Exactly counter `id` moved, by one; nothing else moved. */
#define tr_expect_counter(r, id) tr_expect_counter_at(r, id, __FILE__, __LINE__)

static inline bool tr_expect_counter_at(const struct tr_run *r, unsigned int id, const char *file,
					int line)
{
	bool ok = true;
	unsigned int i;

	for (i = 0; i < r->p->ncounters; i++) {
		int64_t want = i == id;

		if (r->delta[i] != want)
			ok = tl_check(false, file, line,
				      "%s: counter %s: expected %+lld, moved %+lld", tr_what(r),
				      r->p->names[i], (long long)want, (long long)r->delta[i]) &&
			     ok;
	}
	return ok;
}

static inline void tr_dump(const struct tr_run *r)
{
	unsigned int id;

	tl_note("  %s run (%s):\n", r->p && r->p->xdp ? "XDP" : "TC", tr_what(r));
	tl_hexdump("input", r->in, r->inlen);
	if (!r->ran)
		return;
	if (r->err) {
		tl_note("    BPF_PROG_TEST_RUN: %s\n", strerror(-r->err));
		return;
	}
	tl_note("    actual verdict %s, counters moved:", tr_verdict_name(r->p->xdp, r->retval));
	for (id = 0; id < r->p->ncounters; id++)
		if (r->delta[id])
			tl_note(" %s %+lld", r->p->names[id], (long long)r->delta[id]);
	tl_note("\n");
	tl_hexdump("output", r->out, r->outlen);
}

/*
 * What every reply r sent back to `in` must be: it parses; Ethernet and IP
 * addresses and TCP ports are in's, swapped; TTL (hop limit) is ttl; the
 * frame is as long as its IP packet, without TCP payload; IPv4 header and
 * TCP checksums are right by pkt.h's own arithmetic. *v is the parsed reply,
 * for the caller's further checks.
 */
static inline bool tr_check_reply(const struct pkt_spec *in, const struct tr_run *r,
				  unsigned int ttl, struct pkt_view *v)
{
	const char *perr = pkt_parse(r->out, r->outlen, v);
	size_t alen = in->ipv6 ? 16 : 4;
	bool ok = true;

	if (!ASSERT(!perr, "reply does not parse: %s", perr))
		return false;
	ok = ASSERT_MEM_EQ(v->eth->dst, in->smac, 6, "reply Ethernet destination") && ok;
	ok = ASSERT_MEM_EQ(v->eth->src, in->dmac, 6, "reply Ethernet source") && ok;
	if (!ASSERT_EQ(v->ipv6, in->ipv6, "reply IP version is the input's"))
		return false;
	ok = ASSERT_MEM_EQ(pkt_saddr(v), in->daddr, alen, "reply source address") && ok;
	ok = ASSERT_MEM_EQ(pkt_daddr(v), in->saddr, alen, "reply destination address") && ok;
	if (in->ipv6) {
		ok = ASSERT_EQ(v->ip6->hop_limit, ttl, "reply hop limit") && ok;
	} else {
		ok = ASSERT_EQ(v->ip4->ttl, ttl, "reply TTL") && ok;
		ok = ASSERT_EQ(ntohs(v->ip4->check), pkt_ip4_csum(v->ip4, 20),
			       "reply IPv4 header checksum") &&
		     ok;
	}
	ok = ASSERT_EQ(r->outlen, v->l3_off + v->ip_len, "reply frame length (IP length + L2)") &&
	     ok;
	ok = ASSERT_EQ(v->payload_len, 0, "reply TCP payload bytes") && ok;
	ok = ASSERT_EQ(ntohs(v->tcp->sport), in->dport, "reply source port") && ok;
	ok = ASSERT_EQ(ntohs(v->tcp->dport), in->sport, "reply destination port") && ok;
	ok = ASSERT_EQ(ntohs(v->tcp->check), pkt_tcp_csum_want(v), "reply TCP checksum") && ok;
	return ok;
}

static inline __attribute__((format(printf, 1, 2))) void tr_case_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_vbegin(fmt, ap);
	va_end(ap);
	tr_case.on = true;
	tr_case.n = 0;
}

/* tl_end(), with every run of the case dumped first if it failed. */
static inline bool tr_case_end(void)
{
	int i;

	if (tl_failing())
		for (i = 0; i < tr_case.n; i++)
			tr_dump(tr_case.runs[i]);
	tr_case.on = false;
	tr_case.n = 0;
	return tl_end();
}

#endif /* SHAKEOFF_TEST_BPF_RUN_H */
