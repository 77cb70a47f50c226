// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/conffile.h"
#include "core/opts.h"
#include "lab/exp.h"
#include "core/jsonl.h"

#define CMD "lab run"
#define SETUP_S 3 /* per defence: server, guard or serve up, neighbours */
#define STEP_EXTRA_S 1 /* per step: the prober's last second, the flood's summary */

enum {
	K_NAME = 1,
	K_TYPE,
	K_SERVER,
	K_DEFENCES,
	K_KINDS,
	K_RATES,
	K_STEP,
	K_SETTLE,
	K_PROBE_RATE,
	K_PROBE_REQUEST,
	K_PROBE_TIMEOUT,
	K_PORT,
	K_SRC,
	K_SRC_POOL,
	K_PATTERN,
	K_SEED,
	K_FAMILY,
	K_PREFIX,
	K_OUT,
	K_NO_REPORT,
	K__N
};

const char *const exp_defence_names[DEF__N] = {
	[DEF_NONE] = "none",
	[DEF_SYNCOOKIES_1] = "syncookies-1",
	[DEF_SYNCOOKIES_2] = "syncookies-2",
	[DEF_SYNPROXY] = "synproxy",
	[DEF_GUARD_ALWAYS] = "guard-always",
	[DEF_GUARD_AUTO] = "guard-auto",
	[DEF_SERVE] = "serve",
};

static const char *const server_names[] = { "kernel-http", "kernel-echo", "serve" };
static const char *const kind_names[] = { "syn", "ack", "rst", "fin", "synack", "mixed" };

const struct optab exp_optab[] = {
	{ "name", K_NAME, "NAME", "the experiment's name (default: the file's name)" },
	{ "type", K_TYPE, "sweep|fleet",
	  "sweep (default): defences x kinds x rates;\nfleet: the file is `shakeoff lab fleet`'s" },
	{ "server", K_SERVER, "kernel-http|kernel-echo|serve",
	  "the server: nginx (default), a kernel echo server,\nor shakeoff serve (defence serve only)" },
	{ "defences", K_DEFENCES, "LIST",
	  "none, syncookies-1, syncookies-2, synproxy,\nguard-always, guard-auto, serve\n"
	  "(default none,guard-always)" },
	{ "kinds", K_KINDS, "LIST",
	  "flood kinds: syn, ack, rst, fin, synack, mixed\n(default syn)" },
	{ "rates", K_RATES, "LIST", "flood rates in packets/s, 0: no flood (default 0,10000)" },
	{ "step", K_STEP, "SECONDS", "the prober's seconds per step (default 10)" },
	{ "settle", K_SETTLE, "SECONDS", "flood seconds before the prober starts (default 2)" },
	{ "probe-rate", K_PROBE_RATE, "N", "legitimate connections per second (default 50)" },
	{ "probe-request", K_PROBE_REQUEST, "BYTES",
	  "request size to an echo server (default 64;\nkernel-http sends a GET)" },
	{ "probe-timeout", K_PROBE_TIMEOUT, "SECONDS", "a connection's time limit (default 3)" },
	{ "port", K_PORT, "N", "the server's port (default 8080)" },
	{ "src", K_SRC, "CIDR", "flood sources (default: flood's, 198.18.0.0/15)" },
	{ "src-pool", K_SRC_POOL, "N", "flood from N fixed addresses (a botnet)" },
	{ "pattern", K_PATTERN, "constant|ramp|pulse", "the flood's pattern (default constant)" },
	{ "seed", K_SEED, "N", "the flood's seed, for repeatable runs" },
	{ "family", K_FAMILY, "4|6", "IPv4 (default) or IPv6" },
	{ "prefix", K_PREFIX, "NAME",
	  "namespace names PREFIX-srv, -cli, -att, -rtr\n(default " EXP_DEFAULT_PREFIX ")" },
	{ "out", K_OUT, "DIR", "results folder (default results/NAME-TIME)" },
	{ "no-report", K_NO_REPORT, NULL, "do not run `shakeoff lab report` at the end" },
	OPTAB_HELP
};

