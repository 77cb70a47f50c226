// SPDX-License-Identifier: GPL-2.0
/*
 * Key-file rollover (user/guard/keys.h, keyroll.c): the key schedule in user
 * space on a fake clock (what each phase signs and accepts, refused files,
 * the fleet property on a grid of pickup times), then the real so_guard_xdp
 * under BPF_PROG_TEST_RUN with guard_keys as keys_refresh() writes them in
 * each phase: a cookie made under one secret is taken by the other with
 * the alternate key, and refused once the overlap is over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>
#include "guard.skel.h"

#include "core/local_id.h"
#include "core/stat_names.h"
#include "guard/keys.h"
#include "bpf_run.h"
#include "guard_cfg.h"
#include "netns.h"
#include "pkt.h"
#include "testlib.h"

#define SEC_NS 1000000000ULL
#define T0 (1000 * SEC_NS) /* the fake CLOCK_MONOTONIC when a roll begins */
#define W (10 * SEC_NS)
#define SLOT 1000ULL
#define PORT 80
#define CLI_PORT 40000

static const char sec_a[] = "secret A: 0123456789abcdef";
static const char sec_b[] = "secret B: 0123456789abcdef";
static const char sec_c[] = "secret C: 0123456789abcdef";

static char dir[64];
/* ref_*: one secret each, never changed; live: the file the hosts under test read */
static char ref_a[96], ref_b[96], ref_c[96], live[96];
static struct guard_bpf *skel;
static struct tr_prog xdp_prog;

static const uint8_t srv4[4] = { 10, 0, 0, 1 };
static const uint8_t cli4[4] = { 192, 0, 2, 10 };
static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool write_file(const char *path, const char *s, size_t len)
{
	char tmp[128];
	bool ok;
	int fd;

	/* replaced by a rename, as the README tells users to: a new inode */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	ok = write(fd, s, len) == (ssize_t)len;
	close(fd);
	return ok && !rename(tmp, path);
}

