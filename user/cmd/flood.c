// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff flood: TCP segments from spoofed sources, out of an interface at
 * XDP speed. bpf/flood.bpf.c writes each segment into a frame that
 * BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES hands it, and returns XDP_TX,
 * which the kernel turns into a transmit on the interface given as the
 * context's ingress_ifindex. We run the program in chunks of `repeat` frames
 * from one thread per CPU, each pinned to its CPU, sleep between chunks to
 * follow the rate schedule (flood_sched.c: --rate shaped by --pattern), and
 * count what was sent, by kind, in the program's per-CPU map.
 *
 * Every frame is a pure function of the seed, its sender's number and its
 * index (shakeoff/flood.h): sender k's n-th frame is the same in every run
 * with the same seed and options. One sender: the run repeats packet for
 * packet. Several: each sender's sequence repeats, but how the senders
 * interleave, and how many frames each one sends, depends on timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <shakeoff/flood.h>
#include "flood.skel.h"
#include "cmd/cmds.h"
#include "cmd/flood_plan.h"
#include "cmd/flood_sched.h"
#include "cmd/optab.h"
#include "core/clock.h"
#include "core/percpu.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/jsonl.h"

#define CMD "flood"
#define DEFAULT_SRC4 "198.18.0.0/15"
#define DEFAULT_SRC6 "2001:db8::/64"
#define DEFAULT_DURATION_S 5
#define DEFAULT_DURATION ((double)DEFAULT_DURATION_S)
#define DEFAULT_BATCH 64
#define MAX_BATCH 256
/*
 * Each BPF_PROG_RUN call costs a fixed setup and teardown (page pool, memory
 * model; ~25 ms on a 6.18 VM) on top of the per-frame work, so unpaced runs
 * size chunks for CHUNK_NS of work, and paced runs send one chunk per tick of
 * a few times the fixed cost. The kernel stops a run at once on a signal.
 */
#define CHUNK_NS 250000000.0
#define FIRST_CHUNK 65536
#define TICK_MIN_NS 10000000.0
#define TICK_MAX_NS 1000000000.0
#define NSEC_PER_SEC 1000000000ULL
#define DEFAULT_PULSE "1000:1000"
/* streams of CPUs no sender runs on: out of the senders' way */
#define STREAM_SPARE 0x10000

static const struct optab flood_optab[] = {
	{ "dst", 'd', "IP", "destination address; its family picks IPv4 or IPv6" },
	{ "dport", 'p', "N", "destination port" },
	{ "kind", 'k', "syn|ack|rst|fin|synack|mixed",
	  "syn (default; MSS, SACK_PERM, TS, NOP, WS 7 like Linux),\nack, rst, fin (FIN+ACK), "
	  "synack (SYN-ACK with Linux's\noptions, as a reflection flood hits its victim), or\n"
	  "mixed (a kind drawn per segment, in --mix's ratio)" },
	{ "mix", 'x', "KIND=W,...",
	  "mixed: relative weights of the kinds, e.g.\nsyn=70,ack=20,rst=10 (implies --kind mixed)" },
	{ "src", 's', "CIDR",
	  "source addresses (default " DEFAULT_SRC4 ", the\nbenchmark range, or " DEFAULT_SRC6
	  "); for IPv6 at\nmost the low 64 bits vary" },
	{ "src-pool", 'o', "N",
	  "a fixed pool of N distinct source addresses drawn\nonce from --src (with --seed), "
	  "reused like a botnet's,\neach with ports from --sport-range; 1-" OPTAB_STR(
		  FLOOD_POOL_MAX) },
	{ "sport-range", 'P', "A-B", "source ports (default 1024-65535)" },
	{ "sequential", 'S', NULL,
	  "walk sources in order (addresses first, then ports)\ninstead of drawing them at random" },
	{ "count", 'c', "N", "stop after N segments" },
	{ "duration", 'D', "S",
	  "stop after S seconds (default " OPTAB_STR(
		  DEFAULT_DURATION_S) " unless --count is given)" },
	{ "rate", 'r', "PPS", "at most PPS segments per second (default: as fast as\npossible)" },
	{ "pattern", 'a', "constant|ramp|pulse",
	  "the rate over time (needs --rate): constant (default),\nramp (from 0 up to --rate "
	  "over --ramp), pulse\n(--rate during ON, nothing during OFF)" },
	{ "ramp", 'R', "S", "ramp: its length (default --duration); implies\n--pattern ramp" },
	{ "pulse", 'u', "ON_MS:OFF_MS",
	  "pulse: the periods in ms (default " DEFAULT_PULSE "); implies\n--pattern pulse" },
	{ "seed", 'e', "N",
	  "draw every random choice from seed N (default: a\nrandom one, printed): the same "
	  "seed and options send\nthe same segments" },
	{ "threads", 't', "N", "senders, one per CPU (default 1)" },
	{ "batch", 'b', "N",
	  "frames per XDP batch, 1-" OPTAB_STR(MAX_BATCH) " (default " OPTAB_STR(
		  DEFAULT_BATCH) ")" },
	{ "dst-mac", 'M', "MAC",
	  "destination MAC (default: the kernel's neighbour entry\nfor --dst on IFACE; ping --dst first to create one)" },
	{ "src-mac", 'm', "MAC", "source MAC (default: IFACE's own)" },
	{ "json", 'j', NULL, "print the result as one JSON object" },
	OPTAB_HELP,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff flood IFACE --dst IP --dport N [OPTIONS]\n"
		   "\n"
		   "Send TCP segments from spoofed sources out of IFACE, built in XDP and sent\n"
		   "with BPF_PROG_RUN live frames. Every segment has a random sequence number\n"
		   "(and ack number for ack/fin/synack) and valid IP and TCP checksums. Lab use\n"
		   "only.\n"
		   "\n"
		   "Options:\n");
	optab_print(f, flood_optab);
	fprintf(f, "\n"
		   "A veth delivers XDP_TX frames only if its peer runs a native-mode XDP program\n"
		   "(otherwise they vanish uncounted): run `shakeoff lab attach PEER count` (or\n"
		   "pass) on the receiving side. \"sent\" counts the program's XDP_TX verdicts;\n"
		   "frames the interface then could not queue show up as its tx_dropped. The\n"
		   "achieved rate is sent / duration; it never exceeds --rate.\n");
}

