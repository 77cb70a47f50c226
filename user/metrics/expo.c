// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdarg.h>

#include "metrics/expo.h"

struct expo {
	struct mbuf *b;
	const struct metric_family *f;
	const char *iface;
};

void expo_help_text(struct mbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			mbuf_puts(b, "\\\\");
		else if (*s == '\n')
			mbuf_puts(b, "\\n");
		else
			mbuf_put(b, s, 1);
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(struct mbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			mbuf_put(b, "\\", 1);
		if (*s == '\n')
			mbuf_puts(b, "\\n");
		else
			mbuf_put(b, s, 1);
	}
}

static void sample_labels(struct expo *e, va_list ap)
{
	const char *name, *value;

	mbuf_printf(e->b, "%s{iface=\"", e->f->name);
	label_value(e->b, e->iface);
	mbuf_put(e->b, "\"", 1);
	while ((name = va_arg(ap, const char *))) {
		value = va_arg(ap, const char *);
		mbuf_printf(e->b, ",%s=\"", name);
		label_value(e->b, value ? value : "");
		mbuf_put(e->b, "\"", 1);
	}
	mbuf_put(e->b, "}", 1);
}

void expo_u64(struct expo *e, __u64 v, ...)
{
	va_list ap;

	va_start(ap, v);
	sample_labels(e, ap);
	va_end(ap);
	mbuf_printf(e->b, " %llu\n", (unsigned long long)v);
}

void expo_double(struct expo *e, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	sample_labels(e, ap);
	va_end(ap);
	if (isnan(v))
		mbuf_puts(e->b, " NaN\n");
	else if (isinf(v))
		mbuf_puts(e->b, v > 0 ? " +Inf\n" : " -Inf\n");
	else
		mbuf_printf(e->b, " %.17g\n", v);
}

void expo_render(struct mbuf *b, const struct metric_family *t, unsigned int n, void *ctx,
		 const char *iface)
{
	struct expo e = { .b = b, .iface = iface };
	unsigned int i;

	for (i = 0; i < n; i++) {
		e.f = &t[i];
		mbuf_printf(b, "# HELP %s ", t[i].name);
		expo_help_text(b, t[i].help);
		if (t[i].help_more)
			t[i].help_more(b, t[i].arg);
		mbuf_printf(b, "\n# TYPE %s %s\n", t[i].name,
			    t[i].type == METRIC_COUNTER ? "counter" : "gauge");
		t[i].collect(&e, ctx, t[i].arg);
	}
}
