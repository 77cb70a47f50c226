/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cookie keys. Random keys are fresh per slot. With a key file, the key of a
 * slot is derived from the file's secret and the slot number of the wall
 * clock, so hosts sharing the file (ECMP, anycast) accept each other's cookies.
 *
 * A changed secret rolls over in two phases of overlap_ns each, counted
 * from when this host read it (see keys_for_slot()):
 *   KEY_SIGN_OLD: sign with the old secret, accept both;
 *   KEY_SIGN_NEW: sign with the new secret, accept both;
 * then KEY_STEADY: the new secret alone. A cookie any host of a fleet made
 * verifies on any other as long as all of them read the new file within
 * overlap_ns of each other: the first to read it signs with the old secret
 * until the last has read it, and the last accepts the old one until the
 * first has stopped signing with it.
 */
#ifndef SHAKEOFF_KEYS_H
#define SHAKEOFF_KEYS_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>
#include <stdbool.h>
#include <time.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>

#define KEY_FILE_MIN_BYTES 16
/* The key file is looked at (stat) this often, read only when it changed. */
#define KEY_FILE_POLL_NS 1000000000ULL

enum key_phase {
	KEY_STEADY = 0, /* one secret (or random keys) */
	KEY_SIGN_OLD, /* rollover, first half: sign with the old secret, accept both */
	KEY_SIGN_NEW, /* rollover, second half: sign with the new secret, accept both */
};

/* What identifies a version of the key file without reading it. */
struct key_file_id {
	int err; /* 0, or -errno of the open or stat that failed (the rest 0) */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct key_source {
	bool from_file;
	__u64 m0, m1; /* master key derived from the file (the newest secret) */
	/* the rollover from the previous secret (o0, o1) to m0, m1 */
	enum key_phase phase;
	__u64 o0, o1;
	__u64 roll_ns; /* CLOCK_MONOTONIC when KEY_SIGN_OLD began (maybe virtually) */
	__u64 overlap_ns; /* each phase's length; 0: a new secret replaces the old at once */
	/* the file, watched by keys_poll() */
	char path[PATH_MAX];
	struct key_file_id loaded; /* the version the secret came from */
	struct key_file_id refused; /* the last version refused, not to complain twice */
	__u64 poll_ns; /* when keys_poll() last looked */
	const char *who; /* what log lines begin with (the interface) */
};

/* The secret comes from path, a regular file: 0, -ENODATA (under
 * KEY_FILE_MIN_BYTES), -EINVAL (not a regular file), -EKEYREJECTED (one
 * byte value throughout), -ENAMETOOLONG, or -errno of open/read. */
int keys_from_file(const char *path, struct key_source *ks);
/* The same reading, into a master key m[2] and the version it came from. */
int keys_read_secret(const char *path, __u64 m[2], struct key_file_id *id);
struct stat;
void keys_file_id(const struct stat *st, struct key_file_id *id);
/* Why keys_from_file() or keys_reload() refused a file, for "...: %s". */
const char *keys_strerror(int err);
void keys_random(struct key_source *ks);

/*
 * Read path (NULL: the file in use) again and roll over to its secret if
 * it changed; a file that keys_from_file() refuses leaves the secret in use
 * as it was. Logs one line (a JSON event with json) for what happened but
 * an unchanged secret. Returns 1 when a rollover began, 0 for the same
 * secret, or the error. now_ns: CLOCK_MONOTONIC. For SIGHUP, and keys_poll().
 */
int keys_reload_at(struct key_source *ks, const char *path, __u64 now_ns, bool json);
int keys_reload(struct key_source *ks, const char *path, bool json);
/*
 * Once a tick: every KEY_FILE_POLL_NS, reload the file if its identity
 * (device, inode, size, mtime) changed; then advance the rollover's phase
 * (keys_step()). Returns 1 if the keys to write changed, else 0.
 */
int keys_poll(struct key_source *ks, __u64 now_ns, bool json);
/* The rollover's phase at now_ns, logged when it moves on; 1 if it did. */
int keys_step(struct key_source *ks, __u64 now_ns, bool json);

/*
 * The key of a slot in the current phase: k0/k1 signs (and verifies), a0/a1
 * is the other secret's key during a rollover, else 0 (none).
 */
int keys_for_slot(const struct key_source *ks, __u64 slot, struct guard_key *out);
/* Make sure slots slot-1 .. slot+1 have keys in the map; returns how many were written. */
int keys_refresh(int map_fd, const struct key_source *ks, __u64 slot);

/* CLOCK_TAI - CLOCK_MONOTONIC: what the BPF side adds to its clock. */
__s64 clock_tai_offset(void);
/* The current slot as BPF computes it (monotonic clock + offset). */
__u64 slot_now(__s64 offset);

/* SipHash-2-4 over bytes (with the tail), for deriving keys. */
__u64 siphash_bytes(__u64 k0, __u64 k1, const void *buf, size_t len);

#endif /* SHAKEOFF_KEYS_H */
