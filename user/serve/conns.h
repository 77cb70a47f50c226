/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's connection blocks: one per connection the controller has seen a
 * segment of (or found ESTABLISHED in the flow table), holding the TCP
 * engine's connection. A hash table by 4-tuple, a list of all for the walk,
 * and the glue both ways between a flow entry and its block: what XDP did
 * alone is told to the engine (conn_import), what the engine did is written
 * to the entry (conn_publish).
 */
#ifndef SHAKEOFF_SERVE_CONNS_H
#define SHAKEOFF_SERVE_CONNS_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/serve_abi.h>

#include "tcp/tcp.h"

struct serve;

struct conn {
	struct tcb tcb;
	struct serve_flow_key key;
	struct conn *next; /* hash chain */
	struct conn *all_next, *all_prev; /* every connection block, for the walk */
	struct conn *dead_next; /* released, to be freed outside the engine's calls */
	__u64 walk_gen; /* the last walk of the flow table that found its entry */
	__u8 peer_mac[6];
	bool ipv6;
	bool released;
	__u32 queue;
	__u8 seen_state; /* the entry's state as we last wrote or imported it */
	__u64 seen_last_ns;
};

struct conn_table {
	struct conn **buckets;
	struct conn *all;
	struct conn *dead; /* released by the engine, freed by conns_reap() */
	unsigned long n;
	__u64 walk_gen; /* the walk under way, or the last one */
};

/* The engine's callbacks; their ctx is the struct serve. */
extern const struct tcp_ops conn_tcp_ops;

int conns_init(struct conn_table *t);
/* Every block freed, the engine's connections with them. */
void conns_fini(struct conn_table *t);

struct conn *conn_find(const struct conn_table *t, const struct serve_flow_key *k);
/* A block for the connection whose entry is v (ESTABLISHED or later); NULL if out of memory. */
struct conn *conn_create(struct serve *s, const struct serve_flow_key *k,
			 const struct serve_flow *v, __u32 queue, __u64 now);
/* Whether entry v is c's connection rather than a newer one on the tuple. */
bool conn_is_for(const struct conn *c, const struct serve_flow *v);
/*
 * The entry under c's key belongs to a newer connection (XDP accepted a SYN on
 * the tuple in TIME_WAIT): c's job is over, and the entry is not c's to delete.
 */
void conn_retire(struct serve *s, struct conn *c);
/* Free the blocks the engine released, with their entries (through so_serve_ctl). */
void conns_reap(struct serve *s);

/* The entry of k, read under its lock. 0 or -errno (-ENOENT: none). */
int flow_entry_read(const struct serve *s, const struct serve_flow_key *k, struct serve_flow *v);
/* Tell the engine what XDP did to c's entry on its own (v NULL: XDP deleted it). */
void conn_import(struct conn *c, const struct serve_flow *v, __u64 now);
/* Bring the entry (v, as the walk read it) up to what the engine knows. */
void conn_publish(struct serve *s, struct conn *c, const struct serve_flow *v);

#endif /* SHAKEOFF_SERVE_CONNS_H */