static bool write_secret(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* A host that read path at start, overlap W. */
static bool host_open(struct key_source *ks, const char *path)
{
	if (keys_from_file(path, ks))
		return false;
	ks->who = "test";
	ks->overlap_ns = W;
	return true;
}

/* The key of slot under the one secret in path (0xee.. if it cannot be read). */
static struct guard_key key_of(const char *path, __u64 slot)
{
	struct key_source ks;
	struct guard_key k;

	if (keys_from_file(path, &ks) || keys_for_slot(&ks, slot, &k))
		memset(&k, 0xee, sizeof(k));
	return k;
}

static bool key_is(__u64 k0, __u64 k1, const char *path, __u64 slot)
{
	struct guard_key w = key_of(path, slot);

	return k0 == w.k0 && k1 == w.k1;
}

static const char *secret_name(const char *path)
{
	return path == ref_a ? "A" : path == ref_b ? "B" : path == ref_c ? "C" : "?";
}

/* Slots SLOT-1 .. SLOT+1: signed with `sign`'s secret, alternate `alt`'s (NULL: none). */
static bool expect_keys(const struct key_source *ks, const char *sign, const char *alt,
			const char *what)
{
	bool ok = true;
	__u64 s;

	for (s = SLOT - 1; s <= SLOT + 1; s++) {
		struct guard_key k;

		if (!ASSERT(!keys_for_slot(ks, s, &k), "%s: keys_for_slot", what))
			return false;
		ok = ASSERT_EQ(k.slot, s, "entry's slot") && ok;
		ok = ASSERT(key_is(k.k0, k.k1, sign, s), "%s: slot %llu signs with %s", what,
			    (unsigned long long)s, secret_name(sign)) &&
		     ok;
		if (alt)
			ok = ASSERT(key_is(k.a0, k.a1, alt, s), "%s: slot %llu also takes %s", what,
				    (unsigned long long)s, secret_name(alt)) &&
			     ok;
		else
			ok = ASSERT(!k.a0 && !k.a1, "%s: slot %llu has no alternate", what,
				    (unsigned long long)s) &&
			     ok;
	}
	return ok;
}

/* A host that started on A (live) and read B at T0. */
static bool host_rolling(struct key_source *ks)
{
	return ASSERT(write_secret(live, sec_a) && host_open(ks, live), "host on A") &&
	       ASSERT(write_secret(live, sec_b), "write B") &&
	       ASSERT_EQ(keys_reload_at(ks, NULL, T0, false), 1, "reload of B begins a roll");
}

/* ---------------------------------------------------------------- schedule */

static void test_schedule(void)
{
	struct key_source ks, k2;

	tl_begin("schedule: one secret: hosts sharing it derive the same keys, one per slot");
	if (!ASSERT(host_open(&ks, ref_a) && host_open(&k2, ref_a), "open A twice"))
		goto out0;
	{
		struct guard_key a, b, c;

		keys_for_slot(&ks, SLOT, &a);
		keys_for_slot(&k2, SLOT, &b);
		keys_for_slot(&ks, SLOT + 1, &c);
		ASSERT(!memcmp(&a, &b, sizeof(a)), "same secret, same slot: same key");
		ASSERT(a.k0 != c.k0 || a.k1 != c.k1, "next slot: another key");
		ASSERT(!key_is(a.k0, a.k1, ref_b, SLOT), "another secret: another key");
	}
	expect_keys(&ks, ref_a, NULL, "steady");
out0:
	tl_end();

	tl_begin("schedule: A -> B: sign A + take B for W, sign B + take A for W, then B alone");
	if (!host_rolling(&ks))
		goto out1;
	ASSERT_EQ(ks.phase, KEY_SIGN_OLD, "phase after the reload");
	expect_keys(&ks, ref_a, ref_b, "at T0");
	ASSERT_EQ(keys_step(&ks, T0 + W - 1, false), 0, "no step before W");
	expect_keys(&ks, ref_a, ref_b, "at T0+W-1ns");
	ASSERT_EQ(keys_step(&ks, T0 + W, false), 1, "a step at W");
	ASSERT_EQ(ks.phase, KEY_SIGN_NEW, "phase at W");
	expect_keys(&ks, ref_b, ref_a, "at T0+W");
	ASSERT_EQ(keys_step(&ks, T0 + 2 * W - 1, false), 0, "no step before 2W");
	expect_keys(&ks, ref_b, ref_a, "at T0+2W-1ns");
	ASSERT_EQ(keys_step(&ks, T0 + 2 * W, false), 1, "a step at 2W");
	ASSERT_EQ(ks.phase, KEY_STEADY, "phase at 2W");
	expect_keys(&ks, ref_b, NULL, "at T0+2W");
	ASSERT_EQ(keys_step(&ks, T0 + 100 * W, false), 0, "steady stays");
	ASSERT(write_secret(live, sec_b), "write B again (a new inode)");
	ASSERT_EQ(keys_reload_at(&ks, NULL, T0 + 101 * W, false), 0, "the same secret: no roll");
	expect_keys(&ks, ref_b, NULL, "same secret again");
out1:
	tl_end();

	tl_begin("schedule: --key-overlap 0: B replaces A at once");
	if (!ASSERT(write_secret(live, sec_a) && host_open(&ks, live), "host on A"))
		goto out2;
	ks.overlap_ns = 0;
	if (!ASSERT(write_secret(live, sec_b), "write B"))
		goto out2;
	ASSERT_EQ(keys_reload_at(&ks, NULL, T0, false), 1, "reload");
	ASSERT_EQ(ks.phase, KEY_STEADY, "phase");
	expect_keys(&ks, ref_b, NULL, "at T0");
out2:
	tl_end();

	{
		static const struct {
			const char *desc;
			const char *content; /* NULL: no file; "/": a directory */
			size_t len;
			int err;
		} bad[] = {
			{ "15 bytes", "0123456789abcde", 15, -ENODATA },
			{ "empty", "", 0, -ENODATA },
			{ "32 times 'x'", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 32, -EKEYREJECTED },
			{ "32 zero bytes",
			  "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32,
			  -EKEYREJECTED },
			{ "gone", NULL, 0, -ENOENT },
			{ "a directory", "/", 0, -EINVAL },
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char path[128];

			tl_begin("schedule: new file refused (%s): A stays, alone", bad[i].desc);
			snprintf(path, sizeof(path), "%s/bad%zu", dir, i);
			if (!ASSERT(host_open(&ks, ref_a), "host on A"))
				goto out3;
			if (bad[i].content && !strcmp(bad[i].content, "/")) {
				if (!ASSERT(!mkdir(path, 0700), "mkdir"))
					goto out3;
			} else if (bad[i].content &&
				   !ASSERT(write_file(path, bad[i].content, bad[i].len), "write")) {
				goto out3;
			}
			ASSERT_EQ(keys_reload_at(&ks, path, T0, false), bad[i].err, "reload");
			ASSERT_EQ(ks.phase, KEY_STEADY, "phase");
			ASSERT(!strcmp(ks.path, ref_a), "still watching %s, not %s", ref_a,
			       ks.path);
			expect_keys(&ks, ref_a, NULL, "after the refusal");
out3:
			tl_end();
		}
	}

	tl_begin("schedule: C while signing A (first phase): sign A, take C; B forgotten");
	if (!host_rolling(&ks))
		goto out4;
	ASSERT(write_secret(live, sec_c), "write C");
	ASSERT_EQ(keys_reload_at(&ks, NULL, T0 + W / 2, false), 1, "reload of C");
	ASSERT_EQ(ks.phase, KEY_SIGN_OLD, "phase");
	expect_keys(&ks, ref_a, ref_c, "after C");
	keys_step(&ks, T0 + W / 2 + W, false);
	expect_keys(&ks, ref_c, ref_a, "W after C");
out4:
	tl_end();

	tl_begin("schedule: C while signing B (second phase): sign B, take C; A forgotten");
	if (!host_rolling(&ks))
		goto out5;
	keys_step(&ks, T0 + W, false);
	ASSERT(write_secret(live, sec_c), "write C");
	ASSERT_EQ(keys_reload_at(&ks, NULL, T0 + W + 1, false), 1, "reload of C");
	ASSERT_EQ(ks.phase, KEY_SIGN_OLD, "phase");
	expect_keys(&ks, ref_b, ref_c, "after C");
out5:
	tl_end();

	tl_begin("schedule: back to A while still signing A: sign A, take B for W, then A alone");
	if (!host_rolling(&ks))
		goto out6;
	ASSERT(write_secret(live, sec_a), "write A");
	ASSERT_EQ(keys_reload_at(&ks, NULL, T0 + SEC_NS, false), 1, "reload of A");
	ASSERT_EQ(ks.phase, KEY_SIGN_NEW, "phase");
	expect_keys(&ks, ref_a, ref_b, "after A");
	ASSERT_EQ(keys_step(&ks, T0 + SEC_NS + W - 1, false), 0, "no step before W");
	ASSERT_EQ(keys_step(&ks, T0 + SEC_NS + W, false), 1, "a step at W");
	expect_keys(&ks, ref_a, NULL, "W after A");
out6:
	tl_end();

	tl_begin("schedule: reload of another path: its secret rolls in, that file watched");
	if (!ASSERT(host_open(&ks, ref_a), "host on A"))
		goto out7;
	ASSERT_EQ(keys_reload_at(&ks, ref_c, T0, false), 1, "reload of C's path");
	ASSERT(!strcmp(ks.path, ref_c), "watching %s", ks.path);
	expect_keys(&ks, ref_a, ref_c, "at T0");
out7:
	tl_end();

	tl_begin(
		"schedule: keys_poll() looks once a second, rolls on a changed file, refuses once");
	if (!ASSERT(write_secret(live, sec_a) && host_open(&ks, live), "host on A"))
		goto out8;
	ASSERT_EQ(keys_poll(&ks, T0, false), 0, "first poll, file unchanged");
	if (!ASSERT(write_secret(live, sec_b), "write B"))
		goto out8;
	ASSERT_EQ(keys_poll(&ks, T0 + SEC_NS / 2, false), 0, "half a second later: not looked");
	expect_keys(&ks, ref_a, NULL, "before the second poll");
	ASSERT_EQ(keys_poll(&ks, T0 + SEC_NS, false), 1, "a second later: a roll");
	expect_keys(&ks, ref_a, ref_b, "after the poll");
	ASSERT_EQ(keys_poll(&ks, T0 + SEC_NS + W, false), 1, "W later: the next phase");
	expect_keys(&ks, ref_b, ref_a, "at W");
	if (!ASSERT(write_file(live, "short", 5), "write a short file"))
		goto out8;
	ASSERT_EQ(keys_poll(&ks, T0 + 2 * SEC_NS + W, false), 0, "short file: no change");
	ASSERT(ks.refused.ino && !ks.refused.err, "the refused version remembered");
	expect_keys(&ks, ref_b, ref_a, "after the refusal");
	ASSERT_EQ(keys_poll(&ks, T0 + SEC_NS + 2 * W, false), 1, "2W later: B alone");
	expect_keys(&ks, ref_b, NULL, "at 2W");
out8:
	tl_end();
}

/*
 * Does host h take a cookie made under key (k0, k1) for SLOT? The BPF side
 * tries k0/k1, then a0/a1.
 */
static bool host_takes(const struct key_source *h, const struct guard_key *made)
{
	struct guard_key k;

	keys_for_slot(h, SLOT, &k);
	return (k.k0 == made->k0 && k.k1 == made->k1) ||
	       ((k.a0 || k.a1) && k.a0 == made->k0 && k.a1 == made->k1);
}

/*
 * Two hosts on A; the file becomes B; X reads it at T0, Y d later. Every
 * 100 ms until both are done: does each take what the other signs? The
 * number of instants at which one does not.
 */
static int fleet_failures(__u64 d)
{
	struct key_source x, y;
	bool x_read = false, y_read = false;
	int fails = 0;
	__u64 t;

	if (!host_open(&x, ref_a) || !host_open(&y, ref_a))
		return -1;
	for (t = T0 - SEC_NS; t <= T0 + d + 2 * W + SEC_NS; t += SEC_NS / 10) {
		struct guard_key kx, ky;

		if (!x_read && t >= T0)
			x_read = keys_reload_at(&x, ref_b, T0, false) == 1;
		if (!y_read && t >= T0 + d)
			y_read = keys_reload_at(&y, ref_b, T0 + d, false) == 1;
		keys_step(&x, t, false);
		keys_step(&y, t, false);
		keys_for_slot(&x, SLOT, &kx);
		keys_for_slot(&y, SLOT, &ky);
		if (!host_takes(&y, &kx) || !host_takes(&x, &ky))
			fails++;
	}
	return x_read && y_read ? fails : -1;
}

static void test_fleet(void)
{
	__u64 d;

	for (d = 0; d < W; d += W / 4) {
		tl_begin("fleet: hosts read the new file %llu s apart (< W): every cookie taken",
			 (unsigned long long)(d / SEC_NS));
		ASSERT_EQ(fleet_failures(d), 0, "instants a host refuses the other's cookie");
		tl_end();
	}
	tl_begin("fleet: hosts read the new file W - 100 ms apart: every cookie taken");
	ASSERT_EQ(fleet_failures(W - SEC_NS / 10), 0, "instants a host refuses the other's cookie");
	tl_end();
	tl_begin("fleet: hosts read the new file W + 1 s apart: some cookies refused");
	ASSERT(fleet_failures(W + SEC_NS) > 0, "no instant of refusal: the check checks nothing");
	tl_end();
}

/* ---------------------------------------------------------------- BPF */

static bool bpf_setup(void)
{
	struct guard_cfg c;
	struct guard_port p = { .flags = PORT_PROTECTED | PORT_LISTEN4 };
	__u32 zero = 0, port = PORT;

	skel = guard_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to load guard BPF object: %s\n", strerror(errno));
		return false;
	}
	xdp_prog = (struct tr_prog){ .prog = skel->progs.so_guard_xdp,
				     .xdp = true,
				     .counters = skel->maps.guard_stats,
				     .names = guard_stat_names,
				     .ncounters = GS__COUNT };
	c = test_guard_cfg4(srv4, mac_srv, SLOT);
	local_id_add(&c.id, AF_INET, srv4);
	return !bpf_map__update_elem(skel->maps.guard_cfg, &zero, sizeof(zero), &c, sizeof(c),
				     BPF_ANY) &&
	       !bpf_map__update_elem(skel->maps.guard_ports, &port, sizeof(port), &p, sizeof(p),
				     BPF_ANY);
}

