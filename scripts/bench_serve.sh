#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, part 2: shakeoff serve --app echo against the kernel (a Linux
# epoll echo server, tests/bench/epoll_echo.c) on the same namespace pair, in
# the same run, with the same client (tests/bench/tcp_load.c, one thread):
#   connections/s   connect, send 64 bytes, read the echo, the client closes;
#                   one at a time, then 16 in flight from the same thread
#   latency         echo round trip of 32 bytes over one connection, p50/p99
#   bulk            one flow for the duration, through echo and into discard
#   bytes per flow  serve: key + value + the HASH map's own per entry, plus the
#                   controller's RSS growth per connection held; kernel: growth
#                   of the socket slab caches per connection held, net of the
#                   client's own sockets (measured in the serve run, where the
#                   kernel holds only those), plus epoll_echo's RSS growth
# Both servers run with an XDP program on both veth ends (the client end: the
# topology's pass program; the kernel's end: lab pass; serve's own program),
# since kernel TCP over veth slows several-fold with XDP on one end only.
# Client: tcp_tw_reuse=1, ports 1024-65535, TIME_WAIT sockets flushed (ss -K)
# before each connection-rate run, and four addresses taken in turn: connect()
# uses even ports first and reuses a TIME_WAIT port after 1 s
# (tcp_tw_reuse_delay), which caps one address near 32 k connections/s.
# Server pinned to CPU 1, client to CPU 0 when there are two CPUs or more.
# serve runs with --msl 1 and --max-flows 65536 (its default) and its default
# --busy-poll (it polls its rings for 50 us after a frame instead of sleeping);
# the connection rates are measured once more with --busy-poll 0. The servers
# take turns for BENCH_SERVE_ROUNDS rounds and each figure is the median over
# the rounds (connections/s also the best round), so that a burst of other
# load on the machine weighs on both alike.
# Then the connection rates once more with both servers up and taking 1 s turns
# (BENCH_SERVE_PAIRS pairs, the idle one stopped with SIGSTOP; the kernel's
# port passes through serve's XDP untouched): the median of the pairs' ratios.
#   BENCH_SERVE_SECONDS (default 3) per measurement
#   BENCH_SERVE_PAIRS   (default 10) interleaved pairs
#   BENCH_SERVE_ROUNDS  (default 5)
#   BENCH_SERVE_HOLD    (default 4000) connections held for bytes per flow
#   BENCH_SERVE_PIN=0   no CPU pinning
#   BENCH_SERVE_KEEP=1  keep the raw results (the directory is printed)
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/lib/topo.sh
TOPO=sosrvb
SECS=${BENCH_SERVE_SECONDS:-3}
ROUNDS=${BENCH_SERVE_ROUNDS:-5}
HOLD=${BENCH_SERVE_HOLD:-4000}
PAR=16
PORT=7
MAX_FLOWS=65536
LOAD=.output/bench/tcp_load
ECHO=.output/bench/epoll_echo
PY=/usr/bin/python3
CLI_SRCS=$CLI_IP4,10.99.0.11,10.99.0.12,10.99.0.13
WORK=$(mktemp -d /tmp/shakeoff-bench-serve.XXXXXX)
SRV_PID="" HOLD_PID="" IL_PIDS=""
PIN_SRV="" PIN_CLI=""
if [ "${BENCH_SERVE_PIN:-1}" != 0 ] && [ "$(nproc)" -ge 2 ]; then
	PIN_SRV="taskset -c 1" PIN_CLI="taskset -c 0"
