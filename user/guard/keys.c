// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <shakeoff/cookie.h>

#include "core/clock.h"
#include "guard/keys.h"
#include "core/log.h"

__u64 siphash_bytes(__u64 k0, __u64 k1, const void *buf, size_t len)
{
	const __u8 *p = buf;
	struct sip_state s;
	__u64 m, tail = 0;
	size_t i, j;

	sip_init(&s, k0, k1);
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, sizeof(m));
		sip_word(&s, le64toh(m));
	}
	for (j = 0; i + j < len; j++)
		tail |= (__u64)p[i + j] << (8 * j);
	return sip_final(&s, ((__u64)(len & 0xff) << 56) | tail);
}

int keys_from_file(const char *path, struct key_source *ks)
{
	__u8 buf[4096];
	struct stat st;
	ssize_t n, i;
	int fd, err = 0;

	/* O_NONBLOCK: a FIFO must not hang the start; only a regular file is read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	n = err ? 0 : read(fd, buf, sizeof(buf));
	if (!err && n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (n < KEY_FILE_MIN_BYTES)
		return -ENODATA;
	/* a secret of one byte value repeated (/dev/zero, a blanked file) is no secret */
	for (i = 1; i < n && buf[i] == buf[0]; i++)
		;
	if (i == n)
		return -EKEYREJECTED;
	/* Two fixed, distinct keys turn any secret of 16+ bytes into a 128-bit master. */
	ks->m0 = siphash_bytes(0x73686b6f66666b30ULL, 0, buf, n);
	ks->m1 = siphash_bytes(0x73686b6f66666b31ULL, 0, buf, n);
	ks->from_file = true;
	memset(buf, 0, sizeof(buf));
	return 0;
}

void keys_random(struct key_source *ks)
{
	memset(ks, 0, sizeof(*ks));
}

int keys_for_slot(const struct key_source *ks, __u64 slot, struct guard_key *out)
{
	__u64 msg[2] = { slot, 0 };

	out->slot = slot;
	if (!ks->from_file) {
		__u64 r[2];

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -errno;
		out->k0 = r[0];
		out->k1 = r[1];
		return 0;
	}
	out->k0 = siphash_bytes(ks->m0, ks->m1, msg, sizeof(msg));
	msg[1] = 1;
	out->k1 = siphash_bytes(ks->m0, ks->m1, msg, sizeof(msg));
	return 0;
}

int keys_refresh(int map_fd, const struct key_source *ks, __u64 slot)
{
	int written = 0;
	__u64 s;

	for (s = slot - 1; s <= slot + 1; s++) {
		__u32 idx = s & (GUARD_KEY_SLOTS - 1);
		struct guard_key k;
		int err;

		if (!bpf_map_lookup_elem(map_fd, &idx, &k) && k.slot == s)
			continue;
		err = keys_for_slot(ks, s, &k);
		if (err)
			return err;
		if (bpf_map_update_elem(map_fd, &idx, &k, BPF_ANY))
			return -errno;
		written++;
	}
	return written;
}

__s64 clock_tai_offset(void)
{
	return clock_ns(CLOCK_TAI) - clock_ns(CLOCK_MONOTONIC);
}

__u64 slot_now(__s64 offset)
{
	return (__u64)(clock_ns(CLOCK_MONOTONIC) + offset) >> GUARD_SLOT_SHIFT;
}
