// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "core/jsonl.h"
#include "core/clock.h"
#include "core/report.h"
#include "core/opts.h"
#include "core/sysenv.h"

static void indent(struct report *r)
{
	int i;

	for (i = 0; i <= r->depth; i++)
		fputs("  ", r->f);
}

/* Everything before a member's value: separator and key, in either rendering. */
static void member(struct report *r, const char *key, bool container)
{
	char k = r->kind[r->depth];
	unsigned int n = r->count[r->depth]++;

	if (r->json) {
		if (n || !r->depth)
			fputc(',', r->f);
		if (k != 'l') {
			json_quote(r->f, key ? key : "");
			fputc(':', r->f);
		}
		return;
	}
	switch (k) {
	case 'l': /* a value in a list of values, or an object line */
		if (container) {
			fputc('\n', r->f);
			indent(r);
			fputs("- ", r->f);
		} else {
			fputs(n ? ", " : " ", r->f);
		}
		break;
	case 'i':
		fprintf(r->f, "%s%s: ", n ? ", " : "", key);
		break;
	default:
		indent(r);
		fprintf(r->f, "%s:%s", key, container ? "" : " ");
	}
}

void report_begin(struct report *r, FILE *f, bool json, const char *title)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->json = json;
	r->kind[0] = 'o';
	if (json)
		fputs(json_ts(), f);
	else
		fprintf(f, "%s:\n", title);
}

static void open_container(struct report *r, const char *key, char kind)
{
	bool in_list = r->kind[r->depth] == 'l';

	if (r->depth + 1 >= REPORT_DEPTH)
		return;
	member(r, key, true);
	if (r->json)
		fputc(kind == 'l' ? '[' : '{', r->f);
	else if (kind == 'o' && !in_list)
		fputc('\n', r->f);
	r->depth++;
	r->kind[r->depth] = kind == 'o' && in_list ? 'i' : kind;
	r->count[r->depth] = 0;
}

void report_obj(struct report *r, const char *key)
{
	open_container(r, key, 'o');
}

void report_list(struct report *r, const char *key)
{
	open_container(r, key, 'l');
}

void report_close(struct report *r)
{
	char k = r->kind[r->depth];

	if (!r->depth)
		return;
	if (r->json)
		fputc(k == 'l' ? ']' : '}', r->f);
	else if (k == 'l' && !r->count[r->depth])
		fputs(" none\n", r->f);
	else if (k == 'l') /* its last line (an inline object's too) ends here */
		fputc('\n', r->f);
	r->depth--;
}

void report_end(struct report *r)
{
	while (r->depth)
		report_close(r);
	fputs(r->json ? "}\n" : "", r->f);
	fflush(r->f);
}

static void value_end(struct report *r)
{
	if (!r->json && r->kind[r->depth] == 'o')
		fputc('\n', r->f);
}

void report_str(struct report *r, const char *key, const char *v)
{
	member(r, key, false);
	if (r->json)
		json_quote(r->f, v);
	else
		fputs(v, r->f);
	value_end(r);
}

void report_u64(struct report *r, const char *key, __u64 v)
{
	member(r, key, false);
	fprintf(r->f, "%llu", (unsigned long long)v);
	value_end(r);
}

void report_bool(struct report *r, const char *key, bool v)
{
	member(r, key, false);
	fputs(r->json ? (v ? "true" : "false") : (v ? "yes" : "no"), r->f);
	value_end(r);
}

void report_num(struct report *r, const char *key, double v, int decimals)
{
	member(r, key, false);
	fprintf(r->f, "%.*f", decimals, v);
	value_end(r);
}

void report_owner(struct report *r, __u32 pid, __u64 start_ns, const char *version)
{
	__u64 now = (__u64)clock_ns(CLOCK_REALTIME);

	report_u64(r, "pid", pid);
	report_bool(r, "alive", pid_is_shakeoff((int)pid));
	report_u64(r, "uptime_s",
		   start_ns && now > start_ns ? (now - start_ns) / 1000000000ULL : 0);
	report_str(r, "version", version[0] ? version : "unknown");
}

void report_addrs(struct report *r, const char *key, const __be32 *addr4, __u32 n4,
		  const __be32 (*addr6)[4], __u32 n6, __u32 max)
{
	char buf[INET6_ADDRSTRLEN];
	struct ip_addr a;
	__u32 i;

	report_list(r, key);
	for (i = 0; i < n4 && i < max; i++) {
		a.family = AF_INET;
		memcpy(a.bytes, &addr4[i], 4);
		report_str(r, NULL, ip_str(&a, buf, sizeof(buf)));
	}
	for (i = 0; i < n6 && i < max; i++) {
		a.family = AF_INET6;
		memcpy(a.bytes, addr6[i], 16);
		report_str(r, NULL, ip_str(&a, buf, sizeof(buf)));
	}
	report_close(r);
}