fi
cleanup() {
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$IL_PIDS" ] && kill -CONT $IL_PIDS 2>/dev/null && kill -TERM $IL_PIDS 2>/dev/null &&
		wait $IL_PIDS 2>/dev/null
	[ -n "$HOLD_PID" ] && kill -TERM "$HOLD_PID" 2>/dev/null && wait "$HOLD_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill -TERM "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	topo_down $TOPO
	if [ "${BENCH_SERVE_KEEP:-0}" = 1 ]; then echo "bench_serve: results kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

die() { echo "bench_serve: $*" >&2; exit 1; }
# slab caches an accepted, epoll-watched TCP socket lives in
SOCK_CACHES="TCP TCPv6 sock_inode_cache filp dentry eventpoll_epi eventpoll_pwq ep_head"
# bytes in use (active objects x object size) of those caches
slab_bytes() {
	awk -v names=" $SOCK_CACHES " 'NR > 2 && index(names, " " $1 " ") { s += $2 * $4 }
		END { printf "%.0f\n", s }' /proc/slabinfo
}
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# CPU seconds (user + system) a process used so far
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
# busy and total jiffies of all CPUs
cpu_jiffies() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }

# srv_up LOG READY CMD...: start a server in the server namespace, wait for READY in its log
srv_up() {
	local log=$1 ready=$2
	shift 2
	# not through srv(): $! must be the server itself
	ip netns exec $TOPO-srv $PIN_SRV "$@" >"$log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 100); do
		grep -q -e "$ready" "$log" && return 0
		kill -0 $SRV_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	die "$* did not start"
}
srv_down() {
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
}
load() { timeout $((SECS + 30)) ip netns exec $TOPO-cli $PIN_CLI "$LOAD" "$@" --dst $SRV_IP4 --port $PORT; }

# rate OUT [--parallel K]: tcp_load's JSON, then one line: server process CPU and
# all CPUs' busy time per connection (us), all CPUs' busy share (%)
rate() {
	local out=$1 c0 c1 j0 j1
	shift
	cli ss -K state time-wait >/dev/null 2>&1
	c0=$(proc_cpu $SRV_PID) j0=$(cpu_jiffies)
	load rate --seconds "$SECS" --src $CLI_SRCS "$@" >"$out" || die "tcp_load rate $*"
	j1=$(cpu_jiffies) c1=$(proc_cpu $SRV_PID)
	$PY - "$out" "$c0" "$c1" "$j0" "$j1" "$(getconf CLK_TCK)" >>"$out" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
c0, c1, hz = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[6])
(b0, t0), (b1, t1) = [map(float, a.split()) for a in sys.argv[4:6]]
n = max(r["conns"], 1)
print(json.dumps({"srv_cpu_us": round((c1 - c0) * 1e6 / n, 1),
                  "all_cpu_us": round((b1 - b0) / hz * 1e6 / n, 1),
                  "busy_pct": round(100 * (b1 - b0) / max(t1 - t0, 1))}))
EOF
}

# hold OUT: HOLD idle connections (one echo each); growth of the socket slab caches
# and of the server's RSS, as JSON
hold() {
	local out=$1 s0 s1 r0 r1 n
	# what the rate runs left must not be freed while we measure
	cli ss -K state time-wait >/dev/null 2>&1
	sleep 1
	s0=$(slab_bytes) r0=$(proc_kb $SRV_PID VmRSS)
	ip netns exec $TOPO-cli "$LOAD" hold --conns "$HOLD" --seconds 120 --dst $SRV_IP4 \
		--port $PORT >"$out.log" 2>&1 &
	HOLD_PID=$!
	for _ in $(seq 600); do
		grep -q '^held' "$out.log" && break
		kill -0 $HOLD_PID 2>/dev/null || break
		sleep 0.1
	done
	n=$(awk '/^held/ { print $2 }' "$out.log")
	[ -n "$n" ] && [ "$n" -gt 0 ] || die "hold: $(cat "$out.log")"
	sleep 0.5 # serve: its 10 ms walk has seen every flow
	s1=$(slab_bytes) r1=$(proc_kb $SRV_PID VmRSS)
	echo "{\"held\":$n,\"slab\":$((s1 - s0)),\"rss\":$(((r1 - r0) * 1024))}" >"$out"
	kill -TERM $HOLD_PID
	wait $HOLD_PID
	HOLD_PID=
}

