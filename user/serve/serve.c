// SPDX-License-Identifier: GPL-2.0
/*
 * serve's controller. A segment XDP does not answer arrives on an AF_XDP
 * port; the controller finds (or makes, from the flow entry XDP wrote at the
 * handshake) the connection block, feeds the TCP engine and sends what the
 * engine emits through the same port (rx.c, conns.c, frame.c). Every 10 ms
 * it walks the flow table (walk.c): it publishes what its connection blocks
 * know (so XDP answers a FIN or the ACK of our FIN only when nothing is
 * outstanding), tells the engine the transitions XDP made on its own,
 * retransmits SYN-ACKs of half-open entries, and removes what outlived its
 * connection. This file: set-up, the event loop, the figures.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "serve/serve.h"
#include "serve.skel.h"
#include "apps/apps.h"
#include "core/attach.h"
#include "core/clock.h"
#include "core/iface.h"
#include "core/local_id.h"
#include "core/mapmem.h"
#include "core/log.h"
#include "core/percpu.h"
#include "core/stat_names.h"
#include "core/sysenv.h"
#include "serve/conns.h"
#include "serve/ctl.h"
#include "serve/rx.h"
#include "serve/serve_int.h"
#include "serve/walk.h"
#include "trace/flag.h"
#include "serve/xsk.h"
#include "core/jsonl.h"
#include "core/version.h"

static int serve_configure(struct serve *s, const struct serve_opts *o)
{
	struct ip_addr addrs[2 * SERVE_MAX_ADDRS];
	struct serve_cfg *cfg = &s->cfg;
	int n, i, mtu = iface_mtu(o->ifname);
	__u32 zero = 0;

	n = iface_addrs(o->ifname, addrs, 2 * SERVE_MAX_ADDRS);
	if (n <= 0 || mtu < 0) {
		pr_warn("%s has no IP address: serve answers on the interface's addresses\n",
			o->ifname);
		return EXIT_USAGE;
	}
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < n; i++) {
		if (addrs[i].family == AF_INET && cfg->naddr4 < SERVE_MAX_ADDRS)
			memcpy(&cfg->addr4[cfg->naddr4++], addrs[i].bytes, 4);
		else if (addrs[i].family == AF_INET6 && cfg->naddr6 < SERVE_MAX_ADDRS)
			memcpy(cfg->addr6[cfg->naddr6++], addrs[i].bytes, 16);
	}
	cfg->ports[0] = o->port;
	cfg->nports = 1;
	cfg->mss4 = mtu - 40;
	cfg->mss6 = mtu - 60;
	cfg->win = 65535 / cfg->mss4 * cfg->mss4;
	cfg->wscale = 7;
	cfg->ttl = 64;
	cfg->syn_mode = o->syn_mode;
	cfg->no_flow = o->no_flow;
	cfg->half_open_max = o->max_half_open;
	cfg->rst_per_sec = 1000;
	cfg->oow_gap_ms = 500;
	cfg->clock_offset_ns = s->clock_offset;
	cfg->owner_pid = getpid();
	cfg->start_time_ns = (__u64)clock_ns(CLOCK_REALTIME);
	snprintf(cfg->version, sizeof(cfg->version), "%s", SHAKEOFF_VERSION);
	/* Linux answers no frame to another MAC, and no source it has itself */
	if (local_id_fill(&cfg->id, o->ifname))
		return 1;
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.serve_cfg), &zero, cfg, BPF_ANY)) {
		pr_warn("Failed to write map serve_cfg: %s\n", strerror(errno));
		return 1;
	}
	n = keys_refresh(bpf_map__fd(s->skel->maps.serve_keys), &s->keys,
			 slot_now(s->clock_offset));
	if (n < 0) {
		pr_warn("Failed to write map serve_keys: %s\n", strerror(-n));
		return 1;
	}
	return 0;
}

