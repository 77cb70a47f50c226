// SPDX-License-Identifier: GPL-2.0
/*
 * shakeoff probe: legitimate traffic for experiments. Real kernel TCP
 * connections at a steady rate (lab/probe.c), one line of figures per second
 * and a summary at the end, as text or JSON lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/jsonl.h"
#include "core/opts.h"
#include "lab/probe.h"

#define CMD "probe"
#define DEFAULT_RATE 100
#define DEFAULT_DURATION 10
#define DEFAULT_REQUEST 64
#define MAX_REQUEST 65536
#define DEFAULT_TIMEOUT 3
#define DEFAULT_INFLIGHT 16384
#define MAX_INFLIGHT 1000000
#define CDF_POINTS 40

static const struct optab probe_optab[] = {
	{ "dst", 'd', "IP", "server address; its family picks IPv4 or IPv6" },
	{ "port", 'p', "N", "server port" },
	{ "rate", 'r', "R",
	  "connections started per second, on a fixed schedule\n(default " OPTAB_STR(
		  DEFAULT_RATE) ", at least 0.1)" },
	{ "duration", 'D', "S", "seconds of starts (default " OPTAB_STR(DEFAULT_DURATION) ")" },
	{ "request", 'b', "BYTES",
	  "echo mode: bytes sent, the same number expected back\n(default " OPTAB_STR(
		  DEFAULT_REQUEST) ", at most " OPTAB_STR(MAX_REQUEST) ")" },
	{ "timeout", 't', "S",
	  "seconds from a connection's start to its full reply\n(default " OPTAB_STR(
		  DEFAULT_TIMEOUT) ")" },
	{ "http", 'H', NULL,
	  "send GET / (Connection: close), read the reply to its\nend, want status 2xx or 3xx" },
	{ "src", 's', "IP", "bind the connections to this source address" },
	{ "max-inflight", 'm', "N",
	  "connections open at once at most; a start beyond is\nskipped and counted (default " OPTAB_STR(
		  DEFAULT_INFLIGHT) "); so is a start\nmore than --timeout behind its schedule" },
	{ "json", 'j', NULL, "JSON lines: one per second, a summary at the end" },
	OPTAB_HELP,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff probe --dst IP --port N [OPTIONS]\n"
		"\n"
		"Open real TCP connections to IP:N at a steady rate (connection k starts at\n"
		"k/R seconds, however many are still open), each: connect, a small request,\n"
		"its reply, close. Print each second's figures once all its connections have\n"
		"ended, then a summary: success, connect latency percentiles, failures by cause\n"
		"(timeout, rst, refused, short, other).\n"
		"\n"
		"Options:\n");
	optab_print(f, probe_optab);
	fprintf(f, "\n"
		   "Exit status: 0 when it ran (also with failed connections), 1 when it could\n"
		   "not run, 2 usage error.\n");
}

struct probe_args {
	struct probe_cfg cfg;
	struct ip_addr dst;
	unsigned long port;
	bool json;
};

static void sockaddr_of(const struct ip_addr *a, unsigned int port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->bytes, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->bytes, 16);
		*len = sizeof(*in6);
	}
}

/* Fills a from the command line; returns -1 to go on, else the exit code. */
static int probe_parse(int argc, char **argv, struct probe_args *a)
{
	struct probe_cfg *cfg = &a->cfg;
	struct ip_addr src;
	unsigned long v;
	char buf[INET6_ADDRSTRLEN];
	bool have_dst = false, request_given = false;
	int opt;

	memset(a, 0, sizeof(*a));
	cfg->rate = DEFAULT_RATE;
	cfg->duration = DEFAULT_DURATION;
	cfg->request = DEFAULT_REQUEST;
	cfg->timeout = DEFAULT_TIMEOUT;
	cfg->max_inflight = DEFAULT_INFLIGHT;
	optab_reset();
	while ((opt = optab_next(argc, argv, CMD, probe_optab)) != OPTAB_END) {
		switch (opt) {
		case 'd':
			if (parse_ip(optarg, &a->dst))
				return usage_error(CMD, "--dst wants an IP address, got '%s'",
						   optarg);
			have_dst = true;
			break;
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &a->port))
				return usage_error(CMD, "--port wants 1-65535, got '%s'", optarg);
			break;
		case 'r':
			if (parse_double(optarg, 0.1, 1e6, &cfg->rate))
				return usage_error(CMD,
						   "--rate wants 0.1-1000000 per second, got '%s'",
						   optarg);
			break;
		case 'D':
			if (parse_double(optarg, 0.01, 86400, &cfg->duration))
				return usage_error(CMD,
						   "--duration wants 0.01-86400 seconds, got '%s'",
						   optarg);
			break;
		case 'b':
			if (parse_ulong(optarg, 1, MAX_REQUEST, &v))
				return usage_error(CMD, "--request wants 1-%d bytes, got '%s'",
						   MAX_REQUEST, optarg);
			cfg->request = (unsigned int)v;
			request_given = true;
			break;
		case 't':
			if (parse_double(optarg, 0.001, 3600, &cfg->timeout))
				return usage_error(CMD,
						   "--timeout wants 0.001-3600 seconds, got '%s'",
						   optarg);
			break;
		case 'H':
			cfg->http = true;
			break;
		case 's':
			if (parse_ip(optarg, &src))
				return usage_error(CMD, "--src wants an IP address, got '%s'",
						   optarg);
			sockaddr_of(&src, 0, &cfg->src, &cfg->src_len);
			cfg->has_src = true;
			break;
		case 'm':
			if (parse_ulong(optarg, 1, MAX_INFLIGHT, &v))
				return usage_error(CMD, "--max-inflight wants 1-%d, got '%s'",
						   MAX_INFLIGHT, optarg);
			cfg->max_inflight = (unsigned int)v;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!have_dst)
		return usage_error(CMD, "--dst is required");
	if (!a->port)
		return usage_error(CMD, "--port is required");
	if (cfg->has_src && cfg->src.ss_family != a->dst.family)
		return usage_error(CMD, "--src and --dst must be of the same family");
	if (cfg->http && request_given)
		return usage_error(CMD, "--request is for the echo mode; --http sends a GET");
	if (!probe_total_of(cfg->rate, cfg->duration))
		return usage_error(CMD, "--rate times --duration is less than one connection");
	sockaddr_of(&a->dst, (unsigned int)a->port, &cfg->dst, &cfg->dst_len);
	ip_str(&a->dst, buf, sizeof(buf));
	if (a->dst.family == AF_INET6)
		snprintf(cfg->host, sizeof(cfg->host), "[%s]", buf);
	else
		snprintf(cfg->host, sizeof(cfg->host), "%s", buf);
	if (a->port != 80)
		snprintf(cfg->host + strlen(cfg->host), sizeof(cfg->host) - strlen(cfg->host),
			 ":%lu", a->port);
	return -1;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void json_pcts(const char *key, struct probe_samples *s)
{
	struct probe_pcts p;

	probe_pcts_of(s, &p);
	if (!p.valid) {
		printf(",\"%s\":{\"p50\":null,\"p90\":null,\"p99\":null,\"max\":null}", key);
		return;
	}
	printf(",\"%s\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}", key, p.p50, p.p90,
	       p.p99, p.max);
}

