#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: SYN -> reply rate through a veth pair, same run, same flood, for
#   reflector  a bare XDP MAC-swap reflector (the ceiling of the path)
#   guard      shakeoff guard in front of a kernel listener
#   kernel     the kernel with tcp_syncookies=2 and a listener
#   synproxy   nft synproxy in front of a kernel listener
# Replies are counted (and dropped) by an XDP program on the client end, so
# every configuration has XDP on both ends. The flood varies source ports from
# the client's own address, which the server reaches without ARP (a permanent
# neighbour entry), so the kernel and synproxy answer every SYN.
# Then guard's own cost per packet from BPF_PROG_TEST_RUN (tests/bench/xdp_cost.c),
# the SYN path with Linux's option order and with another (the general option
# walk), and their ratio from the same run (goal: at most 1.15). Then HTTP latency
# with a connection per request: wrk -H 'Connection: close' against nginx
# alone and behind guard, HTTP_ROUNDS alternating rounds each in one run;
# p50/p99 per round and the ratio of the medians of p99 (goal: within 1.5x).
#   BENCH_SECONDS (default 4) per SYN configuration.
#   BENCH_ONLY=syn|http  one part only (default: both, then scripts/bench_serve.sh); HTTP_SECONDS (default 8),
#   HTTP_ROUNDS (default 3).
set -u
cd "$(dirname "$0")/.."
. scripts/lib/topo.sh
. scripts/lib/nginx.sh
TOPO=sobench
ONLY=${BENCH_ONLY:-}
HTTP_SECS=${HTTP_SECONDS:-8}
HTTP_ROUNDS=${HTTP_ROUNDS:-3}
SECS=${BENCH_SECONDS:-4}
PORT=80
WORK=$(mktemp -d /tmp/shakeoff-bench.XXXXXX)
LISTEN_PID=
trap 'guard_stop; nginx_down; [ -n "$LISTEN_PID" ] && kill $LISTEN_PID 2>/dev/null; topo_down $TOPO; rm -rf "$WORK"' EXIT
case $ONLY in "" | syn | http) ;; *) echo "bench: BENCH_ONLY=syn|http" >&2; exit 2 ;; esac

die() { echo "bench: $*" >&2; exit 1; }
json_get() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
netstat_get() { srv nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

topo_up $TOPO >/dev/null || die "could not build the topology"
cli "$SHAKEOFF" lab detach cli0 >/dev/null
cli "$SHAKEOFF" lab attach cli0 count --drop-replies >/dev/null || die "lab count"
SRV_MAC=$(ip -n $TOPO-srv link show srv0 | awk '/link\/ether/ { print $2 }')
CLI_MAC=$(ip -n $TOPO-cli link show cli0 | awk '/link\/ether/ { print $2 }')
srv ip neigh replace $CLI_IP4 lladdr "$CLI_MAC" dev srv0 nud permanent
srv sysctl -qw net.core.somaxconn=4096

listener_up() {
	ip netns exec $TOPO-srv /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1]))); s.listen(4096); time.sleep(3600)' $PORT &
	LISTEN_PID=$!
	wait_listen $PORT || die "listener did not start"
}
listener_down() { kill $LISTEN_PID 2>/dev/null; wait $LISTEN_PID 2>/dev/null; LISTEN_PID=; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# run NAME COUNTER: flood, then the replies the client counted per second.
run() {
	local name=$1 counter=$2 before after sent secs
	cli "$SHAKEOFF" lab read cli0 --json > "$WORK/before.json" || die "lab read"
	cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $PORT --src $CLI_IP4/32 \
		--sport-range 1024-65535 --duration "$SECS" --dst-mac "$SRV_MAC" --json \
		> "$WORK/flood.json" || die "flood ($name)"
	sleep 0.3
	cli "$SHAKEOFF" lab read cli0 --json > "$WORK/after.json" || die "lab read"
	before=$(json_get "$WORK/before.json" "['counters']['$counter']")
	after=$(json_get "$WORK/after.json" "['counters']['$counter']")
	sent=$(json_get "$WORK/flood.json" "['sent']")
	secs=$(json_get "$WORK/flood.json" "['seconds']")
	REPLIES=$((after - before))
	RATE=$(awk -v r=$REPLIES -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
	printf '%-10s sent %10d  replies %10d  %6.2f Mpps\n' "$name" "$sent" "$REPLIES" \
		"$(awk -v r=$RATE 'BEGIN { print r / 1e6 }')"
}

syn_bench() {
	echo "SYN -> reply through veth, $SECS s each, one flood thread (2 cores: noisy; compare ratios)"

	srv "$SHAKEOFF" lab attach srv0 reflect >/dev/null || die "lab reflect"
	run reflector syn
	R_REFLECT=$RATE
	srv "$SHAKEOFF" lab detach srv0 >/dev/null

	listener_up
	# the flood comes from one address: no SYN-ACK budget, the path's ceiling is measured
	guard_start "$WORK/guard.log" --ports $PORT --interval 0 --synack-rate 0 --synack-rate-src 0 ||
		{ cat "$WORK/guard.log"; die "guard"; }
	run guard synack
	R_GUARD=$RATE
	guard_stop

	srv "$SHAKEOFF" lab attach srv0 pass >/dev/null || die "lab pass"
	srv sysctl -qw net.ipv4.tcp_syncookies=2
	cookies0=$(netstat_get TcpExtSyncookiesSent)
	run kernel synack
	R_KERNEL=$RATE
	cookies=$(($(netstat_get TcpExtSyncookiesSent) - cookies0))
	echo "           kernel SyncookiesSent $cookies, replies counted $REPLIES" \
		"($([ "$cookies" -eq "$REPLIES" ] && echo equal || echo "DIFFER"))"
	srv sysctl -qw net.ipv4.tcp_syncookies=1

	srv nft -f - <<-EOF || die "nft synproxy"
	table inet so_synproxy {
		chain pre {
			type filter hook prerouting priority raw; policy accept;
			tcp dport $PORT tcp flags syn notrack
		}
		chain in {
			type filter hook input priority filter; policy accept;
			tcp dport $PORT ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
			ct state invalid drop
		}
	}
	EOF
	run synproxy synack
	R_SYNPROXY=$RATE
	srv nft delete table inet so_synproxy
	srv "$SHAKEOFF" lab detach srv0 >/dev/null
	listener_down

	echo
	echo "guard / reflector = $(ratio $R_GUARD $R_REFLECT)   (target >= 0.6)"
	echo "guard / kernel    = $(ratio $R_GUARD $R_KERNEL)   (target >= 6)"
	echo "guard / synproxy  = $(ratio $R_GUARD $R_SYNPROXY)"
	echo
	echo "guard's own cost per packet (BPF_PROG_TEST_RUN, repeat 2000000):"
	.output/bench/xdp_cost 2000000 | tee "$WORK/cost.txt" | sed '$d'
	printf '{"reflector_pps":%s,"guard_pps":%s,"kernel_pps":%s,"synproxy_pps":%s,"cost_ns":%s}\n' \
		"$R_REFLECT" "$R_GUARD" "$R_KERNEL" "$R_SYNPROXY" "$(tail -n 1 "$WORK/cost.txt")"
}

# wrk_round NAME ROUND ADDR: one wrk run against ADDR; prints the round, appends
# "NAME p50_ms p99_ms" to $WORK/http (p99 0: no request answered).
wrk_round() {
	local out p50 p99
	out=$(cli wrk -t2 -c50 -d"${HTTP_SECS}s" -H 'Connection: close' --latency "http://$3:$PORT/") ||
		die "wrk ($1)"
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out" | ms)
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out" | ms)
	grep -q '^  [0-9]* requests in' <<<"$out" && [ "$(awk '/requests in/ { print $1 }' <<<"$out")" -gt 0 ] || p99=0
	printf '%-7s round %d  %8s req/s  p50 %8.2f ms  p99 %8.2f ms  %s\n' "$1" "$2" \
		"$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")" "$p50" "$p99" \
		"$(grep -E 'Socket errors' <<<"$out" | tr -s ' ')"
	echo "$1 $p50 $p99" >>"$WORK/http"
}
# ms: wrk's "812.00us", "3.41ms", "1.20s" in ms.
ms() { awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /[0-9]s$/) v *= 1000; print v }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

