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
# Then guard's own cost per packet from BPF_PROG_TEST_RUN.
#   BENCH_SECONDS (default 4) per configuration.
set -u
cd "$(dirname "$0")/.."
. scripts/lib/topo.sh
TOPO=sobench
SECS=${BENCH_SECONDS:-4}
PORT=80
WORK=$(mktemp -d /tmp/shakeoff-bench.XXXXXX)
LISTEN_PID=
trap 'guard_stop; [ -n "$LISTEN_PID" ] && kill $LISTEN_PID 2>/dev/null; topo_down $TOPO; rm -rf "$WORK"' EXIT

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

echo "SYN -> reply through veth, $SECS s each, one flood thread (2 cores: noisy; compare ratios)"

srv "$SHAKEOFF" lab attach srv0 reflect >/dev/null || die "lab reflect"
run reflector syn
R_REFLECT=$RATE
srv "$SHAKEOFF" lab detach srv0 >/dev/null

listener_up
guard_start "$WORK/guard.log" --ports $PORT --interval 0 || { cat "$WORK/guard.log"; die "guard"; }
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

srv nft -f - <<EOF || die "nft synproxy"
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "guard / reflector = $(ratio $R_GUARD $R_REFLECT)   (target >= 0.6)"
echo "guard / kernel    = $(ratio $R_GUARD $R_KERNEL)   (target >= 6)"
echo "guard / synproxy  = $(ratio $R_GUARD $R_SYNPROXY)"
echo
echo "guard's own cost per packet (BPF_PROG_TEST_RUN, repeat 2000000):"
.output/bench/xdp_cost 2000000 | tee "$WORK/cost.txt" | sed '$d'
printf '{"reflector_pps":%s,"guard_pps":%s,"kernel_pps":%s,"synproxy_pps":%s,"cost_ns":%s}\n' \
	"$R_REFLECT" "$R_GUARD" "$R_KERNEL" "$R_SYNPROXY" "$(tail -n 1 "$WORK/cost.txt")"
scripts/bench_serve.sh