/* Stage mode: the index must be free (a killed serve's entry: shakeoff detach removes it). */
static int serve_check_stage(struct serve *s)
{
	const struct coexist_opts *c = &s->o->share;
	struct prog_ref p;
	int err = xdp_stage_open(&s->stage, c->stage_path, c->stage_index, &p);

	if (err || !p.id)
		return err;
	if (!strcmp(p.name, SERVE_XDP_PROG_NAME))
		pr_warn("%s:%u already has a serve (XDP program id %u); stop it or run 'shakeoff detach %s'\n",
			c->stage_path, c->stage_index, p.id, s->o->ifname);
	else
		pr_warn("%s:%u holds XDP program '%s' (id %u); shakeoff will not replace it\n",
			c->stage_path, c->stage_index, p.name, p.id);
	return EXIT_USAGE;
}

static int serve_check_iface(struct serve *s)
{
	struct prog_ref p;
	int err;

	if (s->o->share.stage_path[0])
		return serve_check_stage(s);
	err = xdp_hook_claim(s->ifindex, s->o->ifname, XDP_SERVE, &p);
	if (err)
		return err;
	if (p.id) {
		pr_warn("%s already has a serve attached (XDP program id %u); stop it or run "
			"'shakeoff detach %s'\n",
			s->o->ifname, p.id, s->o->ifname);
		return EXIT_USAGE;
	}
	return 0;
}

int serve_start(struct serve **sp, const struct serve_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .kernel_log_level = log_get_level() >= LOG_TRACE ? 4 : 0);
	const struct app_desc *app;
	struct tcp_cfg tcfg;
	struct serve *s;
	char caps[64];
	int err, q, nq;

	/*
	 * Each connection's two 256 KiB buffers are mmap'd whatever glibc learnt
	 * (its threshold rises after the first free, and freed buffers would stay
	 * in the heap): a closed connection gives its memory back.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	*sp = s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->o = o;
	s->xdp_link = -1;
	s->next.prog_fd = -1;
	s->stage.map_fd = -1;
	s->ifindex = iface_index(o->ifname);
	if (s->ifindex < 0) {
		pr_warn("unknown interface '%s'\n", o->ifname);
		return EXIT_USAGE;
	}
	if (sysenv_check_caps(caps, sizeof(caps))) {
		pr_warn("missing %s: serve loads BPF programs and opens AF_XDP sockets\n", caps);
		return EXIT_USAGE;
	}
	app = apps_find(o->app);
	if (!app) {
		char names[128];

		pr_warn("unknown app '%s' (%s)\n", o->app, apps_names(names, sizeof(names), ", "));
		return EXIT_USAGE;
	}
	s->app = app->app;
	err = serve_check_iface(s);
	err = err ?: xdp_next_from(&s->next, &o->share);
	if (err)
		return err;
	iface_mac(o->ifname, s->mac);
	keys_random(&s->keys);
	s->clock_offset = clock_tai_offset();
	s->stack = calloc(1, sizeof(*s->stack));
	if (conns_init(&s->conns) || !s->stack || halfopen_init(&s->half, o->max_half_open))
		return 1;
	tcp_cfg_default(&tcfg);
	tcfg.msl = (__u64)o->msl_sec * 1000000000ULL;
	tcfg.ts_shift = SERVE_TS_SHIFT;
	if (tcp_stack_init(s->stack, &tcfg, &conn_tcp_ops, s))
		return 1;

	s->skel = serve_bpf__open_opts(&oo);
	if (!s->skel) {
		pr_warn("Failed to open serve's BPF object: %s\n", strerror(errno));
		return 1;
	}
	nq = xsk_iface_rx_queues(o->ifname);
	if (nq > SERVE_MAX_PORTS_XSK)
		nq = SERVE_MAX_PORTS_XSK;
	bpf_map__set_max_entries(s->skel->maps.serve_flows, o->max_flows);
	if (serve_bpf__load(s->skel)) {
		pr_warn("Failed to load serve's BPF programs: %s (run with -v for the verifier log)\n",
			strerror(errno));
		return 1;
	}
	s->flows_fd = bpf_map__fd(s->skel->maps.serve_flows);
	serve_trace_init(&s->trace, &s->skel->data_trace->trace_on, o->ifname);
	ctl_init(&s->ctl, bpf_program__fd(s->skel->progs.so_serve_ctl), o->ifname);
	err = serve_configure(s, o);
	if (!err && s->next.prog_fd >= 0)
		err = xdp_next_install(&s->next, bpf_map__fd(s->skel->maps.serve_next), "serve");
	if (err)
		return err;
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(s->skel->progs.so_serve_xdp), &info,
					    &len))
			s->xdp_prog_id = info.id;
	}
	if (s->stage.map_fd >= 0) {
		/* a stage of the root's: no XDP attachment of our own */
		err = xdp_stage_enter(&s->stage, bpf_program__fd(s->skel->progs.so_serve_xdp),
				      s->xdp_prog_id, "serve");
		if (err)
			return err;
	} else {
		s->xdp_link = xdp_link_attach(bpf_program__fd(s->skel->progs.so_serve_xdp),
					      s->ifindex, 0);
		if (s->xdp_link < 0) {
			pr_warn("Failed to attach XDP program to %s: %s\n", o->ifname,
				strerror(-s->xdp_link));
			return 1;
		}
	}
	for (q = 0; q < nq; q++) {
		err = xsk_port_open(&s->ports[q], o->ifname, q,
				    bpf_map__fd(s->skel->maps.serve_xsks), XSK_DEFAULT_FRAMES);
		if (err) {
			pr_warn("Failed to open AF_XDP socket on %s queue %d: %s\n", o->ifname, q,
				strerror(-err));
			return 1;
		}
		s->nports++;
	}
	/*
	 * Nothing is pinned: stats and conns find serve by its program, and a
	 * serve killed by SIGKILL leaves nothing behind (XDP goes with its link).
	 */
	return 0;
}

