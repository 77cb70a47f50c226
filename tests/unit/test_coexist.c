// SPDX-License-Identifier: GPL-2.0
/*
 * guard's next program (guard_next, --next-prog) through BPF_PROG_TEST_RUN:
 * what so_guard_xdp passes is tail-called into it, guard's TC hint already in
 * front and guard's own verdict counted; what guard answers or drops never
 * reaches it; with guard_next empty the frame passes as before.
 * The next program is synbench's so_bench_nop: it returns XDP_TX at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>
#include "guard.skel.h"
#include "synbench.skel.h"
#include "core/stat_names.h"
#include "bpf_run.h"
#include "guard_cfg.h"
#include "netns.h"
#include "pkt.h"
#include "testlib.h"

#define SLOT 1000ULL
#define PORT_OPEN 80 /* protected, listeners */
#define PORT_OTHER 8080 /* not protected */

static const uint8_t srv4[4] = { 10, 0, 0, 1 };
static const uint8_t cli4[4] = { 192, 0, 2, 10 };
static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static struct guard_bpf *skel;
static struct synbench_bpf *nextp;
static struct tr_prog xdp_prog;

static bool setup(bool with_key)
{
	struct guard_port open = { .flags = PORT_PROTECTED | PORT_LISTEN4 | PORT_LISTEN6 };
	struct guard_key k = { .slot = SLOT, .k0 = 1, .k1 = 2 }, none = {};
	struct guard_cfg c = test_guard_cfg4(srv4, mac_srv, SLOT);
	__u32 zero = 0, port = PORT_OPEN, idx = SLOT & (GUARD_KEY_SLOTS - 1);

	return !bpf_map_update_elem(bpf_map__fd(skel->maps.guard_cfg), &zero, &c, 0) &&
	       !bpf_map_update_elem(bpf_map__fd(skel->maps.guard_ports), &port, &open, 0) &&
	       !bpf_map_update_elem(bpf_map__fd(skel->maps.guard_keys), &idx, with_key ? &k : &none,
				    0);
}

static bool next_set(bool on)
{
	int fd = bpf_map__fd(skel->maps.guard_next),
	    prog = bpf_program__fd(nextp->progs.so_bench_nop);
	__u32 zero = 0;

	if (on)
		return !bpf_map_update_elem(fd, &zero, &prog, 0);
	return !bpf_map_delete_elem(fd, &zero) || errno == ENOENT;
}

static void spec(struct pkt_spec *s, uint16_t dport, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dmac, mac_srv, 6);
	memcpy(s->smac, mac_cli, 6);
	memcpy(s->saddr, cli4, 4);
	memcpy(s->daddr, srv4, 4);
	s->sport = 40000;
	s->dport = dport;
	s->seq = 0x12345678;
	s->ack = flags & PKT_ACK ? 0x0badcafe : 0;
	s->flags = flags;
	s->window = 65535;
}

/* One frame: verdict, the counter that moved, and the metadata in front of the output. */
static void one(const char *what, uint16_t dport, uint8_t flags, int verdict, enum guard_stat stat,
		uint32_t hint)
{
	static struct tr_run r;
	struct pkt_spec s;
	uint32_t got = 0;

	tl_begin("next program: %s", what);
	spec(&s, dport, flags);
	if (tr_run_spec(&r, &xdp_prog, &s, what) && tr_expect_verdict(&r, verdict) &&
	    tr_expect_counter(&r, stat) && hint) {
		if (ASSERT(r.outlen >= r.inlen + sizeof(got), "no metadata in front of the frame"))
			memcpy(&got, r.out, sizeof(got));
		ASSERT_EQ(got, hint, "guard's hint as the next program left it");
	}
	tl_end();
}

int main(void)
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(tr_libbpf_print);
	err = netns_lo_up();
	if (err) {
		fprintf(stderr, "Failed to set up a network namespace: %s\n", strerror(-err));
		return 1;
	}
	skel = guard_bpf__open_and_load();
	nextp = synbench_bpf__open_and_load();
	if (!skel || !nextp) {
		fprintf(stderr, "Failed to load the BPF objects: %s\n", strerror(errno));
		return 1;
	}
	xdp_prog = (struct tr_prog){ .prog = skel->progs.so_guard_xdp,
				     .xdp = true,
				     .counters = skel->maps.guard_stats,
				     .names = guard_stat_names,
				     .ncounters = GS__COUNT };
	if (!setup(true) || !next_set(false)) {
		fprintf(stderr, "Failed to configure guard's maps: %s\n", strerror(errno));
		return 1;
	}
	one("empty guard_next: an unprotected port passes", PORT_OTHER, PKT_SYN, XDP_PASS,
	    GS_XDP_PASS_UNPROTECTED, 0);
	next_set(true);
	one("an unprotected port goes to the next program (its XDP_TX), counted as guard's pass",
	    PORT_OTHER, PKT_SYN, XDP_TX, GS_XDP_PASS_UNPROTECTED, 0);
	one("a forged ACK guard drops never reaches it", PORT_OPEN, PKT_ACK, XDP_DROP,
	    GS_XDP_DROP_BAD_COOKIE, 0);
	setup(false);
	one("a SYN passed without a key reaches it with guard's hint in front", PORT_OPEN, PKT_SYN,
	    XDP_TX, GS_XDP_PASS_NOKEY, GUARD_HINT_KERNEL);
	next_set(false);
	one("guard_next emptied again: the same SYN passes", PORT_OPEN, PKT_SYN, XDP_PASS,
	    GS_XDP_PASS_NOKEY, GUARD_HINT_KERNEL);
	synbench_bpf__destroy(nextp);
	guard_bpf__destroy(skel);
	return tl_summary();
}
