/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF fuzzer's pieces (tests/fuzz/bpf_fuzz.c is the driver):
 *   fz_wire.c    an independent frame parser and checksum (RFC 1071), used
 *                to classify what went in and to check what came back; it
 *                shares no code with bpf/lib or user/core/csum.c
 *   fz_gen.c     frames: random bytes, structure-aware ones, mutations of
 *                valid ones, and segment sequences on a pool of flows
 *   fz_target.c  a private network namespace, the real controllers run on
 *                veth interfaces there, and their programs and maps found
 *                by the interfaces' attachments (as `shakeoff stats` does)
 */
#ifndef SHAKEOFF_FUZZ_FZ_H
#define SHAKEOFF_FUZZ_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_FRAME_MAX 512 /* generated frames; replies grow them by at most 20 */
#define FZ_VLAN_WALK 8 /* the parser walks this many tags (the programs walk 2) */

/* ---------------------------------------------------------------- rng */

struct fz_rng {
	uint64_t s;
};

static inline uint64_t fz_next(struct fz_rng *r)
{
	/* splitmix64: fast, seedable, good enough to pick bytes */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint32_t fz_below(struct fz_rng *r, uint32_t n)
{
	return (uint32_t)(((fz_next(r) >> 32) * n) >> 32);
}

/* True with probability pct/100. */
static inline bool fz_pct(struct fz_rng *r, uint32_t pct)
{
	return fz_below(r, 100) < pct;
}

/* ---------------------------------------------------------------- wire */

#define FZ_F_FIN 0x01
#define FZ_F_SYN 0x02
#define FZ_F_RST 0x04
#define FZ_F_PSH 0x08
#define FZ_F_ACK 0x10

/* What the fuzzer's own parser makes of a frame. Offsets are from the frame's start. */
struct fz_pkt {
	size_t len;
	uint8_t dmac[6], smac[6];
	int nvlan; /* tags walked (at most FZ_VLAN_WALK) */
	uint16_t ethertype; /* after the tags */
	size_t l3;
	int ipv; /* 4, 6, or 0: neither (or the header is cut short) */
	/* IPv4 */
	int ihl; /* bytes */
	bool ip4_csum_ok;
	bool srcroute; /* an LSRR or SSRR option */
	bool frag; /* IPv4 MF or offset; IPv6 fragment header */
	bool ip6_ext_bad; /* IPv6: routing, fragment or unknown extension header before TCP */
	bool ip_len_beyond; /* the IP length says more than the frame holds */
	size_t ip_end; /* l3 + the IP length (capped at len) */
	uint8_t proto;
	uint8_t saddr[16], daddr[16]; /* IPv4 in the first 4 bytes */
	/* TCP */
	bool tcp; /* a TCP header whose data offset fits the IP payload */
	size_t l4;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	int doff; /* bytes */
	uint32_t payload; /* TCP payload bytes by the IP length */
	bool tcp_csum_ok;
	bool tcp_csum_partial; /* the field holds the pseudo-header sum (CHECKSUM_PARTIAL) */
};

void fz_parse(const uint8_t *d, size_t len, struct fz_pkt *p);
/* RFC 1071 sum of len bytes added to sum (not folded, not inverted). */
uint32_t fz_sum(const uint8_t *d, size_t len, uint32_t sum);
uint16_t fz_fold(uint32_t sum);
/* The checksum a header (IPv4) or segment (TCP, with the pseudo header) should carry. */
uint16_t fz_ip4_csum(const uint8_t *iph, size_t ihl);
uint16_t fz_tcp_csum(const uint8_t *d, const struct fz_pkt *p, size_t tcp_len);
/* Recompute the IPv4 header and TCP checksums of a parsed frame in place (what parses). */
void fz_fix_csums(uint8_t *d, size_t len);
/* Do the TCP options of a segment parse (kinds, lengths within the header)? */
bool fz_tcp_opts_ok(const uint8_t *d, const struct fz_pkt *p);
/* A source no real client has: unspecified, loopback, multicast, class E/broadcast. */
bool fz_src_martian(const struct fz_pkt *p);

/* ---------------------------------------------------------------- targets */

enum fz_target_id {
	FZ_GUARD_XDP,
	FZ_GUARD_TC,
	FZ_SERVE_XDP,
	FZ__TARGETS,
};

/* An interface a controller runs on, as the generator addresses frames to it. */
struct fz_iface {
	const char *name;
	uint8_t mac[6];
	uint8_t addr4[4];
	uint8_t addr6[16];
	const uint16_t *ports; /* served/protected ports */
	int nports;
};

struct fz_target {
	const char *name; /* guard-xdp, guard-tc, serve-xdp: the replay file's first word */
	bool xdp;
	int prog_fd;
	int stats_fd; /* the per-CPU counter array */
	unsigned int nstats;
	const char *const *stat_names;
	const struct fz_iface *ifc;
};

/* ---------------------------------------------------------------- flows */

/* A client tuple of the sequence generator and what it learnt of the server. */
struct fz_flow {
	bool used;
	bool v6;
	uint8_t caddr[16];
	uint16_t cport, sport;
	uint8_t cmac[6];
	int phase; /* 0: nothing sent, 1: SYN sent, 2: SYN-ACK seen, 3: handshake ACKed */
	uint32_t isn, snd_nxt; /* ours (the client's) */
	uint32_t iss, rcv_nxt; /* the server's, from its SYN-ACK */
	bool ts;
	uint32_t tsval, ts_peer;
	/* the frames sent on this tuple, for a replay of a sequence */
	uint8_t hist[8][FZ_FRAME_MAX];
	uint16_t hist_len[8];
	uint8_t hist_target[8];
	unsigned int nhist;
};

#define FZ_FLOWS 48

struct fz_gen {
	struct fz_rng rng;
	const struct fz_iface *ifc[FZ__TARGETS];
	struct fz_flow flows[FZ_FLOWS];
	/* recent valid frames, the mutator's material */
	uint8_t pool[64][FZ_FRAME_MAX];
	uint16_t pool_len[64];
	unsigned int npool;
};

/* How a frame was made, for the summary and for flow bookkeeping. */
enum fz_kind {
	FZ_KIND_RANDOM,
	FZ_KIND_STRUCT,
	FZ_KIND_MUTATE,
	FZ_KIND_SEQ,
	FZ__KINDS,
};

struct fz_made {
	enum fz_kind kind;
	int flow; /* FZ_KIND_SEQ: index into flows, else -1 */
};

void fz_gen_init(struct fz_gen *g, uint64_t seed);
/* A frame for target t into buf (FZ_FRAME_MAX bytes); returns its length. */
size_t fz_gen_frame(struct fz_gen *g, int t, uint8_t *buf, struct fz_made *m);
/* Tell the generator what a sequence frame brought back (reply NULL: none). */
void fz_gen_learn(struct fz_gen *g, const struct fz_made *m, const uint8_t *reply,
		  size_t reply_len);

/* ---------------------------------------------------------------- set-up */

/*
 * A private network namespace with a veth per controller (peer down, so the
 * programs see only our test runs), listeners for guard's open port, and
 * `shakeoff guard` and `shakeoff serve` started on them. Fills targets[].
 * 0 or -errno after a message.
 */
int fz_setup(const char *shakeoff, struct fz_target *targets, int *serve_flows_fd,
	     int *serve_halfopen_fd, int *serve_pid);
/* Stop the controllers we started. */
void fz_teardown(void);

extern const struct fz_iface fz_guard_if, fz_serve_if;

#endif /* SHAKEOFF_FUZZ_FZ_H */