__u64 serve_flow_table_bytes(unsigned long max_flows)
{
	__u64 buckets = 1;

	while (buckets < max_flows)
		buckets <<= 1;
	return (__u64)max_flows * 152 + buckets * 16;
}

static double mib(__u64 b)
{
	return (double)b / (1024.0 * 1024.0);
}

void serve_print_memory(struct serve *s, bool json)
{
	__u64 flows = map_memlock(s->flows_fd), umem, per_conn, conns_max;
	__u64 maps = obj_maps_memlock(s->skel->obj, s->flows_fd);
	umem = (__u64)s->nports * XSK_DEFAULT_FRAMES * XSK_FRAME_SIZE;
	per_conn = (__u64)s->stack->cfg.snd_buf + s->stack->cfg.rcv_buf;
	conns_max = per_conn * s->o->max_flows;
	if (json) {
		printf("%s,\"event\":\"memory\",\"iface\":\"%s\",\"max_flows\":%lu,"
		       "\"max_half_open\":%lu,\"flow_table_bytes\":%llu,\"other_maps_bytes\":%llu,"
		       "\"umem_bytes\":%llu,\"conn_buf_bytes\":%llu,\"conn_buf_max_bytes\":%llu}\n",
		       json_ts(), s->o->ifname, s->o->max_flows, s->o->max_half_open,
		       (unsigned long long)flows, (unsigned long long)maps,
		       (unsigned long long)umem, (unsigned long long)per_conn,
		       (unsigned long long)conns_max);
	} else {
		printf("%s: memory: flow table %.1f MiB (%lu flows, %lu half-open at most), other "
		       "maps %.1f MiB (kernel); UMEM %.1f MiB (%d queues); connection buffers "
		       "%llu KiB each, touched as used (%.1f GiB at --max-flows)\n",
		       s->o->ifname, mib(flows), s->o->max_flows, s->o->max_half_open, mib(maps),
		       mib(umem), s->nports, (unsigned long long)per_conn / 1024,
		       mib(conns_max) / 1024.0);
	}
	fflush(stdout);
}