http_bench() {
	local r a m_alone m_guard ratio
	echo
	echo "HTTP, a connection per request: wrk -t2 -c50 -d${HTTP_SECS}s -H 'Connection: close' --latency," \
		"nginx alone and behind guard, $HTTP_ROUNDS alternating rounds"
	cli "$SHAKEOFF" lab detach cli0 >/dev/null
	cli "$SHAKEOFF" lab attach cli0 pass >/dev/null || die "lab pass"
	srv ip neigh del $CLI_IP4 dev srv0 2>/dev/null
	cli sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	nginx_up "$WORK/nginx" "*" $PORT >"$WORK/nginx.err" || die "nginx: $(cat "$WORK/nginx.err")"
	: >"$WORK/http"
	# Each round against a server address of its own: no round meets the
	# TIME_WAIT sockets of the one before (a guard started after they closed
	# answers a SYN reusing such a tuple with a cookie, and that connection hangs).
	for r in $(seq "$HTTP_ROUNDS"); do
		a=10.99.0.$((20 + 2 * r))
		srv ip addr add $a/24 dev srv0
		wrk_round alone "$r" $a
		a=10.99.0.$((21 + 2 * r))
		srv ip addr add $a/24 dev srv0
		# wrk connects from one address, faster than the per-prefix SYN-ACK budget
		guard_start "$WORK/guard.log" --ports $PORT --interval 0 --synack-rate-src 0 ||
			{ cat "$WORK/guard.log"; die "guard"; }
		wrk_round guard "$r" $a
		guard_stop
	done
	nginx_down
	m_alone=$(awk '$1 == "alone" { print $3 }' "$WORK/http" | median)
	m_guard=$(awk '$1 == "guard" { print $3 }' "$WORK/http" | median)
	ratio=$(ratio "$m_guard" "$m_alone")
	awk '$3 == 0 { bad = 1 } END { exit !bad }' "$WORK/http" && ratio=n/a
	echo "median p99: alone $m_alone ms, guard $m_guard ms; guard / alone = $ratio" \
		"($(awk -v r="$ratio" 'BEGIN { print (r != "n/a" && r <= 1.5) ? "within" : "NOT within" }') 1.5x)"
	printf '{"http_p99_alone_ms":%s,"http_p99_guard_ms":%s,"http_p99_ratio":%s}\n' "$m_alone" "$m_guard" "$ratio"
}

[ "$ONLY" = http ] || syn_bench
[ "$ONLY" = syn ] || http_bench
[ -n "$ONLY" ] || scripts/bench_serve.sh
