// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "lab/defence.h"

#define NFT_TABLE "solab"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int log_open(const struct lab_run *r, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/logs/%s.log", r->out, name);
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* The last non-empty line of a log, for a reason. */
static void log_last(const struct lab_run *r, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs/%s.log", r->out, name);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(buf, len, "%.200s", line);
	}
	fclose(f);
}

static bool log_has(const struct lab_run *r, const char *name, const char *what)
{
	char path[PATH_MAX + 64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs/%s.log", r->out, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

static bool exited(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == pid;
}

static int wait_listen(struct lab_run *r, pid_t pid)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (topo_listening(&r->topo, NS_SRV, (unsigned int)r->e->port))
			return 0;
		if (exited(pid))
			return -1;
		sleep_ms(50);
	}
	return -1;
}

/* dir and dir/www/index.html ("hello") */
static int www_make(const char *dir)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/www", dir);
	if ((mkdir(dir, 0755) && errno != EEXIST) || (mkdir(path, 0755) && errno != EEXIST))
		return -1;
	snprintf(path, sizeof(path), "%s/www/index.html", dir);
	f = fopen(path, "we");
	if (!f)
		return -1;
	fputs("hello\n", f);
	fclose(f);
	return 0;
}

static int nginx_start(struct lab_run *r)
{
	char dir[PATH_MAX + 16], conf[PATH_MAX + 32], err[PATH_MAX + 32];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/nginx", r->out);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(err, sizeof(err), "%s/error.log", dir);
	if (www_make(dir))
		return -1;
	f = fopen(conf, "we");
	if (!f)
		return -1;
	fprintf(f,
		"daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
		"error_log %s warn;\nevents { worker_connections 4096; }\nhttp {\n"
		"\taccess_log off;\n\tclient_body_temp_path %s/body;\n\tproxy_temp_path %s/proxy;\n"
		"\tfastcgi_temp_path %s/fastcgi;\n\tuwsgi_temp_path %s/uwsgi;\n"
		"\tscgi_temp_path %s/scgi;\n\tserver {\n\t\tlisten %lu backlog=4096;\n"
		"\t\tlisten [::]:%lu backlog=4096;\n\t\troot %s/www;\n\t}\n}\n",
		dir, err, dir, dir, dir, dir, dir, r->e->port, r->e->port, dir);
	fclose(f);
	{
		const char *argv[] = { "nginx", "-c", conf, "-p", dir, "-e", err, NULL };
		int fd = log_open(r, "nginx");

		r->server_pid = topo_spawn(&r->topo, NS_SRV, r->srv_cpu, fd, fd, argv);
		if (fd >= 0)
			close(fd);
	}
	if (r->server_pid < 0 || wait_listen(r, r->server_pid)) {
		char why[256];

		log_last(r, "nginx", why, sizeof(why));
		lab_warn("nginx does not listen on port %lu: %s\n", r->e->port,
			 why[0] ? why : "(no message)");
		return -1;
	}
	return 0;
}

int lab_server_start(struct lab_run *r)
{
	if (r->e->server == SRV_SERVE)
		return 0;
	if (r->e->server == SRV_KERNEL_HTTP)
		return nginx_start(r);
	r->server_pid = echo_start(&r->topo, (unsigned int)r->e->port, r->srv_cpu);
	if (r->server_pid < 0 || wait_listen(r, r->server_pid)) {
		lab_warn("the echo server does not listen on port %lu\n", r->e->port);
		return -1;
	}
	return 0;
}

void lab_server_stop(struct lab_run *r)
{
	topo_stop(r->server_pid, 2000);
	r->server_pid = 0;
}

static int srv_sysctl(struct lab_run *r, const char *setting)
{
	const char *argv[] = { "sysctl", "-qw", setting, NULL };

	return topo_run(&r->topo, NS_SRV, -1, argv);
}

