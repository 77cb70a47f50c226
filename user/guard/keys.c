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

void keys_file_id(const struct stat *st, struct key_file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

int keys_read_secret(const char *path, __u64 m[2], struct key_file_id *id)
{
	__u8 buf[4096];
	struct stat st;
	ssize_t n, i;
	int fd, err = 0;

	memset(id, 0, sizeof(*id));
	/* O_NONBLOCK: a FIFO must not hang the start; only a regular file is read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return id->err = -errno;
	if (fstat(fd, &st)) {
		err = id->err = -errno;
	} else {
		keys_file_id(&st, id);
		if (!S_ISREG(st.st_mode))
			err = -EINVAL;
	}
	n = err ? 0 : read(fd, buf, sizeof(buf));
	if (!err && n < 0)
		err = -errno;
	close(fd);
	if (!err && n < KEY_FILE_MIN_BYTES)
		err = -ENODATA;
	/* a secret of one byte value repeated (/dev/zero, a blanked file) is no secret */
	for (i = 1; !err && i < n && buf[i] == buf[0]; i++)
		;
	if (!err && i == n)
		err = -EKEYREJECTED;
	if (!err) {
		/* Two fixed, distinct keys turn any secret of 16+ bytes into a 128-bit master. */
		m[0] = siphash_bytes(0x73686b6f66666b30ULL, 0, buf, n);
		m[1] = siphash_bytes(0x73686b6f66666b31ULL, 0, buf, n);
	}
	explicit_bzero(buf, sizeof(buf));
	return err;
}

int keys_from_file(const char *path, struct key_source *ks)
{
	__u64 m[2] = { 0, 0 };
	int err;

	memset(ks, 0, sizeof(*ks));
	if (strlen(path) >= sizeof(ks->path))
		return -ENAMETOOLONG;
	err = keys_read_secret(path, m, &ks->loaded);
	if (err)
		return err;
	ks->m0 = m[0];
	ks->m1 = m[1];
	ks->from_file = true;
	ks->phase = KEY_STEADY;
	strcpy(ks->path, path);
	return 0;
}

const char *keys_strerror(int err)
{
	switch (err) {
	case -ENODATA:
		return "needs at least 16 bytes of secret";
	case -EINVAL:
		return "not a regular file";
	case -EKEYREJECTED:
		return "the secret is one byte value repeated";
	default:
		return strerror(-err);
	}
}

void keys_random(struct key_source *ks)
{
	memset(ks, 0, sizeof(*ks));
}

static void key_derive(__u64 m0, __u64 m1, __u64 slot, __u64 *k0, __u64 *k1)
{
	__u64 msg[2] = { slot, 0 };

	*k0 = siphash_bytes(m0, m1, msg, sizeof(msg));
	msg[1] = 1;
	*k1 = siphash_bytes(m0, m1, msg, sizeof(msg));
}

int keys_for_slot(const struct key_source *ks, __u64 slot, struct guard_key *out)
{
	memset(out, 0, sizeof(*out));
	out->slot = slot;
	if (!ks->from_file) {
		__u64 r[2];

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -errno;
		out->k0 = r[0];
		out->k1 = r[1];
		return 0;
	}
	switch (ks->phase) {
	case KEY_SIGN_OLD:
		key_derive(ks->o0, ks->o1, slot, &out->k0, &out->k1);
		key_derive(ks->m0, ks->m1, slot, &out->a0, &out->a1);
		break;
	case KEY_SIGN_NEW:
		key_derive(ks->m0, ks->m1, slot, &out->k0, &out->k1);
		key_derive(ks->o0, ks->o1, slot, &out->a0, &out->a1);
		break;
	default:
		key_derive(ks->m0, ks->m1, slot, &out->k0, &out->k1);
		break;
	}
	return 0;
}

int keys_refresh(int map_fd, const struct key_source *ks, __u64 slot)
{
	int written = 0;
	__u64 s;

	for (s = slot - 1; s <= slot + 1; s++) {
		__u32 idx = s & (GUARD_KEY_SLOTS - 1);
		struct guard_key k, want;
		int err;

		/*
		 * Random keys are drawn once per slot. Derived ones are rewritten
		 * when the phase of a rollover changes what they hold.
		 */
		if (bpf_map_lookup_elem(map_fd, &idx, &k))
			memset(&k, 0, sizeof(k));
		if (!ks->from_file && k.slot == s)
			continue;
		err = keys_for_slot(ks, s, &want);
		if (err)
			return err;
		if (!memcmp(&k, &want, sizeof(k)))
			continue;
		k = want;
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