void exp_defaults(struct exp *e)
{
	memset(e, 0, sizeof(*e));
	e->server = SRV_KERNEL_HTTP;
	e->step_s = 10;
	e->settle_s = 2;
	e->probe_rate = 50;
	e->probe_request = 64;
	e->probe_timeout_s = 3;
	e->port = 8080;
	e->family = 4;
	snprintf(e->prefix, sizeof(e->prefix), "%s", EXP_DEFAULT_PREFIX);
}

static int name_index(const char *const *names, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], s, len))
			return (int)i;
	return -1;
}

/*
 * A comma-separated list: each item (blanks around it dropped) to fn.
 * 0, or EXIT_USAGE after fn's or our own one-line message.
 */
static int each_item(const char *key, const char *list,
		     int (*fn)(struct exp *, const char *, size_t), struct exp *e)
{
	const char *s = list;

	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		int err;

		while (len && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (!len)
			return usage_error(CMD, "%s: an empty item in '%s'", key, list);
		err = fn(e, s, len);
		if (err)
			return err;
		if (!end)
			return 0;
		s = end + 1;
	}
}

static int add_defence(struct exp *e, const char *s, size_t len)
{
	int d = name_index(exp_defence_names, DEF__N, s, len), i;

	if (d < 0)
		return usage_error(CMD, "defences: unknown defence '%.*s'", (int)len, s);
	for (i = 0; i < e->ndef; i++)
		if (e->defences[i] == d)
			return usage_error(CMD, "defences: '%.*s' listed twice", (int)len, s);
	if (e->ndef == EXP_MAX_LIST)
		return usage_error(CMD, "defences: more than %d", EXP_MAX_LIST);
	e->defences[e->ndef++] = d;
	return 0;
}

static int add_kind(struct exp *e, const char *s, size_t len)
{
	if (name_index(kind_names, sizeof(kind_names) / sizeof(kind_names[0]), s, len) < 0)
		return usage_error(CMD, "kinds: unknown kind '%.*s'", (int)len, s);
	if (e->nkind == EXP_MAX_LIST)
		return usage_error(CMD, "kinds: more than %d", EXP_MAX_LIST);
	snprintf(e->kinds[e->nkind++], sizeof(e->kinds[0]), "%.*s", (int)len, s);
	return 0;
}

static int add_rate(struct exp *e, const char *s, size_t len)
{
	char buf[32];
	unsigned long r;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	if (len >= sizeof(buf) || parse_ulong(buf, 0, 100000000, &r))
		return usage_error(CMD, "rates: '%.*s' is not a rate 0-100000000", (int)len, s);
	if (e->nrate == EXP_MAX_LIST)
		return usage_error(CMD, "rates: more than %d", EXP_MAX_LIST);
	e->rates[e->nrate++] = r;
	return 0;
}

static int num(const char *key, const char *v, unsigned long min, unsigned long max,
	       unsigned long *out)
{
	if (parse_ulong(v, min, max, out))
		return usage_error(CMD, "%s: want a number %lu-%lu, got '%s'", key, min, max, v);
	return 0;
}