# measure WHO ROUND: everything but discard against the echo server running now
measure() {
	local p=$WORK/$1.$2
	rate "$p.rate"
	rate "$p.par" --parallel $PAR
	# a failure here is reported with the figures (errors, complete, intact)
	load latency --seconds "$SECS" >"$p.lat" || echo "  latency ($1): failed" >&2
	load bulk --seconds "$SECS" --app echo >"$p.echo" || echo "  bulk echo ($1): failed" >&2
	[ "$2" = 1 ] && hold "$WORK/$1.hold"
	return 0
}

for f in "$LOAD" "$ECHO" "$SHAKEOFF"; do [ -x "$f" ] || die "$f is missing (make bench builds it)"; done
topo_up $TOPO >/dev/null 2>"$WORK/err" || die "could not build the topology: $(cat "$WORK/err")"
cli sysctl -qw net.ipv4.tcp_tw_reuse=1
cli sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
for a in $(echo "${CLI_SRCS#*,}" | tr , ' '); do cli ip addr add $a/24 dev cli0 || die "address $a"; done
srv sysctl -qw net.core.somaxconn=4096
srv sysctl -qw net.ipv4.tcp_max_syn_backlog=4096
SERVE=("$SHAKEOFF" serve srv0 --port "$PORT" --msl 1 --max-flows "$MAX_FLOWS" --interval 0)

echo
echo "serve vs kernel: one client thread, $SECS s per measurement, medians of $ROUNDS" \
	"round(s)${PIN_SRV:+; server on CPU 1, client on CPU 0}"
for r in $(seq "$ROUNDS"); do
	srv "$SHAKEOFF" lab attach srv0 pass >/dev/null 2>"$WORK/err" || die "lab pass: $(cat "$WORK/err")"
	srv_up "$WORK/kernel.log" 'listening' "$ECHO" --port $PORT --app echo
	measure kernel "$r"
	srv_down
	srv_up "$WORK/kernel.log" 'listening' "$ECHO" --port $PORT --app discard
	load bulk --seconds "$SECS" --app discard >"$WORK/kernel.$r.discard" ||
		echo "  bulk discard (kernel): failed" >&2
	srv_down
	srv "$SHAKEOFF" lab detach srv0 >/dev/null 2>&1

	srv_up "$WORK/serve.$r.log" 'Ctrl-C to detach' "${SERVE[@]}" --app echo
	measure serve "$r"
	srv_down
	# what busy polling (serve's default --busy-poll) buys: connection rates without it
	srv_up "$WORK/serve0.$r.log" 'Ctrl-C to detach' "${SERVE[@]}" --app echo --busy-poll 0
	rate "$WORK/serve0.$r.rate"
	rate "$WORK/serve0.$r.par" --parallel $PAR
	srv_down
	srv_up "$WORK/serve.log" 'Ctrl-C to detach' "${SERVE[@]}" --app discard
	load bulk --seconds "$SECS" --app discard >"$WORK/serve.$r.discard" ||
		echo "  bulk discard (serve): failed" >&2
	srv_down
	echo "  round $r of $ROUNDS done"
done

