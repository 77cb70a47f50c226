# SPDX-License-Identifier: GPL-2.0
# A client and a server namespace joined by a veth pair, for tests, demo and bench.
#   topo_up NAME    creates NAME-cli (cli0: 10.99.0.1, fd99::1) and NAME-srv (srv0: 10.99.0.2, fd99::2)
#   topo_down NAME  ends every process left in them and removes both (safe to call
#                   twice; use it in a trap)
# The client end runs a pass-through XDP program: veth silently drops frames
# that XDP_TX sends unless the peer also runs XDP.

SHAKEOFF=${SHAKEOFF:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shakeoff}
CLI_IP4=10.99.0.1 SRV_IP4=10.99.0.2 CLI_IP6=fd99::1 SRV_IP6=fd99::2

topo_up() {
	local n=$1
	topo_down "$n"
	ip netns add "$n-cli" && ip netns add "$n-srv" || return 1
	ip link add cli0 netns "$n-cli" type veth peer name srv0 netns "$n-srv" || return 1
	ip -n "$n-cli" addr add $CLI_IP4/24 dev cli0
	ip -n "$n-srv" addr add $SRV_IP4/24 dev srv0
	ip -n "$n-cli" addr add $CLI_IP6/64 dev cli0 nodad
	ip -n "$n-srv" addr add $SRV_IP6/64 dev srv0 nodad
	for side in cli srv; do
		ip -n "$n-$side" link set lo up
		ip -n "$n-$side" link set "${side}0" up
		ip netns exec "$n-$side" sysctl -qw net.ipv4.tcp_congestion_control=reno
		ip netns exec "$n-$side" sysctl -qw net.ipv4.tcp_ecn=0
	done
	ip netns exec "$n-cli" "$SHAKEOFF" lab attach cli0 pass >/dev/null || return 1
}

# topo_reap NAME [cli|srv]...: end every process in those namespaces of NAME
# (default both): TERM, KILL after 3 s. A process left inside keeps a deleted
# namespace, its veth and the XDP programs on it alive.
topo_reap() {
	local n=$1 sides=${*:2} pids i
	sides=${sides:-cli srv}
	pids=$(topo_pids "$n" $sides)
	[ -n "$pids" ] || return 0
	kill -TERM $pids 2>/dev/null
	for i in $(seq 30); do
		pids=$(topo_pids "$n" $sides)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	kill -KILL $pids 2>/dev/null
	return 0
}
topo_pids() {
	local n=$1 side
	shift
	for side; do
		ip netns pids "$n-$side" 2>/dev/null
	done
}

topo_down() {
	local n=$1
	topo_reap "$n"
	ip netns del "$n-cli" 2>/dev/null
	ip netns del "$n-srv" 2>/dev/null
	return 0
}

# Run in the server / client namespace.
srv() { ip netns exec "$TOPO-srv" "$@"; }
cli() { ip netns exec "$TOPO-cli" "$@"; }
# The same in the background. Not `srv CMD &`: that forks a subshell, and $!
# would be the subshell's, not CMD's. `ip netns exec` execs CMD, so after
# bg_srv CMD, $! is CMD itself and kill $! reaches it.
bg_srv() { ip netns exec "$TOPO-srv" "$@" & }
bg_cli() { ip netns exec "$TOPO-cli" "$@" & }
# ns_reap [cli|srv]...: end every process in those namespaces of $TOPO (default both).
ns_reap() { topo_reap "$TOPO" "$@"; }

# Wait until a TCP port listens in the server namespace (at most ~5 s).
wait_listen() {
	local port=$1 i
	for i in $(seq 50); do
		srv ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# Start a guard in the background and wait until it is attached; GUARD_PID is set.
guard_start() {
	local log=$1
	shift
	# Not through srv(): $! must be the guard itself, not a subshell around it.
	ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 "$@" >"$log" 2>&1 &
	GUARD_PID=$!
	local i
	for i in $(seq 100); do
		grep -q -e 'Ctrl-C to detach' -e '"event":"attached"' "$log" && return 0
		kill -0 $GUARD_PID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

guard_stop() {
	[ -n "${GUARD_PID:-}" ] || return 0
	kill -TERM "$GUARD_PID" 2>/dev/null
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
}