enum host_state { H_A, H_SIGN_OLD, H_SIGN_NEW, H_B, H_C };

static const char *const host_state_names[] = { "A alone", "sign A + take B", "sign B + take A",
						"B alone", "C alone" };

/* guard_keys as a controller in state h writes them (keys_refresh()). */
static bool keys_as(enum host_state h)
{
	struct key_source ks;
	int n;

	if (h == H_C) {
		if (!host_open(&ks, ref_c))
			return false;
	} else if (h == H_A) {
		if (!host_open(&ks, ref_a))
			return false;
	} else {
		if (!host_rolling(&ks))
			return false;
		if (h != H_SIGN_OLD)
			keys_step(&ks, h == H_SIGN_NEW ? T0 + W : T0 + 2 * W, false);
	}
	n = keys_refresh(bpf_map__fd(skel->maps.guard_keys), &ks, SLOT);
	return ASSERT(n >= 0, "keys_refresh: %s", strerror(-n));
}

static void syn_spec(struct pkt_spec *s)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };

	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, mac_srv, 6);
	memcpy(s->smac, mac_cli, 6);
	memcpy(s->saddr, cli4, 4);
	memcpy(s->daddr, srv4, 4);
	s->frag_off = PKT_IP_DF;
	s->sport = CLI_PORT;
	s->dport = PORT;
	s->seq = 0x12345678u;
	s->flags = PKT_SYN;
	s->window = 64240;
	memcpy(s->tcpopt, mss, sizeof(mss));
	s->tcpopt_len = sizeof(mss);
}

