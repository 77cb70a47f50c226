// SPDX-License-Identifier: GPL-2.0
/*
 * `lab run`'s experiment files (user/lab/exp.c): what a good file sets, the
 * FILE:LINE each mistake names; the sweep's order, step count and time
 * estimate; the results writers' formats (user/lab/sample.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opts.h"
#include "lab/exp.h"
#include "lab/sample.h"
#include "testlib.h"

static char err_text[1024];

/* exp_load_text on text, its stderr kept in err_text. */
static int load(const char *text, struct exp *e)
{
	struct tl_capture c;
	int rc;

	tl_stderr_begin(&c);
	rc = exp_load_text(text, "x.exp", e);
	tl_stderr_end(&c, err_text, sizeof(err_text));
	return rc;
}

static void case_good(void)
{
	struct exp e;

	tl_begin("exp: a good file sets every key");
	if (!ASSERT_EQ(load("# comment\n"
			    "name = t1\n"
			    "server = kernel-echo\n"
			    "defences = none, syncookies-2,synproxy , guard-auto\n"
			    "kinds = syn,ack\n"
			    "rates = 0, 5000, 100000\n"
			    "step = 4   # seconds\n"
			    "settle = 0\n"
			    "probe-rate = 30\n"
			    "probe-request = 100\n"
			    "probe-timeout = 2\n"
			    "port = 9000\n"
			    "src = 10.200.0.0/16\n"
			    "src-pool = 64\n"
			    "pattern = pulse\n"
			    "seed = 42\n"
			    "family = 6\n"
			    "prefix = abc1\n"
			    "no-report = yes\n",
			    &e),
		       0, "load"))
		goto out;
	ASSERT(!strcmp(e.name, "t1"), "name '%s'", e.name);
	ASSERT_EQ(e.server, SRV_KERNEL_ECHO, "server");
	if (ASSERT_EQ(e.ndef, 4, "defences")) {
		ASSERT_EQ(e.defences[0], DEF_NONE, "defence 0");
		ASSERT_EQ(e.defences[1], DEF_SYNCOOKIES_2, "defence 1");
		ASSERT_EQ(e.defences[2], DEF_SYNPROXY, "defence 2");
		ASSERT_EQ(e.defences[3], DEF_GUARD_AUTO, "defence 3");
	}
	if (ASSERT_EQ(e.nkind, 2, "kinds"))
		ASSERT(!strcmp(e.kinds[1], "ack"), "kind 1 '%s'", e.kinds[1]);
	if (ASSERT_EQ(e.nrate, 3, "rates"))
		ASSERT_EQ(e.rates[2], 100000, "rate 2");
	ASSERT_EQ(e.step_s, 4, "step");
	ASSERT_EQ(e.settle_s, 0, "settle");
	ASSERT_EQ(e.probe_rate, 30, "probe-rate");
	ASSERT_EQ(e.probe_request, 100, "probe-request");
	ASSERT_EQ(e.probe_timeout_s, 2, "probe-timeout");
	ASSERT_EQ(e.port, 9000, "port");
	ASSERT(!strcmp(e.src, "10.200.0.0/16"), "src '%s'", e.src);
	ASSERT_EQ(e.src_pool, 64, "src-pool");
	ASSERT(!strcmp(e.pattern, "pulse"), "pattern '%s'", e.pattern);
	ASSERT(e.has_seed && e.seed == 42, "seed");
	ASSERT_EQ(e.family, 6, "family");
	ASSERT(!strcmp(e.prefix, "abc1"), "prefix '%s'", e.prefix);
	ASSERT(e.no_report, "no-report");
out:
	tl_end();
}

static void case_defaults(void)
{
	struct exp e;

	tl_begin("exp: an empty file takes the defaults");
	if (!ASSERT_EQ(load("\n# nothing\n", &e), 0, "load"))
		goto out;
	ASSERT(!strcmp(e.name, "x"), "name from the file's name: '%s'", e.name);
	ASSERT_EQ(e.server, SRV_KERNEL_HTTP, "server");
	ASSERT(e.ndef == 2 && e.defences[0] == DEF_NONE && e.defences[1] == DEF_GUARD_ALWAYS,
	       "defences none,guard-always");
	ASSERT(e.nkind == 1 && !strcmp(e.kinds[0], "syn"), "kinds syn");
	ASSERT(e.nrate == 2 && e.rates[0] == 0, "rates 0,...");
	ASSERT_EQ(e.family, 4, "family");
	ASSERT(!strcmp(e.prefix, EXP_DEFAULT_PREFIX), "prefix '%s'", e.prefix);
out:
	tl_end();
}