static int synproxy_start(struct lab_run *r, char *why, size_t len)
{
	char path[PATH_MAX + 32], msg[256];
	int fd, rc;
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs/synproxy.nft", r->out);
	f = fopen(path, "we");
	if (!f) {
		snprintf(why, len, "synproxy: cannot write %s", path);
		return -1;
	}
	/* the kernel's synproxy recipe: SYNs untracked, synproxy answers them and the ACK */
	fprintf(f,
		"table inet " NFT_TABLE " {\n"
		"\tchain pre {\n\t\ttype filter hook prerouting priority raw; policy accept;\n"
		"\t\ttcp dport %lu tcp flags & (fin|syn|rst|ack) == syn notrack\n\t}\n"
		"\tchain in {\n\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\ttcp dport %lu ct state invalid,untracked synproxy mss 1460 wscale 7 "
		"timestamp sack-perm\n"
		"\t\tct state invalid drop\n\t}\n}\n",
		r->e->port, r->e->port);
	fclose(f);
	fd = log_open(r, "synproxy");
	{
		const char *sargv[] = { "sh", "-c", "exec nft -f \"$0\" 2>&1", path, NULL };

		rc = topo_run(&r->topo, NS_SRV, fd, sargv);
	}
	if (fd >= 0)
		close(fd);
	if (rc) {
		log_last(r, "synproxy", msg, sizeof(msg));
		snprintf(why, len, "nft synproxy unavailable: %s",
			 rc == 127 ? "nft not installed" :
			 msg[0]	   ? msg :
				     "nft -f failed");
		return -1;
	}
	/* conntrack must not pick up connections from a bare ACK: synproxy validates those */
	srv_sysctl(r, "net.netfilter.nf_conntrack_tcp_loose=0");
	srv_sysctl(r, "net.ipv4.tcp_timestamps=1");
	return 0;
}

static int proc_start(struct lab_run *r, const char *name, const char *const *argv, char *why,
		      size_t len)
{
	int fd = log_open(r, name), i;

	r->defence_pid = topo_spawn(&r->topo, NS_SRV, r->srv_cpu, fd, fd, argv);
	if (fd >= 0)
		close(fd);
	if (r->defence_pid < 0) {
		snprintf(why, len, "%s: cannot start", name);
		return -1;
	}
	for (i = 0; i < 200; i++) {
		if (log_has(r, name, "Ctrl-C to detach"))
			return 0;
		if (exited(r->defence_pid)) {
			char msg[256];

			r->defence_pid = 0;
			log_last(r, name, msg, sizeof(msg));
			snprintf(why, len, "%s did not start: %s", name,
				 msg[0] ? msg : "(no message)");
			return -1;
		}
		sleep_ms(50);
	}
	topo_stop(r->defence_pid, 2000);
	r->defence_pid = 0;
	snprintf(why, len, "%s did not attach within 10 s", name);
	return -1;
}

int defence_start(struct lab_run *r, int d, char *why, size_t len)
{
	char port[16];

	snprintf(port, sizeof(port), "%lu", r->e->port);
	why[0] = '\0';
	/* guard, serve and synproxy want cookies on in the kernel too (guard refuses 0) */
	if (srv_sysctl(r, d == DEF_NONE		? "net.ipv4.tcp_syncookies=0" :
			  d == DEF_SYNCOOKIES_2 ? "net.ipv4.tcp_syncookies=2" :
						  "net.ipv4.tcp_syncookies=1")) {
		snprintf(why, len, "cannot set tcp_syncookies in the server namespace");
		return -1;
	}
	switch (d) {
	case DEF_SYNPROXY:
		return synproxy_start(r, why, len);
	case DEF_GUARD_ALWAYS:
	case DEF_GUARD_AUTO: {
		const char *argv[] = { r->self,
				       "guard",
				       TOPO_SRV_IF,
				       "--ports",
				       port,
				       "--cookies",
				       d == DEF_GUARD_AUTO ? "auto" : "always",
				       NULL };

		return proc_start(r, exp_defence_names[d], argv, why, len);
	}
	case DEF_SERVE: {
		const char *argv[] = { r->self, "serve", TOPO_SRV_IF, "--port",
				       port,	"--app", "echo",      NULL };

		return proc_start(r, "serve", argv, why, len);
	}
	default:
		return 0;
	}
}

void defence_stop(struct lab_run *r, int d)
{
	if (d == DEF_SYNPROXY) {
		const char *argv[] = { "nft", "delete", "table", "inet", NFT_TABLE, NULL };

		topo_run(&r->topo, NS_SRV, -1, argv);
	}
	topo_stop(r->defence_pid, 3000);
	r->defence_pid = 0;
}
