// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics endpoint without BPF: the HTTP request parser against hostile
 * and broken requests (fed whole, byte by byte, and as random bytes), the
 * exposition writer's escaping, every guard and serve counter landing in a
 * family, and a live server on the loopback given garbage, silent and
 * vanishing clients, then still answering a scrape and stopping at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/stat_names.h"
#include "guard/metrics.h"
#include "metrics/http.h"
#include "metrics/metrics.h"
#include "serve/metrics.h"
#include "testlib.h"

struct req_case {
	const char *in;
	size_t len; /* NULs included */
	int want;
	const char *path; /* for HTTP_OK */
	bool head;
};

/* A string literal and its length, NULs and all. */
#define R(s) s, sizeof(s) - 1

static const struct req_case req_cases[] = {
	{ R("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), HTTP_OK, "/metrics", false },
	{ R("GET / HTTP/1.0\r\n\r\n"), HTTP_OK, "/", false },
	{ R("HEAD /metrics?x=1#f HTTP/1.1\r\n\r\n"), HTTP_OK, "/metrics", true },
	{ R("GET /metrics HTTP/1.1\nHost: x\n\n"), HTTP_OK, "/metrics", false }, /* bare LF */
	{ R("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), HTTP_OK, "/", false }, /* leading empty lines */
	{ R("GET /metrics HTTP/1.1\r\nHost: x\r\n"), HTTP_MORE, NULL, false },
	{ R("GET /metr"), HTTP_MORE, NULL, false },
	{ R(""), HTTP_MORE, NULL, false },
	{ R("POST /metrics HTTP/1.1\r\n\r\n"), 405, NULL, false },
	{ R("DELETE / HTTP/1.1\r\n\r\n"), 405, NULL, false },
	{ R("get / HTTP/1.1\r\n\r\n"), 405, NULL, false }, /* methods are case-sensitive */
	{ R("GET / HTTP/2.0\r\n\r\n"), 505, NULL, false },
	{ R("GET / HTTP/1.9\r\n\r\n"), 505, NULL, false },
	{ R("GET / HTTP/1.1 \r\n\r\n"), 400, NULL, false },
	{ R("GET  / HTTP/1.1\r\n\r\n"), 400, NULL, false },
	{ R("GET /\r\n\r\n"), 400, NULL, false }, /* HTTP/0.9 */
	{ R("GET http://x/ HTTP/1.1\r\n\r\n"), 400, NULL, false }, /* absolute-form */
	{ R("OPTIONS * HTTP/1.1\r\n\r\n"), 400, NULL, false },
	{ R(" GET / HTTP/1.1\r\n\r\n"), 400, NULL, false },
	{ R("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400, NULL, false },
	{ R("GET / HTTP/1.1\r\n: empty\r\n\r\n"), 400, NULL, false },
	{ R("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), 400, NULL, false }, /* obs-fold */
	{ R("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400, NULL, false },
	{ R("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"), 400, NULL, false },
	{ R("GET /\x7f HTTP/1.1\r\n\r\n"), 400, NULL, false },
	{ R("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n"), 400, NULL, false }, /* TLS hello */
	{ R("GET / HTTP/1.1\x00\r\n\r\n"), 400, NULL, false },
};

static void test_parse_table(void)
{
	struct http_req r;
	size_t i;
	int got;

	tl_begin("http_parse: %zu good, incomplete and hostile requests",
		 sizeof(req_cases) / sizeof(req_cases[0]));
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];

		memset(&r, 0, sizeof(r));
		got = http_parse(c->in, c->len, &r);
		if (!ASSERT(got == c->want, "case %zu: got %d, want %d", i, got, c->want))
			continue;
		if (c->want == HTTP_OK) {
			ASSERT(!strcmp(r.path, c->path), "case %zu: path '%s', want '%s'", i,
			       r.path, c->path);
			ASSERT(r.head == c->head, "case %zu: head %d", i, r.head);
		}
	}
	tl_end();
}

static void test_parse_bytewise(void)
{
	static const char req[] =
		"GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9100\r\nAccept: */*\r\n\r\n";
	struct http_req r;
	size_t n;

	tl_begin("http_parse: a request fed one byte at a time is complete exactly at its end");
	for (n = 0; n < sizeof(req) - 1; n++)
		if (!ASSERT_EQ(http_parse(req, n, &r), HTTP_MORE, "a prefix"))
			break;
	ASSERT_EQ(http_parse(req, sizeof(req) - 1, &r), HTTP_OK, "the whole request");
	tl_end();
}

static void test_parse_limits(void)
{
	static char buf[HTTP_MAX_REQUEST + 512];
	struct http_req r;
	size_t n;

	tl_begin(
		"http_parse: at most %d bytes: a longer line is 414, longer headers 431, a long path 414",
		HTTP_MAX_REQUEST);
	memset(buf, 'A', sizeof(buf));
	ASSERT_EQ(http_parse(buf, HTTP_MAX_REQUEST - 1, &r), HTTP_MORE, "just under the bound");
	ASSERT_EQ(http_parse(buf, HTTP_MAX_REQUEST, &r), 414, "a line at the bound");
	ASSERT_EQ(http_parse(buf, sizeof(buf), &r), 414, "beyond the bound");
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	while (n < sizeof(buf) - 16)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-Pad: aaaaaaaaaaaaaaaa\r\n");
	ASSERT_EQ(http_parse(buf, n, &r), 431, "headers beyond the bound");
	n = (size_t)snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'p', HTTP_MAX_PATH);
	n += HTTP_MAX_PATH;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " HTTP/1.1\r\n\r\n");
	ASSERT_EQ(http_parse(buf, n, &r), 414, "a path longer than HTTP_MAX_PATH");
	tl_end();
}

static void test_parse_random(void)
{
	static char buf[HTTP_MAX_REQUEST + 64];
	static const char alphabet[] = "GETHAD /:\r\n\t1.PH\x00\x7f\xff";
	unsigned int seed = 7, i, odd = 0;
	struct http_req r;
	size_t len, j;
	int got;

	tl_begin("http_parse: 200000 random inputs give only the documented answers");
	for (i = 0; i < 200000; i++) {
		len = (size_t)rand_r(&seed) % (i % 100 ? 128 : sizeof(buf));
		for (j = 0; j < len; j++)
			buf[j] = i & 1 ? (char)rand_r(&seed) :
					 alphabet[(unsigned int)rand_r(&seed) %
						  (sizeof(alphabet) - 1)];
		if (i % 3 == 0 && len > 20)
			memcpy(buf, "GET / HTTP/1.1\r\n", 16);
		got = http_parse(buf, len, &r);
		if (got != HTTP_MORE && got != HTTP_OK && got != 400 && got != 405 && got != 414 &&
		    got != 431 && got != 505 && !odd++)
			ASSERT(false, "input %u: status %d", i, got);
		if (got == HTTP_OK && !ASSERT(r.path[0] == '/' && strlen(r.path) < HTTP_MAX_PATH,
					      "input %u: path '%s'", i, r.path))
			break;
	}
	ASSERT_EQ(odd, 0, "undocumented answers");
	tl_end();
}

static void test_families(void)
{
	const char *reason;
	unsigned int i;

	tl_begin("every guard and serve counter is in one verdict family, with a reason");
	for (i = 0; i < GS__COUNT; i++)
		ASSERT(guard_metrics_family_of(i, &reason) && *reason, "guard counter %s",
		       guard_stat_names[i]);
	for (i = 0; i < SS__COUNT; i++)
		ASSERT(serve_metrics_family_of(i, &reason) && *reason, "serve counter %s",
		       serve_stat_names[i]);
	tl_end();
}

/* A source of two families for the live server. */
static __u64 fake_count;

static void fake_counter(struct expo *e, void *ctx, const void *arg)
{
	(void)ctx;
	(void)arg;
	expo_u64(e, fake_count, "reason", "quote\"back\\slash\nnewline", NULL);
}

static void fake_gauge(struct expo *e, void *ctx, const void *arg)
{
	(void)ctx;
	(void)arg;
	expo_double(e, 0.5, NULL);
}

static int fake_snapshot(void *ctx)
{
	(void)ctx;
	fake_count++;
	return 0;
}

static const struct metric_family fake_families[] = {
	{ "t_things_total", METRIC_COUNTER, "Things\nwith a \\ in help", NULL, fake_counter },
	{ "t_level", METRIC_GAUGE, "A level", NULL, fake_gauge },
};

static const struct metrics_source fake_source = {
	.command = "test",
	.iface = "lo",
	.families = fake_families,
	.nfamilies = 2,
	.snapshot = fake_snapshot,
};

static int dial(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((__u16)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send req (len bytes), read the answer until close (at most 3 s) into out. */
static size_t exchange(unsigned int port, const char *req, size_t len, char *out, size_t cap)
{
	struct pollfd p;
	size_t got = 0;
	ssize_t n;
	int fd = dial(port);

	if (fd < 0)
		return 0;
	if (len && send(fd, req, len, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 0;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (got < cap - 1 && poll(&p, 1, 3000) > 0) {
		n = recv(fd, out + got, cap - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = 0;
	close(fd);
	return got;
}

static void test_server(void)
{
	static char out[65536], big[HTTP_MAX_REQUEST * 2];
	struct metrics *m = NULL, *m2 = NULL;
	unsigned int port = 0, i;
	int silent[12], err = -1;
	char spec[32];
	double t0;

	tl_begin("live server on 127.0.0.1: hostile clients, then a scrape, then a prompt stop");
	for (i = 0; i < 20 && err; i++) {
		port = 20000 + (unsigned int)(clock_mono_ns() % 30000);
		snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
		err = metrics_start(&m, spec, &fake_source);
	}
	if (!ASSERT_EQ(err, 0, "metrics_start"))
		goto out;
	ASSERT_EQ(metrics_start(&m2, spec, &fake_source), 1, "the same address again (in use)");
	ASSERT_EQ(metrics_start(&m2, "127.0.0.1", &fake_source), 2, "a spec without a port");
	ASSERT_EQ(metrics_start(&m2, "[::1:9100", &fake_source), 2, "an unclosed bracket");

	/* clients that connect and say nothing hold slots until their deadline... */
	for (i = 0; i < sizeof(silent) / sizeof(silent[0]); i++)
		silent[i] = dial(port);
	/* ...and a client that connects and vanishes mid-request */
	exchange(port, "GET /met", 8, out, 2);
	exchange(port, "\x16\x03\x01garbage\r\n\r\n", 14, out, sizeof(out));
	for (i = 0; i < sizeof(silent) / sizeof(silent[0]); i++)
		if (silent[i] >= 0)
			close(silent[i]);

	exchange(port, "\x16\x03\x01garbage\r\n\r\n", 14, out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 400 ", 13), "garbage: %.40s", out);
	exchange(port, "PUT /metrics HTTP/1.1\r\n\r\n", 25, out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 405 ", 13) && strstr(out, "Allow: GET, HEAD\r\n"),
	       "PUT: %.60s", out);
	exchange(port, "GET /nothing HTTP/1.1\r\n\r\n", 25, out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 404 ", 13), "unknown path: %.40s", out);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	exchange(port, big, sizeof(big), out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 431 ", 13), "16 KiB of header: %.40s", out);
	exchange(port, "HEAD / HTTP/1.1\r\n\r\n", 19, out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 200 ", 13) && strstr(out, "\r\n\r\n")[4] == 0,
	       "HEAD /: headers only: %.80s", out);
	exchange(port, "GET / HTTP/1.1\r\n\r\n", 18, out, sizeof(out));
	ASSERT(strstr(out, "text/html") && strstr(out, "<canvas"), "GET /: the page");

	exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35, out, sizeof(out));
	ASSERT(!strncmp(out, "HTTP/1.1 200 ", 13), "scrape: %.40s", out);
	ASSERT(strstr(out, "Content-Type: text/plain; version=0.0.4"), "scrape's content type");
	ASSERT(strstr(out, "Connection: close\r\n"), "Connection: close");
	ASSERT(strstr(out, "# HELP t_things_total Things\\nwith a \\\\ in help\n"), "escaped HELP");
	ASSERT(strstr(out, "# TYPE t_things_total counter\n"), "TYPE line");
	ASSERT(strstr(out,
		      "t_things_total{iface=\"lo\",reason=\"quote\\\"back\\\\slash\\nnewline\"} "),
	       "escaped label value: %s", out);
	ASSERT(strstr(out, "t_level{iface=\"lo\"} 0.5\n"), "gauge");
	ASSERT(strstr(out, "shakeoff_build_info{iface=\"lo\",version=\""), "build info");
	ASSERT(strstr(out, "command=\"test\"} 1\n"), "build info's command");

	t0 = clock_mono_sec();
	metrics_stop(m);
	m = NULL;
	ASSERT(clock_mono_sec() - t0 < 1.0, "stop took %.2f s", clock_mono_sec() - t0);
	ASSERT(dial(port) < 0, "nothing listens after stop");
out:
	metrics_stop(m);
	tl_end();
}

int main(void)
{
	test_parse_table();
	test_parse_bytewise();
	test_parse_limits();
	test_parse_random();
	test_families();
	test_server();
	return tl_summary();
}
