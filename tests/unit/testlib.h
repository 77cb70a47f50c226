/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal case runner for unit tests. A case is tl_begin() ... tl_end();
 * checks in between are written as `if (!ASSERT(...)) goto out;` and record
 * what was expected and what came, printed under the case's FAIL line. A
 * case that cannot run here (no root, a kernel feature missing) calls
 * tl_skip("why") and ends as skipped, never as a silent pass.
 * tl_summary() prints "N passed, N failed, N skipped" (what tests/run.sh
 * sums) and gives the exit status.
 */
#ifndef SHAKEOFF_TEST_TESTLIB_H
#define SHAKEOFF_TEST_TESTLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct tl_state {
	int passed;
	int failed;
	int skipped;
	bool case_failed;
	bool case_skipped;
	char desc[256];
	char skip_why[256];
	char log[32768];
	size_t log_len;
};

static struct tl_state tl __attribute__((unused));

static inline void tl_vnote(const char *fmt, va_list ap)
{
	int n;

	if (tl.log_len >= sizeof(tl.log) - 1)
		return;
	n = vsnprintf(tl.log + tl.log_len, sizeof(tl.log) - tl.log_len, fmt, ap);
	if (n > 0)
		tl.log_len += (size_t)n;
	if (tl.log_len > sizeof(tl.log) - 1)
		tl.log_len = sizeof(tl.log) - 1;
}

/* Add detail printed only if the case fails. */
static inline __attribute__((format(printf, 1, 2))) void tl_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_vnote(fmt, ap);
	va_end(ap);
}

/* Start a case named by fmt; tl_vbegin() for wrappers that take their own format. */
static inline void tl_vbegin(const char *fmt, va_list ap)
{
	vsnprintf(tl.desc, sizeof(tl.desc), fmt, ap);
	tl.case_failed = false;
	tl.case_skipped = false;
	tl.skip_why[0] = 0;
	tl.log_len = 0;
	tl.log[0] = 0;
}

static inline __attribute__((format(printf, 1, 2))) void tl_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_vbegin(fmt, ap);
	va_end(ap);
}

static inline bool tl_failing(void)
{
	return tl.case_failed;
}

static inline __attribute__((format(printf, 4, 5))) bool tl_check(bool ok, const char *file,
								  int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	tl.case_failed = true;
	tl_note("    %s:%d: ", file, line);
	va_start(ap, fmt);
	tl_vnote(fmt, ap);
	va_end(ap);
	tl_note("\n");
	return false;
}

#define ASSERT(cond, ...) tl_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Integers of any width; both values are printed in decimal and hex. */
#define ASSERT_EQ(actual, expected, what)                                             \
	({                                                                            \
		long long _a = (long long)(actual), _e = (long long)(expected);       \
		tl_check(_a == _e, __FILE__, __LINE__,                                \
			 "%s: expected %lld (0x%llx), got %lld (0x%llx)", (what), _e, \
			 (unsigned long long)_e, _a, (unsigned long long)_a);         \
	})

#define ASSERT_MEM_EQ(actual, expected, len, what)                                 \
	({                                                                         \
		bool _ok = !memcmp((actual), (expected), (len));                   \
		if (!_ok) {                                                        \
			tl_check(false, __FILE__, __LINE__, "%s differs", (what)); \
			tl_hexdump("expected", (expected), (len));                 \
			tl_hexdump("actual", (actual), (len));                     \
		}                                                                  \
		_ok;                                                               \
	})

static inline void tl_hexdump(const char *title, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	tl_note("    %s (%zu bytes):", title, len);
	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			tl_note("\n      %04zx ", i);
		tl_note(" %02x", p[i]);
	}
	tl_note("\n");
}

/*
 * The current case cannot run here; it ends as skipped, with `why` on its
 * result line (a failure recorded before still counts as a failure). A skip
 * without a reason fails the case: a reader must be told what was missing.
 */
static inline __attribute__((format(printf, 1, 2))) void tl_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl.skip_why, sizeof(tl.skip_why), fmt, ap);
	va_end(ap);
	tl.case_skipped = true;
	if (!tl.skip_why[0])
		tl_check(false, __FILE__, __LINE__, "skipped without saying why");
}

/*
 * Print the case's result line (and on failure what was recorded); true if it
 * passed, false if it failed or was skipped.
 */
static inline bool tl_end(void)
{
	if (tl.case_failed) {
		tl.failed++;
		printf("FAIL %s\n%s", tl.desc, tl.log);
	} else if (tl.case_skipped) {
		tl.skipped++;
		printf("skip %s: %s\n", tl.desc, tl.skip_why);
	} else {
		tl.passed++;
		printf("ok   %s\n", tl.desc);
	}
	fflush(stdout);
	return !tl.case_failed && !tl.case_skipped;
}

static inline int tl_summary(void)
{
	printf("%d passed, %d failed, %d skipped\n", tl.passed, tl.failed, tl.skipped);
	return tl.failed ? 1 : 0;
}

/*
 * What code under test prints on stderr, kept instead of shown (its one-line
 * errors are what a case checks): tl_stderr_begin() before the call,
 * tl_stderr_end() after it puts the text into buf.
 */
struct tl_capture {
	FILE *tmp;
	int saved;
};

static inline void tl_stderr_begin(struct tl_capture *c)
{
	c->tmp = tmpfile();
	c->saved = dup(2);
	fflush(stderr);
	if (c->tmp)
		dup2(fileno(c->tmp), 2);
}

static inline void tl_stderr_end(struct tl_capture *c, char *buf, size_t len)
{
	size_t n = 0;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	if (c->tmp) {
		rewind(c->tmp);
		n = fread(buf, 1, len - 1, c->tmp);
		fclose(c->tmp);
	}
	buf[n] = '\0';
}

#endif /* SHAKEOFF_TEST_TESTLIB_H */