/* The cookie a host in state h answers the SYN with. */
static bool cookie_from(enum host_state h, struct tr_run *r, uint32_t *cookie)
{
	struct pkt_spec syn;
	struct pkt_view v;
	const char *perr;

	syn_spec(&syn);
	if (!ASSERT(keys_as(h), "keys as %s", host_state_names[h]))
		return false;
	if (!tr_run_spec(r, &xdp_prog, &syn, "SYN"))
		return false;
	if (!tr_expect_verdict(r, XDP_TX) || !tr_expect_counter(r, GS_XDP_TX_SYNACK))
		return false;
	perr = pkt_parse(r->out, r->outlen, &v);
	if (!ASSERT(!perr, "SYN-ACK does not parse: %s", perr))
		return false;
	*cookie = ntohl(v.tcp->seq);
	return true;
}

/* The ACK of cookie at a host in state h: its verdict and counter. */
static bool ack_at(enum host_state h, struct tr_run *r, uint32_t cookie, bool taken)
{
	struct pkt_spec ack;

	syn_spec(&ack);
	ack.flags = PKT_ACK;
	ack.seq++;
	ack.ack = cookie + 1;
	ack.tcpopt_len = 0;
	if (!ASSERT(keys_as(h), "keys as %s", host_state_names[h]))
		return false;
	if (!tr_run_spec(r, &xdp_prog, &ack, "ACK"))
		return false;
	if (taken)
		return tr_expect_verdict(r, XDP_PASS) &&
		       tr_expect_counter(r, GS_XDP_PASS_COOKIE_ACK);
	return tr_expect_verdict(r, XDP_DROP) && tr_expect_counter(r, GS_XDP_DROP_BAD_COOKIE);
}

