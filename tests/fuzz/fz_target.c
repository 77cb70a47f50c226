// SPDX-License-Identifier: GPL-2.0
/*
 * The programs under test, configured exactly as the controllers configure
 * them: by running `shakeoff guard` and `shakeoff serve` on veth interfaces
 * of a private network namespace, then finding their programs and maps by
 * the interfaces' attachments. The veth peers stay down, so no frame but
 * ours (BPF_PROG_TEST_RUN) reaches the programs and their counters move
 * only with our runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include <shakeoff/guard_abi.h>
#include <shakeoff/guard_stats.h>
#include <shakeoff/serve_abi.h>

#include "core/attach.h"
#include "core/stat_names.h"
#include "fz.h"

static const uint16_t guard_ports[] = { 80, 81 }; /* 80 has listeners, 81 none */
static const uint16_t serve_ports[] = { 7 };

const struct fz_iface fz_guard_if = {
	.name = "fzg0",
	.mac = { 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01 },
	.addr4 = { 10, 0, 0, 1 },
	.addr6 = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	.ports = guard_ports,
	.nports = 2,
};

const struct fz_iface fz_serve_if = {
	.name = "fzs0",
	.mac = { 0x02, 0x00, 0x00, 0x00, 0x0b, 0x01 },
	.addr4 = { 10, 0, 1, 1 },
	.addr6 = { 0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	.ports = serve_ports,
	.nports = 1,
};

static pid_t children[2];
static int nchildren;
static int listen_fds[2];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc) {
		fprintf(stderr, "fuzz: failed: %s (status %d)\n", cmd, rc);
		return -EIO;
	}
	return 0;
}

static int iface_up(const struct fz_iface *ifc)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET, ifc->addr4, a4, sizeof(a4));
	inet_ntop(AF_INET6, ifc->addr6, a6, sizeof(a6));
	return sh("ip link add %s address %02x:%02x:%02x:%02x:%02x:%02x type veth peer name %sp"
		  " && ip addr add %s/24 dev %s && ip -6 addr add %s/64 dev %s nodad"
		  " && ip link set %s up",
		  ifc->name, ifc->mac[0], ifc->mac[1], ifc->mac[2], ifc->mac[3], ifc->mac[4],
		  ifc->mac[5], ifc->name, a4, ifc->name, a6, ifc->name, ifc->name);
}

