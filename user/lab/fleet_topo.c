// SPDX-License-Identifier: GPL-2.0
/* The namespaces of `shakeoff lab fleet` (see fleet_topo.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/log.h"
#include "lab/fleet_topo.h"

static const char *const role_names[FLEET__ROLES] = { "cli", "rtr", "a", "b" };

void fleet_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("shakeoff lab fleet: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Run line (split at blanks); 0 if it exited 0. */
static int run_line(char *line)
{
	char *argv[40], *save = NULL, *w;
	int argc = 0, status, fd;
	pid_t pid;

	pr_debug("lab fleet: %s\n", line);
	for (w = strtok_r(line, " ", &save); w && argc < 39; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (!argc)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 1);
			if (log_get_level() < LOG_DEBUG)
				dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

int fleet_sh(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return run_line(line);
}

/* fleet_sh, and a message naming the command when it fails. */
static __attribute__((format(printf, 1, 2))) int must(const char *fmt, ...)
{
	char line[512], copy[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	memcpy(copy, line, sizeof(copy));
	if (!run_line(line))
		return 0;
	fleet_err("Failed to build the topology: '%s' failed", copy);
	return -1;
}

/* Kill every process in netns name: TERM, then KILL after about 3 s. */
static void ns_reap(const char *name)
{
	char cmd[128], buf[64];
	bool any = true;
	int round;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip netns pids %s 2>/dev/null", name);
	for (round = 0; any && round < 31; round++) {
		any = false;
		p = popen(cmd, "r");
		if (!p)
			return;
		while (fgets(buf, sizeof(buf), p)) {
			any = true;
			kill(atoi(buf), round < 30 ? SIGTERM : SIGKILL);
		}
		pclose(p);
		if (any)
			usleep(100000);
	}
}

static void ns_remove(const char *name)
{
	ns_reap(name);
	fleet_sh("ip netns del %s", name);
}

/* The pid in name after prefix, when a '-' or '.' follows it; else 0. */
static long name_pid(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, plen))
		return 0;
	pid = strtol(name + plen, &end, 10);
	if (end == name + plen || (*end != '-' && *end != '.') || pid <= 0)
		return 0;
	return pid;
}

static bool pid_gone(long pid)
{
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

int fleet_work_reap_stale(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir("/tmp");
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!pid_gone(name_pid(e->d_name, FLEET_WORK_PREFIX)) || strchr(e->d_name, '/'))
			continue;
		fleet_sh("rm -rf /tmp/%s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

int fleet_topo_reap_stale(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;
	long pid;

	d = opendir("/run/netns");
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid = name_pid(e->d_name, FLEET_NS_PREFIX);
		if (!pid || !pid_gone(pid))
			continue;
		pr_info("lab fleet: removing namespace %s of an earlier run (pid %ld gone)\n",
			e->d_name, pid);
		ns_remove(e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

void fleet_topo_down(struct fleet_topo *t)
{
	int r;

	for (r = 0; r < FLEET__ROLES; r++) {
		if (!t->up[r])
			continue;
		ns_remove(t->ns[r]);
		t->up[r] = false;
	}
}

/* Each step a command; the first that fails names itself. */
#define TRY(...)                       \
	do {                           \
		if (must(__VA_ARGS__)) \
			return -1;     \
	} while (0)

/* Server s (A or B) behind router interface rif, on subnet ip/rtr_ip. */
static int server_up(const struct fleet_topo *t, enum fleet_role s, const char *rif, const char *ip,
		     const char *rtr_ip)
{
	const char *ns = t->ns[s], *rtr = t->ns[FLEET_RTR];

	TRY("ip link add %s netns %s type veth peer name " FLEET_SRV_IF " netns %s", rif, rtr, ns);
	TRY("ip -n %s addr add %s/24 dev " FLEET_SRV_IF, ns, ip);
	TRY("ip -n %s addr add " FLEET_VIP "/32 dev " FLEET_SRV_IF, ns);
	TRY("ip -n %s addr add %s/24 dev %s", rtr, rtr_ip, rif);
	TRY("ip -n %s link set lo up", ns);
	TRY("ip -n %s link set " FLEET_SRV_IF " up", ns);
	TRY("ip -n %s link set %s up", rtr, rif);
	TRY("ip -n %s route add default via %s", ns, rtr_ip);
	TRY("ip netns exec %s sysctl -qw net.ipv4.tcp_ecn=0", ns);
	return 0;
}

int fleet_topo_up(struct fleet_topo *t)
{
	const char *cli = t->ns[FLEET_CLI], *rtr = t->ns[FLEET_RTR];
	int r;

	for (r = 0; r < FLEET__ROLES; r++) {
		snprintf(t->ns[r], sizeof(t->ns[r]), FLEET_NS_PREFIX "%d-%s", (int)getpid(),
			 role_names[r]);
		t->up[r] = false;
	}
	for (r = 0; r < FLEET__ROLES; r++) {
		TRY("ip netns add %s", t->ns[r]);
		t->up[r] = true;
	}
	TRY("ip link add c0 netns %s type veth peer name r0 netns %s", cli, rtr);
	TRY("ip -n %s addr add " FLEET_CLI_IP "/24 dev c0", cli);
	TRY("ip -n %s addr add " FLEET_RTR_CLI_IP "/24 dev r0", rtr);
	TRY("ip -n %s link set lo up", cli);
	TRY("ip -n %s link set c0 up", cli);
	TRY("ip -n %s link set lo up", rtr);
	TRY("ip -n %s link set r0 up", rtr);
	TRY("ip -n %s route add default via " FLEET_RTR_CLI_IP, cli);
	if (server_up(t, FLEET_A, "ra", FLEET_A_IP, FLEET_RTR_A_IP) ||
	    server_up(t, FLEET_B, "rb", FLEET_B_IP, FLEET_RTR_B_IP))
		return -1;
	TRY("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", rtr);
	/* replies come back from the VIP on ra and rb alike */
	TRY("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0", rtr);
	TRY("ip netns exec %s sysctl -qw net.ipv4.conf.default.rp_filter=0", rtr);
	/* what the split program leaves to the kernel (not TCP: ping) goes to B */
	TRY("ip -n %s route add " FLEET_VIP "/32 via " FLEET_B_IP, rtr);
	return 0;
}

int fleet_netns_enter(const struct fleet_topo *t, enum fleet_role role, int *saved)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", t->ns[role]);
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		close(*saved);
		return err;
	}
	close(fd);
	return 0;
}

void fleet_netns_leave(int saved)
{
	if (setns(saved, CLONE_NEWNET))
		fleet_err("Failed to return to the first network namespace: %s", strerror(errno));
	close(saved);
}

int fleet_if_info(const char *ifname, int *ifindex, unsigned char mac[6])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}
