// SPDX-License-Identifier: GPL-2.0
/* shakeoff: the subcommand table. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/log.h"
#include "core/opts.h"

#ifndef SHAKEOFF_VERSION /* the Makefile sets it; a bare compile (clang-tidy) does not */
#define SHAKEOFF_VERSION "unknown"
#endif

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "guard", cmd_guard, "answer SYNs with cookies in XDP, hand verified ACKs to listeners" },
	{ "stats", cmd_stats, "show guard's (or serve's) counters on an interface" },
	{ "status", cmd_status, "what shakeoff runs on each interface, with what settings" },
	{ "ports", cmd_ports, "list, add or remove a running guard's protected ports" },
	{ "src", cmd_src, "list, allow, deny or remove a running guard's source prefixes" },
	{ "detach", cmd_detach, "remove everything shakeoff attached to an interface" },
	{ "serve", cmd_serve, "XDP completes TCP handshakes, AF_XDP carries the data to an app" },
	{ "conns", cmd_conns, "list serve's flows with state, seq/ack, age" },
	{ "flood", cmd_flood, "send spoofed SYN, ACK, RST, FIN, SYN-ACK or mixed floods (lab)" },
	{ "probe", cmd_probe,
	  "legitimate TCP connections at a steady rate, with their figures (lab)" },
	{ "lab", cmd_lab,
	  "experiments (run, report, scenario, fleet); reflect, count, pass, drop, lossy" },
	{ "trace", cmd_trace, "draw the connections through an interface as a live ladder" },
	{ "check", cmd_check, "report what guard and serve need from this system, attach nothing" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: shakeoff [-q|-v|-vv] COMMAND [ARGS]\n"
		   "       shakeoff COMMAND --help\n"
		   "       shakeoff --version\n\n"
		   "TCP handshake offload to XDP.\n\nCommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -q, --quiet    errors and warnings only\n"
		   "  -v, --verbose  debug lines, libbpf's warnings (-vv: libbpf's debug\n"
		   "                 output and the verifier's log of every program)\n"
		   "  -h, --help     this text\n"
		   "  --version      print the version\n"
		   "\nExit status: 0 success, 1 runtime failure, 2 usage error, bad\n"
		   "configuration or a missing requirement (privilege, kernel feature, sysctl).\n");
}

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("shakeoff %s\n", SHAKEOFF_VERSION);
			return 0;
		}
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose") ||
		    !strcmp(argv[1], "-vv")) {
			/* each -v one level more: -v -v is -vv */
			if (!strcmp(argv[1], "-vv") || log_get_level() >= LOG_DEBUG)
				log_set_level(LOG_TRACE);
			else
				log_set_level(LOG_DEBUG);
			argc--;
			argv++;
			continue;
		}
		if (!strcmp(argv[1], "-q") || !strcmp(argv[1], "--quiet")) {
			log_set_level(LOG_WARN);
			argc--;
			argv++;
			continue;
		}
		fprintf(stderr, "shakeoff: unknown option '%s' (try 'shakeoff --help')\n", argv[1]);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		fprintf(stderr, "shakeoff: missing COMMAND (try 'shakeoff --help')\n");
		return EXIT_USAGE;
	}
	log_setup_libbpf();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		rc = cmds[i].run(argc - 1, argv + 1);
		/* the documented exit codes only: 0 ok, 1 runtime failure, EXIT_USAGE */
		return rc >= 0 && rc <= EXIT_USAGE ? rc : 1;
	}
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version")) {
		printf("shakeoff %s\n", SHAKEOFF_VERSION);
		return 0;
	}
	fprintf(stderr, "shakeoff: unknown command '%s' (try 'shakeoff --help')\n", argv[1]);
	return EXIT_USAGE;
}
