// SPDX-License-Identifier: GPL-2.0
/* shakeoff detach: remove what a guard (also a crashed one) left on an interface. */
#include <stdio.h>
#include <string.h>
#include <shakeoff/guard_abi.h>
#include <shakeoff/serve_abi.h>

#include "core/attach.h"
#include "core/stage.h"
#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/pins.h"
#include "core/sysenv.h"

static const struct optab detach_opts[] = { OPTAB_HELP };

static void detach_usage(FILE *f)
{
	fprintf(f,
		"Usage: shakeoff detach IFACE\n\n"
		"Remove shakeoff's XDP and TC programs from IFACE and its pins under\n" SHAKEOFF_PIN_ROOT
		"/IFACE, and their entries in\nthe PROG_ARRAYs of IFACE's XDP program (guard or serve as a stage). Nothing\nelse on IFACE is touched.\n\n"
		"Options:\n");
	optab_print(f, detach_opts);
}

int cmd_detach(int argc, char **argv)
{
	static const char *const names[] = { GUARD_XDP_PROG_NAME, GUARD_TC_PROG_NAME,
					     SERVE_XDP_PROG_NAME };
	char caps[64], dir[256];
	const char *ifname;
	int c, ifindex, n;

	optab_reset();
	while ((c = optab_next(argc, argv, "detach", detach_opts)) != OPTAB_END) {
		if (c != 'h')
			return EXIT_USAGE;
		detach_usage(stdout);
		return 0;
	}
	ifindex = optab_iface(argc, argv, "detach", &ifname);
	if (ifindex < 0)
		return -ifindex;
	if (sysenv_check_caps(caps, sizeof(caps))) {
		pr_warn("missing %s: needed to detach programs\n", caps);
		return EXIT_USAGE;
	}
	n = detach_named(ifindex, names, sizeof(names) / sizeof(names[0]));
	if (n < 0) {
		pr_warn("Failed to detach from %s: %s\n", ifname, strerror(-n));
		return 1;
	}
	/* stages a killed guard or serve left in the root program's arrays (--xdp-stage) */
	n += stage_remove_named(ifindex, names, sizeof(names) / sizeof(names[0]));
	if (!bpffs_ensure() && !pin_dir_path(ifname, dir, sizeof(dir)))
		pin_dir_remove(dir);
	if (n)
		printf("detached %d program(s) from %s\n", n, ifname);
	else
		printf("nothing of shakeoff's on %s\n", ifname);
	return 0;
}