/* Source prefix → base address (host bits cleared), bits that vary and their mask. */
static void src_setup(const struct ip_addr *src, unsigned int prefix, struct flood_cfg *cfg)
{
	unsigned int bits;
	__u64 mask;

	if (src->family == AF_INET) {
		bits = 32 - prefix;
		mask = bits >= 32 ? 0xffffffffULL : (1ULL << bits) - 1;
		memcpy(cfg->saddr, src->bytes, 4);
		cfg->saddr[0] &= htonl(~(__u32)mask);
	} else {
		bits = 128 - prefix > 64 ? 64 : 128 - prefix;
		mask = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
		memcpy(cfg->saddr, src->bytes, 16);
		cfg->saddr[2] &= htonl(~(__u32)(mask >> 32));
		cfg->saddr[3] &= htonl(~(__u32)mask);
	}
	cfg->host_bits = bits;
	cfg->host_mask = mask;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGUSR1 only interrupts a sender's BPF_PROG_RUN; the handler has nothing to do. */
static void on_wakeup(int sig)
{
	(void)sig;
}

/* What the sender threads share. */
struct flood_run {
	int prog_fd;
	__u8 frame[128];
	__u32 frame_len;
	int ifindex;
	__u32 batch;
	bool paced; /* follow sched; else as fast as possible */
	struct flood_sched sched; /* per sender: --rate / threads */
	__u64 start; /* CLOCK_MONOTONIC ns: time 0 of the schedule */
	__u64 duration_ns; /* 0: no deadline */
	__u64 deadline; /* CLOCK_MONOTONIC ns; 0: none */
	bool bounded; /* budget limits the run */
	__u64 budget; /* frames left to hand out (atomic) */
	int err; /* first error (atomic) */
	int running; /* senders not finished yet (atomic) */
	volatile int expired; /* the deadline passed; set by the main thread */
};

struct sender {
	pthread_t thread;
	struct flood_run *run;
	int cpu; /* the CPU it is pinned to */
};

/* Take up to want frames from the shared budget. */
static __u64 budget_take(struct flood_run *run, __u64 want)
{
	__u64 left = __atomic_load_n(&run->budget, __ATOMIC_RELAXED), take;

	if (!run->bounded)
		return want;
	do {
		if (!left)
			return 0;
		take = left < want ? left : want;
	} while (!__atomic_compare_exchange_n(&run->budget, &left, left - take, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return take;
}

/* Sleep until t (CLOCK_MONOTONIC), in slices so the end of the run stops us soon. */
static void sleep_until(const struct flood_run *run, __u64 t)
{
	struct timespec ts;
	__u64 now;

	while (!stop && !run->expired && (now = clock_mono_ns()) < t) {
		__u64 d = t - now > 50000000ULL ? 50000000ULL : t - now;

		ts.tv_sec = d / NSEC_PER_SEC;
		ts.tv_nsec = d % NSEC_PER_SEC;
		nanosleep(&ts, NULL);
	}
}

/* CLOCK_MONOTONIC ns of schedule time t (s); t is finite and >= 0. */
static __u64 sched_ns(const struct flood_run *run, double t)
{
	return run->start + (__u64)(t * NSEC_PER_SEC);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct flood_run *run = s->run;
	struct xdp_md ctx = {
		.data_end = run->frame_len,
		.ingress_ifindex = run->ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = run->frame, .data_size_in = run->frame_len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = run->batch);
	double frame_ns = 200, call_ns = 25000000, t;
	__u64 done = 0;
	bool first = true;
	cpu_set_t set;
	int err;

	/* the program's per-CPU state holds this sender's stream: stay on its CPU */
	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!stop && !run->expired) {
		double tick = TICK_MIN_NS, want;
		__u64 n, t0, t1, wall;

		t0 = clock_mono_ns();
		if (run->paced) {
			if (call_ns * 4 > tick)
				tick = call_ns * 4 > TICK_MAX_NS ? TICK_MAX_NS : call_ns * 4;
			/* what is due by the end of the next tick, sent now as one chunk */
			want = floor(flood_sched_due(&run->sched,
						     (t0 - run->start + tick) / NSEC_PER_SEC)) -
			       (double)done;
			if (want < 1) {
				/* nothing due yet (a ramp's start, a pulse's off period) */
				t = flood_sched_when(&run->sched, done + 1);
				if (isinf(t)) {
					/* all sent: the run still lasts until its deadline */
					sleep_until(run, run->deadline);
					break;
				}
				sleep_until(run, sched_ns(run, t));
				continue;
			}
		} else {
			want = first ? FIRST_CHUNK : CHUNK_NS / frame_ns;
		}
		n = budget_take(run, want < 1 ? 1 : want > (1U << 30) ? (1U << 30) : (__u64)want);
		if (!n)
			break;
		opts.repeat = n;
		err = bpf_prog_test_run_opts(run->prog_fd, &opts);
		t1 = clock_mono_ns();
		if (err) {
			/* a signal or the deadline interrupts the run; anything else is fatal */
			if (err != -EINTR || !(stop || run->expired)) {
				int zero = 0;

				__atomic_compare_exchange_n(&run->err, &zero, err, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
				stop = 1;
			}
			break;
		}
		done += n;
		first = false;
		wall = t1 - t0;
		/*
		 * Wall time per frame, fixed cost included: the kernel's own average
		 * (opts.duration) leaves out the softirq work our frames cause on
		 * this CPU, which can be most of it.
		 */
		frame_ns = (double)wall / n;
		if (opts.duration)
			call_ns = (call_ns + fmax(0, wall - (double)n * opts.duration)) / 2;
		if (run->paced) {
			t = flood_sched_when(&run->sched, done);
			if (!isinf(t))
				sleep_until(run, sched_ns(run, t));
		}
	}
	__atomic_fetch_sub(&run->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The interface's tx_dropped counter: frames the driver could not take (a
 * veth whose peer's ring is full). -1 if unknown.
 */
static long long iface_tx_dropped(const char *ifname)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", ifname);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Sum the per-CPU flood_state of the loaded program (rng sums to noise, unused). */
static int state_sum(int map_fd, struct flood_state *sum)
{
	__u64 w[sizeof(*sum) / sizeof(__u64)];
	__u32 zero = 0;
	int err = percpu_sum(map_fd, &zero, w, sizeof(w) / sizeof(w[0]));

	memcpy(sum, w, sizeof(*sum));
	return err;
}

/* CPUs we may run on, in order; returns how many (at most max). */
static int usable_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

struct flood_args {
	const char *ifname;
	int ifindex;
	struct ip_addr dst;
	struct ip_addr src;
	unsigned int src_prefix;
	const char *src_arg;
	unsigned long dport;
	int kind; /* enum flood_kind, or FLOOD_MIXED */
	bool kind_given;
	double mix[FLOOD_KINDS]; /* mixed: the weights */
	unsigned long pool; /* --src-pool; 0: none */
	__u16 sport_lo, sport_hi;
	bool sequential;
	unsigned long count; /* 0: unbounded */
	double duration; /* 0: unbounded */
	unsigned long rate; /* 0: unpaced */
	int pattern; /* enum flood_pattern */
	double ramp_s; /* 0: --duration */
	unsigned long pulse_on_ms, pulse_off_ms;
	__u64 seed;
	unsigned long threads;
	unsigned long batch;
	bool have_dmac, have_smac;
	__u8 dmac[6], smac[6];
	bool json;
};

/* --pulse ON_MS:OFF_MS; 0 or -1. */
static int pulse_parse(const char *s, unsigned long *on, unsigned long *off)
{
	char buf[64], *colon;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	return parse_ulong(buf, 1, 86400000, on) || parse_ulong(colon + 1, 0, 86400000, off) ? -1 :
											       0;
}

/* The options that shape the others; returns -1 to go on, else the exit code. */
static int flood_check(struct flood_args *a, bool have_mix, bool have_ramp, bool have_pulse,
		       bool have_seed)
{
	unsigned int bits = (a->src.family == AF_INET ? 32 : 128) - a->src_prefix;

	if (have_mix && a->kind != FLOOD_MIXED)
		return usage_error(CMD, "--mix wants --kind mixed, got --kind %s",
				   flood_kind_name(a->kind));
	if (a->kind == FLOOD_MIXED && !have_mix)
		return usage_error(CMD, "--kind mixed wants --mix KIND=W,...");
	if (have_ramp && a->pattern != FLOOD_RAMP)
		return usage_error(CMD, "--ramp wants --pattern ramp");
	if (have_pulse && a->pattern != FLOOD_PULSE)
		return usage_error(CMD, "--pulse wants --pattern pulse");
	if (a->pattern != FLOOD_CONSTANT && !a->rate)
		return usage_error(CMD, "--pattern %s wants --rate",
				   flood_pattern_name(a->pattern));
	if (a->pattern == FLOOD_RAMP && !have_ramp && !a->duration)
		return usage_error(CMD, "--pattern ramp wants --ramp S or --duration S");
	if (a->pattern == FLOOD_PULSE && !have_pulse &&
	    pulse_parse(DEFAULT_PULSE, &a->pulse_on_ms, &a->pulse_off_ms))
		return 1;
	if (a->pool && bits < 64 && a->pool > 1ULL << bits)
		return usage_error(CMD, "--src-pool %lu, but --src %s has only %llu addresses",
				   a->pool, a->src_arg, 1ULL << bits);
	if (!have_seed) {
		__u32 r;

		/* 32 bits: easy to type again after it was printed */
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (__u32)clock_mono_ns() ^ (__u32)getpid();
		a->seed = r;
	}
	return -1;
}

/* Fills a from the command line; returns -1 to go on, else the exit code. */
static int flood_parse(int argc, char **argv, struct flood_args *a)
{
	bool have_dst = false, have_mix = false, have_pattern = false, have_ramp = false;
	bool have_pulse = false, have_seed = false;
	unsigned long ul;
	int opt, err;

	memset(a, 0, sizeof(*a));
	a->kind = FLOOD_SYN;
	a->sport_lo = 1024;
	a->sport_hi = 65535;
	a->threads = 1;
	a->batch = DEFAULT_BATCH;
	optab_reset();
	while ((opt = optab_next(argc, argv, CMD, flood_optab)) != OPTAB_END) {
		switch (opt) {
		case 'd':
			if (parse_ip(optarg, &a->dst))
				return usage_error(CMD, "--dst wants an IP address, got '%s'",
						   optarg);
			have_dst = true;
			break;
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &a->dport))
				return usage_error(CMD, "--dport wants 1-65535, got '%s'", optarg);
			break;
		case 'k':
			a->kind_given = true;
			a->kind = flood_kind_parse(optarg);
			if (a->kind < 0)
				return usage_error(
					CMD,
					"--kind wants syn, ack, rst, fin, synack or mixed, got '%s'",
					optarg);
			break;
		case 'x':
			if (flood_mix_parse(optarg, a->mix))
				return usage_error(
					CMD,
					"--mix wants KIND=WEIGHT,... (syn, ack, rst, fin, synack; weights >= 0, not all 0), got '%s'",
					optarg);
			have_mix = true;
			break;
		case 's':
			a->src_arg = optarg;
			break;
		case 'o':
			if (parse_ulong(optarg, 1, FLOOD_POOL_MAX, &a->pool))
				return usage_error(CMD, "--src-pool wants 1-%u addresses, got '%s'",
						   FLOOD_POOL_MAX, optarg);
			break;
		case 'a':
			a->pattern = flood_pattern_parse(optarg);
			if (a->pattern < 0)
				return usage_error(
					CMD, "--pattern wants constant, ramp or pulse, got '%s'",
					optarg);
			have_pattern = true;
			break;
		case 'R':
			if (parse_double(optarg, 0.001, 1e7, &a->ramp_s))
				return usage_error(CMD, "--ramp wants seconds > 0, got '%s'",
						   optarg);
			have_ramp = true;
			break;
		case 'u':
			if (pulse_parse(optarg, &a->pulse_on_ms, &a->pulse_off_ms))
				return usage_error(
					CMD,
					"--pulse wants ON_MS:OFF_MS (ON >= 1, OFF >= 0), got '%s'",
					optarg);
			have_pulse = true;
			break;
		case 'e':
			if (parse_ulong(optarg, 0, ULONG_MAX, &ul))
				return usage_error(CMD, "--seed wants a number >= 0, got '%s'",
						   optarg);
			a->seed = ul;
			have_seed = true;
			break;
		case 'P':
			if (parse_port_range(optarg, &a->sport_lo, &a->sport_hi))
				return usage_error(
					CMD, "--sport-range wants A-B within 1-65535, got '%s'",
					optarg);
			break;
		case 'S':
			a->sequential = true;
			break;
		case 'c':
			if (parse_ulong(optarg, 1, ULONG_MAX, &a->count))
				return usage_error(CMD, "--count wants a positive number, got '%s'",
						   optarg);
			break;
		case 'D':
			if (parse_double(optarg, 0.001, 1e7, &a->duration))
				return usage_error(CMD, "--duration wants seconds > 0, got '%s'",
						   optarg);
			break;
		case 'r':
			if (parse_ulong(optarg, 1, 1000000000, &a->rate))
				return usage_error(CMD, "--rate wants 1-1000000000 pps, got '%s'",
						   optarg);
			break;
		case 't':
			if (parse_ulong(optarg, 1, CPU_SETSIZE, &a->threads))
				return usage_error(
					CMD, "--threads wants a positive number, got '%s'", optarg);
			break;
		case 'b':
			if (parse_ulong(optarg, 1, MAX_BATCH, &a->batch))
				return usage_error(CMD, "--batch wants 1-%d, got '%s'", MAX_BATCH,
						   optarg);
			break;
		case 'M':
			if (parse_mac(optarg, a->dmac))
				return usage_error(
					CMD, "--dst-mac wants aa:bb:cc:dd:ee:ff, got '%s'", optarg);
			a->have_dmac = true;
			break;
		case 'm':
			if (parse_mac(optarg, a->smac))
				return usage_error(
					CMD, "--src-mac wants aa:bb:cc:dd:ee:ff, got '%s'", optarg);
			a->have_smac = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return usage_error(CMD, "wants exactly one IFACE");
	a->ifname = argv[optind];
	if (!have_dst)
		return usage_error(CMD, "--dst is required");
	if (!a->dport)
		return usage_error(CMD, "--dport is required");
	if (!a->src_arg)
		a->src_arg = a->dst.family == AF_INET ? DEFAULT_SRC4 : DEFAULT_SRC6;
	if (parse_cidr(a->src_arg, &a->src, &a->src_prefix))
		return usage_error(CMD, "--src wants an address or CIDR, got '%s'", a->src_arg);
	if (a->src.family != a->dst.family)
		return usage_error(CMD, "--src and --dst must be of the same family");
	if (!a->count && !a->duration)
		a->duration = DEFAULT_DURATION;
	/* --mix, --ramp and --pulse imply the kind or pattern they belong to */
	if (have_mix && !a->kind_given)
		a->kind = FLOOD_MIXED;
	if (!have_pattern)
		a->pattern = have_ramp ? FLOOD_RAMP : have_pulse ? FLOOD_PULSE : FLOOD_CONSTANT;
	err = flood_check(a, have_mix, have_ramp, have_pulse, have_seed);
	return err;
}

/* The interface and both MACs; returns -1 to go on, else the exit code. */
static int flood_resolve(struct flood_args *a)
{
	char buf[INET6_ADDRSTRLEN];
	int err;

	a->ifindex = iface_index(a->ifname);
	if (a->ifindex < 0) {
		pr_warn("unknown interface '%s'\n", a->ifname);
		return EXIT_USAGE;
	}
	if (!a->have_smac) {
		err = iface_mac(a->ifname, a->smac);
		if (err) {
			pr_warn("Failed to read the MAC address of %s: %s\n", a->ifname,
				strerror(-err));
			return EXIT_USAGE;
		}
	}
	if (!a->have_dmac) {
		err = iface_neigh_lookup(a->ifindex, &a->dst, a->dmac);
		if (err == -ENOENT) {
			pr_warn("no neighbour entry for %s on %s: ping it first or give --dst-mac\n",
				ip_str(&a->dst, buf, sizeof(buf)), a->ifname);
			return EXIT_USAGE;
		}
		if (err) {
			pr_warn("Failed to read the neighbour table: %s\n", strerror(-err));
			return 1;
		}
	}
	return -1;
}

static void flood_configure(const struct flood_args *a, struct flood_cfg *cfg)
{
	memcpy(cfg->dmac, a->dmac, 6);
	memcpy(cfg->smac, a->smac, 6);
	cfg->ipv6 = a->dst.family == AF_INET6;
	cfg->kind = a->kind == FLOOD_MIXED ? FLOOD_SYN : a->kind;
	cfg->mixed = a->kind == FLOOD_MIXED;
	if (cfg->mixed)
		flood_mix_cum(a->mix, cfg->mix_cum);
	cfg->sequential = a->sequential;
	src_setup(&a->src, a->src_prefix, cfg);
	memcpy(cfg->daddr, a->dst.bytes, cfg->ipv6 ? 16 : 4);
	cfg->dport = htons(a->dport);
	cfg->sport_lo = a->sport_lo;
	cfg->sport_count = a->sport_hi - a->sport_lo + 1;
	cfg->pool_n = a->pool;
	cfg->seed = a->seed;
}

/* The frame size: the longest kind the run sends (the program trims shorter ones). */
static __u32 flood_frame_size(const struct flood_args *a)
{
	__u32 ipv6 = a->dst.family == AF_INET6, len = 0, k;

	if (a->kind != FLOOD_MIXED)
		return flood_frame_len(ipv6, a->kind);
	for (k = 0; k < FLOOD_KINDS; k++)
		if (a->mix[k] > 0 && flood_frame_len(ipv6, k) > len)
			len = flood_frame_len(ipv6, k);
	return len;
}

/* --src-pool: draw it and fill flood_pool (loaded with max_entries = its size). */
static int flood_pool_fill(const struct flood_args *a, const struct flood_cfg *cfg, int map_fd)
{
	struct flood_addr *pool = calloc(a->pool, sizeof(*pool));
	__u32 i;
	int err;

	if (!pool)
		return -ENOMEM;
	err = flood_pool_draw(cfg, a->seed, a->pool, pool);
	for (i = 0; !err && i < a->pool; i++)
		if (bpf_map_update_elem(map_fd, &i, &pool[i], BPF_ANY))
			err = -errno;
	free(pool);
	return err;
}

/* Each sender's CPU draws the sender's stream; the other CPUs streams of their own. */
static int flood_streams(int map_fd, const struct sender *senders, unsigned long threads)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct flood_state *v;
	__u32 zero = 0;
	unsigned long k;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < ncpu; i++)
		v[i].stream = STREAM_SPARE + i;
	for (k = 0; k < threads; k++)
		if (senders[k].cpu >= 0 && senders[k].cpu < ncpu)
			v[senders[k].cpu].stream = k;
	if (bpf_map_update_elem(map_fd, &zero, v, BPF_ANY))
		err = -errno;
	free(v);
	return err;
}

/*
 * Run the senders until done, a deadline or a signal; returns how many ran
 * (0: none could start, or the map holding their streams failed: *err).
 */
static unsigned long flood_senders(struct flood_run *run, unsigned long threads, int state_fd,
				   int *errp)
{
	struct sender *senders;
	int cpus[CPU_SETSIZE], ncpus, cpu;
	unsigned long i;
	int err;

	senders = calloc(threads, sizeof(*senders));
	if (!senders)
		return 0;
	ncpus = usable_cpus(cpus, CPU_SETSIZE);
	if (threads > 1 && ncpus < (int)threads)
		threads = 1;
	/* one sender stays on the CPU we run on now */
	cpu = sched_getcpu();
	for (i = 0; i < threads; i++) {
		senders[i].run = run;
		senders[i].cpu = threads > 1 ? cpus[i] : cpu >= 0 ? cpu : ncpus > 0 ? cpus[0] : 0;
	}
	err = flood_streams(state_fd, senders, threads);
	if (err) {
		*errp = err;
		free(senders);
		return 0;
	}
	run->start = clock_mono_ns();
	if (run->duration_ns)
		run->deadline = run->start + run->duration_ns;
	run->running = threads;
	for (i = 0; i < threads; i++) {
		err = pthread_create(&senders[i].thread, NULL, sender_main, &senders[i]);
		if (err) {
			pr_warn("Failed to start sender thread: %s\n", strerror(err));
			__atomic_fetch_sub(&run->running, threads - i, __ATOMIC_RELEASE);
			stop = 1;
			threads = i;
			break;
		}
	}
	/*
	 * A signal reaches one thread, and a sender only looks at the clock
	 * between chunks. On a signal or at the deadline, interrupt each sender
	 * with its own SIGUSR1, again every tick, since one may be just about to
	 * enter the kernel.
	 */
	while (__atomic_load_n(&run->running, __ATOMIC_ACQUIRE) > 0) {
		if (run->deadline && clock_mono_ns() >= run->deadline)
			run->expired = 1;
		if (stop || run->expired)
			for (i = 0; i < threads; i++)
				pthread_kill(senders[i].thread, SIGUSR1);
		usleep(1000);
	}
	for (i = 0; i < threads; i++)
		pthread_join(senders[i].thread, NULL);
	free(senders);
	return threads;
}

/* "syn 7003, ack 1998" for the kinds that were sent (or asked for). */
static void kinds_text(const struct flood_args *a, const struct flood_state *sum, char *buf,
		       size_t len)
{
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < FLOOD_KINDS && n < len; k++)
		if (a->mix[k] > 0 || sum->kind_tx[k])
			n += snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
				      flood_kind_name(k), (unsigned long long)sum->kind_tx[k]);
}

static void flood_report(const struct flood_args *a, const struct flood_state *sum, double secs,
			 long long dropped)
{
	double pps = secs > 0 ? sum->tx / secs : 0;
	char buf[INET6_ADDRSTRLEN], dropbuf[24] = "null", ratebuf[24] = "null", kinds[160];
	int k;

	ip_str(&a->dst, buf, sizeof(buf));
	if (a->json) {
		if (dropped >= 0)
			snprintf(dropbuf, sizeof(dropbuf), "%lld", dropped);
		if (a->rate)
			snprintf(ratebuf, sizeof(ratebuf), "%lu", a->rate);
		printf("%s,\"event\":\"summary\",\"sent\":%llu,\"duration_s\":%.3f,"
		       "\"achieved_pps\":%.0f,\"kinds\":{",
		       json_ts(), (unsigned long long)sum->tx, secs, pps);
		for (k = 0; k < FLOOD_KINDS; k++)
			printf("%s\"%s\":%llu", k ? "," : "", flood_kind_name(k),
			       (unsigned long long)sum->kind_tx[k]);
		printf("},\"iface\":\"%s\",\"kind\":\"%s\",\"family\":\"%s\",\"dst\":\"%s\","
		       "\"dport\":%lu,\"src\":\"%s\",\"src_pool\":%lu,\"rate\":%s,\"pattern\":\"%s\","
		       "\"seed\":%llu,\"aborted\":%llu,\"tx_dropped\":%s,\"seconds\":%.3f,"
		       "\"pps\":%.0f,\"threads\":%lu,\"batch\":%lu",
		       a->ifname, flood_kind_name(a->kind),
		       a->dst.family == AF_INET ? "ipv4" : "ipv6", buf, a->dport, a->src_arg,
		       a->pool, ratebuf, flood_pattern_name(a->pattern),
		       (unsigned long long)a->seed, (unsigned long long)sum->short_frame, dropbuf,
		       secs, pps, a->threads, a->batch);
		if (a->kind == FLOOD_MIXED) {
			printf(",\"mix\":{");
			for (k = 0; k < FLOOD_KINDS; k++)
				printf("%s\"%s\":%g", k ? "," : "", flood_kind_name(k), a->mix[k]);
			printf("}");
		}
		printf("}\n");
		return;
	}
	if (a->kind == FLOOD_MIXED) {
		kinds_text(a, sum, kinds, sizeof(kinds));
		printf("sent %llu segments (%s)", (unsigned long long)sum->tx, kinds);
	} else {
		printf("sent %llu %s segments", (unsigned long long)sum->tx,
		       flood_kind_name(a->kind));
	}
	printf(" to %s port %lu on %s in %.3f s: %.0f pps\n", buf, a->dport, a->ifname, secs, pps);
	if (a->rate)
		printf("rate %lu pps, %s; seed %llu\n", a->rate, flood_pattern_name(a->pattern),
		       (unsigned long long)a->seed);
	else
		printf("seed %llu\n", (unsigned long long)a->seed);
	if (dropped > 0)
		printf("%s dropped %lld frames meanwhile (tx_dropped; a full peer ring on veth)\n",
		       a->ifname, dropped);
	if (sum->short_frame)
		printf("aborted %llu frames too short for the segment\n",
		       (unsigned long long)sum->short_frame);
}

/* The schedule of one of a.threads senders. */
static void flood_schedule(const struct flood_args *a, struct flood_sched *s)
{
	s->pattern = a->pattern;
	s->rate = (double)a->rate / a->threads;
	s->ramp_s = a->ramp_s ? a->ramp_s : a->duration;
	s->on_s = a->pulse_on_ms / 1000.0;
	s->off_s = a->pulse_off_ms / 1000.0;
	s->end_s = a->duration;
}

int cmd_flood(int argc, char **argv)
{
	struct flood_bpf *skel = NULL;
	struct flood_args a;
	struct flood_run run = {};
	struct flood_state sum;
	struct flood_cfg *cfg;
	struct sigaction sa = {};
	long long drop_start, drop_end;
	__u64 t_end;
	int err, serr, cpus[CPU_SETSIZE];

	err = flood_parse(argc, argv, &a);
	if (err >= 0)
		return err;
	if (a.threads > 1 && (unsigned long)usable_cpus(cpus, CPU_SETSIZE) < a.threads)
		return usage_error(CMD, "--threads %lu, but fewer CPUs are usable", a.threads);
	err = flood_resolve(&a);
	if (err >= 0)
		return err;

	skel = flood_bpf__open();
	if (!skel) {
		pr_warn("Failed to open BPF object flood: %s\n", strerror(errno));
		return 1;
	}
	cfg = (struct flood_cfg *)&skel->rodata->flood_cfg;
	flood_configure(&a, cfg);
	if (a.pool)
		bpf_map__set_max_entries(skel->maps.flood_pool, a.pool);
	err = flood_bpf__load(skel);
	if (err) {
		pr_warn("Failed to load BPF program %s: %s\n", FLOOD_PROG_NAME, strerror(-err));
		err = 1;
		goto out;
	}
	if (a.pool) {
		err = flood_pool_fill(&a, cfg, bpf_map__fd(skel->maps.flood_pool));
		if (err) {
			pr_warn("Failed to fill map %s: %s\n", FLOOD_MAP_POOL, strerror(-err));
			err = 1;
			goto out;
		}
	}

	run.prog_fd = bpf_program__fd(skel->progs.so_flood);
	run.frame_len = flood_frame_size(&a);
	run.ifindex = a.ifindex;
	run.batch = a.batch;
	run.paced = a.rate > 0;
	flood_schedule(&a, &run.sched);
	run.bounded = a.count > 0;
	run.budget = a.count;

	stop = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_wakeup;
	sigaction(SIGUSR1, &sa, NULL);

	drop_start = iface_tx_dropped(a.ifname);
	run.duration_ns = (__u64)(a.duration * NSEC_PER_SEC);
	serr = 0;
	if (!flood_senders(&run, a.threads, bpf_map__fd(skel->maps.flood_state), &serr)) {
		if (serr)
			pr_warn("Failed to set up map %s: %s\n", FLOOD_MAP_STATE, strerror(-serr));
		err = 1;
	}
	t_end = clock_mono_ns();
	drop_end = iface_tx_dropped(a.ifname);

	if (run.err) {
		pr_warn("Failed to run %s on %s: %s\n", FLOOD_PROG_NAME, a.ifname,
			strerror(-run.err));
		if (run.err == -EINVAL || run.err == -EOPNOTSUPP)
			pr_warn("the kernel may lack BPF_F_TEST_XDP_LIVE_FRAMES (Linux 5.18+)\n");
		err = 1;
	}
	serr = state_sum(bpf_map__fd(skel->maps.flood_state), &sum);
	if (serr) {
		pr_warn("Failed to read map %s: %s\n", FLOOD_MAP_STATE, strerror(-serr));
		err = 1;
		goto out;
	}
	flood_report(&a, &sum, (t_end - run.start) / 1e9,
		     drop_start >= 0 && drop_end >= drop_start ? drop_end - drop_start : -1);
out:
	flood_bpf__destroy(skel);
	return err;
}
