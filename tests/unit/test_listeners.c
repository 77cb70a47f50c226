// SPDX-License-Identifier: GPL-2.0
/*
 * listeners_scan() and tc_ingress_foreign() against the real kernel, in a
 * network namespace of our own that vanishes with the process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/listeners.h"
#include "core/opts.h"
#include "core/tcinfo.h"
#include "netns.h"
#include "testlib.h"

#define DEV "so0"
#define TCX_INGRESS 46
/* Longer than the kernel's 15 characters, so skipping must cope with truncation. */
#define OUR_PROG "shakeoff_handoff"

/*
 * Every check is a case of its own, named after the fact: the name may show
 * what was found. On failure the condition is printed under the FAIL line.
 */
#define expect(ok, ...) expect_at(!!(ok), #ok, __FILE__, __LINE__, __VA_ARGS__)

static __attribute__((format(printf, 5, 6))) bool
expect_at(bool ok, const char *cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_vbegin(fmt, ap);
	va_end(ap);
	tl_check(ok, file, line, "does not hold: %s", cond);
	return tl_end();
}

static void skip(const char *what, const char *why)
{
	tl_begin("%s", what);
	tl_skip("%s", why);
	tl_end();
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc ? -1 : 0;
}

/* For what this kernel may lack (CONFIG_NET_CLS_MATCHALL): no noise when it fails. */
static int sh_quiet(const char *cmd)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "(%s) >/dev/null 2>&1", cmd);
	return system(buf) ? -1 : 0;
}

/* addr NULL: the family's wildcard. Returns the listening fd or -1. */
static int listen_on(int family, const char *addr, int port, bool v6only)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int fd, one = 1, v6 = v6only;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (addr && inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			goto err;
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)) < 0)
			goto err;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (addr && inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			goto err;
	}
	if (bind(fd, (struct sockaddr *)&ss, sizeof(ss)) < 0 || listen(fd, 8) < 0)
		goto err;
	return fd;
err:
	fprintf(stderr, "Failed to listen on %s port %d: %s\n", addr ? addr : "*", port,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static bool want[65536], out4[65536], out6[65536];
static struct ip_addr addrs[2];

/* Scan for port with our two addresses (or none when naddrs is 0); false on error. */
static bool scan(int port, unsigned int naddrs)
{
	int err;

	memset(want, 0, sizeof(want));
	want[port] = true;
	err = listeners_scan(want, addrs, naddrs, out4, out6);
	if (err) {
		fprintf(stderr, "listeners_scan: %s\n", strerror(-err));
		return false;
	}
	return true;
}

static void test_listeners(void)
{
	int fd, fd2;

	expect(scan(8080, 2) && !out4[8080] && !out6[8080], "no listener: v4 and v6 false");

	fd = listen_on(AF_INET, NULL, 8080, false);
	expect(fd >= 0 && scan(8080, 2) && out4[8080] && !out6[8080],
	       "IPv4 wildcard listener: v4 true, v6 false");
	if (fd >= 0)
		close(fd);
	expect(scan(8080, 2) && !out4[8080] && !out6[8080], "closed listener disappears");

	fd = listen_on(AF_INET6, NULL, 8081, false);
	expect(fd >= 0 && scan(8081, 2) && out4[8081] && out6[8081],
	       "IPv6 wildcard dual-stack listener: v4 and v6 true");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET6, NULL, 8082, true);
	expect(fd >= 0 && scan(8082, 2) && !out4[8082] && out6[8082],
	       "IPv6 wildcard v6only listener: v4 false, v6 true");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET, "10.77.0.2", 8083, false);
	fd2 = listen_on(AF_INET6, "fd77::2", 8083, true);
	expect(fd >= 0 && fd2 >= 0 && scan(8083, 2) && !out4[8083] && !out6[8083],
	       "listeners bound to other addresses: v4 and v6 false");
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);

	fd = listen_on(AF_INET, "10.77.0.1", 8084, false);
	expect(fd >= 0 && scan(8084, 2) && out4[8084] && !out6[8084],
	       "IPv4 listener bound to one of addrs: v4 true, v6 false");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET6, "fd77::1", 8085, true);
	expect(fd >= 0 && scan(8085, 2) && !out4[8085] && out6[8085],
	       "IPv6 listener bound to one of addrs: v4 false, v6 true");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET6, "::ffff:10.77.0.1", 8086, false);
	expect(fd >= 0 && scan(8086, 2) && out4[8086] && !out6[8086],
	       "IPv4-mapped bind to one of addrs counts as IPv4");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET, NULL, 8087, false);
	expect(fd >= 0 && scan(8088, 2) && !out4[8087] && !out6[8087],
	       "listener on a port not in want: left false");
	if (fd >= 0)
		close(fd);

	fd = listen_on(AF_INET, "10.77.0.2", 8089, false);
	expect(fd >= 0 && scan(8089, 0) && out4[8089] && !out6[8089],
	       "no addresses given: any address counts");
	if (fd >= 0)
		close(fd);
}

static int load_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, OUR_PROG, "GPL", insns, 2, NULL);
}