# ---- connection rates in interleaved turns -------------------------------------------
# Both servers up at once: serve on PORT (its XDP on srv0 passes every other port
# to the kernel untouched, so the kernel's side has XDP too) and epoll_echo on
# KPORT; the one not measured is frozen with SIGSTOP. Pairs of IL_SECS turns,
# serve first in odd pairs and the kernel first in even ones: load that comes
# and goes on the machine hits both halves of a pair alike, and the median of
# the pairs' ratios is the figure it moves least.
IL_PAIRS=${BENCH_SERVE_PAIRS:-10} IL_SECS=1 KPORT=$((PORT + 1))
srv_up "$WORK/il.serve.log" 'Ctrl-C to detach' "${SERVE[@]}" --app echo
IL_PIDS=$SRV_PID
srv_up "$WORK/il.kernel.log" 'listening' "$ECHO" --port $KPORT --app echo
IL_PIDS="$IL_PIDS $SRV_PID"
read -r IL_SERVE IL_KERNEL <<<"$IL_PIDS"
SRV_PID=
il_turn() {	# WHO PAIR
	local who=$1 i=$2 port=$PORT k
	if [ "$who" = serve ]; then
		kill -STOP "$IL_KERNEL" && kill -CONT "$IL_SERVE"
	else
		kill -STOP "$IL_SERVE" && kill -CONT "$IL_KERNEL"
		port=$KPORT
	fi
	for k in 1 $PAR; do
		cli ss -K state time-wait >/dev/null 2>&1
		timeout $((IL_SECS + 30)) ip netns exec $TOPO-cli $PIN_CLI "$LOAD" rate \
			--seconds $IL_SECS --src $CLI_SRCS --parallel $k --dst $SRV_IP4 --port $port \
			>"$WORK/il.$who.$k.$i" || die "tcp_load rate ($who, interleaved)"
	done
}
for i in $(seq "$IL_PAIRS"); do
	if [ $((i % 2)) = 1 ]; then il_turn serve "$i"; il_turn kernel "$i"
	else il_turn kernel "$i"; il_turn serve "$i"; fi
done
echo "  $IL_PAIRS interleaved pairs done"
# shellcheck disable=SC2086 # a list of pids
kill -CONT $IL_PIDS && kill -TERM $IL_PIDS && wait $IL_PIDS 2>/dev/null
IL_PIDS=

# ---- report: medians over the rounds ---------------------------------------------
"$LOAD" sizes >"$WORK/sizes"
$PY - "$WORK" "$ROUNDS" "$PAR" "$SOCK_CACHES" "$IL_PAIRS" "$IL_SECS" <<'EOF'
import json, statistics, sys
work, rounds, par, caches = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
il_pairs, il_secs = int(sys.argv[5]), sys.argv[6]

def lines(path):
    try:
        return [json.loads(l) for l in open(path) if l.startswith("{")]
    except (OSError, ValueError):
        return []

def rec(who, r, kind):
    d = {}
    for l in lines(f"{work}/{who}.{r}.{kind}"):
        d.update(l)
    return d

def med(who, kind, key):
    v = [rec(who, r, kind).get(key) for r in range(1, rounds + 1)]
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def each(who, kind, key):
    v = [rec(who, r, kind).get(key) for r in range(1, rounds + 1)]
    return [x for x in v if x is not None] or [0]

def total(who, kind, key):
    return sum(rec(who, r, kind).get(key, 0) for r in range(1, rounds + 1))

def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None

def fmt(x):
    return "-" if x is None else f"{x:.0f}" if x >= 1000 else f"{x:.1f}"

def row(label, s, k, rt="", note=""):
    print(f"  {label:<32} {s:>14} {k:>14} {rt:>6}  {note}".rstrip())

def pair(label, kind, key, note="", show_ratio=True):
    s, k = med("serve", kind, key), med("kernel", kind, key)
    row(label, fmt(s), fmt(k), (f"{ratio(s, k):.2f}" if show_ratio and ratio(s, k) else ""), note)
    return s, k

print()
row("", "serve", "kernel", "ratio")
s_cps, k_cps = pair("connections/s, one at a time", "rate", "rate", "target >= 1.5")
s_best, k_best = max(each("serve", "rate", "rate")), max(each("kernel", "rate", "rate"))
def paired(kind):
    # each round runs both servers back to back: the median of the rounds' own
    # ratios is the figure least moved by load that comes and goes on the machine
    r = [ratio(rec("serve", i, kind).get("rate"), rec("kernel", i, kind).get("rate"))
         for i in range(1, rounds + 1)]
    r = [x for x in r if x is not None]
    return round(statistics.median(r), 2) if r else None