static void case_err(const char *text, const char *where, const char *msg)
{
	struct exp e;

	tl_begin("exp error: %s", msg);
	if (!ASSERT_EQ(load(text, &e), EXIT_USAGE, "load"))
		goto out;
	ASSERT(!strncmp(err_text, "shakeoff lab run: ", 18), "'%s' names the command", err_text);
	ASSERT(strstr(err_text, where) != NULL, "'%s' lacks '%s'", err_text, where);
	ASSERT(strstr(err_text, msg) != NULL, "'%s' lacks '%s'", err_text, msg);
	ASSERT(strchr(err_text, '\n') == err_text + strlen(err_text) - 1, "one line: '%s'",
	       err_text);
out:
	tl_end();
}

static void case_sweep(void)
{
	static const struct {
		int defence;
		const char *kind;
		unsigned long rate;
	} want[] = {
		{ DEF_NONE, "syn", 0 },		{ DEF_NONE, "syn", 1000 },
		{ DEF_NONE, "rst", 0 },		{ DEF_NONE, "rst", 1000 },
		{ DEF_GUARD_ALWAYS, "syn", 0 }, { DEF_GUARD_ALWAYS, "syn", 1000 },
		{ DEF_GUARD_ALWAYS, "rst", 0 }, { DEF_GUARD_ALWAYS, "rst", 1000 },
	};
	struct exp_step st;
	struct exp e;
	int i;

	tl_begin("sweep: defence, then kind, then rate; step count; time estimate");
	if (!ASSERT_EQ(load("defences = none,guard-always\nkinds = syn,rst\nrates = 0,1000\n"
			    "step = 5\nsettle = 2\n",
			    &e),
		       0, "load"))
		goto out;
	if (!ASSERT_EQ(exp_steps(&e), 8, "steps"))
		goto out;
	for (i = 0; i < 8; i++) {
		exp_step(&e, i, &st);
		ASSERT(st.index == i && st.defence == want[i].defence &&
			       !strcmp(st.kind, want[i].kind) && st.rate == want[i].rate,
		       "step %d: %s %s %lu, want %s %s %lu", i, exp_defence_names[st.defence],
		       st.kind, st.rate, exp_defence_names[want[i].defence], want[i].kind,
		       want[i].rate);
	}
	/* 2 defences x 3 s setup + 8 steps x (2 settle + 5 step + 1) */
	ASSERT_EQ(exp_estimate_s(&e), 2 * 3 + 8 * 8, "estimate");
out:
	tl_end();
}

/* f's whole text */
static size_t slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	return n;
}

static void case_csv(void)
{
	struct sample_row r = { .t = 3,
				.attempted = 50,
				.ok = 47,
				.failed = { 2, 1, 0, 0, 0 },
				.connect_p50_ms = 0.25,
				.connect_p99_ms = 1003.5,
				.flood_pps = 20000,
				.synack_pps = 19990,
				.cpu_softirq_pct = 12.5,
				.cpu_process_pct = 3 };
	FILE *f = tmpfile();
	char buf[1024];

	tl_begin("samples.csv: the header of interface 6, a row's fields in its order");
	samples_csv_header(f);
	samples_csv_row(f, "guard-always", "syn", 20000, &r);
	slurp(f, buf, sizeof(buf));
	ASSERT(!strcmp(buf, "defence,kind,rate,t,attempted,ok,timeout,rst,refused,short,other,"
			    "connect_p50_ms,connect_p99_ms,flood_pps,synack_pps,cpu_softirq_pct,"
			    "cpu_process_pct\n"
			    "guard-always,syn,20000,3,50,47,2,1,0,0,0,0.250,1003.500,20000,19990,"
			    "12.5,3.0\n"),
	       "csv:\n%s", buf);
	fclose(f);
	tl_end();
}

