// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "lab/run.h"
#include "lab/topo.h"

static const char *const ns_suffix[NS__N] = { "srv", "cli", "att", "rtr" };
/* per endpoint namespace: interface, v4, v6, MAC (the bridge's side is r-NAME) */
static const struct {
	const char *ifname, *ip4, *ip6, *mac;
} ends[3] = {
	[NS_SRV] = { TOPO_SRV_IF, "10.77.0.1", "fd77::1", TOPO_SRV_MAC },
	[NS_CLI] = { "cli0", "10.77.0.2", "fd77::2", "02:5e:00:00:00:02" },
	[NS_ATT] = { TOPO_ATT_IF, "10.77.0.3", "fd77::3", "02:5e:00:00:00:03" },
};

const char *topo_srv_ip(int family)
{
	return family == 6 ? ends[NS_SRV].ip6 : ends[NS_SRV].ip4;
}

void topo_names(struct lab_topo *t, const char *prefix)
{
	int i;

	memset(t, 0, sizeof(*t));
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix);
	for (i = 0; i < NS__N; i++) {
		snprintf(t->ns[i], sizeof(t->ns[i]), "%s-%s", prefix, ns_suffix[i]);
		t->nsfd[i] = -1;
	}
	t->home_fd = -1;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One setup command through the shell (names are ours: letters, digits, '-'). */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pr_debug("lab run: %s\n", cmd);
	rc = system(cmd);
	if (rc) {
		lab_warn("failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

/* inode of a namespace file, 0 if none */
static ino_t ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* pids whose network namespace is ns's, into pids[] (at most max); how many */
static int ns_pids(const char *ns, pid_t *pids, int max)
{
	char path[300];
	struct dirent *d;
	ino_t ino;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	ino = ns_ino(path);
	if (!ino)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 1 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (ns_ino(path) == ino)
			pids[n++] = (pid_t)pid;
	}
	closedir(dir);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* TERM everything in the namespaces, KILL what is left after ~3 s */
static void reap(const struct lab_topo *t)
{
	pid_t pids[256];
	int i, j, n, round;

	for (round = 0; round < 31; round++) {
		int total = 0;

		for (i = 0; i < NS__N; i++) {
			n = ns_pids(t->ns[i], pids, 256);
			total += n;
			for (j = 0; j < n; j++)
				kill(pids[j], round == 30 ? SIGKILL : round == 0 ? SIGTERM : 0);
		}
		if (!total)
			return;
		sleep_ms(100);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

void topo_down(struct lab_topo *t)
{
	char path[300];
	int i;

	if (t->home_fd >= 0)
		topo_leave(t);
	reap(t);
	for (i = 0; i < NS__N; i++) {
		if (t->nsfd[i] >= 0)
			close(t->nsfd[i]);
		t->nsfd[i] = -1;
		snprintf(path, sizeof(path), "/run/netns/%s", t->ns[i]);
		if (ns_ino(path))
			sh("ip netns del %s 2>/dev/null", t->ns[i]);
	}
	if (t->home_fd >= 0)
		close(t->home_fd);
	t->home_fd = -1;
	t->up = false;
}

int topo_up(struct lab_topo *t, const char *shakeoff, int cpus)
{
	const char *r = t->ns[NS_RTR];
	char path[300];
	int i;

	topo_down(t);
	t->up = true;
	for (i = 0; i < NS__N; i++)
		if (sh("ip netns add %s", t->ns[i]) || sh("ip -n %s link set lo up", t->ns[i]))
			return -1;
	if (sh("ip -n %s link add br0 type bridge && ip -n %s link set br0 up", r, r))
		return -1;
	for (i = 0; i < 3; i++) {
		const char *n = t->ns[i];

		if (sh("ip link add %s netns %s address %s type veth peer name r-%s netns %s",
		       ends[i].ifname, n, ends[i].mac, ns_suffix[i], r) ||
		    sh("ip -n %s link set r-%s master br0 up", r, ns_suffix[i]) ||
		    sh("ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s nodad", n,
		       ends[i].ip4, ends[i].ifname, n, ends[i].ip6, ends[i].ifname) ||
		    sh("ip -n %s link set %s up", n, ends[i].ifname) ||
		    /*
		     * No TCP metrics: with tcp_syncookies=0 and a SYN queue three
		     * quarters full, Linux still admits peers it holds metrics of
		     * (tcp_peer_is_proven()), so the prober, known from the step
		     * before, would pass a flood that stops every new client.
		     * tcp_tw_reuse: the prober closes first and keeps a TIME_WAIT
		     * per connection; a high probe rate would run out of ports.
		     */
		    sh("ip netns exec %s sysctl -qw net.ipv4.tcp_congestion_control=reno "
		       "net.ipv4.tcp_ecn=0 net.ipv4.tcp_no_metrics_save=1 net.ipv4.tcp_tw_reuse=1",
		       n) ||
		    sh("ip netns exec %s %s lab attach r-%s %s >/dev/null 2>&1", r, shakeoff,
		       ns_suffix[i], i == NS_SRV ? "count" : "pass"))
			return -1;
	}
	/* replies to spoofed sources go to the attacker, leave the server and are counted */
	if (sh("ip -n %s route add default via %s && ip -n %s -6 route add default via %s",
	       t->ns[NS_SRV], ends[NS_ATT].ip4, t->ns[NS_SRV], ends[NS_ATT].ip6))
		return -1;
	/*
	 * The server's network work on CPU 1 where there are two: RPS moves its
	 * receive processing there (XDP still runs where the sender's frame is
	 * handled: CPU 0 with the flood pinned there).
	 */
	if (cpus >= 2)
		sh("ip netns exec %s sh -c 'echo 2 > /sys/class/net/%s/queues/rx-0/rps_cpus'",
		   t->ns[NS_SRV], TOPO_SRV_IF);
	t->home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < NS__N; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", t->ns[i]);
		t->nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (t->nsfd[i] < 0) {
			lab_warn("cannot open %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int topo_enter(const struct lab_topo *t, enum topo_ns ns)
{
	if (t->nsfd[ns] < 0 || setns(t->nsfd[ns], CLONE_NEWNET))
		return -errno;
	return 0;
}

void topo_leave(const struct lab_topo *t)
{
	if (t->home_fd >= 0 && setns(t->home_fd, CLONE_NEWNET))
		lab_warn("cannot return to the runner's namespace: %s\n", strerror(errno));
}

pid_t topo_spawn(const struct lab_topo *t, enum topo_ns ns, int cpu, int out_fd, int err_fd,
		 const char *const *argv)
{
	const char *full[48];
	pid_t pid;
	int i, null;

	full[0] = "ip";
	full[1] = "netns";
	full[2] = "exec";
	full[3] = t->ns[ns];
	for (i = 0; argv[i] && i < 43; i++)
		full[4 + i] = argv[i];
	full[4 + i] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid)
		return pid;
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(out_fd >= 0 ? out_fd : null, 1);
	dup2(err_fd >= 0 ? err_fd : null, 2);
	execvp("ip", (char *const *)full);
	_exit(127);
}

void topo_stop(pid_t pid, int wait_ms)
{
	int i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < wait_ms / 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int topo_run(const struct lab_topo *t, enum topo_ns ns, int out_fd, const char *const *argv)
{
	pid_t pid = topo_spawn(t, ns, -1, out_fd, -1, argv);
	int st;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool listening_in(const char *path, unsigned int port)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char local[80];
		unsigned int st;
		char *colon;

		if (sscanf(line, " %*d: %79s %*s %x", local, &st) != 2 || st != 0x0A)
			continue;
		colon = strrchr(local, ':');
		found = colon && strtoul(colon + 1, NULL, 16) == port;
	}
	fclose(f);
	return found;
}

bool topo_listening(const struct lab_topo *t, enum topo_ns ns, unsigned int port)
{
	bool found;

	if (topo_enter(t, ns))
		return false;
	found = listening_in("/proc/net/tcp", port) || listening_in("/proc/net/tcp6", port);
	topo_leave(t);
	return found;
}
