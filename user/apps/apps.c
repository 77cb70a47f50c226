// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "apps/apps.h"

static size_t echo_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	long n = tcp_send(c, buf, len, tcp_now(c));

	/* short: the engine offers the rest again once ACKs free send space */
	return n > 0 ? (size_t)n : n == 0 ? 0 : len;
}

static void close_too(struct tcb *c)
{
	tcp_close(c, tcp_now(c));
}

const struct tcp_app tcp_app_echo = {
	.data = echo_data,
	.close = close_too,
};

static size_t discard_data(struct tcb *c, const uint8_t *buf, size_t len)
{
	(void)c;
	(void)buf;
	return len;
}

const struct tcp_app tcp_app_discard = {
	.data = discard_data,
	.close = close_too,
};

/* Closes its side as soon as the connection is there: the server-closes-first paths. */
static void close_at_open(struct tcb *c)
{
	tcp_close(c, tcp_now(c));
}

const struct tcp_app tcp_app_close = {
	.open = close_at_open,
	.data = discard_data,
};

const struct tcp_app *tcp_app_by_name(const char *name)
{
	if (!strcmp(name, "echo"))
		return &tcp_app_echo;
	if (!strcmp(name, "discard"))
		return &tcp_app_discard;
	if (!strcmp(name, "close"))
		return &tcp_app_close;
	return NULL;
}
