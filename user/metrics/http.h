/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little HTTP/1.1 the metrics endpoint speaks: GET and HEAD requests
 * parsed from a bounded buffer, answers with Content-Length and
 * Connection: close. Pure functions, no sockets: the fuzzer and the unit
 * test drive them with whatever bytes they like.
 */
#ifndef SHAKEOFF_METRICS_HTTP_H
#define SHAKEOFF_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/mbuf.h"

#define HTTP_MAX_REQUEST 8192 /* request line and headers, at most */
#define HTTP_MAX_PATH 256

/* What http_parse() returns besides a status code (400, 405, 414, 431, 505). */
#define HTTP_MORE 0 /* no complete request yet: read more */
#define HTTP_OK 200 /* a request, in *r */

struct http_req {
	bool head; /* HEAD: the answer without its body */
	char path[HTTP_MAX_PATH]; /* the target's path, without the query */
};

/*
 * The request in buf[0..len), which may be incomplete. An error is final:
 * answer it and close. A request longer than HTTP_MAX_REQUEST is an error
 * (414 or 431) once len reaches it; the caller never needs to hold more.
 */
int http_parse(const char *buf, size_t len, struct http_req *r);
/* The reason phrase of a status code ("Not Found"). */
const char *http_reason(int status);
/*
 * A whole answer into out: status line, Content-Type, Content-Length,
 * Connection: close, Cache-Control: no-store, extra header lines (each
 * ending in \r\n, or NULL), and the body unless head.
 */
void http_answer(struct mbuf *out, int status, const char *ctype, const char *extra,
		 const void *body, size_t len, bool head);

#endif /* SHAKEOFF_METRICS_HTTP_H */
