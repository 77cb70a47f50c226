/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cookie keys. Random keys are fresh per slot. With a key file, the key of a
 * slot is derived from the file's secret and the slot number of the wall
 * clock, so hosts sharing the file (ECMP, anycast) accept each other's cookies.
 */
#ifndef SHAKEOFF_KEYS_H
#define SHAKEOFF_KEYS_H

#include <stdbool.h>
#include <linux/types.h>
#include <shakeoff/guard_abi.h>

#define KEY_FILE_MIN_BYTES 16

struct key_source {
	bool from_file;
	__u64 m0, m1; /* master key derived from the file */
};

/* The secret comes from path, a regular file: 0, -ENODATA (under
 * KEY_FILE_MIN_BYTES), -EINVAL (not a regular file), -EKEYREJECTED (one
 * byte value throughout), or -errno of open/read. */
int keys_from_file(const char *path, struct key_source *ks);
void keys_random(struct key_source *ks);
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
