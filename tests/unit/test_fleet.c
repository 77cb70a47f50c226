// SPDX-License-Identifier: GPL-2.0
/*
 * user/lab/fleet_report.c: its failure causes against the prober's, when a
 * mode is as expected, and the exact text, JSON and Markdown of a report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/fleet_report.h"
#include "lab/probe_stats.h"
#include "testlib.h"

/* What fn wrote for the modes, as a string (the caller frees it). */
static char *render(void (*fn)(FILE *, const struct fleet_settings *, const struct fleet_mode *,
			       int),
		    const struct fleet_settings *s, const struct fleet_mode *m, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, s, m, n);
	fclose(f);
	return buf;
}

static char *render_one(void (*fn)(FILE *, const struct fleet_mode *), const struct fleet_mode *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, m);
	fclose(f);
	return buf;
}

static const struct fleet_settings st = { 20, 20, 2, 8080, "2026-12-03T16:00:00Z" };

/* A shared mode that all completed and a separate one that failed by RST and timeout. */
static void two_modes(struct fleet_mode m[2])
{
	memset(m, 0, 2 * sizeof(*m));
	m[0] = (struct fleet_mode){ .keys = FLEET_KEYS_SHARED,
				    .attempted = 20,
				    .completed = 20,
				    .syn_to_a = 20,
				    .rest_to_b = 80,
				    .duration_s = 1.25 };
	m[1] = (struct fleet_mode){ .keys = FLEET_KEYS_SEPARATE,
				    .attempted = 20,
				    .syn_to_a = 20,
				    .rest_to_b = 25,
				    .duration_s = 3 };
	m[1].failed[FLEET_C_RST] = 15;
	m[1].failed[FLEET_C_TIMEOUT] = 5;
}

static const char json_head[] =
	"{\"experiment\":\"fleet\",\"started\":\"2026-12-03T16:00:00Z\",\"settings\":{"
	"\"connections\":20,\"rate\":20,\"timeout_s\":2,\"port\":8080},\"modes\":[{\"keys\":\"shared\"";

int main(void)
{
	struct fleet_mode m[2];
	char *s = NULL;
	int c;

	tl_begin("fleet: the failure causes are the prober's, by name and order");
	for (c = 0; c < FLEET_C__COUNT; c++)
		if (!ASSERT(!strcmp(fleet_cause_name((enum fleet_cause)c),
				    probe_fail_name((enum probe_fail)c)),
			    "cause %d: %s vs %s", c, fleet_cause_name((enum fleet_cause)c),
			    probe_fail_name((enum probe_fail)c)))
			break;
	tl_end();

	tl_begin(
		"fleet: shared expects all to complete, separate none, nothing tried is not as expected");
	two_modes(m);
	if (!ASSERT(fleet_mode_as_expected(&m[0]), "shared, all completed") ||
	    !ASSERT(fleet_mode_as_expected(&m[1]), "separate, none completed"))
		goto out2;
	m[0].completed = 19;
	m[1].completed = 1;
	if (!ASSERT(!fleet_mode_as_expected(&m[0]), "shared, one short") ||
	    !ASSERT(!fleet_mode_as_expected(&m[1]), "separate, one completed"))
		goto out2;
	m[0].attempted = m[0].completed = 0;
	ASSERT(!fleet_mode_as_expected(&m[0]), "nothing attempted");
out2:
	tl_end();

	tl_begin("fleet: the text line names failures by cause, only those that happened");
	two_modes(m);
	s = render_one(fleet_print_text, &m[1]);
	ASSERT(s && !strcmp(s,
			    "keys separate 20 attempted, 0 completed, 20 failed: 5 timeout, 15 rst "
			    "(router: 20 SYNs to A, 25 segments to B; expected none to complete: "
			    "yes)\n"),
	       "text: %s", s ? s : "(null)");
	free(s);
	s = NULL;
	tl_end();

	tl_begin("fleet: a mode's JSON line starts with ts and carries every cause");
	s = render_one(fleet_print_jsonl, &m[0]);
	if (!ASSERT(s && !strncmp(s, "{\"ts\":", 6), "starts with ts: %s", s ? s : "(null)"))
		goto out4;
	ASSERT(strstr(s,
		      ",\"event\":\"mode\",\"keys\":\"shared\",\"expect\":\"all\",\"attempted\":20,"
		      "\"completed\":20,\"failed\":{\"timeout\":0,\"rst\":0,\"refused\":0,"
		      "\"short\":0,\"other\":0},\"router\":{\"syn_to_a\":20,\"rest_to_b\":80},"
		      "\"duration_s\":1.250,\"as_expected\":true}\n"),
	       "body: %s", s);
out4:
	free(s);
	s = NULL;
	tl_end();

	tl_begin("fleet: fleet.json holds the settings, both modes and the verdict");
	s = render(fleet_write_json, &st, m, 2);
	if (!ASSERT(s && !strncmp(s, json_head, strlen(json_head)), "head: %s", s ? s : "(null)"))
		goto out5;
	ASSERT(strstr(s,
		      "},{\"keys\":\"separate\",\"expect\":\"none\",\"attempted\":20,\"completed\":0,"
		      "\"failed\":{\"timeout\":5,\"rst\":15,") &&
		       strstr(s, "}],\"as_expected\":true}\n"),
	       "modes and verdict: %s", s);
out5:
	free(s);
	s = NULL;
	tl_end();

	tl_begin("fleet: fleet.md has one table row per mode, a failing one marked");
	m[1].completed = 2;
	s = render(fleet_write_md, &st, m, 2);
	ASSERT(s && strstr(s, "| shared | 20 | 20 | 0 | 0 | 0 | 0 | 0 | 20 | 80 | all | yes |\n") &&
		       strstr(s,
			      "| separate | 20 | 2 | 5 | 15 | 0 | 0 | 0 | 20 | 25 | none | **no** |\n") &&
		       strstr(s, "20 connections per mode at 20/s, timeout 2 s, port 8080"),
	       "md: %s", s ? s : "(null)");
	free(s);
	tl_end();

	return tl_summary();
}