static void json_failed(const struct probe_bucket *b)
{
	int f;

	printf(",\"failed\":{");
	for (f = 0; f < PROBE_FAIL_COUNT; f++)
		printf("%s\"%s\":%llu", f ? "," : "", probe_fail_name(f),
		       (unsigned long long)b->failed[f]);
	printf("}");
}

static void text_pcts(struct probe_samples *s)
{
	struct probe_pcts p;

	probe_pcts_of(s, &p);
	if (!p.valid)
		printf("  %8s %8s %8s %8s", "-", "-", "-", "-");
	else
		printf("  %8.3f %8.3f %8.3f %8.3f", p.p50, p.p90, p.p99, p.max);
}

static void text_header(void)
{
	int f;

	printf("%5s %9s %7s", "t", "attempted", "ok");
	for (f = 0; f < PROBE_FAIL_COUNT; f++)
		printf(" %7s", probe_fail_name(f));
	printf(" %7s  %8s %8s %8s %8s\n", "skipped", "p50 ms", "p90 ms", "p99 ms", "max ms");
}

static void on_second(void *ctx, uint64_t t, struct probe_bucket *b)
{
	const struct probe_args *a = ctx;
	int f;

	if (a->json) {
		printf("%s,\"event\":\"second\",\"t\":%llu,\"attempted\":%llu,\"ok\":%llu",
		       json_ts(), (unsigned long long)t, (unsigned long long)b->attempted,
		       (unsigned long long)b->ok);
		json_failed(b);
		printf(",\"skipped\":%llu,\"unfinished\":%llu", (unsigned long long)b->skipped,
		       (unsigned long long)b->unfinished);
		json_pcts("connect_ms", &b->connect);
		json_pcts("total_ms", &b->total);
		printf("}\n");
	} else {
		if (t == 0)
			text_header();
		printf("%5llu %9llu %7llu", (unsigned long long)t, (unsigned long long)b->attempted,
		       (unsigned long long)b->ok);
		for (f = 0; f < PROBE_FAIL_COUNT; f++)
			printf(" %7llu", (unsigned long long)b->failed[f]);
		printf(" %7llu", (unsigned long long)b->skipped);
		text_pcts(&b->connect);
		printf("\n");
	}
	fflush(stdout);
}

static double success_of(const struct probe_bucket *b)
{
	return b->attempted ? (double)b->ok / (double)b->attempted : 0;
}

/*
 * Connections started per second. N starts on the schedule stand for N/R
 * seconds, though the last one comes (N-1)/R after the first: a run that
 * ends when its last connection fails would otherwise read N/(N-1) too fast.
 */
