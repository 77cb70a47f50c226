// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "apps/apps.h"

/* Sends back what arrives; takes only what fits the send buffer, so a slow reader slows the writer. */
static size_t echo_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	long n = tcp_send(c, buf, len, tcp_now(c));

	/* short: the engine offers the rest again with the ACKs that free send space */
	return n > 0 ? (size_t)n : n == 0 ? 0 : len;
}

static void close_too(struct tcb *c)
{
	tcp_close(c, tcp_now(c));
}

static const struct tcp_app app_echo = {
	.data = echo_data,
	.close = close_too,
};

static size_t discard_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	(void)c;
	(void)buf;
	return len;
}

static const struct tcp_app app_discard = {
	.data = discard_data,
	.close = close_too,
};

/* Closes its side as soon as the connection is there: the server-closes-first paths. */
static void close_at_open(struct tcb *c)
{
	tcp_close(c, tcp_now(c));
}

static const struct tcp_app app_close = {
	.open = close_at_open,
	.data = discard_data,
};

const struct app_desc apps_table[] = {
	{ "echo", "returns what arrives; closes after the peer", &app_echo },
	{ "discard", "swallows what arrives; closes after the peer", &app_discard },
	{ "close", "closes its side as soon as it opens", &app_close },
};

const size_t apps_count = sizeof(apps_table) / sizeof(apps_table[0]);

const struct app_desc *apps_find(const char *name)
{
	size_t i;

	for (i = 0; i < apps_count; i++)
		if (!strcmp(apps_table[i].name, name))
			return &apps_table[i];
	return NULL;
}

char *apps_names(char *buf, size_t len, const char *last_sep)
{
	size_t i, off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < apps_count && off < len; i++) {
		const char *sep = !i ? "" : i + 1 == apps_count ? last_sep : ", ";
		int n = snprintf(buf + off, len - off, "%s%s", sep, apps_table[i].name);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}