static int copy(const char *key, const char *v, char *dst, size_t len)
{
	if (strlen(v) >= len)
		return usage_error(CMD, "%s: longer than %zu characters", key, len - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int exp_opt(int c, const char *v, struct exp *e)
{
	unsigned long n;
	int i;

	switch (c) {
	case K_NAME:
		for (i = 0; v[i]; i++)
			if (!isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
				return usage_error(CMD,
						   "name: letters, digits, '-', '_', '.' only");
		return copy("name", v, e->name, sizeof(e->name));
	case K_TYPE:
		if (!strcmp(v, "fleet"))
			e->fleet = true;
		else if (strcmp(v, "sweep"))
			return usage_error(CMD, "type: sweep or fleet, got '%s'", v);
		return 0;
	case K_SERVER:
		i = name_index(server_names, 3, v, strlen(v));
		if (i < 0)
			return usage_error(
				CMD, "server: kernel-http, kernel-echo or serve, got '%s'", v);
		e->server = (enum exp_server)i;
		return 0;
	case K_DEFENCES:
		e->ndef = 0;
		return each_item("defences", v, add_defence, e);
	case K_KINDS:
		e->nkind = 0;
		return each_item("kinds", v, add_kind, e);
	case K_RATES:
		e->nrate = 0;
		return each_item("rates", v, add_rate, e);
	case K_STEP:
		return num("step", v, 1, 3600, &e->step_s);
	case K_SETTLE:
		return num("settle", v, 0, 600, &e->settle_s);
	case K_PROBE_RATE:
		return num("probe-rate", v, 1, 100000, &e->probe_rate);
	case K_PROBE_REQUEST:
		return num("probe-request", v, 1, 65536, &e->probe_request);
	case K_PROBE_TIMEOUT:
		return num("probe-timeout", v, 1, 60, &e->probe_timeout_s);
	case K_PORT:
		return num("port", v, 1, 65535, &e->port);
	case K_SRC:
		return copy("src", v, e->src, sizeof(e->src));
	case K_SRC_POOL:
		return num("src-pool", v, 1, 1000000, &e->src_pool);
	case K_PATTERN:
		if (strcmp(v, "constant") && strcmp(v, "ramp") && strcmp(v, "pulse"))
			return usage_error(CMD, "pattern: constant, ramp or pulse, got '%s'", v);
		return copy("pattern", v, e->pattern, sizeof(e->pattern));
	case K_SEED:
		e->has_seed = true;
		return num("seed", v, 0, ULONG_MAX, &e->seed);
	case K_FAMILY:
		if (num("family", v, 4, 6, &n) || n == 5)
			return usage_error(CMD, "family: 4 or 6, got '%s'", v);
		e->family = (int)n;
		return 0;
	case K_PREFIX:
		for (i = 0; v[i]; i++)
			if (!isalnum((unsigned char)v[i]))
				return usage_error(CMD, "prefix: letters and digits only");
		/* "PREFIX-att" must stay a short namespace name */
		if (!*v || strlen(v) > 10)
			return usage_error(CMD, "prefix: 1-10 characters");
		return copy("prefix", v, e->prefix, sizeof(e->prefix));
	case K_OUT:
		return copy("out", v, e->out, sizeof(e->out));
	case K_NO_REPORT:
		e->no_report = true;
		return 0;
	default:
		return EXIT_USAGE;
	}
}

/* The file's options into e, each unless on_cli has its key. */
static int exp_apply_file(struct conf_file *cf, struct exp *e, const bool *on_cli)
{
	int c, err = 0;

	optab_reset();
	while (!err && (c = optab_next(cf->argc, cf->argv, CMD, exp_optab)) != OPTAB_END) {
		if (c == OPTAB_ERROR || c == 'h')
			return EXIT_USAGE;
		if (c > 0 && c < K__N && on_cli[c])
			continue;
		usage_set_origin(cf->where[optind - 1]);
		err = exp_opt(c, optarg, e);
		usage_set_origin(NULL);
	}
	return err;
}

int exp_load_text(const char *text, const char *name, struct exp *e)
{
	bool on_cli[K__N] = { false };
	struct conf_file cf;
	int err;

	exp_defaults(e);
	snprintf(e->file, sizeof(e->file), "%s", name);
	err = conf_parse(text, strlen(text), name, CMD, exp_optab, NULL, &cf);
	if (err)
		return err;
	err = exp_apply_file(&cf, e, on_cli);
	conf_free(&cf);
	return err ? err : exp_finish(e);
}

/*
 * Whether the file says `type = fleet`: its other keys are `lab fleet`'s, so
 * it is handed over before our own table could call them unknown.
 */
static bool file_is_fleet(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool fleet = false;

	if (!f)
		return false;
	while (!fleet && fgets(line, sizeof(line), f)) {
		char key[16], val[16];

		if (sscanf(line, " %15[a-z] = %15[a-z]", key, val) == 2 && !strcmp(key, "type") &&
		    !strcmp(val, "fleet"))
			fleet = true;
	}
	fclose(f);
	return fleet;
}

int exp_load(int argc, char **argv, struct exp *e, const char **experiment)
{
	bool on_cli[K__N] = { false };
	struct conf_file cf;
	int c, err;

	exp_defaults(e);
	*experiment = NULL;
	optab_reset();
	while ((c = optab_next(argc, argv, CMD, exp_optab)) != OPTAB_END) {
		if (c == OPTAB_ERROR)
			return EXIT_USAGE;
		if (c == 'h')
			return -1;
		err = exp_opt(c, optarg, e);
		if (err)
			return err;
		if (c > 0 && c < K__N)
			on_cli[c] = true;
	}
	if (optind + 1 < argc)
		return usage_error(CMD, "one EXPERIMENT file at most, got '%s' too",
				   argv[optind + 1]);
	if (optind < argc) {
		*experiment = argv[optind];
		if (copy("EXPERIMENT", argv[optind], e->file, sizeof(e->file)))
			return EXIT_USAGE;
		if (file_is_fleet(e->file)) {
			e->fleet = true;
			return 0;
		}
		err = conf_read(e->file, CMD, exp_optab, NULL, &cf);
		if (err)
			return err;
		err = exp_apply_file(&cf, e, on_cli);
		conf_free(&cf);
		if (err)
			return err;
	}
	if (e->fleet)
		return 0;
	return exp_finish(e);
}

int exp_finish(struct exp *e)
{
	int i;

	if (!e->name[0]) {
		const char *base = strrchr(e->file, '/');
		size_t len;

		base = base ? base + 1 : e->file[0] ? e->file : "lab";
		len = strcspn(base, ".");
		snprintf(e->name, sizeof(e->name), "%.*s", (int)(len ? len : strlen(base)), base);
	}
	if (!e->ndef) {
		if (e->server == SRV_SERVE) {
			e->defences[e->ndef++] = DEF_SERVE;
		} else {
			e->defences[e->ndef++] = DEF_NONE;
			e->defences[e->ndef++] = DEF_GUARD_ALWAYS;
		}
	}
	if (!e->nkind)
		snprintf(e->kinds[e->nkind++], sizeof(e->kinds[0]), "syn");
	if (!e->nrate) {
		e->rates[e->nrate++] = 0;
		e->rates[e->nrate++] = 10000;
	}
	if (e->server == SRV_SERVE)
		for (i = 0; i < e->ndef; i++)
			if (e->defences[i] != DEF_SERVE)
				return usage_error(CMD,
						   "server serve runs only defence serve, not %s",
						   exp_defence_names[e->defences[i]]);
	return 0;
}

int exp_steps(const struct exp *e)
{
	return e->ndef * e->nkind * e->nrate;
}

void exp_step(const struct exp *e, int i, struct exp_step *s)
{
	int per_def = e->nkind * e->nrate;

	s->index = i;
	s->defence = e->defences[i / per_def];
	s->kind = e->kinds[(i % per_def) / e->nrate];
	s->rate = e->rates[i % e->nrate];
}

unsigned long exp_estimate_s(const struct exp *e)
{
	return (unsigned long)e->ndef * SETUP_S +
	       (unsigned long)exp_steps(e) * (e->settle_s + e->step_s + STEP_EXTRA_S);
}

void exp_settings_json(FILE *f, const struct exp *e)
{
	int i;

	fprintf(f, "{\"name\":");
	json_quote(f, e->name);
	fprintf(f, ",\"type\":\"sweep\",\"server\":\"%s\",\"defences\":\"",
		server_names[e->server]);
	for (i = 0; i < e->ndef; i++)
		fprintf(f, "%s%s", i ? "," : "", exp_defence_names[e->defences[i]]);
	fprintf(f, "\",\"kinds\":\"");
	for (i = 0; i < e->nkind; i++)
		fprintf(f, "%s%s", i ? "," : "", e->kinds[i]);
	fprintf(f, "\",\"rates\":\"");
	for (i = 0; i < e->nrate; i++)
		fprintf(f, "%s%lu", i ? "," : "", e->rates[i]);
	fprintf(f,
		"\",\"step\":%lu,\"settle\":%lu,\"probe-rate\":%lu,\"probe-request\":%lu,"
		"\"probe-timeout\":%lu,\"port\":%lu,\"src\":",
		e->step_s, e->settle_s, e->probe_rate, e->probe_request, e->probe_timeout_s,
		e->port);
	json_quote(f, e->src[0] ? e->src : e->family == 6 ? "2001:db8::/64" : "198.18.0.0/15");
	fprintf(f, ",\"src-pool\":%lu,\"pattern\":\"%s\",", e->src_pool,
		e->pattern[0] ? e->pattern : "constant");
	if (e->has_seed)
		fprintf(f, "\"seed\":%lu,", e->seed);
	else
		fprintf(f, "\"seed\":null,");
	fprintf(f, "\"family\":%d,\"prefix\":\"%s\"}", e->family, e->prefix);
}