static int listen_on(int family, uint16_t port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((family == AF_INET6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
				  bind(fd, (struct sockaddr *)&a4, sizeof(a4))) ||
	    listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int spawn(const char *shakeoff, char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(shakeoff, argv);
		_exit(127);
	}
	children[nchildren++] = pid;
	return pid;
}

/* The program called name on ifindex's XDP hook (xdp) or tcx ingress; its id or 0. */
static __u32 find_prog(int ifindex, bool xdp, const char *name)
{
	struct prog_ref refs[8];
	int i, n;

	if (xdp) {
		if (xdp_prog_on(ifindex, &refs[0]) || !refs[0].id)
			return 0;
		return strcmp(refs[0].name, name) ? 0 : refs[0].id;
	}
	n = tcx_progs_on(ifindex, refs, 8);
	for (i = 0; i < n; i++)
		if (!strcmp(refs[i].name, name))
			return refs[i].id;
	return 0;
}

/* Wait for the controller to attach, then open its program and counters. */
static int target_open(struct fz_target *t, const char *name, bool xdp, const char *prog,
		       const char *stats_map, const struct fz_iface *ifc)
{
	int ifindex = (int)if_nametoindex(ifc->name), i;
	__u32 id = 0;

	for (i = 0; i < 200 && !id; i++) {
		id = find_prog(ifindex, xdp, prog);
		if (!id)
			usleep(50000);
	}
	if (!id) {
		fprintf(stderr, "fuzz: %s did not appear on %s (see /tmp/shakeoff-fuzz-*.log)\n",
			prog, ifc->name);
		return -ENOENT;
	}
	t->name = name;
	t->xdp = xdp;
	t->ifc = ifc;
	t->prog_fd = bpf_prog_get_fd_by_id(id);
	t->stats_fd = prog_map_fd(id, stats_map);
	if (t->prog_fd < 0 || t->stats_fd < 0) {
		fprintf(stderr, "fuzz: Failed to open %s or its %s: %s\n", prog, stats_map,
			strerror(errno));
		return -ENOENT;
	}
	return (int)id;
}

int fz_setup(const char *shakeoff, struct fz_target *targets, int *serve_flows_fd,
	     int *serve_halfopen_fd, int *serve_pid)
{
	char *guard_argv[] = { (char *)shakeoff,
			       "guard",
			       (char *)fz_guard_if.name,
			       "--ports",
			       "80,81",
			       "--cookies",
			       "always",
			       "--interval",
			       "1",
			       NULL };
	char *serve_argv[] = { (char *)shakeoff,
			       "serve",
			       (char *)fz_serve_if.name,
			       "--port",
			       "7",
			       "--msl",
			       "1",
			       "--max-flows",
			       "512",
			       "--synack-retries",
			       "2",
			       "--interval",
			       "3600",
			       NULL };
	int id, pid;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "fuzz: Failed to make a network namespace: %s\n", strerror(errno));
		return -errno;
	}
	if (sh("ip link set lo up") || iface_up(&fz_guard_if) || iface_up(&fz_serve_if))
		return -EIO;
	/* guard's port 80 has kernel listeners (before guard starts: it scans them) */
	listen_fds[0] = listen_on(AF_INET, 80);
	listen_fds[1] = listen_on(AF_INET6, 80);
	if (listen_fds[0] < 0 || listen_fds[1] < 0) {
		fprintf(stderr, "fuzz: Failed to listen on port 80\n");
		return -EIO;
	}
	if (spawn(shakeoff, guard_argv, "/tmp/shakeoff-fuzz-guard.log") < 0)
		return -EIO;
	pid = spawn(shakeoff, serve_argv, "/tmp/shakeoff-fuzz-serve.log");
	if (pid < 0)
		return -EIO;
	*serve_pid = pid;
	if (target_open(&targets[FZ_GUARD_XDP], "guard-xdp", true, GUARD_XDP_PROG_NAME,
			GUARD_MAP_STATS, &fz_guard_if) < 0 ||
	    target_open(&targets[FZ_GUARD_TC], "guard-tc", false, GUARD_TC_PROG_NAME,
			GUARD_MAP_STATS, &fz_guard_if) < 0)
		return -ENOENT;
	id = target_open(&targets[FZ_SERVE_XDP], "serve-xdp", true, SERVE_XDP_PROG_NAME,
			 SERVE_MAP_STATS, &fz_serve_if);
	if (id < 0)
		return -ENOENT;
	targets[FZ_GUARD_XDP].nstats = targets[FZ_GUARD_TC].nstats = GS__COUNT;
	targets[FZ_GUARD_XDP].stat_names = targets[FZ_GUARD_TC].stat_names = guard_stat_names;
	targets[FZ_SERVE_XDP].nstats = SS__COUNT;
	targets[FZ_SERVE_XDP].stat_names = serve_stat_names;
	*serve_flows_fd = prog_map_fd((__u32)id, SERVE_MAP_FLOWS);
	*serve_halfopen_fd = prog_map_fd((__u32)id, SERVE_MAP_HALFOPEN);
	if (*serve_flows_fd < 0 || *serve_halfopen_fd < 0) {
		fprintf(stderr, "fuzz: Failed to open serve's flow table\n");
		return -ENOENT;
	}
	/* the controllers' first configuration (guard's listener scan) is in place by now */
	usleep(200000);
	return 0;
}

void fz_teardown(void)
{
	int i;

	for (i = 0; i < nchildren; i++) {
		kill(children[i], SIGCONT);
		kill(children[i], SIGTERM);
		waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
}