static void case_jsonl(void)
{
	struct step_result s = { .defence = "none",
				 .kind = "syn",
				 .rate = 1000,
				 .achieved_pps = 998,
				 .duration_s = 8.5,
				 .attempted = 100,
				 .ok = 75,
				 .failed = { 25, 0, 0, 0, 0 },
				 .p50 = 1,
				 .p90 = 2,
				 .p99 = 3,
				 .max = 4,
				 .softirq_pct = 10,
				 .process_pct = 5,
				 .synack_sent = 7000 };
	static const char *const keys[] = {
		"{\"defence\":\"none\",",
		"\"kind\":\"syn\"",
		"\"rate\":1000",
		"\"achieved_pps\":998",
		"\"duration_s\":8.500",
		"\"attempted\":100",
		"\"ok\":75",
		"\"success\":0.7500",
		"\"connect_ms\":{\"p50\":1.000,",
		"\"p90\":2.000",
		"\"p99\":3.000",
		"\"max\":4.000}",
		"\"failed\":{\"timeout\":25,\"rst\":0,\"refused\":0,\"short\":0,\"other\":0}",
		"\"cpu\":{\"softirq_pct\":10.0,\"process_pct\":5.0,\"softirq_all_pct\":0.0}",
		"\"synack_sent\":7000",
		"\"drops\":{\"ListenDrops\":12,\"x\":3}",
	};
	FILE *f = tmpfile();
	char buf[2048];
	size_t i, n;
	double v;

	tl_begin("steps.jsonl: one line with interface 6's fields; no attempt: success null");
	step_add_drop(&s, "ListenDrops", 10);
	step_add_drop(&s, "x", 3);
	step_add_drop(&s, "ListenDrops", 2);
	steps_json_line(f, &s);
	n = slurp(f, buf, sizeof(buf));
	ASSERT(n && buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1, "one line: %s", buf);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ASSERT(strstr(buf, keys[i]) != NULL, "lacks %s in %s", keys[i], buf);
	ASSERT(json_number(buf, "synack_sent", &v) && v == 7000, "json_number reads it back");
	fclose(f);

	f = tmpfile();
	memset(&s.failed, 0, sizeof(s.failed));
	s.attempted = s.ok = 0;
	s.p50 = s.p90 = s.p99 = s.max = -1;
	s.skipped = "nft \"synproxy\" missing";
	steps_json_line(f, &s);
	slurp(f, buf, sizeof(buf));
	ASSERT(strstr(buf, "\"success\":null") && strstr(buf, "\"p99\":null"), "nulls: %s", buf);
	ASSERT(strstr(buf, "\"skipped\":\"nft \\\"synproxy\\\" missing\"") != NULL,
	       "reason escaped: %s", buf);
	fclose(f);
	tl_end();
}

int main(void)
{
	case_good();
	case_defaults();
	case_err("name = a\nbogus = 1\n", "x.exp:2", "unknown key 'bogus'");
	case_err("\n\ndefences = none,tarpit\n", "x.exp:3", "unknown defence 'tarpit'");
	case_err("defences = none,none\n", "x.exp:1", "'none' listed twice");
	case_err("kinds = syn,,ack\n", "x.exp:1", "an empty item");
	case_err("kinds = udp\n", "x.exp:1", "unknown kind 'udp'");
	case_err("rates = 0,fast\n", "x.exp:1", "'fast' is not a rate");
	case_err("step = 0\n", "x.exp:1", "step: want a number 1-3600");
	case_err("server = apache\n", "x.exp:1", "server: kernel-http, kernel-echo or serve");
	case_err("family = 5\n", "x.exp:1", "family: 4 or 6");
	case_err("pattern = zigzag\n", "x.exp:1", "pattern: constant, ramp or pulse");
	case_err("type = mesh\n", "x.exp:1", "type: sweep or fleet");
	case_err("prefix = a-b\n", "x.exp:1", "prefix: letters and digits only");
	case_err("# c\nstep = 3\nstep = 4\n", "x.exp:3", "'step' already set on line 2");
	case_err("rates 100\n", "x.exp:1", "want 'key = value'");
	case_err("no-report = maybe\n", "x.exp:1", "takes yes or no");
	case_err("server = serve\ndefences = none\n",
		 "shakeoff lab run:", "server serve runs only defence serve");
	case_sweep();
	case_csv();
	case_jsonl();
	return tl_summary();
}