static void test_tcx(int ifindex, int prog_fd, __u32 prog_id)
{
	char buf[256] = "", exp[64];
	int link, r;

	link = bpf_link_create(prog_fd, ifindex, TCX_INGRESS, NULL);
	if (link < 0) {
		skip("tcx program reported", strerror(errno));
		return;
	}
	snprintf(exp, sizeof(exp), "tcx program 'shakeoff_handof' (id %u)", prog_id);
	r = tc_ingress_foreign(ifindex, "other", buf, sizeof(buf));
	expect(r == 1 && !strcmp(buf, exp), "tcx program reported: \"%s\"", buf);
	r = tc_ingress_foreign(ifindex, OUR_PROG, buf, sizeof(buf));
	expect(r == 0, "tcx program named skip_name ignored (got %d)", r);
	close(link);
	r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
	expect(r == 0, "tcx program gone after detach (got %d)", r);
}

static void test_tc_bpf(int ifindex, int prog_fd, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .priority = 5);
	char buf[256] = "", exp[80];
	int err, r;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		skip("tc bpf filter reported", strerror(-err));
		return;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		skip("tc bpf filter reported", strerror(-err));
		goto out;
	}
	snprintf(exp, sizeof(exp), "tc filter bpf 'shakeoff_handof:[%u]' (id %u) pref 5", prog_id,
		 prog_id);
	r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
	expect(r == 1 && !strcmp(buf, exp), "tc bpf filter reported: \"%s\"", buf);
	r = tc_ingress_foreign(ifindex, OUR_PROG, buf, sizeof(buf));
	expect(r == 0, "tc bpf filter of program skip_name ignored (got %d)", r);
	if (!sh("tc filter add dev " DEV " ingress pref 7 protocol ip u32 match u32 0 0")) {
		r = tc_ingress_foreign(ifindex, OUR_PROG, buf, sizeof(buf));
		expect(r == 1 && !strcmp(buf, "tc filter u32 pref 7"),
		       "tc: foreign filter behind ours reported: \"%s\"", buf);
	}
out:
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
}

static void test_tcinfo(void)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int ifindex = if_nametoindex(DEV), prog_fd, r;
	char buf[256] = "";

	r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
	expect(r == 0, "tc: nothing on a device without qdisc (got %d)", r);

	r = tc_ingress_foreign(ifindex + 1000, NULL, buf, sizeof(buf));
	expect(r < 0, "tc: unknown ifindex is an error (got %d)", r);

	if (!sh("tc qdisc add dev " DEV " clsact")) {
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 0, "tc: clsact without filters (got %d)", r);
	}

	if (!sh_quiet("tc filter add dev " DEV " ingress pref 3 matchall action pass")) {
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 1 && !strcmp(buf, "tc filter matchall pref 3"),
		       "tc: matchall filter reported: \"%s\"", buf);
		sh("tc filter del dev " DEV " ingress pref 3");
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 0, "tc: matchall filter removed (got %d)", r);
	} else {
		skip("tc: matchall filter", "kernel without cls_matchall or act_gact");
	}

	if (!sh("tc filter add dev " DEV " ingress pref 7 protocol ip u32 match u32 0 0")) {
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 1 && !strcmp(buf, "tc filter u32 pref 7"),
		       "tc: u32 filter reported: \"%s\"", buf);
		sh("tc filter del dev " DEV " ingress pref 7");
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 0, "tc: u32 filter removed (got %d)", r);
	}

	if (!sh("tc filter add dev " DEV " ingress pref 9 bpf bytecode '1,6 0 0 0,'")) {
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 1 && !strcmp(buf, "tc filter bpf (classic) pref 9"),
		       "tc: classic bpf filter reported: \"%s\"", buf);
		sh("tc filter del dev " DEV " ingress pref 9");
	}
	sh("tc qdisc del dev " DEV " clsact");

	if (!sh("tc qdisc add dev " DEV " ingress") &&
	    !sh("tc filter add dev " DEV " parent ffff: pref 4 protocol ip u32 match u32 0 0")) {
		r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
		expect(r == 1 && !strcmp(buf, "tc filter u32 pref 4"),
		       "tc: filter under the ingress qdisc reported: \"%s\"", buf);
	}
	sh("tc qdisc del dev " DEV " ingress");
	r = tc_ingress_foreign(ifindex, NULL, buf, sizeof(buf));
	expect(r == 0, "tc: nothing after the qdisc is removed (got %d)", r);

	prog_fd = load_prog();
	if (prog_fd < 0) {
		skip("tcx and tc bpf programs", strerror(errno));
		return;
	}
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &info_len)) {
		skip("tcx and tc bpf programs", strerror(errno));
		close(prog_fd);
		return;
	}
	test_tcx(ifindex, prog_fd, info.id);
	test_tc_bpf(ifindex, prog_fd, info.id);
	close(prog_fd);
}

static int setup_netns(void)
{
	int err = netns_lo_up();

	if (err) {
		fprintf(stderr, "Failed to set up a network namespace: %s\n", strerror(-err));
		return -1;
	}
	/* veth rather than dummy: CONFIG_DUMMY is not everywhere. */
	if (sh("ip link add " DEV " type veth peer name " DEV "p && ip link set " DEV " up"
	       " && ip addr add 10.77.0.1/24 dev " DEV " && ip addr add 10.77.0.2/24 dev " DEV
	       " && ip addr add fd77::1/64 dev " DEV " nodad"
	       " && ip addr add fd77::2/64 dev " DEV " nodad"))
		return -1;
	if (parse_ip("10.77.0.1", &addrs[0]) || parse_ip("fd77::1", &addrs[1]))
		return -1;
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!expect(!setup_netns(), "setup: network namespace with " DEV))
		goto out;
	test_listeners();
	test_tcinfo();
out:
	return tl_summary();
}
