/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The built-in applications on the TCP engine's interface (struct tcp_app),
 * in one table: `serve --app` checks names against it and prints it in its
 * help, serve_start() finds the app in it.
 */
#ifndef SHAKEOFF_APPS_H
#define SHAKEOFF_APPS_H

#include <stddef.h>

#include "tcp/tcp.h"

struct app_desc {
	const char *name;
	const char *help; /* for --help: at most 44 characters */
	const struct tcp_app *app;
};

/* Every app, apps_count of them, in the order --help lists them. */
extern const struct app_desc apps_table[];
extern const size_t apps_count;

/* The app called name; NULL if there is none. */
const struct app_desc *apps_find(const char *name);

/*
 * The names, ", " between them and last_sep before the last one ("echo,
 * discard or close" with " or "), into buf (always terminated). Returns buf.
 */
char *apps_names(char *buf, size_t len, const char *last_sep);

#endif /* SHAKEOFF_APPS_H */
