#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: guard in front of a real kernel web server on a veth namespace pair,
# real clients over IPv4 and IPv6, then a spoofed SYN flood while clients keep
# connecting. Everything it creates is removed on exit.
set -u
cd "$(dirname "$0")/.."
. scripts/lib/topo.sh
TOPO=sodemo
WWW=$(mktemp -d /tmp/shakeoff-demo.XXXXXX)
HTTP_PID= FLOOD_PID=

# However the demo ends (done, failed, Ctrl-C, SIGTERM): guard stopped (it
# detaches its programs and pins), the web server and the flood killed by
# their own PIDs, whatever is left in the namespaces ended (topo_down: TERM,
# then KILL), then the namespaces (with the veth and anything still attached
# to it) and $WWW.
demo_cleanup() {
	trap - EXIT INT TERM
	guard_stop
	[ -n "$FLOOD_PID" ] && kill "$FLOOD_PID" 2>/dev/null
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null
	# a guard that died before it could detach leaves its programs behind
	ip netns list | grep -q "^$TOPO-srv\b" && srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	topo_down $TOPO
	rm -rf "$WWW"
}
trap demo_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
netstat_get() { srv nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

say "namespaces $TOPO-cli (cli0 $CLI_IP4 $CLI_IP6) <-> $TOPO-srv (srv0 $SRV_IP4 $SRV_IP6)"
topo_up $TOPO || { echo "demo: could not build the topology" >&2; exit 1; }
echo "hello from behind shakeoff guard" > "$WWW/index.html"
bg_srv /usr/bin/python3 -m http.server 80 --bind :: --directory "$WWW" >/dev/null 2>&1
HTTP_PID=$!
wait_listen 80 || { echo "demo: http.server did not start" >&2; exit 1; }

say "shakeoff guard srv0 --ports 80,443   (443 has no listener)"
guard_start "$WWW/guard.log" --ports 80,443 --interval 2 || { cat "$WWW/guard.log"; exit 1; }
head -n 1 "$WWW/guard.log"

say "kernel clients: curl over IPv4 and IPv6"
cli curl -sS -m 3 "http://$SRV_IP4/"
cli curl -sS -m 3 "http://[$SRV_IP6]/"
say "a port nobody listens on answers with RST (not a timeout)"
cli curl -sS -m 3 "http://$SRV_IP4:443/" 2>&1 | head -n 1

say "spoofed SYN flood from 198.18.0.0/16 for 5 s while 50 clients connect"
before_cookies=$(netstat_get TcpExtSyncookiesSent)
before_drops=$(netstat_get TcpExtListenDrops)
bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport 80 --src 198.18.0.0/16 --duration 5 \
	> "$WWW/flood.log" 2>&1
FLOOD_PID=$!
ok=0
for i in $(seq 50); do
	cli curl -s -m 2 -o /dev/null "http://$SRV_IP4/" && ok=$((ok + 1))
	sleep 0.05
done
wait $FLOOD_PID
FLOOD_PID=
cat "$WWW/flood.log"
echo "legitimate connections completed during the flood: $ok/50"
echo "server TcpExtSyncookiesSent: $before_cookies -> $(netstat_get TcpExtSyncookiesSent)"
echo "server TcpExtListenDrops:    $before_drops -> $(netstat_get TcpExtListenDrops)"

say "shakeoff stats srv0 (from a separate ip netns exec)"
srv "$SHAKEOFF" stats srv0 | awk '$2 != 0'

say "SIGTERM: guard detaches what it attached"
guard_stop
ip -n $TOPO-srv link show srv0 | grep -q xdp && echo "XDP still attached!" || echo "srv0 has no XDP program left"