s_pr = paired("rate")
if rounds > 1:
    row("  median of the rounds' ratios", "", "", f"{s_pr:.2f}")
    row("  best round", fmt(s_best), fmt(k_best), f"{ratio(s_best, k_best):.2f}")
    row("  rounds", "", "", "", "serve " + " ".join(f"{x:.0f}" for x in each("serve", "rate", "rate"))
        + ", kernel " + " ".join(f"{x:.0f}" for x in each("kernel", "rate", "rate")))
def nobusy(kind, k):
    s0 = med("serve0", kind, "rate")
    row("  serve --busy-poll 0", fmt(s0), "", f"{ratio(s0, k):.2f}" if ratio(s0, k) else "",
        "serve waits in poll() between segments")
    return s0
s0_cps = nobusy("rate", k_cps)
pair("  p50 per connection (us)", "rate", "conn_p50_us", show_ratio=False)
pair("  p99 per connection (us)", "rate", "conn_p99_us", show_ratio=False)
def phases(pct):
    return ["/".join(fmt(med(w, "rate", f"{p}_p{pct}_us")) for p in ("connect", "echo", "close"))
            for w in ("serve", "kernel")]
row("  p50 connect/echo/close (us)", *phases(50))
row("  p99 connect/echo/close (us)", *phases(99))
pair("  server process CPU (us/conn)", "rate", "srv_cpu_us", show_ratio=False)
pair("  all CPUs busy (us/conn)", "rate", "all_cpu_us", "client and softirq included",
     show_ratio=False)
s_par, k_par = pair(f"connections/s, {par} in flight", "par", "rate")
par_pr = paired("par")
if rounds > 1:
    row("  median of the rounds' ratios", "", "", f"{par_pr:.2f}")
    s_pb, k_pb = max(each("serve", "par", "rate")), max(each("kernel", "par", "rate"))
    row("  best round", fmt(s_pb), fmt(k_pb), f"{ratio(s_pb, k_pb):.2f}")
s0_par = nobusy("par", k_par)
pair("  server process CPU (us/conn)", "par", "srv_cpu_us", show_ratio=False)
pair("  all CPUs busy (us/conn)", "par", "all_cpu_us", show_ratio=False)
pair("  all CPUs busy (%)", "par", "busy_pct", show_ratio=False)
row("  failed connections (all runs)",
    str(sum(total("serve", k, e) for k in ("rate", "par") for e in ("err_connect", "err_echo"))),
    str(sum(total("kernel", k, e) for k in ("rate", "par") for e in ("err_connect", "err_echo"))))
def il_rec(who, k, i):
    l = lines(f"{work}/il.{who}.{k}.{i}")
    return l[0] if l else {}
il_ratio, il_failed = {}, 0
for k in ("1", par):
    sv = [il_rec("serve", k, i).get("rate") for i in range(1, il_pairs + 1)]
    kv = [il_rec("kernel", k, i).get("rate") for i in range(1, il_pairs + 1)]
    rs = [ratio(a, b) for a, b in zip(sv, kv) if ratio(a, b)]
    il_ratio[k] = round(statistics.median(rs), 2) if rs else None
    il_failed += sum(il_rec(w, k, i).get(e, 0) for w in ("serve", "kernel")
                     for i in range(1, il_pairs + 1) for e in ("err_connect", "err_echo"))
    sv, kv = [x for x in sv if x], [x for x in kv if x]
    row("connections/s, " + ("one at a time" if k == "1" else f"{par} in flight"),
        fmt(statistics.median(sv) if sv else None), fmt(statistics.median(kv) if kv else None),
        f"{il_ratio[k]:.2f}" if il_ratio[k] else "",
        f"interleaved: median of {len(rs)} pairs' ratios, {il_secs} s turns"
        + ("; target >= 1.5" if k == "1" else ""))