static __u64 stat_sum(const struct serve *s, __u32 id)
{
	__u64 sum;

	/* 0 if it cannot be read */
	percpu_sum(bpf_map__fd(s->skel->maps.serve_stats), &id, &sum, 1);
	return sum;
}

/* Say once when new connections start being refused for a full table, and when it ends. */
static void table_full_check(struct serve *s)
{
	__u64 n = stat_sum(s, SS_TX_SYNACK_FULL) + stat_sum(s, SS_TX_RST_TABLE_FULL);

	if (n != s->full_seen && !s->full) {
		s->full = true;
		if (s->o->json)
			printf("%s,\"event\":\"table_full\",\"iface\":\"%s\",\"max_flows\":%lu}\n",
			       json_ts(), s->o->ifname, s->o->max_flows);
		else
			printf("%s: flow table full (%lu flows): new connections refused, "
			       "established ones kept\n",
			       s->o->ifname, s->o->max_flows);
		fflush(stdout);
	} else if (n == s->full_seen && s->full && s->flows_seen < s->o->max_flows) {
		/* no refusal for a second and the walk found a free entry */
		s->full = false;
		if (s->o->json)
			printf("%s,\"event\":\"table_ok\",\"iface\":\"%s\"}\n", json_ts(),
			       s->o->ifname);
		else
			printf("%s: flow table has room again\n", s->o->ifname);
		fflush(stdout);
	}
	s->full_seen = n;
}

/* Say when the link goes down and comes back: connections wait, nothing is torn down. */
static void link_check(struct serve *s)
{
	int up = iface_link_up(s->o->ifname);

	if (up < 0 || !up == s->link_down)
		return;
	s->link_down = !up;
	if (s->o->json)
		printf("%s,\"event\":\"link_%s\",\"iface\":\"%s\"}\n", json_ts(),
		       up ? "up" : "down", s->o->ifname);
	else if (up)
		printf("%s: link up again: serving\n", s->o->ifname);
	else
		printf("%s: link down (or no carrier): connections wait, their timers run\n",
		       s->o->ifname);
	fflush(stdout);
}

int serve_poll(struct serve *s, int max_ms)
{
	struct pollfd pfd[SERVE_MAX_PORTS_XSK];
	__u64 now = clock_mono_ns(), next = tcp_stack_next_timer(s->stack);
	int i, timeout = max_ms, n, got;

	if (next && next > now && (next - now) / 1000000 < (__u64)timeout)
		timeout = (next - now) / 1000000;
	else if (next && next <= now)
		timeout = 0;
	if (timeout > SERVE_SCAN_MS)
		timeout = SERVE_SCAN_MS;
	/* busy polling: the rings are shared memory, a peek costs no system call */
	if (now - s->last_rx_ns >= s->o->busy_poll_us * 1000ULL) {
		for (i = 0; i < s->nports; i++) {
			pfd[i].fd = xsk_port_fd(&s->ports[i]);
			pfd[i].events = POLLIN;
		}
		poll(pfd, s->nports, timeout);
	}
	got = 0;
	for (i = 0; i < s->nports; i++) {
		int rounds = 0;

		do {
			n = xsk_port_rx(&s->ports[i], serve_rx, s, 64);
			got += n > 0;
		} while (n > 0 && ++rounds < 16);
	}
	now = clock_mono_ns();
	if (got)
		s->last_rx_ns = now;
	tcp_stack_run_timers(s->stack, now);
	if (now - s->last_scan >= SERVE_SCAN_MS * 1000000ULL) {
		s->last_scan = now;
		flows_walk(s, now);
		n = keys_refresh(bpf_map__fd(s->skel->maps.serve_keys), &s->keys,
				 slot_now(s->clock_offset));
		if (n < 0)
			pr_warn("Failed to rotate cookie keys: %s\n", strerror(-n));
	}
	if (now - s->last_full_check >= 1000000000ULL) {
		s->last_full_check = now;
		table_full_check(s);
		trace_flag_reap(&s->skel->data_trace->trace_on);
		/* guard notices the same way: a removed interface or program ends the run */
		if (xdp_ours_still(&s->stage, s->ifindex, s->o->ifname, s->xdp_prog_id, "serve"))
			return 1;
		link_check(s);
	}
	conns_reap(s);
	for (i = 0; i < s->nports; i++)
		xsk_port_flush(&s->ports[i]);
	return 0;
}

