// SPDX-License-Identifier: GPL-2.0
/* The forms of `shakeoff lab fleet`'s results (see fleet_report.h). */
#include "core/jsonl.h"
#include "lab/fleet_report.h"

static const char *const cause_names[FLEET_C__COUNT] = {
#define FLEET_CAUSE_NAME(id, name) [FLEET_C_##id] = name,
	FLEET_CAUSES(FLEET_CAUSE_NAME)
#undef FLEET_CAUSE_NAME
};

const char *fleet_cause_name(enum fleet_cause c)
{
	return c < FLEET_C__COUNT ? cause_names[c] : "?";
}

const char *fleet_keys_name(enum fleet_keys k)
{
	return k == FLEET_KEYS_SHARED ? "shared" : "separate";
}

static unsigned int mode_failed(const struct fleet_mode *m)
{
	unsigned int n = 0;
	int c;

	for (c = 0; c < FLEET_C__COUNT; c++)
		n += m->failed[c];
	return n;
}

bool fleet_mode_as_expected(const struct fleet_mode *m)
{
	if (!m->attempted)
		return false;
	return m->keys == FLEET_KEYS_SHARED ? m->completed == m->attempted : m->completed == 0;
}

static const char *mode_expect(const struct fleet_mode *m)
{
	return m->keys == FLEET_KEYS_SHARED ? "all" : "none";
}

void fleet_print_text(FILE *f, const struct fleet_mode *m)
{
	const char *sep = ": ";
	int c;

	fprintf(f, "keys %-8s %u attempted, %u completed, %u failed", fleet_keys_name(m->keys),
		m->attempted, m->completed, mode_failed(m));
	for (c = 0; c < FLEET_C__COUNT; c++) {
		if (!m->failed[c])
			continue;
		fprintf(f, "%s%u %s", sep, m->failed[c], cause_names[c]);
		sep = ", ";
	}
	fprintf(f, " (router: %llu SYNs to A, %llu segments to B; expected %s to complete: %s)\n",
		m->syn_to_a, m->rest_to_b, mode_expect(m),
		fleet_mode_as_expected(m) ? "yes" : "NO");
}

/* The mode's keys from "keys" on, without the braces around them. */
static void mode_fields(FILE *f, const struct fleet_mode *m)
{
	int c;

	fprintf(f,
		"\"keys\":\"%s\",\"expect\":\"%s\",\"attempted\":%u,\"completed\":%u,\"failed\":{",
		fleet_keys_name(m->keys), mode_expect(m), m->attempted, m->completed);
	for (c = 0; c < FLEET_C__COUNT; c++)
		fprintf(f, "%s\"%s\":%u", c ? "," : "", cause_names[c], m->failed[c]);
	fprintf(f,
		"},\"router\":{\"syn_to_a\":%llu,\"rest_to_b\":%llu},\"duration_s\":%.3f,"
		"\"as_expected\":%s",
		m->syn_to_a, m->rest_to_b, m->duration_s,
		fleet_mode_as_expected(m) ? "true" : "false");
}

static bool all_as_expected(const struct fleet_mode *m, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!fleet_mode_as_expected(&m[i]))
			return false;
	return n > 0;
}

void fleet_print_jsonl(FILE *f, const struct fleet_mode *m)
{
	fprintf(f, "%s,\"event\":\"mode\",", json_ts());
	mode_fields(f, m);
	fprintf(f, "}\n");
}

void fleet_print_summary(FILE *f, const struct fleet_mode *m, int n)
{
	fprintf(f, "%s,\"event\":\"summary\",\"modes\":%d,\"as_expected\":%s}\n", json_ts(), n,
		all_as_expected(m, n) ? "true" : "false");
}

void fleet_write_json(FILE *f, const struct fleet_settings *s, const struct fleet_mode *m, int n)
{
	int i;

	fprintf(f,
		"{\"experiment\":\"fleet\",\"started\":\"%s\",\"settings\":{\"connections\":%u,"
		"\"rate\":%g,\"timeout_s\":%g,\"port\":%u},\"modes\":[",
		s->started ? s->started : "", s->connections, s->rate, s->timeout_s, s->port);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{", i ? "," : "");
		mode_fields(f, &m[i]);
		fprintf(f, "}");
	}
	fprintf(f, "],\"as_expected\":%s}\n", all_as_expected(m, n) ? "true" : "false");
}

void fleet_write_md(FILE *f, const struct fleet_settings *s, const struct fleet_mode *m, int n)
{
	int i, c;

	fprintf(f,
		"# Fleet: two guarded servers behind an ECMP reshuffle\n\n"
		"Every SYN went to server A, every later segment of the connection to server B.\n"
		"%u connections per mode at %g/s, timeout %g s, port %u; started %s.\n\n",
		s->connections, s->rate, s->timeout_s, s->port, s->started ? s->started : "?");
	fprintf(f, "| keys | attempted | completed |");
	for (c = 0; c < FLEET_C__COUNT; c++)
		fprintf(f, " %s |", cause_names[c]);
	fprintf(f, " SYNs to A | segments to B | expected | as expected |\n|---|---:|---:|");
	for (c = 0; c < FLEET_C__COUNT; c++)
		fprintf(f, "---:|");
	fprintf(f, "---:|---:|---|---|\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "| %s | %u | %u |", fleet_keys_name(m[i].keys), m[i].attempted,
			m[i].completed);
		for (c = 0; c < FLEET_C__COUNT; c++)
			fprintf(f, " %u |", m[i].failed[c]);
		fprintf(f, " %llu | %llu | %s | %s |\n", m[i].syn_to_a, m[i].rest_to_b,
			mode_expect(&m[i]), fleet_mode_as_expected(&m[i]) ? "yes" : "**no**");
	}
}