row("  failed connections (interleaved)", str(il_failed), "")
s_p50, k_p50 = pair("echo round trip p50 (us)", "lat", "p50_us")
s_p99, k_p99 = pair("echo round trip p99 (us)", "lat", "p99_us")
s_be, k_be = pair("one flow through echo (Mbit/s)", "echo", "mbit_s")
s_bd, k_bd = pair("one flow into discard (Mbit/s)", "discard", "mbit_s")
bad = [f"{w} round {r}" for w in ("serve", "kernel") for r in range(1, rounds + 1)
       if not rec(w, r, "echo").get("intact") or not rec(w, r, "echo").get("complete")]
if bad:
    print("  WARNING: echo bulk data incomplete or wrong:", ", ".join(bad))
bad = [f"{w} round {r}" for w in ("serve", "kernel") for r in range(1, rounds + 1)
       if rec(w, r, "lat").get("errors", 1)]
if bad:
    print("  WARNING: echo round trips failed:", ", ".join(bad))

sh, kh = lines(f"{work}/serve.hold")[0], lines(f"{work}/kernel.hold")[0]
sz = lines(f"{work}/sizes")[0]
s_ctl = sh["rss"] / sh["held"]
s_bpf = round(100 + 168 + s_ctl)
k_cli = sh["slab"] / sh["held"]
k_bpf = round(kh["slab"] / kh["held"] - k_cli + max(kh["rss"], 0) / kh["held"])
row(f"bytes per flow (idle, {sh['held']} held)", str(s_bpf), str(k_bpf),
    f"{ratio(s_bpf, k_bpf):.2f}")
print(f"  serve:  100 key+value + 168 HASH overhead (per --max-flows entry, preallocated)"
      f" + {s_ctl:.0f} controller RSS per connection; the engine allocates"
      f" {sz['snd_buf'] + sz['rcv_buf']} bytes of buffers and a {sz['tcb']}-byte tcb per"
      f" connection, RSS grows by the pages touched")
print(f"  kernel: socket slab caches ({caches}) grew {kh['slab'] / kh['held']:.0f} per"
      f" connection, minus the client's own {k_cli:.0f} (serve run),"
      f" + epoll_echo RSS {max(kh['rss'], 0) / kh['held']:.0f}")
for r in range(1, rounds + 1):
    for l in open(f"{work}/serve.{r}.log"):
        if "conns, rx" in l:
            last = l.strip()
print(f"  serve counters (round {rounds}): {last}")
summary = {
    "serve_cps": s_cps, "kernel_cps": k_cps, "cps_ratio": ratio(s_cps, k_cps),
    "cps_ratio_best": ratio(s_best, k_best), "cps_ratio_paired": s_pr,
    "cps_par_ratio_paired": par_pr, "cps_ratio_interleaved": il_ratio["1"],
    "cps_par_ratio_interleaved": il_ratio[par],
    f"serve_cps_par{par}": s_par, f"kernel_cps_par{par}": k_par,
    "cps_par_ratio": ratio(s_par, k_par),
    "serve_nobusy_cps": s0_cps, "nobusy_cps_ratio": ratio(s0_cps, k_cps),
    f"serve_nobusy_cps_par{par}": s0_par, "nobusy_cps_par_ratio": ratio(s0_par, k_par),
    "serve_lat_p50_us": s_p50, "serve_lat_p99_us": s_p99,
    "kernel_lat_p50_us": k_p50, "kernel_lat_p99_us": k_p99,
    "serve_echo_mbit_s": s_be, "kernel_echo_mbit_s": k_be,
    "serve_discard_mbit_s": s_bd, "kernel_discard_mbit_s": k_bd,
    "serve_bytes_per_flow": s_bpf, "kernel_bytes_per_flow": k_bpf,
}
print(json.dumps(summary, separators=(",", ":")))
EOF