void serve_print_stats(struct serve *s, bool json)
{
	__u64 sum[SS__COUNT] = { 0 };
	int i;

	percpu_sum_array(bpf_map__fd(s->skel->maps.serve_stats), sum, SS__COUNT);
	if (json) {
		printf("%s,\"event\":\"stats\",\"iface\":\"%s\",\"conns\":%lu,\"rx_frames\":%llu,"
		       "\"rx_no_meta\":%llu,\"ctl_failed\":%llu,\"halfopen_expired\":%llu,"
		       "\"gc_deleted\":%llu,\"tx_frames\":%llu,\"tx_drops\":%llu,\"synack_rtx\":%llu,"
		       "\"synack_rtx_limited\":%llu,\"halfopen_tracked\":%u,"
		       "\"halfopen_untracked\":%u,\"halfopen_pruned\":%llu,"
		       "\"retrans_segs\":%llu,\"spurious_retrans\":%llu,\"undos\":%llu,"
		       "\"rto_fired\":%llu,\"counters\":{",
		       json_ts(), s->o->ifname, s->conns.n, (unsigned long long)s->rx_frames,
		       (unsigned long long)s->rx_no_meta, (unsigned long long)s->ctl.failed,
		       (unsigned long long)s->halfopen_expired, (unsigned long long)s->gc_deleted,
		       (unsigned long long)s->tx_frames, (unsigned long long)s->tx_drops,
		       (unsigned long long)s->synack_rtx, (unsigned long long)s->synack_rtx_limited,
		       s->half.n, s->half.untracked, (unsigned long long)s->halfopen_pruned,
		       (unsigned long long)s->stack->stats.retrans_segs,
		       (unsigned long long)s->stack->stats.spurious_retrans,
		       (unsigned long long)s->stack->stats.undos,
		       (unsigned long long)s->stack->stats.rto_fired);
		for (i = 0; i < SS__COUNT; i++)
			printf("%s\"%s\":%llu", i ? "," : "", serve_stat_names[i],
			       (unsigned long long)sum[i]);
		printf("}}\n");
	} else {
		printf("%s: %lu conns, rx %llu tx %llu, retrans %llu", s->o->ifname, s->conns.n,
		       (unsigned long long)s->rx_frames, (unsigned long long)s->tx_frames,
		       (unsigned long long)s->stack->stats.retrans_segs);
		for (i = 0; i < SS__COUNT; i++)
			if (sum[i])
				printf(" %s=%llu", serve_stat_names[i], (unsigned long long)sum[i]);
		printf("\n");
	}
	fflush(stdout);
}

void serve_stop(struct serve *s)
{
	int i;

	if (!s)
		return;
	if (s->xdp_link >= 0) {
		bpf_link_detach(s->xdp_link);
		close(s->xdp_link);
	}
	xdp_stage_leave(&s->stage);
	for (i = 0; i < s->nports; i++)
		xsk_port_close(&s->ports[i]);
	conns_fini(&s->conns);
	halfopen_fini(&s->half);
	if (s->stack) {
		tcp_stack_fini(s->stack);
		free(s->stack);
	}
	serve_trace_fini(&s->trace);
	serve_bpf__destroy(s->skel);
	xdp_next_close(&s->next);
	free(s);
}
