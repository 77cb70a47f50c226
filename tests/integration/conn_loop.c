// SPDX-License-Identifier: GPL-2.0
/*
 * Sequential kernel TCP connections against an echo server, for
 * tests/integration/test_serve.sh (compiled by the test with cc).
 *
 *   conn_loop ADDR PORT COUNT [BYTES [SPORT]]
 *
 * Each connection: connect, send BYTES (default 64) bytes that differ per
 * connection, read them back, compare, close (the client closes first).
 * BYTES 0: connect, wait for the server to close (EOF, nothing received),
 * then close (the server closes first). SPORT: connection i binds local
 * port SPORT + i (0 or absent: the kernel picks one, and may pick a port
 * again right after its connection closed).
 * Every socket operation has a 5 s timeout. Prints one JSON line:
 *   {"ok":N,"failed":N,"seconds":S,"per_second":R,"first_error":"..."}
 * and exits 0 only if every connection completed with an identical echo.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connection; NULL on success, else what went wrong. */
static const char *one(const struct sockaddr *sa, socklen_t salen, unsigned int i, size_t n,
		       unsigned int sport)
{
	static char why[128];
	struct timeval tv = { .tv_sec = 5 };
	unsigned char out[4096], in[4096];
	size_t got = 0, k;
	ssize_t r;
	int fd;

	for (k = 0; k < n; k++)
		out[k] = (unsigned char)(i * 7 + k);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return "socket";
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (sport) {
		struct sockaddr_storage local = {};
		int one = 1;

		local.ss_family = sa->sa_family;
		if (sa->sa_family == AF_INET)
			((struct sockaddr_in *)&local)->sin_port = htons(sport);
		else
			((struct sockaddr_in6 *)&local)->sin6_port = htons(sport);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&local, salen)) {
			snprintf(why, sizeof(why), "bind #%u to port %u: %s", i, sport,
				 strerror(errno));
			goto fail;
		}
	}
	if (connect(fd, sa, salen)) {
		snprintf(why, sizeof(why), "connect #%u: %s", i, strerror(errno));
		goto fail;
	}
	if (!n) {
		r = recv(fd, in, sizeof(in), 0);
		if (r) {
			snprintf(why, sizeof(why), "#%u: %s instead of EOF", i,
				 r < 0 ? strerror(errno) : "data");
			goto fail;
		}
		close(fd);
		return NULL;
	}
	if (send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n) {
		snprintf(why, sizeof(why), "send #%u: %s", i, strerror(errno));
		goto fail;
	}
	while (got < n) {
		r = recv(fd, in + got, n - got, 0);
		if (r <= 0) {
			snprintf(why, sizeof(why), "recv #%u after %zu bytes: %s", i, got,
				 r ? strerror(errno) : "EOF");
			goto fail;
		}
		got += r;
	}
	if (memcmp(in, out, n)) {
		snprintf(why, sizeof(why), "echo #%u differs", i);
		goto fail;
	}
	close(fd);
	return NULL;
fail:
	close(fd);
	return why;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned int count, i, ok = 0, failed = 0, sport = 0;
	char first[160] = "";
	const char *err;
	socklen_t salen;
	size_t bytes = 64;
	double t0, dt;

	if (argc < 4) {
		fprintf(stderr, "usage: %s ADDR PORT COUNT [BYTES]\n", argv[0]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(argv[2]));
		salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(atoi(argv[2]));
		salen = sizeof(*s6);
	} else {
		fprintf(stderr, "bad address %s\n", argv[1]);
		return 2;
	}
	count = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		bytes = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		sport = strtoul(argv[5], NULL, 10);
	if (bytes > 4096) {
		fprintf(stderr, "BYTES wants 0-4096\n");
		return 2;
	}
	t0 = now();
	for (i = 0; i < count; i++) {
		err = one((struct sockaddr *)&ss, salen, i, bytes, sport ? sport + i : 0);
		if (!err) {
			ok++;
			continue;
		}
		if (!failed++)
			snprintf(first, sizeof(first), "%s", err);
	}
	dt = now() - t0;
	printf("{\"ok\":%u,\"failed\":%u,\"seconds\":%.2f,\"per_second\":%.0f,"
	       "\"first_error\":\"%s\"}\n",
	       ok, failed, dt, dt > 0 ? ok / dt : 0, first);
	return failed ? 1 : 0;
}
