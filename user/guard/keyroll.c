// SPDX-License-Identifier: GPL-2.0
/*
 * Key-file rollover: noticing a changed secret (SIGHUP or the file's
 * identity), refusing a bad one, and the phases of keys.h's overlap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/log.h"
#include "guard/keys.h"

static const char *key_who(const struct key_source *ks)
{
	return ks->who ? ks->who : "guard";
}

static const char *key_phase_name(enum key_phase p)
{
	return p == KEY_SIGN_OLD ? "sign_old" : p == KEY_SIGN_NEW ? "sign_new" : "steady";
}

static unsigned long long key_overlap_s(const struct key_source *ks)
{
	return ks->overlap_ns / 1000000000ULL;
}

/* One line per step of a rollover: the JSON event, or text saying what is signed and taken. */
static void __attribute__((format(printf, 3, 4)))
key_log_step(const struct key_source *ks, bool json, const char *fmt, ...)
{
	va_list ap;

	if (json) {
		printf("{\"event\":\"key_roll\",\"iface\":\"%s\",\"phase\":\"%s\",\"overlap_s\":%llu}\n",
		       key_who(ks), key_phase_name(ks->phase), key_overlap_s(ks));
	} else {
		printf("%s: ", key_who(ks));
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static void key_log_refused(const struct key_source *ks, const char *path, int err, bool json)
{
	if (json) {
		printf("{\"event\":\"key_file_refused\",\"iface\":\"%s\",\"reason\":\"%s\"}\n",
		       key_who(ks), keys_strerror(err));
		fflush(stdout);
	} else {
		pr_warn("%s: key file %s refused (%s): keeping the secret in use\n", key_who(ks),
			path, keys_strerror(err));
	}
}

int keys_reload_at(struct key_source *ks, const char *path, __u64 now_ns, bool json)
{
	struct key_file_id id;
	__u64 m[2] = { 0, 0 };
	int err;

	if (!path)
		path = ks->path;
	if (!path[0])
		return -ENOENT;
	err = strlen(path) < sizeof(ks->path) ? keys_read_secret(path, m, &id) : -ENAMETOOLONG;
	if (err) {
		/* a file that never loads is reported once per version, not per poll */
		ks->refused = id;
		key_log_refused(ks, path, err, json);
		return err;
	}
	if (path != ks->path)
		strcpy(ks->path, path);
	ks->loaded = id;
	memset(&ks->refused, 0, sizeof(ks->refused));
	if (!ks->from_file) {
		/* random keys were this host's alone: nobody else signs with them */
		ks->from_file = true;
		ks->m0 = m[0];
		ks->m1 = m[1];
		ks->phase = KEY_STEADY;
		key_log_step(ks, json, "cookie keys now derived from %s", ks->path);
		return 1;
	}
	if (m[0] == ks->m0 && m[1] == ks->m1) {
		pr_debug("%s: key file %s read again: the same secret\n", key_who(ks), path);
		return 0;
	}
	if (ks->phase == KEY_SIGN_OLD && m[0] == ks->o0 && m[1] == ks->o1) {
		/*
		 * Back to the secret this host still signs with: keep signing with
		 * it and accept the abandoned one for one phase, as long as hosts
		 * that had moved on to it need to come back.
		 */
		ks->o0 = ks->m0;
		ks->o1 = ks->m1;
		ks->m0 = m[0];
		ks->m1 = m[1];
		ks->roll_ns = now_ns - ks->overlap_ns;
		ks->phase = ks->overlap_ns ? KEY_SIGN_NEW : KEY_STEADY;
		key_log_step(
			ks, json,
			"%s back to the secret in use: accepting the other one for %llu s more",
			ks->path, key_overlap_s(ks));
		return 1;
	}
	/* From the secret this host signs with now; a rollover in progress starts again. */
	if (ks->phase != KEY_SIGN_OLD) {
		ks->o0 = ks->m0;
		ks->o1 = ks->m1;
	}
	ks->m0 = m[0];
	ks->m1 = m[1];
	ks->roll_ns = now_ns;
	ks->phase = ks->overlap_ns ? KEY_SIGN_OLD : KEY_STEADY;
	if (ks->phase == KEY_STEADY) {
		ks->o0 = 0;
		ks->o1 = 0;
	}
	if (ks->phase == KEY_SIGN_OLD)
		key_log_step(
			ks, json,
			"new secret in %s: signing with the old one, accepting both for %llu s",
			ks->path, key_overlap_s(ks));
	else
		key_log_step(ks, json, "new secret in %s: in use at once (--key-overlap 0)",
			     ks->path);
	return 1;
}

int keys_reload(struct key_source *ks, const char *path, bool json)
{
	return keys_reload_at(ks, path, clock_mono_ns(), json);
}

int keys_step(struct key_source *ks, __u64 now_ns, bool json)
{
	__u64 age = now_ns - ks->roll_ns;
	enum key_phase want;

	if (ks->phase == KEY_STEADY)
		return 0;
	want = age < ks->overlap_ns	? KEY_SIGN_OLD :
	       age < 2 * ks->overlap_ns ? KEY_SIGN_NEW :
					  KEY_STEADY;
	if (want == ks->phase)
		return 0;
	ks->phase = want;
	if (want == KEY_STEADY) {
		ks->o0 = 0;
		ks->o1 = 0;
	}
	if (want == KEY_SIGN_NEW)
		key_log_step(
			ks, json,
			"key rollover: signing with the new secret, accepting the old one for %llu s more",
			key_overlap_s(ks));
	else
		key_log_step(ks, json, "key rollover done: the old secret is no longer accepted");
	return 1;
}

static bool key_file_same(const struct key_file_id *a, const struct key_file_id *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int keys_poll(struct key_source *ks, __u64 now_ns, bool json)
{
	struct key_file_id id;
	struct stat st;
	int changed = 0;

	if (ks->path[0] && now_ns - ks->poll_ns >= KEY_FILE_POLL_NS) {
		ks->poll_ns = now_ns;
		memset(&id, 0, sizeof(id));
		if (stat(ks->path, &st))
			id.err = -errno;
		else
			keys_file_id(&st, &id);
		if (!key_file_same(&id, &ks->loaded) && !key_file_same(&id, &ks->refused))
			changed = keys_reload_at(ks, NULL, now_ns, json) > 0;
	}
	return keys_step(ks, now_ns, json) || changed;
}
