// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the metrics endpoint's HTTP parser (user/metrics/http.c)
 * under ASan+UBSan: any bytes give one of the documented answers; a request
 * it accepts has a path that starts with '/' and fits; every prefix of an
 * accepted request is incomplete or the same request (the server parses
 * whatever has arrived so far); the answer to it is well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http.h"

#define CHECK(cond)                       \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r, q;
	struct mbuf out = {};
	size_t n;
	int st, st2;

	st = http_parse((const char *)data, size, &r);
	CHECK(st == HTTP_MORE || st == HTTP_OK || st == 400 || st == 405 || st == 414 ||
	      st == 431 || st == 505);
	if (st == HTTP_MORE)
		CHECK(size < HTTP_MAX_REQUEST);
	if (st != HTTP_OK)
		return 0;
	CHECK(r.path[0] == '/' && strlen(r.path) < HTTP_MAX_PATH);
	for (n = 0; n < size; n++) {
		st2 = http_parse((const char *)data, n, &q);
		CHECK(st2 == HTTP_MORE || (st2 == HTTP_OK && !strcmp(q.path, r.path)));
	}
	http_answer(&out, 200, "text/plain", NULL, r.path, strlen(r.path), r.head);
	CHECK(!out.oom && !memcmp(out.p, "HTTP/1.1 200 OK\r\n", 17));
	CHECK(strstr(out.p, "\r\n\r\n"));
	mbuf_free(&out);
	return 0;
}
