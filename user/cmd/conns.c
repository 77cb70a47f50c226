// SPDX-License-Identifier: GPL-2.0
/* shakeoff conns: serve's flow table, found through the program on the interface. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <shakeoff/serve_abi.h>

#include "cmd/cmds.h"
#include "cmd/optab.h"
#include "core/attach.h"
#include "core/stage.h"
#include "core/clock.h"
#include "core/iface.h"
#include "core/log.h"
#include "core/opts.h"

static void addr_str(const __be32 *a, __be16 port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!a[0] && !a[1] && a[2] == htonl(0xffff)) {
		inet_ntop(AF_INET, &a[3], ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(port));
	} else {
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(port));
	}
}

static const struct optab conns_opts[] = {
	{ "json", 'j', NULL, "one JSON object with every flow" },
	OPTAB_HELP,
};

static void conns_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff conns IFACE [--json]\n\n"
		   "List serve's flows on IFACE: client, local address, state, sequence\n"
		   "numbers, bytes each way and age. Works from any process in IFACE's\n"
		   "network namespace, also another `ip netns exec`.\n\n"
		   "Options:\n");
	optab_print(f, conns_opts);
}

int cmd_conns(int argc, char **argv)
{
	const char *ifname;
	struct serve_flow_key key, next;
	struct serve_flow v;
	struct prog_ref p;
	bool json = false, first = true, have = false;
	int c, fd, ifindex, n = 0;
	__u64 now;

	optab_reset();
	while ((c = optab_next(argc, argv, "conns", conns_opts)) != OPTAB_END) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if (c != 'h')
			return EXIT_USAGE;
		conns_usage(stdout);
		return 0;
	}
	ifindex = optab_iface(argc, argv, "conns", &ifname);
	if (ifindex < 0)
		return -ifindex;
	/* on the hook, or a stage of the root program there (--xdp-stage) */
	if (xdp_find_named(ifindex, SERVE_XDP_PROG_NAME, &p)) {
		pr_warn("no shakeoff serve on %s\n", argv[optind]);
		return 1;
	}
	fd = prog_map_fd(p.id, SERVE_MAP_FLOWS);
	if (fd < 0) {
		pr_warn("Failed to open map %s: %s\n", SERVE_MAP_FLOWS, strerror(-fd));
		return 1;
	}
	now = clock_mono_ns();
	if (json)
		printf("{\"iface\":\"%s\",\"flows\":[", argv[optind]);
	else
		printf("%-46s %-46s %-11s %10s %10s %10s %10s %10s %8s\n", "client", "local",
		       "state", "snd_una", "snd_nxt", "rcv_nxt", "bytes_out", "bytes_in", "age_s");
	while (!bpf_map_get_next_key(fd, have ? &key : NULL, &next)) {
		char ra[64], la[64];
		const char *st;
		double age;

		key = next;
		have = true;
		if (bpf_map_lookup_elem_flags(fd, &key, &v, BPF_F_LOCK))
			continue;
		addr_str(key.raddr, key.rport, ra, sizeof(ra));
		addr_str(key.laddr, key.lport, la, sizeof(la));
		st = tcp_state_name(v.state);
		age = now > v.last_ns ? (now - v.last_ns) / 1e9 : 0;
		if (json)
			printf("%s{\"client\":\"%s\",\"local\":\"%s\",\"state\":\"%s\",\"iss\":%u,"
			       "\"irs\":%u,\"snd_una\":%u,\"snd_nxt\":%u,\"rcv_nxt\":%u,"
			       "\"bytes_out\":%u,\"bytes_in\":%u,\"idle_s\":%.3f}",
			       first ? "" : ",", ra, la, st, v.iss, v.irs, v.snd_una, v.snd_nxt,
			       v.rcv_nxt, v.snd_una - v.iss - 1, v.rcv_nxt - v.irs - 1, age);
		else
			printf("%-46s %-46s %-11s %10u %10u %10u %10u %10u %8.1f\n", ra, la, st,
			       v.snd_una, v.snd_nxt, v.rcv_nxt, v.snd_una - v.iss - 1,
			       v.rcv_nxt - v.irs - 1, age);
		first = false;
		n++;
	}
	if (json)
		printf("],\"count\":%d}\n", n);
	close(fd);
	return 0;
}
