// SPDX-License-Identifier: GPL-2.0
/* The strict JSON reader and writer of the lab (user/lab/json.c): what it takes, what it refuses and where. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/json.h"
#include "testlib.h"

/* json_write of v into buf. */
static void write_to(const struct json_val *v, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	json_write(f, v);
	fclose(f);
}

static void case_roundtrip(const char *in, const char *want)
{
	struct json_val v;
	char err[64], out[1024];
	size_t col = 0;

	tl_begin("json: %s", in);
	if (!ASSERT(!json_parse(in, strlen(in), &v, err, sizeof(err), &col),
		    "parse failed at column %zu: %s", col, err))
		goto out;
	write_to(&v, out, sizeof(out));
	ASSERT(!strcmp(out, want), "wrote '%s', wanted '%s'", out, want);
	json_free(&v);
out:
	tl_end();
}

static void case_bad(const char *in, size_t want_col, const char *want_why)
{
	struct json_val v;
	char err[64] = "";
	size_t col = 0;

	tl_begin("json refuses: %s", in);
	if (!ASSERT(json_parse(in, strlen(in), &v, err, sizeof(err), &col), "parsed"))
		goto out;
	ASSERT_EQ(col, want_col, "column");
	ASSERT(strstr(err, want_why), "reason '%s', wanted '%s'", err, want_why);
	ASSERT_EQ(v.type, JSON_NULL, "out zeroed");
out:
	tl_end();
}

int main(void)
{
	char deep[200];
	size_t i;

	case_roundtrip(" {\"a\" : [1, -2.5, 3e2, 0, true, false, null], \"b\":{}} ",
		       "{\"a\":[1,-2.5,300,0,true,false,null],\"b\":{}}");
	case_roundtrip("\"tab\\t nl\\n q\\\" bs\\\\ sl\\/ u\\u00e9 pair\\ud83d\\ude00\"",
		       "\"tab\\t nl\\n q\\\" bs\\\\ sl/ u\xc3\xa9 pair\xf0\x9f\x98\x80\"");
	case_roundtrip("[]", "[]");
	case_roundtrip("0.1", "0.1");
	case_roundtrip("\"ctl\\u0001\"", "\"ctl\\u0001\"");

	case_bad("{\"a\":1,}", 8, "key");
	case_bad("[1,]", 4, "unexpected");
	case_bad("{\"a\" 1}", 6, "':'");
	case_bad("01", 2, "after the value");
	case_bad("1.", 3, "digit");
	case_bad("\"abc", 5, "unterminated");
	case_bad("\"a\tb\"", 3, "control");
	case_bad("\"\\x\"", 3, "escape");
	case_bad("\"\\ud800x\"", 8, "surrogate");
	case_bad("tru", 1, "word");
	case_bad("{} {}", 4, "after the value");
	case_bad("", 1, "end");
	case_bad("NaN", 1, "unexpected");

	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[i] = '\0';
	case_bad(deep, JSON_MAX_DEPTH + 2, "deep");

	{
		const char *t = "{\"s\":\"x\",\"n\":2,\"z\":null,\"s\":\"second\"}";
		struct json_val v;

		tl_begin("json: json_get, json_num, json_str");
		if (!ASSERT(!json_parse(t, strlen(t), &v, NULL, 0, NULL), "parse"))
			goto out;
		ASSERT(json_str(json_get(&v, "s")) && !strcmp(json_str(json_get(&v, "s")), "x"),
		       "first of a duplicate key");
		ASSERT(json_num(json_get(&v, "n"), -1) == 2, "n");
		ASSERT(json_num(json_get(&v, "z"), -1) == -1, "null is the default");
		ASSERT(!json_get(&v, "missing") && !json_get(json_get(&v, "n"), "x"), "absent");
		ASSERT(!json_str(json_get(&v, "n")), "a number is no string");
		json_free(&v);
out:
		tl_end();
	}
	{
		char out[64];
		struct json_val v = { .type = JSON_NUM, .num = NAN };

		tl_begin("json: NaN is written as null");
		write_to(&v, out, sizeof(out));
		ASSERT(!strcmp(out, "null"), "wrote '%s'", out);
		tl_end();
	}
	return tl_summary();
}
