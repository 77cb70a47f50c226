/* SPDX-License-Identifier: GPL-2.0 */
/* A growable byte buffer for answers: appends never fail, a failed allocation marks it. */
#ifndef SHAKEOFF_METRICS_MBUF_H
#define SHAKEOFF_METRICS_MBUF_H

#include <stdbool.h>
#include <stddef.h>

struct mbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom; /* an append failed: the content is incomplete */
};

void mbuf_put(struct mbuf *b, const void *s, size_t n);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mbuf_reset(struct mbuf *b); /* empty, memory kept */
void mbuf_free(struct mbuf *b);

#endif /* SHAKEOFF_METRICS_MBUF_H */