static void test_bpf(void)
{
	static const struct {
		enum host_state made, checked;
		bool taken;
	} rows[] = {
		{ H_A, H_A, true }, /* control */
		{ H_A, H_SIGN_OLD, true },
		{ H_A, H_SIGN_NEW, true }, /* the old cookie by the alternate */
		{ H_SIGN_OLD, H_A, true }, /* a rolled host still signs A */
		{ H_SIGN_NEW, H_SIGN_OLD, true }, /* B by the alternate */
		{ H_SIGN_NEW, H_B, true },
		{ H_B, H_SIGN_OLD, true },
		{ H_SIGN_OLD, H_SIGN_NEW, true },
		{ H_SIGN_NEW, H_A, false }, /* a host that never read B */
		{ H_A, H_B, false }, /* after the window */
		{ H_C, H_SIGN_OLD, false }, /* neither secret of the roll */
		{ H_C, H_SIGN_NEW, false },
	};
	uint32_t ca = 0, cb = 0;
	struct tr_run r1, r2;
	size_t i;

	tl_begin("BPF: sign A + take B signs with A; sign B + take A with B");
	if (cookie_from(H_A, &r1, &ca) && cookie_from(H_SIGN_OLD, &r2, &cb))
		ASSERT_EQ(cb, ca, "cookie of a host in the first phase is A's");
	if (cookie_from(H_B, &r1, &ca) && cookie_from(H_SIGN_NEW, &r2, &cb))
		ASSERT_EQ(cb, ca, "cookie of a host in the second phase is B's");
	ASSERT(cookie_from(H_A, &r1, &ca) && cookie_from(H_B, &r2, &cb) && ca != cb,
	       "A and B make different cookies");
	tl_end();

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t cookie;

		tr_case_begin("BPF: cookie of a host with %s, ACK at a host with %s: %s",
			      host_state_names[rows[i].made], host_state_names[rows[i].checked],
			      rows[i].taken ? "taken" : "refused");
		if (cookie_from(rows[i].made, &r1, &cookie))
			ack_at(rows[i].checked, &r2, cookie, rows[i].taken);
		tr_case_end();
	}
}

int main(void)
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(tr_libbpf_print);
	snprintf(dir, sizeof(dir), "/tmp/shakeoff-keys.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "Failed to make a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	snprintf(ref_a, sizeof(ref_a), "%s/a", dir);
	snprintf(ref_b, sizeof(ref_b), "%s/b", dir);
	snprintf(ref_c, sizeof(ref_c), "%s/c", dir);
	snprintf(live, sizeof(live), "%s/live", dir);
	if (!write_secret(ref_a, sec_a) || !write_secret(ref_b, sec_b) ||
	    !write_secret(ref_c, sec_c)) {
		fprintf(stderr, "Failed to write key files in %s: %s\n", dir, strerror(errno));
		return 1;
	}
	err = netns_lo_up();
	if (err) {
		fprintf(stderr, "Failed to set up a network namespace: %s\n", strerror(-err));
		return 1;
	}
	test_schedule();
	test_fleet();
	tl_begin("BPF: guard's programs load and take the fixture");
	ASSERT(bpf_setup(), "guard_bpf load or map setup failed: %s", strerror(errno));
	if (tl_end())
		test_bpf();
	guard_bpf__destroy(skel);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return tl_summary();
}