static double achieved_rate(const struct probe_args *a, const struct probe_result *r)
{
	double window = r->interrupted ?
				r->sched_s :
				(double)probe_total_of(a->cfg.rate, a->cfg.duration) / a->cfg.rate;

	return window > 0 ? (double)r->all.attempted / window : 0;
}

static void summary_json(const struct probe_args *a, struct probe_result *r)
{
	struct probe_bucket *b = &r->all;
	double(*cdf)[2] = calloc(CDF_POINTS, sizeof(*cdf));
	char ip[INET6_ADDRSTRLEN];
	size_t n = 0, i;
	bool first = true;
	int e;

	printf("%s,\"event\":\"summary\",\"dst\":\"%s\",\"port\":%lu,\"rate\":%g,\"duration_s\":%.3f,"
	       "\"elapsed_s\":%.3f,\"attempted\":%llu,\"ok\":%llu,\"success\":%.4f",
	       json_ts(), ip_str(&a->dst, ip, sizeof(ip)), a->port, a->cfg.rate, r->sched_s,
	       r->elapsed_s, (unsigned long long)b->attempted, (unsigned long long)b->ok,
	       success_of(b));
	json_failed(b);
	printf(",\"skipped\":%llu,\"skipped_late\":%llu,\"unfinished\":%llu,\"interrupted\":%s",
	       (unsigned long long)b->skipped, (unsigned long long)r->skipped_late,
	       (unsigned long long)b->unfinished, r->interrupted ? "true" : "false");
	printf(",\"achieved_rate\":%.3f,\"late_max_ms\":%.3f,\"inflight_max\":%llu,"
	       "\"inflight_limit\":%u",
	       achieved_rate(a, r), r->late_max_ms, (unsigned long long)r->inflight_max,
	       r->inflight_limit);
	printf(",\"errors\":{");
	for (e = 1; e < PROBE_ERRNO_MAX; e++) {
		if (!r->other_errno[e])
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",",
		       strerrorname_np(e) ? strerrorname_np(e) : "E?",
		       (unsigned long long)r->other_errno[e]);
		first = false;
	}
	printf("}");
	json_pcts("connect_ms", &b->connect);
	json_pcts("total_ms", &b->total);
	if (cdf)
		n = probe_cdf(&b->connect, b->attempted - b->unfinished, cdf, CDF_POINTS);
	printf(",\"cdf\":[");
	for (i = 0; i < n; i++)
		printf("%s[%.3f,%.4f]", i ? "," : "", cdf[i][0], cdf[i][1]);
	printf("]}\n");
	free(cdf);
}

static void summary_text(const struct probe_args *a, struct probe_result *r)
{
	struct probe_bucket *b = &r->all;
	char ip[INET6_ADDRSTRLEN];
	int f, e;

	printf("\n%s%s %s port %lu: %.3f s at %g/s (achieved %.1f/s, latest start %.1f ms late)\n",
	       r->interrupted ? "interrupted: " : "", a->cfg.http ? "http" : "echo",
	       ip_str(&a->dst, ip, sizeof(ip)), a->port, r->sched_s, a->cfg.rate,
	       achieved_rate(a, r), r->late_max_ms);
	printf("  %-12s %llu\n", "attempted", (unsigned long long)b->attempted);
	printf("  %-12s %llu (%.2f %%)\n", "ok", (unsigned long long)b->ok, 100 * success_of(b));
	for (f = 0; f < PROBE_FAIL_COUNT; f++)
		printf("  %-12s %llu\n", probe_fail_name(f), (unsigned long long)b->failed[f]);
	for (e = 1; e < PROBE_ERRNO_MAX; e++)
		if (r->other_errno[e])
			printf("    %-10s %llu\n", strerrorname_np(e) ? strerrorname_np(e) : "E?",
			       (unsigned long long)r->other_errno[e]);
	printf("  %-12s %llu (%llu too late; bound %u open at once, peak %llu)\n", "skipped",
	       (unsigned long long)b->skipped, (unsigned long long)r->skipped_late,
	       r->inflight_limit, (unsigned long long)r->inflight_max);
	if (b->unfinished)
		printf("  %-12s %llu\n", "unfinished", (unsigned long long)b->unfinished);
	printf("\n  %-12s %8s %8s %8s %8s\n", "latency", "p50 ms", "p90 ms", "p99 ms", "max ms");
	printf("  %-12s", "connect");
	text_pcts(&b->connect);
	printf("\n  %-12s", "total");
	text_pcts(&b->total);
	printf("\n");
}

int cmd_probe(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct probe_result res;
	struct probe_args a;
	int rc, err;

	rc = probe_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = probe_run(&a.cfg, &stop, on_second, &a, &res);
	if (err) {
		probe_bucket_free(&res.all);
		return 1;
	}
	if (a.json)
		summary_json(&a, &res);
	else
		summary_text(&a, &res);
	probe_bucket_free(&res.all);
	return 0;
}
